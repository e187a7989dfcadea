"""SQL statements and seconds of one Overview run, cold and warm, through AppTest.

usage: python benchmarks/bench_overview_sql.py DB [--as-of DAY] [--repeat 3] [--by-origin]
       [--minute]

DB is a SQLite file or a database URL holding the demo company (e.g. ``python -m
smarketing demo --leads 1000000 --db sqlite:///FILE``); it is upgraded to the newest
schema and gets a user ``bench`` (admin) if it has none, so measure a copy. The Overview
is run through AppTest as that user, as of --as-of (default: today in the business
timezone, with the real clock; a past day fixes every figure but the hot leads, which are
about now):

* first -- every ``st.cache_*`` cleared, a new session: one run of the app (frame +
  Overview), as the first visit after a start (the migration check and the login record);
* cold -- ``st.cache_data`` cleared, as after a write (every aggregate is computed again),
  the same session run again;
* warm -- the same session run again (cached aggregates); with ``--minute`` once more
  after 61 s (the hot leads' one-minute cache has expired);
* statements -- ``before_cursor_execute`` events on every engine during the run;
  ``--by-origin`` lists them, with the time spent in ``cursor.execute``, by the
  smarketing function that sent them (fetching rows is not included).

Seconds are medians of --repeat runs, each in the same process.
"""

from __future__ import annotations

import argparse
import collections
import os
import statistics
import sys
import time
import traceback
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def _url(db: str) -> str:
    return db if "://" in db else f"sqlite:///{Path(db).resolve()}"


def _prepare(url: str) -> int:
    from sqlalchemy import func
    from sqlmodel import Session, select

    from smarketing.auth import users
    from smarketing.auth.permissions import CLI_ACTOR
    from smarketing.store.db import make_engine, upgrade_to_head
    from smarketing.store.models import Lead, User

    engine = make_engine(url)
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


def _origin() -> str:
    """The innermost smarketing function (outside store/) on the stack, with its caller
    in ui/ or app_pages/ when there is one."""
    names = []
    for frame in reversed(traceback.extract_stack()[:-3]):
        path = frame.filename
        if "/smarketing/" in path and "/smarketing/store/" not in path:
            module = path.split("/smarketing/", 1)[1].removesuffix(".py").replace("/", ".")
            names.append(f"{module}.{frame.name}")
        elif path.endswith(("frame.py", "overview.py")):
            names.append(f"{Path(path).name}:{frame.lineno}")
        if len(names) == 2:
            break
    return " <- ".join(names) or "?"


class Counter:
    """Counts (and optionally attributes and times) the statements sent while it is on."""

    def __init__(self, by_origin: bool) -> None:
        self.by_origin = by_origin
        self.count = 0
        self.origins: collections.Counter[str] = collections.Counter()
        self.seconds: collections.Counter[str] = collections.Counter()
        self._started: tuple[str, float] | None = None

    def before(self, conn, cursor, statement, parameters, context, executemany) -> None:
        self.count += 1
        if self.by_origin:
            origin = _origin()
            self.origins[origin] += 1
            self._started = (origin, time.perf_counter())

    def after(self, conn, cursor, statement, parameters, context, executemany) -> None:
        if self._started is not None:
            origin, started = self._started
            self.seconds[origin] += time.perf_counter() - started
            self._started = None

    def reset(self) -> None:
        self.count = 0
        self.origins.clear()
        self.seconds.clear()


def _app(as_of: date):
    from streamlit.testing.v1 import AppTest

    from smarketing.ui.auth import SESSION
    from tests.pages.conftest import open_session

    at = AppTest.from_file(str(ROOT / "frame.py"), default_timeout=600)
    at.session_state["authentication_status"] = True
    at.session_state["username"] = "bench"
    at.session_state["name"] = "Bench Mark"
    at.session_state["roles"] = ["admin"]
    at.session_state["as_of"] = as_of
    at.session_state[SESSION] = open_session("bench")  # an open login session
    return at


def _run(at, counter: Counter, label: str, show: bool) -> tuple[float, int]:
    counter.reset()
    start = time.perf_counter()
    at.run()
    seconds = time.perf_counter() - start
    if at.exception:
        raise SystemExit(f"the Overview failed: {at.exception[0].value}")
    if show:
        print(f"\n{label}: {counter.count} statements")
        for origin, n in counter.origins.most_common():
            print(f"  {n:>4} {1000 * counter.seconds[origin]:8.1f} ms  {origin}")
    return seconds, counter.count


def main() -> None:
    import logging

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("db", help="a SQLite file or a database URL")
    parser.add_argument("--as-of", type=date.fromisoformat, default=None)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--by-origin", action="store_true")
    parser.add_argument("--minute", action="store_true", help="also a warm run after 61 s")
    args = parser.parse_args()
    logging.getLogger("streamlit").setLevel(logging.ERROR)
    os.environ["SMARKETING_DATABASE_URL"] = url = _url(args.db)
    os.environ["SMARKETING_NO_DEMO"] = "1"
    os.environ.setdefault("SMARKETING_COOKIE_KEY", "b" * 64)
    os.environ.setdefault("STREAMLIT_LOGGER_LEVEL", "error")
    os.chdir(ROOT)
    import streamlit as st
    from sqlalchemy import event

    for name in list(logging.root.manager.loggerDict):
        if name.startswith("streamlit"):
            logging.getLogger(name).setLevel(logging.ERROR)
    from sqlalchemy.engine import Engine

    from smarketing.sla.periods import today_local

    as_of = args.as_of or today_local()
    leads = _prepare(url)
    counter = Counter(args.by_origin)
    event.listen(Engine, "before_cursor_execute", counter.before)
    event.listen(Engine, "after_cursor_execute", counter.after)
    runs: dict[str, list[tuple[float, int]]] = {"first": [], "cold": [], "warm": []}
    for i in range(args.repeat):
        show = args.by_origin and i == 0
        st.cache_data.clear()
        st.cache_resource.clear()
        at = _app(as_of)
        runs["first"].append(_run(at, counter, "first run (every cache empty)", show))
        st.cache_data.clear()  # as after a write: the engine stays, every aggregate goes
        runs["cold"].append(_run(at, counter, "cold (after a write)", show))
        runs["warm"].append(_run(at, counter, "warm", show))
        if args.minute and i == 0:
            time.sleep(61)
            runs.setdefault("a minute later", []).append(
                _run(at, counter, "warm, a minute later", args.by_origin)
            )
    event.remove(Engine, "before_cursor_execute", counter.before)
    event.remove(Engine, "after_cursor_execute", counter.after)
    print(f"\n{leads:,} leads, as of {as_of} (today {today_local()}), median of {args.repeat}")
    for name, found in runs.items():
        seconds = statistics.median(r[0] for r in found)
        count = statistics.median(r[1] for r in found)
        print(f"  {name:<15} {seconds:7.3f} s {count:5.0f} statements")


if __name__ == "__main__":
    main()
