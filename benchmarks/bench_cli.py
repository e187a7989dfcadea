"""CLI start-up (issue 14): whole-process seconds of `python -m smarketing`, beside the floor.

usage: python benchmarks/bench_cli.py [--sizes 10000 100000 1000000] [--keep DIR]
                                      [--repeat 5] [--now ISO] [--date YYYY-MM-DD]
                                      [--no-parts]

Prints the median of --repeat whole-process runs (from spawning the process to its exit;
each command runs once before, not counted, so the files are in the OS cache) of

* ``python -c pass``                                   -- the interpreter alone: the floor;
* ``python -m smarketing --help``;
* ``python -m smarketing report sla --format json``    -- the month, at every size;
* ``python -m smarketing report sla --format json --period quarter``.

Columns: *wall* seconds and *CPU* seconds (user + system of the process, less sensitive to
other jobs on the machine), with bytecode cached, Python's normal state after a module's
first import (the runs get a ``PYTHONPYCACHEPREFIX`` of their own in a temporary folder);
then the same with ``PYTHONDONTWRITEBYTECODE=1`` and no prefix, as this machine's shells
run: modules without a ``__pycache__`` of their own (smarketing's, in a checkout run that
way) are compiled from source on every run.

A second table takes `report sla --format json` apart, measured inside one process (median
of --repeat processes, cached .pyc): building the parser, importing what the report needs
(SQLModel, the models, the SLA modules), the engine and the schema check, the report's SQL
as the command runs it (the first report in the process), the JSON; and, apart from the
start-up, the SQL again in the same process (median of --repeat: SQLite's page cache warm).

Databases: the demo company built with ``python -m smarketing demo --leads N`` into
``DIR/leads-N.db`` (reused when present; 1M leads take about two minutes). Without --keep
they go to a temporary folder removed at the end. The report is the month (or quarter)
containing --date, default the last day of the month before the demo's newest lead, so the
month is a whole one; --now defaults to the newest lead's time.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def median_run(argv: list[str], env: dict[str, str], repeat: int) -> tuple[float, float]:
    """Median wall seconds and median CPU seconds (user + system) of running ``argv``,
    after one run that is not counted."""
    walls, cpus = [], []
    for i in range(repeat + 1):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        done = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True)
        seconds = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(argv)} failed ({done.returncode}):\n{done.stderr}")
        if i:
            walls.append(seconds)
            cpus.append(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime)
    return statistics.median(walls), statistics.median(cpus)


def environments(cache: Path) -> dict[str, dict[str, str]]:
    """The child environments: bytecode cached in ``cache``, and no bytecode at all."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("PYTHONPYCACHE")}
    base.pop("PYTHONDONTWRITEBYTECODE", None)
    cached = base | {"PYTHONPYCACHEPREFIX": str(cache)}
    no_pyc = base | {"PYTHONDONTWRITEBYTECODE": "1"}
    return {"cached .pyc": cached, "no .pyc": no_pyc}


def ensure_database(folder: Path, size: int) -> Path:
    """``folder/leads-N.db``, built with `python -m smarketing demo --leads N` if missing."""
    path = folder / f"leads-{size}.db"
    if path.exists():
        return path
    print(f"building the demo company with {size:,} leads into {path} …", file=sys.stderr)
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "smarketing", "demo", "--leads", str(size), "--db", url(path)],
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    print(f"  built in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return path


def url(path: Path) -> str:
    return f"sqlite:///{path}"


def demo_now(path: Path) -> datetime:
    """The newest lead's creation time: the demo's "now"."""
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as conn:
        (newest,) = conn.execute("SELECT max(created_at) FROM lead").fetchone()
    return datetime.fromisoformat(newest).replace(microsecond=0)


def last_day_of_previous_month(day: date) -> date:
    return day.replace(day=1) - timedelta(days=1)


def report_argv(path: Path, period: str, as_of: date, now: datetime) -> list[str]:
    return [
        "report",
        "sla",
        "--format",
        "json",
        "--period",
        period,
        "--date",
        as_of.isoformat(),
        "--now",
        now.isoformat(),
        "--db",
        url(path),
    ]


# --- the parts of one run (in a child process) --------------------------------------------


def phases(argv: list[str], repeat: int) -> dict[str, float]:
    """Seconds of each part of `report sla` in this process (which must be fresh), with the
    garbage collector off for the start-up as `python -m smarketing` has it."""
    gc.disable()  # as smarketing/__main__.py; engine_for turns it back on
    times = {}
    started = time.perf_counter()
    from smarketing.cli.main import build_parser

    args = build_parser().parse_args(argv)
    times["parser"] = time.perf_counter() - started

    mark = time.perf_counter()
    from sqlmodel import Session

    from smarketing.cli.args import engine_for, now_from
    from smarketing.sla.metrics import sla_report
    from smarketing.sla.periods import period_containing

    times["imports"] = time.perf_counter() - mark

    mark = time.perf_counter()
    engine = engine_for(args)
    times["engine + schema check"] = time.perf_counter() - mark

    now = now_from(args.now)
    period = period_containing(args.period, args.date)

    def report():
        with Session(engine) as s:
            return sla_report(s, period, now=now)

    mark = time.perf_counter()
    result = report()
    times["report SQL (first)"] = time.perf_counter() - mark

    mark = time.perf_counter()
    json.dumps(result.to_json(), indent=2, ensure_ascii=False)
    times["json"] = time.perf_counter() - mark
    times["total in process"] = time.perf_counter() - started

    warm = []
    for _ in range(repeat):
        mark = time.perf_counter()
        report()
        warm.append(time.perf_counter() - mark)
    times["report SQL (warm, apart)"] = statistics.median(warm)
    return times


def median_phases(argv: list[str], env: dict[str, str], repeat: int) -> dict[str, float]:
    runs = []
    for _ in range(repeat):
        done = subprocess.run(
            [sys.executable, __file__, "--phases", json.dumps(argv), "--repeat", str(repeat)],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        runs.append(json.loads(done.stdout))
    return {key: statistics.median(run[key] for run in runs) for key in runs[0]}


# --- the tables ---------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--keep", type=Path, help="folder of the demo databases (reused)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--now", type=datetime.fromisoformat, help="default: the newest lead")
    parser.add_argument("--date", type=date.fromisoformat, help="default: a whole month")
    parser.add_argument(
        "--no-parts",
        action="store_true",
        help="only the whole-process table (e.g. for an older checkout)",
    )
    parser.add_argument("--phases", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phases:
        sys.path.insert(0, str(ROOT))
        print(json.dumps(phases(json.loads(args.phases), args.repeat)))
        return

    scratch = Path(tempfile.mkdtemp(prefix="bench_cli-"))
    folder = args.keep or scratch / "db"
    folder.mkdir(parents=True, exist_ok=True)
    envs = environments(scratch / "pycache")
    python = [sys.executable]
    smarketing = [*python, "-m", "smarketing"]
    try:
        databases = {size: ensure_database(folder, size) for size in args.sizes}
        rows: list[tuple[str, str]] = [
            ("python -c pass", [*python, "-c", "pass"]),
            ("python -m smarketing --help", [*smarketing, "--help"]),
        ]
        asked: dict[int, list[str]] = {}
        for size, path in databases.items():
            now = args.now or demo_now(path)
            as_of = args.date or last_day_of_previous_month(now.date())
            for period in ("month", "quarter"):
                argv = report_argv(path, period, as_of, now)
                asked.setdefault(size, argv)
                flag = "" if period == "month" else " --period quarter"
                rows.append(
                    (f"report sla --format json{flag}, {size:,} leads", [*smarketing, *argv])
                )
            print(f"{size:,} leads: as of {as_of}, now {now.isoformat()}", file=sys.stderr)

        print(f"\nWhole process, median of {args.repeat} runs (seconds)\n")
        print("| command | wall | CPU | wall, no .pyc | CPU, no .pyc |")
        print("|---|---:|---:|---:|---:|")
        for label, argv in rows:
            cells = [
                f"{t:.3f}" for env in envs.values() for t in median_run(argv, env, args.repeat)
            ]
            print(f"| `{label}` | " + " | ".join(cells) + " |", flush=True)

        if args.no_parts:
            return
        print(f"\n`report sla --format json` (month) inside one process, median of {args.repeat}")
        print("processes, cached .pyc (seconds)\n")
        parts = {
            size: median_phases(argv, envs["cached .pyc"], args.repeat)
            for size, argv in asked.items()
        }
        keys = list(next(iter(parts.values())))
        print("| part | " + " | ".join(f"{size:,} leads" for size in parts) + " |")
        print("|---|" + "---:|" * len(parts))
        for key in keys:
            print(f"| {key} | " + " | ".join(f"{p[key]:.3f}" for p in parts.values()) + " |")
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
