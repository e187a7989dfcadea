"""Syncing a CRM data source: the connector's pages stored by the import's own rules.

:func:`sync_source` reads the source's account from its cursor (everything on a full sync),
page by page (:mod:`smarketing.connectors`), and stores the records in **chunks** of about
:data:`CHUNK` records. Each chunk is read by the import's reader for the CRM's format
(``reading.read_lead_records``: the API's field names are in the same tables as the export's
labels) and written by the import's steps (``upsert.lead_steps`` and
``upsert.activity_steps``: the same matching, updates, history, verdicts, first contacts
and short batches), so a CSV export and a sync of the same records give the same leads.
The next chunk is read and parsed in a thread of its own while one is stored
(:func:`_one_ahead`: one chunk ahead, never more; SQLite and PostgreSQL let go of Python's
lock while they write, so the reading runs meanwhile).

A sync is one run in the import list (``import_run`` with ``kind="sync"`` and its
``source_id``). After each chunk a **checkpoint** commits the chunk for good: the run's
counts so far and the source's cursor, in one transaction (:meth:`Batches.finish`, which
also settles the rollups and bumps the data version, so the pages show the new figures
while a long first sync goes on). A sync that fails half-way keeps every checkpointed
chunk, undoes only the batches of the chunk it was writing (``batches.undo_run`` keeps a
sync's counts), is marked "failed" with the error, and the next sync continues from the
cursor of the last checkpoint: nothing lost, nothing twice (a record read again is
*unchanged*).

Owners: a record whose owner's e-mail (the connector's ``_owner_email``) is a Smarketing
user's gets that user's name as owner, so the lead lists and "my leads" name the same
person the app knows.
"""

from __future__ import annotations

import contextlib
import contextvars
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session

from smarketing.auth import audit
from smarketing.auth.permissions import Actor, require
from smarketing.connectors.base import Activity, Connector, Page
from smarketing.data_in.batches import Batches, start_run, undo_run
from smarketing.data_in.formats import default_mapping, merge_mapping
from smarketing.data_in.planning import Spellings
from smarketing.data_in.reading import read_lead_records
from smarketing.data_in.records import ActivityRecord, ParsedFile
from smarketing.data_in.sources import (
    connector_for,
    format_of,
    get_source,
    label,
    mapping_changes,
)
from smarketing.data_in.upsert import Progress, activity_steps, lead_steps, prepare_demo
from smarketing.data_in.writing import ImportResult
from smarketing.errors import InvalidInput
from smarketing.formatting import count
from smarketing.i18n import _, ngettext
from smarketing.store.db import bump_data_version
from smarketing.store.models import DataSource, ImportRun, User, utcnow

#: Records (leads and activities) stored per checkpoint, at most, and the seconds a chunk
#: may take to read before it is stored all the same (a slow API still checkpoints). Each
#: checkpoint recounts the rollups of the days its chunk touched and the planner reads the
#: stored spellings again: larger chunks cost less, but redo more after a failure.
CHUNK = 20000
CHUNK_SECONDS = 15.0
#: Seconds between two recounts of the rollups (the daily counts the pages read) during a
#: long sync: a checkpoint sooner than this keeps its changes parked for the next one (a
#: recount reads every lead of the days touched; once a minute keeps a first sync fast and
#: the pages at most a minute behind). The sync's end always recounts.
SETTLE_SECONDS = 60.0
#: Rejected records kept in a result's ``rejects`` (the count is always whole).
REJECTS_KEPT = 100

_RUN = ImportRun.__table__
_SOURCE = DataSource.__table__


@dataclass
class SyncResult:
    """What one sync did (or, for a dry run, would do)."""

    source: str
    kind: str
    run_id: int | None
    full: bool
    dry_run: bool
    fetched: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    activities: int = 0
    seconds: float = 0.0
    #: Why records were rejected, one line each ("HubSpot record 123: …"), the first ones.
    rejects: list[str] = field(default_factory=list)
    warnings: int = 0

    @property
    def summary(self) -> str:
        """One line for a person, like an import's."""
        counts = dict(
            fetched=count(self.fetched),
            inserted=count(self.inserted),
            updated=count(self.updated),
            unchanged=count(self.unchanged),
            rejected=count(self.rejected),
        )
        if self.dry_run:
            text = _(
                "{fetched} fetched, {inserted} would be inserted, {updated} would be updated, "
                "{unchanged} unchanged, {rejected} rejected"
            ).format(**counts)
        else:
            text = _(
                "{fetched} fetched, {inserted} inserted, {updated} updated, {unchanged} "
                "unchanged, {rejected} rejected"
            ).format(**counts)
        if self.activities:
            n = self.activities
            added = (
                ngettext("{n} activity would be added", "{n} activities would be added", n)
                if self.dry_run
                else ngettext("{n} activity added", "{n} activities added", n)
            )
            text += ", " + added.format(n=count(n))
        return text

    def __str__(self) -> str:
        return f"{self.source}: {self.summary}"

    def add(self, result: ImportResult, *, activities: bool = False) -> None:
        if activities:
            self.activities += result.inserted
            self.updated += result.updated  # first contacts derived from them
        else:
            self.inserted += result.inserted
            self.updated += result.updated
            self.unchanged += result.unchanged
        self.rejected += result.rejected
        self.warnings += result.warned_rows


class SyncFailed(InvalidInput):
    """A sync stopped half-way; what its checkpoints stored stays."""

    def __init__(self, message: str, result: SyncResult) -> None:
        super().__init__(message)
        self.result = result


def _check_now(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(UTC)
    if now.utcoffset() is None:
        raise InvalidInput("now must be timezone-aware (UTC)")
    return now.astimezone(UTC)


def _chunks(pages: Iterator[Page], size: int, seconds: float) -> Iterator[list[Page]]:
    """Consecutive pages holding about ``size`` records each, or read in about ``seconds``
    (a chunk ends after a page)."""
    chunk: list[Page] = []
    held, began = 0, time.monotonic()
    for page in pages:
        chunk.append(page)
        held += len(page.leads) + len(page.activities)
        if held >= size or time.monotonic() - began >= seconds:
            yield chunk
            chunk, held = [], 0
        if not chunk:
            began = time.monotonic()
    if chunk:
        yield chunk


class _Reading:
    """The sync's progress: reported while the sync waits for its next chunk and on every
    batch stored (so a job that is asked to stop can stop there: its progress callback
    raises). The pages are counted where they are read (the preparing thread); the
    reports are made by the sync's own thread (a page's progress bar is drawn there)."""

    def __init__(self, report: Progress, result: SyncResult) -> None:
        self.report, self.result = report, result
        self.read, self.total = 0, None
        #: set when the sync stops: the preparing thread reads no further page
        self.stopped = False

    def pages(self, pages: Iterator[Page]) -> Iterator[Page]:
        pages = iter(pages)
        while not self.stopped:  # (asked before each page: none is read after a stop)
            page = next(pages, None)
            if page is None:
                return
            self.read += page.fetched
            self.total = page.total or self.total
            yield page

    def fraction(self) -> float:
        if not self.total:
            return 0.5
        return min(0.99, self.read / self.total)

    def text(self) -> str:
        if self.total:
            read = _("{read} of {total} records read; stored: {summary}")
        else:
            read = _("{read} records read; stored: {summary}")
        return read.format(
            read=count(self.read), total=count(self.total or 0), summary=self.result.summary
        )

    def waiting(self) -> None:
        self.report(self.fraction(), self.text())

    def storing(self, _fraction: float, _text: str) -> None:
        self.report(self.fraction(), self.text())

    def stored(self) -> None:
        self.report(self.fraction(), self.text())


@dataclass
class _Chunk:
    """Consecutive pages read into the import's records (``leads``, ``activities``: None
    when the pages had none), ready to store."""

    fetched: int
    cursor: str | None
    leads: ParsedFile | None
    activities: ParsedFile | None


class _Preparing:
    """Turns a chunk of pages into a :class:`_Chunk` (owners named, read by the import's
    reader), numbering the records across the chunks."""

    def __init__(self, source: DataSource, fmt: str, changes: dict, users: dict, fields):
        self.source, self.fmt, self.changes, self.users = source, fmt, changes, users
        self.fields = fields
        self.fetched = 0

    def __call__(self, pages: list[Page]) -> _Chunk:
        source = self.source
        leads = _with_owners(
            [r for p in pages for r in p.leads], self.fmt, self.changes, self.users
        )
        items = [a for p in pages for a in p.activities]
        first = self.fetched + 1
        fetched = sum(p.fetched for p in pages)
        self.fetched += fetched
        parsed = acts = None
        if leads:
            parsed = read_lead_records(
                leads,
                source.name,
                format=self.fmt,
                changes=self.changes,
                columns=self.fields,
                mapped_only=True,
            )
            parsed.source_system = source.kind
        if items:
            acts = _activities_file(items, source.name, source.kind, first)
        return _Chunk(fetched, pages[-1].cursor, parsed, acts)


#: Seconds between two progress reports while the sync waits for its next chunk.
WAIT_REPORT_S = 0.5


def _one_ahead(chunks: Iterator[_Chunk], waiting: Callable[[], None]) -> Iterator[_Chunk]:
    """``chunks``, each made in a thread of its own while the one before is stored (reading
    and parsing go on while SQLite writes: its writes let go of Python's lock). One chunk
    ahead, never more. ``waiting`` is called every WAIT_REPORT_S seconds spent waiting for
    a chunk (the progress; it may raise to stop). The thread runs in a copy of this
    context (the language of the messages it makes) and is a daemon: a sync that stops
    while its thread waits for the CRM does not keep the process from ending."""
    context = contextvars.copy_context()

    def start() -> Future:
        future: Future = Future()

        def run() -> None:
            try:
                future.set_result(context.run(next, chunks, None))
            except BaseException as exc:  # (handed to the sync's thread)
                future.set_exception(exc)

        threading.Thread(target=run, name="sync-next-chunk", daemon=True).start()
        return future

    pending = start()
    while True:
        while not wait([pending], timeout=WAIT_REPORT_S).done:
            waiting()
        chunk = pending.result()  # (the chunk's own error, a TimeoutError too, is raised)
        if chunk is None:
            return
        pending = start()
        yield chunk


def _users_by_email(engine: Engine) -> dict[str, str]:
    with Session(engine) as s:
        rows = s.execute(select(User.email, User.name).where(User.disabled.is_(False))).all()
    return {email.strip().lower(): name for email, name in rows if email and name}


def _owner_column(fmt: str, keys: list[str], changes: dict[str, str]) -> str | None:
    used = merge_mapping(default_mapping(fmt, keys), changes)
    return next((column for column, target in used.items() if target == "owner"), None)


def _with_owners(
    records: list[dict], fmt: str, changes: dict[str, str], users: dict[str, str]
) -> list[dict]:
    """Records whose owner's e-mail is a user's get that user's name as owner."""
    if not users or not records:
        return records
    keys = sorted({k for r in records for k in r if not k.startswith("_")})
    column = _owner_column(fmt, keys, changes)
    if column is None:
        return records
    for record in records:
        email = str(record.get("_owner_email") or "").strip().lower()
        if email in users:
            record[column] = users[email]
    return records


def _activities_file(items: list[Activity], name: str, source_system: str, first: int):
    records = [
        ActivityRecord(
            row=first + i,
            lead_external_id=str(a.lead_external_id),
            occurred_at=a.occurred_at,
            kind=a.kind,
            detail=a.detail or "",
            actor=a.actor,
        )
        for i, a in enumerate(items)
    ]
    return ParsedFile(
        file_name=name,
        kind="activities",
        format="activities",
        source_system=source_system,
        mapping={},
        rows_read=len(records),
        records=records,
    )


def _reject_lines(parsed: ParsedFile, result: ImportResult, what: str) -> list[str]:
    """One line per rejected record, naming its CRM id where the record has one."""
    lines = []
    id_column = next((c for c, t in parsed.mapping.items() if t == "external_id"), None)
    raw = parsed.raw_rows
    for error in [*parsed.errors, *result.unmatched]:
        record_id = None
        if id_column is not None and not raw.empty and error.row in raw.index:
            record_id = str(raw.at[error.row, id_column]).strip() or None
        where = f"{what} {record_id}" if record_id else f"{what} #{error.row}"
        column = f" ({error.column})" if error.column else ""
        lines.append(f"{where}{column}: {error.reason}")  # the reason: in the language speaking
    return lines


def _record(crm: str) -> str:
    """'HubSpot record' (then its id): where a rejected record comes from."""
    return _("{crm} record").format(crm=crm)


def _activity(crm: str) -> str:
    """'HubSpot activity #' (then its number)."""
    return _("{crm} activity #").format(crm=crm)


def _start(engine: Engine, source: DataSource, actor: Actor, now: datetime, full: bool) -> int:
    return start_run(
        engine,
        dict(
            started_at=now,
            actor=actor.username,
            file_name=f"{source.name} ({label(source.kind)}{', full' if full else ''})"[:300],
            format=source.kind,
            kind="sync",
            rows_read=0,
            message="",
            source_id=source.id,
        ),
        now=now,
    )


def _checkpoint(
    conn: Connection, run_id: int, source_id: int, cursor: str | None, result: SyncResult
) -> None:
    """Store the counts so far and the cursor, in the chunk's last transaction."""
    conn.execute(
        update(_RUN)
        .where(_RUN.c.id == run_id)
        .values(
            rows_read=result.fetched,
            fetched=result.fetched,
            created=result.inserted,
            updated=result.updated,
            unchanged=result.unchanged,
            rejected=result.rejected,
            heartbeat_at=utcnow(),
        )
    )
    if cursor is not None:
        conn.execute(update(_SOURCE).where(_SOURCE.c.id == source_id).values(cursor=cursor))
    with Session(bind=conn) as s:
        bump_data_version(s)
        s.flush()


def _finish(
    conn: Connection,
    run_id: int,
    source: DataSource,
    cursor: str | None,
    result: SyncResult,
    actor: Actor,
    finished: datetime,
) -> None:
    _checkpoint(conn, run_id, source.id, cursor, result)
    conn.execute(
        update(_RUN)
        .where(_RUN.c.id == run_id)
        .values(
            status="done",
            finished_at=finished,
            message=result.summary,
            process=None,
            heartbeat_at=None,
        )
    )
    conn.execute(update(_SOURCE).where(_SOURCE.c.id == source.id).values(sync_requested_at=None))
    with Session(bind=conn) as s:
        audit.record(
            s,
            actor.username,
            "source.sync",
            "import_run",
            run_id,
            source=source.name,
            kind=source.kind,
            full=result.full,
            fetched=result.fetched,
            inserted=result.inserted,
            updated=result.updated,
            unchanged=result.unchanged,
            rejected=result.rejected,
            activities=result.activities,
        )
        s.flush()


def sync_source(
    engine: Engine,
    name: str,
    *,
    actor: Actor,
    full: bool = False,
    dry_run: bool = False,
    remove_demo: bool = False,
    keep_starting_point: bool = True,
    progress: Progress | None = None,
    now: datetime | None = None,
    sleep: Callable[[float], None] = time.sleep,
    connector: Connector | None = None,
) -> SyncResult:
    """Read the source's changes since its cursor (``full``: everything) and store them by
    the import's rules, checkpoint by checkpoint (see the module docstring). A dry run
    reads the account and plans, writing nothing (no run, the cursor stays).

    Raises PermissionDenied without ``sources.manage``, a ``ConnectorError`` when the CRM
    cannot be read at all (nothing written), ``DemoDataPresent`` while the demo company is
    in the database (unless ``remove_demo``), and :class:`SyncFailed` when it stops half-way
    (its checkpoints stay)."""
    require(actor, "sources.manage")
    now = _check_now(now)
    report = progress or (lambda _f, _t: None)
    started = time.perf_counter()
    with Session(engine) as s:
        source = get_source(s, name)
        s.expunge(source)
    if not source.enabled and not dry_run:
        raise InvalidInput(
            _("the data source {name} is paused; resume it first").format(name=repr(source.name))
        )
    fmt, changes, what = format_of(source), mapping_changes(source), label(source.kind)
    full = full or source.cursor is None
    result = SyncResult(source.name, source.kind, None, full, dry_run)
    cursor = None if full else source.cursor
    if not dry_run:
        prepare_demo(engine, actor, remove_demo, keep_starting_point)
    users = _users_by_email(engine)
    run_id = None if dry_run else _start(engine, source, actor, now, full)
    result.run_id = run_id
    batches = None if run_id is None else Batches(engine, run_id)
    report(0.0, _("Reading {crm}…").format(crm=what))
    last_cursor = None
    client = reading = None
    try:
        client = connector or connector_for(source, sleep=sleep)
        reading = _Reading(report, result)
        spellings = Spellings()  # (read once, not once per chunk)
        settled = time.monotonic()
        chunks = _chunks(reading.pages(client.pages(cursor)), CHUNK, CHUNK_SECONDS)
        prepare = _Preparing(source, fmt, changes, users, client.fields)
        for chunk in _one_ahead(map(prepare, chunks), reading.waiting):
            result.fetched += chunk.fetched
            last_cursor = chunk.cursor or last_cursor
            steps = reading.storing  # (each batch says where the whole sync is)
            with engine.connect() as conn:
                if chunk.leads is not None:
                    done = lead_steps(
                        conn,
                        batches,
                        chunk.leads,
                        actor=actor,
                        now=now,
                        report=steps,
                        spellings=spellings,
                    )
                    result.add(done)
                    result.rejects.extend(_reject_lines(chunk.leads, done, _record(what)))
                if chunk.activities is not None:
                    acts = chunk.activities
                    done = activity_steps(conn, batches, acts, actor=actor, now=now, report=steps)
                    result.add(done, activities=True)
                    result.rejects.extend(_reject_lines(acts, done, _activity(what)))
                conn.rollback()
            del result.rejects[REJECTS_KEPT:]
            if batches is not None:
                settle = time.monotonic() - settled >= SETTLE_SECONDS
                batches.finish(
                    lambda c, cur=last_cursor: _checkpoint(c, run_id, source.id, cur, result),
                    settle=settle,
                )
                settled = time.monotonic() if settle else settled
            reading.stored()
        client.close()
        result.seconds = round(time.perf_counter() - started, 3)
        if batches is not None:
            finished = now + timedelta(seconds=result.seconds)
            batches.finish(
                lambda c: _finish(c, run_id, source, last_cursor, result, actor, finished)
            )
    except BaseException as exc:  # Ctrl-C too: the chunk being written is undone
        result.seconds = round(time.perf_counter() - started, 3)
        if reading is not None:
            reading.stopped = True
        if batches is not None:
            batches.checkpoints_done()
        if client is not None:
            with contextlib.suppress(Exception):
                client.close()
        if run_id is None:
            raise
        kept = result.inserted + result.updated
        stored = (
            "; "
            + ngettext(
                "the {n} lead stored before stays and the next sync continues from there",
                "the {n} leads stored before stay and the next sync continues from there",
                kept,
            ).format(n=count(kept))
            if kept
            else ""
        )
        message = f"{type(exc).__name__}: {exc}"[:1800] + stored
        with contextlib.suppress(Exception):  # the original error is the one to show
            undo_run(engine, run_id, message, now=now + timedelta(seconds=result.seconds))
        if isinstance(exc, Exception):
            why = _("{crm} sync of {name} failed: {error}").format(
                crm=what, name=repr(source.name), error=exc
            )
            why += stored
            raise SyncFailed(why, result) from exc
        raise
    report(1.0, _("Sync done") if not dry_run else _("Dry run done"))
    return result


def due_sources(engine: Engine, *, now: datetime | None = None) -> list[str]:
    """Names of the enabled sources to sync now: asked for (``sync_requested_at``), never
    synced, or last synced ``every_minutes`` or more ago."""
    now = _check_now(now)
    last = (
        select(_RUN.c.source_id, func.max(_RUN.c.started_at).label("at"))
        .where(_RUN.c.source_id.is_not(None))
        .group_by(_RUN.c.source_id)
        .subquery()
    )
    query = (
        select(_SOURCE.c.name, _SOURCE.c.every_minutes, _SOURCE.c.sync_requested_at, last.c.at)
        .select_from(_SOURCE.outerjoin(last, last.c.source_id == _SOURCE.c.id))
        .where(_SOURCE.c.enabled.is_(True))
        .order_by(_SOURCE.c.name)
    )
    due = []
    with engine.connect() as conn:
        for row in conn.execute(query):
            at = row.at.replace(tzinfo=UTC) if row.at and row.at.tzinfo is None else row.at
            if (
                row.sync_requested_at is not None
                or at is None
                or now - at >= timedelta(minutes=row.every_minutes)
            ):
                due.append(row.name)
    return due


@dataclass(frozen=True)
class Freshness:
    """How fresh the synced data is, for the line beside the pages' as-of: the newest
    successful sync, and the newest failure after it (source, when, why)."""

    synced_at: datetime | None
    failed_source: str | None = None
    failed_at: datetime | None = None
    failed_why: str | None = None


def freshness(engine: Engine) -> Freshness | None:
    """None when no source is set up; else the newest successful sync and a later failure."""
    with engine.connect() as conn:
        if conn.execute(select(_SOURCE.c.id).limit(1)).first() is None:
            return None
        # the newest successful sync, and a failed one started after it (runs are numbered
        # in the order they start)
        done = select(_RUN.c.id, _RUN.c.finished_at).where(
            _RUN.c.source_id.is_not(None), _RUN.c.status == "done"
        )
        last = conn.execute(done.order_by(_RUN.c.id.desc()).limit(1)).first()
        ok = last.finished_at if last is not None else None
        failed = select(_RUN.c.finished_at, _RUN.c.message, _SOURCE.c.name).join(
            _SOURCE, _SOURCE.c.id == _RUN.c.source_id
        )
        failed = failed.where(_RUN.c.status == "failed")
        if last is not None:
            failed = failed.where(_RUN.c.id > last.id)
        row = conn.execute(failed.order_by(_RUN.c.id.desc()).limit(1)).first()
    aware = lambda t: t.replace(tzinfo=UTC) if t is not None and t.tzinfo is None else t  # noqa: E731
    if row is None:
        return Freshness(aware(ok))
    return Freshness(aware(ok), row.name, aware(row.finished_at), row.message)


@dataclass
class Preview:
    """The first records of a source as the sync would read them: every API field with the
    lead field it is imported into and an example value (``fields``: the editable mapping's
    rows), the first leads as they would be stored (``leads``), and why any were rejected."""

    format: str
    columns: list[str]
    #: API fields read for activities (kept out of the mapping)
    activity_fields: list[str]
    mapping: dict[str, str]
    examples: dict[str, str]
    leads: list[dict[str, object]]
    rejects: list[str]


def preview(
    engine: Engine, name: str, *, actor: Actor, rows: int = 5, connector: Connector | None = None
) -> Preview:
    """Read the source's first page (nothing is written) and show what the mapping makes of
    it. Raises a ConnectorError when the CRM cannot be read."""
    require(actor, "sources.manage")
    with Session(engine) as s:
        source = get_source(s, name)
        s.expunge(source)
    client = connector or connector_for(source)
    fmt, changes, what = format_of(source), mapping_changes(source), label(source.kind)
    try:
        page = next(iter(client.pages(None)), Page())
    finally:
        client.close()
    leads = page.leads[: max(rows, 1) * 4]
    if not leads:
        return Preview(fmt, [], [], {}, {}, [], [])
    parsed = read_lead_records(
        leads, source.name, format=fmt, changes=changes, columns=client.fields
    )
    for_activities = [c for c in client.activity_fields if c in parsed.raw_rows.columns]
    columns = [c for c in parsed.raw_rows.columns if c not in for_activities]
    examples = {}
    for column in columns:
        values = [v for v in parsed.raw_rows[column].tolist() if str(v).strip()]
        examples[column] = str(values[0])[:80] if values else ""
    shown = [dict(r.values) for r in parsed.records[:rows]]
    return Preview(
        fmt,
        columns,
        for_activities,
        {c: t for c, t in parsed.mapping.items() if c in columns},
        examples,
        shown,
        _reject_lines(parsed, ImportResult(None, 0, 0, 0, 0, 0, 0, True, 0.0), _record(what)),
    )
