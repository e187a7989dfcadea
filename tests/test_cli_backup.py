"""`python -m smarketing backup|restore|export`: exit codes 0 done, 1 failed, 2 usage, and
one-line messages."""

from __future__ import annotations

import io
import sqlite3
import zipfile
from datetime import date
from pathlib import Path

import pytest

from smarketing.cli.main import main
from smarketing.store import db
from smarketing.store.models import Decision


class _Terminal(io.StringIO):
    """Standard input that is a terminal, answering with the given text."""

    def isatty(self) -> bool:
        return True


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def _live(tmp_path: Path, *decisions: str) -> str:
    """A SQLite database (whatever the suite's database) holding these decisions."""
    url = f"sqlite:///{tmp_path / 'live.db'}"
    engine = db.make_engine(url)
    db.upgrade_to_head(engine)
    with db.session_scope(engine) as s:
        for text in decisions:
            s.add(_decision(text))
    engine.dispose()
    return url


def _decision(text: str) -> Decision:
    return Decision(text=text, decided_by="both", decided_on=date(2026, 11, 16), created_by="t")


def _add(url: str, text: str) -> None:
    engine = db.make_engine(url)
    with db.session_scope(engine) as s:
        s.add(_decision(text))
    engine.dispose()


def _texts(url: str) -> list[str]:
    conn = sqlite3.connect(url.removeprefix("sqlite:///"))
    try:
        return [r[0] for r in conn.execute("SELECT text FROM decision ORDER BY id")]
    finally:
        conn.close()


def test_help_lists_the_commands(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for command in ("backup", "restore", "export"):
        assert command in out


def test_backup_then_refuse_to_overwrite(capsys, tmp_path):
    url = _live(tmp_path, "one")
    out = tmp_path / "backup.db"
    code, stdout, stderr = run(capsys, "backup", out, "--db", url)
    assert code == 0
    assert stdout.startswith(f"backup written to {out}: ")
    assert "schema 0007, integrity check ok" in stdout and "rows" in stdout
    assert stderr == f"backing up {url} to {out} …\n"

    code, stdout, stderr = run(capsys, "backup", out, "--db", url)
    assert (code, stdout) == (1, "")
    assert stderr.splitlines()[-1] == (
        f"error: {out} already exists: choose another name or pass --overwrite"
    )
    code, _, _ = run(capsys, "backup", out, "--db", url, "--overwrite")
    assert code == 0


def test_backup_of_a_missing_database(capsys, tmp_path):
    url = f"sqlite:///{tmp_path / 'none.db'}"
    code, out, err = run(capsys, "backup", tmp_path / "b.db", "--db", url)
    assert (code, out) == (1, "")
    missing = tmp_path / "none.db"
    assert err.splitlines()[-1] == f"error: no database at {missing}: nothing to back up"
    assert not (tmp_path / "none.db").exists() and not (tmp_path / "b.db").exists()


@pytest.mark.parametrize("command", ["backup", "restore"])
def test_postgresql_prints_the_pg_tools_command(capsys, tmp_path, command):
    url = "postgresql+psycopg://smk:hunter2@db.internal/smarketing"
    code, out, err = run(capsys, command, tmp_path / "s.dump", "--db", url)
    assert (code, out) == (1, "")
    assert len(err.splitlines()) == 1 and err.startswith("error: the database is PostgreSQL")
    assert "pg_dump --format=custom --file" in err and "pg_restore" in err
    assert "'postgresql://smk:***@db.internal/smarketing'" in err and "hunter2" not in err


def test_usage_errors_are_one_line_exit_2(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["backup"])
    code = exit_info.value.code
    err = capsys.readouterr().err
    assert code == 2 and err == "error: the following arguments are required: OUT\n"


def test_restore_without_yes_and_no_terminal_is_a_usage_error(capsys, monkeypatch, tmp_path):
    url = _live(tmp_path, "before")
    run(capsys, "backup", tmp_path / "b.db", "--db", url)
    monkeypatch.setattr("sys.stdin", io.StringIO("y\n"))  # piped: not a terminal
    code, out, err = run(capsys, "restore", tmp_path / "b.db", "--db", url)
    assert (code, out) == (2, "")
    assert err == (
        f"error: restore replaces the database {tmp_path / 'live.db'}: confirm with --yes "
        "(there is no terminal to ask)\n"
    )


def test_restore_with_yes(capsys, tmp_path):
    url = _live(tmp_path, "at the backup")
    run(capsys, "backup", tmp_path / "b.db", "--db", url)
    _add(url, "later")

    code, out, err = run(capsys, "restore", tmp_path / "b.db", "--db", url, "--yes")

    assert code == 0, err
    assert _texts(url) == ["at the backup"]
    first, second = out.splitlines()
    assert first.startswith(f"restored {tmp_path / 'b.db'} into {tmp_path / 'live.db'}: ")
    assert first.endswith("; start the app again")
    safety = Path(second.removeprefix("the database as it was before is kept in "))
    assert safety.parent == tmp_path and safety.name.startswith("live.before-restore-")
    assert _texts(f"sqlite:///{safety}") == ["at the backup", "later"]
    assert f"checking {tmp_path / 'b.db'} …" in err


@pytest.mark.parametrize(("answer", "code"), [("y\n", 0), ("yes\n", 0), ("n\n", 1), ("\n", 1)])
def test_restore_asks_on_a_terminal(capsys, monkeypatch, tmp_path, answer, code):
    url = _live(tmp_path, "at the backup")
    run(capsys, "backup", tmp_path / "b.db", "--db", url)
    _add(url, "later")
    monkeypatch.setattr("sys.stdin", _Terminal(answer))

    got, out, err = run(capsys, "restore", tmp_path / "b.db", "--db", url)

    assert got == code
    assert out.startswith(f"Replace the database {tmp_path / 'live.db'} with this backup?")
    assert "rows in" in err and "schema 0007" in err  # what the backup holds, before asking
    if code == 0:
        assert _texts(url) == ["at the backup"]
    else:
        assert _texts(url) == ["at the backup", "later"]
        assert err.splitlines()[-1] == "error: restore cancelled: nothing was changed"
        assert not list(tmp_path.glob("live.before-restore-*"))


def test_restore_of_a_bad_file_fails_and_changes_nothing(capsys, tmp_path):
    url = _live(tmp_path, "kept")
    bad = tmp_path / "notes.csv"
    bad.write_text("a,b\n1,2\n")
    code, out, err = run(capsys, "restore", bad, "--db", url, "--yes")
    assert (code, out) == (1, "")
    assert err.splitlines()[-1] == (
        f"error: {bad} is not a SQLite database (a backup made by `python -m smarketing "
        "backup` is one)"
    )
    assert _texts(url) == ["kept"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["live.db", "notes.csv"]


def test_export(capsys, db_url, tmp_path):
    assert run(capsys, "init", "--db", db_url)[0] == 0
    out = tmp_path / "export.zip"
    code, stdout, err = run(capsys, "export", out, "--db", db_url)
    assert code == 0, err
    assert stdout.startswith(f"export written to {out}: 7 CSV files (0 rows), 0 Markdown files")
    assert "README.txt" in zipfile.ZipFile(out).namelist()

    code, stdout, err = run(capsys, "export", out, "--db", db_url)
    assert (code, stdout) == (1, "")
    assert err.splitlines()[-1].endswith("already exists: choose another name or pass --overwrite")
    assert run(capsys, "export", out, "--db", db_url, "--overwrite")[0] == 0


def test_export_of_a_missing_database(capsys, tmp_path):
    url = f"sqlite:///{tmp_path / 'none.db'}"
    code, out, err = run(capsys, "export", tmp_path / "e.zip", "--db", url)
    assert (code, out) == (1, "")
    assert err == f"error: no database at {tmp_path / 'none.db'}: nothing to export\n"
    assert list(tmp_path.iterdir()) == []
