"""The SLA page's detail: daily pacing, the first-contact distribution, overdue MQLs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import accumulate

import pandas as pd
from sqlalchemy import and_, case, func, or_, select
from sqlmodel import Session

from smarketing.sla.metrics import (
    METRIC_BY_KEY,
    SlaReport,
    Window,
    contacted_after_mql,
    count_if,
    first_contact_quantile,
    prorated,
)
from smarketing.sla.periods import Period, local_midnight_utc
from smarketing.store import rollup
from smarketing.store.models import Lead
from smarketing.store.sql_time import hours_between

#: count metric -> the lead column it counts
COUNT_COLUMNS = {"mqls_delivered": "mql_at", "sqls": "sql_at", "customers": "customer_at"}


#: lead column -> its count in the daily rollup
ROLLED_UP = {"mql_at": "mqls", "sql_at": "sqls", "customer_at": "customers", "created_at": "leads"}


def daily_counts(session: Session, period: Period, column: str) -> list[int]:
    """Leads with ``column`` on each local day of the period up to the as-of day (from the
    daily rollup for the columns it counts)."""
    days = period.elapsed_days
    if days == 0:
        return []
    if column in ROLLED_UP:
        last = period.start + timedelta(days=days - 1)
        per_day = rollup.Reader(session).day_counts(period.start, last)
        i = rollup.DAY_COUNTS.index(ROLLED_UP[column])
        zero = (0,) * len(rollup.DAY_COUNTS)
        return [int(per_day.get(period.start + timedelta(days=k), zero)[i]) for k in range(days)]
    c = getattr(Lead.__table__.c, column)
    tz_days = [period.start + timedelta(days=i) for i in range(days + 1)]
    edges = [local_midnight_utc(d) for d in tz_days]
    columns = [count_if(and_(c >= edges[i], c < edges[i + 1])) for i in range(days)]
    row = session.execute(select(*columns).where(c >= edges[0], c < edges[-1])).one()
    return [int(v) for v in row]


def pacing_frame(session: Session, report: SlaReport, metric_key: str) -> pd.DataFrame:
    """Per day of the period: cumulative actual (to the as-of day), cumulative expected,
    the period's target, and the linear forecast (from the as-of day to the end).

    Long format: columns day, series, value — series ∈ actual, expected, target, forecast.
    """
    period, agreement = report.period, report.agreement
    counts = daily_counts(session, period, COUNT_COLUMNS[metric_key])
    monthly = (
        None if agreement is None else getattr(agreement, METRIC_BY_KEY[metric_key].target_key)
    )
    metric = report.metric(metric_key)
    cumulative = list(accumulate(counts))
    rows = []
    for i in range(period.days):
        day = period.start + timedelta(days=i)
        if i < len(cumulative):
            rows.append((day, "actual", cumulative[i]))
        if monthly is not None:
            rows.append((day, "expected", prorated(monthly, period.start, i + 1)))
            rows.append((day, "target", metric.target))
    if cumulative and len(cumulative) < period.days:  # the run rate, dashed to the end
        k, reached = len(cumulative), cumulative[-1]
        for i in range(k - 1, period.days):
            day = period.start + timedelta(days=i)
            rows.append((day, "forecast", reached + reached / k * (i - k + 1)))
    return pd.DataFrame(rows, columns=["day", "series", "value"])


@dataclass
class ContactDistribution:
    bins: pd.DataFrame  # columns: label, lower, upper, count, late
    median: float | None
    p90: float | None
    contacted: int
    response_hours: float


def contact_distribution(
    session: Session, report: SlaReport, *, bin_hours: float | None = None
) -> ContactDistribution:
    """Histogram of first-contact delays for MQLs in the window (binned in SQL), with the
    median and the 90th percentile (nearest rank)."""
    start, end = report.period.window()
    hours = report.agreement.response_hours if report.agreement else 24.0
    step = bin_hours or (0.5 if hours <= 4 else 1.0)
    edges = [step * i for i in range(int(3 * hours / step) + 1)]
    found = _rolled_bins(session, report.period, edges)
    if found is None:
        t = Lead.__table__.c
        span = hours_between(t.mql_at, t.first_contact_at)
        bucket = case(*[(span < e, i) for i, e in enumerate(edges[1:])], else_=len(edges) - 1)
        rows = session.execute(
            select(bucket, func.count())
            .where(t.mql_at >= start, t.mql_at < end, contacted_after_mql(t))
            .group_by(bucket)
        ).all()
        found = {int(b): int(n) for b, n in rows}
    bins = []
    for i, lower in enumerate(edges):
        last = i == len(edges) - 1
        upper = None if last else edges[i + 1]
        label = f"{lower:g}+ h" if last else f"{lower:g}–{upper:g} h"
        bins.append((label, lower, upper, found.get(i, 0), lower >= hours))
    window = [Window(start, end, end, hours)]
    return ContactDistribution(
        bins=pd.DataFrame(bins, columns=["label", "lower", "upper", "count", "late"]),
        median=first_contact_quantile(session, window, 0.5)[0],
        p90=first_contact_quantile(session, window, 0.9)[0],
        contacted=sum(found.values()),
        response_hours=hours,
    )


def _coarse_edge(hours: float) -> int | None:
    """The coarse delay bucket starting exactly at ``hours`` (a multiple of half an hour
    below a week, where ``span_bucket`` cuts with exact arithmetic), else None."""
    if 0 <= hours < 168 and (2 * hours) == int(2 * hours):
        for start, rate, first in reversed(rollup.SPAN_PIECES[:3]):
            if hours >= start:
                return rollup.coarse_of(first + int((hours - start) * rate))
    return None


def _rolled_bins(session: Session, period: Period, edges: list[float]) -> dict[int, int] | None:
    """{bin: contacted MQLs} of the period's window from the coarse delay rollup, when every
    bin edge is the edge of a coarse bucket (``span < edge`` then means "a bucket below its
    bucket"); None otherwise (the caller counts on ``lead``)."""
    firsts = [_coarse_edge(e) for e in edges[1:]]
    if any(f is None for f in firsts):
        return None
    last = period.window_end_day
    found: dict[int, int] = {}
    if last < period.start:
        return found
    for c, (n, _) in rollup.Reader(session).coarse_counts(period.start, last).items():
        b = next((i for i, first in enumerate(firsts) if c < first), len(firsts))
        found[b] = found.get(b, 0) + n
    return found


def overdue_mqls(
    session: Session, report: SlaReport, *, now: datetime, limit: int = 50
) -> tuple[pd.DataFrame, int]:
    """MQLs of the window past their deadline and still without a first contact at the
    cutoff (min(window end, now)), most overdue first; and how many there are in all."""
    start, end = report.period.window()
    cutoff = min(end, now)
    hours = report.agreement.response_hours if report.agreement else 24.0
    t = Lead.__table__.c
    condition = and_(
        t.mql_at >= start,
        t.mql_at < end,
        t.mql_at <= cutoff - timedelta(hours=hours),
        or_(
            t.first_contact_at.is_(None),
            t.first_contact_at > cutoff,
            t.first_contact_at < t.mql_at,
        ),
    )
    total = session.execute(select(func.count()).where(condition)).scalar_one()
    rows = session.execute(
        select(t.id, t.first_name, t.last_name, t.company, t.owner, t.source, t.mql_at)
        .where(condition)
        .order_by(t.mql_at, t.id)  # the id settles ties the same way on every database
        .limit(limit)
    ).all()
    frame = pd.DataFrame(
        [
            {
                "lead": f"{r.first_name} {r.last_name}".strip() or f"#{r.id}",
                "company": r.company,
                "owner": r.owner or "(none)",
                "source": r.source or "(none)",
                "mql_at": r.mql_at,
                "hours_overdue": round((cutoff - r.mql_at).total_seconds() / 3600 - hours, 1),
            }
            for r in rows
        ],
        columns=["lead", "company", "owner", "source", "mql_at", "hours_overdue"],
    )
    return frame, int(total)
