"""Writing a parsed CRM export into the database: the upsert, its run log and its rules.

A reader hands over a :class:`~smarketing.imports.records.ParsedFile`; this module stores it.
Everything is written with SQLAlchemy on the model tables (the one path for timestamps;
never ``DataFrame.to_sql``), in batches of :data:`BATCH` records, inside ONE transaction
per file. Known leads are looked up per batch with ``IN (...)`` lists of at most
:data:`IN_CHUNK` ids and compared in Python. Updates, history, verdicts and activities
go through Core ``update``/``insert`` executemany; new leads, the bulk of a first import,
go through the INSERT compiled once for the dialect, with every value converted by its
column type's own bind processor and the tuples handed to the DBAPI's ``executemany``
(SQLite; other dialects take the Core path): the same stored text, without Core's
per-row parameter handling (see :func:`_insert_columns`).

Rules for leads (:func:`import_leads`):

* **Matching.** A record is the lead with the same ``(source_system, external_id)``
  (``uq_lead_record``); ``source_system`` is the file's (``ParsedFile.source_system``).
  Demo leads are never matched.
* **Insert.** An unknown id becomes a new lead (``is_demo=False``, ``updated_at=now``).
  A new lead without ``created_at`` gets the earliest stage time of its row; a row with
  no time at all cannot become a lead and is rejected.
* **Update.** For a known id every field present in the record's ``values`` is compared
  with the stored value; the differing ones are written and ``updated_at`` is bumped.
  Fields absent from the record (or given as ``None``) are left alone: an export without
  an MQL column never wipes ``mql_at``. Identical rows count as *unchanged*.
* **History.** Each changed field among the stage times (``STAGE_ORDER``),
  ``first_contact_at``, ``lost_at``, ``owner``, ``source``, ``campaign``, ``persona`` and
  ``segment`` gets one :class:`~smarketing.models.LeadChange` row (old/new as ISO text,
  ``changed_by`` the importing user, ``import_run_id`` the run). New leads have none.
* **App data wins.** Verdict fields (``accepted_at``, ``rejected_at``,
  ``rejection_reason``) are not import fields. A record the CRM marks as rejected
  (``crm_rejected``) creates a rejected :class:`~smarketing.models.Verdict`
  (``decided_by="import:<user>"``, ``decided_at=now``) and sets the lead's
  ``rejected_at``/``rejection_reason`` only when the lead has no verdict at all yet (no
  verdict row and neither verdict time set).
* **Reasons.** The CRM's reason text is matched onto the managed list of rejection
  reasons (``smarketing.reasons.match``: "student/competitor" and "Competitor" are
  ``student_competitor``) and its *key* is stored. A status alone ("Unqualified",
  "Closed - Not Converted", "Lost", "Archived") is ``unspecified`` ("No reason given").
  Text on no reason of the list is stored as ``other`` and counted in
  ``ImportResult.unknown_reasons`` (the page and the command line report it, the dry run
  too, so reasons can be added to the list first). Where the CRM's text differs from the
  label, the verdict's comment keeps it ("In HubSpot: Price too high").
* **First contact.** A first contact counts only at or after the lead's ``mql_at`` (a
  touch before the MQL is no response to it; docs/metrics.md), so an import never stores
  one earlier than ``mql_at`` (the file's or, when the file has none, the stored one). An
  import may set ``first_contact_at`` when it is empty, when the stored one is earlier
  than ``mql_at`` (it is then none), or when the new value is *earlier* than the stored
  one; it never moves a valid first contact later. A first contact recorded in the app
  therefore survives every re-import, unless the CRM knows of an earlier sales touch
  (which is then, by definition, the first contact). When the file sets or changes a
  known lead's ``mql_at``, the earliest sales activity already stored for the lead at or
  after the new ``mql_at`` is a candidate too (the activities import could not derive it
  while ``mql_at`` was empty): the same rule as for activities, below, in the same
  transaction; it is part of that lead's update (one *updated* lead, a ``LeadChange`` for
  ``first_contact_at``).
* **Spelling of grouping values.** Before writing, each of ``source``, ``campaign``,
  ``persona``, ``owner``, ``segment`` and ``first_conversion`` is compared
  case-insensitively (whitespace collapsed) with the spellings already stored for that
  field in non-demo leads (one grouped query per field and import); a match is written
  in the stored spelling, so the first spelling ever stored wins (``google`` after
  ``Google`` is stored as ``Google``). The readers already use one spelling per file.
* **Rows the upsert rejects itself** (a reader should already have caught them): no id, an
  id seen earlier in the same file, a value of the wrong type or too long for its column,
  a time without a timezone. They are returned in ``ImportResult.unmatched`` and counted
  as rejected, together with the reader's ``ParsedFile.errors``.

Rules for activities (:func:`import_activities`): each row is matched to the lead with
the file's ``source_system`` and the row's ``lead_external_id``; unknown ids are rejected
(``ImportResult.unmatched``). An activity already stored (same lead, time, kind and
detail) is *unchanged*; the rest are inserted. Afterwards, for the leads that got new
activities, ``first_contact_at`` is derived as the earliest sales activity
(``SALES_ACTIVITY_KINDS``) at or after ``mql_at`` (a grouped ``MIN`` in SQL) and written
under the same rule as above: when empty or earlier than ``mql_at``, or when earlier than
the stored value. Each derived value counts as an *updated* lead and gets a
``LeadChange`` row.

Runs: every real import writes an :class:`~smarketing.models.ImportRun` (status "done")
plus an audit entry and bumps the data version, in the same transaction as the data. If
anything fails, the data transaction rolls back (the database is as it was) and a
"failed" run with the error is written in a small transaction of its own, so the failure
shows on the Admin page; the error is re-raised. A dry run only reads: same counts, no
run row, nothing written.

Demo company: while it is in the database, a real import raises
:class:`DemoDataPresent` unless ``remove_demo=True``, which clears it first (its own
transaction, :func:`smarketing.demo.clear_demo`: what people made or changed stays, and with
``keep_starting_point`` the demo's definitions, personas and SLA agreement too; needs the
``demo.manage`` permission; ``ImportResult.demo_removal`` says what went and what stayed). A
dry run ignores the demo question and compares with the non-demo leads only.
"""

from __future__ import annotations

import gc
import math
import numbers
import operator
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import repeat

import pandas as pd
from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session, col
from sqlmodel import select as sm_select

from smarketing.auth import audit
from smarketing.auth.permissions import Actor, require
from smarketing.data_in.activities import SOURCE_SYSTEMS
from smarketing.data_in.records import (
    LEAD_FIELDS,
    STAGE_ORDER,
    ActivityRecord,
    LeadRecord,
    ParsedFile,
    RowError,
)
from smarketing.demo import RemovalPlan, clear_demo, has_demo
from smarketing.errors import InvalidInput
from smarketing.quality.reasons import DEFAULTS, OTHER, UNSPECIFIED, Reason, match, normal
from smarketing.store.db import bump_data_version
from smarketing.store.models import (
    SALES_ACTIVITY_KINDS,
    ActivityKind,
    ImportRun,
    Lead,
    LeadActivity,
    LeadChange,
    RejectionReason,
    User,
    Verdict,
    VerdictKind,
)

Progress = Callable[[float, str], None]

#: Records looked up, compared and written per step (read at call time; tests turn it down).
BATCH = 5_000
#: Ids per ``IN (...)`` list: below SQLite's old 999-parameter limit.
IN_CHUNK = 900
#: Changed fields that get a LeadChange row ("history of stage changes").
TRACKED_FIELDS = (
    *STAGE_ORDER,
    "first_contact_at",
    "lost_at",
    "owner",
    "source",
    "campaign",
    "persona",
    "segment",
)
#: How a CRM is named in the comment of a verdict an import creates.
CRM_NAMES = {"hubspot": "HubSpot", "salesforce": "Salesforce", "pipedrive": "Pipedrive"}
#: Lead fields whose values group the reports; a file's spelling of a value the database
#: already holds (compared case-insensitively) is replaced by the stored spelling.
GROUPING_FIELDS = ("source", "campaign", "persona", "owner", "segment", "first_conversion")

_LEAD = Lead.__table__
_ACTIVITY = LeadActivity.__table__
_CHANGE = LeadChange.__table__
_VERDICT = Verdict.__table__
_RUN = ImportRun.__table__

_TIME_FIELDS = frozenset(f for f in LEAD_FIELDS if f.endswith("_at"))
_INT_FIELDS = frozenset({"score"})
_FLOAT_FIELDS = frozenset({"deal_value"})
_TEXT_FIELDS = frozenset(LEAD_FIELDS) - _TIME_FIELDS - _INT_FIELDS - _FLOAT_FIELDS
#: Import fields a lead row stores, besides the key.
_VALUE_FIELDS = tuple(f for f in LEAD_FIELDS if f != "external_id")
_IMPORT_SET = frozenset(_VALUE_FIELDS)
_KNOWN_KEYS = frozenset(LEAD_FIELDS)
_ID_MAX = _LEAD.c.external_id.type.length or 64
_TZINFO = operator.attrgetter("tzinfo")
_TEXT, _TIME, _INT, _FLOAT = "text", "time", "int", "float"
#: How each import field's value is checked and normalised.
_KIND_OF = (
    {f: _TEXT for f in _VALUE_FIELDS}
    | {f: _TIME for f in _TIME_FIELDS}
    | {f: _INT for f in _INT_FIELDS}
    | {f: _FLOAT for f in _FLOAT_FIELDS}
)
_MAX_LENGTH = {
    f: _LEAD.c[f].type.length for f in _TEXT_FIELDS if getattr(_LEAD.c[f].type, "length", None)
}
_ACTIVITY_KINDS = frozenset(k.value for k in ActivityKind)
_SALES_KINDS = tuple(k.value for k in SALES_ACTIVITY_KINDS)
_DETAIL_MAX = _ACTIVITY.c.detail.type.length or 500
_CHANGE_TEXT_MAX = _CHANGE.c.new_value.type.length or 200


class DemoDataPresent(InvalidInput):
    """A real import into a database that still holds the demo company."""


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

    @property
    def summary(self) -> str:
        """One line for a person: the counts."""
        verb = "would be " if self.dry_run else ""
        text = (
            f"{self.inserted:,} {verb}inserted, {self.updated:,} {verb}updated, "
            f"{self.unchanged:,} unchanged, {self.rejected:,} rejected"
        )
        extras = []
        if self.verdicts_added:
            extras.append(f"{self.verdicts_added:,} rejected verdicts from CRM statuses")
        if self.stage_changes:
            extras.append(f"{self.stage_changes:,} field changes in the history")
        return text + (f" ({'; '.join(extras)})" if extras else "")

    @property
    def reason_note(self) -> str | None:
        """A sentence about CRM reasons that are on no reason of the list, or None."""
        if not self.unknown_reasons:
            return None
        listed = sorted(self.unknown_reasons.items(), key=lambda kv: (-kv[1], kv[0]))
        shown = ", ".join(f"{text!r} ({n:,})" for text, n in listed[:10])
        more = f" and {len(listed) - 10} more" if len(listed) > 10 else ""
        verb = "would be" if self.dry_run else "were"
        return (
            f"{len(listed)} CRM rejection reason(s) match no reason of the list: {shown}{more}. "
            f"Those verdicts {verb} stored as 'Other' with the CRM's text in the comment; to "
            "keep them apart, add the reasons under Admin → Users → Rejection reasons "
            "before importing."
        )


# --- helpers ------------------------------------------------------------------------------


def _check_now(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(UTC)
    if now.utcoffset() is None:
        raise InvalidInput("now must be timezone-aware (UTC)")
    return now.astimezone(UTC)


def _check_kind(parsed: ParsedFile, kind: str) -> None:
    if parsed.kind != kind:
        raise InvalidInput(
            f"{parsed.file_name} was read as a {parsed.kind} file; it cannot be imported as {kind}"
        )
    if not parsed.source_system:
        raise InvalidInput(f"{parsed.file_name}: the file's source system is not known")


def _chunks(items: Sequence, size: int) -> Iterator[Sequence]:
    for lo in range(0, len(items), size):
        yield items[lo : lo + size]


def _as_text(value: object) -> str | None:
    """A value as LeadChange stores it: ISO text for times (UTC), plain text otherwise."""
    if value is None:
        return None
    if isinstance(value, datetime):
        value = value.astimezone(UTC).isoformat()
    return str(value)[:_CHANGE_TEXT_MAX]


def _missing(value: object) -> bool:
    """None, NaN or NaT: a cell without a value (never written, never compared)."""
    return value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value))


def _columns_of(parsed: ParsedFile) -> dict[str, str]:
    """Field -> the file's column it was read from (for RowError.column)."""
    out: dict[str, str] = {}
    for column, fld in (parsed.mapping or {}).items():
        out.setdefault(fld, column)
    return out


def _report(progress: Progress | None) -> Progress:
    if progress is None:
        return lambda _f, _t: None
    return progress


def _prepare_demo(
    engine: Engine, actor: Actor, remove_demo: bool, keep_starting_point: bool
) -> RemovalPlan | None:
    with Session(engine) as s:
        present = has_demo(s)
    if not present:
        return None
    if not remove_demo:
        raise DemoDataPresent(
            "The database still holds the demo company. A real import removes it first: "
            "confirm the removal on the Import page, or run the command again with "
            "--remove-demo."
        )
    return clear_demo(engine, actor=actor, keep_starting_point=keep_starting_point)


def _start_run(conn: Connection, parsed: ParsedFile, actor: Actor, now: datetime) -> int:
    stmt = (
        insert(_RUN)
        .values(
            started_at=now,
            actor=actor.username,
            file_name=parsed.file_name[:300],
            format=parsed.format[:32],
            kind=parsed.kind[:16],
            rows_read=parsed.rows_read,
            status="running",
            message="",
        )
        .returning(_RUN.c.id)
    )
    return int(conn.execute(stmt).scalar_one())


def _finish_run(
    conn: Connection,
    run_id: int,
    result: ImportResult,
    parsed: ParsedFile,
    actor: Actor,
    finished: datetime,
) -> None:
    conn.execute(
        update(_RUN)
        .where(_RUN.c.id == run_id)
        .values(
            finished_at=finished,
            created=result.inserted,
            updated=result.updated,
            unchanged=result.unchanged,
            rejected=result.rejected,
            status="done",
            message=result.summary,
        )
    )
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


def _run(
    engine: Engine,
    parsed: ParsedFile,
    actor: Actor,
    dry_run: bool,
    now: datetime,
    work: Callable[[Connection, int | None], ImportResult],
) -> ImportResult:
    """Run ``work`` in one transaction (real) or on a read-only connection (dry run)."""
    started = time.perf_counter()
    if dry_run:
        with engine.connect() as conn, _old_objects_frozen():
            result = work(conn, None)
            conn.rollback()
        result.seconds = round(time.perf_counter() - started, 3)
        return result
    try:
        with engine.begin() as conn, _old_objects_frozen():
            run_id = _start_run(conn, parsed, actor, now)
            result = work(conn, run_id)
            result.run_id = run_id
            elapsed = time.perf_counter() - started
            _finish_run(conn, run_id, result, parsed, actor, now + timedelta(seconds=elapsed))
    except Exception as exc:
        _log_failure(engine, parsed, actor, now, time.perf_counter() - started, exc)
        raise
    result.seconds = round(time.perf_counter() - started, 3)
    return result


# --- leads --------------------------------------------------------------------------------


def _clean_lead(
    rec: LeadRecord, columns: dict[str, str]
) -> tuple[str, dict[str, object]] | RowError:
    """The record's key and its typed import values (None dropped), or why it is rejected."""
    raw = rec.values
    ext = raw.get("external_id")
    ext = "" if ext is None else str(ext).strip()
    if not ext:
        return RowError(rec.row, columns.get("external_id"), "no record id")
    if len(ext) > 64:
        return RowError(rec.row, columns.get("external_id"), "record id longer than 64 characters")
    values: dict[str, object] = {}
    for name, value in raw.items():
        kind = _KIND_OF.get(name)
        if kind is None or value is None:
            continue
        if kind == _TEXT:
            if type(value) is not str:
                if _missing(value):
                    continue
                value = str(value)
            if len(value) > _MAX_LENGTH.get(name, len(value)):
                return RowError(
                    rec.row, columns.get(name), f"longer than {_MAX_LENGTH[name]} characters"
                )
        elif kind == _TIME:
            if type(value) is datetime and value.tzinfo is UTC:
                pass  # the readers' output: already aware UTC (the common, fast case)
            elif type(value) is not datetime:
                if value is pd.NaT:
                    continue
                if not isinstance(value, datetime):
                    return RowError(rec.row, columns.get(name), f"not a date/time: {value!r}")
                if isinstance(value, pd.Timestamp):
                    value = value.to_pydatetime()
            if value.tzinfo is not UTC:
                if value.utcoffset() is None:
                    return RowError(rec.row, columns.get(name), "date/time without a timezone")
                value = value.astimezone(UTC)
        elif kind == _INT and type(value) is int:
            pass
        elif kind == _INT:
            if isinstance(value, float):
                if math.isnan(value):
                    continue
                if value.is_integer():
                    value = int(value)
            if not isinstance(value, numbers.Integral) or isinstance(value, bool):
                return RowError(rec.row, columns.get(name), f"not a whole number: {value!r}")
            value = int(value)
        elif type(value) is float:
            if value != value:  # NaN
                continue
        else:
            if isinstance(value, float) and math.isnan(value):
                continue
            if not isinstance(value, numbers.Real) or isinstance(value, bool):
                return RowError(rec.row, columns.get(name), f"not a number: {value!r}")
            value = float(value)
        values[name] = value
    return ext, values


def _clean_fast(
    part: Sequence[LeadRecord],
) -> tuple[list[tuple[LeadRecord, str, dict]], dict[str, list]] | None:
    """The batch as ``(record, key, values)`` without a per-value loop, plus its values
    column by column (None where a record has no value); None when any value needs
    :func:`_clean_lead` (which then judges the batch record by record).

    The readers hand over clean values: ids as trimmed text, texts that fit, aware UTC
    ``datetime``s, ``int`` scores, ``float`` amounts, missing values absent (never None).
    That is checked column by column here with C-level passes; the records' own
    ``values`` dicts are then used as they are (never modified: see :func:`_own`).
    """
    vals = [r.values for r in part]
    if not vals:
        return [], {}
    keys = set().union(*vals)
    if not keys <= _KNOWN_KEYS or "external_id" not in keys:
        return None
    ids = [v.get("external_id") for v in vals]
    if set(map(type, ids)) != {str} or not all(ids) or max(map(len, ids)) > _ID_MAX:
        return None
    if any(map(str.__ne__, ids, map(str.strip, ids))):
        return None
    columns: dict[str, list] = {"external_id": ids}
    given = len(ids)  # values that are not None, over all columns
    for name in keys - {"external_id"}:
        column = list(map(dict.get, vals, repeat(name)))
        columns[name] = column
        given += len(column) - column.count(None)
        types = set(map(type, column)) - {type(None)}
        kind = _KIND_OF[name]
        if kind == _TEXT:
            limit = _MAX_LENGTH.get(name)
            ok = types <= {str} and (
                limit is None or max(map(len, filter(None, column)), default=0) <= limit
            )
        elif kind == _TIME:  # (a datetime is never false, so filter(None) drops Nones only)
            ok = types <= {datetime} and set(map(_TZINFO, filter(None, column))) <= {UTC}
        elif kind == _INT:
            ok = types <= {int}
        else:
            ok = types <= {float} and not any(map(math.isnan, filter(None, column)))
        if not ok:
            return None
    if given != sum(map(len, vals)):
        return None  # an explicit None (a missing value): the slow path drops it
    return list(zip(part, ids, vals, strict=True)), columns


def _clean_batch(
    part: Sequence[LeadRecord], columns: dict[str, str], unmatched: list[RowError]
) -> tuple[list[tuple[LeadRecord, str, dict]], dict[str, list] | None]:
    """The batch's valid records as ``(record, key, values)`` (the others go to
    ``unmatched``), and, when every value was clean, the batch's values column by column
    (``_clean_fast``) for the insert to reuse."""
    fast = _clean_fast(part)
    if fast is not None:
        return fast
    out = []
    for rec in part:
        cleaned = _clean_lead(rec, columns)
        if isinstance(cleaned, RowError):
            unmatched.append(cleaned)
        else:
            out.append((rec, *cleaned))
    return out, None


def _own(values: dict, **changes: object) -> dict:
    """A changed copy of a record's values (the record itself is never modified: a dry
    run and the real import read the same ParsedFile)."""
    out = dict(values)
    for name, value in changes.items():
        if value is None:
            out.pop(name, None)
        else:
            out[name] = value
    return out


def _spelling_key(value: str) -> str:
    """How grouping values are compared: case-folded, inner whitespace collapsed."""
    return " ".join(value.split()).casefold()


def _stored_spellings(conn: Connection, fields: Iterable[str]) -> dict[str, dict[str, str]]:
    """For each grouping field: comparison key -> the spelling stored first (lowest lead
    id) among the non-demo leads. One ``SELECT DISTINCT`` per field (the distinct values
    are few); only when two stored spellings share a key is the first one looked up."""
    out: dict[str, dict[str, str]] = {}
    for name in fields:
        column = _LEAD.c[name]
        rows = conn.execute(
            select(column, _LEAD.c.is_demo).where(column.is_not(None)).distinct()
        ).all()
        spellings: dict[str, list[str]] = defaultdict(list)
        for value, demo in rows:
            if not demo:
                spellings[_spelling_key(value)].append(value)
        table = {key: values[0] for key, values in spellings.items() if len(values) == 1}
        clashes = [v for values in spellings.values() if len(values) > 1 for v in values]
        firsts = []
        for part in _chunks(clashes, IN_CHUNK):
            firsts += conn.execute(
                select(column, func.min(_LEAD.c.id))
                .where(column.in_(part), _LEAD.c.is_demo.is_(False))
                .group_by(column)
            ).all()
        for value, _first in sorted(firsts, key=lambda r: r[1]):
            table.setdefault(_spelling_key(value), value)
        if table:
            out[name] = table
    return out


def _respell(
    batch: list[tuple[LeadRecord, str, dict]], spellings: dict[str, dict[str, str]]
) -> list[tuple[LeadRecord, str, dict]]:
    """Grouping values written as a stored spelling (``google`` -> the stored ``Google``)."""
    for name, table in spellings.items():
        distinct = {values.get(name) for _r, _k, values in batch}
        distinct.discard(None)
        changes = {}
        for value in distinct:
            stored = table.get(_spelling_key(value))
            if stored is not None and stored != value:
                changes[value] = stored
        if not changes:
            continue
        for i, (rec, key, values) in enumerate(batch):
            value = values.get(name)
            if value in changes:
                batch[i] = (rec, key, _own(values, **{name: changes[value]}))
    return batch


def _better_first_contact(
    mql_at: datetime | None, current: datetime | None, candidates: Iterable[datetime]
) -> datetime | None:
    """The first contact to store instead of ``current``, or None to keep ``current``.

    A candidate counts only at or after ``mql_at`` (a touch before the MQL is not a
    response to it; any candidate when the lead has no ``mql_at``). The earliest one is
    stored when the lead has no first contact, when the stored one is earlier than
    ``mql_at`` (so it is none), or when it is earlier than the stored one: an import never
    moves a valid first contact later.
    """
    valid = [t for t in candidates if mql_at is None or t >= mql_at]
    if not valid:
        return None
    best = min(valid)
    if current is None or (mql_at is not None and current < mql_at) or best < current:
        return best
    return None


@dataclass
class _LeadPlan:
    """What one batch of lead records means for the database."""

    inserts: list[tuple[LeadRecord, str, dict]] = field(default_factory=list)
    #: external id -> (reason key, verdict comment) of new leads the CRM rejected
    new_verdicts: dict[str, tuple[str, str]] = field(default_factory=dict)
    updates: dict[frozenset, list[dict]] = field(default_factory=lambda: defaultdict(list))
    changes: list[dict] = field(default_factory=list)
    verdicts: list[dict] = field(default_factory=list)
    unchanged: int = 0
    updated: int = 0


def _existing_leads(
    conn: Connection, source_system: str, keys: Sequence[str], fields: Iterable[str]
) -> dict[str, dict]:
    """Stored non-demo leads of the source system for the given ids: id -> row dict."""
    names = ["id", "external_id", "is_demo", "accepted_at", "rejected_at"]
    names += [f for f in fields if f not in names]
    cols = [_LEAD.c[n] for n in names]
    out: dict[str, dict] = {}
    for part in _chunks(keys, IN_CHUNK):
        # No is_demo condition in SQL: it would make SQLite scan the is_demo index
        # instead of using uq_lead_record. Demo leads are dropped here instead.
        rows = conn.execute(
            select(*cols).where(
                _LEAD.c.source_system == source_system, _LEAD.c.external_id.in_(part)
            )
        )
        for row in rows:
            if not row[2]:
                out[row[1]] = dict(zip(names, row, strict=True))
    return out


def _ids_with_verdict(conn: Connection, lead_ids: Sequence[int]) -> set[int]:
    out: set[int] = set()
    for part in _chunks(lead_ids, IN_CHUNK):
        out.update(
            conn.execute(select(_VERDICT.c.lead_id).where(_VERDICT.c.lead_id.in_(part)).distinct())
            .scalars()
            .all()
        )
    return out


def _sales_times(conn: Connection, lead_ids: Sequence[int]) -> dict[int, list[datetime]]:
    """The stored sales activities' times of the given leads (for the first contact)."""
    act = _ACTIVITY.c
    out: dict[int, list[datetime]] = defaultdict(list)
    for part in _chunks(sorted(lead_ids), IN_CHUNK):
        rows = conn.execute(
            select(act.lead_id, act.occurred_at).where(
                act.lead_id.in_(part), act.kind.in_(_SALES_KINDS)
            )
        )
        for lead_id, occurred in rows:
            out[lead_id].append(occurred)
    return out


def _verdict_row(lead_id: int, reason: tuple[str, str], actor: Actor, now: datetime) -> dict:
    key, comment = reason
    return {
        "lead_id": lead_id,
        "verdict": VerdictKind.rejected.value,
        "reason": key,
        "comment": comment,
        "decided_by": f"import:{actor.username}"[:64],
        "decided_at": now,
        "is_demo": False,
    }


class _ReasonMap:
    """A CRM's rejection reason (or status) -> (key of the managed list, verdict comment).

    Matched like every reason text (``smarketing.reasons.match``: case, spaces and
    punctuation ignored, built-in other spellings); a status alone ("Unqualified") is
    "No reason given"; text on no reason becomes "Other" and is counted in ``unknown``.
    The comment keeps the CRM's own text where it differs from the label."""

    def __init__(self, conn: Connection, source_system: str) -> None:
        rows = conn.execute(
            select(
                RejectionReason.__table__.c.key,
                RejectionReason.__table__.c.label,
                RejectionReason.__table__.c.retired,
            )
        ).all()
        self.listed = [Reason(k, label, bool(r)) for k, label, r in rows] or [
            Reason(k, label) for k, label in DEFAULTS
        ]
        self.labels = {r.key: r.label for r in self.listed}
        self.crm = CRM_NAMES.get(source_system, "the CRM")
        self.unknown: dict[str, int] = defaultdict(int)
        self._cache: dict[str, tuple[str, str]] = {}

    def __call__(self, rec: LeadRecord) -> tuple[str, str]:
        text = " ".join((rec.crm_rejection_reason or "").split())
        if text not in self._cache:
            key = match(text, self.listed) if text else UNSPECIFIED
            if key is None:
                key = OTHER
            if not text:
                comment = f"Rejected in {self.crm}, no reason given"
            elif normal(text) == normal(self.labels.get(key, "")):
                comment = ""
            else:
                comment = f"In {self.crm}: {text}"
            self._cache[text] = (key, comment[:2000])
        return self._cache[text]

    def note(self, rec: LeadRecord) -> None:
        """Count a new verdict whose CRM text is on no reason."""
        text = " ".join((rec.crm_rejection_reason or "").split())
        if self(rec)[0] == OTHER and match(text, self.listed) is None:
            self.unknown[text] += 1


def _plan_leads(
    batch: list[tuple[LeadRecord, str, dict]],
    existing: dict[str, dict],
    with_verdict: set[int],
    sales_times: dict[int, list[datetime]],
    actor: Actor,
    now: datetime,
    run_id: int | None,
    reasons: _ReasonMap,
) -> _LeadPlan:
    plan = _LeadPlan()
    for rec, key, values in batch:
        stored = existing.get(key)
        if stored is None:
            plan.inserts.append((rec, key, values))
            if rec.crm_rejected:
                plan.new_verdicts[key] = reasons(rec)
                reasons.note(rec)
            continue
        changed: dict[str, object] = {}
        for name, value in values.items():
            if name == "first_contact_at" or stored[name] == value:
                continue  # the first contact follows its own rule (below)
            changed[name] = value
        lead_id = stored["id"]
        if "first_contact_at" in stored:  # the file has a first-contact or an MQL column
            mql_at = changed.get("mql_at", stored["mql_at"])
            offered = [values["first_contact_at"]] if "first_contact_at" in values else []
            if "mql_at" in changed and mql_at is not None:
                offered += sales_times.get(lead_id, ())  # derived from stored activities
            first = _better_first_contact(mql_at, stored["first_contact_at"], offered)
            if first is not None and first != stored["first_contact_at"]:
                changed["first_contact_at"] = first
        for name in TRACKED_FIELDS:
            if name in changed:
                plan.changes.append(
                    {
                        "lead_id": lead_id,
                        "field": name,
                        "old_value": _as_text(stored[name]),
                        "new_value": _as_text(changed[name]),
                        "changed_at": now,
                        "changed_by": actor.username[:64],
                        "import_run_id": run_id,
                    }
                )
        if (
            rec.crm_rejected
            and lead_id not in with_verdict
            and stored["accepted_at"] is None
            and stored["rejected_at"] is None
        ):
            reason = reasons(rec)
            reasons.note(rec)
            changed["rejected_at"] = now
            changed["rejection_reason"] = reason[0]
            plan.verdicts.append(_verdict_row(lead_id, reason, actor, now))
            with_verdict.add(lead_id)
        if not changed:
            plan.unchanged += 1
            continue
        changed["updated_at"] = now
        changed["_id"] = lead_id
        plan.updates[frozenset(changed)].append(changed)
        plan.updated += 1
    return plan


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
        elif given is not None and name in given and name in _IMPORT_SET:
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
        elif name in present and name in _IMPORT_SET:
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
            processors = tuple(
                table.c[name].type.dialect_impl(dialect).bind_processor(dialect) for name in order
            )
            _PREPARED[key] = _PreparedInsert(compiled.string, order, processors)
    return _PREPARED[key]


def _insert_columns(conn: Connection, table, rows: _ColumnRows) -> None:
    """Insert column-held rows. On SQLite the statement is compiled once and the DBAPI's
    executemany gets tuples of already-processed values (each column's bind processor
    applied once per value, once per column for a constant): the same text Core would
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
    conn.exec_driver_sql(prepared.sql, list(zip(*cells, strict=False)))


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


def _write_leads(
    conn: Connection,
    plan: _LeadPlan,
    source_system: str,
    actor: Actor,
    now: datetime,
    given: dict[str, list] | None = None,
) -> None:
    keys = {k: reason[0] for k, reason in plan.new_verdicts.items()}
    _insert_batch(conn, _LEAD, _lead_rows(plan.inserts, source_system, now, given, keys))
    if plan.new_verdicts:
        new_ids = _existing_leads(conn, source_system, list(plan.new_verdicts), ())
        plan.verdicts += [
            _verdict_row(new_ids[k]["id"], reason, actor, now)
            for k, reason in plan.new_verdicts.items()
        ]
    _update_leads(conn, plan.updates)
    _insert_batch(conn, _CHANGE, plan.changes)
    _insert_batch(conn, _VERDICT, plan.verdicts)


def _has_leads(conn: Connection, source_system: str) -> bool:
    query = select(_LEAD.c.id).where(_LEAD.c.source_system == source_system).limit(1)
    return conn.execute(query).first() is not None


def _import_fields(records: Sequence[LeadRecord]) -> list[str]:
    """The import fields any record of the file has."""
    if not records:
        return []
    return sorted(set().union(*(r.values for r in records)) & _IMPORT_SET)


def _prepare_new(
    rec: LeadRecord, values: dict, columns: dict[str, str], unmatched: list[RowError]
) -> dict | None:
    """A new lead's values: ``created_at`` from the earliest stage time when the row has
    none, a first contact earlier than ``mql_at`` dropped; None (and a RowError) when the
    row has no time at all."""
    if "created_at" not in values:
        stages = [values[f] for f in STAGE_ORDER if f in values]
        if not stages:
            unmatched.append(
                RowError(
                    rec.row,
                    columns.get("created_at"),
                    "a new lead needs a create date (or another stage date)",
                )
            )
            return None
        values = _own(values, created_at=min(stages))
    first, mql_at = values.get("first_contact_at"), values.get("mql_at")
    if first is not None and mql_at is not None and first < mql_at:
        values = _own(values, first_contact_at=None)
    return values


def import_leads(
    engine: Engine,
    parsed: ParsedFile,
    *,
    actor: Actor,
    dry_run: bool = False,
    remove_demo: bool = False,
    keep_starting_point: bool = True,
    progress: Progress | None = None,
    now: datetime | None = None,
) -> ImportResult:
    """Insert new leads and update known ones from a parsed lead export (one transaction).

    See the module docstring for the rules. Raises PermissionDenied without the
    ``import.run`` permission and :class:`DemoDataPresent` while the demo company is in
    the database (unless ``remove_demo``, or for a dry run).
    """
    require(actor, "import.run")
    _check_kind(parsed, "leads")
    now = _check_now(now)
    report = _report(progress)
    removal = None if dry_run else _prepare_demo(engine, actor, remove_demo, keep_starting_point)

    def work(conn: Connection, run_id: int | None) -> ImportResult:
        batch_size = max(1, BATCH)
        columns = _columns_of(parsed)
        records: list = parsed.records
        total = len(records)
        report(0.0, f"Importing {total:,} leads…")
        fields = _import_fields(records)
        lookup = _has_leads(conn, parsed.source_system)
        # the stored lead's mql_at and first contact are needed to judge either
        wanted = list(fields)
        if {"mql_at", "first_contact_at"} & set(fields):
            wanted += [f for f in ("mql_at", "first_contact_at") if f not in fields]
        spellings = _stored_spellings(conn, [f for f in GROUPING_FIELDS if f in fields])
        reasons = _ReasonMap(conn, parsed.source_system)
        seen: dict[str, int] = {}
        unmatched: list[RowError] = []
        counts = dict(inserted=0, updated=0, unchanged=0, verdicts=0, changes=0)
        done = 0
        for part in _chunks(records, batch_size):
            cleaned, given = _clean_batch(part, columns, unmatched)
            batch = []
            for rec, key, values in cleaned:
                if key in seen:
                    unmatched.append(
                        RowError(
                            rec.row,
                            columns.get("external_id"),
                            f"duplicate record id {key!r} (first on row {seen[key]})",
                        )
                    )
                    continue
                seen[key] = rec.row
                batch.append((rec, key, values))
            if spellings:
                batch = _respell(batch, spellings)
            keys = [key for _r, key, _v in batch]
            existing = _existing_leads(conn, parsed.source_system, keys, wanted) if lookup else {}
            kept = []
            for rec, key, values in batch:
                if key not in existing:
                    values = _prepare_new(rec, values, columns, unmatched)
                    if values is None:
                        continue
                kept.append((rec, key, values))
            batch = kept
            rejected_ids = [
                existing[key]["id"]
                for rec, key, _v in batch
                if rec.crm_rejected and key in existing
            ]
            with_verdict = _ids_with_verdict(conn, rejected_ids)
            # leads whose MQL date this file sets or moves: their first contact may now
            # come from activities stored earlier (the activities import could not tell)
            new_mql = [
                existing[key]["id"]
                for _r, key, values in batch
                if key in existing
                and values.get("mql_at") is not None
                and values["mql_at"] != existing[key]["mql_at"]
            ]
            times = _sales_times(conn, new_mql) if new_mql else {}
            plan = _plan_leads(batch, existing, with_verdict, times, actor, now, run_id, reasons)
            counts["inserted"] += len(plan.inserts)
            counts["updated"] += plan.updated
            counts["unchanged"] += plan.unchanged
            counts["verdicts"] += len(plan.verdicts) + len(plan.new_verdicts)
            counts["changes"] += len(plan.changes)
            # the clean columns serve the insert as they are when every record of the
            # batch is new and kept unchanged (a first import)
            if given is not None and not (
                len(plan.inserts) == len(part) and all(v is r.values for r, _k, v in plan.inserts)
            ):
                given = None
            if not dry_run:
                _write_leads(conn, plan, parsed.source_system, actor, now, given)
            done += len(part)
            report(0.98 * done / max(total, 1), f"{done:,} of {total:,} leads")
        report(1.0, "Import done" if not dry_run else "Dry run done")
        return ImportResult(
            run_id=None,
            inserted=counts["inserted"],
            updated=counts["updated"],
            unchanged=counts["unchanged"],
            rejected=len(parsed.errors) + len(unmatched),
            verdicts_added=counts["verdicts"],
            stage_changes=counts["changes"],
            dry_run=dry_run,
            seconds=0.0,
            unmatched=sorted(unmatched, key=lambda e: e.row),
            unknown_reasons=dict(reasons.unknown),
        )

    result = _run(engine, parsed, actor, dry_run, now, work)
    result.demo_removal = removal
    return result


# --- activities ---------------------------------------------------------------------------


def _lead_ids(conn: Connection, source_system: str, keys: Sequence[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for part in _chunks(keys, IN_CHUNK):
        rows = conn.execute(
            select(_LEAD.c.external_id, _LEAD.c.id, _LEAD.c.is_demo).where(
                _LEAD.c.source_system == source_system, _LEAD.c.external_id.in_(part)
            )
        )
        out.update({ext: lead_id for ext, lead_id, demo in rows if not demo})
    return out


def _stored_activities(conn: Connection, lead_ids: Sequence[int]) -> set[tuple]:
    out: set[tuple] = set()
    a = _ACTIVITY.c
    for part in _chunks(lead_ids, IN_CHUNK):
        rows = conn.execute(
            select(a.lead_id, a.occurred_at, a.kind, a.detail).where(a.lead_id.in_(part))
        )
        out.update((lead_id, at, kind, detail or "") for lead_id, at, kind, detail in rows)
    return out


def _first_contacts(
    conn: Connection,
    lead_ids: Sequence[int],
    pending: dict[int, list[datetime]],
) -> list[tuple[int, datetime | None, datetime]]:
    """(lead id, stored first contact, derived first contact) for the leads whose first
    contact the activities set or move earlier. The derived value is a grouped MIN over
    the stored sales activities at or after ``mql_at``; ``pending`` adds activities not
    written yet (the dry run)."""
    lead, act = _LEAD.c, _ACTIVITY.c
    out = []
    for part in _chunks(sorted(lead_ids), IN_CHUNK):
        stored_min = (
            select(act.lead_id, func.min(act.occurred_at).label("first"))
            .join_from(_ACTIVITY, _LEAD, act.lead_id == lead.id)
            .where(
                act.lead_id.in_(part),
                act.kind.in_(_SALES_KINDS),
                lead.mql_at.is_not(None),
                act.occurred_at >= lead.mql_at,
            )
            .group_by(act.lead_id)
        )
        firsts = dict(conn.execute(stored_min).all())
        leads = conn.execute(
            select(lead.id, lead.mql_at, lead.first_contact_at).where(lead.id.in_(part))
        )
        for lead_id, mql_at, current in leads:
            if mql_at is None:
                continue
            candidates = [t for t in pending.get(lead_id, ()) if t >= mql_at]
            if firsts.get(lead_id) is not None:
                candidates.append(firsts[lead_id])
            if not candidates:
                continue
            first = _better_first_contact(mql_at, current, candidates)
            if first is not None:
                out.append((lead_id, current, first))
    return out


def stored_source_systems(engine: Engine) -> set[str]:
    """The CRMs (``activities.SOURCE_SYSTEMS``) whose leads are in the database (demo
    leads left out): for the default CRM of an activities file."""
    query = (
        select(_LEAD.c.source_system)
        .where(_LEAD.c.source_system.in_(SOURCE_SYSTEMS), _LEAD.c.is_demo.is_(False))
        .distinct()
    )
    with engine.connect() as conn:
        return set(conn.execute(query).scalars())


def default_source_system(guess: str, stored: set[str]) -> str:
    """The CRM of an activities file's lead ids when the person did not choose one: the
    header's guess, except that a ``csv`` guess (a header like ``lead_id`` names no CRM)
    becomes the one CRM whose leads the database holds, when there is exactly one and it
    holds no ``csv`` leads."""
    if guess == "csv" and "csv" not in stored and len(stored) == 1:
        return next(iter(stored))
    return guess


def import_activities(
    engine: Engine,
    parsed: ParsedFile,
    *,
    actor: Actor,
    dry_run: bool = False,
    remove_demo: bool = False,
    keep_starting_point: bool = True,
    progress: Progress | None = None,
    now: datetime | None = None,
) -> ImportResult:
    """Insert the activities of a parsed activities export and derive first contacts
    (one transaction). See the module docstring for the rules."""
    require(actor, "import.run")
    _check_kind(parsed, "activities")
    now = _check_now(now)
    report = _report(progress)
    removal = None if dry_run else _prepare_demo(engine, actor, remove_demo, keep_starting_point)

    def work(conn: Connection, run_id: int | None) -> ImportResult:
        batch_size = max(1, BATCH)
        columns = _columns_of(parsed)
        records: list = parsed.records
        total = len(records)
        report(0.0, f"Importing {total:,} activities…")
        unmatched: list[RowError] = []
        lead_of: dict[str, int | None] = {}
        stored: set[tuple] = set()
        loaded: set[int] = set()
        touched: set[int] = set()  # leads that got a new sales activity
        pending: dict[int, list[datetime]] = defaultdict(list)
        inserted = unchanged = done = 0
        for part in _chunks(records, batch_size):
            todo: list[tuple[ActivityRecord, str, datetime, str, str]] = []
            for rec in part:
                ext = "" if rec.lead_external_id is None else str(rec.lead_external_id).strip()
                problem = None
                if not ext:
                    problem = RowError(rec.row, columns.get("lead_external_id"), "no lead id")
                elif _missing(rec.occurred_at) or not isinstance(rec.occurred_at, datetime):
                    problem = RowError(rec.row, columns.get("occurred_at"), "no date/time")
                elif rec.occurred_at.utcoffset() is None:
                    problem = RowError(
                        rec.row, columns.get("occurred_at"), "date/time without a timezone"
                    )
                elif str(rec.kind) not in _ACTIVITY_KINDS:
                    problem = RowError(
                        rec.row,
                        columns.get("kind"),
                        f"unknown activity kind {rec.kind!r} "
                        f"(known: {', '.join(sorted(_ACTIVITY_KINDS))})",
                    )
                if problem:
                    unmatched.append(problem)
                    continue
                detail = "" if _missing(rec.detail) else str(rec.detail).strip()[:_DETAIL_MAX]
                when = rec.occurred_at
                if isinstance(when, pd.Timestamp):
                    when = when.to_pydatetime()
                todo.append((rec, ext, when.astimezone(UTC), str(rec.kind), detail))
            new_keys = sorted({ext for _r, ext, *_ in todo if ext not in lead_of})
            found = _lead_ids(conn, parsed.source_system, new_keys)
            for ext in new_keys:
                lead_of[ext] = found.get(ext)
            want = sorted({lead_of[ext] for _r, ext, *_ in todo if lead_of[ext] is not None})
            stored |= _stored_activities(conn, [i for i in want if i not in loaded])
            loaded.update(want)
            rows = []
            for rec, ext, at, kind, detail in todo:
                lead_id = lead_of[ext]
                if lead_id is None:
                    unmatched.append(
                        RowError(
                            rec.row,
                            columns.get("lead_external_id"),
                            f"no {parsed.source_system} lead with id {ext!r}",
                        )
                    )
                    continue
                key = (lead_id, at, kind, detail)
                if key in stored:
                    unchanged += 1
                    continue
                stored.add(key)
                actor_name = None if _missing(rec.actor) else str(rec.actor)[:100] or None
                rows.append(
                    {
                        "lead_id": lead_id,
                        "kind": kind,
                        "detail": detail,
                        "occurred_at": at,
                        "actor": actor_name,
                        "is_demo": False,
                    }
                )
                if kind in _SALES_KINDS:
                    touched.add(lead_id)
                    if dry_run:
                        pending[lead_id].append(at)
            if not dry_run:
                _insert_batch(conn, _ACTIVITY, rows)
            inserted += len(rows)
            done += len(part)
            report(0.9 * done / max(total, 1), f"{done:,} of {total:,} activities")
        report(0.92, "Deriving first contacts…")
        derived = _first_contacts(conn, sorted(touched), pending)
        if derived and not dry_run:
            _update_leads(
                conn,
                {
                    frozenset({"_id", "first_contact_at", "updated_at"}): [
                        {"_id": i, "first_contact_at": first, "updated_at": now}
                        for i, _old, first in derived
                    ]
                },
            )
            _insert_batch(
                conn,
                _CHANGE,
                [
                    {
                        "lead_id": i,
                        "field": "first_contact_at",
                        "old_value": _as_text(old),
                        "new_value": _as_text(first),
                        "changed_at": now,
                        "changed_by": actor.username[:64],
                        "import_run_id": run_id,
                    }
                    for i, old, first in derived
                ],
            )
        report(1.0, "Import done" if not dry_run else "Dry run done")
        return ImportResult(
            run_id=None,
            inserted=inserted,
            updated=len(derived),
            unchanged=unchanged,
            rejected=len(parsed.errors) + len(unmatched),
            verdicts_added=0,
            stage_changes=len(derived),
            dry_run=dry_run,
            seconds=0.0,
            unmatched=sorted(unmatched, key=lambda e: e.row),
        )

    result = _run(engine, parsed, actor, dry_run, now, work)
    result.demo_removal = removal
    return result


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


__all__ = [
    "BATCH",
    "DemoDataPresent",
    "ImportResult",
    "import_activities",
    "import_leads",
    "import_runs",
]
