"""The SLA page's detail: daily pacing, the first-contact distribution, overdue MQLs."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from itertools import accumulate

import pandas as pd
from sqlalchemy import and_, bindparam, case, func, or_, select
from sqlmodel import Session

from smarketing import config, formatting
from smarketing.i18n import N_, _
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

#: Shown for an overdue MQL without an owner or a source (``_(NONE)`` where shown).
NONE = N_("(none)")
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
        label = delay_label(lower, upper)
        bins.append((label, lower, upper, found.get(i, 0), lower >= hours))
    window = [Window(start, end, end, hours)]
    return ContactDistribution(
        bins=pd.DataFrame(bins, columns=["label", "lower", "upper", "count", "late"]),
        median=first_contact_quantile(session, window, 0.5)[0],
        p90=first_contact_quantile(session, window, 0.9)[0],
        contacted=sum(found.values()),
        response_hours=hours,
    )


def _hours(value: float) -> str:
    return formatting.count(value) if float(value).is_integer() else formatting.decimal(value, 1)


def delay_label(lower: float, upper: float | None) -> str:
    """A delay bin as a person reads it, in the language speaking: '0–1 h', '2.5+ h'
    (nb '0–1 t', '2,5+ t')."""
    if upper is None:
        # Translators: the last bin of first-contact delays, 'at least 24 hours'
        return _("{lower}+ h").format(lower=_hours(lower))
    return _("{lower}–{upper} h").format(lower=_hours(lower), upper=_hours(upper))


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
    for c, (n, _late) in rollup.Reader(session).coarse_counts(period.start, last).items():
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
    params = {"start": start, "end": end, "deadline": cutoff - timedelta(hours=hours),
              "cutoff": cutoff}  # fmt: skip
    total = _overdue_total(session, start, end, cutoff, hours)
    if total is None:  # not a window of whole local days: counted on lead
        total = session.execute(_overdue_statement(None), params).scalar_one()
    rows = session.execute(_overdue_statement(limit), params).all()
    frame = pd.DataFrame(
        [
            {
                "lead": f"{r.first_name} {r.last_name}".strip() or f"#{r.id}",
                "company": r.company,
                "owner": r.owner or NONE,
                "source": r.source or NONE,
                "mql_at": r.mql_at,
                "hours_overdue": round((cutoff - r.mql_at).total_seconds() / 3600 - hours, 1),
            }
            for r in rows
        ],
        columns=["lead", "company", "owner", "source", "mql_at", "hours_overdue"],
    )
    return frame, int(total)


def overdue_leads(
    session: Session, *, mql_from: datetime, now: datetime, hours: float, limit: int = 500
) -> list:
    """The MQLs of [``mql_from``, ``now``) past their deadline (``mql_at`` + ``hours``) at
    ``now`` and still without a first contact: rows (id, first_name, last_name, company,
    owner, source, mql_at), most overdue first — the overdue list's rule, for the
    notifications that push it."""
    params = {"start": mql_from, "end": now, "deadline": now - timedelta(hours=hours),
              "cutoff": now}  # fmt: skip
    return list(session.execute(_overdue_statement(limit), params).all())


@functools.cache
def _overdue_statement(limit: int | None):
    """The overdue MQLs of [``:start``, ``:end``) due by ``:deadline`` and not contacted by
    ``:cutoff``: their count (``limit`` None), or the first ``limit`` of them (built once)."""
    t = Lead.__table__.c
    cutoff = bindparam("cutoff", type_=t.mql_at.type)
    condition = and_(
        t.mql_at >= bindparam("start", type_=t.mql_at.type),
        t.mql_at < bindparam("end", type_=t.mql_at.type),
        t.mql_at <= bindparam("deadline", type_=t.mql_at.type),
        or_(
            t.first_contact_at.is_(None),
            t.first_contact_at > cutoff,
            t.first_contact_at < t.mql_at,
        ),
    )
    if limit is None:
        return select(func.count()).where(condition)
    return (
        select(t.id, t.first_name, t.last_name, t.company, t.owner, t.source, t.mql_at)
        .where(condition)
        .order_by(t.mql_at, t.id)  # the id settles ties the same way on every database
        .limit(limit)
    )


@functools.cache
def _overdue_tails():
    """The overdue MQLs no day total gives: those of [``:start``, ``:split_at``) contacted
    after ``:cutoff`` but on its UTC date (before ``:next_day``), read from
    ``ix_lead_first_contact_at``; and those of the day the deadline cuts (``:split_at``
    through ``:deadline``) not contacted by the cutoff."""
    t = Lead.__table__.c
    cutoff, split_at = bindparam("cutoff", type_=t.mql_at.type), bindparam("split_at")
    late = select(func.count()).where(
        t.first_contact_at > cutoff,
        t.first_contact_at < bindparam("next_day"),
        t.first_contact_at >= t.mql_at,
        t.mql_at >= bindparam("start"),
        t.mql_at < split_at,
    )
    cut = select(func.count()).where(
        t.mql_at >= split_at,
        t.mql_at <= bindparam("deadline"),
        or_(
            t.first_contact_at.is_(None), t.first_contact_at > cutoff, t.first_contact_at < t.mql_at
        ),
    )
    return select(late.scalar_subquery(), cut.scalar_subquery())


def _overdue_total(
    session: Session, start: datetime, end: datetime, cutoff: datetime, hours: float
) -> int | None:
    """How many MQLs of [start, end) are past their deadline (``cutoff`` - ``hours``) and
    without a first contact at or before ``cutoff``, from the daily rollups: per whole day
    before the day the deadline cuts, the MQLs never contacted (or before ``mql_at``) and
    those contacted after the cutoff (UTC dates after its date, and the few on its date
    after it from the index); the day it cuts from ``lead``. None when the window is not
    made of whole local days."""
    tz = config.business_tz()
    days = rollup.window_days(start, end, tz)
    if days is None:
        return None
    first, last = days
    deadline = cutoff - timedelta(hours=hours)
    if deadline < start:
        return 0
    split = last + timedelta(days=1) if deadline >= end else rollup.local_day(deadline, tz)
    # the days before split are wholly due (split = first: none, and split_at = start)
    split_at = rollup.midnight(split, tz) if split <= last else end
    on = cutoff.astimezone(UTC).date()
    total = 0
    if split > first:
        reader = rollup.Reader(session, tz)
        before = split - timedelta(days=1)
        mqls, contacted = rollup.DAY_COUNTS.index("mqls"), rollup.DAY_COUNTS.index("contacted")
        for counts in reader.day_counts(first, before).values():
            total += counts[mqls] - counts[contacted]
        total += reader.late_contacts(first, before, on)
    late, cut = session.execute(
        _overdue_tails(),
        {
            "cutoff": cutoff,
            "next_day": datetime.combine(on + timedelta(days=1), time(0), UTC),
            "start": start,
            "split_at": split_at,
            # no day cut (the deadline is at or after the end): an empty range
            "deadline": deadline if split <= last else start - timedelta(seconds=1),
        },
    ).one()
    return total + int(late) + int(cut)
