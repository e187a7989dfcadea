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
    assert db.current_revision(engine) == "0010"


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


# --- the schema check at start: alembic only when there is something to do ---------------


def test_the_head_read_from_the_files_is_alembics_head():
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(db._alembic_config(None))
    assert db.head_revision() == script.get_current_head()


def _migration(folder, name: str, revision: str, down: str) -> None:
    (folder / f"{name}.py").write_text(
        f'"""{name}\n\nRevision ID: {revision}\n"""\n\n'
        f"revision: str = {revision!r}\ndown_revision: str | None = {down}\n",
        encoding="utf-8",
    )


@pytest.mark.parametrize(
    ("files", "head"),
    [
        ([("a", "0001", "None"), ("b", "0002", "'0001'")], "0002"),  # one line: its newest
        (
            [("a", "0001", "None"), ("b", "0002", "'0001'"), ("c", "0003", "'0001'")],
            None,
        ),  # a branch
        ([("a", "0001", "None"), ("b", "0002", "('0001', '0003')")], None),  # a merge
        ([("a", "0001", "None"), ("b", "0002", "'0009'")], None),  # a parent that is not there
        ([("a", "0001", "some_name")], None),  # not a plain string
    ],
)
def test_head_revision_is_none_unless_the_files_are_one_line(tmp_path, files, head):
    for name, revision, down in files:
        _migration(tmp_path, name, revision, down)
    assert db.head_revision(tmp_path) == head


@pytest.fixture
def alembic_runs(monkeypatch):
    """Counts the runs of alembic's upgrade (each still runs)."""
    from alembic import command

    runs = []
    upgrade = command.upgrade

    def counted(config, revision, **kwargs):
        runs.append(revision)
        return upgrade(config, revision, **kwargs)

    monkeypatch.setattr(command, "upgrade", counted)
    return runs


def test_a_database_at_head_is_checked_without_alembic(engine, alembic_runs):
    db.upgrade_to_head(engine)
    db.upgrade_to_head(db.make_engine(str(engine.url)))  # another process starting
    assert alembic_runs == []


def test_a_database_behind_head_is_upgraded_by_alembic(db_url, alembic_runs):
    from alembic import command

    engine = db.make_engine(db_url)
    command.upgrade(db._alembic_config(engine), "0003")
    alembic_runs.clear()
    db.upgrade_to_head(engine)
    assert alembic_runs == ["head"]
    assert db.current_revision(engine) == db.head_revision()
    engine.dispose()


def test_a_new_database_is_created_by_alembic(db_url, alembic_runs):
    engine = db.make_engine(db_url)
    db.upgrade_to_head(engine)
    assert alembic_runs == ["head"] and db.has_table(engine, "lead")
    engine.dispose()
