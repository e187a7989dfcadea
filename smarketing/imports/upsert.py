"""Writing a parsed CRM export into the database: the upsert, its run log and its rules.

A reader hands over a :class:`~smarketing.imports.records.ParsedFile`; this module stores it.
Everything is written with SQLAlchemy Core ``insert``/``update`` executemany on the model
tables (the one path for timestamps; never ``DataFrame.to_sql``), in batches of
:data:`BATCH` records, inside ONE transaction per file. Known leads are looked up per
batch with ``IN (...)`` lists of at most :data:`IN_CHUNK` ids and compared in Python.

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
  (``decided_by="import:<user>"``, reason from the CRM or "rejected in CRM",
  ``decided_at=now``) and sets the lead's ``rejected_at``/``rejection_reason`` only when
  the lead has no verdict at all yet (no verdict row and neither verdict time set).
* **First contact.** An import may set ``first_contact_at`` when it is empty or when the
  file's value is *earlier* than the stored one; it never moves it later. A first contact
  recorded in the app therefore survives every re-import, unless the CRM knows of an
  earlier sales touch (which is then, by definition, the first contact).
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
under the same rule as above: when empty, or when earlier than the stored value. Each
derived value counts as an *updated* lead and gets a ``LeadChange`` row.

Runs: every real import writes an :class:`~smarketing.models.ImportRun` (status "done")
plus an audit entry and bumps the data version, in the same transaction as the data. If
anything fails, the data transaction rolls back (the database is as it was) and a
"failed" run with the error is written in a small transaction of its own, so the failure
shows on the Admin page; the error is re-raised. A dry run only reads: same counts, no
run row, nothing written.

Demo company: while it is in the database, a real import raises
:class:`DemoDataPresent` unless ``remove_demo=True``, which clears it first (its own
transaction; users and settings are kept; needs the ``demo.manage`` permission). A dry
run ignores the demo question and compares with the non-demo leads only.
"""

from __future__ import annotations

import math
import numbers
import time
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import pandas as pd
from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session, col
from sqlmodel import select as sm_select

from smarketing import audit
from smarketing.db import bump_data_version
from smarketing.demo import clear_demo, has_demo
from smarketing.errors import InvalidInput
from smarketing.imports.records import (
    LEAD_FIELDS,
    STAGE_ORDER,
    ActivityRecord,
    LeadRecord,
    ParsedFile,
    RowError,
)
from smarketing.models import (
    SALES_ACTIVITY_KINDS,
    ActivityKind,
    ImportRun,
    Lead,
    LeadActivity,
    LeadChange,
    Verdict,
    VerdictKind,
)
from smarketing.permissions import Actor, require

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
DEFAULT_REJECTION_REASON = "rejected in CRM"

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
#: Column values of a new lead when the file has no value for them.
_INSERT_DEFAULTS: dict[str, object] = {
    f: ("" if not _LEAD.c[f].nullable and f in _TEXT_FIELDS else None) for f in _VALUE_FIELDS
}
_INSERT_DEFAULTS.update(rejected_at=None, rejection_reason=None)
_IMPORT_SET = frozenset(_VALUE_FIELDS)
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
_REASON_MAX = _VERDICT.c.reason.type.length or 100
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


def _prepare_demo(engine: Engine, actor: Actor, remove_demo: bool) -> None:
    with Session(engine) as s:
        present = has_demo(s)
    if not present:
        return
    if not remove_demo:
        raise DemoDataPresent(
            "The database still holds the demo company. A real import removes it first: "
            "confirm the removal on the Import page, or run the command again with "
            "--remove-demo."
        )
    clear_demo(engine, actor=actor)


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
        with engine.connect() as conn:
            result = work(conn, None)
            conn.rollback()
        result.seconds = round(time.perf_counter() - started, 3)
        return result
    try:
        with engine.begin() as conn:
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


@dataclass
class _LeadPlan:
    """What one batch of lead records means for the database."""

    inserts: list[dict] = field(default_factory=list)
    new_verdicts: dict[str, str] = field(default_factory=dict)  # external id -> reason
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


def _verdict_row(lead_id: int, reason: str, actor: Actor, now: datetime) -> dict:
    return {
        "lead_id": lead_id,
        "verdict": VerdictKind.rejected.value,
        "reason": reason,
        "comment": "",
        "decided_by": f"import:{actor.username}"[:64],
        "decided_at": now,
        "is_demo": False,
    }


def _reason(rec: LeadRecord) -> str:
    reason = (rec.crm_rejection_reason or "").strip() or DEFAULT_REJECTION_REASON
    return reason[:_REASON_MAX]


def _plan_leads(
    batch: list[tuple[LeadRecord, str, dict]],
    template: dict[str, object],
    existing: dict[str, dict],
    with_verdict: set[int],
    source_system: str,
    actor: Actor,
    now: datetime,
    run_id: int | None,
) -> _LeadPlan:
    plan = _LeadPlan()
    for rec, key, values in batch:
        stored = existing.get(key)
        if stored is None:
            row = dict(template)
            row.update(values)
            row["source_system"] = source_system
            row["external_id"] = key
            row["is_demo"] = False
            row["updated_at"] = now
            if rec.crm_rejected:
                reason = _reason(rec)
                row["rejected_at"] = now
                row["rejection_reason"] = reason
                plan.new_verdicts[key] = reason
            plan.inserts.append(row)
            continue
        changed: dict[str, object] = {}
        for name, value in values.items():
            old = stored[name]
            if old == value:
                continue
            if name == "first_contact_at" and old is not None and value > old:
                continue  # never move the first contact later
            changed[name] = value
        lead_id = stored["id"]
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
            reason = _reason(rec)
            changed["rejected_at"] = now
            changed["rejection_reason"] = reason
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


def _insert_batch(conn: Connection, table, rows: list[dict]) -> None:
    """One Core executemany insert (a seam for tests that inject failures)."""
    if rows:
        conn.execute(insert(table), rows)


def _update_leads(conn: Connection, groups: dict[frozenset, list[dict]]) -> None:
    stmt = update(_LEAD).where(_LEAD.c.id == bindparam("_id"))
    for rows in groups.values():
        conn.execute(stmt, rows)


def _write_leads(
    conn: Connection, plan: _LeadPlan, source_system: str, actor: Actor, now: datetime
) -> None:
    _insert_batch(conn, _LEAD, plan.inserts)  # every row has the template's keys
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


def import_leads(
    engine: Engine,
    parsed: ParsedFile,
    *,
    actor: Actor,
    dry_run: bool = False,
    remove_demo: bool = False,
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
    if not dry_run:
        _prepare_demo(engine, actor, remove_demo)

    def work(conn: Connection, run_id: int | None) -> ImportResult:
        batch_size = max(1, BATCH)
        columns = _columns_of(parsed)
        records: list = parsed.records
        total = len(records)
        report(0.0, f"Importing {total:,} leads…")
        fields = sorted({f for r in records for f in r.values if f in _IMPORT_SET})
        # The columns of every new lead row: the file's fields plus the required ones
        # (executemany needs the same keys in every row; other columns take their default).
        template = {f: _INSERT_DEFAULTS[f] for f in (*fields, "created_at")}
        if any(r.crm_rejected for r in records):
            template.update(rejected_at=None, rejection_reason=None)
        lookup = _has_leads(conn, parsed.source_system)
        seen: dict[str, int] = {}
        unmatched: list[RowError] = []
        counts = dict(inserted=0, updated=0, unchanged=0, verdicts=0, changes=0)
        done = 0
        for part in _chunks(records, batch_size):
            batch: list[tuple[LeadRecord, str, dict]] = []
            for rec in part:
                cleaned = _clean_lead(rec, columns)
                if isinstance(cleaned, RowError):
                    unmatched.append(cleaned)
                    continue
                key, values = cleaned
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
            keys = [key for _r, key, _v in batch]
            existing = _existing_leads(conn, parsed.source_system, keys, fields) if lookup else {}
            kept = []
            for rec, key, values in batch:
                if key not in existing and "created_at" not in values:
                    stages = [values[f] for f in STAGE_ORDER if f in values]
                    if not stages:
                        unmatched.append(
                            RowError(
                                rec.row,
                                columns.get("created_at"),
                                "a new lead needs a create date (or another stage date)",
                            )
                        )
                        continue
                    values["created_at"] = min(stages)
                kept.append((rec, key, values))
            batch = kept
            rejected_ids = [
                existing[key]["id"]
                for rec, key, _v in batch
                if rec.crm_rejected and key in existing
            ]
            with_verdict = _ids_with_verdict(conn, rejected_ids)
            plan = _plan_leads(
                batch, template, existing, with_verdict, parsed.source_system, actor, now, run_id
            )
            counts["inserted"] += len(plan.inserts)
            counts["updated"] += plan.updated
            counts["unchanged"] += plan.unchanged
            counts["verdicts"] += len(plan.verdicts) + len(plan.new_verdicts)
            counts["changes"] += len(plan.changes)
            if not dry_run:
                _write_leads(conn, plan, parsed.source_system, actor, now)
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
        )

    return _run(engine, parsed, actor, dry_run, now, work)


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
            first = min(candidates)
            if current is None or first < current:
                out.append((lead_id, current, first))
    return out


def import_activities(
    engine: Engine,
    parsed: ParsedFile,
    *,
    actor: Actor,
    dry_run: bool = False,
    remove_demo: bool = False,
    progress: Progress | None = None,
    now: datetime | None = None,
) -> ImportResult:
    """Insert the activities of a parsed activities export and derive first contacts
    (one transaction). See the module docstring for the rules."""
    require(actor, "import.run")
    _check_kind(parsed, "activities")
    now = _check_now(now)
    report = _report(progress)
    if not dry_run:
        _prepare_demo(engine, actor, remove_demo)

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

    return _run(engine, parsed, actor, dry_run, now, work)


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
    """The newest import runs first, for the Admin page."""
    query = (
        sm_select(ImportRun)
        .order_by(col(ImportRun.started_at).desc(), col(ImportRun.id).desc())
        .limit(limit)
    )
    rows = session.exec(query).all()
    return pd.DataFrame(
        [
            {
                "when": r.started_at,
                "who": r.actor,
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
