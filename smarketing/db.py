"""Engine from SMARKETING_DATABASE_URL, sessions, migrations and the data version."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import event, inspect
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import ArgumentError, OperationalError
from sqlmodel import Session, create_engine, select

from smarketing import config
from smarketing.errors import DatabaseUnavailable, InvalidInput
from smarketing.models import Setting, utcnow

MIGRATIONS = config.ROOT / "migrations"
BUSY_TIMEOUT_MS = 5000


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def make_engine(url: str | None = None) -> Engine:
    """An engine for the URL (default: the configured one); SQLite gets WAL and a busy timeout."""
    url = url or config.database_url()
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise InvalidInput(f"database URL {url!r} is not a valid SQLAlchemy URL") from exc
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:" and not database.startswith("file:"):
            folder = Path(database).resolve().parent
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                raise DatabaseUnavailable(
                    f"cannot create the database folder {folder}: {exc.strerror}"
                ) from exc
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        if database and database != ":memory:":
            event.listen(engine, "connect", _sqlite_pragmas)
        else:
            event.listen(engine, "connect", lambda c, r: c.execute("PRAGMA foreign_keys=ON"))
        return engine
    return create_engine(url, pool_pre_ping=True)


def _alembic_config(engine: Engine):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade_to_head(engine: Engine) -> None:
    """Bring the schema up to the newest migration (creates the database when new)."""
    from alembic import command

    try:
        command.upgrade(_alembic_config(engine), "head")
    except OperationalError as exc:
        raise DatabaseUnavailable(
            f"cannot open or migrate the database at {engine.url.render_as_string()}: {exc.orig}"
        ) from exc


def current_revision(engine: Engine) -> str | None:
    """The schema's current Alembic revision, or None for an empty database."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def has_table(engine: Engine, name: str) -> bool:
    """True when the database holds the table."""
    return inspect(engine).has_table(name)


@contextmanager
def session_scope(engine: Engine) -> Iterator[Session]:
    """A session that commits on success and rolls back on any error."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except Exception:
            session.rollback()
            raise


def get_setting(session: Session, key: str, default: str | None = None) -> str | None:
    """A stored setting's value."""
    row = session.get(Setting, key)
    return row.value if row else default


def set_setting(session: Session, key: str, value: str) -> None:
    """Store a setting (no commit)."""
    row = session.get(Setting, key) or Setting(key=key)
    row.value = value
    row.updated_at = utcnow()
    session.add(row)


def data_version(session: Session) -> int:
    """A counter every write bumps; cached aggregates are keyed by it."""
    return int(get_setting(session, "data_version", "0") or 0)


def bump_data_version(session: Session) -> None:
    """Mark the data as changed so cached aggregates are recomputed (no commit)."""
    row = session.exec(select(Setting).where(Setting.key == "data_version")).first()
    value = int(row.value) + 1 if row else 1
    set_setting(session, "data_version", str(value))


def url_for_display(url: str | None = None) -> str:
    """The database URL with any password hidden."""
    return make_url(url or config.database_url()).render_as_string(hide_password=True)


def is_sqlite(engine: Engine) -> bool:
    """True for a SQLite engine."""
    return engine.dialect.name == "sqlite"


def env_flag(name: str) -> bool:
    """True when the environment variable is set to 1/true/yes."""
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes"}
