"""An import written in short batches (smarketing.data_in.batches): a person's write goes
through between two batches; a failure in a later batch undoes the batches already
committed (and keeps what people wrote meanwhile); a run whose process died is undone
before the next import; a lead changed between a batch's plan and its write is planned
again; the counts and the history are those of one transaction. Between batches means the
import's progress callback, which it calls after each batch's commit (no timing)."""

from __future__ import annotations

import time
from contextlib import contextmanager

import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from smarketing.data_in import batches, planning, upsert, writing
from smarketing.data_in.upsert import import_leads
from smarketing.data_in.writing import import_runs
from smarketing.errors import InvalidInput
from smarketing.quality.verdicts import record_verdict
from smarketing.store import db, rollup
from smarketing.store.models import (
    ImportRun,
    ImportUndo,
    Lead,
    LeadChange,
    RollupLog,
    Verdict,
)
from tests.conftest import NOW
from tests.databases import on_postgres
from tests.imports.test_upsert import ADMIN, LATER, SALES, at, leads_file, rec
from tests.test_rollup import assert_in_step


def count(engine, model, *where) -> int:
    with engine.connect() as conn:
        query = select(func.count()).select_from(model)
        return conn.execute(query.where(*where) if where else query).scalar_one()


def stored(engine) -> dict[str, Lead]:
    with Session(engine) as s:
        return {x.external_id: x for x in s.exec(select(Lead)).scalars()}


@pytest.fixture
def base(engine):
    """Two known leads: 100 (owner kari) and 101, an MQL without a verdict."""
    import_leads(
        engine,
        leads_file(
            rec("100", 2, created_at=at(1), owner="kari"),
            rec("101", 3, created_at=at(2), mql_at=at(3), source="google"),
        ),
        actor=ADMIN,
        now=NOW,
    )
    return stored(engine)


@pytest.fixture
def person(db_url, monkeypatch):
    """Another app connection whose writes wait 0.2 s at most for a lock (not 20 s): a
    write that an import blocks fails at once."""
    monkeypatch.setattr(db, "BUSY_TIMEOUT_MS", 200)
    eng = db.make_engine(db_url)
    yield eng
    eng.dispose()


def a_file():
    """Six rows in three batches of two: an update of 100, new leads (one the CRM
    rejected, with its verdict), and a new MQL on another day."""
    return leads_file(
        rec("100", 2, created_at=at(1), owner="per"),
        rec("200", 3, created_at=at(4), mql_at=at(5)),
        rec("201", 4, created_at=at(6), mql_at=at(6, 12), rejected=True, reason="No budget"),
        rec("202", 5, created_at=at(7)),
        rec("203", 6, created_at=at(8), mql_at=at(9), source="linkedin"),
        rec("204", 7, created_at=at(10)),
        name="batches.csv",
    )


def test_a_person_writes_between_two_batches(engine, base, person, monkeypatch):
    monkeypatch.setattr(upsert, "BATCH", 2)
    monkeypatch.setattr(upsert, "BATCH_MAX", 2)  # (no growth)
    seen = []

    def between(fraction, _text):
        if 0 < fraction < 1:  # after a batch's commit, before the next batch
            with Session(person) as s:
                seen.append(s.execute(select(func.count()).select_from(Lead)).scalar_one())
                record_verdict(  # (fails with "database is locked" while an import holds it)
                    s,
                    actor=SALES,
                    lead_id=base["101"].id,
                    verdict="accepted" if len(seen) % 2 else "rejected",
                    reason=None if len(seen) % 2 else "no_budget",
                    comment=f"between batch {len(seen)} and the next",
                    now=at(20, len(seen)),
                )

    result = import_leads(engine, a_file(), actor=ADMIN, now=LATER, progress=between)
    assert (result.inserted, result.updated, result.unchanged) == (5, 1, 0)
    assert seen == [3, 5, 7]  # each batch was committed, and visible, before the next
    assert count(engine, Verdict, Verdict.decided_by == "sam") == 3
    assert_in_step(engine)


def test_a_failure_in_a_later_batch_undoes_the_committed_ones(engine, base, monkeypatch):
    monkeypatch.setattr(upsert, "BATCH", 2)
    monkeypatch.setattr(upsert, "BATCH_MAX", 2)  # (no growth)
    real = writing._insert_batch
    lead_batches = []

    def flaky(conn, table, rows):
        if table is Lead.__table__:
            lead_batches.append(len(rows))
            if len(lead_batches) == 3:
                raise RuntimeError("disk on fire")
        real(conn, table, rows)

    monkeypatch.setattr(writing, "_insert_batch", flaky)
    committed = []

    def between(fraction, _text):
        if 0 < fraction < 1:
            committed.append(count(engine, Lead))

    version = count(engine, Verdict)
    with pytest.raises(RuntimeError, match="disk on fire"):
        import_leads(engine, a_file(), actor=ADMIN, now=LATER, progress=between)
    assert committed == [3, 5]  # two batches were committed before the third failed
    leads = stored(engine)
    assert set(leads) == {"100", "101"}
    assert leads["100"].owner == "kari" and leads["100"].updated_at == NOW
    assert count(engine, LeadChange) == 0
    assert count(engine, Verdict) == version
    assert count(engine, ImportUndo) == 0 and count(engine, RollupLog) == 0
    assert_in_step(engine)
    with Session(engine) as s:
        runs = import_runs(s)
    assert list(runs["status"]) == ["failed", "done"]
    failed = runs.iloc[0]
    assert failed["file"] == "batches.csv" and "disk on fire" in failed["message"]
    assert (failed["inserted"], failed["updated"], failed["rows read"]) == (0, 0, 6)


def test_an_undo_keeps_what_people_wrote_meanwhile(engine, base, person, monkeypatch):
    monkeypatch.setattr(upsert, "BATCH", 2)
    monkeypatch.setattr(upsert, "BATCH_MAX", 2)  # (no growth)
    real = writing._insert_batch
    lead_batches = []

    def flaky(conn, table, rows):
        if table is Lead.__table__:
            lead_batches.append(len(rows))
            if len(lead_batches) == 3:
                raise RuntimeError("disk on fire")
        real(conn, table, rows)

    monkeypatch.setattr(writing, "_insert_batch", flaky)

    def between(fraction, _text):
        if 0 < fraction < 1 and not count(engine, Verdict, Verdict.decided_by == "sam"):
            with Session(person) as s:  # a verdict on lead 200, new in the first batch
                new = s.exec(select(Lead).where(Lead.external_id == "200")).scalars().one()
                record_verdict(s, actor=SALES, lead_id=new.id, verdict="accepted",
                               reason=None, now=at(21))  # fmt: skip

    with pytest.raises(RuntimeError, match="disk on fire"):
        import_leads(engine, a_file(), actor=ADMIN, now=LATER, progress=between)
    leads = stored(engine)
    assert set(leads) == {"100", "101", "200"}  # the lead with the person's verdict stays
    assert leads["200"].accepted_at == at(21)
    assert leads["100"].owner == "kari"
    assert count(engine, Verdict, Verdict.decided_by == "sam") == 1
    assert count(engine, Verdict, Verdict.decided_by.like("import:%")) == 0
    with Session(engine) as s:
        failed = import_runs(s).iloc[0]
    assert "1 of its new leads stayed" in failed["message"]
    assert_in_step(engine)


def test_a_dead_run_is_undone_before_the_next_import(engine, base, monkeypatch):
    monkeypatch.setattr(upsert, "BATCH", 2)
    monkeypatch.setattr(upsert, "BATCH_MAX", 2)  # (no growth)
    real = writing._insert_batch
    lead_batches = []

    def dies(conn, table, rows):
        if table is Lead.__table__:
            lead_batches.append(len(rows))
            if len(lead_batches) == 3:
                raise KeyboardInterrupt  # as the process is killed: nothing undone …
        real(conn, table, rows)

    monkeypatch.setattr(writing, "_insert_batch", dies)
    monkeypatch.setattr(writing, "_undo_failed", lambda *a: None)  # … by itself
    with pytest.raises(KeyboardInterrupt):
        import_leads(engine, a_file(), actor=ADMIN, now=LATER)
    assert count(engine, Lead) == 5  # two batches are in, the run is "running"
    # this process is alive: its run is not taken for dead, and a second import waits
    monkeypatch.setattr(writing, "_insert_batch", real)
    with pytest.raises(InvalidInput, match="another import is running"):
        import_leads(engine, a_file(), actor=ADMIN, now=LATER)
    with Session(engine) as s:
        run = s.exec(select(ImportRun).where(ImportRun.status == "running")).scalars().one()
        run.process = "a-host-that-is-gone 4242"  # (another host: judged by its heartbeat)
        run.heartbeat_at = batches.utcnow() - batches.STALE_AFTER * 2
        s.add(run)
        s.commit()
        dead = run.id
    assert batches.interrupted_runs(engine) == [dead]
    result = import_leads(engine, a_file(), actor=ADMIN, now=LATER)  # undoes it first
    assert (result.inserted, result.updated) == (5, 1)
    with Session(engine) as s:
        old = s.get(ImportRun, dead)
    assert old.status == "failed" and old.message.startswith("interrupted")
    assert count(engine, Lead) == 7 and count(engine, ImportUndo) == 0
    assert_in_step(engine)


def test_a_lead_changed_between_plan_and_write_is_planned_again(engine, base, person, monkeypatch):
    """The CRM rejects 101; before the batch is written a sales rep accepts it: the
    import's verdict would overrule the person's, so the batch is planned again."""
    real = planning.LeadPlanner.basis
    calls = []

    def basis(self, conn, prepared, *, lock=False):
        found = real(self, conn, prepared, lock=lock)
        calls.append(lock)
        if not lock and len(calls) == 1:  # after the plan's read, before the write
            with Session(person) as s:
                record_verdict(s, actor=SALES, lead_id=found.existing["101"]["id"],
                               verdict="accepted", reason=None, now=at(22))  # fmt: skip
        return found

    monkeypatch.setattr(planning.LeadPlanner, "basis", basis)
    file = leads_file(rec("101", 2, created_at=at(2), mql_at=at(3), rejected=True))
    result = import_leads(engine, file, actor=ADMIN, now=LATER)
    assert calls == [False, True]
    assert (result.updated, result.unchanged, result.verdicts_added) == (0, 1, 0)
    lead = stored(engine)["101"]
    assert lead.accepted_at == at(22) and lead.rejected_at is None
    assert count(engine, Verdict) == 1


@pytest.mark.parametrize("size", [1, 2, 10_000])
def test_counts_and_history_do_not_depend_on_the_batches(engine, base, monkeypatch, size):
    monkeypatch.setattr(upsert, "BATCH", size)
    monkeypatch.setattr(upsert, "BATCH_MAX", size)  # (no growth)
    result = import_leads(engine, a_file(), actor=ADMIN, now=LATER)
    assert (result.inserted, result.updated, result.unchanged, result.rejected) == (5, 1, 0, 0)
    assert (result.verdicts_added, result.stage_changes) == (1, 1)
    with Session(engine) as s:
        change = s.exec(select(LeadChange)).scalars().one()
        run = s.get(ImportRun, result.run_id)
    assert (change.field, change.old_value, change.new_value) == ("owner", "kari", "per")
    assert change.import_run_id == result.run_id
    assert (run.status, run.created, run.updated, run.unchanged) == ("done", 5, 1, 0)
    assert run.process is None and run.heartbeat_at is None
    assert count(engine, ImportUndo) == 0 and count(engine, RollupLog) == 0
    with Session(engine) as s:
        assert db.data_version(s) == 2  # one bump per import, as with one transaction
    assert_in_step(engine)


def test_a_failed_activities_import_is_undone(engine, monkeypatch):
    from tests.imports.test_upsert_activities import act, activities_file

    import_leads(
        engine,
        leads_file(rec("101", 2, created_at=at(1), mql_at=at(10, 9), first_contact_at=at(12))),
        actor=ADMIN,
        now=NOW,
    )
    monkeypatch.setattr(upsert, "BATCH", 1)
    monkeypatch.setattr(upsert, "BATCH_MAX", 1)  # (no growth)
    real = upsert.write_first_contacts

    def broken(*args):
        real(*args)  # the first contact is written, then the batch fails
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(upsert, "write_first_contacts", broken)
    file = activities_file(
        act(2, "101", at(10, 10), "page_view", "/pricing"),
        act(3, "101", at(11, 14), "email", "intro"),  # earlier than the stored contact
    )
    with pytest.raises(RuntimeError, match="disk on fire"):
        upsert.import_activities(engine, file, actor=ADMIN, now=LATER)
    from smarketing.store.models import LeadActivity

    assert count(engine, LeadActivity) == 0  # both batches of activities undone
    lead = stored(engine)["101"]
    assert lead.first_contact_at == at(12) and lead.updated_at == NOW
    assert count(engine, LeadChange) == 0 and count(engine, ImportUndo) == 0
    assert_in_step(engine)


def test_a_run_of_a_process_that_ended_on_this_host_is_interrupted(engine):
    """A fresh heartbeat, but its process on this host is gone (the app restarted): undone."""
    import subprocess
    import sys

    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    with Session(engine) as s:
        run = ImportRun(actor="anna", file_name="x.csv", format="hubspot", status="running")
        run.process = f"{batches.this_process().rpartition(' ')[0]} {gone.pid}"
        run.heartbeat_at = batches.utcnow()  # fresh: only the process tells it is dead
        s.add(run)
        s.commit()
        s.refresh(run)
        dead = run.id
    assert batches.interrupted_runs(engine) == [dead]
    assert batches.recover_interrupted(engine) == [dead]
    with Session(engine) as s:
        assert s.get(ImportRun, dead).status == "failed"


def test_figures_stay_exact_when_people_write_while_the_run_settles(
    engine, base, person, monkeypatch
):
    """The end of a run counts its days on a snapshot, then puts the count in place with
    what others wrote since (no recount under the lock): a verdict committed in between is
    in the figures exactly once."""
    monkeypatch.setattr(upsert, "BATCH", 2)
    monkeypatch.setattr(upsert, "BATCH_MAX", 2)  # (no growth)
    original, changed = batches._snapshot, []

    @contextmanager
    def snapshot_then_a_verdict(eng):
        with original(eng) as conn:
            yield conn
        with Session(person) as s:  # after the count, before it is put in place
            record_verdict(
                s,
                actor=SALES,
                lead_id=base["101"].id,
                verdict="rejected" if changed else "accepted",
                reason="no_budget" if changed else None,
                comment="while the import settles",
                now=at(20, len(changed)),
            )

    def spy(model, seen, current):
        rows = row_changes(model, seen, current)
        changed.extend(r for r in rows if any(r[c] for c in rollup._counts_of(model)))
        return rows

    row_changes = rollup._row_changes
    monkeypatch.setattr(batches, "_snapshot", snapshot_then_a_verdict)
    monkeypatch.setattr(rollup, "_row_changes", spy)
    result = import_leads(engine, a_file(), actor=ADMIN, now=LATER)
    assert (result.inserted, result.updated) == (5, 1)
    assert changed  # the verdict changed rows of the days being settled
    assert count(engine, Verdict, Verdict.decided_by == "sam") >= 1
    assert_in_step(engine)


def test_batches_grow_while_the_lock_is_short_and_shrink_when_it_is_long(monkeypatch):
    monkeypatch.setattr(upsert, "BATCH", 250)
    monkeypatch.setattr(upsert, "BATCH_MAX", 1000)
    monkeypatch.setattr(upsert, "LOCK_TARGET_S", 0.05)
    assert upsert.next_batch_size(250, 0.005) == 500  # a quiet server: fewer, larger batches
    assert upsert.next_batch_size(500, 0.010) == 1000
    assert upsert.next_batch_size(1000, 0.001) == 1000  # at most BATCH_MAX
    assert upsert.next_batch_size(1000, 0.030) == 1000  # within the target: as it is
    assert upsert.next_batch_size(1000, 0.120) == 500  # a busy one: shorter waits
    assert upsert.next_batch_size(500, 0.400) == 250
    assert upsert.next_batch_size(250, 0.400) == 250  # at least BATCH


def test_an_import_writes_larger_batches_when_they_are_quick(engine, base, monkeypatch):
    monkeypatch.setattr(upsert, "BATCH", 1)
    monkeypatch.setattr(upsert, "BATCH_MAX", 4)
    monkeypatch.setattr(upsert, "LOCK_TARGET_S", 3600.0)  # every batch is quick
    sizes = []
    original = batches.Batches.write

    def counted(self, work):
        before = count(engine, Lead)
        original(self, work)
        sizes.append(count(engine, Lead) - before)

    monkeypatch.setattr(batches.Batches, "write", counted)
    result = import_leads(engine, a_file(), actor=ADMIN, now=LATER)
    assert (result.inserted, result.updated) == (5, 1)
    # batches of 1 (the update of 100: no new lead), 2 (200, 201), then up to 4: the
    # file's last 3 (202-204)
    assert sizes == [0, 2, 3]
    assert_in_step(engine)


def _autocheckpoint(conn) -> int:
    return conn.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar_one()


@pytest.mark.skipif(on_postgres(), reason="SQLite's WAL checkpoints")
def test_batches_commit_without_checkpointing_and_checkpoint_behind(engine, base, monkeypatch):
    """Each batch commits with SQLite's automatic checkpoint off (a checkpoint in every
    batch's commit copied the same index pages again and again under the write lock); the
    run checkpoints after its batches, outside the lock, and the connections go back to the
    pool checkpointing again."""
    monkeypatch.setattr(upsert, "BATCH", 1)
    monkeypatch.setattr(upsert, "BATCH_MAX", 1)
    in_batches, behind = [], []
    original_write = batches.Batches.write

    def write(self, work):
        def seen(conn):
            in_batches.append(_autocheckpoint(conn))
            return work(conn)

        original_write(self, seen)

    monkeypatch.setattr(batches.Batches, "write", write)
    monkeypatch.setattr(batches, "checkpoint", lambda eng: behind.append(eng is engine))
    result = import_leads(engine, a_file(), actor=ADMIN, now=LATER)
    assert (result.inserted, result.updated) == (5, 1)
    # (the flag is read inside the work, after the batch switched its checkpoints off)
    assert in_batches and set(in_batches) == {0}
    assert behind and set(behind) == {True}
    for _ in range(db.POOL_SIZE + 1):  # every pooled connection checkpoints again
        with engine.connect() as conn:
            assert _autocheckpoint(conn) == db.AUTOCHECKPOINT_PAGES
    assert_in_step(engine)


@pytest.mark.skipif(on_postgres(), reason="SQLite's WAL checkpoints")
def test_bulk_writes_end_when_the_connection_goes_back(engine):
    with engine.connect() as conn:
        raw = conn.connection.dbapi_connection
        db.bulk_writes(conn)
        assert _autocheckpoint(conn) == 0
        assert conn.exec_driver_sql("PRAGMA temp_store").scalar_one() == 2  # MEMORY
    # back in the pool, the connection checkpoints again
    assert raw.execute("PRAGMA wal_autocheckpoint").fetchone()[0] == db.AUTOCHECKPOINT_PAGES
    assert raw.execute("PRAGMA temp_store").fetchone()[0] == 0  # DEFAULT
    db.checkpoint(engine)  # (a passive checkpoint: runs beside readers and writers)


@pytest.mark.skipif(on_postgres(), reason="SQLite's statements")
def test_inserts_fit_the_parameters_sqlite_allows(engine, monkeypatch):
    """An SQLite that allows few parameters a statement (999 before 3.32) gets fewer rows
    per INSERT; the leads and their ids are the same."""
    from smarketing.data_in import writing

    statements = []
    real = writing._rows_statement
    monkeypatch.setattr(writing, "_variables", lambda conn: 100)  # 3 rows of 28 columns
    monkeypatch.setattr(
        writing, "_rows_statement", lambda sql, rows: statements.append(rows) or real(sql, rows)
    )
    result = import_leads(engine, a_file(), actor=ADMIN, now=LATER)
    assert (result.inserted, result.updated) == (6, 0)
    assert statements and set(statements) == {3}
    leads = stored(engine)
    assert sorted(leads) == ["100", "200", "201", "202", "203", "204"]
    # the ids follow the file's order, as one row per statement gave them
    assert [leads[k].id for k in ("100", "200", "201", "202", "203", "204")] == list(range(1, 7))
    assert_in_step(engine)


@pytest.mark.skipif(on_postgres(), reason="SQLite's pool")
def test_an_invalidated_bulk_connection_leaves_the_pool_whole(engine):
    with engine.connect() as conn:
        db.bulk_writes(conn)
        record = conn.connection._connection_record
        conn.invalidate()
    assert "bulk_writes" not in record.info
    for _ in range(db.POOL_SIZE + 1):
        with engine.connect() as conn:
            assert _autocheckpoint(conn) == db.AUTOCHECKPOINT_PAGES


@pytest.mark.skipif(on_postgres(), reason="SQLite's WAL checkpoints")
def test_a_failed_import_waits_for_its_checkpoint_before_it_is_undone(engine, base, monkeypatch):
    """The checkpoint behind the batches runs in a thread of its own; a run that fails
    waits for it to end (as a finished run does) instead of leaving it behind."""
    monkeypatch.setattr(upsert, "BATCH", 2)
    monkeypatch.setattr(upsert, "BATCH_MAX", 2)  # (no growth)
    real_insert, real_checkpoint = writing._insert_batch, batches.checkpoint
    lead_batches, checkpoints = [], []

    def flaky(conn, table, rows):
        if table is Lead.__table__:
            lead_batches.append(len(rows))
            if len(lead_batches) == 2:
                raise RuntimeError("disk on fire")
        real_insert(conn, table, rows)

    def slow_checkpoint(eng):
        checkpoints.append("started")
        time.sleep(0.5)
        real_checkpoint(eng)
        checkpoints.append("ended")

    undone_after = []
    real_undo = writing._undo_failed

    def undo(*args):
        undone_after.append(list(checkpoints))
        real_undo(*args)

    monkeypatch.setattr(writing, "_insert_batch", flaky)
    monkeypatch.setattr(batches, "checkpoint", slow_checkpoint)
    monkeypatch.setattr(writing, "_undo_failed", undo)
    with pytest.raises(RuntimeError, match="disk on fire"):
        import_leads(engine, a_file(), actor=ADMIN, now=LATER)
    assert undone_after == [["started", "ended"]]
    assert_in_step(engine)
