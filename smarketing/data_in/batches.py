"""An import written in short batches, each its own transaction, and undone as a whole when
it fails: the file is atomic for its outcome (all of it or none of it), not for what others
see while it runs.

Why batches. SQLite has one write lock for the whole database; an import that held it for
its whole file (planning included) made every note, verdict and action wait seconds behind
it. Now an import plans and checks each batch on an ordinary read connection, outside any
write transaction, and then writes it in a transaction of its own
(:func:`smarketing.store.db.write_transaction`) that holds the lock only for the batch's
re-check and writes (tens of milliseconds); a person's write waits at most for one batch.

Why an undo, and not a staging table or a run published at the end. A staging table still
has to be copied into ``lead`` at the end, in one transaction as long as today's; hiding
unpublished rows behind a run id would change every query that reads ``lead``, and cannot
hide an update of a known lead. Instead each batch records, in the same transaction,
what it did (:class:`~smarketing.store.models.ImportUndo`: the ids of the rows it
inserted, the old and new value of each field it changed), so that:

* when the import fails (any exception, Ctrl-C included) the batches already committed
  are undone, newest first, each in a short transaction of its own, and the run is marked
  "failed": the database is as it was;
* when the process dies (killed, power cut), the run stays "running" with its undo rows;
  :func:`recover_interrupted` finds it at the next start of the app and before the next
  import (its process is gone from this host, or it has not written for
  :data:`STALE_AFTER`) and undoes it the same way;
* when it succeeds, one last short transaction marks the run "done", writes the audit
  entry and drops the undo rows.

The trade-off: while an import runs, others see its batches arrive (the lead list grows,
figures move, as with a CRM sync), and a failed import's leads appear and then go away
again. An undo never overwrites what a person wrote meanwhile: a field is put back only
while it still holds the value the import wrote, and a lead the import inserted stays
when someone has since recorded a verdict, an activity or a change on it (the failed run's
message says how many stayed).

One import at a time: a run starts only when no other run is "running" (a dead one is
undone first), so two imports never plan against each other's half-written batches;
a person's write that lands between planning and writing is caught by the re-check of
the batch under the lock (:mod:`smarketing.data_in.upsert`).

Every batch keeps the daily rollups in step (``rollup.refresh``) in its own transaction,
so that no one else's write pays for applying the import's changes; the data version is
bumped once, by the last transaction (done, or failed and undone), as before: cached
figures move when the file is in (uncached reads, such as the lead list, see the batches
arrive).
"""

from __future__ import annotations

import json
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import DateTime, bindparam, delete, exists, insert, select, update
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session
from sqlmodel.sql.sqltypes import UTCDateTime

from smarketing import config
from smarketing.data_in.planning import IN_CHUNK, chunks
from smarketing.errors import InvalidInput
from smarketing.formatting import count
from smarketing.i18n import _, ngettext
from smarketing.store import rollup
from smarketing.store.db import (
    bump_data_version,
    checkpoint,
    write_transaction,
)
from smarketing.store.models import (
    ImportRun,
    ImportUndo,
    Lead,
    LeadActivity,
    LeadChange,
    Verdict,
    utcnow,
)

_LEAD = Lead.__table__
_ACTIVITY = LeadActivity.__table__
_CHANGE = LeadChange.__table__
_VERDICT = Verdict.__table__
_RUN = ImportRun.__table__
_UNDO = ImportUndo.__table__
#: The lead columns that hold times (stored as ISO text in an undo).
_TIME_COLUMNS = frozenset(
    c.name for c in _LEAD.columns if isinstance(c.type, DateTime | UTCDateTime)
)

#: A running import that has not written a batch for this long is taken for dead (when its
#: process cannot be checked: another host, or a reused process id).
STALE_AFTER = timedelta(minutes=10)
#: The import's pause after each batch's commit: SQLite lets a waiting writer retry after
#: 1, 2, 5, 10, 15 … ms, so a next batch begun at once would often take the lock again
#: before a note or verdict that has waited through the whole batch.
PAUSE_S = 0.005
#: Local days whose rollups one short transaction puts in place when a run ends.
RECOUNT_DAYS = 31


def this_process() -> str:
    """How a run names the process writing it: ``host pid``."""
    return f"{socket.gethostname()[:150]} {os.getpid()}"


def _process_gone(process: str | None) -> bool:
    """True when ``process`` ran on this host and no process with its id is alive."""
    if not process or " " not in process:
        return False
    host, _, pid = process.rpartition(" ")
    if host != socket.gethostname()[:150] or not pid.isdigit():
        return False
    if int(pid) == os.getpid():
        return False  # this very process: its own run is alive (or undone by itself)
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except OSError:  # alive, another user's
        return False
    return False


# --- what a batch did -----------------------------------------------------------------------


def _encode(value: object) -> object:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return value


def _decode(column: str, value: object) -> object:
    if value is None:
        return None
    if isinstance(value, str) and column in _TIME_COLUMNS:
        return datetime.fromisoformat(value)
    return value


@dataclass
class BatchUndo:
    """What one batch wrote: the ids it inserted per table, and per lead it changed the
    ``{field: (old, new)}`` values (``updated_at`` included)."""

    leads: list[int] = field(default_factory=list)
    verdicts: list[int] = field(default_factory=list)
    activities: list[int] = field(default_factory=list)
    updates: dict[int, dict[str, tuple[object, object]]] = field(default_factory=dict)

    def changed(self, lead_id: int, old: dict, new: dict) -> None:
        """Note a lead update: ``new`` the fields written, ``old`` their stored values."""
        target = self.updates.setdefault(lead_id, {})
        for name, value in new.items():
            if name.startswith("_"):
                continue
            before = target[name][0] if name in target else old.get(name)
            target[name] = (before, value)

    def to_json(self) -> str:
        return json.dumps(
            {
                "leads": self.leads,
                "verdicts": self.verdicts,
                "activities": self.activities,
                "updates": [
                    [i, {k: [_encode(o), _encode(n)] for k, (o, n) in fields.items()}]
                    for i, fields in self.updates.items()
                ],
            },
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: str) -> BatchUndo:
        data = json.loads(text)
        return cls(
            leads=data.get("leads", []),
            verdicts=data.get("verdicts", []),
            activities=data.get("activities", []),
            updates={
                int(i): {k: (_decode(k, o), _decode(k, n)) for k, (o, n) in fields.items()}
                for i, fields in data.get("updates", [])
            },
        )


# --- the run ---------------------------------------------------------------------------------


def _mark(run_id: int) -> int:
    """The run's mark on the rollup changes its batches park (``rollup.park``)."""
    return -run_id


@contextmanager
def _snapshot(engine: Engine) -> Iterator[Connection]:
    """A read-only connection that sees one snapshot of the database for as long as it is
    open (SQLite: a read transaction in WAL mode; PostgreSQL: REPEATABLE READ)."""
    with engine.connect() as conn:
        if conn.dialect.name == "sqlite":
            conn.exec_driver_sql("BEGIN")
        else:
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
        try:
            yield conn
        finally:
            conn.rollback()


def _settle_rollups(engine: Engine, run_id: int) -> None:
    """Recount the days the run's parked rollup changes touch, :data:`RECOUNT_DAYS` at a
    time: counted on a read snapshot, outside any write transaction, then put in place in a
    short transaction with what other writes added to those days since the snapshot
    (``rollup.put_counted``: no recount while holding the lock). The parked rows are
    dropped by the run's last transaction."""
    tz = config.business_tz()
    with engine.connect() as conn:
        days = rollup.parked_days(conn, _mark(run_id))
        if not days or not rollup.lock_state(conn):
            return
    for lo in range(0, len(days), RECOUNT_DAYS):
        part = days[lo : lo + RECOUNT_DAYS]
        with _snapshot(engine) as conn:
            seen = rollup.stored_rows(conn, part)
            counted = rollup.compute(conn, part, tz)
        with write_transaction(engine) as conn:
            if not rollup.lock_state(conn):
                return
            rollup.put_counted(conn, part, counted, seen)


def _bump(conn: Connection) -> None:
    """Keep the rollups in step and bump the data version, in the caller's transaction."""
    with Session(bind=conn) as s:
        bump_data_version(s)
        s.flush()


def start_run(engine: Engine, values: dict, *, now: datetime | None = None) -> int:
    """Insert a "running" run (its own short transaction) after undoing dead runs; raises
    InvalidInput while another import is running."""
    recover_interrupted(engine, now=now)
    with write_transaction(engine) as conn:
        if conn.dialect.name == "postgresql":  # one run starts at a time (the check below)
            conn.exec_driver_sql("SELECT pg_advisory_xact_lock(7207150001)")
        other = conn.execute(
            select(_RUN.c.id, _RUN.c.actor, _RUN.c.file_name, _RUN.c.started_at).where(
                _RUN.c.status.in_(("running", "undoing"))
            )
        ).first()
        if other is not None:
            raise InvalidInput(
                _(
                    "another import is running (run #{run}, {file} by {actor}); wait until "
                    "it has finished, then import again"
                ).format(run=other.id, file=other.file_name, actor=other.actor)
            )
        stmt = (
            insert(_RUN)
            .values(**values, status="running", process=this_process(), heartbeat_at=utcnow())
            .returning(_RUN.c.id)
        )
        return int(conn.execute(stmt).scalar_one())


class Batches:
    """Writes one run's batches: :meth:`write` runs a function in a short write
    transaction, records what it did and parks its rollup changes; :meth:`finish` ends the
    run."""

    def __init__(self, engine: Engine, run_id: int) -> None:
        self.engine = engine
        self.run_id = run_id
        self.written = 0
        #: how long the last batch held the write lock (from the lock taken to the commit)
        self.held_seconds = 0.0
        self._checkpointer: threading.Thread | None = None

    def _checkpoint_behind(self) -> None:
        """Copy the WAL's committed batches into the database in a thread of its own (SQLite
        does it without the GIL, beside the next batch's planning), one checkpoint at a
        time; the batches themselves commit without checkpointing (``bulk_writes``)."""
        if self._checkpointer is not None and self._checkpointer.is_alive():
            return
        self._checkpointer = threading.Thread(
            target=checkpoint, args=(self.engine,), name="smarketing-checkpoint", daemon=True
        )
        self._checkpointer.start()

    def checkpoints_done(self) -> None:
        """Wait for the checkpoint behind the batches to end: when the run ends, done or
        failed (before it is undone), so that no thread of the run outlives it."""
        if self._checkpointer is not None:
            self._checkpointer.join()
            self._checkpointer = None

    def write(self, work: Callable[[Connection], BatchUndo]) -> None:
        """Run ``work`` in its own transaction; it returns what it wrote (its undo)."""
        with write_transaction(self.engine, bulk=True) as conn:
            locked = time.perf_counter()
            alive = conn.execute(
                update(_RUN)
                .where(_RUN.c.id == self.run_id, _RUN.c.status == "running")
                .values(heartbeat_at=utcnow())
            ).rowcount
            if not alive:
                raise RuntimeError(
                    f"import run #{self.run_id} was stopped and undone meanwhile (taken for a "
                    "dead run)"
                )
            undo = work(conn)
            if undo.leads or undo.verdicts or undo.activities or undo.updates:
                conn.execute(
                    insert(_UNDO).values(
                        run_id=self.run_id, written_at=utcnow(), entries=undo.to_json()
                    )
                )
            rollup.park(conn, _mark(self.run_id))
        self.held_seconds = time.perf_counter() - locked
        self.written += 1
        self._checkpoint_behind()
        time.sleep(PAUSE_S)  # let a write that waited for the lock have it first

    def finish(self, finish: Callable[[Connection], None], *, settle: bool = True) -> None:
        """The rollups of the touched days recounted, then the last transaction: ``finish``
        marks the run done (and bumps the data version); the undo rows and the parked
        rollup changes go. ``settle=False`` (a sync's checkpoint between two recounts)
        keeps the parked changes for the next recount: what was written stays for good,
        the rollups catch up later (or when the run is found dead)."""
        if settle:
            _settle_rollups(self.engine, self.run_id)
        with write_transaction(self.engine) as conn:
            if settle:
                rollup.drop_parked(conn, _mark(self.run_id))
            finish(conn)
            conn.execute(delete(_UNDO).where(_UNDO.c.run_id == self.run_id))
        self.checkpoints_done()


# --- undoing a run ---------------------------------------------------------------------------


def _undo_batch(conn: Connection, run_id: int, undo: BatchUndo) -> int:
    """Undo one batch in the caller's transaction; returns the inserted leads kept because
    someone wrote on them meanwhile."""
    for part in chunks(undo.verdicts, IN_CHUNK):
        conn.execute(delete(_VERDICT).where(_VERDICT.c.id.in_(part)))
    for part in chunks(undo.activities, IN_CHUNK):
        conn.execute(delete(_ACTIVITY).where(_ACTIVITY.c.id.in_(part)))
    touched = sorted(set(undo.updates) | set(undo.leads))
    for part in chunks(touched, IN_CHUNK):
        conn.execute(
            delete(_CHANGE).where(_CHANGE.c.import_run_id == run_id, _CHANGE.c.lead_id.in_(part))
        )
    ids = sorted(undo.updates)
    for part in chunks(ids, IN_CHUNK):
        names = sorted({n for i in part for n in undo.updates[i]})
        current = {
            row[0]: dict(zip(names, row[1:], strict=True))
            for row in conn.execute(
                select(_LEAD.c.id, *[_LEAD.c[n] for n in names]).where(_LEAD.c.id.in_(part))
            )
        }
        groups: dict[frozenset, list[dict]] = {}
        for lead_id in part:
            now = current.get(lead_id)
            if now is None:
                continue
            # put back only what still holds the import's value (a later write wins)
            back = {
                name: old for name, (old, new) in undo.updates[lead_id].items() if now[name] == new
            }
            if back:
                back["_id"] = lead_id
                groups.setdefault(frozenset(back), []).append(back)
        stmt = update(_LEAD).where(_LEAD.c.id == bindparam("_id"))
        for rows in groups.values():
            conn.execute(stmt, rows)
    kept = 0
    for part in chunks(sorted(undo.leads), IN_CHUNK):
        in_use = [exists().where(t.c.lead_id == _LEAD.c.id) for t in (_VERDICT, _ACTIVITY, _CHANGE)]
        gone = conn.execute(
            delete(_LEAD).where(_LEAD.c.id.in_(part), *[~x for x in in_use])
        ).rowcount
        kept += len(part) - gone
    return kept


def undo_run(
    engine: Engine,
    run_id: int,
    message: str,
    *,
    now: datetime | None = None,
    rejected: int | None = None,
) -> int:
    """Undo every committed batch of a run, newest first, each in a short transaction of its
    own, then mark the run "failed" with ``message``; returns the inserted leads kept
    because someone wrote on them meanwhile.

    A CRM sync's run (``source_id`` set) keeps what its checkpoints committed
    (:meth:`Batches.finish` after each chunk drops that chunk's undo rows): only the batches
    of the chunk it was writing are undone, and the run keeps its counts so far."""
    with write_transaction(engine) as conn:
        conn.execute(
            update(_RUN)
            .where(_RUN.c.id == run_id)
            .values(status="undoing", process=this_process(), heartbeat_at=utcnow())
        )
        sync = conn.execute(select(_RUN.c.source_id).where(_RUN.c.id == run_id)).scalar()
        is_sync = sync is not None
    kept = 0
    while True:
        if not _has_undo(engine, run_id):
            _settle_rollups(engine, run_id)
        with write_transaction(engine) as conn:
            row = conn.execute(
                select(_UNDO.c.id, _UNDO.c.entries)
                .where(_UNDO.c.run_id == run_id)
                .order_by(_UNDO.c.id.desc())
                .limit(1)
                .with_for_update()  # PostgreSQL: two undoers take turns (SQLite: the lock)
            ).first()
            if row is None:
                note = (
                    " "
                    + ngettext(
                        "{n} of its new leads stayed: someone recorded a verdict, an activity "
                        "or a change on it meanwhile.",
                        "{n} of its new leads stayed: someone recorded a verdict, an activity "
                        "or a change on them meanwhile.",
                        kept,
                    ).format(n=count(kept))
                    if kept
                    else ""
                )
                counts = {}
                if not is_sync:  # a sync's checkpointed chunks stay, with their history
                    changes = delete(_CHANGE).where(_CHANGE.c.import_run_id == run_id)
                    conn.execute(changes)  # (none left: each batch took its own)
                    counts = dict(created=0, updated=0, unchanged=0)
                    if rejected is not None:
                        counts["rejected"] = rejected
                rollup.drop_parked(conn, _mark(run_id))
                conn.execute(
                    update(_RUN)
                    .where(_RUN.c.id == run_id)
                    .values(
                        status="failed",
                        finished_at=now or utcnow(),
                        message=(message + note)[:2000],
                        heartbeat_at=None,
                        **counts,
                    )
                )
                _bump(conn)
                return kept
            kept += _undo_batch(conn, run_id, BatchUndo.from_json(row.entries))
            conn.execute(delete(_UNDO).where(_UNDO.c.id == row.id))
            conn.execute(update(_RUN).where(_RUN.c.id == run_id).values(heartbeat_at=utcnow()))
            rollup.park(conn, _mark(run_id))


def _has_undo(engine: Engine, run_id: int) -> bool:
    """True while undo rows of the run are left."""
    with engine.connect() as conn:
        found = select(_UNDO.c.id).where(_UNDO.c.run_id == run_id).limit(1)
        return conn.execute(found).first() is not None


def interrupted_runs(engine: Engine, *, clock: datetime | None = None) -> list[int]:
    """The runs still "running" (or being undone) whose process is gone from this host or
    that have not written for :data:`STALE_AFTER` before ``clock`` (the wall clock: the
    heartbeats are wall-clock times)."""
    now = clock or utcnow()
    with engine.connect() as conn:
        rows = conn.execute(
            select(_RUN.c.id, _RUN.c.process, _RUN.c.heartbeat_at, _RUN.c.started_at).where(
                _RUN.c.status.in_(("running", "undoing"))
            )
        ).all()
    out = []
    for run_id, process, heartbeat, started in rows:
        last = heartbeat or started
        if _process_gone(process) or last is None or now - last > STALE_AFTER:
            out.append(run_id)
    return out


def recover_interrupted(engine: Engine, *, now: datetime | None = None) -> list[int]:
    """Undo the runs an ended process left half-written (at start and before each import);
    returns their ids."""
    runs = interrupted_runs(engine)
    for run_id in runs:
        undo_run(
            engine,
            run_id,
            _(
                "interrupted: the process writing it ended before the import was done; the "
                "batches it had written were undone"
            ),
            now=now,
        )
    return runs


__all__ = [
    "STALE_AFTER",
    "BatchUndo",
    "Batches",
    "interrupted_runs",
    "recover_interrupted",
    "start_run",
    "this_process",
    "undo_run",
]
