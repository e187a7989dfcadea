"""Backups of the SQLite store, restores, and the export zip for people who leave the tool.

:func:`backup_sqlite` takes a consistent copy with SQLite's online backup API (safe while the
app runs; what sits in the WAL is included), :func:`restore_sqlite` puts a backup back
(checked, migrated and swapped in atomically, the current database kept as a safety copy),
and :func:`export_zip` writes notes, decisions, actions, definitions, personas and briefs as
CSV and Markdown into one zip. PostgreSQL is backed up with its own tools: the error says how.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import os
import re
import secrets
import shlex
import shutil
import sqlite3
import time
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy.engine import URL, Engine, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlmodel import Session, select

from smarketing import config
from smarketing.auth import audit
from smarketing.errors import DatabaseUnavailable, InvalidInput, SmarketingError
from smarketing.store import db
from smarketing.store.models import (
    Action,
    ActionReview,
    BriefFields,
    BriefStatus,
    BriefVersion,
    Campaign,
    Decision,
    Definition,
    Meeting,
    MeetingNote,
    MeetingStatus,
    Persona,
    PersonaBase,
    PersonaVersion,
)

SQLITE_HEADER = b"SQLite format 3\x00"
BUSY_TIMEOUT_S = 30


class BackupError(SmarketingError):
    """A backup, restore or export could not be made; the message says why and what to do."""


class InvalidBackup(BackupError):
    """The file is not a usable smarketing backup (nothing was changed)."""


class RestoreCancelled(BackupError):
    """The person answered no: nothing was changed."""


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


@dataclass
class ExportResult:
    """The zip written by :func:`export_zip`: its files, CSV row counts and size."""

    path: Path
    files: list[str] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)
    size: int = 0
    seconds: float = 0.0

    @property
    def markdown_files(self) -> list[str]:
        """The Markdown files in the zip."""
        return [f for f in self.files if f.endswith(".md")]


# --- where the database is -----------------------------------------------------------------


def _url(engine_or_url: Engine | str | None) -> URL:
    if isinstance(engine_or_url, Engine):
        return engine_or_url.url
    text = str(engine_or_url or config.database_url())
    try:
        return make_url(text)
    except ArgumentError as exc:
        raise InvalidInput(f"database URL {text!r} is not a valid SQLAlchemy URL") from exc


def _quoted_url(url: URL) -> str:
    """The URL for libpq tools (no SQLAlchemy driver), password hidden, quoted for a shell."""
    shown = url.set(drivername="postgresql").render_as_string(hide_password=True)
    return "'" + shown.replace("'", "'\"'\"'") + "'"


def pg_dump_command(url: Engine | str, out: Path | str) -> str:
    """The `pg_dump` command that backs up a PostgreSQL database (password hidden)."""
    return f"pg_dump --format=custom --file {shlex.quote(str(out))} {_quoted_url(_url(url))}"


def pg_restore_command(url: Engine | str, backup: Path | str) -> str:
    """The `pg_restore` command that puts a `pg_dump` backup back (password hidden)."""
    return (
        f"pg_restore --clean --if-exists --no-owner --dbname {_quoted_url(_url(url))} "
        f"{shlex.quote(str(backup))}"
    )


def _pg_guidance(url: URL, file: Path | str, *, restoring: bool) -> UseDatabaseTools:
    dump, restore = pg_dump_command(url, file), pg_restore_command(url, file)
    steps = (
        f"restore a pg_dump backup with: {restore} (take one with: {dump})"
        if restoring
        else f"back it up with: {dump} (restore it with: {restore})"
    )
    secret = (
        "; the password is shown as ***: give it in PGPASSWORD or ~/.pgpass" if url.password else ""
    )
    return UseDatabaseTools(f"the database is PostgreSQL, which has its own tools: {steps}{secret}")


def sqlite_path(engine_or_url: Engine | str | None, file: Path | str, *, restoring=False) -> Path:
    """The SQLite file behind the URL; for PostgreSQL an error naming pg_dump/pg_restore."""
    url = _url(engine_or_url)
    backend = url.get_backend_name()
    if backend == "postgresql":
        raise _pg_guidance(url, file, restoring=restoring)
    if backend != "sqlite":
        raise UseDatabaseTools(
            f"backup and restore handle SQLite files; use {backend}'s own dump tool instead"
        )
    database = url.database or ""
    if not database or database == ":memory:" or database.startswith("file:"):
        raise InvalidInput(
            f"{url.render_as_string()} is not a SQLite file path: give a URL like "
            "sqlite:///data/smarketing.db"
        )
    return Path(database)


# --- files ---------------------------------------------------------------------------------


def _temp_beside(path: Path, suffix: str = ".tmp") -> Path:
    """A fresh hidden name in the target's folder (so the final rename is atomic)."""
    return path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}{suffix}")


def _sidecars(path: Path) -> list[Path]:
    return [Path(f"{path}{s}") for s in ("-wal", "-shm", "-journal")]


def _remove(path: Path) -> None:
    for p in (path, *_sidecars(path)):
        with contextlib.suppress(OSError):
            p.unlink(missing_ok=True)


def _fsync(path: Path) -> None:
    """Flush a file (or, best effort, a folder) to disk."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # folders cannot be fsynced everywhere
    finally:
        os.close(fd)


def _exists_error(out: Path) -> InvalidInput:
    return InvalidInput(f"{out} already exists: choose another name or pass --overwrite")


def _publish(tmp: Path, out: Path, *, overwrite: bool) -> None:
    """Move the finished temporary file into place atomically (never over a file that
    appeared meanwhile unless ``overwrite``)."""
    _fsync(tmp)
    if overwrite:
        os.replace(tmp, out)
    else:
        try:
            os.link(tmp, out)
        except FileExistsError:
            raise _exists_error(out) from None
        except OSError:  # a file system without hard links
            if out.exists():
                raise _exists_error(out) from None
            os.replace(tmp, out)
    _fsync(out.parent)


def _check_out(out: Path, *, overwrite: bool, example: str) -> Path:
    out = Path(out)
    if out.is_dir():
        raise InvalidInput(f"{out} is a folder: give a file name, e.g. {out / example}")
    if out.exists() and not overwrite:
        raise _exists_error(out)
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BackupError(f"cannot create the folder {out.parent}: {exc.strerror}") from exc
    return out


# --- SQLite copies -------------------------------------------------------------------------


def _open(path: Path) -> sqlite3.Connection:
    """A connection to an existing SQLite file (never creates one)."""
    conn = sqlite3.connect(
        f"{path.resolve().as_uri()}?mode=rw", uri=True, timeout=BUSY_TIMEOUT_S, isolation_level=None
    )
    conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_S * 1000}")
    return conn


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _inspect(conn: sqlite3.Connection, path: Path) -> BackupInfo:
    """Integrity check, then the tables with their row counts and the schema revision."""
    problems = [row[0] for row in conn.execute("PRAGMA integrity_check(5)")]
    if problems != ["ok"]:
        raise InvalidBackup(f"{path} fails SQLite's integrity check: {'; '.join(problems)}")
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


def _self_contained(conn: sqlite3.Connection) -> None:
    """Fold any WAL into the file and leave it in rollback-journal mode: one file, no sidecars."""
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.execute("PRAGMA journal_mode=DELETE")


def _online_copy(source: Path, tmp: Path, *, check: bool) -> BackupInfo | None:
    """Copy ``source`` into ``tmp`` with the online backup API (one step: one consistent
    snapshot, writers are not blocked in WAL mode); check it when asked."""
    src = _open(source)
    try:
        dst = sqlite3.connect(tmp, isolation_level=None)
        try:
            src.backup(dst)
            dst.execute("PRAGMA journal_mode=DELETE")
            return _inspect(dst, tmp) if check else None
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
        raise DatabaseUnavailable(f"no database at {source}: nothing to back up")
    out = _check_out(out, overwrite=overwrite, example="smarketing-backup.db")
    if out.resolve() == source.resolve():
        raise InvalidInput(f"{out} is the database itself: write the backup to another file")
    tmp = _temp_beside(out)
    try:
        info = _online_copy(source, tmp, check=True)
        assert info is not None
        _publish(tmp, out, overwrite=overwrite)
    except sqlite3.Error as exc:
        raise BackupError(f"cannot back up {source}: {exc}") from exc
    except OSError as exc:
        raise BackupError(f"cannot write the backup {out}: {exc.strerror or exc}") from exc
    finally:
        _remove(tmp)
    return BackupResult(
        path=out,
        size=out.stat().st_size,
        tables=info.tables,
        revision=info.revision,
        seconds=time.perf_counter() - started,
    )


# --- restore -------------------------------------------------------------------------------


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
        raise InvalidBackup(f"no backup file at {backup}")
    with backup.open("rb") as fh:
        if fh.read(len(SQLITE_HEADER)) != SQLITE_HEADER:
            raise InvalidBackup(
                f"{backup} is not a SQLite database (a backup made by `python -m smarketing "
                "backup` is one)"
            )
    shutil.copyfile(backup, staging)
    wal = Path(f"{backup}-wal")
    if wal.is_file():  # a copy taken with cp next to its WAL
        shutil.copyfile(wal, f"{staging}-wal")
    try:
        conn = _open(staging)
        try:
            info = _inspect(conn, staging)
            _self_contained(conn)
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise InvalidBackup(f"{backup} cannot be read as a SQLite database: {exc}") from exc
    if "alembic_version" not in info.tables or info.revision is None:
        raise InvalidBackup(
            f"{backup} is a SQLite database but not a smarketing one (no alembic_version table)"
        )
    if info.revision not in _known_revisions():
        raise InvalidBackup(
            f"{backup} has schema {info.revision}, which this version of smarketing does not "
            "know (the backup comes from a newer version): upgrade smarketing first"
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
        raise InvalidBackup(f"cannot bring {backup} up to the current schema: {exc}") from exc
    finally:
        engine.dispose()
    conn = _open(staging)
    try:
        _self_contained(conn)
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
    tmp = _temp_beside(path)
    try:
        try:
            _online_copy(target, tmp, check=False)
        except sqlite3.Error:  # a damaged database: keep its bytes as they are
            _remove(tmp)
            shutil.copyfile(target, tmp)
            if Path(f"{target}-wal").is_file():
                shutil.copyfile(f"{target}-wal", f"{path}-wal")
        _publish(tmp, path, overwrite=False)
    finally:
        _remove(tmp)
    return path


def _checkpoint(target: Path) -> None:
    """Fold the target's WAL into its file, best effort (a safety copy already exists)."""
    try:
        conn = _open(target)
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
                f"the database {target} is in use: stop the app (and any other smarketing "
                "command) first, then restore again"
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
        raise InvalidInput(f"{backup} is the database itself: nothing to restore")
    if isinstance(url, Engine):
        url.dispose()  # pooled connections would keep the old file open
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BackupError(f"cannot create the folder {target.parent}: {exc.strerror}") from exc
    _refuse_if_in_use(target)
    staging = _temp_beside(target)
    try:
        say(f"checking {backup} …")
        info = _stage(backup, staging)
        revision = _migrate(staging, actor=actor, backup=backup)
        if revision != info.revision:
            say(f"upgraded the backup's schema from {info.revision} to {revision}")
        if confirm is not None and not confirm(info):
            raise RestoreCancelled("restore cancelled: nothing was changed")
        safety = None
        _refuse_if_in_use(target)  # again: the app may have been started meanwhile
        if target.exists():
            safety = _safety_copy(target, now or datetime.now(UTC))
            say(f"kept the current database as {safety}")
            _checkpoint(target)
        for stale in _sidecars(target):
            stale.unlink(missing_ok=True)
        _fsync(staging)
        os.replace(staging, target)
        _fsync(target.parent)
    except OSError as exc:
        raise BackupError(f"cannot restore into {target}: {exc.strerror or exc}") from exc
    finally:
        _remove(staging)
    return RestoreResult(
        target=target,
        backup=info,
        safety_copy=safety,
        revision=revision,
        seconds=time.perf_counter() - started,
    )


# --- export --------------------------------------------------------------------------------

#: Text that a spreadsheet would run as a formula starts with one of these.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
PERSONA_FIELDS = list(PersonaBase.model_fields)
BRIEF_FIELDS = list(BriefFields.model_fields)
PERSONA_SECTIONS = {
    "company_profile": "Company profile",
    "goals": "Goals",
    "challenges": "Challenges",
    "information_sources": "Where they look for information",
    "objections": "Objections",
    "messages": "Messages that work",
    "recognise": "How to recognise them",
}
NOTE_HEADER = [
    "meeting_id", "meeting", "meeting_date", "meeting_kind", "step", "author", "note",
    "revision", "created_at", "updated_at",
]  # fmt: skip
DECISION_HEADER = [
    "id", "decided_on", "decision", "decided_by", "metric", "sla_version", "meeting_id",
    "meeting", "meeting_date", "recorded_by", "recorded_at",
]  # fmt: skip
ACTION_HEADER = [
    "id", "action", "owner", "due_date", "status", "metric", "period_kind", "period_start",
    "carried_over", "drop_reason", "meeting_id", "meeting", "meeting_date", "created_by",
    "created_at", "closed_at", "reviews",
]  # fmt: skip
REVIEW_HEADER = [
    "action_id", "action", "meeting_id", "meeting", "meeting_date", "outcome", "note",
    "reviewed_by", "reviewed_at",
]  # fmt: skip
DEFINITION_HEADER = [
    "key", "version", "current", "term", "category", "position", "owner_team", "definition",
    "rule", "agreed_on", "agreed_by", "created_by", "created_at",
]  # fmt: skip
PERSONA_HEADER = [
    "persona_id", "persona", "version", "current", "archived", "saved_by", "saved_at",
    *PERSONA_FIELDS,
]  # fmt: skip
BRIEF_HEADER = [
    "campaign_id", "campaign", "status", "version", "persona", "channel", "start_date",
    "end_date", "lead_target", "saved_by", "saved_at", *BRIEF_FIELDS,
]  # fmt: skip
_FOLD = str.maketrans({"æ": "ae", "Æ": "Ae", "ø": "o", "Ø": "O", "ß": "ss", "đ": "d"})


def slugify(text: str, fallback: str = "untitled") -> str:
    """A file-name part: lower-case ASCII letters, digits and dashes (æ→ae, ø→o, å→a)."""
    ascii_text = unicodedata.normalize("NFKD", text.translate(_FOLD)).encode("ascii", "ignore")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.decode().lower()).strip("-")[:60].strip("-")
    return slug or fallback


def _cell(value: object) -> object:
    """A CSV cell: ISO times in UTC, ISO dates, yes/no, text safe from spreadsheet formulas."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return moment.astimezone(UTC).isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _json(text: str | None) -> dict:
    try:
        data = json.loads(text or "{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _day(value: datetime | None) -> str:
    """The business-timezone calendar day of a time."""
    return value.astimezone(config.business_tz()).date().isoformat() if value else ""


class _Zip:
    """A zip being written: every entry streamed in, stamped with the export time, listed."""

    def __init__(self, fh, now: datetime):
        self.zip = zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_DEFLATED)
        local = now.astimezone(config.business_tz())
        self.stamp = (max(local.year, 1980), *local.timetuple()[1:6])
        self.listing: dict[str, str] = {}
        self.rows: dict[str, int] = {}

    def _info(self, name: str) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(name, date_time=self.stamp)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        return info

    def csv(self, name: str, header: list[str], rows: Iterable[Iterable], what: str) -> None:
        """Write a CSV (UTF-8 with BOM) row by row."""
        count = 0
        with self.zip.open(self._info(name), "w") as raw:
            text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
            writer = csv.writer(text)
            writer.writerow(header)
            for row in rows:
                writer.writerow([_cell(v) for v in row])
                count += 1
            text.flush()
            text.detach()
        self.rows[name] = count
        self.listing[name] = f"{what} ({count} row{'' if count == 1 else 's'})"

    def text(self, name: str, body: str, what: str) -> None:
        """Write a UTF-8 text file; a name already used gets -2, -3 … before its extension."""
        stem, dot, ext = name.rpartition(".")
        n = 2
        while name in self.listing:
            name = f"{stem}-{n}{dot}{ext}"
            n += 1
        with self.zip.open(self._info(name), "w") as raw:
            raw.write(body.rstrip("\n").encode("utf-8") + b"\n")
        self.listing[name] = what


# CSV rows ----------------------------------------------------------------------------------


def _note_rows(session: Session) -> Iterator[tuple]:
    query = (
        select(MeetingNote, Meeting)
        .join(Meeting, MeetingNote.meeting_id == Meeting.id)
        .order_by(Meeting.held_on, Meeting.id, MeetingNote.id)
    )
    for n, m in session.exec(query):
        yield (
            m.id, m.title, m.held_on, m.kind, n.step, n.author, n.body, n.revision,
            n.created_at, n.updated_at,
        )  # fmt: skip


def _decision_rows(session: Session) -> Iterator[tuple]:
    query = (
        select(Decision, Meeting.title, Meeting.held_on)
        .outerjoin(Meeting, Decision.meeting_id == Meeting.id)
        .order_by(Decision.decided_on, Decision.id)
    )
    for d, title, held_on in session.exec(query):
        yield (
            d.id, d.decided_on, d.text, d.decided_by, d.metric, d.sla_version, d.meeting_id,
            title, held_on, d.created_by, d.created_at,
        )  # fmt: skip


def _review_rows(session: Session) -> list[tuple]:
    query = (
        select(ActionReview, Action.title, Meeting.title, Meeting.held_on)
        .join(Action, ActionReview.action_id == Action.id)
        .join(Meeting, ActionReview.meeting_id == Meeting.id)
        .order_by(ActionReview.action_id, ActionReview.reviewed_at, ActionReview.id)
    )
    return [
        (r.action_id, action, r.meeting_id, meeting, held_on, r.outcome, r.note, r.reviewed_by,
         r.reviewed_at)
        for r, action, meeting, held_on in session.exec(query)
    ]  # fmt: skip


def _action_rows(session: Session, reviews: list[tuple]) -> Iterator[tuple]:
    said: dict[int, list[str]] = {}
    for action_id, _, _, meeting, held_on, outcome, note, _, _ in reviews:
        text = f"{held_on.isoformat()} {meeting}: {outcome.replace('_', ' ')}"
        said.setdefault(action_id, []).append(text + (f" — {note}" if note else ""))
    query = (
        select(Action, Meeting.title, Meeting.held_on)
        .outerjoin(Meeting, Action.meeting_id == Meeting.id)
        .order_by(Action.created_at, Action.id)
    )
    for a, title, held_on in session.exec(query):
        yield (
            a.id, a.title, a.owner, a.due_date, a.status, a.metric, a.period_kind,
            a.period_start, a.carried_over, a.drop_reason, a.meeting_id, title, held_on,
            a.created_by, a.created_at, a.closed_at, "\n".join(said.get(a.id, [])),
        )  # fmt: skip


def _definition_rows(definitions: list[Definition], current: dict[str, int]) -> Iterator[tuple]:
    for d in definitions:
        yield (
            d.key, d.version, current[d.key] == d.version, d.term, d.category, d.position,
            d.owner_team, d.body, d.rule, d.agreed_on, d.agreed_by, d.created_by, d.created_at,
        )  # fmt: skip


def _persona_rows(session: Session, personas: list[Persona]) -> Iterator[tuple]:
    by_id = {p.id: p for p in personas}
    saved: set[tuple[int, int]] = set()
    query = select(PersonaVersion).order_by(PersonaVersion.persona_id, PersonaVersion.version)
    for v in session.exec(query):
        p = by_id.get(v.persona_id)
        data = _json(v.data)
        saved.add((v.persona_id, v.version))
        yield (
            v.persona_id, p.name if p else data.get("name", ""), v.version,
            p is not None and p.version == v.version, p.archived if p else None, v.saved_by,
            v.saved_at, *(data.get(f, "") for f in PERSONA_FIELDS),
        )  # fmt: skip
    for p in personas:  # a current card without its frozen copy still belongs in the file
        if (p.id, p.version) not in saved:
            yield (
                p.id, p.name, p.version, True, p.archived, p.updated_by, p.updated_at,
                *(getattr(p, f) for f in PERSONA_FIELDS),
            )  # fmt: skip


def _brief_rows(session: Session, campaigns: dict[int, Campaign]) -> Iterator[tuple]:
    query = select(BriefVersion).order_by(BriefVersion.campaign_id, BriefVersion.version)
    for v in session.exec(query):
        c = campaigns.get(v.campaign_id)
        data = _json(v.data)
        yield (
            v.campaign_id, data.get("name") or (c.name if c else ""), "published", v.version,
            data.get("persona") or (c.persona if c else None), c.channel if c else None,
            data.get("start_date"), data.get("end_date"), c.lead_target if c else None,
            v.published_by, v.published_at, *(data.get(f, "") for f in BRIEF_FIELDS),
        )  # fmt: skip
    for c in campaigns.values():
        if c.brief_status == BriefStatus.draft:
            yield (
                c.id, c.name, "draft", None, c.persona, c.channel, c.start_date, c.end_date,
                c.lead_target, c.updated_by, c.updated_at, *(getattr(c, f) for f in BRIEF_FIELDS),
            )  # fmt: skip


# Markdown ----------------------------------------------------------------------------------


def shared_language_md(current: list[Definition], as_of: str) -> str:
    """The current definitions as one Markdown document, grouped by category."""
    lines = ["# Shared language", "", f"The current version of every agreed term, as of {as_of}."]
    category = None
    for d in sorted(current, key=lambda d: (d.category, d.position, d.term)):
        if d.category != category:
            category = d.category
            lines += ["", f"## {category.replace('_', ' ').capitalize()}"]
        agreed = f"agreed on {d.agreed_on.isoformat()}" if d.agreed_on else "not agreed yet"
        if d.agreed_by:
            agreed += f" by {d.agreed_by}"
        lines += [
            "",
            f"### {d.term}",
            "",
            f"*Owner: {d.owner_team} · version {d.version} · {agreed}*",
        ]
        if d.body:
            lines += ["", d.body]
        if d.rule:
            lines += ["", f"**Rule:** `{d.rule}`"]
    return "\n".join(lines)


def persona_md(p: Persona) -> str:
    """A persona card as Markdown."""
    lines = [f"# {p.icon} {p.name}".strip(), ""]
    facts = [x for x in (p.role, p.seniority) if x]
    if facts:
        lines += [" · ".join(facts), ""]
    if p.archived:
        lines += ["*Archived.*", ""]
    lines.append(f"Version {p.version}, last saved by {p.updated_by} on {_day(p.updated_at)}.")
    for key, heading in PERSONA_SECTIONS.items():
        body = (getattr(p, key) or "").strip()
        if body:
            lines += ["", f"## {heading}", "", body]
    return "\n".join(lines)


def minutes_md(session: Session, m: Meeting) -> str:
    """The meeting's stored minutes; for one closed without them, minutes from its rows."""
    held = f"Held on {m.held_on.isoformat()}."
    if m.minutes and m.minutes.strip():
        first, _, rest = m.minutes.strip().partition("\n")
        if not first.startswith("#"):
            first, rest = f"# {m.title}", m.minutes.strip()
        return f"{first}\n\n{held}\n\n{rest.strip()}".rstrip()
    lines = [f"# {m.title}", "", held]
    notes = select(MeetingNote).where(MeetingNote.meeting_id == m.id).order_by(MeetingNote.id)
    for n in session.exec(notes):
        lines += ["", f"**{n.step}** ({n.author}): {n.body}"]
    decisions = select(Decision).where(Decision.meeting_id == m.id).order_by(Decision.id)
    actions = select(Action).where(Action.meeting_id == m.id).order_by(Action.id)
    items = [f"- Decision: {d.text}" for d in session.exec(decisions)]
    items += [
        f"- Action: {a.title} — {a.owner}, due {a.due_date.isoformat()}"
        for a in session.exec(actions)
    ]
    return "\n".join([*lines, "", *items] if items else lines)


def _current_definitions(definitions: list[Definition]) -> list[Definition]:
    newest: dict[str, Definition] = {}
    for d in definitions:
        if d.key not in newest or d.version > newest[d.key].version:
            newest[d.key] = d
    return list(newest.values())


# the zip -----------------------------------------------------------------------------------


def _write_csvs(z: _Zip, session: Session, definitions, personas, campaigns) -> None:
    z.csv(
        "meeting-notes.csv",
        NOTE_HEADER,
        _note_rows(session),
        "every meeting note, with its meeting's title and date",
    )
    z.csv("decisions.csv", DECISION_HEADER, _decision_rows(session), "every decision")
    reviews = _review_rows(session)
    z.csv(
        "actions.csv",
        ACTION_HEADER,
        _action_rows(session, reviews),
        "every action, with what the meetings' reviews said about it",
    )
    z.csv("action-reviews.csv", REVIEW_HEADER, reviews, "each review of an action in a meeting")
    current = {d.key: d.version for d in _current_definitions(definitions)}
    z.csv(
        "definitions.csv",
        DEFINITION_HEADER,
        _definition_rows(definitions, current),
        "every version of every shared-language definition",
    )
    z.csv(
        "personas.csv",
        PERSONA_HEADER,
        _persona_rows(session, personas),
        "every saved version of every persona card",
    )
    z.csv(
        "campaign-briefs.csv",
        BRIEF_HEADER,
        _brief_rows(session, campaigns),
        "every published brief version, and the current unpublished drafts",
    )


def _write_markdown(z: _Zip, session: Session, definitions, personas, campaigns, as_of) -> None:
    if current := _current_definitions(definitions):
        z.text(
            "shared-language.md",
            shared_language_md(current, as_of),
            "the current shared-language definitions",
        )
    for p in personas:
        z.text(f"personas/{slugify(p.name)}.md", persona_md(p), f"persona card: {p.name}")
    from smarketing.content.campaigns import (  # what sales pastes in e-mails
        brief_for,
        brief_markdown,
    )

    for c in campaigns.values():
        published = (brief_for(session, c.id, actor=None) or {}).get("published")
        if published:
            z.text(
                f"briefs/{slugify(c.name)}.md",
                brief_markdown(published),
                f"campaign brief (version {published['version']}): {c.name}",
            )
    closed = (
        select(Meeting)
        .where(Meeting.status == MeetingStatus.closed)
        .order_by(Meeting.held_on, Meeting.id)
    )
    for m in session.exec(closed):
        z.text(
            f"minutes/{m.held_on.isoformat()}-{slugify(m.title)}.md",
            minutes_md(session, m),
            f"minutes: {m.title}",
        )


def _readme(z: _Zip, now: datetime, as_of: str, source: str) -> str:
    lines = [
        "Smarketing export",
        "=================",
        "",
        f"Exported {now.astimezone(UTC).isoformat(timespec='seconds')} ({as_of})",
        f"from {source}.",
        "",
        "Meeting notes, decisions, actions, shared-language definitions, personas and",
        "campaign briefs, to read without Smarketing. Leads are not included: they come",
        "from your CRM.",
        "",
        "CSV files: UTF-8 with a byte-order mark (Excel opens them as they are), comma-",
        "separated, one header row. Times are ISO 8601 in UTC; dates are calendar days",
        "(YYYY-MM-DD). Text that starts with = + - or @ has a ' put in front, so that a",
        "spreadsheet shows it as text instead of running it as a formula; the Markdown",
        "files hold the texts unchanged.",
        "",
        "Files",
        "-----",
    ]
    names = sorted(z.listing)
    width = max(len(n) for n in names)
    return "\n".join(lines + [f"{n:<{width}}  {z.listing[n]}" for n in names])


def export_zip(
    session: Session, out: Path | str, *, now: datetime, overwrite: bool = False
) -> ExportResult:
    """Write the export zip (CSV and Markdown, listed in README.txt inside) atomically."""
    started = time.perf_counter()
    out = _check_out(Path(out), overwrite=overwrite, example="smarketing-export.zip")
    as_of = f"{now.astimezone(config.business_tz()):%Y-%m-%d %H:%M} {config.timezone_name()}"
    definitions = list(
        session.exec(select(Definition).order_by(Definition.key, Definition.version))
    )
    personas = list(session.exec(select(Persona).order_by(Persona.name)))
    campaigns = {c.id: c for c in session.exec(select(Campaign).order_by(Campaign.name))}
    tmp = _temp_beside(out)
    try:
        with tmp.open("wb") as fh:
            z = _Zip(fh, now)
            _write_csvs(z, session, definitions, personas, campaigns)
            _write_markdown(z, session, definitions, personas, campaigns, as_of)
            source = db.url_for_display(str(session.get_bind().url))
            z.text("README.txt", _readme(z, now, as_of, source), "what is in this zip")
            z.zip.close()
        _publish(tmp, out, overwrite=overwrite)
    except OSError as exc:
        raise BackupError(f"cannot write the export {out}: {exc.strerror or exc}") from exc
    finally:
        _remove(tmp)
    return ExportResult(
        path=out,
        files=sorted(z.listing),
        rows=dict(z.rows),
        size=out.stat().st_size,
        seconds=time.perf_counter() - started,
    )
