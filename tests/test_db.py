"""The store: SQLite runs in WAL mode with a busy timeout; the first start creates it."""

from __future__ import annotations

from sqlalchemy import text

from smarketing import db


def test_sqlite_has_wal_and_busy_timeout(engine):
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA busy_timeout")).scalar() == db.BUSY_TIMEOUT_MS
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1


def test_first_start_creates_folder_and_schema(tmp_path):
    url = f"sqlite:///{tmp_path / 'new' / 'folder' / 'x.db'}"
    engine = db.make_engine(url)
    db.upgrade_to_head(engine)
    assert (tmp_path / "new" / "folder" / "x.db").exists()
    assert db.has_table(engine, "lead")
    db.upgrade_to_head(engine)  # a second start changes nothing
    assert db.current_revision(engine) == "0002"


def test_data_version_bumps(session):
    assert db.data_version(session) == 0
    db.bump_data_version(session)
    db.bump_data_version(session)
    session.commit()
    assert db.data_version(session) == 2


def test_password_is_hidden_in_display_url():
    shown = db.url_for_display("postgresql+psycopg://app:secret@db.example/smarketing")
    assert "secret" not in shown and "***" in shown
