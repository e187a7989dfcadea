"""Meeting mode's step changes (issue 13): seconds per PageDown, cold and warm, at each
database size, with a fixed past "now" and with the real clock.

usage: python benchmarks/bench_meeting_steps.py --sizes 10000 100000 1000000 [--keep DIR]
                                                [--repeat 3]

Per size, builds the demo company into ``DIR/meeting-SIZE.db`` (kept and reused with
--keep), its story ending now, so its weekly meeting is planned for the coming Monday and
the "last 48 hours" windows are full. Then, in a child process per size and clock:

* the planned weekly meeting is started (as an admin, ``on_another_day``);
* meeting mode is opened through AppTest on step 1, then moved step by step with the Next
  button (what PageDown presses) to the last step;
* open s -- meeting mode opened on step 1 with every ``st.cache_*`` cleared;
* bare s -- caches cleared, the prefetch switched off: each step computes its figures
  when it is shown (what a step change cost before the prefetch);
* cold s -- caches cleared, prefetch on: the first time each step is seen, after the
  previous step's run (and its prefetch of the next step) has finished;
* warm s -- the same walk again on the same AppTest: the figures are cached;
* the step's own rerun only: the browser adds about 0.1 s to draw it.

"fixed" runs the app as of the Wednesday after the story's end (``SMARKETING_NOW`` is not
used: the as-of day is set in the session, "now" stays the real clock for deadlines);
"real" uses today. Prints one table per clock; the median of --repeat walks.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def build(path: Path, size: int) -> None:
    """The demo company of ``size`` leads, its story ending now, and a user ``bench``."""
    from sqlmodel import Session

    from smarketing import demo
    from smarketing.auth import users
    from smarketing.auth.permissions import CLI_ACTOR
    from smarketing.store.db import make_engine, upgrade_to_head

    engine = make_engine(f"sqlite:///{path}")
    upgrade_to_head(engine)
    with Session(engine) as s:
        if not demo.has_demo(s):
            demo.build_demo(engine, leads=size, now=datetime.now(UTC))
        if "bench" not in set(users.users_table(s)["username"]):
            users.add_user(
                s,
                actor=CLI_ACTOR,
                username="bench",
                name="Bench Mark",
                email="bench@example.com",
                roles=["admin"],
                password="benchmark-password",
            )
    engine.dispose()


def _walk(at, steps: int) -> list[float]:
    """Seconds of each Next press, from step 1 to the last; waits for the prefetch of the
    next step to finish before each press (a person reads the screen first)."""
    from smarketing.ui import meeting_prefetch

    times = []
    for _ in range(steps - 1):
        meeting_prefetch.wait()
        started = time.perf_counter()
        at.button(key="step_next").click().run()
        times.append(time.perf_counter() - started)
        if at.exception:
            raise SystemExit(f"exception on a step: {at.exception[0].value}")
    meeting_prefetch.wait()
    return times


def measure(db: Path, clock: str, repeat: int) -> dict:
    """In the child: start the weekly meeting, walk its steps cold and warm."""
    os.environ["SMARKETING_DATABASE_URL"] = f"sqlite:///{db}"
    os.environ["SMARKETING_NO_DEMO"] = "1"
    os.environ.setdefault("SMARKETING_COOKIE_KEY", "b" * 64)
    import streamlit as st
    from sqlmodel import Session
    from streamlit.testing.v1 import AppTest

    from smarketing.auth.permissions import Actor
    from smarketing.meetings import records, running
    from smarketing.store.db import make_engine
    from smarketing.ui.auth import SESSION
    from tests.pages.conftest import open_session

    engine = make_engine(os.environ["SMARKETING_DATABASE_URL"])
    with Session(engine) as s:
        planned = [m for m in records.meetings(s, kind="weekly") if m.status != "closed"]
        meeting = planned[0]
        if meeting.status == "planned":
            running.start_meeting(
                s,
                actor=Actor.of("bench", {"admin"}),
                meeting_id=meeting.id,
                now=datetime.now(UTC),
                on_another_day=True,
            )
        steps = len(records.agenda_of(meeting))
        held_on = meeting.held_on
    engine.dispose()
    as_of = held_on + timedelta(days=2) if clock == "fixed" else date.today()

    from smarketing.ui import meeting_prefetch

    def opened() -> tuple[AppTest, float]:
        st.cache_data.clear()
        st.cache_resource.clear()
        at = AppTest.from_file(str(ROOT / "frame.py"), default_timeout=120)
        at.session_state["authentication_status"] = True
        at.session_state["username"] = "bench"
        at.session_state["name"] = "Bench Mark"
        at.session_state["roles"] = ["admin"]
        at.session_state["as_of"] = as_of
        at.session_state["meeting_mode_id"] = meeting.id
        at.session_state[SESSION] = open_session("bench")  # an open login session
        at.run()
        started = time.perf_counter()
        at.switch_page("app_pages/meeting_mode.py").run()
        seconds = time.perf_counter() - started
        at.button_group(key="agenda_strip").set_value(0).run()
        return at, seconds

    walks: dict[str, list[list[float]]] = {"bare": [], "cold": [], "warm": []}
    opens = []
    start = meeting_prefetch.start
    for _ in range(repeat):
        meeting_prefetch.start = lambda *args: None  # no prefetch
        at, _seconds = opened()
        walks["bare"].append(_walk(at, steps))
        meeting_prefetch.start = start
        at, seconds = opened()
        opens.append(seconds)
        walks["cold"].append(_walk(at, steps))
        at.button_group(key="agenda_strip").set_value(0).run()
        walks["warm"].append(_walk(at, steps))
    out = {"steps": steps, "open": statistics.median(opens)}
    for name, runs in walks.items():
        out[name] = [statistics.median(r[i] for r in runs) for i in range(steps - 1)]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--keep", help="folder for the databases (default: a temporary one)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--child", nargs=2, metavar=("DB", "CLOCK"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(Path(args.child[0]), args.child[1], args.repeat)))
        return
    folder = Path(args.keep or tempfile.mkdtemp(prefix="smarketing-bench-meeting-"))
    folder.mkdir(parents=True, exist_ok=True)
    results = {}
    for size in args.sizes:
        path = folder / f"meeting-{size}.db"
        started = time.perf_counter()
        build(path, size)
        print(f"{size:,} leads: database ready in {time.perf_counter() - started:.1f} s")
        for clock in ("fixed", "real"):
            work = folder / f"meeting-{size}-{clock}.db"  # a copy: the walk starts a meeting
            work.write_bytes(path.read_bytes())
            out = subprocess.run(
                [sys.executable, __file__, "--repeat", str(args.repeat), "--child", work, clock],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            results[(size, clock)] = json.loads(out.strip().splitlines()[-1])
            work.unlink()
    for clock in ("fixed", "real"):
        print(f"\nclock: {clock} — seconds per Next press (step n-1 → n), median of {args.repeat}")
        print("| leads | open s | walk | " + " | ".join(f"→{n}" for n in range(2, 9)) + " | max |")
        print("|---:|---:|---|" + "---:|" * 8)
        for size in args.sizes:
            r = results[(size, clock)]
            for walk in ("bare", "cold", "warm"):
                cells = " | ".join(f"{t:.2f}" for t in r[walk])
                print(f"| {size:,} | {r['open']:.2f} | {walk} | {cells} | {max(r[walk]):.2f} |")


if __name__ == "__main__":
    main()
