"""The command line: help, users, demo --clear, and one-line errors."""

from __future__ import annotations

import io

import pytest
from sqlmodel import Session, func, select

from smarketing.auth import logins, users
from smarketing.cli.main import main
from smarketing.store.db import make_engine
from smarketing.store.models import Definition, Lead, SlaAgreement, User


def run(capsys, *argv, stdin: str | None = None, monkeypatch=None):
    if stdin is not None:
        monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_help_lists_commands(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for command in ("init", "demo", "users"):
        assert command in out


def test_init_creates_schema(capsys, db_url):
    code, out, _ = run(capsys, "init", "--db", db_url)
    assert code == 0 and "database ready" in out and "0010" in out


def test_users_add_list_and_password(capsys, monkeypatch, db_url):
    code, out, err = run(
        capsys,
        "users",
        "add",
        "kari",
        "--name",
        "Kari Nordmann",
        "--email",
        "kari@example.com",
        "--role",
        "admin",
        "--role",
        "marketing",
        "--password-stdin",
        "--db",
        db_url,
        stdin="long enough pw\n",
        monkeypatch=monkeypatch,
    )
    assert (code, err) == (0, "")
    assert "added kari (admin,marketing)" in out
    engine = make_engine(db_url)
    with Session(engine) as s:
        creds = logins.login_credentials(s)["usernames"]["kari"]
        assert creds["roles"] == ["admin", "marketing"]
        assert users.password_matches("long enough pw", creds["password"])
    code, out, _ = run(capsys, "users", "list", "--db", db_url)
    assert code == 0 and "kari" in out and "admin, marketing" in out
    code, out, _ = run(
        capsys,
        "users",
        "set-password",
        "kari",
        "--password-stdin",
        "--db",
        db_url,
        stdin="another long pw\n",
        monkeypatch=monkeypatch,
    )
    assert code == 0 and "password of kari changed; their open sessions are ended" in out
    with Session(engine) as s:
        assert users.password_matches("another long pw", users.get_user(s, "kari").password_hash)
    code, _, err = run(capsys, "users", "disable", "kari", "--db", db_url)
    assert code == 1 and "last active admin" in err
    run(
        capsys,
        "users",
        "add",
        "sam",
        "--name",
        "Sam",
        "--email",
        "sam@example.com",
        "--role",
        "sales",
        "--password-stdin",
        "--db",
        db_url,
        stdin="long enough pw\n",
        monkeypatch=monkeypatch,
    )
    code, out, _ = run(capsys, "users", "disable", "sam", "--db", db_url)
    assert code == 0 and "sam disabled; their open sessions are ended" in out


@pytest.mark.parametrize(
    ("argv", "stdin", "message"),
    [
        # each user error: one line on stderr, exit 1, no traceback
        (
            [
                "users",
                "add",
                "x y",
                "--name",
                "X",
                "--email",
                "x@example.com",
                "--role",
                "sales",
                "--password-stdin",
            ],
            "long enough\n",
            "error: the username must be",
        ),
        (
            [
                "users",
                "add",
                "xy",
                "--name",
                "X",
                "--email",
                "x@example.com",
                "--role",
                "sales",
                "--password-stdin",
            ],
            "short\n",
            "error: the password must have at least 8",
        ),
        (
            ["users", "set-password", "nobody", "--password-stdin"],
            "long enough\n",
            "error: no user named 'nobody'",
        ),
    ],
)
def test_user_errors_are_one_line(capsys, monkeypatch, db_url, argv, stdin, message):
    code, _out, err = run(capsys, *argv, "--db", db_url, stdin=stdin, monkeypatch=monkeypatch)
    assert code == 1
    assert err.startswith(message) and err.count("\n") == 1
    assert "Traceback" not in err


def test_bad_database_url_is_one_line(capsys):
    code, _, err = run(capsys, "init", "--db", "not a url")
    assert code == 1 and err.startswith("error: database URL") and "Traceback" not in err


def test_demo_clear_keeps_users(capsys, monkeypatch, db_url):
    run(
        capsys,
        "users",
        "add",
        "kari",
        "--name",
        "Kari",
        "--email",
        "kari@example.com",
        "--role",
        "admin",
        "--password-stdin",
        "--db",
        db_url,
        stdin="long enough\n",
        monkeypatch=monkeypatch,
    )
    code, out, _ = run(capsys, "demo", "--leads", "400", "--months", "3", "--db", db_url)
    assert code == 0 and "wrote the demo company: 400 leads" in out
    code, _, err = run(capsys, "demo", "--leads", "400", "--db", db_url)
    assert code == 1 and err.startswith("error:")  # twice is refused, clearly
    code, out, _ = run(capsys, "demo", "--clear", "--db", db_url)
    assert code == 0 and "removed the demo company" in out
    engine = make_engine(db_url)
    with Session(engine) as s:
        assert s.exec(select(func.count()).select_from(Lead)).one() == 0
        assert [u.username for u in s.exec(select(User))] == ["kari"]


def _count(db_url, model) -> int:
    with Session(make_engine(db_url)) as s:
        return s.exec(select(func.count()).select_from(model)).one()


def test_demo_clear_prints_the_plan_first_and_dry_run_only_prints_it(capsys, db_url):
    run(capsys, "demo", "--leads", "300", "--months", "3", "--db", db_url)
    leads = _count(db_url, Lead)

    code, out, _ = run(capsys, "demo", "--clear", "--dry-run", "--db", db_url)
    assert code == 0
    assert out.startswith("Would remove (demo data nobody touched):\n")
    assert f"  - {leads} demo leads with their " in out
    assert "Would keep (made or changed by your team):\n  - nothing" in out
    assert "Would keep as your starting point:" in out
    assert "the SLA agreement v2 (with v1 before it)" in out
    assert out.rstrip().endswith("dry run: nothing was removed")
    assert _count(db_url, Lead) == leads  # nothing removed

    code, out, _ = run(capsys, "demo", "--clear", "--db", db_url)
    assert code == 0 and out.startswith("Removed (demo data nobody touched):\n")
    assert "Kept as your starting point:" in out and "removed the demo company (" in out
    assert _count(db_url, Lead) == 0
    assert _count(db_url, Definition) > 0 and _count(db_url, SlaAgreement) == 2


def test_demo_clear_without_the_starting_point(capsys, db_url):
    run(capsys, "demo", "--leads", "300", "--months", "3", "--db", db_url)
    code, out, _ = run(capsys, "demo", "--clear", "--no-starting-point", "--db", db_url)
    assert code == 0 and "starting point" not in out
    assert "the demo SLA agreement (v1 and v2)" in out
    assert _count(db_url, Definition) == 0 and _count(db_url, SlaAgreement) == 0


@pytest.mark.parametrize("option", ["--dry-run", "--no-starting-point"])
def test_demo_clear_options_need_clear(capsys, db_url, option):
    code, out, err = run(capsys, "demo", option, "--db", db_url)
    assert (
        code == 2
        and out == ""
        and err == "error: --dry-run and --no-starting-point go with --clear\n"
    )


def test_demo_in_norwegian_and_in_english(capsys, db_url, monkeypatch):
    code, out, _ = run(
        capsys, "demo", "--leads", "300", "--months", "3", "--language", "nb", "--db", db_url
    )
    assert code == 0 and "wrote the demo company: 300 leads" in out
    engine = make_engine(db_url)
    with Session(engine) as s:
        assert s.exec(select(Definition.term).where(Definition.key == "mql")).first() == (
            "Markedskvalifisert lead (MQL)"
        )
    # the messages speak the CLI's language ($SMARKETING_LANGUAGE)
    monkeypatch.setenv("SMARKETING_LANGUAGE", "nb")
    code, out, _ = run(capsys, "demo", "--clear", "--dry-run", "--db", db_url)
    assert code == 0 and out.startswith("Ville fjernet (demodata ingen har rørt):\n")
    assert out.endswith("prøvekjøring: ingenting ble fjernet\n")
    code, out, _ = run(capsys, "demo", "--clear", "--no-starting-point", "--db", db_url)
    assert code == 0 and "fjernet demobedriften (" in out
    monkeypatch.setenv("SMARKETING_LANGUAGE", "en")
    code, out, _ = run(
        capsys, "demo", "--leads", "300", "--months", "3", "--language", "en", "--db", db_url
    )
    assert code == 0
    with Session(engine) as s:
        terms = s.exec(select(Definition.term).where(Definition.key == "mql")).all()
        assert set(terms) == {"Marketing-qualified lead (MQL)"}
    with pytest.raises(SystemExit) as exit_info:
        main(["demo", "--language", "sv", "--db", db_url])
    assert exit_info.value.code == 2 and "invalid choice: 'sv'" in capsys.readouterr().err
    code, _, err = run(capsys, "demo", "--clear", "--language", "nb", "--db", db_url)
    assert code == 2 and err.startswith("error: --language goes with writing")


def test_the_command_line_speaks_the_app_default_language(capsys, monkeypatch, db_url):
    """SMARKETING_LANGUAGE=nb: messages for people in Norwegian; flags and field names not."""
    monkeypatch.setenv("SMARKETING_LANGUAGE", "nb")
    code, out, _ = run(capsys, "users", "list", "--db", db_url)
    assert (code, out) == (0, "ingen brukere ennå\n")
    code, out, err = run(
        capsys,
        "users",
        "add",
        "kari",
        "--name",
        "Kari Nordmann",
        "--email",
        "kari@example.com",
        "--role",
        "marketing",
        "--password-stdin",
        "--db",
        db_url,
        stdin="long enough pw\n",
        monkeypatch=monkeypatch,
    )
    assert (code, err, out) == (0, "", "la til kari (marked)\n")
    code, out, _ = run(capsys, "users", "list", "--db", db_url)
    header, row = out.splitlines()
    assert header.split() == [
        "Brukernavn",
        "Navn",
        "E-post",
        "Roller",
        "Status",
        "Notater",
        "skrevet",
    ]
    assert row.split()[-3:] == ["marked", "aktiv", "0"]
    code, _, err = run(capsys, "users", "disable", "nobody", "--db", db_url)
    assert (code, err) == (1, "feil: ingen bruker med navnet 'nobody'\n")
    code, _, err = run(
        capsys,
        "users",
        "add",
        "x",
        "--name",
        "X",
        "--email",
        "x@example.com",
        "--role",
        "sales",
        "--password-stdin",
        "--db",
        db_url,
        stdin="kort\n",
        monkeypatch=monkeypatch,
    )
    assert code == 1
    assert err == (
        "feil: brukernavnet må ha 2–64 tegn: små bokstaver, sifre, «.», «_» eller «-»; "
        "passordet må ha minst 8 tegn\n"
    )
