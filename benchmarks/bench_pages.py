"""Page times of issues 6–7 (Shared language, Personas, Campaigns, Meetings, Meeting mode,
Actions) and the Overview, cold and warm, at each database size.

usage: python benchmarks/bench_pages.py DB_FILE [DB_FILE ...] [--repeat 3] [--as-of DAY]

Each DB_FILE is a SQLite database holding the demo company (e.g. the SLA benchmark's
``sla-SIZE.db`` files: ``python benchmarks/bench_sla.py --keep DIR``); it is upgraded to the
newest schema and gets a user ``bench`` (admin) if it has none. Every page is run through
AppTest as that user:

* cold s -- every st.cache_* cleared, then ``switch_page(page).run()`` (median of --repeat);
* warm s -- the same AppTest object run again (median);
* peak MB -- the process's ru_maxrss after all pages of that database.

Each database is measured in a child process of its own, so its peak memory is its own.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PAGES = {
    "Overview": "app_pages/overview.py",
    "Shared language": "app_pages/shared_language.py",
    "Personas": "app_pages/personas.py",
    "Campaigns": "app_pages/campaigns.py",
    "Meetings": "app_pages/meetings.py",
    "Meeting mode": "app_pages/meeting_mode.py",
    "Actions": "app_pages/actions.py",
}


def _prepare(db: Path) -> int:
    from sqlalchemy import func
    from sqlmodel import Session, select

    from smarketing.auth import users
    from smarketing.auth.permissions import CLI_ACTOR
    from smarketing.store.db import make_engine, upgrade_to_head
    from smarketing.store.models import Lead, User

    engine = make_engine(f"sqlite:///{db}")
    upgrade_to_head(engine)
    with Session(engine) as s:
        if s.exec(select(User).where(User.username == "bench")).first() is None:
            users.add_user(
                s,
                actor=CLI_ACTOR,
                username="bench",
                name="Bench Mark",
                email="bench@example.com",
                roles=["admin"],
                password="benchmark-password",
            )
        leads = s.exec(select(func.count()).select_from(Lead)).one()
    engine.dispose()
    return int(leads)


def _measure(db: Path, repeat: int, as_of: date) -> dict:
    """Run in the child: time every page cold and warm."""
    os.environ["SMARKETING_DATABASE_URL"] = f"sqlite:///{db}"
    os.environ["SMARKETING_NO_DEMO"] = "1"
    os.environ.setdefault("SMARKETING_COOKIE_KEY", "b" * 64)
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from smarketing.ui.auth import SESSION
    from tests.pages.conftest import open_session

    leads = _prepare(db)
    out = {"db": db.name, "leads": leads, "pages": {}}
    for title, path in PAGES.items():
        cold, warm = [], []
        for _ in range(repeat):
            st.cache_data.clear()
            st.cache_resource.clear()
            at = AppTest.from_file(str(ROOT / "frame.py"), default_timeout=300)
            at.session_state["authentication_status"] = True
            at.session_state["username"] = "bench"
            at.session_state["name"] = "Bench Mark"
            at.session_state["roles"] = ["admin"]
            at.session_state["as_of"] = as_of
            at.session_state[SESSION] = open_session("bench")  # an open login session
            at.run()
            st.cache_data.clear()
            start = time.perf_counter()
            at.switch_page(path).run()
            cold.append(time.perf_counter() - start)
            if at.exception:
                raise SystemExit(f"{title} failed: {at.exception[0].value}")
            start = time.perf_counter()
            at.run()
            warm.append(time.perf_counter() - start)
        out["pages"][title] = (statistics.median(cold), statistics.median(warm))
    out["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dbs", nargs="+", type=Path)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--as-of", type=date.fromisoformat, default=date(2026, 11, 30))
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(_measure(args.dbs[0], args.repeat, args.as_of)))
        return
    rows = []
    for db in args.dbs:
        run = subprocess.run(
            [sys.executable, __file__, str(db), "--repeat", str(args.repeat), "--as-of",
             args.as_of.isoformat(), "--child"],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        rows.append(json.loads(run.stdout.strip().splitlines()[-1]))
    width = max(len(t) for t in PAGES)
    header = "".join(f"{r['leads']:>18,} leads" for r in rows)
    print(f"{'page (cold / warm s)':<{width + 2}}{header}")
    for title in PAGES:
        cells = "".join(
            f"{r['pages'][title][0]:>12.2f} / {r['pages'][title][1]:<9.2f}" for r in rows
        )
        print(f"{title:<{width + 2}}{cells}")
    print(f"{'peak MB':<{width + 2}}" + "".join(f"{r['peak_mb']:>18.0f}      " for r in rows))


if __name__ == "__main__":
    main()
