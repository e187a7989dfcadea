"""Funnel stage counts per period (the Overview's "this week / this month" figures)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

import pandas as pd
from sqlalchemy import func
from sqlmodel import Session, select

from smarketing.sla.periods import Period, PeriodKind, period_containing, previous_period
from smarketing.store.models import Lead, LeadActivity


@dataclass(frozen=True)
class Stage:
    key: str
    column: str
    label: str
    definition: str


STAGES: tuple[Stage, ...] = (
    Stage("leads", "created_at", "New leads", "Leads with `created_at` in the window."),
    Stage(
        "mqls",
        "mql_at",
        "MQLs",
        "Leads with `mql_at` in the window: marketing qualified them (mqls_delivered).",
    ),
    Stage("sqls", "sql_at", "SQLs", "Leads with `sql_at` in the window: sales qualified them."),
    Stage("customers", "customer_at", "Customers", "Leads with `customer_at` in the window: won."),
)

COMPARISON_NOTE = (
    "Changes compare like for like: this week so far against last week up to the same "
    "weekday, this month so far against last month up to the same day."
)


def stage_counts(session: Session, period: Period) -> dict[str, int]:
    """Leads reaching each stage inside the period's window (one indexed count per stage)."""
    start, end = period.window()
    counts = {}
    for stage in STAGES:
        column = getattr(Lead, stage.column)
        query = select(func.count()).select_from(Lead).where(column >= start, column < end)
        counts[stage.key] = int(session.exec(query).one())
    return counts


def overview_counts(session: Session, as_of: date) -> pd.DataFrame:
    """Stage counts for the week and the month containing ``as_of``, with the change
    against the previous period up to the same elapsed day."""
    rows = []
    for kind in (PeriodKind.week, PeriodKind.month):
        current = period_containing(kind, as_of)
        previous = previous_period(current)
        now_counts, prev_counts = stage_counts(session, current), stage_counts(session, previous)
        for stage in STAGES:
            cur, prev = now_counts[stage.key], prev_counts[stage.key]
            rows.append(
                {
                    "period_kind": kind.value,
                    "period": current.label(),
                    "compared_with": f"{previous.label()} to {previous.as_of:%d %b}",
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
    (the last one up to ``as_of``); columns week_start, stage, label, count."""
    current = period_containing(PeriodKind.week, as_of)
    rows = []
    for back in range(weeks - 1, -1, -1):
        start = current.start - timedelta(days=7 * back)
        week = Period(
            PeriodKind.week, start, start + timedelta(days=6), min(as_of, start + timedelta(days=6))
        )
        counts = stage_counts(session, week)
        for stage in STAGES:
            rows.append(
                {
                    "week_start": start,
                    "week": week.label(),
                    "partial": week.elapsed_days < 7,
                    "stage": stage.key,
                    "label": stage.label,
                    "count": counts[stage.key],
                }
            )
    return pd.DataFrame(rows)


def data_as_of(session: Session) -> datetime | None:
    """The newest timestamp in the store (leads' stages and activities), or None when empty."""
    candidates = [
        session.exec(select(func.max(column))).one()
        for column in (
            Lead.created_at,
            Lead.mql_at,
            Lead.sql_at,
            Lead.customer_at,
            LeadActivity.occurred_at,
        )
    ]
    candidates = [c for c in candidates if c is not None]
    return max(candidates) if candidates else None


def lead_total(session: Session) -> int:
    """How many leads the store holds."""
    return int(session.exec(select(func.count()).select_from(Lead)).one())
