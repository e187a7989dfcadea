"""Write the demo company with many leads and print how long it took.

    python benchmarks/demo_bulk.py --leads 100000 [--months 12] [--db sqlite:///x.db]

Without ``--db`` the demo goes into a fresh temporary SQLite file that is deleted afterwards.
Peak memory is the process's maximum resident set size (``ru_maxrss``).
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from smarketing.demo import build_demo
from smarketing.store.db import make_engine, upgrade_to_head


def _peak_rss_mb() -> float:
    """Peak resident memory of this process in MB (ru_maxrss is KiB on Linux)."""
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / 1024 / 1024 if sys.platform == "darwin" else rss / 1024


def _run(url: str, args: argparse.Namespace) -> None:
    engine = make_engine(url)
    upgrade_to_head(engine)
    last = [-1]

    def progress(fraction: float, text: str) -> None:
        pct = int(fraction * 100)
        if pct // 10 != last[0] // 10 or fraction >= 1:
            last[0] = pct
            print(f"  {pct:3d}%  {text}", file=sys.stderr, flush=True)

    now = datetime.fromisoformat(args.now) if args.now else datetime.now(UTC)
    rss_before = _peak_rss_mb()
    started = time.perf_counter()
    summary = build_demo(
        engine, leads=args.leads, months=args.months, seed=args.seed, now=now, progress=progress
    )
    seconds = time.perf_counter() - started
    engine.dispose()
    rows = summary.leads + summary.activities + summary.verdicts
    print(f"database        {engine.url.render_as_string(hide_password=True)}")
    print(f"leads           {summary.leads:,}")
    print(f"activities      {summary.activities:,}")
    print(f"verdicts        {summary.verdicts:,}")
    print(f"seconds         {seconds:.1f}")
    print(f"leads/s         {summary.leads / seconds:,.0f}")
    print(f"rows/s          {rows / seconds:,.0f}  (leads + activities + verdicts)")
    print(f"peak RSS        {_peak_rss_mb():,.0f} MB  (before the build: {rss_before:,.0f} MB)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--now", help="ISO time with offset, e.g. 2026-11-18T12:00:00+00:00")
    parser.add_argument("--db", help="SQLAlchemy URL (default: a temporary SQLite file)")
    args = parser.parse_args()
    if args.db:
        _run(args.db, args)
        return 0
    with tempfile.TemporaryDirectory(prefix="smarketing-bench-") as tmp:
        path = Path(tmp) / "demo.db"
        _run(f"sqlite:///{path}", args)
        size = sum(p.stat().st_size for p in Path(tmp).iterdir())
        print(f"file size       {size / 1024 / 1024:,.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
