"""How an import writes: the planned inserts and updates of each batch in executemany
statements, in the batch's own short transaction (:mod:`smarketing.data_in.batches`: the
undo of a failed run); a dry run on a read-only connection; and the import run: its record,
its failure log and the run list of the Admin page."""

from __future__ import annotations

import gc
import sqlite3
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import repeat

import pandas as pd
from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session, col
from sqlmodel import select as sm_select
from sqlmodel.sql.sqltypes import UTCDateTime

from smarketing.auth import audit
from smarketing.auth.permissions import Actor
from smarketing.data_in.batches import Batches, BatchUndo, start_run, undo_run
from smarketing.data_in.planning import (
    IMPORT_FIELDS,
    IN_CHUNK,
    LeadPlan,
    existing_leads,
    verdict_row,
)
from smarketing.data_in.records import LeadRecord, ParsedFile, RowError, RowWarning
from smarketing.demo import RemovalPlan
from smarketing.errors import InvalidInput
from smarketing.formatting import count
from smarketing.i18n import _, ngettext
from smarketing.quality.reasons import UNSPECIFIED
from smarketing.store.db import bump_data_version
from smarketing.store.models import ImportRun, Lead, LeadActivity, LeadChange, User, Verdict

_LEAD = Lead.__table__
_ACTIVITY = LeadActivity.__table__
_CHANGE = LeadChange.__table__
_VERDICT = Verdict.__table__
_RUN = ImportRun.__table__


# --- the run ------------------------------------------------------------------------------


@dataclass
class ImportResult:
    """What one import did (or, for a dry run, would do)."""

    run_id: int | None  # None for a dry run
    inserted: int
    updated: int
    unchanged: int
    rejected: int  # the reader's rejected rows plus ``unmatched``
    verdicts_added: int  # rejected verdicts created from CRM statuses
    stage_changes: int  # LeadChange rows written
    dry_run: bool
    seconds: float
    #: Rows the upsert rejected itself (unknown lead id of an activity, duplicate id…).
    unmatched: list[RowError] = field(default_factory=list)
    #: What removing the demo company first removed and kept (None: it was not there).
    demo_removal: RemovalPlan | None = None

    #: CRM rejection reasons on no reason of the list, and how many new verdicts had
    #: each: stored as "Other" with the CRM's text in the comment.
    unknown_reasons: dict[str, int] = field(default_factory=dict)
    #: Rows imported with something to check, in file order: a date later than the
    #: horizon after the import (the row is imported), an update that would replace a
    #: stored text with a misread form of itself (that change is not imported).
    warnings: list[RowWarning] = field(default_factory=list)

    @property
    def warned_rows(self) -> int:
        """How many rows have at least one warning."""
        return len({w.row for w in self.warnings})

    @property
    def summary(self) -> str:
        """One line for a person: the counts."""
        counts = dict(
            inserted=count(self.inserted),
            updated=count(self.updated),
            unchanged=count(self.unchanged),
            rejected=count(self.rejected),
        )
        if self.dry_run:
            text = _(
                "{inserted} would be inserted, {updated} would be updated, {unchanged} "
                "unchanged, {rejected} rejected"
            ).format(**counts)
        else:
            text = _(
                "{inserted} inserted, {updated} updated, {unchanged} unchanged, {rejected} rejected"
            ).format(**counts)
        extras = []
        if self.verdicts_added:
            extras.append(
                ngettext(
                    "{n} rejected verdict from CRM statuses",
                    "{n} rejected verdicts from CRM statuses",
                    self.verdicts_added,
                ).format(n=count(self.verdicts_added))
            )
        if self.stage_changes:
            extras.append(
                ngettext(
                    "{n} field change in the history",
                    "{n} field changes in the history",
                    self.stage_changes,
                ).format(n=count(self.stage_changes))
            )
        if self.warnings:
            extras.append(
                ngettext(
                    "{n} row with warnings", "{n} rows with warnings", self.warned_rows
                ).format(n=count(self.warned_rows))
            )
        return text + (f" ({'; '.join(extras)})" if extras else "")

    @property
    def reason_note(self) -> str | None:
        """A sentence about CRM reasons that are on no reason of the list, or None."""
        if not self.unknown_reasons:
            return None
        listed = sorted(self.unknown_reasons.items(), key=lambda kv: (-kv[1], kv[0]))
        shown = ", ".join(f"{text!r} ({count(n)})" for text, n in listed[:10])
        if len(listed) > 10:
            shown = _("{listed} and {n} more").format(listed=shown, n=len(listed) - 10)
        found = ngettext(
            "{n} CRM rejection reason matches no reason of the list: {reasons}.",
            "{n} CRM rejection reasons match no reason of the list: {reasons}.",
            len(listed),
        ).format(n=len(listed), reasons=shown)
        if self.dry_run:
            what = _(
                "Those verdicts would be stored as 'Other' with the CRM's text in the comment; "
                "to keep them apart, add the reasons under Admin → Users → Rejection reasons "
                "before importing."
            )
        else:
            what = _(
                "Those verdicts were stored as 'Other' with the CRM's text in the comment; to "
                "keep them apart, add the reasons under Admin → Users → Rejection reasons "
                "before importing."
            )
        return f"{found} {what}"


def _run_values(parsed: ParsedFile, actor: Actor, now: datetime) -> dict:
    return dict(
        started_at=now,
        actor=actor.username,
        file_name=parsed.file_name[:300],
        format=parsed.format[:32],
        kind=parsed.kind[:16],
        rows_read=parsed.rows_read,
        message="",
    )


def _finish_run(
    conn: Connection,
    run_id: int,
    result: ImportResult,
    parsed: ParsedFile,
    actor: Actor,
    finished: datetime,
) -> None:
    done = conn.execute(
        update(_RUN)
        .where(_RUN.c.id == run_id, _RUN.c.status == "running")
        .values(
            finished_at=finished,
            created=result.inserted,
            updated=result.updated,
            unchanged=result.unchanged,
            rejected=result.rejected,
            status="done",
            message=result.summary,
            process=None,
            heartbeat_at=None,
        )
    ).rowcount
    if not done:
        raise RuntimeError(f"import run #{run_id} was stopped and undone meanwhile")
    with Session(bind=conn) as s:
        audit.record(
            s,
            actor.username,
            f"import.{parsed.kind}",
            "import_run",
            run_id,
            file=parsed.file_name,
            format=parsed.format,
            source_system=parsed.source_system,
            rows_read=parsed.rows_read,
            inserted=result.inserted,
            updated=result.updated,
            unchanged=result.unchanged,
            rejected=result.rejected,
            verdicts_added=result.verdicts_added,
            rows_with_warnings=result.warned_rows,
        )
        bump_data_version(s)
        s.flush()


def _log_failure(
    engine: Engine, parsed: ParsedFile, actor: Actor, now: datetime, elapsed: float, exc: Exception
) -> None:
    """Write a "failed" run in a transaction of its own (the data one was rolled back)."""
    message = f"{type(exc).__name__}: {exc}"[:2000]
    try:
        with engine.begin() as conn:
            conn.execute(
                insert(_RUN).values(
                    started_at=now,
                    finished_at=now + timedelta(seconds=elapsed),
                    actor=actor.username,
                    file_name=parsed.file_name[:300],
                    format=parsed.format[:32],
                    kind=parsed.kind[:16],
                    rows_read=parsed.rows_read,
                    rejected=len(parsed.errors),
                    status="failed",
                    message=message,
                )
            )
    except Exception:  # the original error is the one to show
        return


@contextmanager
def _old_objects_frozen() -> Iterator[None]:
    """Keep the objects that exist before the import out of the cyclic GC's collections
    while it runs (``gc.freeze``): the parsed file's records (a dict and a record object
    per row) form no cycles, yet every full collection during the import would scan them
    all again (about 0.3 s of a 100k-row import). New objects are collected as usual."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def run_import(
    engine: Engine,
    parsed: ParsedFile,
    actor: Actor,
    dry_run: bool,
    now: datetime,
    work: Callable[[Connection, Batches | None], ImportResult],
) -> ImportResult:
    """Run ``work`` with a read connection (where it plans) and, for a real import, the
    run's :class:`~smarketing.data_in.batches.Batches` (where it writes, batch by batch);
    a dry run gets None and writes nothing. A real import that fails is undone as a whole
    (:func:`~smarketing.data_in.batches.undo_run`) and its run marked "failed"."""
    started = time.perf_counter()
    if dry_run:
        with engine.connect() as conn, _old_objects_frozen():
            result = work(conn, None)
            conn.rollback()
        result.seconds = round(time.perf_counter() - started, 3)
        return result
    run_id, batches = None, None
    try:
        run_id = start_run(engine, _run_values(parsed, actor, now), now=now)
        batches = Batches(engine, run_id)
        with engine.connect() as conn, _old_objects_frozen():
            result = work(conn, batches)
            conn.rollback()
        result.run_id = run_id
        finished = now + timedelta(seconds=time.perf_counter() - started)
        batches.finish(lambda c: _finish_run(c, run_id, result, parsed, actor, finished))
    except BaseException as exc:  # Ctrl-C too: what was written is undone
        elapsed = time.perf_counter() - started
        if batches is not None:
            batches.checkpoints_done()
        if run_id is None:
            if isinstance(exc, Exception) and not isinstance(exc, InvalidInput):
                _log_failure(engine, parsed, actor, now, elapsed, exc)
        else:
            _undo_failed(engine, run_id, parsed, now, elapsed, exc)
        raise
    result.seconds = round(time.perf_counter() - started, 3)
    return result


def _undo_failed(
    engine: Engine, run_id: int, parsed: ParsedFile, now: datetime, elapsed: float, exc
) -> None:
    """Undo a failed run's committed batches and mark it "failed" with the error (if that
    fails too, the run stays "running" and is undone at the next start or import)."""
    message = f"{type(exc).__name__}: {exc}"[:2000]
    try:
        undo_run(
            engine,
            run_id,
            message,
            now=now + timedelta(seconds=elapsed),
            rejected=len(parsed.errors),
        )
    except Exception:  # the original error is the one to show
        return


# --- inserts and updates ------------------------------------------------------------------


class _Same:
    """One value for every row of a column (``_ColumnRows``)."""

    __slots__ = ("value",)

    def __init__(self, value: object) -> None:
        self.value = value


class _ColumnRows:
    """Rows to insert, held column by column: ``columns`` maps a column name to a list of
    values (one per row) or to a :class:`_Same`. ``len()`` is the number of rows."""

    def __init__(self, columns: dict[str, list | _Same], length: int) -> None:
        self.columns = columns
        self.length = length

    def __len__(self) -> int:
        return self.length

    def as_dicts(self) -> list[dict]:
        """The rows as Core executemany takes them."""
        names = list(self.columns)
        cells = [
            repeat(c.value, self.length) if isinstance(c, _Same) else c
            for c in self.columns.values()
        ]
        return [dict(zip(names, row, strict=True)) for row in zip(*cells, strict=True)]


def _by_column(rows: list[dict]) -> _ColumnRows | list[dict]:
    """Rows that all have the same keys, held column by column (so that the insert writes
    many rows a statement); rows whose keys differ as they are."""
    names = tuple(rows[0])
    if any(tuple(row) != names for row in rows):
        return rows
    return _ColumnRows({name: [row[name] for row in rows] for name in names}, len(rows))


def _column_default(column) -> object:
    default = column.default
    if default is not None and getattr(default, "is_scalar", False):
        return default.arg
    return None


#: Every lead column an insert writes (all but the key ``id``), in table order, and the
#: value a new lead gets when the file has none (the column's own default).
_LEAD_INSERT_COLUMNS = tuple(c.name for c in _LEAD.columns if not c.primary_key)
_LEAD_INSERT_DEFAULTS = {name: _column_default(_LEAD.c[name]) for name in _LEAD_INSERT_COLUMNS}


def _lead_rows(
    inserts: list[tuple[LeadRecord, str, dict]],
    source_system: str,
    now: datetime,
    given: dict[str, list] | None = None,
    reason_keys: dict[str, str] | None = None,
) -> _ColumnRows:
    """The new leads as rows of every lead column (values of absent fields: the column
    default), column by column. ``given`` are the inserts' values already taken apart
    column by column (None where absent), when the caller has them; ``reason_keys`` the
    rejection reason's key per external id of the leads the CRM rejected."""
    reason_keys = reason_keys or {}
    values = [v for _r, _k, v in inserts]
    present = set(given) if given is not None else set().union(set(), *values)
    columns: dict[str, list | _Same] = {}
    for name in _LEAD_INSERT_COLUMNS:
        default = _LEAD_INSERT_DEFAULTS[name]
        if name == "external_id":
            columns[name] = [k for _r, k, _v in inserts]
        elif given is not None and name in given and name in IMPORT_FIELDS:
            column = given[name]
            if default is not None and None in column:
                column = [default if v is None else v for v in column]
            columns[name] = column
        elif name == "source_system":
            columns[name] = _Same(source_system)
        elif name == "is_demo":
            columns[name] = _Same(False)
        elif name == "updated_at":
            columns[name] = _Same(now)
        elif name == "rejected_at":
            columns[name] = [now if r.crm_rejected else None for r, _k, _v in inserts]
        elif name == "rejection_reason":
            columns[name] = [
                reason_keys.get(k, UNSPECIFIED) if r.crm_rejected else None for r, k, _v in inserts
            ]
        elif name in present and name in IMPORT_FIELDS:
            columns[name] = [v.get(name, default) for v in values]
        else:
            columns[name] = _Same(default)
    return _ColumnRows(columns, len(inserts))


@dataclass(frozen=True)
class _PreparedInsert:
    sql: str
    names: tuple[str, ...]
    processors: tuple[Callable[[object], object] | None, ...]


_PREPARED: dict[tuple, _PreparedInsert | None] = {}


def _prepared_insert(table, names: tuple[str, ...], dialect) -> _PreparedInsert | None:
    """The table's INSERT compiled once for the dialect, with each column's own bind
    processor (what Core would apply to every value); None when the compiled statement
    has other parameters than ``names`` (e.g. a column default), so Core must run it."""
    key = (table.name, names, dialect.name, dialect.paramstyle)
    if key not in _PREPARED:
        compiled = insert(table).compile(dialect=dialect, column_keys=list(names))
        order = tuple(compiled.positiontup or ())
        if sorted(order) != sorted(names) or len(order) != len(names):
            _PREPARED[key] = None
        else:
            processors = tuple(_bind_processor(table.c[name].type, dialect) for name in order)
            _PREPARED[key] = _PreparedInsert(compiled.string, order, processors)
    return _PREPARED[key]


def _bind_processor(column_type, dialect) -> Callable[[object], object] | None:
    """What Core applies to a column's value before SQLite gets it: the type's own bind
    processor, except for an aware timestamp (``UTCDateTime``) on SQLite, whose two steps
    (to UTC, then SQLAlchemy's text) are done by :func:`sqlite_utc_text` at half the cost
    (about a million values in a first sync of 100,000 contacts)."""
    if dialect.name == "sqlite" and isinstance(column_type, UTCDateTime):
        return sqlite_utc_text
    return column_type.dialect_impl(dialect).bind_processor(dialect)


def sqlite_utc_text(value: datetime) -> str:
    """An aware datetime as SQLite stores a ``UTCDateTime``: in UTC, "YYYY-MM-DD
    HH:MM:SS.ffffff" (the text SQLAlchemy writes); a naive one is refused as it is there."""
    if value.tzinfo is not UTC:
        if value.utcoffset() is None:
            raise ValueError(f"a timestamp without a timezone: {value!r}")
        value = value.astimezone(UTC)
    return value.isoformat(" ", "microseconds")[:26]


#: Rows one INSERT statement writes on SQLite (within its limit of parameters). A
#: row of ``lead`` writes ``rollup_log`` too (a trigger), so each statement keeps a journal
#: of the pages it changes to undo itself alone: one statement per 100 rows journals each
#: index page once instead of once per row.
ROWS_PER_INSERT = 100


def _insert_columns(conn: Connection, table, rows: _ColumnRows) -> None:
    """Insert column-held rows. On SQLite the statement is compiled once and the DBAPI's
    executemany gets tuples of already-processed values (each column's bind processor
    applied once per value, once per column for a constant), ROWS_PER_INSERT rows a
    statement (fewer where SQLite allows fewer parameters): the same text Core would
    store, without Core's per-row parameter handling. Other dialects take the Core path."""
    if not len(rows):
        return
    dialect = conn.dialect
    prepared = None
    if dialect.name == "sqlite" and dialect.paramstyle == "qmark":
        prepared = _prepared_insert(table, tuple(rows.columns), dialect)
    if prepared is None:
        conn.execute(insert(table), rows.as_dicts())
        return
    cells = []
    for name, process in zip(prepared.names, prepared.processors, strict=True):
        column = rows.columns[name]
        if isinstance(column, _Same):
            value = column.value
            value = value if process is None or value is None else process(value)
            cells.append(repeat(value, len(rows)))
        elif process is None:
            cells.append(column)
        else:
            cells.append([None if v is None else process(v) for v in column])
    # (every list has len(rows) values; strict=True would double the cost of this zip)
    tuples = list(zip(*cells, strict=False))
    per = max(1, min(ROWS_PER_INSERT, _variables(conn) // len(prepared.names)))
    whole = len(tuples) // per * per
    if whole and per > 1:
        conn.exec_driver_sql(
            _rows_statement(prepared.sql, per),
            [tuple(v for row in tuples[lo : lo + per] for v in row) for lo in range(0, whole, per)],
        )
        tuples = tuples[whole:]
    if tuples:
        conn.exec_driver_sql(prepared.sql, tuples)


def _variables(conn: Connection) -> int:
    """How many parameters one statement may have on this SQLite (999 before 3.32)."""
    raw = conn.connection.dbapi_connection
    try:
        return int(raw.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER))
    except (AttributeError, sqlite3.Error):  # (Python before 3.11)
        return 999


def _rows_statement(sql: str, rows: int) -> str:
    """``INSERT … VALUES (?, …)`` made to insert ``rows`` rows at once."""
    head, _, one = sql.rpartition(" VALUES ")
    return f"{head} VALUES {', '.join([one] * rows)}"


def _insert_batch(conn: Connection, table, rows: list[dict] | _ColumnRows) -> None:
    """One executemany insert (a seam for tests that inject failures)."""
    if isinstance(rows, _ColumnRows):
        _insert_columns(conn, table, rows)
    elif rows:
        conn.execute(insert(table), rows)


def _update_leads(conn: Connection, groups: dict[frozenset, list[dict]]) -> None:
    stmt = update(_LEAD).where(_LEAD.c.id == bindparam("_id"))
    for rows in groups.values():
        conn.execute(stmt, rows)


def _insert_returning(conn: Connection, table, rows: list[dict]) -> list[int]:
    """Insert rows (executemany) and return their ids, in order (for the undo)."""
    if not rows:
        return []
    stmt = insert(table).returning(table.c.id, sort_by_parameter_order=True)
    return list(conn.execute(stmt, rows).scalars())


def _next_id(conn: Connection, table) -> int:
    """The id the next row inserted into ``table`` gets on SQLite, where ``id`` is the
    table's rowid (no AUTOINCREMENT): max(id) + 1, + 2 … in the order rows are inserted
    while this transaction holds the write lock."""
    return int(conn.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one()) + 1


def _next_lead_id(conn: Connection) -> int | None:
    """On SQLite, the id the next inserted lead gets (``_next_id``); None elsewhere (the
    ids are looked up)."""
    if conn.dialect.name != "sqlite":
        return None
    return _next_id(conn, _LEAD)


def write_leads(
    conn: Connection,
    plan: LeadPlan,
    source_system: str,
    actor: Actor,
    now: datetime,
    given: dict[str, list] | None = None,
) -> BatchUndo:
    """Write one batch's plan: the new leads (then their verdicts), the updates, and the
    history and verdict rows; returns what it wrote (the batch's undo)."""
    undo = BatchUndo()
    keys = {k: reason[0] for k, reason in plan.new_verdicts.items()}
    first = _next_lead_id(conn) if plan.inserts else None
    _insert_batch(conn, _LEAD, _lead_rows(plan.inserts, source_system, now, given, keys))
    verdicts = list(plan.verdicts)  # (the plan stays as planned: it may be written again)
    if plan.inserts:
        inserted = [k for _r, k, _v in plan.inserts]
        if first is not None and _next_lead_id(conn) == first + len(inserted):
            # SQLite, under its write lock: the ids followed on, in order
            new_ids = {k: first + i for i, k in enumerate(inserted)}
        else:
            found = existing_leads(conn, source_system, inserted, ())
            new_ids = {k: row["id"] for k, row in found.items()}
        undo.leads = sorted(new_ids.values())
        verdicts += [
            verdict_row(new_ids[k], reason, actor, now) for k, reason in plan.new_verdicts.items()
        ]
    _update_leads(conn, plan.updates)
    for rows in plan.updates.values():
        for row in rows:
            undo.changed(row["_id"], plan.before.get(row["_id"], {}), row)
    _insert_batch(conn, _CHANGE, plan.changes)
    undo.verdicts = _insert_returning(conn, _VERDICT, verdicts)
    return undo


def write_activities(conn: Connection, rows: list[dict]) -> BatchUndo:
    """Insert one batch of new activities; returns the batch's undo. On SQLite, under its
    write lock, the new ids follow on from the largest (``lead_activity.id`` is the rowid,
    as ``lead.id``): one executemany instead of an INSERT … RETURNING per row."""
    if conn.dialect.name == "sqlite" and rows:
        first = _next_id(conn, _ACTIVITY)
        _insert_batch(conn, _ACTIVITY, _by_column(rows))
        if _next_id(conn, _ACTIVITY) == first + len(rows):
            return BatchUndo(activities=list(range(first, first + len(rows))))
        raise RuntimeError("lead_activity ids did not follow on under the write lock")
    return BatchUndo(activities=_insert_returning(conn, _ACTIVITY, rows))


def write_first_contacts(
    conn: Connection,
    derived: Sequence[tuple[int, datetime | None, datetime]],
    changes: list[dict],
    now: datetime,
) -> BatchUndo:
    """Store the first contacts derived from activities, with their LeadChange rows;
    returns the batch's undo."""
    undo = BatchUndo()
    if not derived:
        return undo
    ids = [i for i, _old, _first in derived]
    stamps: dict[int, datetime | None] = {}
    for lo in range(0, len(ids), IN_CHUNK):
        stamps.update(
            conn.execute(
                select(_LEAD.c.id, _LEAD.c.updated_at).where(
                    _LEAD.c.id.in_(ids[lo : lo + IN_CHUNK])
                )
            ).all()
        )
    rows = [{"_id": i, "first_contact_at": first, "updated_at": now} for i, _old, first in derived]
    _update_leads(conn, {frozenset({"_id", "first_contact_at", "updated_at"}): rows})
    for (i, old, _first), row in zip(derived, rows, strict=True):
        undo.changed(i, {"first_contact_at": old, "updated_at": stamps.get(i)}, row)
    _insert_batch(conn, _CHANGE, changes)
    return undo


# --- the run log --------------------------------------------------------------------------

RUN_COLUMNS = [
    "when",
    "who",
    "file",
    "kind",
    "format",
    "rows read",
    "inserted",
    "updated",
    "unchanged",
    "rejected",
    "status",
    "message",
]


def import_runs(session: Session, limit: int = 50) -> pd.DataFrame:
    """The newest import runs first, for the Admin page; "who" is the person's name (the
    username when the run was not a user's, e.g. ``cli``)."""
    query = (
        sm_select(ImportRun)
        .order_by(col(ImportRun.started_at).desc(), col(ImportRun.id).desc())
        .limit(limit)
    )
    rows = session.exec(query).all()
    names = dict(
        session.exec(
            sm_select(User.username, User.name).where(
                col(User.username).in_({r.actor for r in rows})
            )
        ).all()
    )
    return pd.DataFrame(
        [
            {
                "when": r.started_at,
                "who": names.get(r.actor) or r.actor,
                "file": r.file_name,
                "kind": r.kind,
                "format": r.format,
                "rows read": r.rows_read,
                "inserted": r.created,
                "updated": r.updated,
                "unchanged": r.unchanged,
                "rejected": r.rejected,
                "status": r.status,
                "message": r.message,
            }
            for r in rows
        ],
        columns=RUN_COLUMNS,
    )
