"""Backups of the SQLite store: where the database is (for PostgreSQL, the pg_dump command to
run instead) and a checked copy taken with SQLite's online backup API (safe while the app
runs; what sits in the WAL is included), written atomically by :func:`backup_sqlite`."""

from __future__ import annotations

import shlex
import sqlite3
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import ArgumentError

from smarketing import config
from smarketing.errors import DatabaseUnavailable, InvalidInput
from smarketing.i18n import _
from smarketing.ops.files import BackupError, check_out, publish, remove, temp_beside
from smarketing.store.file_modes import create_private

BUSY_TIMEOUT_S = 30


class InvalidBackup(BackupError):
    """The file is not a usable smarketing backup (nothing was changed)."""


class UseDatabaseTools(BackupError):
    """The database is not SQLite: the message names the command to run instead."""


@dataclass(frozen=True)
class BackupInfo:
    """What a checked SQLite copy holds."""

    path: Path
    size: int
    tables: dict[str, int]
    revision: str | None

    @property
    def rows(self) -> int:
        """Rows in every table together."""
        return sum(self.tables.values())


@dataclass(frozen=True)
class BackupResult(BackupInfo):
    """A backup written by :func:`backup_sqlite`."""

    seconds: float = 0.0


# --- where the database is ----------------------------------------------------------------


def _url(engine_or_url: Engine | str | None) -> URL:
    if isinstance(engine_or_url, Engine):
        return engine_or_url.url
    text = str(engine_or_url or config.database_url())
    try:
        return make_url(text)
    except ArgumentError as exc:
        raise InvalidInput(
            _("database URL {text!r} is not a valid SQLAlchemy URL").format(text=text)
        ) from exc


def _quoted_url(url: URL) -> str:
    """The URL for libpq tools (no SQLAlchemy driver), password hidden, quoted for a shell."""
    shown = url.set(drivername="postgresql").render_as_string(hide_password=True)
    return "'" + shown.replace("'", "'\"'\"'") + "'"


def pg_dump_command(url: Engine | str, out: Path | str) -> str:
    """The `pg_dump` command that backs up a PostgreSQL database (password hidden), in a
    subshell with umask 077: the dump holds password hashes, so it is made 0600."""
    return (
        f"(umask 077 && pg_dump --format=custom --file {shlex.quote(str(out))} "
        f"{_quoted_url(_url(url))})"
    )


def pg_restore_command(url: Engine | str, backup: Path | str) -> str:
    """The `pg_restore` command that puts a `pg_dump` backup back (password hidden)."""
    return (
        f"pg_restore --clean --if-exists --no-owner --dbname {_quoted_url(_url(url))} "
        f"{shlex.quote(str(backup))}"
    )


def _pg_guidance(url: URL, file: Path | str, *, restoring: bool) -> UseDatabaseTools:
    dump, restore = pg_dump_command(url, file), pg_restore_command(url, file)
    steps = (
        _("restore a pg_dump backup with: {restore} (take one with: {dump})")
        if restoring
        else _("back it up with: {dump} (restore it with: {restore})")
    ).format(dump=dump, restore=restore)
    secret = (
        _("; the password is shown as ***: give it in PGPASSWORD or ~/.pgpass")
        if url.password
        else ""
    )
    return UseDatabaseTools(
        _("the database is PostgreSQL, which has its own tools: {steps}").format(steps=steps)
        + secret
    )


def sqlite_path(engine_or_url: Engine | str | None, file: Path | str, *, restoring=False) -> Path:
    """The SQLite file behind the URL; for PostgreSQL an error naming pg_dump/pg_restore."""
    url = _url(engine_or_url)
    backend = url.get_backend_name()
    if backend == "postgresql":
        raise _pg_guidance(url, file, restoring=restoring)
    if backend != "sqlite":
        raise UseDatabaseTools(
            _(
                "backup and restore handle SQLite files; use {backend}'s own dump tool instead"
            ).format(backend=backend)
        )
    database = url.database or ""
    if not database or database == ":memory:" or database.startswith("file:"):
        raise InvalidInput(
            _(
                "{url} is not a SQLite file path: give a URL like sqlite:///data/smarketing.db"
            ).format(url=url.render_as_string())
        )
    return Path(database)


# --- SQLite copies ------------------------------------------------------------------------


def open_sqlite(path: Path) -> sqlite3.Connection:
    """A connection to an existing SQLite file (never creates one)."""
    conn = sqlite3.connect(
        f"{path.resolve().as_uri()}?mode=rw", uri=True, timeout=BUSY_TIMEOUT_S, isolation_level=None
    )
    conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_S * 1000}")
    return conn


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def inspect_copy(conn: sqlite3.Connection, path: Path) -> BackupInfo:
    """Integrity check, then the tables with their row counts and the schema revision."""
    problems = [row[0] for row in conn.execute("PRAGMA integrity_check(5)")]
    if problems != ["ok"]:
        raise InvalidBackup(
            _("{path} fails SQLite's integrity check: {problems}").format(
                path=path, problems="; ".join(problems)
            )
        )
    names = [
        row[0]
        for row in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name"
        )
    ]
    tables = {n: conn.execute(f"SELECT count(*) FROM {_quote(n)}").fetchone()[0] for n in names}
    revision = None
    if "alembic_version" in tables:
        row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
        revision = row[0] if row else None
    return BackupInfo(path=path, size=path.stat().st_size, tables=tables, revision=revision)


def self_contained(conn: sqlite3.Connection) -> None:
    """Fold any WAL into the file and leave it in rollback-journal mode: one file, no sidecars."""
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.execute("PRAGMA journal_mode=DELETE")


def online_copy(source: Path, tmp: Path, *, check: bool) -> BackupInfo | None:
    """Copy ``source`` into ``tmp`` with the online backup API (one step: one consistent
    snapshot, writers are not blocked in WAL mode); check it when asked."""
    src = open_sqlite(source)
    try:
        create_private(tmp)  # 0600 before SQLite creates it (it would be 0644, and its journal)
        dst = sqlite3.connect(tmp, isolation_level=None)
        try:
            src.backup(dst)
            dst.execute("PRAGMA journal_mode=DELETE")
            return inspect_copy(dst, tmp) if check else None
        finally:
            dst.close()
    finally:
        src.close()


def backup_sqlite(
    engine_or_url: Engine | str | None, out: Path | str, *, overwrite: bool = False
) -> BackupResult:
    """Write a checked copy of the SQLite database to ``out`` (atomically: a temporary file in
    the same folder, then a rename). Raises :class:`UseDatabaseTools` for PostgreSQL."""
    started = time.perf_counter()
    source = sqlite_path(engine_or_url, out)
    out = Path(out)
    if not source.is_file():
        raise DatabaseUnavailable(
            _("no database at {path}: nothing to back up").format(path=source)
        )
    out = check_out(out, overwrite=overwrite, example="smarketing-backup.db")
    if out.resolve() == source.resolve():
        raise InvalidInput(
            _("{path} is the database itself: write the backup to another file").format(path=out)
        )
    tmp = temp_beside(out)
    try:
        info = online_copy(source, tmp, check=True)
        assert info is not None
        publish(tmp, out, overwrite=overwrite)
    except sqlite3.Error as exc:
        raise BackupError(
            _("cannot back up {path}: {problem}").format(path=source, problem=exc)
        ) from exc
    except OSError as exc:
        raise BackupError(
            _("cannot write the backup {path}: {problem}").format(
                path=out, problem=exc.strerror or exc
            )
        ) from exc
    finally:
        remove(tmp)
    return BackupResult(
        path=out,
        size=out.stat().st_size,
        tables=info.tables,
        revision=info.revision,
        seconds=time.perf_counter() - started,
    )
