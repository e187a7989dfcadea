"""Putting a backup back: :func:`restore_sqlite` checks the backup, migrates it to this
version's schema on a copy, keeps the current database as a safety copy and swaps the new
file in atomically; refused while the app has the database open."""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from smarketing import config
from smarketing.auth import audit
from smarketing.errors import InvalidInput, SmarketingError
from smarketing.i18n import _
from smarketing.ops.backup import (
    BackupInfo,
    InvalidBackup,
    inspect_copy,
    online_copy,
    open_sqlite,
    self_contained,
    sqlite_path,
)
from smarketing.ops.files import BackupError, fsync, publish, remove, sidecars, temp_beside
from smarketing.store import db
from smarketing.store.file_modes import copy_private, private_folder

SQLITE_HEADER = b"SQLite format 3\x00"


class RestoreCancelled(BackupError):
    """The person answered no: nothing was changed."""


@dataclass(frozen=True)
class RestoreResult:
    """What :func:`restore_sqlite` did."""

    target: Path
    backup: BackupInfo
    safety_copy: Path | None
    revision: str | None
    seconds: float

    @property
    def migrated(self) -> bool:
        """True when the backup's schema was upgraded to this version's."""
        return self.revision != self.backup.revision


def _known_revisions() -> set[str]:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    cfg = Config()
    cfg.set_main_option("script_location", str(db.MIGRATIONS))
    return {s.revision for s in ScriptDirectory.from_config(cfg).walk_revisions()}


def _stage(backup: Path, staging: Path) -> BackupInfo:
    """Copy the backup (and a WAL beside it) to ``staging``, check it is a smarketing
    database this version knows, and make it self-contained."""
    if not backup.is_file():
        raise InvalidBackup(_("no backup file at {path}").format(path=backup))
    with backup.open("rb") as fh:
        if fh.read(len(SQLITE_HEADER)) != SQLITE_HEADER:
            raise InvalidBackup(
                _(
                    "{path} is not a SQLite database (a backup made by `python -m smarketing "
                    "backup` is one)"
                ).format(path=backup)
            )
    copy_private(backup, staging)
    wal = Path(f"{backup}-wal")
    if wal.is_file():  # a copy taken with cp next to its WAL
        copy_private(wal, f"{staging}-wal")
    try:
        conn = open_sqlite(staging)
        try:
            info = inspect_copy(conn, staging)
            self_contained(conn)
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise InvalidBackup(
            _("{path} cannot be read as a SQLite database: {problem}").format(
                path=backup, problem=exc
            )
        ) from exc
    if "alembic_version" not in info.tables or info.revision is None:
        raise InvalidBackup(
            _(
                "{path} is a SQLite database but not a smarketing one (no alembic_version table)"
            ).format(path=backup)
        )
    if info.revision not in _known_revisions():
        raise InvalidBackup(
            _(
                "{path} has schema {revision}, which this version of smarketing does not know "
                "(the backup comes from a newer version): upgrade smarketing first"
            ).format(path=backup, revision=info.revision)
        )
    return BackupInfo(
        path=backup, size=backup.stat().st_size, tables=info.tables, revision=info.revision
    )


def _migrate(staging: Path, *, actor: str, backup: Path) -> str | None:
    """Upgrade the staged copy to this version's schema and note the restore in its audit log."""
    engine = db.make_engine(f"sqlite:///{staging}")
    try:
        db.upgrade_to_head(engine)
        with db.session_scope(engine) as s:
            audit.record(s, actor, "restore", "database", None, backup=backup.name)
            db.bump_data_version(s)
        revision = db.current_revision(engine)
    except (SQLAlchemyError, SmarketingError) as exc:
        raise InvalidBackup(
            _("cannot bring {path} up to the current schema: {problem}").format(
                path=backup, problem=exc
            )
        ) from exc
    finally:
        engine.dispose()
    conn = open_sqlite(staging)
    try:
        self_contained(conn)
    finally:
        conn.close()
    return revision


def _safety_path(target: Path, now: datetime) -> Path:
    stamp = now.astimezone(config.business_tz()).strftime("%Y%m%dT%H%M%S")
    path = target.with_name(f"{target.stem}.before-restore-{stamp}.db")
    n = 2
    while path.exists():
        path = target.with_name(f"{target.stem}.before-restore-{stamp}-{n}.db")
        n += 1
    return path


def _safety_copy(target: Path, now: datetime) -> Path:
    """A copy of the current database next to it; a raw file copy if SQLite cannot read it."""
    path = _safety_path(target, now)
    tmp = temp_beside(path)
    try:
        try:
            online_copy(target, tmp, check=False)
        except sqlite3.Error:  # a damaged database: keep its bytes as they are
            remove(tmp)
            copy_private(target, tmp)
            if Path(f"{target}-wal").is_file():
                copy_private(f"{target}-wal", f"{path}-wal")
        publish(tmp, path, overwrite=False)
    finally:
        remove(tmp)
    return path


def _checkpoint(target: Path) -> None:
    """Fold the target's WAL into its file, best effort (a safety copy already exists)."""
    try:
        conn = open_sqlite(target)
        try:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            conn.close()
    except sqlite3.Error:
        pass


def _refuse_if_in_use(target: Path) -> None:
    """Refuse while another connection has the database open (detectable in WAL mode, which
    the app always uses): replacing the file under a running app would lose its writes."""
    if not target.exists():
        return
    try:
        conn = sqlite3.connect(
            f"{target.resolve().as_uri()}?mode=rw", uri=True, timeout=0.5, isolation_level=None
        )
    except sqlite3.Error:
        return
    try:
        conn.execute("PRAGMA locking_mode=EXCLUSIVE")
        conn.execute("BEGIN EXCLUSIVE")
        conn.execute("ROLLBACK")
    except sqlite3.OperationalError as exc:
        code = getattr(exc, "sqlite_errorcode", 0) & 0xFF  # the primary code
        if code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
            raise BackupError(
                _(
                    "the database {path} is in use: stop the app (and any other smarketing "
                    "command) first, then restore again"
                ).format(path=target)
            ) from exc
    except sqlite3.Error:
        pass  # not readable as a database: the safety copy keeps its bytes as they are
    finally:
        conn.close()


def restore_sqlite(
    backup: Path | str,
    url: Engine | str | None = None,
    *,
    now: datetime | None = None,
    actor: str = "cli",
    confirm: Callable[[BackupInfo], bool] | None = None,
    progress: Callable[[str], None] | None = None,
) -> RestoreResult:
    """Replace the SQLite database with a checked backup, migrated to this version's schema.

    Everything is prepared on a copy in the database's folder first: the backup must be a
    SQLite file with a smarketing schema that passes the integrity check; an older schema is
    upgraded. ``confirm`` (given what the backup holds) may still say no. Then the current
    database is copied to ``<name>.before-restore-YYYYmmddTHHMMSS.db`` beside it, its WAL is
    folded in and removed, and the new file is renamed over it. Any failure before that rename
    leaves the current database as it was. Refused while the app has the database open.
    """
    started = time.perf_counter()
    say = progress or (lambda _text: None)
    backup = Path(backup)
    target = sqlite_path(url, backup, restoring=True)
    if backup.resolve() == target.resolve():
        raise InvalidInput(
            _("{path} is the database itself: nothing to restore").format(path=backup)
        )
    if isinstance(url, Engine):
        url.dispose()  # pooled connections would keep the old file open
    try:
        private_folder(target.parent)
    except OSError as exc:
        raise BackupError(
            _("cannot create the folder {path}: {problem}").format(
                path=target.parent, problem=exc.strerror
            )
        ) from exc
    _refuse_if_in_use(target)
    staging = temp_beside(target)
    try:
        say(_("checking {path} …").format(path=backup))
        info = _stage(backup, staging)
        revision = _migrate(staging, actor=actor, backup=backup)
        if revision != info.revision:
            say(
                _("upgraded the backup's schema from {old} to {new}").format(
                    old=info.revision, new=revision
                )
            )
        if confirm is not None and not confirm(info):
            raise RestoreCancelled(_("restore cancelled: nothing was changed"))
        safety = None
        _refuse_if_in_use(target)  # again: the app may have been started meanwhile
        if target.exists():
            safety = _safety_copy(target, now or datetime.now(UTC))
            say(_("kept the current database as {path}").format(path=safety))
            _checkpoint(target)
        for stale in sidecars(target):
            stale.unlink(missing_ok=True)
        fsync(staging)
        os.replace(staging, target)
        fsync(target.parent)
    except OSError as exc:
        raise BackupError(
            _("cannot restore into {path}: {problem}").format(
                path=target, problem=exc.strerror or exc
            )
        ) from exc
    finally:
        remove(staging)
    return RestoreResult(
        target=target,
        backup=info,
        safety_copy=safety,
        revision=revision,
        seconds=time.perf_counter() - started,
    )
