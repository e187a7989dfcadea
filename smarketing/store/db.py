"""Engine from SMARKETING_DATABASE_URL, sessions, migrations and the data version."""

from __future__ import annotations

import ast
import contextlib
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Integer, String, cast, event, inspect, select, text, update
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, DatabaseError, DBAPIError, OperationalError
from sqlmodel import Session, create_engine

from smarketing import config
from smarketing.errors import (
    DatabaseBusy,
    DatabaseConnectionLost,
    DatabaseUnavailable,
    InvalidInput,
)
from smarketing.store import file_modes, rollup
from smarketing.store.models import Setting, utcnow

MIGRATIONS = config.ROOT / "migrations"
#: How long a write waits for another writer (e.g. a CRM import holding SQLite's one write
#: lock) before it fails with "database is locked"; measured in benchmarks/load_test.py.
BUSY_TIMEOUT_MS = 20_000
#: Connections per app process (20 people at once used all 15 of SQLAlchemy's default).
POOL_SIZE, MAX_OVERFLOW = 20, 20
#: Seconds to wait for a PostgreSQL server to answer a new connection (unless the URL sets it).
CONNECT_TIMEOUT_S = 10
#: The hint every "fix the URL" message ends with.
URL_HINT = "SMARKETING_DATABASE_URL (or --db)"


#: SQLite's own default: a commit that leaves more WAL frames than this checkpoints them.
AUTOCHECKPOINT_PAGES = 1000


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute(f"PRAGMA wal_autocheckpoint={AUTOCHECKPOINT_PAGES}")
    cur.close()


def _bulk_writes_end(dbapi_conn, record) -> None:
    """A connection set up for bulk writes (:func:`bulk_writes`) is an ordinary one again
    when it goes back to the pool."""
    if not record.info.pop("bulk_writes", False) or dbapi_conn is None:
        return  # (an invalidated connection: its next one starts ordinary)
    try:
        cur = dbapi_conn.cursor()
        cur.execute(f"PRAGMA wal_autocheckpoint={AUTOCHECKPOINT_PAGES}")
        cur.execute("PRAGMA temp_store=DEFAULT")
        cur.close()
    except Exception:  # (never back in the pool as a bulk one)
        record.invalidate()


def bulk_writes(conn: Connection) -> None:
    """On SQLite, set this connection (outside a transaction) up for a long run of short
    write transactions (an import's or a sync's batches) until it goes back to the pool;
    elsewhere nothing:

    * its commits leave the WAL as it is (no automatic checkpoint): the run checkpoints on
      its own, outside the write lock (:func:`checkpoint`). A checkpoint in every batch's
      commit copied the same index pages to the database again and again, under the lock;
    * its statement journals are kept in memory (``temp_store``): a row inserted into
      ``lead`` also writes ``rollup_log`` (a trigger), so SQLite keeps a journal of every
      page the statement changes, in a temporary file, to undo the statement alone if it
      fails. With nine indexes on ``lead`` that file cost more than the inserts themselves.
      (Only for these connections: a page's large sort would keep its temporary data in
      memory too.)"""
    if conn.dialect.name != "sqlite":
        return
    conn.exec_driver_sql("PRAGMA wal_autocheckpoint=0")
    conn.exec_driver_sql("PRAGMA temp_store=MEMORY")
    conn.connection.info["bulk_writes"] = True


def checkpoint(engine: Engine) -> None:
    """On SQLite, copy what the WAL holds into the database file as far as readers allow
    (a PASSIVE checkpoint: writers and readers go on meanwhile); elsewhere nothing."""
    if engine.dialect.name != "sqlite":
        return
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")


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
                file_modes.private_folder(folder)
            except OSError as exc:
                why = (
                    "a file is in the way"
                    if isinstance(exc, FileExistsError | NotADirectoryError)
                    else exc.strerror
                )
                raise DatabaseUnavailable(
                    f"cannot create the folder {folder} for the SQLite database ({why}): "
                    f"create it, or set {URL_HINT} to a file in a folder this user may write"
                ) from exc
            if "mode" not in parsed.query:  # mode=ro/memory: SQLite must not get a new file
                _create_private_database(Path(database).resolve())
        engine = create_engine(
            url,
            connect_args={"check_same_thread": False, "timeout": 30},
            **(
                {"pool_size": POOL_SIZE, "max_overflow": MAX_OVERFLOW}
                if database and database != ":memory:"
                else {}
            ),
        )
        if database and database != ":memory:":
            event.listen(engine, "connect", _sqlite_pragmas)
            event.listen(engine, "checkin", _bulk_writes_end)
        else:
            event.listen(engine, "connect", lambda c, r: c.execute("PRAGMA foreign_keys=ON"))
        return engine
    connect_args = {}
    libpq = parsed.get_driver_name() in {"psycopg", "psycopg2"}
    if libpq and "connect_timeout" not in parsed.query:  # a host that never answers
        connect_args["connect_timeout"] = CONNECT_TIMEOUT_S
    # pre-ping: a connection the server dropped (restart, failover) is replaced on checkout
    return create_engine(
        url,
        pool_pre_ping=True,
        connect_args=connect_args,
        pool_size=POOL_SIZE,
        max_overflow=MAX_OVERFLOW,
    )


def _create_private_database(path: Path) -> None:
    """Create a new SQLite file with mode 0600 before SQLite does (it would make it 0644 and
    give its -wal and -shm files the same mode); a new database in the data folder also makes
    that folder 0700. Where the file cannot be made, SQLite's own error says why later."""
    try:
        created = file_modes.create_private(path)
    except OSError:
        return
    if created and path.parent == config.data_dir().resolve():
        with contextlib.suppress(OSError):
            path.parent.chmod(file_modes.PRIVATE_DIR)


def mode_problems(url: str | URL | None = None) -> list[file_modes.ModeProblem]:
    """The private files of this store open to group or others (none for PostgreSQL)."""
    return file_modes.mode_problems(sqlite_file(url or config.database_url()), config.data_dir())


def _alembic_config(engine: Engine):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


#: A migration's ``revision = '0004'`` or ``down_revision: str | None = '0003'`` line.
_REVISION_LINE = re.compile(r"^(revision|down_revision)\s*(?::[^=\n]*)?=\s*(.*?)\s*$", re.M)


def head_revision(versions: Path | None = None) -> str | None:
    """The newest migration's revision id, read from the files of ``migrations/versions``
    without importing alembic (which takes a third of a second to import). None when the
    files are not one simple line of revisions (a branch, a merge, a value that is not a
    plain string): then only alembic can say."""
    revisions: set[str] = set()
    parents: set[str] = set()
    for path in (versions or MIGRATIONS / "versions").glob("*.py"):
        found = dict(m.groups() for m in _REVISION_LINE.finditer(path.read_text("utf-8")))
        try:
            revision = ast.literal_eval(found.get("revision", ""))
            parent = ast.literal_eval(found.get("down_revision", ""))
        except (ValueError, SyntaxError):
            return None
        if not isinstance(revision, str) or not isinstance(parent, str | None):
            return None
        revisions.add(revision)
        if parent is not None:
            parents.add(parent)
    heads = revisions - parents
    return heads.pop() if len(heads) == 1 and parents <= revisions else None


def _at_head(engine: Engine) -> bool:
    """True when the database's one ``alembic_version`` row is the newest migration: a
    plain query, so a database that needs nothing costs no alembic."""
    head = head_revision()
    if head is None:
        return False
    with engine.connect() as conn:
        if not engine.dialect.has_table(conn, "alembic_version"):
            return False
        stored = conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    return stored == [head]


def upgrade_to_head(engine: Engine) -> None:
    """Bring the schema up to the newest migration (creates the database when new). A
    database already there is only checked (its revision, and that it can be written):
    alembic is imported and run only when there is something to do."""
    try:
        if not _at_head(engine):
            from alembic import command

            command.upgrade(_alembic_config(engine), "head")
        _check_writable(engine)
        rollup.ensure(engine)
    except DBAPIError as exc:
        problem = unavailable(exc, engine.url)
        if problem is None and not isinstance(exc, OperationalError):
            raise
        raise problem or DatabaseUnavailable(
            f"cannot open or migrate the database at {url_for_display(engine.url)}: "
            f"{_one_line(exc.orig)}"
        ) from exc


def _check_writable(engine: Engine) -> None:
    """Fail now, not at the first login, when the database can be read but not written."""
    with engine.connect() as conn, conn.begin() as transaction:
        conn.execute(text("UPDATE alembic_version SET version_num = version_num"))
        transaction.rollback()


def _one_line(error: object) -> str:
    return " ".join(str(error).split())


def _writable(path: Path) -> bool:
    """True when this process may write ``path`` (as root too: the effective capabilities)."""
    effective = os.access in os.supports_effective_ids
    return os.access(path, os.W_OK, effective_ids=effective)


def sqlite_file(url: str | URL) -> Path | None:
    """The file of a SQLite URL (also ``file:`` URIs); None for memory or other databases."""
    parsed = make_url(url)
    database = parsed.database or ""
    if parsed.get_backend_name() != "sqlite" or database in {"", ":memory:"}:
        return None
    if database.startswith("file:"):
        database = database.removeprefix("file:").split("?", 1)[0]
        if not database or database == ":memory:" or parsed.query.get("mode") == "memory":
            return None
    return Path(database).resolve()


def _sqlite_problem(message: str, path: Path, url: URL) -> DatabaseUnavailable | None:
    text_ = message.lower()
    folder = path.parent
    if "locked" in text_:
        return DatabaseBusy(
            f"the database {path} is busy: another writer has held its lock for more "
            f"than {BUSY_TIMEOUT_MS / 1000:g} s (a long import, a backup or an open sqlite3 "
            "shell?); try again in a moment"
        )
    if "readonly" in text_ or "read-only" in text_:
        if url.query.get("mode") == "ro":
            return DatabaseUnavailable(
                f"the database URL opens {path} read-only (mode=ro); Smarketing writes (logins, "
                f"imports, notes): remove mode=ro from {URL_HINT}"
            )
        if path.exists() and not _writable(path):
            return DatabaseUnavailable(
                f"the database file {path} is read-only for this user: make it writable "
                f"(chmod u+w, or chown it to the user that runs Smarketing)"
            )
        if not _writable(folder):
            return DatabaseUnavailable(
                f"the folder {folder} of the database is read-only for this user, and SQLite "
                f"must write {path.name}-wal and {path.name}-shm there: make the folder writable"
            )
        return DatabaseUnavailable(
            f"the database {path} cannot be written ({message}): check the file system is "
            "not mounted read-only"
        )
    if "unable to open" in text_ or "cannot open" in text_:
        if path.is_dir():
            return DatabaseUnavailable(
                f"{path} is a folder, not a SQLite database file: set {URL_HINT} to a file path"
            )
        if not folder.is_dir():
            return DatabaseUnavailable(
                f"cannot open the database {path}: the folder {folder} does not exist; "
                f"create it, or set {URL_HINT} to a file in an existing folder"
            )
        if not _writable(folder):
            return DatabaseUnavailable(
                f"cannot open the database {path}: the folder {folder} is read-only for this "
                f"user, and SQLite must create files there ({path.name}, {path.name}-wal, "
                f"{path.name}-shm): make the folder writable"
            )
        return DatabaseUnavailable(
            f"cannot open the database {path} ({message}): check that this user may read and "
            "write the file and its folder"
        )
    if "not a database" in text_ or "malformed" in text_ or "encrypted" in text_:
        return DatabaseUnavailable(
            f"{path} is not a usable SQLite database ({message}): set {URL_HINT} to the right "
            "file, or move this one away to start afresh (`python -m smarketing restore` puts "
            "a backup back)"
        )
    if "disk is full" in text_ or "disk i/o" in text_:
        return DatabaseUnavailable(
            f"the disk holding {path} failed ({message}): free space or check the disk, then "
            "try again (SQLite's WAL mode does not work on network file systems)"
        )
    return None


#: PostgreSQL error codes (SQLSTATE) that mean "busy now, may work in a moment".
_PG_BUSY = {"40001", "40P01", "55P03", "57014", "53300"}
#: Connection-level SQLSTATEs: admin/crash shutdown, cannot connect now.
_PG_GONE = {"57P01", "57P02", "57P03"}


def _server_problem(exc: DBAPIError, url: URL) -> DatabaseUnavailable | None:
    shown = url_for_display(url)
    message = _one_line(exc.orig)
    sqlstate = getattr(exc.orig, "sqlstate", None) or ""
    if sqlstate in _PG_BUSY:
        return DatabaseBusy(f"the database at {shown} is busy ({message}); try again in a moment")
    if sqlstate == "25006":
        return DatabaseUnavailable(
            f"the database at {shown} is read-only ({message}): point {URL_HINT} at the "
            "primary server, not a standby"
        )
    if sqlstate == "53100":
        return DatabaseUnavailable(f"the database server at {shown} is out of disk ({message})")
    if message.startswith("connection failed:") or "could not connect" in message:
        reason = message.rsplit(" failed: ", 1)[-1].split(" Is the server running")[0]
        if "too many" in reason:
            return DatabaseBusy(
                f"the database server at {shown} has no free connections ({reason}); try "
                "again in a moment"
            )
        if "FATAL" in reason and not any(
            word in reason for word in ("starting up", "shutting down", "recovery")
        ):
            return DatabaseUnavailable(
                f"the database server at {shown} refused the connection ({reason}): check the "
                f"user, password and database name in {URL_HINT}"
            )
        return DatabaseConnectionLost(
            f"the database server at {shown} does not answer ({reason}): check that it is "
            f"running and that the host and port in {URL_HINT} are right"
        )
    if (
        exc.connection_invalidated
        or sqlstate in _PG_GONE
        or sqlstate.startswith("08")
        or (isinstance(exc, OperationalError) and not sqlstate)
    ):
        return DatabaseConnectionLost(
            f"the database connection was lost: the server at {shown} ended it ({message}); "
            "it may be restarting"
        )
    return None


def unavailable(exc: BaseException, url: str | URL | None = None) -> DatabaseUnavailable | None:
    """What a database error means for a person (busy, gone, read-only, not a database …),
    or None when it is not about the database being unusable (a bug: let it raise)."""
    if not isinstance(exc, DBAPIError):
        return None
    url = make_url(url or config.database_url())
    path = sqlite_file(url)
    if url.get_backend_name() == "sqlite":
        if path is None or not isinstance(exc, DatabaseError):
            return None
        return _sqlite_problem(_one_line(exc.orig), path, url)
    return _server_problem(exc, url)


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


@contextmanager
def write_transaction(engine: Engine, *, bulk: bool = False) -> Iterator[Connection]:
    """A connection in a transaction that holds the right to write from its first statement:
    on SQLite ``BEGIN IMMEDIATE`` takes the one write lock at once (waiting up to the busy
    timeout), so what the transaction reads stays true until it commits; a deferred
    transaction would read without the lock and could fail at its first write. On
    PostgreSQL an ordinary transaction (lock rows with ``FOR UPDATE``). Commits on success,
    rolls back on any error. ``bulk``: one of a long run of batches (:func:`bulk_writes`)."""
    with engine.connect() as conn:
        if bulk:
            bulk_writes(conn)
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        try:
            yield conn
            conn.commit()
        except BaseException:
            conn.rollback()
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


def versions(session: Session) -> tuple[int, int]:
    """The data version and the website-activity version, read together: the key of what
    counts website activities (hot leads, the newest timestamp)."""
    found = dict(
        session.execute(
            select(Setting.key, Setting.value).where(
                Setting.key.in_(("data_version", "activity_version"))
            )
        ).all()
    )
    return int(found.get("data_version") or 0), int(found.get("activity_version") or 0)


def bump_data_version(session: Session) -> None:
    """Mark the data as changed so cached aggregates are recomputed (no commit).

    One atomic UPDATE (value + 1 in SQL), so two writes at the same moment move the counter
    by two — a read-then-write lost bumps on PostgreSQL under load. First, in the same
    transaction, the daily rollups catch up with the leads this write changed
    (``rollup.refresh``): every write path bumps, so every write path keeps them in step."""
    _bump(session, "data_version")


def bump_activity_version(session: Session) -> None:
    """Mark that website activities (page views, form submissions, e-mail clicks: no sales
    contact, no lead changed) were added (no commit): only what counts those is recomputed
    (``versions``); the figures, keyed by the data version, stay cached. The event
    intake bumps this one, every few seconds while a website sends events."""
    _bump(session, "activity_version")


def _bump(session: Session, key: str) -> None:
    session.flush()
    rollup.refresh(session.connection())
    bumped = session.execute(
        update(Setting)
        .where(Setting.key == key)
        .values(value=cast(cast(Setting.value, Integer) + 1, String), updated_at=utcnow())
        .execution_options(synchronize_session="fetch")
    ).rowcount
    if not bumped:
        set_setting(session, key, "1")


def url_for_display(url: str | URL | None = None) -> str:
    """The database URL with any password hidden."""
    return make_url(url or config.database_url()).render_as_string(hide_password=True)


def is_sqlite(engine: Engine) -> bool:
    """True for a SQLite engine."""
    return engine.dialect.name == "sqlite"


def env_flag(name: str) -> bool:
    """True when the environment variable is set to 1/true/yes."""
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes"}
