""" "Why?" causes recorded for red SLA metrics, kept with the period for later meetings."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
from sqlmodel import Session, col, select

from smarketing.auth import audit
from smarketing.auth.permissions import Actor, require
from smarketing.errors import InvalidInput
from smarketing.i18n import N_, _
from smarketing.sla.periods import Period
from smarketing.store.db import bump_data_version
from smarketing.store.models import SlaCause

#: The kinds of cause: stored as written here (English), shown as ``_(category)``.
CATEGORIES = (
    N_("Lead volume"),
    N_("Lead quality"),
    N_("Staffing / capacity"),
    N_("Routing / process"),
    N_("Data / tracking"),
    N_("Seasonality / holidays"),
    N_("Other"),
)
MAX_TEXT = 2000


def record_cause(
    session: Session,
    *,
    actor: Actor,
    metric: str,
    period: Period,
    category: str,
    text: str,
    now: datetime | None = None,
) -> SlaCause:
    """Keep a cause for a metric in a period (everyone logged in may record one); ``now``:
    when it was recorded (default the clock)."""
    from smarketing.sla.metrics import METRIC_BY_KEY

    require(actor, "sla.record_cause")
    if metric not in METRIC_BY_KEY:
        raise InvalidInput(_("unknown metric {metric!r}").format(metric=metric))
    if category not in CATEGORIES:
        raise InvalidInput(
            _("pick a category: {categories}").format(
                categories=", ".join(_(c) for c in CATEGORIES)
            )
        )
    text = text.strip()
    if not text:
        raise InvalidInput(_("write what happened: the cause needs a few words"))
    if len(text) > MAX_TEXT:
        raise InvalidInput(
            _("keep the cause under {limit} characters (it has {length})").format(
                limit=MAX_TEXT, length=len(text)
            )
        )
    cause = SlaCause(
        metric=metric,
        period_kind=period.kind.value,
        period_start=period.start,
        category=category,
        text=text,
        author=actor.username,
    )
    if now is not None:
        if now.utcoffset() is None:
            raise InvalidInput(_("now must be a timezone-aware time (got {now!r})").format(now=now))
        cause.created_at = now.astimezone(UTC)
    session.add(cause)
    audit.record(
        session,
        actor.username,
        "sla.cause",
        "sla_cause",
        metric,
        period=f"{period.kind.value} {period.start}",
        category=category,
    )
    bump_data_version(session)
    session.commit()
    return cause


def causes_for(session: Session, period: Period) -> pd.DataFrame:
    """The causes recorded for this period, oldest first."""
    rows = session.exec(
        select(SlaCause)
        .where(SlaCause.period_kind == period.kind.value, SlaCause.period_start == period.start)
        .order_by(col(SlaCause.created_at), col(SlaCause.id))
    ).all()
    return pd.DataFrame(
        [
            {
                "metric": r.metric,
                "category": r.category,
                "text": r.text,
                "author": r.author,
                "at": r.created_at,
            }
            for r in rows
        ],
        columns=["metric", "category", "text", "author", "at"],
    )
