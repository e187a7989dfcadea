"""The SLA metrics of docs/metrics.md, computed with SQL aggregates.

One implementation serves the SLA page, the Overview, the scorecard and the CLI report:
``window_figures`` counts any number of windows in a handful of queries (CASE sums over
an indexed range, and a window-function median), ``sla_report`` turns one window into
the seven metrics with targets, pace, forecast and status.
"""

from __future__ import annotations

import calendar
import functools
import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import and_, bindparam, case, func, or_, select
from sqlmodel import Session

from smarketing import config
from smarketing.i18n import N_, _
from smarketing.sla.agreements import agreements_for
from smarketing.sla.coverage import INPUT_GAPS, Coverage, coverage
from smarketing.sla.periods import Period, PeriodKind, period_containing
from smarketing.store import rollup
from smarketing.store.models import Lead, SlaAgreement
from smarketing.store.sql_time import EPSILON_HOURS, hours_between

if TYPE_CHECKING:
    import pandas as pd  # imported where a frame is made: the report itself needs none


class Status(StrEnum):
    green = "green"
    amber = "amber"
    red = "red"
    early = "early"
    no_data = "no_data"


#: Word and symbol for every status, so colour is never the only signal (the word an
#: English message id: ``status_label`` and ``status_word`` translate it).
STATUS_TEXT = {
    Status.green: ("✔", N_("on track")),
    Status.amber: ("▲", N_("at risk")),
    Status.red: ("✖", N_("off track")),
    Status.early: ("…", N_("too early")),
    Status.no_data: ("–", N_("no data")),
}
#: The sides of the agreement as a person reads them (``side_label``).
SIDE_LABELS = {"marketing": N_("Marketing"), "sales": N_("Sales"), "both": N_("Both")}
#: After a period still running: 'November 2026 (so far)'.
SO_FAR = N_("(so far)")
AMBER_SHARE = 0.85  # higher is better: amber from 85 % of the goal
AMBER_FACTOR_LOWER = 1.25  # lower is better: amber up to 125 % of the target
EARLY_FRACTION = 0.2


@dataclass(frozen=True)
class MetricDef:
    """A metric of the agreement. ``label`` and ``definition`` are English message ids:
    shown as ``_(label)``, ``_(definition)`` (the report keeps them as ids, so a cached or
    frozen report reads in any language)."""

    key: str
    side: str
    label: str
    kind: str  # count | rate | hours
    better: str  # higher | lower
    target_key: str
    definition: str


METRICS: tuple[MetricDef, ...] = (
    MetricDef(
        "mqls_delivered",
        "marketing",
        N_("MQLs delivered"),
        "count",
        "higher",
        "mql_target",
        N_("Leads with `mql_at` in the window. Target: the monthly `mql_target` pro-rated by day."),
    ),
    MetricDef(
        "mql_acceptance_rate",
        "marketing",
        N_("MQL acceptance"),
        "rate",
        "higher",
        "acceptance_rate_target",
        N_(
            "Of the leads with `mql_at` in the window that have a verdict, the share sales "
            "accepted."
        ),
    ),
    MetricDef(
        "contacted_within_sla_rate",
        "sales",
        N_("Contacted in time"),
        "rate",
        "higher",
        "contacted_within_sla_target",
        N_(
            "Of the MQLs in the window whose deadline (`mql_at` + `response_hours`) has "
            "passed, the share with a first contact by the deadline."
        ),
    ),
    MetricDef(
        "median_first_contact_hours",
        "sales",
        N_("Median first contact"),
        "hours",
        "lower",
        "response_hours",
        N_(
            "Median hours from `mql_at` to `first_contact_at`, over MQLs in the window "
            "with a first contact. Target: `response_hours`."
        ),
    ),
    MetricDef(
        "sqls",
        "sales",
        N_("SQLs"),
        "count",
        "higher",
        "sql_target",
        N_("Leads with `sql_at` in the window. Target: the monthly `sql_target` pro-rated by day."),
    ),
    MetricDef(
        "close_rate",
        "sales",
        N_("Close rate"),
        "rate",
        "higher",
        "close_rate_target",
        N_("Customers in the window divided by SQLs in the window."),
    ),
    MetricDef(
        "customers",
        "both",
        N_("Customers"),
        "count",
        "higher",
        "customer_target",
        N_(
            "Leads with `customer_at` in the window. Target: the monthly "
            "`customer_target` pro-rated by day."
        ),
    ),
)
METRIC_BY_KEY = {m.key: m for m in METRICS}
#: The agreement's targets in the order of docs/metrics.md ("SLA agreement").
TARGET_KEYS = (
    "mql_target",
    "acceptance_rate_target",
    "response_hours",
    "contacted_within_sla_target",
    "sql_target",
    "close_rate_target",
    "customer_target",
)


def contacted_after_mql(t):
    """A first contact that counts: recorded, and at or after ``mql_at`` (an earlier touch
    is not a response to the MQL)."""
    return and_(t.first_contact_at.is_not(None), t.first_contact_at >= t.mql_at)


@dataclass(frozen=True)
class Window:
    """A half-open UTC interval [start, end); ``cutoff`` = min(end, now) for deadlines."""

    start: datetime
    end: datetime
    cutoff: datetime
    response_hours: float


@dataclass
class WindowFigures:
    """The raw counts of one window."""

    mqls: int = 0
    decided: int = 0
    accepted: int = 0
    due: int = 0
    on_time: int = 0
    contacted: int = 0
    sqls: int = 0
    customers: int = 0
    median_hours: float | None = None
    #: which inputs the whole store holds (first contacts, verdicts)
    coverage: Coverage = field(default_factory=Coverage)


#: Why a metric has no value although its inputs exist (status no_data).
EMPTY_REASONS = {
    "mql_acceptance_rate": N_("no MQL of this period has a verdict yet"),
    "contacted_within_sla_rate": N_("no MQL of this period has reached its contact deadline yet"),
    "median_first_contact_hours": N_("no MQL of this period has had a first contact yet"),
    "close_rate": N_("no SQL in this period"),
}
#: Why a metric has a value but no status: nothing to compare it with.
NO_AGREEMENT = N_("no SLA agreement in effect: no target to compare with")


@dataclass
class MetricResult:
    """One metric of a report. ``label``, ``definition`` and ``reason`` are English message
    ids (the JSON report's ``reason`` stays English): shown as ``_(m.label)`` and so on."""

    key: str
    side: str
    label: str
    kind: str
    better: str
    definition: str
    actual: float | int | None
    target: float | None
    status: Status
    expected_to_date: float | None = None
    pace: float | None = None
    forecast: float | None = None
    needed_per_day: float | None = None
    numerator: int | None = None
    denominator: int | None = None
    #: why the status is no_data (missing inputs, an empty denominator, no agreement)
    reason: str | None = None

    @property
    def input_missing(self) -> bool:
        """True when the store lacks this metric's inputs altogether (shown as '—')."""
        return self.reason in INPUT_GAPS

    def to_json(self) -> dict:
        """The metric as in docs/metrics.md's JSON report."""
        out = {"key": self.key, "side": self.side, "actual": self.actual, "target": self.target}
        if self.kind == "count":
            out |= {
                "expected_to_date": self.expected_to_date,
                "pace": self.pace,
                "forecast": self.forecast,
                "needed_per_day": self.needed_per_day,
            }
        elif self.kind == "rate":
            out |= {"numerator": self.numerator, "denominator": self.denominator}
        else:
            out |= {"denominator": self.denominator}
        out["status"] = self.status.value
        out["reason"] = self.reason
        return out


@dataclass
class SlaReport:
    period: Period
    agreement: SlaAgreement | None
    metrics: list[MetricResult] = field(default_factory=list)

    def metric(self, key: str) -> MetricResult:
        """One metric by key."""
        return next(m for m in self.metrics if m.key == key)

    def to_json(self) -> dict:
        """The report object of docs/metrics.md ("The SLA report")."""
        p = self.period
        agreement = None
        if self.agreement is not None:
            a = self.agreement
            agreement = {"version": a.version, "effective_from": a.effective_from.isoformat()}
            agreement |= {k: getattr(a, k) for k in TARGET_KEYS}
        return {
            "period": {
                "kind": p.kind.value,
                "start": p.start.isoformat(),
                "end": p.end.isoformat(),
                "as_of": p.as_of.isoformat(),
                "days": p.days,
                "elapsed_days": p.elapsed_days,
                "elapsed_fraction": round(p.elapsed_fraction, 4),
                "timezone": config.timezone_name(),
            },
            "agreement": agreement,
            "metrics": [m.to_json() for m in self.metrics],
        }


# --- targets ------------------------------------------------------------------------------


def _days(first: date, count: int):
    return (first + timedelta(days=i) for i in range(count))


def prorated(monthly: float, first: date, count: int) -> float:
    """Sum over ``count`` days from ``first`` of monthly / days_in_month(day)."""
    return sum(monthly / calendar.monthrange(d.year, d.month)[1] for d in _days(first, count))


def count_target(period: Period, monthly: float) -> tuple[float, float]:
    """(target for the whole period, expected to date) of a monthly count target."""
    return prorated(monthly, period.start, period.days), prorated(
        monthly, period.start, period.elapsed_days
    )


# --- SQL ----------------------------------------------------------------------------------


def _between(column, window: Window):
    return and_(column >= window.start, column < window.end)


def count_if(condition):
    """SUM(CASE WHEN condition THEN 1 ELSE 0 END), 0 when no row matches."""
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def window_figures(session: Session, windows: list[Window]) -> list[WindowFigures]:
    """Raw counts for every window; and, once, which inputs the store holds at all
    (``coverage``).

    A window of whole local days (every period's) is summed from the daily rollups
    (``store.rollup``): the counts of its days, the first-contact delays per bucket for
    "contacted in time" and the median, and from ``lead`` only what no day total can give
    (the MQLs of the day the deadline cuts, the few delays next to the deadline and next to
    the middle rank). Any other window is counted on ``lead`` (``_one_window``)."""
    held = coverage(session)
    tz = config.business_tz()
    spans = [rollup.window_days(w.start, w.end, tz) for w in windows]
    whole = [d for d in spans if d is not None]
    reader, per_day = None, {}
    if whole:
        reader = rollup.Reader(session, tz)
        per_day = reader.day_counts(min(d[0] for d in whole), max(d[1] for d in whole))
    out = []
    for w, days in zip(windows, spans, strict=True):
        if days is None:
            figures = _one_window(session, w)
        else:
            figures = _rolled_window(session, reader, per_day, w, days, tz)
        figures.coverage = held
        out.append(figures)
    return out


_DAY = {name: i for i, name in enumerate(rollup.DAY_COUNTS)}


def _day_sums(per_day: dict, first: date, last: date, before: date | None = None) -> list[int]:
    """DAY_COUNTS summed over the days from ``first`` through ``last`` (and before ``before``)."""
    sums = [0] * len(rollup.DAY_COUNTS)
    for day, counts in per_day.items():
        if first <= day <= last and (before is None or day < before):
            for i, n in enumerate(counts):
                sums[i] += n
    return sums


def _bucket_of(hours: float) -> int:
    """The fine delay bucket of ``hours`` as Python computes it (``rollup.SPAN_PIECES``); only
    used to choose where to stop trusting the buckets, one bucket early."""
    for start, rate, first in reversed(rollup.SPAN_PIECES):
        if hours >= start:
            return first + math.floor((hours - start) * rate)
    return 0


@functools.cache
def _bucket_values():
    """The delays of fine bucket ``:fine`` among the MQLs of [``:start``, ``:end``), in order,
    ``:take`` of them from ``:skip`` on: a range of ``ix_lead_contact_span`` (the bucket's
    edges with some slack), then the bucket itself, so that it matches the rollups exactly."""
    t = Lead.__table__.c
    span = rollup.contact_span()
    return (
        select(span)
        .where(
            rollup.contacted(),
            span >= bindparam("lower"),
            span < bindparam("upper"),
            rollup.span_bucket(span) == bindparam("fine"),
            t.mql_at >= bindparam("start"),
            t.mql_at < bindparam("end"),
        )
        .order_by(span)
        .offset(bindparam("skip"))
        .limit(bindparam("take"))
    )


@functools.cache
def _deadline_counts(cut: bool):
    """Counts next to the deadline: the contacted MQLs of [``:start``, ``:split_at``) in
    buckets from ``:low`` on (delay from ``:lower``) within ``:limit`` hours; with ``cut``
    also the MQLs of [``:split_at``, ``:deadline``] and those of them contacted in time."""
    t = Lead.__table__.c
    span = rollup.contact_span()
    limit, split_at = bindparam("limit"), bindparam("split_at")
    near = select(func.count()).where(
        rollup.contacted(),
        span >= bindparam("lower"),
        span <= limit,
        rollup.span_bucket(span) >= bindparam("low"),
        t.mql_at >= bindparam("start"),
        t.mql_at < split_at,
    )
    columns = [near.scalar_subquery()]
    if cut:
        in_cut = and_(t.mql_at >= split_at, t.mql_at <= bindparam("deadline"))
        columns.append(select(func.count()).where(in_cut).scalar_subquery())
        columns.append(
            select(func.count())
            .where(in_cut, contacted_after_mql(t), span <= limit)
            .scalar_subquery()
        )
    return select(*columns)


def _rolled_window(session, reader, per_day, w: Window, days, tz) -> WindowFigures:
    first, last = days
    sums = _day_sums(per_day, first, last)
    figures = WindowFigures(
        mqls=sums[_DAY["mqls"]],
        decided=sums[_DAY["decided"]],
        accepted=sums[_DAY["accepted"]],
        contacted=sums[_DAY["contacted"]],
        sqls=sums[_DAY["sqls"]],
        customers=sums[_DAY["customers"]],
    )
    deadline = w.cutoff - timedelta(hours=w.response_hours)
    limit = w.response_hours + EPSILON_HOURS
    # split: the first day not wholly due (its MQLs up to the deadline are counted on lead)
    if deadline >= w.end:
        split = last + timedelta(days=1)
    elif deadline < w.start:
        split = None
    else:
        split = rollup.local_day(deadline, tz)
    coarse = reader.coarse_counts(first, last, split) if figures.contacted or split else {}
    # the ranks of the median, and where "contacted in time" stops trusting the buckets
    n = figures.contacted
    ranks = sorted({(n - 1) // 2, n // 2}) if n else []
    low = max(_bucket_of(limit) - 1, 0) if split is not None else None
    wanted = {c for c in (_coarse_of_rank(coarse, r) for r in ranks)}
    if low is not None:
        wanted.add(rollup.coarse_of(low))
    fine = reader.fine_counts(first, last, wanted, split) if wanted else {}
    if split is not None:
        figures.due, figures.on_time = _due(session, per_day, w, days, split, deadline, limit,
                                            coarse, fine, low, tz)  # fmt: skip
    if ranks:
        values = _values_at(session, w, coarse, fine, ranks)
        figures.median_hours = _median_of(values, n) if values is not None else None
        if values is None:  # the rollups and lead disagreed (a write in between): count again
            figures.median_hours = _quantile(session, w, 0.5, n)
    return figures


def _coarse_of_rank(coarse: dict, rank: int) -> int:
    seen = 0
    for c in sorted(coarse):
        seen += coarse[c][0]
        if rank < seen:
            return c
    return max(coarse, default=0)


def _due(session, per_day, w, days, split, deadline, limit, coarse, fine, low, tz):
    """(due, on time): MQLs of the window whose deadline has passed, and those of them
    contacted within the response hours."""
    first, last = days
    before = _day_sums(per_day, first, last, split)
    due = before[_DAY["mqls"]]
    # delays in buckets below ``low`` are all within the limit: from the rollups
    low_coarse = rollup.coarse_of(low)
    on_time = sum(v[1] for c, v in coarse.items() if c < low_coarse)
    on_time += sum(v[1] for f, v in fine.items() if rollup.coarse_of(f) == low_coarse and f < low)
    split_at = rollup.midnight(split, tz) if split <= last else w.end
    cut = split <= last  # the day the deadline cuts: its MQLs up to the deadline
    params = {
        "lower": rollup.bucket_edges(low)[0] - rollup.EDGE_SLACK,
        "limit": limit,
        "low": low,
        "start": w.start,
        "split_at": split_at,
    }
    if cut:
        params["deadline"] = deadline
    row = session.execute(_deadline_counts(cut), params).one()
    on_time += int(row[0])
    if cut:
        due += int(row[1])
        on_time += int(row[2])
    return due, on_time


def _values_at(session, w: Window, coarse: dict, fine: dict, ranks: list[int]) -> list | None:
    """The delays at the given 0-based ranks (ascending) over the window's contacted MQLs:
    the rollups place each rank in a fine bucket, ``ix_lead_contact_span`` reads that bucket's
    delays in the window in order. None when the two disagree."""
    places: dict[int, list[int]] = {}  # fine bucket -> offsets within it
    for rank in ranks:
        seen = 0
        for c in sorted(coarse):
            if rank < seen + coarse[c][0]:
                break
            seen += coarse[c][0]
        else:
            return None
        for f in sorted(k for k in fine if rollup.coarse_of(k) == c):
            if rank < seen + fine[f][0]:
                places.setdefault(f, []).append(rank - seen)
                break
            seen += fine[f][0]
        else:
            return None
    values = []
    for f, offsets in sorted(places.items()):
        lower, upper = rollup.bucket_edges(f)
        params = {
            "lower": lower - rollup.EDGE_SLACK,
            "upper": upper + rollup.EDGE_SLACK,
            "fine": f,
            "start": w.start,
            "end": w.end,
            "skip": min(offsets),
            "take": max(offsets) - min(offsets) + 1,
        }
        got = session.execute(_bucket_values(), params).scalars().all()
        if len(got) != max(offsets) - min(offsets) + 1:
            return None
        values += [got[o - min(offsets)] for o in offsets]
    return values


def _median_of(values: list, n: int) -> float:
    """The median from the values at ranks (n-1)//2 and n//2 (one value when n is odd)."""
    middle = values[:1] if n % 2 else values
    return sum(middle) / len(middle)


def _one_window(session: Session, w: Window) -> WindowFigures:
    t = Lead.__table__.c
    decided = or_(t.accepted_at.is_not(None), t.rejected_at.is_not(None))
    spans = hours_between(t.mql_at, t.first_contact_at)
    due = t.mql_at <= w.cutoff - timedelta(hours=w.response_hours)
    contacted = contacted_after_mql(t)
    row = session.execute(
        select(
            func.count(),
            count_if(decided),
            count_if(t.accepted_at.is_not(None)),
            count_if(due),
            count_if(and_(due, contacted, spans <= w.response_hours + EPSILON_HOURS)),
            count_if(contacted),
        ).where(_between(t.mql_at, w))
    ).one()
    sqls = session.execute(select(func.count()).where(_between(t.sql_at, w))).scalar_one()
    customers = session.execute(select(func.count()).where(_between(t.customer_at, w))).scalar_one()
    figures = WindowFigures(*[int(v) for v in row], sqls=int(sqls), customers=int(customers))
    figures.median_hours = _quantile(session, w, 0.5, figures.contacted)
    return figures


def _quantile(session: Session, w: Window, q: float, n: int) -> float | None:
    """The q-quantile of first-contact hours over the window's contacted MQLs: the median
    (mean of the middle two for even n) for q = 0.5, else the nearest rank ceil(q·n)."""
    if n == 0:
        return None
    if q == 0.5:
        offset, take = (n - 1) // 2, 2 - n % 2
    else:
        offset, take = max(math.ceil(q * n) - 1, 0), 1
    t = Lead.__table__.c
    spans = hours_between(t.mql_at, t.first_contact_at)
    values = (
        session.execute(
            select(spans)
            .where(_between(t.mql_at, w), contacted_after_mql(t))
            .order_by(spans)
            .offset(offset)
            .limit(take)
        )
        .scalars()
        .all()
    )
    return sum(values) / len(values) if values else None


def first_contact_quantile(session: Session, windows: list[Window], q: float) -> list[float | None]:
    """Per window, the q-quantile of first-contact hours over MQLs with a first contact:
    the median (mean of the middle two for even n) for q = 0.5, else the nearest rank
    ceil(q·n). Whole-day windows rank through the rollups (see ``window_figures``)."""
    tz = config.business_tz()
    reader = None
    out = []
    for w in windows:
        days = rollup.window_days(w.start, w.end, tz)
        if days is None:
            t = Lead.__table__.c
            n = session.execute(
                select(func.count()).where(_between(t.mql_at, w), contacted_after_mql(t))
            ).scalar_one()
            out.append(_quantile(session, w, q, int(n)))
            continue
        reader = reader or rollup.Reader(session, tz)
        coarse = reader.coarse_counts(*days)
        n = sum(v[0] for v in coarse.values())
        if n == 0:
            out.append(None)
            continue
        ranks = sorted({(n - 1) // 2, n // 2}) if q == 0.5 else [max(math.ceil(q * n) - 1, 0)]
        wanted = {_coarse_of_rank(coarse, r) for r in ranks}
        values = _values_at(session, w, coarse, reader.fine_counts(*days, wanted), ranks)
        if values is None:
            out.append(_quantile(session, w, q, n))
        else:
            out.append(_median_of(values, n) if q == 0.5 else values[0])
    return out


# --- from figures to metrics --------------------------------------------------------------


def status_of(
    metric: MetricDef,
    actual: float | None,
    target: float | None,
    *,
    pace: float | None = None,
    elapsed_fraction: float = 1.0,
) -> Status:
    """The status bands of docs/metrics.md."""
    if actual is None or target is None:
        return Status.no_data
    if metric.kind == "count":
        if elapsed_fraction < EARLY_FRACTION:
            return Status.early
        if pace is None:  # nothing expected yet (a zero target): nothing is missing
            return Status.green
        value, goal = pace, 1.0
    else:
        value, goal = actual, target
    if metric.better == "lower":
        if value <= goal:
            return Status.green
        return Status.amber if value <= AMBER_FACTOR_LOWER * goal else Status.red
    if value >= goal:
        return Status.green
    return Status.amber if value >= AMBER_SHARE * goal else Status.red


def _r(value: float | None, digits: int) -> float | None:
    return None if value is None else round(float(value), digits)


def _count_metric(metric: MetricDef, actual: int, period: Period, monthly: float | None):
    if monthly is None:
        return MetricResult(
            **_base(metric), actual=actual, target=None, status=Status.no_data, reason=NO_AGREEMENT
        )
    target, expected = count_target(period, monthly)
    pace = actual / expected if expected > 0 else None
    forecast = actual / period.elapsed_days * period.days if period.elapsed_days else None
    remaining = period.remaining_days
    needed = max(0.0, target - actual) / remaining if remaining else 0.0
    return MetricResult(
        **_base(metric),
        actual=actual,
        target=_r(target, 2),
        expected_to_date=_r(expected, 2),
        pace=_r(pace, 4),
        forecast=_r(forecast, 2),
        needed_per_day=_r(needed, 2),
        status=status_of(
            metric, actual, target, pace=pace, elapsed_fraction=period.elapsed_fraction
        ),
    )


def _reason(metric: MetricDef, actual, target, gap: str | None = None) -> str | None:
    """Why a metric's status is no_data: missing inputs, else an empty denominator, else
    no agreement; None when it has a status."""
    if gap:
        return gap
    if actual is None:
        return EMPTY_REASONS.get(metric.key)
    return NO_AGREEMENT if target is None else None


def _rate_metric(
    metric: MetricDef,
    numerator: int,
    denominator: int,
    target: float | None,
    gap: str | None = None,
):
    """A rate; ``gap`` (inputs missing from the whole store) leaves it unmeasured."""
    actual = numerator / denominator if denominator and not gap else None
    return MetricResult(
        **_base(metric),
        actual=_r(actual, 4),
        target=target,
        numerator=None if gap else numerator,
        denominator=denominator,
        status=status_of(metric, actual, target),
        reason=_reason(metric, actual, target, gap),
    )


def _base(metric: MetricDef) -> dict:
    return {
        "key": metric.key,
        "side": metric.side,
        "label": metric.label,
        "kind": metric.kind,
        "better": metric.better,
        "definition": metric.definition,
    }


def metrics_from(
    figures: WindowFigures, period: Period, agreement: SlaAgreement | None
) -> list[MetricResult]:
    """The seven metrics, in the order of docs/metrics.md."""

    def target(key: str):
        return None if agreement is None else getattr(agreement, key)

    m = METRIC_BY_KEY
    contact_gap = figures.coverage.first_contact_gap
    median = None if contact_gap else figures.median_hours
    median_def = m["median_first_contact_hours"]
    return [
        _count_metric(m["mqls_delivered"], figures.mqls, period, target("mql_target")),
        _rate_metric(
            m["mql_acceptance_rate"],
            figures.accepted,
            figures.decided,
            target("acceptance_rate_target"),
            figures.coverage.verdict_gap,
        ),
        _rate_metric(
            m["contacted_within_sla_rate"],
            figures.on_time,
            figures.due,
            target("contacted_within_sla_target"),
            contact_gap,
        ),
        MetricResult(
            **_base(median_def),
            actual=_r(median, 2),
            target=target("response_hours"),
            denominator=figures.contacted,
            status=status_of(median_def, median, target("response_hours")),
            reason=_reason(median_def, median, target("response_hours"), contact_gap),
        ),
        _count_metric(m["sqls"], figures.sqls, period, target("sql_target")),
        _rate_metric(m["close_rate"], figures.customers, figures.sqls, target("close_rate_target")),
        _count_metric(m["customers"], figures.customers, period, target("customer_target")),
    ]


#: Response hours used for the deadline when no agreement is in effect (none to measure by).
FALLBACK_RESPONSE_HOURS = 24.0


def _window(period: Period, agreement: SlaAgreement | None, now: datetime) -> Window:
    start, end = period.window()
    hours = agreement.response_hours if agreement else FALLBACK_RESPONSE_HOURS
    return Window(start, end, min(end, now), hours)


def sla_reports(session: Session, periods: list[Period], *, now: datetime) -> list[SlaReport]:
    """One report per period (each with the agreement in effect at its start)."""
    agreements = agreements_for(session, [p.start for p in periods])
    windows = [_window(p, a, now) for p, a in zip(periods, agreements, strict=True)]
    figures = window_figures(session, windows)
    return [
        SlaReport(p, a, metrics_from(f, p, a))
        for p, a, f in zip(periods, agreements, figures, strict=True)
    ]


def sla_report(session: Session, period: Period, *, now: datetime) -> SlaReport:
    """The SLA report of one period as of its as-of day; ``now`` bounds the deadlines."""
    return sla_reports(session, [period], now=now)[0]


def trailing_periods(kind: PeriodKind | str, as_of: date, count: int = 13) -> list[Period]:
    """The ``count`` periods ending with the one containing ``as_of``, oldest first."""
    current = period_containing(kind, as_of)
    periods = [current]
    while len(periods) < count:
        before = period_containing(kind, periods[0].start - timedelta(days=1))
        periods.insert(0, Period(before.kind, before.start, before.end, before.end))
    return periods


def _cell_text(report: SlaReport, m: MetricResult, short: bool) -> tuple[str, str]:
    """(cell text, status text) of one metric: '41 ✔' and '✔ on track'; "—" where the metric
    has no value; without an agreement the measured figure with '· no agreement' ('41 –'
    when short), not "—"."""
    from smarketing.formatting import EMPTY, figure

    if report.agreement is None and m.actual is not None:
        value = figure(m.kind, m.actual)
        no_agreement = _("no agreement")
        text = f"{value} –" if short else f"{value} · {no_agreement}"
        return text, f"{STATUS_TEXT[Status.no_data][0]} {no_agreement}"
    if m.actual is None:
        return EMPTY, status_label(m.status)
    return f"{figure(m.kind, m.actual)} {STATUS_TEXT[m.status][0]}", status_label(m.status)


def scorecard_frame(reports: list[SlaReport], *, short: bool = False) -> pd.DataFrame:
    """Long frame for the scorecard: one row per (period, metric); ``short`` headings
    ('W47', 'Nov 26') for many columns. ``text`` is the value and status symbol, "—" where
    the metric has no value; a period without an agreement shows its figures with "no
    agreement" (there is nothing to judge them by); every text in the language speaking.
    ``reason`` says why a status is no_data,
    ``missing`` only when the store lacks the metric's inputs altogether (the chart notes it
    under the grid)."""
    import pandas as pd

    rows = []
    for report in reports:
        label = report.period.short_label() if short else report.period.label()
        if report.period.as_of < report.period.end:
            label += "*" if short else f" {_(SO_FAR)}"
        for m in report.metrics:
            text, status_text = _cell_text(report, m, short)
            rows.append(
                {
                    "period": label,
                    "period_start": report.period.start,
                    "metric": m.key,
                    "metric_label": f"{side_label(m.side)} · {_(m.label)}",
                    "text": text,
                    "status": m.status.value,
                    "status_text": status_text,
                    "reason": _(m.reason) if m.reason else "",
                    "missing": _(m.reason) if m.input_missing else "",
                }
            )
    return pd.DataFrame(rows)


def missing_inputs(reports: list[SlaReport]) -> list[str]:
    """One line per kind of missing input, naming the metrics it leaves unmeasured:
    'Contacted in time and Median first contact: — no first-contact data imported yet: …'."""
    labels: dict[str, list[str]] = {}
    for report in reports:
        for m in report.metrics:
            if m.input_missing and m.label not in labels.setdefault(m.reason, []):
                labels[m.reason].append(m.label)
    return [
        _("{metrics}: — {reason}").format(
            metrics=(" " + _("and") + " ").join(_(name) for name in names), reason=_(reason)
        )
        for reason, names in labels.items()
    ]


def status_word(status: Status | str) -> str:
    """The word of a status in the language speaking: 'on track' (nb 'i rute')."""
    return _(STATUS_TEXT[Status(status)][1])


def status_label(status: Status | str) -> str:
    """Symbol and word, e.g. '✔ on track' (nb '✔ i rute'), so colour is never the only
    signal."""
    return f"{STATUS_TEXT[Status(status)][0]} {status_word(status)}"


def side_label(side: str) -> str:
    """'Marketing', 'Sales', 'Both' in the language speaking."""
    return _(SIDE_LABELS[side]) if side in SIDE_LABELS else side
