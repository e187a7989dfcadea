"""Importing a parsed CRM export: ``import_leads`` and ``import_activities``, and the rules
they follow. Each plans the file batch by batch (:mod:`smarketing.data_in.planning`: what
every row becomes) and writes each batch's plan in a short transaction of its own
(:mod:`smarketing.data_in.writing`: the inserts and updates, the import run;
:mod:`smarketing.data_in.batches`: the batches, and the undo that makes the file all or
nothing); a dry run only plans.

A reader hands over a :class:`~smarketing.data_in.records.ParsedFile`; this module stores
it. Everything is written with SQLAlchemy on the model tables (the one path for timestamps;
never ``DataFrame.to_sql``), in batches of :data:`BATCH` records, each planned on a read
connection, outside any write transaction, and then written in a short transaction of its
own (a person's note or verdict waits for one batch at most, not for the file; see
:mod:`smarketing.data_in.batches` for why batches and how a failure undoes them). Before a
lead batch is written, what its plan depends on (the stored leads of its ids, their
verdicts, their sales activities) is read again inside that transaction, under the write
lock (rows locked on PostgreSQL): when someone changed one of them since the plan was made,
the batch is planned again there, on what is stored now. Activity batches are matched inside
their transaction (small reads). Known leads are looked up per batch with ``IN (...)`` lists
of at most :data:`~smarketing.data_in.planning.IN_CHUNK` ids and compared in Python.
Updates, history, verdicts and activities go through Core ``update``/``insert`` executemany;
new leads, the bulk of a first import, go through the INSERT compiled once for the dialect,
with every value converted by its column type's own bind processor and the tuples handed to
the DBAPI's ``executemany`` (SQLite; other dialects take the Core path): the same stored
text, without Core's per-row parameter handling (see
:func:`smarketing.data_in.writing._insert_columns`).

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
  ``segment`` gets one :class:`~smarketing.store.models.LeadChange` row (old/new as ISO text,
  ``changed_by`` the importing user, ``import_run_id`` the run). New leads have none.
* **App data wins.** Verdict fields (``accepted_at``, ``rejected_at``,
  ``rejection_reason``) are not import fields. A record the CRM marks as rejected
  (``crm_rejected``) creates a rejected :class:`~smarketing.store.models.Verdict`
  (``decided_by="import:<user>"``, ``decided_at=now``) and sets the lead's
  ``rejected_at``/``rejection_reason`` only when the lead has no verdict at all yet (no
  verdict row and neither verdict time set).
* **Reasons.** The CRM's reason text is matched onto the managed list of rejection
  reasons (``smarketing.quality.reasons.match``: "student/competitor" and "Competitor" are
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
* **Misread text.** A known lead's text field is not changed to a misread form of its
  stored value (the stored text written as UTF-8 and read as cp1252 or Latin-1, once or
  twice: ``Bråten`` -> ``BrÃ¥ten``; ``planning.misread_as``): the stored value stays, and
  ``ImportResult.warnings`` names the lead, the column and old -> new.
* **Dates in the future.** A row's date later than the horizon (``now`` plus
  ``config.import_future_days()``, ``SMARKETING_IMPORT_FUTURE_DAYS``, default one day) is
  imported as it is, with a warning in ``ImportResult.warnings`` (activities too).
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

Runs: every real import starts an :class:`~smarketing.store.models.ImportRun` ("running";
one import at a time: another one is refused while a run is running), writes its batches,
and in its last transaction marks the run "done" with its counts, writes an audit entry
and bumps the data version (once per import). If anything fails, the batches already
committed are undone (the database is as it was, except that a lead someone gave a
verdict meanwhile stays) and the run is marked "failed" with the error, so the failure
shows on the Admin page; the error is re-raised. A run whose process died is undone at
the next start of the app or before the next import. A dry run only reads: same counts,
no run row, nothing written.

Demo company: while it is in the database, a real import raises
:class:`DemoDataPresent` unless ``remove_demo=True``, which clears it first (its own
transaction, :func:`smarketing.demo.clear_demo`: what people made or changed stays, and with
``keep_starting_point`` the demo's definitions, personas and SLA agreement too; needs the
``demo.manage`` permission; ``ImportResult.demo_removal`` says what went and what stayed). A
dry run ignores the demo question and compares with the non-demo leads only.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session

from smarketing.auth.permissions import Actor, require
from smarketing.data_in.batches import Batches, BatchUndo
from smarketing.data_in.planning import (
    ActivityPlanner,
    Basis,
    LeadPlan,
    LeadPlanner,
    Prepared,
    Spellings,
    chunks,
    first_contact_changes,
    first_contacts,
)
from smarketing.data_in.records import ParsedFile
from smarketing.data_in.writing import (
    ImportResult,
    run_import,
    write_activities,
    write_first_contacts,
    write_leads,
)
from smarketing.demo import RemovalPlan, clear_demo, has_demo
from smarketing.errors import InvalidInput
from smarketing.formatting import count
from smarketing.i18n import _

Progress = Callable[[float, str], None]

#: Records looked up, compared and written per step at first, and at least (read at call
#: time; tests turn it down).
BATCH = 250
#: The most records per step: a batch grows (doubling) while it holds the write lock for
#: under half of ``LOCK_TARGET_S`` and shrinks (halving) when it holds it longer, so a
#: quiet server writes fewer, larger batches and a busy one keeps each wait short.
BATCH_MAX = 2000
LOCK_TARGET_S = 0.1


def next_batch_size(size: int, held_seconds: float) -> int:
    """The next batch's size after one of ``size`` records held the write lock this long."""
    if held_seconds < LOCK_TARGET_S / 2:
        size *= 2
    elif held_seconds > LOCK_TARGET_S:
        size //= 2
    return max(max(1, BATCH), min(size, BATCH_MAX))


class DemoDataPresent(InvalidInput):
    """A real import into a database that still holds the demo company."""


def _check_now(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(UTC)
    if now.utcoffset() is None:
        raise InvalidInput("now must be timezone-aware (UTC)")
    return now.astimezone(UTC)


def _check_kind(parsed: ParsedFile, kind: str) -> None:
    if parsed.kind != kind:
        raise InvalidInput(
            _("{name} was read as a {kind} file; it cannot be imported as {wanted}").format(
                name=parsed.file_name, kind=parsed.kind, wanted=kind
            )
        )
    if not parsed.source_system:
        raise InvalidInput(
            _("{name}: the file's source system is not known").format(name=parsed.file_name)
        )


def _report(progress: Progress | None) -> Progress:
    if progress is None:
        return lambda _f, _t: None
    return progress


def prepare_demo(
    engine: Engine, actor: Actor, remove_demo: bool, keep_starting_point: bool
) -> RemovalPlan | None:
    with Session(engine) as s:
        present = has_demo(s)
    if not present:
        return None
    if not remove_demo:
        raise DemoDataPresent(
            _(
                "The database still holds the demo company. A real import removes it first: "
                "confirm the removal on the Import page, or run the command again with "
                "--remove-demo."
            )
        )
    return clear_demo(engine, actor=actor, keep_starting_point=keep_starting_point)


def _writes(plan: LeadPlan) -> bool:
    """Whether a plan writes anything (a batch of unchanged leads needs no transaction: a
    lead someone changed meanwhile keeps what they wrote)."""
    return bool(plan.inserts or plan.updates or plan.changes or plan.verdicts)


def _write_batch(
    batches: Batches,
    planner: LeadPlanner,
    prepared: Prepared,
    basis: Basis,
    plan: LeadPlan,
    given: dict[str, list] | None,
) -> tuple[LeadPlan, dict[str, list] | None]:
    """... and written in a short transaction of its own, after reading the batch's basis
    again under the write lock (rows locked on PostgreSQL): when someone changed one of its
    leads (or created one of its ids) since the plan was made, the batch is planned again
    on what is stored now. Returns the plan written."""
    written = [plan, given]

    def write(conn: Connection) -> BatchUndo:
        fresh = planner.basis(conn, prepared, lock=True)
        if fresh != basis:
            written[:] = planner.decide(prepared, fresh)
        return write_leads(
            conn, written[0], planner.source_system, planner.actor, planner.now, written[1]
        )

    batches.write(write)
    return written[0], written[1]


def lead_steps(
    conn: Connection,
    batches: Batches | None,
    parsed: ParsedFile,
    *,
    actor: Actor,
    now: datetime,
    report: Progress,
    spellings: Spellings | None = None,
) -> ImportResult:
    """Plan a parsed lead file's records batch by batch on ``conn`` (a read connection) and
    write each batch through ``batches`` (None: a dry run, nothing written); the counts
    (``run_id`` None, ``seconds`` 0: the caller's). The steps of :func:`import_leads`,
    also used by a CRM sync for each of its chunks (with the stored ``spellings`` it keeps
    from one chunk to the next)."""
    batch_size = max(1, BATCH)
    records: list = parsed.records
    total = len(records)
    report(0.0, _("Importing {n} leads…").format(n=count(total)))
    run_id = batches.run_id if batches is not None else None
    planner = LeadPlanner(conn, parsed, actor, now, run_id, spellings)
    conn.rollback()  # (a read transaction is never held open across batches)
    counts = dict(inserted=0, updated=0, unchanged=0, verdicts=0, changes=0)
    done = 0
    while done < total:
        part = records[done : done + batch_size]
        # planned outside any write transaction, on what is committed now ...
        prepared = planner.prepare(part)
        basis = planner.basis(conn, prepared)
        conn.rollback()
        plan, given = planner.decide(prepared, basis)
        if batches is not None and _writes(plan):
            plan, given = _write_batch(batches, planner, prepared, basis, plan, given)
            batch_size = next_batch_size(batch_size, batches.held_seconds)
            if spellings is not None:
                spellings.wrote(plan)
        planner.accept(plan)
        counts["inserted"] += len(plan.inserts)
        counts["updated"] += plan.updated
        counts["unchanged"] += plan.unchanged
        counts["verdicts"] += len(plan.verdicts) + len(plan.new_verdicts)
        counts["changes"] += len(plan.changes)
        done += len(part)
        report(
            0.98 * done / max(total, 1),
            _("{done} of {n} leads").format(done=count(done), n=count(total)),
        )
    report(1.0, _("Import done") if batches is not None else _("Dry run done"))
    return ImportResult(
        run_id=None,
        inserted=counts["inserted"],
        updated=counts["updated"],
        unchanged=counts["unchanged"],
        rejected=len(parsed.errors) + len(planner.unmatched),
        verdicts_added=counts["verdicts"],
        stage_changes=counts["changes"],
        dry_run=batches is None,
        seconds=0.0,
        unmatched=sorted(planner.unmatched, key=lambda e: e.row),
        unknown_reasons=dict(planner.reasons.unknown),
        warnings=planner.warnings.sorted(),
    )


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
    """Insert new leads and update known ones from a parsed lead export (in batches, all
    or nothing).

    See the module docstring for the rules. Raises PermissionDenied without the
    ``import.run`` permission and :class:`DemoDataPresent` while the demo company is in
    the database (unless ``remove_demo``, or for a dry run).
    """
    require(actor, "import.run")
    _check_kind(parsed, "leads")
    now = _check_now(now)
    report = _report(progress)
    removal = None if dry_run else prepare_demo(engine, actor, remove_demo, keep_starting_point)

    def work(conn: Connection, batches: Batches | None) -> ImportResult:
        return lead_steps(conn, batches, parsed, actor=actor, now=now, report=report)

    result = run_import(engine, parsed, actor, dry_run, now, work)
    result.demo_removal = removal
    return result


def _write_and_count(batches: Batches, work: Callable[[Connection], BatchUndo]) -> BatchUndo:
    """``batches.write(work)``, returning what the batch wrote."""
    out = [BatchUndo()]

    def keep(conn: Connection) -> BatchUndo:
        out[0] = work(conn)
        return out[0]

    batches.write(keep)
    return out[0]


def activity_steps(
    conn: Connection,
    batches: Batches | None,
    parsed: ParsedFile,
    *,
    actor: Actor,
    now: datetime,
    report: Progress,
) -> ImportResult:
    """The steps of :func:`import_activities` (as :func:`lead_steps` for leads): match and
    write the activities batch by batch, then derive the first contacts."""
    batch_size = max(1, BATCH)
    records: list = parsed.records
    total = len(records)
    report(0.0, _("Importing {n} activities…").format(n=count(total)))
    run_id = batches.run_id if batches is not None else None
    planner = ActivityPlanner(conn, parsed, keep_pending=batches is None, now=now)
    inserted = done = 0
    while done < total:
        part = records[done : done + batch_size]
        if batches is None:
            inserted += len(planner.plan(part))
            conn.rollback()
        else:
            # the rows are matched and compared with the stored activities inside the
            # batch's short write transaction: those reads are small, and what is
            # stored cannot change under them
            def write(wconn: Connection, part=part) -> BatchUndo:
                planner.conn = wconn
                rows = planner.plan(part)
                return write_activities(wconn, rows)

            undo = _write_and_count(batches, write)
            inserted += len(undo.activities)
            batch_size = next_batch_size(batch_size, batches.held_seconds)
        done += len(part)
        report(
            0.9 * done / max(total, 1),
            _("{done} of {n} activities").format(done=count(done), n=count(total)),
        )
    report(0.92, _("Deriving first contacts…"))
    planner.conn = conn
    touched = sorted(planner.touched)
    if batches is None:
        derived = first_contacts(conn, touched, planner.pending)
        conn.rollback()
    else:  # derived and written in batches of leads, under the write lock
        derived = []
        for part in chunks(touched, batch_size):

            def derive(wconn: Connection, part=part) -> BatchUndo:
                found = first_contacts(wconn, part, {})
                derived.extend(found)
                changes = first_contact_changes(found, actor, now, run_id)
                return write_first_contacts(wconn, found, changes, now)

            batches.write(derive)
    report(1.0, _("Import done") if batches is not None else _("Dry run done"))
    return ImportResult(
        run_id=None,
        inserted=inserted,
        updated=len(derived),
        unchanged=planner.unchanged,
        rejected=len(parsed.errors) + len(planner.unmatched),
        verdicts_added=0,
        stage_changes=len(derived),
        dry_run=batches is None,
        seconds=0.0,
        unmatched=sorted(planner.unmatched, key=lambda e: e.row),
        warnings=planner.warnings.sorted(),
    )


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
    (in batches, all or nothing). See the module docstring for the rules."""
    require(actor, "import.run")
    _check_kind(parsed, "activities")
    now = _check_now(now)
    report = _report(progress)
    removal = None if dry_run else prepare_demo(engine, actor, remove_demo, keep_starting_point)

    def work(conn: Connection, batches: Batches | None) -> ImportResult:
        return activity_steps(conn, batches, parsed, actor=actor, now=now, report=report)

    result = run_import(engine, parsed, actor, dry_run, now, work)
    result.demo_removal = removal
    return result


__all__ = [
    "BATCH",
    "DemoDataPresent",
    "ImportResult",
    "activity_steps",
    "import_activities",
    "import_leads",
    "lead_steps",
    "prepare_demo",
]
