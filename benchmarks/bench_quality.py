"""Lead-quality and lead-timeline benchmark of issue 5: the Lead quality page, a lead's story.

usage: python benchmarks/bench_quality.py [--sizes 10000 100000 1000000] [--keep DIR]
                                          [--repeat 3] [--timeline-repeat 5]
                                          [--profile SIZE ...]

The databases are the SLA benchmark's (``bench_sla.ensure_database``: the demo company
built with now = 2026-11-30 12:00 UTC, file ``sla-SIZE.db``), so ``--keep`` can point at
the folder bench_sla.py filled. Each size is measured in a fresh child process, so that
its peak memory is its own. The cohort is the Lead quality page's default for as-of
2026-11-30: leads created from the first of the month a year before through as-of.

First table, the Lead quality page:

* build s      -- building the demo (``kept`` when an existing database was reused);
* bkdn s       -- ``quality.breakdowns(session, cohort, ["source", "first_conversion"])``
                  (what the page asks for by default), new session each run (median);
* reasons s    -- ``quality.rejection_reasons(session, cohort, "source")`` (median);
* heatmap s    -- ``quality.cohort_heatmap(session, first month, last month)`` (median);
* cold s       -- the page through AppTest, every st.cache_* cleared,
                  ``switch_page("app_pages/quality.py").run()`` (median);
* warm s       -- the same AppTest object run again (median);
* worst s      -- the slowest section picked cold: caches cleared, the "Show" control
                  set to it and run (median per section; the sections are listed below);
* peak MB      -- the measuring process's ru_maxrss after everything but the peers;
* naive s      -- the peer: ``pandas.read_sql("select * from lead")``, parse
                  ``created_at``, keep the cohort, group by source and count every stage.

Second table, one lead's story (the lead with the most activities that can be found by
typing its name -- or, when no such lead has a unique name, its e-mail -- alone):

* story s      -- ``leads.timeline`` + ``leads.lead_detail`` in a new session (median of
                  --timeline-repeat); tl s: ``leads.timeline`` alone;
* list cold/warm s -- the Leads page (hot leads, filters, one page of rows) through
                  AppTest, caches cleared, then run again (median);
* open cold/warm s -- the lead opened on that page: caches cleared, its name typed into
                  the search box (``leads_text``) so it is the only match, so the page
                  shows its profile, lifecycle, verdicts, timeline chart and list (median);
* naive s      -- the peer: ``pandas.read_sql("select * from lead_activity")``, keep the
                  lead's rows, sort by time (median);
* peak MB      -- ru_maxrss after both peers (the peers dominate it).

Then whether the issue's targets are met: the quality page cold under 3 s and a lead's
timeline under 0.5 s (the issue sets both at 1M leads and 5M activities).
``--profile SIZE ...`` also prints, for those sizes and after every timing: the SQL
statements of one cold quality page run, of one cold opened-lead run and of the story
calls, each with its time, and the top cProfile entries of both page runs.
Without --keep the databases go to a temporary folder that is removed at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parents[1])]

from bench_sla import (
    NOISE,
    NOW,
    PROFILE_GROUPS,
    ROOT,
    checked,
    clear_caches,
    ensure_database,
    logged_in,
    median_seconds,
    peak_mb,
    profiled_run,
    quiet_streamlit,
)
from sqlalchemy import text
from sqlmodel import Session

from smarketing.quality import cohorts as quality
from smarketing.quality import leads

QUALITY_PAGE = "app_pages/quality.py"
LEADS_PAGE = "app_pages/leads.py"
#: The page's default cohort for as-of NOW (``quality_views.pickers``); checked on the page.
COHORT = quality.Cohort((NOW.date() - timedelta(days=365)).replace(day=1), NOW.date())
#: The default dimension of the page, and the dimensions its one breakdown query groups by.
BY = "source"
PAGE_DIMENSIONS = [BY, "first_conversion"]
#: The page's sections other than the default "Funnel" (labels of the "Show" control).
SECTIONS = ("By source", "Rejection reasons", "Cohorts", "Best offers")
NAIVE_REPEAT = 3
#: The issue's targets, in seconds.
QUALITY_COLD_TARGET = 3.0
TIMELINE_TARGET = 0.5
#: Leads with the most activities considered when looking for one with a unique name.
CANDIDATES = 200


# --- the domain calls ---------------------------------------------------------------------


def domain_seconds(engine, repeat: int) -> dict[str, float]:
    """Median seconds of each aggregate the page draws from, a new session each run."""

    def run(fn):
        def once():
            with Session(engine) as s:
                fn(s)

        return median_seconds(once, repeat)

    return {
        "breakdowns": run(lambda s: quality.breakdowns(s, COHORT, PAGE_DIMENSIONS)),
        "reasons": run(lambda s: quality.rejection_reasons(s, COHORT, BY)),
        "heatmap": run(lambda s: quality.cohort_heatmap(s, COHORT.start, COHORT.end)),
    }


def story(engine, lead_id: int) -> int:
    """``timeline`` + ``lead_detail`` of one lead, as the Leads page reads them."""
    with Session(engine) as s:
        leads.lead_detail(s, lead_id)
        return len(leads.timeline(s, lead_id))


def timeline_only(engine, lead_id: int) -> int:
    with Session(engine) as s:
        return len(leads.timeline(s, lead_id))


def pick_lead(engine) -> dict:
    """The lead with the most activities that typing its name (else e-mail) finds alone.

    The CANDIDATES leads with the most activities are tried in that order, each by its
    full name and then by its e-mail, where no other lead has the same; the first that
    the page's own search finds alone wins (the demo reuses names: at 1M leads no full
    name is unique, and the e-mail is typed).
    """
    with engine.connect() as c:
        top = c.execute(
            text(
                "select lead_id, count(*) as n from lead_activity group by lead_id "
                "order by n desc, lead_id limit :k"
            ),
            {"k": CANDIDATES},
        ).all()
        ids = ",".join(str(int(r.lead_id)) for r in top)
        people = c.execute(
            text(
                "select id, first_name, last_name, trim(coalesce(first_name, '') || ' ' || "
                f"coalesce(last_name, '')) as name, email from lead where id in ({ids})"
            )
        ).all()
        typed = {p.id: {"name": p.name, "email": p.email or ""} for p in people}
        names = {p.id: leads.display_name(p.first_name, p.last_name, p.id) for p in people}
        shared = {}
        for field, expression in (
            ("name", "trim(coalesce(first_name, '') || ' ' || coalesce(last_name, ''))"),
            ("email", "email"),
        ):
            values = ",".join(
                "'" + t[field].replace("'", "''") + "'" for t in typed.values() if t[field]
            )
            shared[field] = dict(
                c.execute(
                    text(
                        f"select {expression} as v, count(*) from lead where {expression} "
                        f"in ({values}) group by v"
                    )
                ).all()
            )
    with Session(engine) as s:
        for lead_id, n in top:
            for field in ("name", "email"):
                value = typed[lead_id][field]
                if not value or shared[field].get(value) != 1:
                    continue
                flt = leads.LeadFilter(text=value)
                frame, total = leads.lead_page(s, flt, page=1, per_page=1, now=NOW)
                if total == 1 and int(frame["id"].iloc[0]) == lead_id:
                    return {
                        "id": int(lead_id),
                        "activities": int(n),
                        "most": int(top[0].n),
                        "typed": value,
                        "field": field,
                        "name": names[lead_id],
                    }
    raise SystemExit(f"none of the {CANDIDATES} busiest leads has a unique name or e-mail")


# --- the pages ----------------------------------------------------------------------------


def texts(at) -> list[str]:
    return [e.value for kind in ("markdown", "caption", "subheader", "title") for e in at.get(kind)]


def on_quality_page(at, what: str):
    checked(at, what)
    if not any(t.value == "Lead quality" for t in at.title):
        raise SystemExit(f"{what}: not on the Lead quality page")
    if not any(COHORT.label() in t for t in texts(at)):
        raise SystemExit(f"{what}: the cohort is not {COHORT.label()} (the page's default?)")
    return at


def cold_quality_page():
    """A fresh AppTest past its first run, caches cleared: returns the cold run to time."""
    clear_caches()
    at = checked(logged_in(ROOT / "frame.py").run(), "Overview (first run)")
    clear_caches()
    return lambda: at.switch_page(QUALITY_PAGE).run()


def quality_page_seconds(repeat: int) -> dict:
    """Median cold and warm seconds of the page, and cold seconds per other section."""
    cold, warm = [], []
    sections: dict[str, list[float]] = {name: [] for name in SECTIONS}
    for _ in range(repeat):
        run = cold_quality_page()
        started = time.perf_counter()
        at = run()
        cold.append(time.perf_counter() - started)
        on_quality_page(at, "quality page (cold)")
        started = time.perf_counter()
        at.run()
        warm.append(time.perf_counter() - started)
        on_quality_page(at, "quality page (warm)")
        for name in SECTIONS:
            clear_caches()
            control = at.button_group(key="quality_section").set_value(name)
            started = time.perf_counter()
            control.run()
            sections[name].append(time.perf_counter() - started)
            on_quality_page(at, f"quality page, {name} (cold)")
    return {
        "cold": statistics.median(cold),
        "warm": statistics.median(warm),
        "sections": {name: statistics.median(times) for name, times in sections.items()},
    }


def on_leads_page(at, what: str, lead: dict | None = None):
    checked(at, what)
    if not any(t.value == "Leads" for t in at.title):
        raise SystemExit(f"{what}: not on the Leads page")
    if lead is not None:
        shown = texts(at)
        if "**1** leads match · page 1 of 1 · 50 per page" not in shown:
            raise SystemExit(f"{what}: typing {lead['typed']!r} did not leave one lead")
        if not any(t.startswith(f"{lead['name']} — ") for t in shown):
            raise SystemExit(f"{what}: {lead['name']} was not opened")
        line = f"**Activity timeline** — {lead['activities']} activities"
        if line not in shown:
            raise SystemExit(f"{what}: no {line!r}")
    return at


def leads_list_page():
    """A fresh AppTest past its first run, caches cleared: returns the cold list run."""
    clear_caches()
    at = checked(logged_in(ROOT / "frame.py").run(), "Overview (first run)")
    clear_caches()
    return lambda: at.switch_page(LEADS_PAGE).run()


def opened_lead_page(lead: dict):
    """The Leads page shown, caches cleared: returns the cold run that opens the lead."""
    at = on_leads_page(leads_list_page()(), "Leads page")
    clear_caches()
    return at.text_input(key="leads_text").input(lead["typed"]).run


#: The parts of the Leads page timed in the runs that open the lead (``lead_views``).
PARTS = ("hot_panel", "filters", "lead_list", "lead_story")


class PartTimer:
    """Seconds spent in each of ``lead_views``' PARTS while on (wrapping, no profiler)."""

    def __init__(self) -> None:
        self.spent: dict[str, float] = {}

    def __enter__(self):
        from smarketing.ui import lead_views

        self.originals = {name: getattr(lead_views, name) for name in PARTS}
        for name, fn in self.originals.items():
            setattr(lead_views, name, self._timed(name, fn))
        return self

    def __exit__(self, *exc) -> None:
        from smarketing.ui import lead_views

        for name, fn in self.originals.items():
            setattr(lead_views, name, fn)

    def _timed(self, name, fn):
        def wrapper(*args, **kwargs):
            started = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                self.spent[name] = self.spent.get(name, 0.0) + time.perf_counter() - started

        return wrapper


def leads_page_seconds(lead: dict, repeat: int) -> dict:
    """Median seconds: the list cold and warm, the lead opened cold and warm, and the
    parts of the opened runs (``parts_cold``, ``parts_warm``)."""
    times: dict[str, list[float]] = {"list_cold": [], "list_warm": [], "open_cold": []}
    times["open_warm"] = []
    parts: dict[str, list[dict[str, float]]] = {"parts_cold": [], "parts_warm": []}
    for _ in range(repeat):
        run = leads_list_page()
        started = time.perf_counter()
        at = run()
        times["list_cold"].append(time.perf_counter() - started)
        on_leads_page(at, "Leads page (cold)")
        started = time.perf_counter()
        at.run()
        times["list_warm"].append(time.perf_counter() - started)
        on_leads_page(at, "Leads page (warm)")
        clear_caches()
        control = at.text_input(key="leads_text").input(lead["typed"])
        with PartTimer() as timer:
            started = time.perf_counter()
            control.run()
            times["open_cold"].append(time.perf_counter() - started)
        parts["parts_cold"].append(timer.spent)
        on_leads_page(at, "Leads page, lead opened (cold)", lead)
        with PartTimer() as timer:
            started = time.perf_counter()
            at.run()
            times["open_warm"].append(time.perf_counter() - started)
        parts["parts_warm"].append(timer.spent)
        on_leads_page(at, "Leads page, lead opened (warm)", lead)
    out: dict = {name: statistics.median(values) for name, values in times.items()}
    for key, runs in parts.items():
        out[key] = {name: statistics.median(r.get(name, 0.0) for r in runs) for name in PARTS}
    return out


# --- the naive peers ----------------------------------------------------------------------


def naive_quality(engine) -> dict[str, tuple[int, ...]]:
    """Per source of the cohort: (leads, mqls, …, customers), from every lead in pandas."""
    import pandas as pd

    start, end = COHORT.window()
    with engine.connect() as connection:
        frame = pd.read_sql("select * from lead", connection)
    created = pd.to_datetime(frame["created_at"], utc=True, format="ISO8601")
    cohort = frame[(created >= start) & (created < end)]
    source = cohort[BY].fillna("").str.strip(" ").replace("", quality.NONE_VALUE)
    stages = [column for _, column in quality.COUNTS if column is not None]
    counts = cohort[stages].notna().groupby(source).sum()
    counts.insert(0, "leads", source.groupby(source).size())
    return {value: tuple(int(n) for n in row) for value, row in counts.iterrows()}


def sql_quality(engine) -> dict[str, tuple[int, ...]]:
    with Session(engine) as s:
        frame = quality.breakdowns(s, COHORT, PAGE_DIMENSIONS)[BY]
    frame = frame[~frame["is_total"]]
    return {
        row["value"]: tuple(int(row[name]) for name in quality.COUNT_COLUMNS)
        for row in frame.to_dict("records")
    }


def naive_timeline(engine, lead_id: int) -> int:
    """The lead's activities, oldest first, from every activity in pandas."""
    import pandas as pd

    with engine.connect() as connection:
        frame = pd.read_sql("select * from lead_activity", connection)
    mine = frame[frame["lead_id"] == lead_id].sort_values(["occurred_at", "id"])
    return len(mine)


# --- profiling (after every timing) -------------------------------------------------------


def statement_times(label: str, run, top: int = 8) -> None:
    """Run ``run()`` and print its SQL statements by time spent in ``cursor.execute``.

    SQLite computes up to the first row in ``execute``: an aggregate's whole cost, but
    not the later rows of a plain SELECT (read by ``fetchall``, not counted here).
    """
    from sqlalchemy import event
    from sqlalchemy.engine import Engine

    spent: dict[str, list[float]] = {}

    def before(conn, cursor, statement, parameters, context, executemany):
        conn.info.setdefault("bench_started", []).append(time.perf_counter())

    def after(conn, cursor, statement, parameters, context, executemany):
        seconds = time.perf_counter() - conn.info["bench_started"].pop()
        spent.setdefault(" ".join(statement.split()), []).append(seconds)

    event.listen(Engine, "before_cursor_execute", before)
    event.listen(Engine, "after_cursor_execute", after)
    try:
        started = time.perf_counter()
        run()
        wall = time.perf_counter() - started
    finally:
        event.remove(Engine, "before_cursor_execute", before)
        event.remove(Engine, "after_cursor_execute", after)
    total = sum(sum(v) for v in spent.values())
    print(
        f"\nSQL of one {label}: {wall:.3f} s wall, {total:.3f} s in cursor.execute of "
        f"{sum(len(v) for v in spent.values())} statements; the {top} slowest:"
    )
    ranked = sorted(spent.items(), key=lambda item: -sum(item[1]))[:top]
    for statement, times in ranked:
        shown = statement if len(statement) <= 300 else statement[:297] + "..."
        print(f"  {sum(times):7.3f} s  x{len(times):<3} {shown}")


def profiled_page(label: str, run, top: int = 15) -> None:
    """Profile ``run()`` (an AppTest run) inside the script thread; print its top entries."""
    profiled_run(label, run, top, what="page", groups=(PROFILE_GROUPS[0], PROFILE_GROUPS[-1]))


def profile(engine, lead: dict) -> None:
    statement_times("cold Lead quality page run", cold_quality_page())
    statement_times("cold Leads page run opening the lead", opened_lead_page(lead))
    statement_times("story (timeline + lead_detail)", lambda: story(engine, lead["id"]))
    profiled_page("cold Lead quality", cold_quality_page())
    profiled_page("cold Leads (opening the lead)", opened_lead_page(lead))


# --- measuring (in the child process) -----------------------------------------------------


def measure(size: int, url: str, repeat: int, timeline_repeat: int, profiling: bool) -> dict:
    quiet_streamlit()
    os.chdir(ROOT)
    os.environ["SMARKETING_DATABASE_URL"] = url
    os.environ["SMARKETING_NO_DEMO"] = "1"
    os.environ.setdefault("SMARKETING_COOKIE_KEY", "b" * 64)
    from streamlit.testing.v1 import AppTest  # noqa: F401  (import cost outside the timings)

    from smarketing.store.db import make_engine

    engine = make_engine(url)
    with engine.connect() as c:
        activities = c.execute(text("select count(*) from lead_activity")).scalar_one()
    sql_counts = sql_quality(engine)  # warms the OS page cache and the imports
    domain = domain_seconds(engine, repeat)
    page = quality_page_seconds(repeat)

    lead = pick_lead(engine)
    if story(engine, lead["id"]) != lead["activities"]:
        raise SystemExit(f"the timeline of lead {lead['id']} lacks activities")
    story_s = median_seconds(lambda: story(engine, lead["id"]), timeline_repeat)
    timeline_s = median_seconds(lambda: timeline_only(engine, lead["id"]), timeline_repeat)
    pages = leads_page_seconds(lead, repeat)
    own_peak = peak_mb()

    naive_counts = naive_quality(engine)
    naive_quality_s = median_seconds(lambda: naive_quality(engine), NAIVE_REPEAT)
    naive_rows = naive_timeline(engine, lead["id"])
    naive_timeline_s = median_seconds(lambda: naive_timeline(engine, lead["id"]), NAIVE_REPEAT)
    if profiling:  # after every timing and memory figure
        profile(engine, lead)
    return {
        "activities": activities,
        **domain,
        "cold": page["cold"],
        "warm": page["warm"],
        "sections": page["sections"],
        "lead": lead,
        "story": story_s,
        "timeline": timeline_s,
        **pages,
        "peak_mb": own_peak,
        "naive_quality": naive_quality_s,
        "naive_timeline": naive_timeline_s,
        "naive_peak_mb": peak_mb(),
        "same_counts": naive_counts == sql_counts,
        "same_timeline": naive_rows == lead["activities"],
    }


# --- the parent -------------------------------------------------------------------------


def run_child(size: int, url: str, args) -> dict:
    command = [
        sys.executable,
        __file__,
        "--child",
        str(size),
        url,
        "--repeat",
        str(args.repeat),
        "--timeline-repeat",
        str(args.timeline_repeat),
    ]
    if size in args.profile:
        command.append("--profile-child")
    done = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=False)
    lines = done.stdout.splitlines()
    if done.returncode != 0 or not lines:
        print(done.stdout, end="")
        raise SystemExit(f"measuring {size:,} leads failed (exit {done.returncode})")
    extra = [line for line in lines[:-1] if line not in NOISE]
    if extra:
        print("\n".join(extra), flush=True)
    return json.loads(lines[-1])


def verdict(ok: bool) -> str:
    return "met" if ok else "NOT met"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--keep", help="folder for the databases (default: a temporary one)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per median (default 3)")
    parser.add_argument(
        "--timeline-repeat",
        type=int,
        default=5,
        help="runs per median of the story calls (default 5)",
    )
    parser.add_argument(
        "--profile",
        type=int,
        nargs="*",
        default=[],
        metavar="SIZE",
        help="at these sizes, also print the SQL and the profile of a cold run of each page",
    )
    parser.add_argument("--child", nargs=2, metavar=("SIZE", "URL"), help=argparse.SUPPRESS)
    parser.add_argument("--profile-child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child:
        size, url = int(args.child[0]), args.child[1]
        result = measure(size, url, args.repeat, args.timeline_repeat, args.profile_child)
        print(json.dumps(result), flush=True)
        return

    folder = Path(args.keep or tempfile.mkdtemp(prefix="smarketing-bench-quality-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        report(args, folder)
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)


def report(args, folder: Path) -> None:
    """Measure every size and print the tables and the verdicts."""
    print(
        f"Lead quality benchmark: cohort {COHORT.label()} by {BY}, now = {NOW.isoformat()}, "
        f"medians of {args.repeat} (story calls: {args.timeline_repeat}, naive peers: "
        f"{NAIVE_REPEAT}), {os.cpu_count()} CPUs",
        flush=True,
    )
    print(
        f"{'leads':>9} {'activities':>10} {'build s':>8} {'bkdn s':>7} {'reasons s':>9} "
        f"{'heatmap s':>9} {'cold s':>7} {'warm s':>7} {'worst s':>7} {'peak MB':>8} "
        f"{'naive s':>8}",
        flush=True,
    )
    results = {}
    for size in args.sizes:
        path = folder / f"sla-{size}.db"
        build = ensure_database(path, size)
        r = run_child(size, f"sqlite:///{path}", args)
        results[size] = r
        built = "kept" if build is None else f"{build:.1f}"
        print(
            f"{size:>9,} {r['activities']:>10,} {built:>8} {r['breakdowns']:>7.3f} "
            f"{r['reasons']:>9.3f} {r['heatmap']:>9.3f} {r['cold']:>7.3f} {r['warm']:>7.3f} "
            f"{max(r['sections'].values()):>7.3f} {r['peak_mb']:>8.0f} "
            f"{r['naive_quality']:>8.2f}",
            flush=True,
        )

    print("\ncold runs of each other section of the quality page (caches cleared, s):")
    print(f"{'leads':>9} " + " ".join(f"{name:>17}" for name in SECTIONS))
    for size, r in results.items():
        print(f"{size:>9,} " + " ".join(f"{r['sections'][name]:>17.3f}" for name in SECTIONS))

    print(
        f"\n{'leads':>9} {'lead':>8} {'acts':>4} {'story s':>8} {'tl s':>7} {'list cold':>9} "
        f"{'list warm':>9} {'open cold':>9} {'open warm':>9} {'naive s':>8} "
        f"{'peak MB w/ naive':>16}"
    )
    for size, r in results.items():
        lead = r["lead"]
        print(
            f"{size:>9,} {lead['id']:>8} {lead['activities']:>4} {r['story']:>8.4f} "
            f"{r['timeline']:>7.4f} {r['list_cold']:>9.3f} {r['list_warm']:>9.3f} "
            f"{r['open_cold']:>9.3f} {r['open_warm']:>9.3f} {r['naive_timeline']:>8.2f} "
            f"{r['naive_peak_mb']:>16.0f}"
        )
    print("\nwhere the runs opening the lead go (lead_views functions, median s, cold / warm):")
    print(f"{'leads':>9} " + " ".join(f"{name:>17}" for name in PARTS))
    for size, r in results.items():
        cells = (f"{r['parts_cold'][n]:.3f} / {r['parts_warm'][n]:.3f}" for n in PARTS)
        print(f"{size:>9,} " + " ".join(f"{cell:>17}" for cell in cells))
    for size, r in results.items():
        lead = r["lead"]
        agree = "agree" if r["same_counts"] and r["same_timeline"] else "DIFFER"
        print(
            f"{size:>9,}: lead {lead['id']} ({lead['name']}; {lead['activities']} activities, "
            f"the most any lead has is {lead['most']}), opened by typing its {lead['field']} "
            f"{lead['typed']!r}; SQL and pandas counts {agree}"
        )

    print("\ntargets of issue 5 (set at 1M leads and 5M activities)")
    print(f"Lead quality page cold < {QUALITY_COLD_TARGET:g} s (default section; worst section):")
    for size, r in results.items():
        worst = max(r["sections"], key=r["sections"].get)
        print(
            f"{size:>11,}  {verdict(r['cold'] < QUALITY_COLD_TARGET):<7}  {r['cold']:.3f} s; "
            f"{verdict(r['sections'][worst] < QUALITY_COLD_TARGET)} for {worst!r} "
            f"{r['sections'][worst]:.3f} s (naive peer {r['naive_quality']:.2f} s)"
        )
    print(
        f"a lead's timeline < {TIMELINE_TARGET:g} s (story calls; its part of the page, cold; "
        "the whole Leads page run that opens it, cold):"
    )
    for size, r in results.items():
        on_page = r["parts_cold"]["lead_story"]
        print(
            f"{size:>11,}  {verdict(r['story'] < TIMELINE_TARGET):<7}  {r['story']:.4f} s; "
            f"{verdict(on_page < TIMELINE_TARGET)} on the page {on_page:.3f} s; "
            f"{verdict(r['open_cold'] < TIMELINE_TARGET)} for the whole run "
            f"{r['open_cold']:.3f} s (naive peer {r['naive_timeline']:.2f} s)"
        )
    print(f"(databases in {folder}{'' if args.keep else ', removed now'})")


if __name__ == "__main__":
    main()
