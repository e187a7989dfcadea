"""Scheduled jobs: the job lock (one process at a time, a lease on SQLite that a crashed
holder loses, the last run kept), the scheduler (a failing job is recorded and the others go
on; each due CRM source syncs under its own lock) and the worker (two processes on one
database run each tick's job once; SIGTERM stops it cleanly).

Runs on the suite's database (SQLite, or PostgreSQL in CI's second pass);
tests/test_postgres_jobs.py runs the PostgreSQL-only ones in the SQLite pass too."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import threading
import types
from datetime import timedelta

import pytest
from apscheduler.schedulers.background import BackgroundScheduler

from smarketing.cli.worker import work
from smarketing.errors import InvalidInput
from smarketing.jobs import scheduler as jobs
from smarketing.jobs.locks import JobStatus, job_lock, job_status
from smarketing.jobs.scheduler import Job, Runner, build_scheduler, start_in_server
from smarketing.store.models import utcnow
from tests import job_processes
from tests.conftest import NOW
from tests.databases import on_postgres

MINUTE = timedelta(minutes=1)
ROOT = job_processes.ROOT


def status(engine, name: str) -> JobStatus:
    return next(s for s in job_status(engine) if s.name == name)


# --- the lock ---------------------------------------------------------------------------------


def test_a_held_job_is_refused_to_a_second_holder_and_free_after(engine):
    with job_lock(engine, "j", holder="a", lease=MINUTE, now=NOW) as first:
        assert first is True
        with job_lock(engine, "j", holder="b", lease=MINUTE, now=NOW) as second:
            assert second is False
        running = status(engine, "j")
        assert (running.holder, running.last_status) == ("a", "running")
        assert running.last_started_at >= NOW
        assert running.running(NOW + timedelta(seconds=59))
    released = status(engine, "j")
    assert (released.holder, released.lease_until, released.last_status) == (None, None, "ok")
    assert released.last_finished_at >= released.last_started_at
    with job_lock(engine, "j", holder="b", lease=MINUTE, now=NOW + timedelta(seconds=1)) as again:
        assert again is True
    assert status(engine, "j").last_error is None


def test_a_failing_job_records_its_error_and_frees_the_lock(engine):
    with pytest.raises(ValueError, match="boom"), job_lock(engine, "j", holder="a", lease=MINUTE):
        raise ValueError("boom")
    failed = status(engine, "j")
    assert (failed.holder, failed.last_status, failed.last_error) == (
        None,
        "error",
        "ValueError: boom",
    )
    with job_lock(engine, "j", holder="b", lease=MINUTE, now=NOW) as taken:
        assert taken
    assert (status(engine, "j").last_status, status(engine, "j").last_error) == ("ok", None)


def test_not_within_refuses_a_job_started_less_than_that_ago(engine):
    with job_lock(engine, "j", holder="a", lease=MINUTE, now=NOW) as taken:
        assert taken
    gap = timedelta(seconds=30)
    soon = NOW + timedelta(seconds=29)
    with job_lock(engine, "j", holder="b", lease=MINUTE, now=soon, not_within=gap) as taken:
        assert taken is False
    later = NOW + timedelta(seconds=31)
    with job_lock(engine, "j", holder="b", lease=MINUTE, now=later, not_within=gap) as taken:
        assert taken is True


@pytest.mark.sqlite_only(
    "the lease decides on SQLite; PostgreSQL's advisory lock dies with its holder"
)
def test_a_lease_held_by_a_crashed_holder_is_taken_once_it_expires(engine):
    # a process took the job and died without releasing it: its row stays held
    entered = job_lock(engine, "j", holder="dead:1", lease=MINUTE, now=NOW)
    assert entered.__enter__() is True  # never exited, as if the process was killed
    try:
        late = NOW + timedelta(seconds=59)
        with job_lock(engine, "j", holder="b", lease=MINUTE, now=late) as taken:
            assert taken is False
        expired = NOW + timedelta(seconds=61)
        assert status(engine, "j").abandoned(expired)
        with job_lock(engine, "j", holder="b", lease=MINUTE, now=expired) as taken:
            assert taken is True
            assert status(engine, "j").holder == "b"
        assert status(engine, "j").last_status == "ok"
    finally:
        entered.gen.close()  # the dead holder's exit finds its lease gone: nothing to record
    assert status(engine, "j").last_status == "ok"


def test_a_long_job_keeps_its_lease_alive(engine):
    """The heartbeat renews the lease (every third of it) while the job runs: another holder
    asking after the first lease would have run out is still refused."""
    lease = timedelta(seconds=0.3)
    with job_lock(engine, "j", holder="a", lease=lease) as taken:
        assert taken
        threading.Event().wait(1.0)
        now = utcnow()
        assert status(engine, "j").lease_until > now
        if not on_postgres():  # on PostgreSQL the advisory lock refuses, whatever the lease
            with job_lock(engine, "j", holder="b", lease=lease, now=now) as second:
                assert second is False


def test_job_lock_refuses_nonsense(engine):
    with (
        pytest.raises(InvalidInput, match="lease"),
        job_lock(engine, "j", holder="a", lease=timedelta(0)),
    ):
        pass
    with (
        pytest.raises(InvalidInput, match="job name"),
        job_lock(engine, "", holder="a", lease=MINUTE),
    ):
        pass


# --- the runner and the scheduler ---------------------------------------------------------


def test_a_run_is_skipped_while_another_process_holds_the_job(engine):
    runs = []
    clock = [NOW]
    runner = Runner(engine, holder="me", report=runs.append, clock=lambda: clock[0])
    job = Job("j", 60, lambda context: "did it")
    with job_lock(engine, "j", holder="other", lease=MINUTE, now=NOW):
        clock[0] = NOW + timedelta(seconds=40)
        held = runner.run(job)
    clock[0] = NOW + timedelta(seconds=29)
    too_soon = runner.run(job)  # the other process started it 29 s ago, and it runs every 60
    clock[0] = NOW + timedelta(seconds=31)
    done = runner.run(job)
    assert [(r.outcome, r.detail) for r in runs] == [
        ("skipped", "another process runs it or started it within 30 s"),
        ("skipped", "another process runs it or started it within 30 s"),
        ("ok", "did it"),
    ]
    assert (held, too_soon, done) == tuple(runs)
    assert done.started_at == NOW + timedelta(seconds=31)
    assert " j ok " in done.line() and done.line().endswith("s  did it")


def test_a_failing_job_is_recorded_and_the_scheduler_goes_on(engine):
    calls = {"boom": 0, "fine": 0}
    enough = threading.Event()

    def boom(context):
        calls["boom"] += 1
        raise ValueError(f"boom {calls['boom']}")

    def fine(context):
        calls["fine"] += 1
        if calls["fine"] >= 3 and calls["boom"] >= 3:
            enough.set()

    scheduler = build_scheduler(engine, jobs=[Job("boom", 0.2, boom), Job("fine", 0.2, fine)])
    assert isinstance(scheduler, BackgroundScheduler)
    scheduler.start()
    try:
        assert {job.id for job in scheduler.get_jobs()} == {"boom", "fine"}
        assert enough.wait(30), calls
    finally:
        scheduler.shutdown()
    failed, fine_ = status(engine, "boom"), status(engine, "fine")
    assert failed.last_status == "error"
    assert failed.last_error.startswith("ValueError: boom ")
    assert (fine_.last_status, fine_.last_error, fine_.holder) == ("ok", None, None)


def test_the_scheduled_jobs_and_their_options(engine):
    scheduler = build_scheduler(engine)
    by_id = {job.id: job for job in scheduler.get_jobs()}
    assert {name: job.trigger.interval.total_seconds() for name, job in by_id.items()} == {
        "sync-sources": 60,
        "events-intake": 2,
        "notify": 60,
    }
    for job in by_id.values():
        assert (job.coalesce, job.max_instances) == (True, 1)
        assert job.misfire_grace_time >= 1
    assert jobs.SCHEDULER_ACTOR.username == "scheduler"
    assert "admin" in jobs.SCHEDULER_ACTOR.roles


@pytest.fixture
def fake_sync(monkeypatch):
    """A stand-in for smarketing.data_in.sync (another part of issue 16): which sources are
    due, and the syncs asked for."""
    module = types.ModuleType("smarketing.data_in.sync")
    module.due = ["alpha", "beta"]
    module.synced = []
    module.gate = threading.Event()
    module.gate.set()

    def due_sources(engine, *, now):
        return list(module.due)

    def sync_source(engine, name, *, actor, full=False, dry_run=False, progress=None, now=None):
        module.gate.wait(30)
        if progress is not None:
            progress(0.5, f"{name}: half-way")
        module.synced.append((name, actor.username))
        return f"{name}: fetched 3"

    module.due_sources, module.sync_source = due_sources, sync_source
    monkeypatch.setitem(sys.modules, "smarketing.data_in.sync", module)
    return module


def test_sync_sources_syncs_each_due_source_under_its_own_lock(engine, fake_sync):
    runs = []
    runner = Runner(engine, holder="me", report=runs.append)
    with job_lock(engine, "sync:beta", holder="other", lease=MINUTE):  # beta syncs elsewhere
        tick = runner.run(jobs.JOBS[0])
        runner.close(wait=True)
    assert (tick.name, tick.outcome, tick.detail) == ("sync-sources", "ok", "syncing alpha, beta")
    assert fake_sync.synced == [("alpha", "scheduler")]
    outcomes = sorted((r.name, r.outcome) for r in runs)
    assert outcomes == [("sync-sources", "ok"), ("sync:alpha", "ok"), ("sync:beta", "skipped")]
    assert status(engine, "sync:alpha").last_status == "ok"
    assert "sync:alpha ok" in next(r for r in runs if r.name == "sync:alpha").line()


def test_a_source_synced_meanwhile_is_not_synced_again(engine, fake_sync):
    runner = Runner(engine, holder="me")

    def gone(engine_, *, now):  # due when the tick looked, no longer once its lock is taken
        fake_sync.due_sources = lambda engine__, *, now: []
        return ["alpha"]

    fake_sync.due_sources = gone
    runner.run(jobs.JOBS[0])
    runner.close(wait=True)
    assert fake_sync.synced == []
    assert status(engine, "sync:alpha").last_status == "ok"


def test_a_slow_source_holds_up_neither_the_others_nor_the_next_tick(engine, fake_sync):
    fake_sync.gate.clear()  # every sync waits at the gate
    clock = [NOW]
    runner = Runner(engine, holder="me", clock=lambda: clock[0])
    first = runner.run(jobs.JOBS[0])
    fake_sync.due = ["alpha", "beta", "gamma"]
    clock[0] = NOW + MINUTE
    second = runner.run(jobs.JOBS[0])  # the tick returns while alpha and beta still sync
    assert first.detail == "syncing alpha, beta"
    assert second.detail == "syncing gamma; still syncing here: alpha, beta"
    fake_sync.gate.set()
    runner.close(wait=True)
    assert sorted(fake_sync.synced) == [(n, "scheduler") for n in ("alpha", "beta", "gamma")]


def test_a_shutdown_stops_a_sync_at_its_next_step(engine, fake_sync):
    fake_sync.gate.clear()
    fake_sync.due = ["alpha"]
    runs = []
    runner = Runner(engine, holder="me", report=runs.append)
    runner.run(jobs.JOBS[0])
    runner.stop()
    fake_sync.gate.set()
    runner.close(wait=True)
    stopped = next(r for r in runs if r.name == "sync:alpha")
    assert stopped.outcome == "stopped"
    assert fake_sync.synced == []
    record = status(engine, "sync:alpha")
    assert (record.last_status, record.holder) == ("stopped", None)
    assert "half-way" in record.last_error


def test_events_intake_processes_the_inbox(engine, monkeypatch):
    module = types.ModuleType("smarketing.data_in.events")
    module.process_inbox = lambda engine_, *, now=None: "3 events written"
    monkeypatch.setitem(sys.modules, "smarketing.data_in.events", module)
    run = Runner(engine, holder="me").run(jobs.JOBS[1])
    assert (run.name, run.outcome, run.detail) == ("events-intake", "ok", "3 events written")


def test_the_server_starts_the_scheduler_unless_it_is_off(engine, monkeypatch, fake_sync):
    fake_sync.due = []
    monkeypatch.setitem(
        sys.modules,
        "smarketing.data_in.events",
        types.SimpleNamespace(process_inbox=lambda engine_, *, now=None: None),
    )
    monkeypatch.setenv("SMARKETING_SCHEDULER", "off")
    assert start_in_server(engine) is None
    monkeypatch.setenv("SMARKETING_SCHEDULER", "sometimes")
    with pytest.raises(InvalidInput, match="SMARKETING_SCHEDULER='sometimes' must be on"):
        start_in_server(engine)
    monkeypatch.delenv("SMARKETING_SCHEDULER")
    scheduler = start_in_server(engine)
    try:
        assert scheduler.running
        assert {job.id for job in scheduler.get_jobs()} == {
            "sync-sources",
            "events-intake",
            "notify",
        }
        job_processes.wait_for(
            lambda: (
                {s.name: s.last_status for s in job_status(engine)}
                == {"sync-sources": "ok", "events-intake": "ok", "notify": "ok"}
            ),
            what="both jobs' first run",
        )
    finally:
        scheduler.shutdown()
    assert not scheduler.running


# --- the worker -------------------------------------------------------------------------------


def test_worker_once_runs_each_job_once_and_says_how_it_went(engine):
    out = io.StringIO()
    ran = []
    code = work(
        engine,
        jobs=[Job("a", 60, lambda c: ran.append("a")), Job("b", 60, lambda c: "two rows")],
        once=True,
        out=out,
    )
    assert code == 0 and ran == ["a"]
    lines = out.getvalue().splitlines()
    assert [line.split()[1:3] for line in lines] == [["a", "ok"], ["b", "ok"]]
    assert lines[1].endswith("two rows")

    def fails(context):
        raise RuntimeError("no network")

    out = io.StringIO()
    assert work(engine, jobs=[Job("c", 60, fails)], once=True, quiet=True, out=out) == 1
    assert out.getvalue().split(None, 1)[1].startswith("c error ")
    assert "RuntimeError: no network" in out.getvalue()


def test_two_workers_once_on_one_database_run_the_job_once(db_url, tmp_path):
    job_processes.two_workers_once(db_url, tmp_path)


def test_two_workers_on_one_database_run_each_tick_once(db_url, tmp_path):
    job_processes.two_workers_serving(db_url, tmp_path)


def test_a_worker_stops_cleanly_on_sigterm_after_the_run_in_progress(engine, db_url, tmp_path):
    job_processes.create_record_table(engine)
    out = tmp_path / "worker.txt"
    worker = job_processes.spawn(db_url, "serve", 60, 1.5, out=out)
    try:
        job_processes.wait_for(
            lambda: any(
                s.name == "record" and s.last_status == "running" for s in job_status(engine)
            ),
            what="the job to start",
        )
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=60) == 0, out.read_text()
    finally:
        worker.kill()
    text = out.read_text()
    assert "SIGTERM: stopping after the runs in progress" in text
    assert " record ok " in text and text.rstrip().endswith("worker stopped")
    assert len(job_processes.records(engine)) == 1  # the run in progress finished
    ended = status(engine, "record")
    assert (ended.last_status, ended.holder) == ("ok", None)


def test_python_m_smarketing_worker_runs_until_sigterm(engine, db_url, tmp_path):
    out = tmp_path / "worker.txt"
    with out.open("w") as fh:
        worker = subprocess.Popen(
            [sys.executable, "-m", "smarketing", "worker", "--db", db_url],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            stdout=fh,
            stderr=subprocess.STDOUT,
        )
    try:
        job_processes.wait_for(
            lambda: "Z events-intake " in out.read_text(), what="the first events-intake run"
        )
        worker.send_signal(signal.SIGINT)
        assert worker.wait(timeout=60) == 0, out.read_text()
    finally:
        worker.kill()
    text = out.read_text()
    assert "sync-sources every 60 s, events-intake every 2 s" in text
    assert text.rstrip().endswith("worker stopped")
    assert {s.name for s in job_status(engine)} >= {"sync-sources", "events-intake"}
