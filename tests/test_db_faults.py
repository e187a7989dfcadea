"""Database faults below the UI: `python -m smarketing init` explains an unusable database in
one line, and `db.unavailable` turns real driver errors (locked, lost, refused) into messages."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import event, text
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlmodel import Session

from smarketing.cli.main import main
from smarketing.errors import DatabaseBusy, DatabaseConnectionLost, DatabaseUnavailable
from smarketing.store import db
from smarketing.store.models import Setting
from tests.faults import (
    START_FAULTS,
    PostgresDatabase,
    closed_port,
    file_modes_bind,
    needs_postgres,
    start_fault_url,
)

ROOT = Path(__file__).resolve().parents[1]

pytestmark = pytest.mark.sqlite_only(
    "provokes its own SQLite and PostgreSQL faults; runs once, in the SQLite pass"
)


def init(capsys, url: str) -> tuple[int, str, str]:
    code = main(["init", "--db", url])
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_error(code: int, err: str) -> None:
    assert code == 1
    assert err.startswith("error: ") and err.count("\n") == 1, err
    assert "Traceback" not in err


@pytest.mark.parametrize("fault", START_FAULTS, ids=lambda f: f.id)
def test_init_explains_an_unusable_sqlite_database(capsys, tmp_path, fault):
    with start_fault_url(fault, tmp_path) as (url, path):
        code, out, err = init(capsys, url)
    assert_one_line_error(code, err)
    assert fault.says in err
    assert str(path.parent) in err  # where: the file or its folder
    assert out == ""


def test_the_real_command_prints_one_line_and_fails(tmp_path):
    path = tmp_path / "smarketing.db"
    path.write_bytes(b"PK\x03\x04 an .xlsx saved under the database's name")
    done = subprocess.run(
        [sys.executable, "-m", "smarketing", "init", "--db", f"sqlite:///{path}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 1 and done.stdout == ""
    assert done.stderr == (
        f"error: {path} is not a usable SQLite database (file is not a database): set "
        "SMARKETING_DATABASE_URL (or --db) to the right file, or move this one away to start "
        "afresh (`python -m smarketing restore` puts a backup back)\n"
    )


def test_init_explains_a_postgres_server_that_does_not_answer(capsys):
    port = closed_port()
    code, _, err = init(capsys, f"postgresql+psycopg://app:s3cret@127.0.0.1:{port}/smarketing")
    assert_one_line_error(code, err)
    assert "does not answer (Connection refused)" in err
    assert f"app:***@127.0.0.1:{port}/smarketing" in err and "s3cret" not in err
    assert "check that it is running" in err


def test_postgres_engine_does_not_wait_forever_for_a_silent_host():
    engine = db.make_engine(f"postgresql+psycopg://app@127.0.0.1:{closed_port()}/smarketing")
    assert engine.pool._pre_ping  # a connection the server dropped is replaced on checkout
    seen = {}
    event.listen(engine, "do_connect", lambda _d, _r, _a, params: seen.update(params))
    with pytest.raises(DBAPIError):
        engine.connect()
    assert seen["connect_timeout"] == db.CONNECT_TIMEOUT_S


def test_a_missing_file_in_a_writable_folder_is_a_first_start(capsys, tmp_path):
    path = tmp_path / "data" / "smarketing.db"
    path.parent.mkdir()
    with file_modes_bind():  # as root too: an ordinary user's own folder
        code, out, err = init(capsys, f"sqlite:///{path}")
    assert (code, err) == (0, "")
    assert "database ready" in out and path.exists()


@pytest.mark.parametrize("fault", START_FAULTS, ids=lambda f: f.id)
def test_upgrade_raises_database_unavailable(tmp_path, fault):
    """The app's start path (make_engine + upgrade_to_head) raises the same clear error."""
    with start_fault_url(fault, tmp_path) as (url, _path), pytest.raises(DatabaseUnavailable) as e:
        db.upgrade_to_head(db.make_engine(url))
    assert fault.says in str(e.value)
    assert not isinstance(e.value, DatabaseBusy | DatabaseConnectionLost)  # fix it, no retry


@pytest.fixture
def short_busy_timeout(monkeypatch):
    """Wait 0.2 s for a lock instead of 5 s."""
    monkeypatch.setattr(db, "BUSY_TIMEOUT_MS", 200)


def test_a_lock_held_too_long_is_busy_at_start_and_in_use(tmp_path, short_busy_timeout):
    path = tmp_path / "smarketing.db"
    url = f"sqlite:///{path}"
    engine = db.make_engine(url)
    db.upgrade_to_head(engine)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process writing, e.g. a long import
    try:
        with pytest.raises(DatabaseBusy, match="busy: another writer has held its lock"):
            db.upgrade_to_head(db.make_engine(url))  # a second app process starting
        with Session(engine) as s, pytest.raises(DBAPIError) as raised:
            db.set_setting(s, "x", "1")
            s.commit()
        problem = db.unavailable(raised.value, url)
        assert isinstance(problem, DatabaseBusy) and str(path) in str(problem)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    with Session(engine) as s:  # the lock is gone: the same write works
        db.set_setting(s, "x", "1")
        s.commit()
    engine.dispose()


def test_errors_that_are_bugs_are_not_disguised(tmp_path):
    url = f"sqlite:///{tmp_path / 'smarketing.db'}"
    engine = db.make_engine(url)
    db.upgrade_to_head(engine)
    with Session(engine) as s:
        s.add(Setting(key="k", value="1"))
        s.commit()
        s.add(Setting(key="k", value="2"))
        with pytest.raises(IntegrityError) as raised:
            s.commit()
    assert db.unavailable(raised.value, url) is None
    with engine.connect() as conn, pytest.raises(DBAPIError) as raised:
        conn.execute(text("SELECT * FROM no_such_table"))
    assert db.unavailable(raised.value, url) is None
    engine.dispose()


@pytest.fixture
def pg():
    database = PostgresDatabase()
    yield database
    database.drop()


@needs_postgres
def test_postgres_engine_pings_and_survives_a_server_restart(pg):
    engine = db.make_engine(pg.url)
    assert engine.pool._pre_ping
    db.upgrade_to_head(engine)
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
    assert pg.terminate_connections() >= 1  # the pooled connection is dead now
    with engine.connect() as conn:  # pre-ping noticed and reconnected
        assert conn.execute(text("SELECT count(*) FROM alembic_version")).scalar() == 1
    engine.dispose()


@needs_postgres
def test_a_connection_lost_mid_use_is_explained(pg):
    engine = db.make_engine(pg.url)
    with engine.connect() as conn:
        pid = conn.execute(text("SELECT pg_backend_pid()")).scalar()
        pg.terminate(pid)
        with pytest.raises(DBAPIError) as raised:
            conn.execute(text("SELECT 1"))
    problem = db.unavailable(raised.value, pg.url)
    assert isinstance(problem, DatabaseConnectionLost)
    assert "the database connection was lost" in str(problem)
    assert db.url_for_display(pg.url) in str(problem)
    with engine.connect() as conn:  # the next use reconnects
        assert conn.execute(text("SELECT 1")).scalar() == 1
    engine.dispose()


@needs_postgres
def test_a_missing_postgres_database_is_not_a_retry(capsys, pg):
    code, _, err = init(capsys, pg.url + "_missing")
    assert_one_line_error(code, err)
    assert "refused the connection" in err and "does not exist" in err
