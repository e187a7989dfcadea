"""Real worker processes for the job tests: ``python -m tests.job_processes URL MODE ...``
runs `smarketing.cli.worker.work` (what `python -m smarketing worker` runs) with one job,
``record``, that sleeps a little and then writes its run (holder, start, end) into the table
``job_record``; the tests start two of them on one database and count the runs.

MODE ``once`` runs the job once; ``serve`` runs it every INTERVAL seconds until SIGTERM;
``hold`` takes the lock ``held`` and waits to be killed (a crashed holder).
"""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

from sqlalchemy import text

from smarketing.cli.worker import work
from smarketing.jobs.locks import job_lock
from smarketing.jobs.scheduler import Job, default_holder
from smarketing.store.db import make_engine, upgrade_to_head, write_transaction

ROOT = Path(__file__).resolve().parents[1]
CREATE = "CREATE TABLE job_record (holder VARCHAR(200), started FLOAT, finished FLOAT)"


def create_record_table(engine) -> None:
    with write_transaction(engine) as conn:
        conn.execute(text(CREATE))


def records(engine) -> list[tuple[str, float, float]]:
    """The recorded runs, by start."""
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT holder, started, finished FROM job_record ORDER BY 2"))
        return [tuple(row) for row in rows]


def spawn(url: str, mode: str, interval: float = 60, sleep: float = 0.5, *, out: Path):
    """Start a worker process writing its output to ``out``."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with out.open("w") as fh:
        return subprocess.Popen(
            [sys.executable, "-m", "tests.job_processes", url, mode, str(interval), str(sleep)],
            cwd=ROOT,
            env=env,
            stdout=fh,
            stderr=subprocess.STDOUT,
        )


def wait_for(predicate, timeout: float = 60, what: str = "the condition") -> None:
    """Poll ``predicate`` every 50 ms until it is true; fail after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def main(url: str, mode: str, interval: float, sleep: float) -> int:
    engine = make_engine(url)
    upgrade_to_head(engine)
    if mode == "hold":
        with job_lock(
            engine, "held", holder=default_holder(), lease=timedelta(seconds=interval)
        ) as taken:
            print("taken" if taken else "refused", flush=True)
            signal.pause()  # until killed
        return 0

    def record(context) -> str:
        started = time.time()
        time.sleep(sleep)
        with write_transaction(context.engine) as conn:
            conn.execute(
                text("INSERT INTO job_record (holder, started, finished) VALUES (:h, :s, :f)"),
                {"h": context.runner.holder, "s": started, "f": time.time()},
            )
        return "recorded"

    return work(engine, jobs=[Job("record", interval, record)], once=mode == "once")


def two_workers_once(url: str, folder: Path) -> None:
    """Two `worker --once` processes started together on one database: the job runs once;
    the other process reports it skipped (held, or started within half its interval)."""
    engine = make_engine(url)
    try:
        upgrade_to_head(engine)
        create_record_table(engine)
        outs = [folder / f"once-{i}.txt" for i in range(2)]
        workers = [spawn(url, "once", 60, 1.0, out=out) for out in outs]
        assert [w.wait(timeout=120) for w in workers] == [0, 0], [o.read_text() for o in outs]
        assert len(records(engine)) == 1
        lines = sorted(o.read_text().split()[1:3] for o in outs)
        assert lines == [["record", "ok"], ["record", "skipped"]], lines
    finally:
        engine.dispose()


def two_workers_serving(url: str, folder: Path, interval: float = 1.0) -> None:
    """Two workers running the job every ``interval`` on one database for a few seconds:
    the runs never overlap, and there is one per tick between them (not one per process)."""
    engine = make_engine(url)
    try:
        upgrade_to_head(engine)
        create_record_table(engine)
        outs = [folder / f"serve-{i}.txt" for i in range(2)]
        workers = [spawn(url, "serve", interval, 0.3, out=out) for out in outs]
        wait_for(lambda: all("worker " in o.read_text() for o in outs), what="both workers")
        wait_for(lambda: len(records(engine)) >= 5, timeout=60, what="five runs")
        time.sleep(interval)  # both processes have ticked several times by now
        for w in workers:
            w.send_signal(signal.SIGTERM)
        assert [w.wait(timeout=60) for w in workers] == [0, 0], [o.read_text() for o in outs]
        assert all("worker stopped" in o.read_text() for o in outs)
        runs = records(engine)
        for (_, start, end), (_, next_start, _) in itertools.pairwise(runs):
            assert next_start >= end, "two runs of one job at once"
            assert next_start - start >= interval / 2, "two runs in one tick"
        span = runs[-1][1] - runs[0][1]
        assert len(runs) - 1 <= span / interval + 1, f"{len(runs)} runs in {span:.1f} s"
        # both processes ticked all along (a line per tick: ok, or skipped for the other's run)
        assert all(o.read_text().count(" record ") >= 3 for o in outs)
    finally:
        engine.dispose()


if __name__ == "__main__":
    url, mode, interval, sleep = sys.argv[1:5]
    sys.exit(main(url, mode, float(interval), float(sleep)))
