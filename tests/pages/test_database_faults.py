"""The app when the database cannot be used: at start (missing folder, read-only, not a
database, server down) one clear message; during use (connection lost, server gone, lock held
too long) a message with Retry, and the next run recovers. Never a traceback."""

from __future__ import annotations

import sqlite3

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlmodel import Session

from smarketing.auth import users
from smarketing.auth.permissions import CLI_ACTOR
from smarketing.store import db
from smarketing.ui.resources import RETRY_KEY
from tests.faults import (
    START_FAULTS,
    PostgresDatabase,
    TcpProxy,
    closed_port,
    needs_postgres,
    start_fault_url,
)
from tests.pages.conftest import PASSWORD, logged_in, login_through_form, new_app, texts

pytestmark = pytest.mark.sqlite_only(
    "provokes its own SQLite and PostgreSQL faults; runs once, in the SQLite pass"
)


def overview_shown(at) -> bool:
    return not at.exception and "Overview" in [t.value for t in at.title]


def retry_button(at):
    return next((b for b in at.button if b.key == RETRY_KEY), None)


@pytest.mark.parametrize("fault", START_FAULTS, ids=lambda f: f.id)
def test_unusable_sqlite_database_at_start(monkeypatch, tmp_path, fault):
    with start_fault_url(fault, tmp_path / "fault") as (url, path):
        monkeypatch.setenv("SMARKETING_DATABASE_URL", url)
        at = new_app().run()
    assert not at.exception
    assert [e.value for e in at.error] == [at.error[0].value]  # one message
    message = at.error[0].value
    assert message.startswith("The database cannot be used: ")
    assert fault.says in message and str(path.parent) in message
    assert not at.text_input  # no login form behind it
    assert retry_button(at) is None  # fix it, then reload: retrying would not help


def test_a_missing_file_in_a_writable_folder_is_a_first_start(monkeypatch, tmp_path):
    path = tmp_path / "new" / "smarketing.db"
    monkeypatch.setenv("SMARKETING_DATABASE_URL", f"sqlite:///{path}")
    at = new_app().run()
    assert not at.exception and not at.error
    assert "Welcome to Smarketing" in texts(at) and path.exists()


def test_postgres_server_down_at_start_says_so_with_retry(monkeypatch):
    port = closed_port()
    monkeypatch.setenv(
        "SMARKETING_DATABASE_URL", f"postgresql+psycopg://app:s3cret@127.0.0.1:{port}/smarketing"
    )
    at = new_app().run()
    assert not at.exception
    message = at.error[0].value
    assert "does not answer (Connection refused)" in message
    assert f"app:***@127.0.0.1:{port}" in message and "s3cret" not in texts(at)
    assert "press **Retry**" in message
    assert retry_button(at) is not None
    at = retry_button(at).click().run()  # still down: the same message, still no traceback
    assert not at.exception and "does not answer" in at.error[0].value


def test_a_lock_held_beyond_the_busy_timeout_is_busy_then_retry_works(people, app_env, monkeypatch):
    monkeypatch.setattr(db, "BUSY_TIMEOUT_MS", 200)  # the engine is made in the first run
    at = new_app().run()
    path = db.sqlite_file(app_env.url)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another process writing, e.g. a long import
    try:
        at = login_through_form(at, "mia", PASSWORD)  # logging in records the login: a write
        assert not at.exception
        assert "is busy: another writer has held its lock" in at.warning[0].value
        assert str(path) in at.warning[0].value
        assert retry_button(at) is not None
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    at = retry_button(at).click().run()
    assert overview_shown(at)


@pytest.fixture
def pg(people, monkeypatch):
    """The app on a fresh PostgreSQL database with the test users; yields the database."""
    database = PostgresDatabase()
    engine = db.make_engine(database.url)
    db.upgrade_to_head(engine)
    with Session(engine) as s:
        users.add_user(
            s,
            actor=CLI_ACTOR,
            username="mia",
            name="Mia",
            email="mia@example.com",
            roles=["marketing"],
            password=PASSWORD,
        )
    engine.dispose()
    monkeypatch.setenv("SMARKETING_DATABASE_URL", database.url)
    yield database
    database.drop()


@needs_postgres
def test_postgres_restart_between_runs_is_invisible(pg):
    at = logged_in("mia", ["marketing"])
    assert overview_shown(at)
    assert pg.terminate_connections() >= 1  # the server dropped the app's pooled connections
    at.run()
    assert overview_shown(at) and not at.error


@needs_postgres
def test_connection_lost_during_a_run_shows_retry_then_recovers(pg):
    at = logged_in("mia", ["marketing"])
    assert overview_shown(at)
    dropped = []

    def drop_connection(conn, cursor, statement, parameters, context, executemany):
        """The server ends the connection just before the run's first query reaches it."""
        if not dropped and conn.engine.url.database == pg.name:
            dropped.append(statement)
            pg.terminate(cursor.connection.info.backend_pid)

    event.listen(Engine, "before_cursor_execute", drop_connection)
    try:
        at.run()
    finally:
        event.remove(Engine, "before_cursor_execute", drop_connection)
    assert dropped and not at.exception
    message = at.error[0].value
    assert message.startswith("The database connection was lost")
    assert make_url(pg.url).render_as_string(hide_password=True) in message
    assert retry_button(at) is not None
    at = retry_button(at).click().run()
    assert overview_shown(at) and not at.error


@needs_postgres
def test_postgres_server_gone_during_a_session_then_back(pg, monkeypatch):
    server = make_url(pg.url)
    proxy = TcpProxy(server.host or "127.0.0.1", server.port or 5432)
    monkeypatch.setenv("SMARKETING_DATABASE_URL", proxy.url(pg.url))
    try:
        at = logged_in("mia", ["marketing"])
        assert overview_shown(at)
        proxy.cut()  # the server goes away: open connections drop, new ones are refused
        at.run()
        assert not at.exception
        assert "does not answer (Connection refused)" in at.error[0].value
        at = retry_button(at).click().run()  # still away: still a message
        assert not at.exception and "does not answer" in at.error[0].value
        proxy.restore()
        at = retry_button(at).click().run()
        assert overview_shown(at) and not at.error
    finally:
        proxy.cut()


def test_the_database_message_and_retry_in_norwegian(monkeypatch):
    monkeypatch.setenv("SMARKETING_LANGUAGE", "nb")
    port = closed_port()
    monkeypatch.setenv("SMARKETING_DATABASE_URL", f"postgresql+psycopg://app@127.0.0.1:{port}/x")
    at = new_app().run()
    assert not at.exception
    assert at.error[0].value.endswith(
        "Smarketing kobler til igjen ved neste kjøring når serveren er tilbake: trykk "
        "**Prøv igjen**."
    )
    assert retry_button(at).label == "Prøv igjen"
