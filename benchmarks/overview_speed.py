"""Seconds per Overview at 10k / 100k / 1M leads: the domain queries and a full page run.

usage: python benchmarks/overview_speed.py [--sizes 10000 100000] [--keep DIR]
Builds the demo company at each size into a temporary SQLite file, then prints, per size:
the time of the Overview's aggregates uncached (domain), a whole page run through AppTest
(cold, then warm from the cache), and the process's peak memory.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlmodel import Session

from smarketing import demo
from smarketing.auth import users
from smarketing.auth.permissions import CLI_ACTOR
from smarketing.quality import stage_counts
from smarketing.sla.periods import today_local
from smarketing.store.db import make_engine, upgrade_to_head

ROOT = Path(__file__).resolve().parents[1]
NOW = datetime(2026, 11, 18, 12, 0, tzinfo=UTC)


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def page_seconds(url: str) -> tuple[float, float]:
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from smarketing.ui.auth import SESSION
    from tests.pages.conftest import open_session

    os.environ["SMARKETING_DATABASE_URL"] = url
    os.environ["SMARKETING_NO_DEMO"] = "1"
    os.environ.setdefault("SMARKETING_COOKIE_KEY", "b" * 64)
    st.cache_data.clear()
    st.cache_resource.clear()
    times = []
    for _ in range(2):
        at = AppTest.from_file(str(ROOT / "frame.py"), default_timeout=600)
        at.session_state["authentication_status"] = True
        at.session_state["username"] = "bench"
        at.session_state["name"] = "Bench"
        at.session_state["roles"] = ["admin"]
        at.session_state["as_of"] = NOW.date()
        at.session_state[SESSION] = open_session("bench")  # an open login session
        started = time.perf_counter()
        at.run()
        times.append(time.perf_counter() - started)
        if at.exception:
            raise SystemExit(f"page failed: {at.exception[0].value}")
    return times[0], times[1]


def main() -> None:
    import logging

    logging.getLogger("streamlit").setLevel(logging.ERROR)
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--keep", help="folder for the databases (default: a temporary one)")
    args = parser.parse_args()
    folder = Path(args.keep or tempfile.mkdtemp(prefix="smarketing-bench-"))
    os.chdir(Path(__file__).resolve().parents[1])
    print(
        f"{'leads':>9} {'build s':>8} {'aggregates s':>13} {'page cold s':>12} "
        f"{'page warm s':>12} {'peak MB':>8}"
    )
    for size in args.sizes:
        url = f"sqlite:///{folder / f'bench-{size}.db'}"
        engine = make_engine(url)
        upgrade_to_head(engine)
        started = time.perf_counter()
        with Session(engine) as s:
            if not demo.has_demo(s):
                demo.build_demo(engine, leads=size, now=NOW)
            if not any(u == "bench" for u in users.users_table(s)["username"]):
                users.add_user(
                    s,
                    actor=CLI_ACTOR,
                    username="bench",
                    name="Bench",
                    email="bench@example.com",
                    roles=["admin"],
                    password="benchmark pw",
                )
        build = time.perf_counter() - started
        started = time.perf_counter()
        with Session(engine) as s:
            stage_counts.overview_counts(s, NOW.date())
            stage_counts.weekly_stage_counts(s, NOW.date())
            stage_counts.data_as_of(s)
        aggregates = time.perf_counter() - started
        cold, warm = page_seconds(url)
        print(
            f"{size:>9,} {build:>8.1f} {aggregates:>13.3f} {cold:>12.3f} {warm:>12.3f} "
            f"{peak_mb():>8.0f}",
            flush=True,
        )
    print(f"(today is {today_local()}; figures as of {NOW.date()}; databases in {folder})")


if __name__ == "__main__":
    main()
