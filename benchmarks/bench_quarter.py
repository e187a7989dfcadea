"""The quarter as fast as the month (issue 14): every SLA and Lead-quality figure beside
raw SQLite and DuckDB, for periods from a day to a year.

usage: python benchmarks/bench_quarter.py DB [DB ...] [--repeat 5] [--only NAME ...]
                                         [--no-duckdb] [--no-migrate]

Each DB is a SQLite file holding a demo company (``python -m smarketing demo --leads N``).
The script brings it to the current schema first (``upgrade_to_head``, which also builds
the daily rollups when the schema has them; not timed), so give it a copy you may change.
Per database it times, for each figure and period (median of --repeat runs after one
warm-up run, so the OS cache is warm):

* app s     -- the app's own function in a new ``Session`` each run (its result brought to
               the compared form afterwards, untimed): ``sla_report``,
               ``sla_reports`` of the trailing 13 periods (the scorecard),
               ``quality.breakdowns`` (the Lead quality page's one query: the dimension
               and the offers), ``quality.funnel``, ``quality.rejection_reasons``,
               ``quality.cohort_heatmap``, and the SLA page's details (``daily_counts``
               of the pacing chart, ``contact_distribution``, ``overdue_mqls``: their
               input, the period's report, is made before timing);
* raw s     -- the same figures by hand-written SQL on the same file through the sqlite3
               module (a new connection each run): the straightforward queries over the
               ``lead`` table a person would write (range conditions on the indexed
               timestamps, ``LIMIT/OFFSET`` for a median, window functions for the
               scorecard's medians), using whatever indexes the file has;
* duck s    -- the same SQL in DuckDB (in-memory; the ``lead`` table is loaded from the
               sqlite3 rows through Arrow before timing, since DuckDB's sqlite extension
               would have to be downloaded). ``pip install -r benchmarks/requirements.txt``.

All three must give the same numbers (counts exactly, hours to 2 decimals as reported);
the script stops on a difference. The table then shows ``app / best`` (best = the faster
of raw SQLite and DuckDB) and marks ratios over 1.5 with ``✖``.

The periods are the last complete ones before the newest lead's local day R: the day R,
the last complete ISO week, month and quarter, and the 12 complete months before R's month
("year"; the SLA report of it is a ``Period`` spanning those 12 months). The scorecard is
``trailing_periods(kind, R, 13)``; "now" is the newest lead's time plus one minute, so the
deadlines of the current period are those of the real clock when the demo was built.
"""

from __future__ import annotations

import argparse
import math
import sqlite3
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlmodel import Session

from smarketing import config
from smarketing.quality import cohorts as quality
from smarketing.sla import first_contact as sla_detail
from smarketing.sla import metrics as sla
from smarketing.sla.agreements import agreement_for
from smarketing.sla.periods import (
    Period,
    PeriodKind,
    local_date,
    local_midnight_utc,
    period_containing,
)
from smarketing.store.db import make_engine, upgrade_to_head

RATIO_LIMIT = 1.5
EPS = 1e-6  # sql_time.EPSILON_HOURS
TS = ("created_at", "mql_at", "accepted_at", "rejected_at", "first_contact_at", "sql_at",
      "opportunity_at", "customer_at")  # fmt: skip
DIMS = ("source", "first_conversion")
LOADED = ("id", *TS, "rejection_reason", "source", "campaign", "persona", "owner", "segment",
          "first_conversion", "first_name", "last_name", "company")  # fmt: skip
#: how many overdue MQLs the SLA page lists (``overdue_mqls``' limit)
OVERDUE_LISTED = 50


# --- periods ------------------------------------------------------------------------------


def last_complete(kind: str, day: date) -> Period:
    """The last complete period of ``kind`` ending on or before ``day``."""
    p = period_containing(kind, day)
    if p.end > day:
        p = period_containing(kind, p.start - timedelta(days=1))
    return Period(p.kind, p.start, p.end, p.end)


def year_before(day: date) -> Period:
    """The 12 complete months before the month of ``day`` (as one Period)."""
    first_this = day.replace(day=1)
    start = date(first_this.year - 1, first_this.month, 1)
    end = first_this - timedelta(days=1)
    return Period(PeriodKind.quarter, start, end, end)


def periods_for(day: date) -> dict[str, Period]:
    out = {"day": Period(PeriodKind.day, day, day, day)}
    for kind in ("week", "month", "quarter"):
        out[kind] = last_complete(kind, day)
    out["year"] = year_before(day)
    return out


@dataclass(frozen=True)
class Win:
    """A window as plain values for the hand-written SQL (naive UTC, as SQLite stores it)."""

    start: datetime
    end: datetime
    deadline: datetime  # mql_at <= deadline is due: min(end, now) - response hours
    hours: float

    @staticmethod
    def of(session: Session, period: Period, now: datetime) -> Win:
        agreement = agreement_for(session, period.start)
        hours = agreement.response_hours if agreement else sla.FALLBACK_RESPONSE_HOURS
        start, end = period.window()
        cutoff = min(end, now)
        return Win(naive(start), naive(end), naive(cutoff - timedelta(hours=hours)), hours)


def naive(moment: datetime) -> datetime:
    return moment.astimezone(UTC).replace(tzinfo=None)


def text(moment: datetime) -> str:
    """A naive UTC datetime as SQLAlchemy writes it to SQLite."""
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")


# --- normalised figures ------------------------------------------------------------------


def sla_tuple(mqls, decided, accepted, due, on_time, contacted, sqls, customers, median):
    med = None if median is None else round(float(median), 2)
    return (int(mqls), int(decided), int(accepted), int(due), int(on_time), int(contacted),
            int(sqls), int(customers), med)  # fmt: skip


def from_report(report: sla.SlaReport) -> tuple:
    m = {x.key: x for x in report.metrics}
    return sla_tuple(
        m["mqls_delivered"].actual,
        m["mql_acceptance_rate"].denominator,
        m["mql_acceptance_rate"].numerator,
        m["contacted_within_sla_rate"].denominator,
        m["contacted_within_sla_rate"].numerator,
        m["median_first_contact_hours"].denominator,
        m["sqls"].actual,
        m["customers"].actual,
        m["median_first_contact_hours"].actual,
    )


def merged(rows, n_dims: int) -> dict:
    """{dimension: {shown value: counts}} from rows of (dims..., counts...)."""
    out: dict[str, dict[str, list[int]]] = {d: {} for d in DIMS[:n_dims]}
    for row in rows:
        counts = [int(v) for v in row[n_dims:]]
        for name, stored in zip(DIMS[:n_dims], row[:n_dims], strict=True):
            sums = out[name].setdefault(quality.shown(stored), [0] * len(counts))
            for i, v in enumerate(counts):
                sums[i] += v
    return {d: {k: tuple(v) for k, v in vals.items()} for d, vals in out.items()}


def from_breakdowns(frames: dict) -> dict:
    out = {}
    for dim, frame in frames.items():
        rows = frame[~frame["is_total"].astype(bool)]
        out[dim] = {
            r["value"]: tuple(int(r[c]) for c in quality.COUNT_COLUMNS)
            for r in rows.to_dict("records")
        }
    return out


def reasons_merged(rows) -> dict:
    out: dict[tuple[str, str], int] = {}
    for value, key, n in rows:
        group = (quality.shown(value), (key or "").strip() or quality.NONE_VALUE)
        out[group] = out.get(group, 0) + int(n)
    return out


def heat_from(leads: list[int], won: dict[tuple[int, int], int]) -> list[tuple]:
    count = len(leads)
    rows = []
    for i in range(count):
        reached = 0
        for offset in range(count - i):
            reached += won.get((i, offset), 0)
            rows.append((i, offset, leads[i], reached))
    return rows


# --- the app ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Later:
    """An app function's own result, and how to bring it to the compared form (not timed:
    the app's time is its function's, as a page calls it)."""

    value: object
    convert: Callable


def _heat(frame) -> list[tuple]:
    months = sorted(frame["cohort_month"].unique())
    index = {m: i for i, m in enumerate(months)}
    return [
        (index[r.cohort_month], int(r.months_since), int(r.leads), int(r.customers))
        for r in frame.itertuples()
    ]


def _distribution(d) -> tuple:
    return (
        tuple(int(n) for n in d.bins["count"]),
        None if d.median is None else round(d.median, 2),
        None if d.p90 is None else round(d.p90, 2),
    )


def _overdue(result) -> tuple:
    """(how many, the listed MQLs' names, companies and MQL times as naive UTC)."""
    frame, total = result
    listed = tuple((r.lead, r.company, naive(r.mql_at.to_pydatetime())) for r in frame.itertuples())
    return total, listed


class App:
    """The app's functions, each in a new ``Session``."""

    def __init__(self, engine, now: datetime):
        self.engine, self.now = engine, now

    def sla(self, period: Period):
        with Session(self.engine) as s:
            return Later(sla.sla_report(s, period, now=self.now), from_report)

    def scorecard(self, periods: list[Period]):
        with Session(self.engine) as s:
            reports = sla.sla_reports(s, periods, now=self.now)
        return Later(reports, lambda rs: [from_report(r) for r in rs])

    def breakdown(self, cohort: quality.Cohort):
        with Session(self.engine) as s:
            return Later(quality.breakdowns(s, cohort, list(DIMS)), from_breakdowns)

    def funnel(self, cohort: quality.Cohort):
        with Session(self.engine) as s:
            frame = quality.funnel(s, cohort)
        return Later(frame, lambda f: tuple(int(v) for v in f["count"]))

    def reasons(self, cohort: quality.Cohort):
        with Session(self.engine) as s:
            frame = quality.rejection_reasons(s, cohort, "source")
        return Later(
            frame, lambda f: {(r.value, r.reason_key): int(r.count) for r in f.itertuples()}
        )

    def heatmap(self, first: date, last: date):
        with Session(self.engine) as s:
            return Later(quality.cohort_heatmap(s, first, last), _heat)

    def pacing(self, period: Period):
        with Session(self.engine) as s:
            return Later(sla_detail.daily_counts(s, period, "mql_at"), tuple)

    def report(self, period: Period) -> sla.SlaReport:
        """The period's report, the input of the SLA page's details (not timed)."""
        with Session(self.engine) as s:
            return sla.sla_report(s, period, now=self.now)

    def distribution(self, report: sla.SlaReport):
        with Session(self.engine) as s:
            return Later(sla_detail.contact_distribution(s, report), _distribution)

    def overdue(self, report: sla.SlaReport):
        with Session(self.engine) as s:
            return Later(sla_detail.overdue_mqls(s, report, now=self.now), _overdue)


# --- hand-written SQL (SQLite and DuckDB) --------------------------------------------------


class Sql:
    """The same figures in plain SQL; ``duck`` switches the few dialect differences."""

    def __init__(self, connect: Callable, duck: bool):
        self.connect, self.duck = connect, duck

    def p(self, moment: datetime):
        return moment if self.duck else text(moment)

    def span(self) -> str:
        if self.duck:  # SQLite's julianday arithmetic (double days from integer ms), so that
            # a delay of exactly 30 minutes falls on the same side of a bin edge as in SQLite
            jd = "(CAST(epoch_ms({}) + 210866760000000 AS DOUBLE) / 86400000.0)"
            return f"(({jd.format('first_contact_at')} - {jd.format('mql_at')}) * 24.0)"
        return "((julianday(first_contact_at) - julianday(mql_at)) * 24.0)"

    def run(self, conn, sql: str, params=()) -> list[tuple]:
        return conn.execute(sql, params).fetchall()

    def sla(self, w: Win):
        conn = self.connect()
        span, p = self.span(), self.p
        a, b, d = p(w.start), p(w.end), p(w.deadline)
        counts = self.run(
            conn,
            f"""SELECT count(*),
                  sum(CASE WHEN accepted_at IS NOT NULL OR rejected_at IS NOT NULL
                      THEN 1 ELSE 0 END),
                  count(accepted_at),
                  sum(CASE WHEN mql_at <= ? THEN 1 ELSE 0 END),
                  sum(CASE WHEN mql_at <= ? AND first_contact_at >= mql_at
                      AND {span} <= ? THEN 1 ELSE 0 END),
                  sum(CASE WHEN first_contact_at >= mql_at THEN 1 ELSE 0 END)
               FROM lead WHERE mql_at >= ? AND mql_at < ?""",
            (d, d, w.hours + EPS, a, b),
        )[0]
        sqls, customers = self.run(
            conn,
            """SELECT (SELECT count(*) FROM lead WHERE sql_at >= ? AND sql_at < ?),
                      (SELECT count(*) FROM lead WHERE customer_at >= ? AND customer_at < ?)""",
            (a, b, a, b),
        )[0]
        contacted = int(counts[5] or 0)
        if self.duck:
            median = self.run(
                conn,
                f"SELECT median({span}) FROM lead WHERE mql_at >= ? AND mql_at < ? "
                "AND first_contact_at >= mql_at",
                (a, b),
            )[0][0]
        else:
            median = self.median(conn, a, b, contacted)
        return sla_tuple(*[v or 0 for v in counts], sqls, customers, median)

    def median(self, conn, a, b, n: int):
        if n == 0:
            return None
        values = self.run(
            conn,
            f"SELECT {self.span()} AS s FROM lead WHERE mql_at >= ? AND mql_at < ? "
            "AND first_contact_at >= mql_at ORDER BY s LIMIT ? OFFSET ?",
            (a, b, 2 - n % 2, (n - 1) // 2),
        )
        return sum(v[0] for v in values) / len(values)

    def scorecard(self, wins: list[Win]):
        """All windows at once: a VALUES table of windows joined to the leads, grouped."""
        conn = self.connect()
        span, p = self.span(), self.p
        values = ", ".join("(?, ?, ?, ?, ?)" for _ in wins)
        params = [x for i, w in enumerate(wins)
                  for x in (i, p(w.start), p(w.end), p(w.deadline), w.hours + EPS)]  # fmt: skip
        ws = "w"
        cte = f"WITH w(i, a, b, d, h) AS (VALUES {values}) "
        rows = self.run(
            conn,
            cte
            + f"""SELECT w.i, count(*),
                  sum(CASE WHEN accepted_at IS NOT NULL OR rejected_at IS NOT NULL
                      THEN 1 ELSE 0 END),
                  count(accepted_at),
                  sum(CASE WHEN mql_at <= w.d THEN 1 ELSE 0 END),
                  sum(CASE WHEN mql_at <= w.d AND first_contact_at >= mql_at AND {span} <= w.h
                      THEN 1 ELSE 0 END),
                  sum(CASE WHEN first_contact_at >= mql_at THEN 1 ELSE 0 END)
               FROM {ws} JOIN lead ON mql_at >= w.a AND mql_at < w.b GROUP BY w.i""",
            params,
        )
        sqls = dict(self.run(
            conn,
            cte + f"SELECT w.i, count(*) FROM {ws} JOIN lead ON sql_at >= w.a AND sql_at < w.b "
            "GROUP BY w.i",
            params,
        ))  # fmt: skip
        customers = dict(self.run(
            conn,
            cte + f"SELECT w.i, count(*) FROM {ws} JOIN lead ON customer_at >= w.a "
            "AND customer_at < w.b GROUP BY w.i",
            params,
        ))  # fmt: skip
        if self.duck:
            medians = dict(self.run(
                conn,
                cte + f"SELECT w.i, median({span}) FROM {ws} JOIN lead ON mql_at >= w.a "
                "AND mql_at < w.b WHERE first_contact_at >= mql_at GROUP BY w.i",
                params,
            ))  # fmt: skip
        else:
            medians = dict(self.run(
                conn,
                cte + f"""SELECT i, avg(s) FROM (
                      SELECT w.i AS i, {span} AS s,
                             row_number() OVER (PARTITION BY w.i ORDER BY {span}) AS r,
                             count(*) OVER (PARTITION BY w.i) AS n
                      FROM {ws} JOIN lead ON mql_at >= w.a AND mql_at < w.b
                      WHERE first_contact_at >= mql_at)
                    WHERE r IN ((n + 1) / 2, (n + 2) / 2) GROUP BY i""",
                params,
            ))  # fmt: skip
        by = {r[0]: r[1:] for r in rows}
        out = []
        for i in range(len(wins)):
            c = by.get(i, (0,) * 6)
            out.append(sla_tuple(*[v or 0 for v in c], sqls.get(i, 0), customers.get(i, 0),
                                 medians.get(i)))  # fmt: skip
        return out

    def cohort_range(self, cohort: quality.Cohort):
        start, end = cohort.window()
        return self.p(naive(start)), self.p(naive(end))

    COUNTS = ("count(*), count(mql_at), count(accepted_at), count(rejected_at), count(sql_at), "
              "count(opportunity_at), count(customer_at)")  # fmt: skip

    def breakdown(self, cohort: quality.Cohort):
        conn = self.connect()
        rows = self.run(
            conn,
            f"SELECT source, first_conversion, {self.COUNTS} FROM lead "
            "WHERE created_at >= ? AND created_at < ? GROUP BY source, first_conversion",
            self.cohort_range(cohort),
        )
        return merged(rows, 2)

    def funnel(self, cohort: quality.Cohort):
        conn = self.connect()
        row = self.run(
            conn,
            "SELECT count(*), count(mql_at), count(accepted_at), count(sql_at), "
            "count(opportunity_at), count(customer_at) FROM lead "
            "WHERE created_at >= ? AND created_at < ?",
            self.cohort_range(cohort),
        )[0]
        return tuple(int(v) for v in row)

    def reasons(self, cohort: quality.Cohort):
        conn = self.connect()
        rows = self.run(
            conn,
            "SELECT source, rejection_reason, count(*) FROM lead WHERE created_at >= ? "
            "AND created_at < ? AND rejected_at IS NOT NULL GROUP BY source, rejection_reason",
            self.cohort_range(cohort),
        )
        return reasons_merged(rows)

    def heatmap(self, bounds: list[datetime]):
        conn = self.connect()
        b = [self.p(naive(x)) for x in bounds]
        month = " ".join(f"WHEN {{c}} < ? THEN {i}" for i in range(len(b) - 1))
        leads = self.run(
            conn,
            f"SELECT CASE {month.format(c='created_at')} END AS m, count(*) FROM lead "
            "WHERE created_at >= ? AND created_at < ? GROUP BY m",
            (*b[1:], b[0], b[-1]),
        )
        per_month = dict(leads)
        won = self.run(
            conn,
            f"SELECT CASE {month.format(c='created_at')} END AS m, "
            f"CASE {month.format(c='customer_at')} END AS k, count(*) FROM lead "
            "WHERE customer_at >= ? AND customer_at < ? AND created_at >= ? "
            "AND created_at < ? GROUP BY m, k",
            (*b[1:], *b[1:], b[0], b[-1], b[0], b[-1]),
        )
        offsets: dict[tuple[int, int], int] = {}
        for m, k, n in won:
            key = (m, max(k - m, 0))
            offsets[key] = offsets.get(key, 0) + int(n)
        return heat_from([int(per_month.get(i, 0)) for i in range(len(b) - 1)], offsets)

    def pacing(self, edges: list[datetime]):
        conn = self.connect()
        e = [self.p(naive(x)) for x in edges]
        day = " ".join(f"WHEN mql_at < ? THEN {i}" for i in range(len(e) - 1))
        rows = dict(self.run(
            conn,
            f"SELECT CASE {day} END AS d, count(*) FROM lead WHERE mql_at >= ? AND mql_at < ? "
            "GROUP BY d",
            (*e[1:], e[0], e[-1]),
        ))  # fmt: skip
        return tuple(int(rows.get(i, 0)) for i in range(len(e) - 1))

    def distribution(self, w: Win, edges: list[float]):
        conn = self.connect()
        span, (a, b) = self.span(), (self.p(w.start), self.p(w.end))
        bucket = " ".join(f"WHEN {span} < {e!r} THEN {i}" for i, e in enumerate(edges[1:]))
        rows = dict(self.run(
            conn,
            f"SELECT CASE {bucket} ELSE {len(edges) - 1} END AS k, count(*) FROM lead "
            "WHERE mql_at >= ? AND mql_at < ? AND first_contact_at >= mql_at GROUP BY k",
            (a, b),
        ))  # fmt: skip
        bins = tuple(int(rows.get(i, 0)) for i in range(len(edges)))
        n = sum(bins)
        if self.duck:
            median = self.run(
                conn,
                f"SELECT median({span}) FROM lead "
                "WHERE mql_at >= ? AND mql_at < ? AND first_contact_at >= mql_at",
                (a, b),
            )[0][0]
        else:
            median = self.median(conn, a, b, n)
        p90 = None
        if n:
            p90 = self.run(
                conn,
                f"SELECT {span} AS s FROM lead WHERE mql_at >= ? AND mql_at < ? "
                "AND first_contact_at >= mql_at ORDER BY s LIMIT 1 OFFSET ?",
                (a, b, max(math.ceil(0.9 * n) - 1, 0)),
            )[0][0]
        r = lambda v: None if v is None else round(float(v), 2)  # noqa: E731
        return bins, r(median), r(p90)

    def overdue(self, w: Win, cutoff: datetime):
        """The count, and the first 50 (by MQL time, then id) as the page lists them."""
        conn = self.connect()
        a, b, d, c = self.p(w.start), self.p(w.end), self.p(w.deadline), self.p(cutoff)
        where = ("WHERE mql_at >= ? AND mql_at < ? AND mql_at <= ? "
                 "AND (first_contact_at IS NULL OR first_contact_at > ? "
                 "OR first_contact_at < mql_at)")  # fmt: skip
        total = int(self.run(conn, f"SELECT count(*) FROM lead {where}", (a, b, d, c))[0][0])
        rows = self.run(
            conn,
            f"SELECT id, first_name, last_name, company, mql_at FROM lead {where} "
            "ORDER BY mql_at, id LIMIT ?",
            (a, b, d, c, OVERDUE_LISTED),
        )
        listed = []
        for id_, first, last, company, mql_at in rows:
            name = f"{first} {last}".strip() or f"#{id_}"
            moment = mql_at if self.duck else datetime.fromisoformat(mql_at)
            listed.append((name, company, moment))
        return total, tuple(listed)


def duck_connection(path: Path):
    """An in-memory DuckDB holding the lead table (loaded through Arrow; not timed)."""
    import duckdb
    import pyarrow as pa

    src = sqlite3.connect(path)
    cur = src.execute(f"SELECT {', '.join(LOADED)} FROM lead")
    columns = list(zip(*cur.fetchall(), strict=True)) or [[] for _ in LOADED]
    src.close()
    table = pa.table({name: pa.array(col, type=pa.string() if name != "id" else pa.int64())
                      for name, col in zip(LOADED, columns, strict=True)})  # fmt: skip
    con = duckdb.connect()
    con.register("raw_lead", table)
    select = ", ".join(f"CAST({c} AS TIMESTAMP) AS {c}" if c in TS else c for c in LOADED)
    con.execute(f"CREATE TABLE lead AS SELECT {select} FROM raw_lead")
    con.unregister("raw_lead")
    return con


# --- measuring ----------------------------------------------------------------------------


def _done(result):
    return result.convert(result.value) if isinstance(result, Later) else result


def timed(fn: Callable, repeat: int):
    result = _done(fn())  # warm-up (OS cache, statement caches)
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        again = fn()
        times.append(time.perf_counter() - started)
        if _done(again) != result:
            raise SystemExit(f"{fn}: a repeated run gave another result")
    return statistics.median(times), result


def same(a, b) -> bool:
    """Equal, with hours compared to 2 decimals (rounding of a float median may differ by
    one in the last place between engines: 0.005 apart at most)."""
    if isinstance(a, float) or isinstance(b, float):
        return a is not None and b is not None and abs(a - b) <= 0.0100001
    if isinstance(a, tuple | list) and isinstance(b, tuple | list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return a == b


def measure(path: Path, args) -> list[dict]:
    engine = make_engine(f"sqlite:///{path}")
    if not args.no_migrate:
        upgrade_to_head(engine)
    raw = sqlite3.connect(path)
    newest = datetime.fromisoformat(raw.execute("SELECT max(created_at) FROM lead").fetchone()[0])
    leads = raw.execute("SELECT count(*) FROM lead").fetchone()[0]
    raw.close()
    newest = newest.replace(tzinfo=UTC)
    now = newest + timedelta(minutes=1)
    r_day = local_date(newest) - timedelta(days=1)
    periods = periods_for(r_day)
    app = App(engine, now)
    lite = Sql(lambda: sqlite3.connect(path), duck=False)
    duck = None
    if not args.no_duckdb:
        try:
            con = duck_connection(path)
        except ModuleNotFoundError:
            print("DuckDB is not installed: pip install -r benchmarks/requirements.txt "
                  "(or pass --no-duckdb)", file=sys.stderr)  # fmt: skip
            raise SystemExit(2) from None
        duck = Sql(lambda: con.cursor(), duck=True)
    with Session(engine) as s:
        wins = {k: Win.of(s, p, now) for k, p in periods.items()}
        trailing = {k: sla.trailing_periods(k, r_day, 13) for k in ("day", "week", "month",
                                                                    "quarter")}  # fmt: skip
        trailing_wins = {k: [Win.of(s, p, now) for p in ps] for k, ps in trailing.items()}
    cohorts = {k: quality.Cohort(p.start, p.end) for k, p in periods.items()}
    year = periods["year"]
    months = quality._month_starts(year.start, 13)
    tz = config.business_tz()
    heat_bounds = [local_midnight_utc(m, tz) for m in months]

    cases: list[tuple[str, str, Callable, Callable, Callable | None]] = []
    for k, p in periods.items():
        cases.append(("sla_report", k, lambda p=p: app.sla(p), lambda k=k: lite.sla(wins[k]),
                      duck and (lambda k=k: duck.sla(wins[k]))))  # fmt: skip
    for k, ps in trailing.items():
        cases.append(("scorecard (13)", k, lambda ps=ps: app.scorecard(ps),
                      lambda k=k: lite.scorecard(trailing_wins[k]),
                      duck and (lambda k=k: duck.scorecard(trailing_wins[k]))))  # fmt: skip
    for k, c in cohorts.items():
        cases.append(("breakdown", k, lambda c=c: app.breakdown(c), lambda c=c: lite.breakdown(c),
                      duck and (lambda c=c: duck.breakdown(c))))  # fmt: skip
        cases.append(("funnel", k, lambda c=c: app.funnel(c), lambda c=c: lite.funnel(c),
                      duck and (lambda c=c: duck.funnel(c))))  # fmt: skip
        cases.append(("rejection reasons", k, lambda c=c: app.reasons(c),
                      lambda c=c: lite.reasons(c),
                      duck and (lambda c=c: duck.reasons(c))))  # fmt: skip
    cases.append(("cohort heatmap", "year", lambda: app.heatmap(year.start, year.end),
                  lambda: lite.heatmap(heat_bounds),
                  duck and (lambda: duck.heatmap(heat_bounds))))  # fmt: skip
    for k in ("week", "month", "quarter", "year"):
        p = periods[k]
        edges = [local_midnight_utc(p.start + timedelta(days=i), tz) for i in range(p.days + 1)]
        cases.append(("pacing (daily MQLs)", k, lambda p=p: app.pacing(p),
                      lambda e=edges: lite.pacing(e),
                      duck and (lambda e=edges: duck.pacing(e))))  # fmt: skip
        step = 0.5 if wins[k].hours <= 4 else 1.0
        bins = [step * i for i in range(int(3 * wins[k].hours / step) + 1)]
        report = app.report(p)
        cases.append(("contact distribution", k, lambda r=report: app.distribution(r),
                      lambda k=k, b=bins: lite.distribution(wins[k], b),
                      duck and (lambda k=k, b=bins: duck.distribution(wins[k], b))))  # fmt: skip
        end = naive(p.window()[1])
        cutoff = min(end, naive(now))
        cases.append(("overdue MQLs", k, lambda r=report: app.overdue(r),
                      lambda k=k, c=cutoff: lite.overdue(wins[k], c),
                      duck and (lambda k=k, c=cutoff: duck.overdue(wins[k], c))))  # fmt: skip
    if args.only:
        cases = [c for c in cases if any(o in c[0] for o in args.only)]

    out = []
    for figure, period, fa, fr, fd in cases:
        ta, ra = timed(fa, args.repeat)
        tr, rr = timed(fr, args.repeat)
        td, rd = timed(fd, args.repeat) if fd else (None, None)
        for name, other in (("raw SQLite", rr), ("DuckDB", rd)):
            if other is not None and not same(ra, other):
                raise SystemExit(f"{figure} {period}: the app and {name} differ:\n{ra}\n{other}")
        best = min(t for t in (tr, td) if t is not None)
        out.append({"leads": leads, "figure": figure, "period": period, "app": ta, "raw": tr,
                    "duck": td, "ratio": ta / best})  # fmt: skip
        print(
            f"  {figure:22} {period:8} app {ta:.4f}  raw {tr:.4f}  "
            f"duck {td if td is None else round(td, 4)}  ×{ta / best:.2f}",
            flush=True,
        )
    engine.dispose()
    return out


def table(rows: list[dict]) -> str:
    lines = [
        "| leads | figure | period | app s | raw SQLite s | DuckDB s | app / best | |",
        "|---:|---|---|---:|---:|---:|---:|---|",
    ]
    for r in rows:
        duck = "—" if r["duck"] is None else f"{r['duck']:.4f}"
        mark = "✖" if r["ratio"] > RATIO_LIMIT else ""
        lines.append(
            f"| {r['leads']:,} | {r['figure']} | {r['period']} | {r['app']:.4f} | "
            f"{r['raw']:.4f} | {duck} | {r['ratio']:.2f} | {mark} |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("dbs", nargs="+", type=Path, help="SQLite files (copies: migrated)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--only", nargs="*", help="figures whose name contains one of these")
    parser.add_argument("--no-duckdb", action="store_true", help="compare with SQLite only")
    parser.add_argument("--no-migrate", action="store_true", help="measure the file as it is")
    args = parser.parse_args()
    rows = []
    for path in args.dbs:
        print(f"{path}:", flush=True)
        rows += measure(path, args)
    print()
    print(table(rows))
    over = [r for r in rows if r["ratio"] > RATIO_LIMIT]
    print(f"\n{len(rows) - len(over)} of {len(rows)} within {RATIO_LIMIT}× of the faster of raw "
          f"SQLite and DuckDB; over: {len(over)}")  # fmt: skip


if __name__ == "__main__":
    main()
