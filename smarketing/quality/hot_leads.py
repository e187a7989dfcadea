"""Hot leads: leads that come back after weeks of silence, or after a rejection or a loss.

A lead is hot when one of its own activities (page view, download, form, e-mail click —
not a sales touch) happened in the last ``since_hours`` up to ``now``, both ends
included, and either

* its previous activity of any kind was at least :data:`SILENCE_DAYS` days before it
  (exactly 14 days counts), or
* the lead was rejected (``rejected_at``) or lost (``lost_at``) before it.

A lead whose first activity ever falls in the window is new, not back: it is hot only
when it was already rejected or lost. Each hot lead is listed once, with the earliest
activity in the window that made it hot (the one that broke the silence).

All in SQL, one statement: the lead's own activities in the window (an indexed time
range), each with a correlated MAX over the same lead's earlier activities (the
``(lead_id, occurred_at)`` index) and its lead's rejection and loss (primary-key lookups),
materialised once; then the conditions, ROW_NUMBER to keep one row per lead, and the
names and owners of only those leads.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

import pandas as pd
from sqlalchemy import and_, func, or_, select
from sqlmodel import Session

from smarketing.errors import InvalidInput
from smarketing.i18n import N_, _, ngettext
from smarketing.quality.leads import NONE_LABEL, SALES_KINDS, display_name
from smarketing.store.models import Lead, LeadActivity
from smarketing.store.sql_time import EPSILON_HOURS, hours_between

HOT_HOURS_DEFAULT = 48
SILENCE_DAYS = 14
HOT_COLUMNS = [
    "lead_id",
    "name",
    "company",
    "owner",
    "trigger_kind",
    "trigger_detail",
    "trigger_at",
    "reason",
    "silent_days",
]
#: What "hot" means, for people (``definition`` writes it in the language speaking).
DEFINITION = N_(
    "A lead is hot when it did something itself (page view, download, form, e-mail click) "
    "in the last {hours} hours after at least {days} days without any activity, or for the "
    "first time since sales rejected it or it was lost."
)


def definition() -> str:
    """What makes a lead hot, in the language speaking."""
    return _(DEFINITION).format(hours=HOT_HOURS_DEFAULT, days=SILENCE_DAYS)


def hot_leads(
    session: Session, *, now: datetime, since_hours: float = HOT_HOURS_DEFAULT
) -> pd.DataFrame:
    """The hot leads as of ``now``, newest trigger first (columns HOT_COLUMNS); ``reason``
    says why, for people, in the language speaking."""
    if not (isinstance(since_hours, int | float) and math.isfinite(since_hours)) or (
        since_hours <= 0
    ):
        raise InvalidInput(
            _("hours to look back must be more than 0 (got {hours})").format(
                hours=repr(since_hours)
            )
        )
    if now.tzinfo is None:
        raise InvalidInput(f"'now' needs a timezone (got {now.isoformat()})")
    since = now - timedelta(hours=since_hours)
    a = LeadActivity.__table__.alias("a")
    b = LeadActivity.__table__.alias("b")
    lead = Lead.__table__.c
    previous = (
        select(func.max(b.c.occurred_at))
        .where(b.c.lead_id == a.c.lead_id, b.c.occurred_at < a.c.occurred_at)
        .scalar_subquery()
    )
    recent = (
        select(
            a.c.id,
            a.c.lead_id,
            a.c.kind,
            a.c.detail,
            a.c.occurred_at,
            previous.label("previous_at"),
            _lead_value(lead.rejected_at, a).label("rejected_at"),
            _lead_value(lead.lost_at, a).label("lost_at"),
        )
        .where(
            a.c.occurred_at >= since,
            a.c.occurred_at <= now,
            a.c.kind.not_in(SALES_KINDS),
        )
        .cte("recent")
        .prefix_with("MATERIALIZED")  # computed once per activity, not once per use
    )
    r = recent.c
    silent_hours = hours_between(r.previous_at, r.occurred_at)
    rejected = _first_since(r.rejected_at, r)
    lost = _first_since(r.lost_at, r)
    silent = and_(r.previous_at.is_not(None), silent_hours >= SILENCE_DAYS * 24 - EPSILON_HOURS)
    ranked = (
        select(
            r.lead_id,
            r.kind,
            r.detail,
            r.occurred_at,
            silent_hours.label("silent_hours"),
            lost.label("lost"),
            rejected.label("rejected"),
            func.row_number()
            .over(partition_by=r.lead_id, order_by=(r.occurred_at, r.id))
            .label("rank"),
        )
        .where(or_(silent, rejected, lost))
        .subquery("ranked")
    )
    h = ranked.c
    rows = session.execute(
        select(ranked, lead.first_name, lead.last_name, lead.company, lead.owner)
        .join_from(ranked, Lead.__table__, lead.id == h.lead_id)
        .where(h.rank == 1)
        .order_by(h.occurred_at.desc(), h.lead_id)
    ).all()
    frame = pd.DataFrame(
        [
            {
                "lead_id": row.lead_id,
                "name": display_name(row.first_name, row.last_name, row.lead_id),
                "company": row.company,
                "owner": row.owner or NONE_LABEL,
                "trigger_kind": row.kind,
                "trigger_detail": row.detail,
                "trigger_at": row.occurred_at,
                "reason": _reason(row),
                "silent_days": _days(row.silent_hours),
            }
            for row in rows
        ],
        columns=HOT_COLUMNS,
    )
    frame["trigger_at"] = pd.to_datetime(frame["trigger_at"], utc=True)
    frame["silent_days"] = frame["silent_days"].astype("Int64")
    return frame


def _lead_value(column, activity):
    """The activity's lead's ``column``: a primary-key lookup per activity (a join would let
    PostgreSQL hash the whole lead table for the few activities of the window)."""
    return select(column).where(Lead.__table__.c.id == activity.c.lead_id).scalar_subquery()


def _first_since(moment, r):
    """The activity is the lead's first one after ``moment`` (a rejection or a loss)."""
    return and_(
        moment.is_not(None),
        moment < r.occurred_at,
        or_(r.previous_at.is_(None), r.previous_at <= moment),
    )


def _days(hours: float | None) -> int | None:
    """Whole days of silence (rounded down, with the SQL tolerance), None without a
    previous activity."""
    if hours is None:
        return None
    return math.floor(hours / 24 + EPSILON_HOURS)


def _reason(row) -> str:
    """Why the lead is hot, for people: 'back after 20 days' (nb 'tilbake etter 20 dager')."""
    if row.lost:
        return _("lost lead came back")
    if row.rejected:
        return _("rejected lead came back")
    days = _days(row.silent_hours)
    return ngettext("back after {n} day", "back after {n} days", days).format(n=days)
