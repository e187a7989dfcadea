"""The scheduled jobs and the scheduler that runs them (APScheduler 3).

Three jobs (``JOBS``): ``sync-sources`` every 60 s syncs each CRM source that is due (its
``every_minutes`` passed since its last sync, or somebody asked for a sync now),
``events-intake`` every 2 s writes the events posted to ``/api/events`` as lead activities,
and ``notify`` every 60 s queues what the notification rules find and sends what is due
(``smarketing.notify.job``).
They run inside the server (``start_in_server``: a BackgroundScheduler started by the
server's lifespan) unless ``SMARKETING_SCHEDULER=off``, and in `python -m smarketing worker`
(a BlockingScheduler, or each job once with ``--once``).

Every run of a job is wrapped in its job lock (``locks.job_lock``), so any number of app
processes and workers behind one database run each tick's job once between them: the lock
refuses a job that another process runs now, or that started less than half its interval
ago. ``sync-sources`` holds its lock only while it picks the due sources; each source then
syncs under a lock of its own, ``sync:NAME``, in a small pool of threads, so two processes
never sync one source at once and a slow source holds up neither the others nor the
next tick. A job that raises is logged and recorded in ``job_lock.last_error``; the
scheduler goes on. The CRM sync runs as the actor ``scheduler`` (an admin), which is the
name its runs and audit entries show.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from apscheduler.events import EVENT_JOB_MAX_INSTANCES, EVENT_JOB_MISSED
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.blocking import BlockingScheduler
from sqlalchemy.engine import Engine

from smarketing import config
from smarketing.auth.permissions import Actor
from smarketing.jobs.locks import JobStopped, describe, job_lock
from smarketing.store.models import Role, utcnow

logger = logging.getLogger("smarketing.jobs")

#: Who the scheduled CRM sync writes as (import runs, the audit log).
SCHEDULER_ACTOR = Actor(username="scheduler", roles=frozenset({Role.admin.value}))
#: A job's lease: a process that dies while running it loses the job after this long (the
#: heartbeat renews it every third of it while the job runs).
JOB_LEASE = timedelta(minutes=2)
#: Sources syncing at once in one process.
SYNC_THREADS = 4
#: A run's outcome: ran and ended well, raised, another process has it (or ran it this
#: tick), gave up for a shutdown.
OK, ERROR, SKIPPED, STOPPED = "ok", "error", "skipped", "stopped"
#: The longest detail of a run that a log line or the worker prints (characters).
DETAIL_MAX = 300


@dataclass(frozen=True)
class Job:
    """A scheduled job: its name (also its lock's), how often it runs, and what it does:
    ``func(context)`` returns what it did (shown after the outcome) or None."""

    name: str
    every_seconds: float
    func: Callable[[JobContext], object]
    lease: timedelta = JOB_LEASE

    @property
    def not_within(self) -> timedelta:
        """A process does not start the job less than half an interval after another did."""
        return timedelta(seconds=self.every_seconds / 2)


@dataclass(frozen=True)
class JobContext:
    """What a running job gets: the engine, the time its run started (under its lock), and
    its runner (to start lock-wrapped work in the background, to see a shutdown)."""

    engine: Engine
    name: str
    now: datetime
    runner: Runner

    @property
    def stopping(self) -> bool:
        """True once the scheduler is shutting down: a long job should end soon."""
        return self.runner.stopping

    def progress(self, fraction: float, text: str) -> None:
        """A progress callback for long work (the CRM sync): raises JobStopped once the
        scheduler is shutting down, so the work stops at its next step (a sync keeps what
        it committed and resumes from its cursor next time)."""
        if self.runner.stopping:
            raise JobStopped(f"{self.name}: stopped at {fraction:.0%} ({text}) for a shutdown")


@dataclass(frozen=True)
class JobRun:
    """How one run of a job went."""

    name: str
    outcome: str
    seconds: float
    started_at: datetime
    detail: str = ""

    def line(self) -> str:
        """One line for the worker's output: time, job, outcome, seconds, what it did."""
        when = self.started_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        detail = f"  {self.detail}" if self.detail else ""
        return f"{when} {self.name} {self.outcome} {self.seconds:.2f}s{detail}"


def default_holder() -> str:
    """This process, as the holder of its job locks: host and process id."""
    return f"{socket.gethostname()}:{os.getpid()}"


def summary(result: object) -> str:
    """What a job returned, as one short line (empty for None)."""
    if result is None:
        return ""
    line = " ".join(str(result).split())
    return line if len(line) <= DETAIL_MAX else line[: DETAIL_MAX - 1] + "…"


@dataclass
class Runner:
    """Runs jobs under their locks, never raising: each run is logged, recorded in
    ``job_lock`` and reported to ``report`` (the worker prints it). Also runs background
    work (each source's sync) in a small pool, and waits for all of it at the end."""

    engine: Engine
    holder: str = field(default_factory=default_holder)
    report: Callable[[JobRun], None] | None = None
    threads: int = SYNC_THREADS
    #: The time a run starts (tests give a fixed one).
    clock: Callable[[], datetime] = utcnow

    def __post_init__(self) -> None:
        self._stop = threading.Event()
        self._idle = threading.Condition()
        self._active = 0
        self._spawned: set[str] = set()
        self._pool: ThreadPoolExecutor | None = None
        self._closed = False

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def run(self, job: Job) -> JobRun:
        """Run ``job`` once if its lock is free (and it did not start within half its
        interval); what happened."""
        return self.run_locked(job.name, job.func, lease=job.lease, not_within=job.not_within)

    def run_locked(
        self,
        name: str,
        func: Callable[[JobContext], object],
        *,
        lease: timedelta = JOB_LEASE,
        not_within: timedelta | None = None,
    ) -> JobRun:
        """Run ``func`` under the lock ``name``; never raises. Counted as in progress until
        its run is reported."""
        with self._idle:
            self._active += 1
        try:
            run = self._attempt(name, func, lease, not_within)
            if run.outcome in (OK, STOPPED):
                detail = f": {run.detail}" if run.detail else ""
                logger.info("job %s %s in %.2f s%s", name, run.outcome, run.seconds, detail)
            if self.report is not None:
                try:
                    self.report(run)
                except Exception:
                    logger.exception("reporting the run of job %s failed", name)
            return run
        finally:
            with self._idle:
                self._active -= 1
                self._idle.notify_all()

    def _attempt(self, name, func, lease, not_within) -> JobRun:
        started, began = self.clock(), time.monotonic()
        outcome, detail = OK, ""
        try:
            with job_lock(
                self.engine,
                name,
                holder=self.holder,
                lease=lease,
                now=started,
                not_within=not_within,
            ) as taken:
                if not taken:
                    outcome = SKIPPED
                    detail = "another process runs it" + (
                        f" or started it within {not_within.total_seconds():g} s"
                        if not_within
                        else ""
                    )
                    logger.debug("job %s skipped: %s", name, detail)
                else:
                    logger.debug("job %s started by %s", name, self.holder)
                    detail = summary(func(JobContext(self.engine, name, started, self)))
        except JobStopped as exc:
            outcome, detail = STOPPED, describe(exc)
        except Exception as exc:
            outcome, detail = ERROR, describe(exc)
            seconds = time.monotonic() - began
            logger.exception("job %s error in %.2f s: %s", name, seconds, detail)
        return JobRun(name, outcome, time.monotonic() - began, started, detail)

    def spawn(
        self, name: str, func: Callable[[JobContext], object], *, lease: timedelta = JOB_LEASE
    ) -> bool:
        """Start ``func`` under the lock ``name`` in the background pool; False (nothing
        started) when this process already runs it or is shutting down."""
        with self._idle:
            if name in self._spawned or self.stopping or self._closed:
                return False
            self._spawned.add(name)
            self._active += 1  # counted from now, so wait_idle never misses it
            if self._pool is None:
                self._pool = ThreadPoolExecutor(self.threads, thread_name_prefix="smarketing-job")
            pool = self._pool
        pool.submit(self._spawned_run, name, func, lease)
        return True

    def _spawned_run(self, name: str, func: Callable[[JobContext], object], lease) -> None:
        try:
            self.run_locked(name, func, lease=lease)
        finally:
            with self._idle:
                self._spawned.discard(name)
                self._active -= 1
                self._idle.notify_all()

    def stop(self) -> None:
        """Ask running work to end (JobContext.stopping, JobContext.progress) and start
        nothing new in the background."""
        self._stop.set()

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Wait until no run is in progress (background ones included); False on timeout."""
        with self._idle:
            return self._idle.wait_for(lambda: self._active == 0, timeout)

    def close(self, wait: bool = True) -> None:
        """Start nothing new in the background, and (with ``wait``) wait for the runs in
        progress to end (``stop`` first to ask them to end early)."""
        with self._idle:
            self._closed = True
        if wait:
            self.wait_idle()
        with self._idle:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=wait)


# --- the jobs -------------------------------------------------------------------------------


def sync_due_sources(context: JobContext) -> str:
    """``sync-sources``: start a sync, each under its own lock ``sync:NAME``, of every
    source that is due; returns which."""
    from smarketing.data_in.sync import due_sources

    due = due_sources(context.engine, now=context.now)
    started = [
        name
        for name in due
        if context.runner.spawn(f"sync:{name}", _sync_one(name), lease=JOB_LEASE)
    ]
    if not due:
        return "no source due"
    busy = [name for name in due if name not in started]
    return f"syncing {', '.join(started) or 'none'}" + (
        f"; still syncing here: {', '.join(busy)}" if busy else ""
    )


def _sync_one(name: str) -> Callable[[JobContext], object]:
    def sync(context: JobContext) -> object:
        from smarketing.data_in.sync import due_sources, sync_source

        # due when the tick looked; another process may have synced it since: look again
        # under this source's lock, so one change in the CRM is fetched once
        if name not in due_sources(context.engine, now=context.now):
            return "synced meanwhile by another process"
        return sync_source(context.engine, name, actor=SCHEDULER_ACTOR, progress=context.progress)

    return sync


def intake_events(context: JobContext) -> object:
    """``events-intake``: write the events waiting in the inbox as lead activities."""
    from smarketing.data_in.events import process_inbox

    return process_inbox(context.engine)


def notify(context: JobContext) -> object:
    """``notify``: queue what the notification rules find, then send what is due."""
    from smarketing.notify.job import run

    return run(context.engine, now=context.now)


#: The scheduled jobs: name, interval, function.
JOBS = (
    Job("sync-sources", 60, sync_due_sources),
    Job("events-intake", 2, intake_events),
    Job("notify", 60, notify),
)


# --- the scheduler --------------------------------------------------------------------------


class _RunnerShutdown:
    """A scheduler that owns a Runner: ``shutdown`` also asks running jobs to stop, and
    (with ``wait``) waits for the background syncs too."""

    runner: Runner

    def shutdown(self, wait: bool = True) -> None:
        self.runner.stop()
        super().shutdown(wait=wait)  # type: ignore[misc]
        self.runner.close(wait=wait)


class JobScheduler(_RunnerShutdown, BackgroundScheduler):
    """The scheduler running in the server's background threads."""


class BlockingJobScheduler(_RunnerShutdown, BlockingScheduler):
    """The scheduler running in the worker's main thread."""


def build_scheduler(
    engine: Engine,
    *,
    jobs: tuple[Job, ...] | list[Job] | None = None,
    blocking: bool = False,
    runner: Runner | None = None,
) -> JobScheduler | BlockingJobScheduler:
    """A scheduler (not started) with ``jobs`` (default JOBS): each runs at once when the
    scheduler starts, then every ``every_seconds``; late runs are coalesced into one, never
    two at once in a process, each through ``runner`` (its lock, its log, its record)."""
    runner = runner or Runner(engine)
    scheduler = (BlockingJobScheduler if blocking else JobScheduler)(timezone=UTC)
    scheduler.runner = runner
    first = datetime.now(UTC)
    for job in JOBS if jobs is None else jobs:
        scheduler.add_job(
            runner.run,
            "interval",
            args=[job],
            id=job.name,
            name=job.name,
            seconds=job.every_seconds,
            next_run_time=first,
            coalesce=True,
            max_instances=1,
            # a tick that comes late (a busy machine, a long previous run) still runs while
            # the next is not due; later than that it is coalesced into the next one
            misfire_grace_time=max(1, round(job.every_seconds)),
            replace_existing=True,
        )
    scheduler.add_listener(_late, EVENT_JOB_MISSED | EVENT_JOB_MAX_INSTANCES)
    return scheduler


def _late(event) -> None:
    logger.debug("job %s: a tick was skipped (still running, or missed)", event.job_id)


def start_in_server(engine: Engine) -> JobScheduler | None:
    """Start the scheduled jobs in this server's background threads; None when
    ``SMARKETING_SCHEDULER=off`` (a separate `python -m smarketing worker` runs them). The
    caller calls ``.shutdown()`` on the scheduler when the server stops."""
    if not config.scheduler_enabled():
        logger.info("scheduler off (SMARKETING_SCHEDULER=off): a worker runs the jobs")
        return None
    scheduler = build_scheduler(engine)
    scheduler.start()
    logger.info(
        "scheduler started: %s",
        ", ".join(f"{job.name} every {job.every_seconds:g} s" for job in JOBS),
    )
    return scheduler  # type: ignore[return-value]
