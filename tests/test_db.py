"""The store: SQLite runs in WAL mode with a busy timeout; the first start creates it."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from smarketing.store import db


@pytest.mark.sqlite_only("WAL, busy_timeout and foreign_keys are SQLite PRAGMAs")
def test_sqlite_has_wal_and_busy_timeout(engine):
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == db.BUSY_TIMEOUT_MS
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1


@pytest.mark.sqlite_only("the database file's folder is created on first start")
def test_first_start_creates_folder_and_schema(tmp_path):
    url = f"sqlite:///{tmp_path / 'new' / 'folder' / 'x.db'}"
    engine = db.make_engine(url)
    db.upgrade_to_head(engine)
    assert (tmp_path / "new" / "folder" / "x.db").exists()
    assert db.has_table(engine, "lead")
    db.upgrade_to_head(engine)  # a second start changes nothing
    assert db.current_revision(engine) == "0005"


def test_data_version_bumps(session):
    assert db.data_version(session) == 0
    db.bump_data_version(session)
    db.bump_data_version(session)
    session.commit()
    assert db.data_version(session) == 2


def test_password_is_hidden_in_display_url():
    shown = db.url_for_display("postgresql+psycopg://app:secret@db.example/smarketing")
    assert "secret" not in shown and "***" in shown


def test_data_version_bumps_are_atomic_across_sessions(engine):
    """Two sessions bumping at once move the counter by two (no read-then-write race)."""
    from sqlmodel import Session

    with Session(engine) as s:
        db.bump_data_version(s)
        s.commit()
        start = db.data_version(s)
    a, b = Session(engine), Session(engine)
    try:
        db.data_version(a), db.data_version(b)  # both have read the old value
        db.bump_data_version(a)
        a.commit()
        db.bump_data_version(b)
        b.commit()
    finally:
        a.close(), b.close()
    with Session(engine) as s:
        assert db.data_version(s) == start + 2
        db.bump_data_version(s)
        assert db.data_version(s) == start + 3, "the session sees its own bump"
