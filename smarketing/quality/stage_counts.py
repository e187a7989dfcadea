"""Funnel stage counts per period (the Overview's "this week / this month" figures)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pandas as pd
from sqlalchemy import Integer, func, literal, literal_column, select, union_all
from sqlmodel import Session

from smarketing import formatting
from smarketing.i18n import N_, _
from smarketing.sla.periods import Period, PeriodKind, period_containing, previous_period
from smarketing.store.models import Lead, LeadActivity


@dataclass(frozen=True)
class Stage:
    """A funnel stage counted per period; ``label`` and ``definition`` are English message
    ids (frames carry them so; shown through ``_()``)."""

    key: str
    column: str
    label: str
    definition: str


STAGES: tuple[Stage, ...] = (
    Stage("leads", "created_at", N_("New leads"), N_("Leads with `created_at` in the window.")),
    Stage(
        "mqls",
        "mql_at",
        N_("MQLs"),
        N_("Leads with `mql_at` in the window: marketing qualified them (mqls_delivered)."),
    ),
    Stage(
        "sqls",
        "sql_at",
        N_("SQLs"),
        N_("Leads with `sql_at` in the window: sales qualified them."),
    ),
    Stage(
        "customers",
        "customer_at",
        N_("Customers"),
        N_("Leads with `customer_at` in the window: won."),
    ),
)

COMPARISON_NOTE = N_(
    "Changes compare like for like: this week so far against last week up to the same "
    "weekday, this month so far against last month up to the same day."
)


def window_counts(
    session: Session, windows: Sequence[tuple[datetime, datetime]]
) -> list[dict[str, int]]:
    """Leads reaching each stage inside each UTC window ``[from, to)``, in one statement.

    The windows (local-midnight bounds from :meth:`Period.window`, so the business
    timezone's days stay exactly as elsewhere) are a small table of constants; each of its
    rows counts every stage with an indexed range count. Windows may overlap."""
    if not windows:
        return []
    bound = Lead.__table__.c.created_at.type
    rows = [
        select(
            literal_column(str(i), Integer).label("idx"),
            literal(start, bound).label("window_from"),
            literal(end, bound).label("window_to"),
        )
        for i, (start, end) in enumerate(windows)
    ]
    w = (rows[0] if len(rows) == 1 else union_all(*rows)).cte("stage_window")
    columns = [
        select(func.count())
        .select_from(Lead)
        .where(getattr(Lead, stage.column) >= w.c.window_from)
        .where(getattr(Lead, stage.column) < w.c.window_to)
        .scalar_subquery()
        .label(stage.key)
        for stage in STAGES
    ]
    found = session.execute(select(w.c.idx, *columns).order_by(w.c.idx)).all()
    return [{stage.key: int(getattr(row, stage.key)) for stage in STAGES} for row in found]


def stage_counts(session: Session, period: Period) -> dict[str, int]:
    """Leads reaching each stage inside the period's window."""
    return window_counts(session, [period.window()])[0]


def overview_counts(session: Session, as_of: date) -> pd.DataFrame:
    """Stage counts for the week and the month containing ``as_of``, with the change
    against the previous period up to the same elapsed day (one statement)."""
    pairs = []
    for kind in (PeriodKind.week, PeriodKind.month):
        current = period_containing(kind, as_of)
        pairs.append((kind, current, previous_period(current)))
    windows = [p.window() for _, current, previous in pairs for p in (current, previous)]
    counts = window_counts(session, windows)
    rows = []
    for i, (kind, current, previous) in enumerate(pairs):
        now_counts, prev_counts = counts[2 * i], counts[2 * i + 1]
        for stage in STAGES:
            cur, prev = now_counts[stage.key], prev_counts[stage.key]
            rows.append(
                {
                    "period_kind": kind.value,
                    "period": current.label(),
                    "compared_with": _("{period} to {day}").format(
                        period=previous.label(), day=formatting.short_day(previous.as_of)
                    ),
                    "stage": stage.key,
                    "label": stage.label,
                    "current": cur,
                    "previous": prev,
                    "change": cur - prev,
                    "change_pct": None if prev == 0 else (cur - prev) / prev,
                    "definition": stage.definition,
                }
            )
    return pd.DataFrame(rows)


def weekly_stage_counts(session: Session, as_of: date, *, weeks: int = 13) -> pd.DataFrame:
    """Stage counts of the ``weeks`` ISO weeks ending with the week of ``as_of``
    (the last one up to ``as_of``); columns week_start, week, partial, stage, label, count.
    One statement for all the weeks (see :func:`window_counts`)."""
    current = period_containing(PeriodKind.week, as_of)
    periods = []
    for back in range(weeks - 1, -1, -1):
        start = current.start - timedelta(days=7 * back)
        end = start + timedelta(days=6)
        periods.append(Period(PeriodKind.week, start, end, min(as_of, end)))
    rows = []
    for week, counts in zip(
        periods, window_counts(session, [w.window() for w in periods]), strict=True
    ):
        for stage in STAGES:
            rows.append(
                {
                    "week_start": week.start,
                    "week": week.label(),
                    "partial": week.elapsed_days < 7,
                    "stage": stage.key,
                    "label": stage.label,
                    "count": counts[stage.key],
                }
            )
    return pd.DataFrame(rows)


def data_as_of(session: Session) -> datetime | None:
    """The newest timestamp in the store (leads' stages and activities), or None when empty
    (one statement: an indexed MAX per column)."""
    columns = (
        Lead.created_at,
        Lead.mql_at,
        Lead.sql_at,
        Lead.customer_at,
        LeadActivity.occurred_at,
    )
    newest = [select(func.max(column)).scalar_subquery() for column in columns]
    candidates = [c for c in session.execute(select(*newest)).one() if c is not None]
    return max(candidates) if candidates else None


def lead_total(session: Session) -> int:
    """How many leads the store holds."""
    return int(session.execute(select(func.count()).select_from(Lead)).scalar_one())
