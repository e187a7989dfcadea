"""Files holding password hashes and CRM data are private: the data folder 0700, the SQLite
database with its -wal and -shm files, backups, restores and exports 0600 — created so, with
a umask that would make them 0644 — and a warning naming the chmod when one is wider."""

from __future__ import annotations

import os
import stat
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlmodel import Session

from smarketing.cli.main import main
from smarketing.ops.backup import backup_sqlite
from smarketing.ops.export import export_zip
from smarketing.ops.restore import restore_sqlite
from smarketing.store import db, file_modes

pytestmark = pytest.mark.sqlite_only("file modes of the SQLite database and its copies")

NOW = datetime(2026, 11, 18, 12, 0, tzinfo=UTC)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture(autouse=True)
def usual_umask():
    """The usual umask 022, under which files are created 0644 and folders 0755."""
    old = os.umask(0o022)
    yield
    os.umask(old)


@pytest.fixture
def fresh(tmp_path, monkeypatch):
    """A new database in a new data folder, opened as the app opens it (WAL in use)."""
    data = tmp_path / "data"
    monkeypatch.setenv("SMARKETING_DATA_DIR", str(data))
    url = f"sqlite:///{data / 'smarketing.db'}"
    monkeypatch.setenv("SMARKETING_DATABASE_URL", url)
    engine = db.make_engine(url)
    db.upgrade_to_head(engine)
    yield data / "smarketing.db", engine
    engine.dispose()


def test_a_new_database_its_wal_and_shm_and_the_data_folder_are_private(fresh):
    path, engine = fresh
    with engine.connect():  # the WAL and shared-memory files exist while a connection is open
        wal, shm = Path(f"{path}-wal"), Path(f"{path}-shm")
        assert wal.exists() and shm.exists()
        assert (mode(path), mode(wal), mode(shm)) == (0o600, 0o600, 0o600)
    assert mode(path.parent) == 0o700
    assert db.mode_problems() == []


def test_an_existing_data_folder_gets_0700_when_the_database_is_created_in_it(
    tmp_path, monkeypatch
):
    data = tmp_path / "data"
    data.mkdir()  # e.g. the data/ folder of a git checkout, with its README
    assert mode(data) == 0o755
    monkeypatch.setenv("SMARKETING_DATA_DIR", str(data))
    engine = db.make_engine(f"sqlite:///{data / 'smarketing.db'}")
    db.upgrade_to_head(engine)
    engine.dispose()
    assert mode(data) == 0o700


def test_backup_export_and_restore_write_private_files(fresh, tmp_path):
    path, engine = fresh
    backup = backup_sqlite(engine, tmp_path / "backups" / "b.db").path
    assert mode(backup) == 0o600
    assert mode(backup.parent) == 0o700  # the folder the backup made
    with Session(engine) as s:
        export = export_zip(s, tmp_path / "export.zip", now=NOW).path
    assert mode(export) == 0o600 and zipfile.is_zipfile(export)
    engine.dispose()
    result = restore_sqlite(backup, f"sqlite:///{path}", now=NOW, confirm=lambda _: True)
    assert mode(result.target) == 0o600
    assert mode(result.safety_copy) == 0o600


def test_a_wide_file_or_folder_is_named_with_its_mode_and_the_chmod_that_fixes_it(fresh):
    path, _ = fresh
    path.chmod(0o644)
    path.parent.chmod(0o755)
    problems = [str(p) for p in db.mode_problems()]
    assert problems == [
        f"the folder {path.parent} has mode 0755: group and others may read it, and it holds "
        f"password hashes and CRM data; fix: chmod 700 {path.parent}",
        f"the file {path} has mode 0644: group and others may read it, and it holds "
        f"password hashes and CRM data; fix: chmod 600 {path}",
    ]


def test_a_copy_kept_by_a_restore_is_checked_too(fresh):
    path, _ = fresh
    kept = path.with_name("smarketing.before-restore-20261118T120000.db")
    kept.write_bytes(b"")
    kept.chmod(0o640)
    assert [p.path for p in db.mode_problems()] == [kept]


def test_cli_commands_that_open_the_database_warn_on_stderr(fresh, capsys):
    path, engine = fresh
    engine.dispose()
    path.chmod(0o644)
    assert main(["users", "list"]) == 0
    err = capsys.readouterr().err
    assert f"warning: the file {path} has mode 0644" in err
    assert f"chmod 600 {path}\n" in err
    # SQLite gave the WAL it made on opening the database the database's mode
    assert f"warning: the file {path}-wal has mode 0644" in err
    assert main(["backup", str(path.parent / "b.db")]) == 0
    assert f"warning: the file {path} has mode 0644" in capsys.readouterr().err
    for file in path.parent.iterdir():  # the fix the warnings name
        file.chmod(0o600)
    assert main(["users", "list"]) == 0
    assert "warning" not in capsys.readouterr().err


@pytest.mark.parametrize(
    "url",
    [
        "postgresql+psycopg://smarketing:secret@db.example/smarketing",
        "sqlite://",  # in memory
    ],
)
def test_no_file_checks_for_postgresql_or_memory(url, tmp_path, monkeypatch):
    data = tmp_path / "data"
    data.mkdir(mode=0o755)  # would be reported for a SQLite file database
    monkeypatch.setenv("SMARKETING_DATA_DIR", str(data))
    assert db.mode_problems(url) == []
    db.make_engine(url).dispose()  # no file is made, nothing is connected
    assert list(data.iterdir()) == []


@pytest.fixture
def no_umask():
    """umask 0 for one test (then the one before it again)."""
    before = os.umask(0o000)
    yield
    os.umask(before)


def test_new_folders_are_made_0700_not_made_then_narrowed(tmp_path, monkeypatch, no_umask):
    made = []
    real = os.mkdir

    def mkdir(path, mode=0o777, *args, **kwargs):
        made.append((str(path), mode))
        return real(path, mode, *args, **kwargs)

    monkeypatch.setattr(os, "mkdir", mkdir)
    file_modes.private_folder(tmp_path / "p" / "q")
    assert made == [(str(tmp_path / "p"), 0o700), (str(tmp_path / "p" / "q"), 0o700)]


def test_private_files_keep_their_mode_whatever_the_umask(tmp_path, no_umask):
    file_modes.private_folder(tmp_path / "a" / "b")
    assert mode(tmp_path / "a") == mode(tmp_path / "a" / "b") == 0o700
    assert file_modes.create_private(tmp_path / "x.db")
    assert not file_modes.create_private(tmp_path / "x.db")  # there already: left as it is
    with file_modes.open_private(tmp_path / "y.zip") as fh:
        fh.write(b"z")
    (tmp_path / "src").write_bytes(b"data")
    file_modes.copy_private(tmp_path / "src", tmp_path / "copy")
    assert {mode(tmp_path / n) for n in ("x.db", "y.zip", "copy")} == {0o600}
