"""`python -m smarketing worker`: run the scheduled jobs (the CRM sync, the event intake) in
the foreground, for deployments that run them apart from the app servers
(``SMARKETING_SCHEDULER=off`` there), or once each from cron with ``--once``."""

from __future__ import annotations

import signal
import sys
import threading
import time
from typing import TYPE_CHECKING, TextIO

from smarketing.i18n import _

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from smarketing.jobs.scheduler import Job, JobRun

COMMANDS = ("worker",)


def add_parser(sub, common) -> None:
    """Register `worker`."""
    p = sub.add_parser(
        "worker",
        parents=[common],
        help=_("run the scheduled jobs (CRM sync, event intake) until stopped"),
        description=_(
            "Runs the scheduled jobs — sync-sources every 60 s (each CRM source "
            "when it is due), events-intake every 2 s, notify every 60 s (queue and send the "
            "notifications) — printing one line per run, until "
            "SIGTERM or Ctrl-C. Any number of workers and app servers may share one database: "
            "a lock lets one process at a time run a job."
        ),
    )
    p.add_argument(
        "--once",
        action="store_true",
        help=_(
            "run each job once (waiting for the syncs it starts), then exit: 0 when none "
            "failed, 1 otherwise (for cron)"
        ),
    )
    p.add_argument(
        "--quiet",
        action="store_true",
        help=_("print only the runs that failed, not every run"),
    )


def run(args, engine_for) -> int:
    """Run the jobs until stopped, or once each with --once."""
    import logging

    # a failing job's traceback, and the lock's warnings, on stderr with their time
    logging.basicConfig(
        level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    engine = engine_for(args)
    return work(engine, once=args.once, quiet=args.quiet)


def work(
    engine: Engine,
    *,
    jobs: tuple[Job, ...] | list[Job] | None = None,
    once: bool = False,
    quiet: bool = False,
    out: TextIO | None = None,
) -> int:
    """Run ``jobs`` (default the scheduled ones) and print a line per run to ``out``: once
    each (exit code 1 when one failed), or on their schedule until SIGTERM/SIGINT (then
    wait for the runs in progress and return 0)."""
    from smarketing.jobs.scheduler import ERROR, JOBS, Runner, build_scheduler

    out = out or sys.stdout
    jobs = JOBS if jobs is None else jobs
    printing = threading.Lock()
    failed: list[str] = []

    def report(run_: JobRun) -> None:
        if run_.outcome == ERROR:
            failed.append(run_.name)
        if quiet and run_.outcome != ERROR:
            return
        with printing:
            print(run_.line(), file=out, flush=True)

    runner = Runner(engine, report=report)
    if once:
        for job in jobs:
            runner.run(job)
        runner.close(wait=True)  # the syncs a job started in the background
        return 1 if failed else 0

    scheduler = build_scheduler(engine, jobs=jobs, blocking=True, runner=runner)
    stopping = threading.Event()
    signals: list[str] = []

    def on_signal(signum, _frame) -> None:  # only notes it: a handler must not do I/O
        signals.append(signal.Signals(signum).name)
        stopping.set()

    def stop_when_asked() -> None:
        stopping.wait()
        while not scheduler.running:  # a signal during the start: wait for it to finish
            time.sleep(0.01)
        with printing:
            print(
                f"worker: {signals[0]}: stopping after the runs in progress", file=out, flush=True
            )
        scheduler.shutdown(wait=False)  # start() returns; the runs in progress go on

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    threading.Thread(target=stop_when_asked, name="worker stop", daemon=True).start()
    try:
        print(
            f"worker {runner.holder}: "
            + ", ".join(f"{job.name} every {job.every_seconds:g} s" for job in jobs)
            + " (stop with Ctrl-C or SIGTERM)",
            file=out,
            flush=True,
        )
        scheduler.start()  # blocks until stop_when_asked shuts it down
        runner.wait_idle()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    print("worker stopped", file=out, flush=True)
    return 0
