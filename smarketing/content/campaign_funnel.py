"""A campaign's live funnel: the all-time stage counts of the leads that name it, how its
MQLs were followed up against the response SLA in effect, and the MQLs still waiting for
sales. Leads refer to a campaign by its name (``Lead.campaign``)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pandas as pd
from sqlalchemy import and_, case, func, literal, or_, select
from sqlmodel import Session

from smarketing import config
from smarketing.errors import InvalidInput
from smarketing.i18n import _
from smarketing.quality.leads import NONE_LABEL, display_name
from smarketing.sla.agreements import agreement_for
from smarketing.sla.coverage import coverage
from smarketing.sla.metrics import (
    FALLBACK_RESPONSE_HOURS,
    METRIC_BY_KEY,
    contacted_after_mql,
    count_if,
    status_of,
)
from smarketing.sla.periods import local_midnight_utc, today_local
from smarketing.store.models import Campaign, Lead, SlaAgreement
from smarketing.store.sql_time import EPSILON_HOURS, hours_between

WAITING_COLUMNS = [
    "id",
    "name",
    "company",
    "owner",
    "mql_at",
    "hours_waiting",
    "response_hours",
    "past_deadline",
]
MAX_WAITING = 500
#: The counts of ``campaign_funnel``: name -> lead column (COUNT of rows where it is set).
FUNNEL_COUNTS = {
    "leads": "id",
    "mqls": "mql_at",
    "accepted": "accepted_at",
    "rejected": "rejected_at",
    "sqls": "sql_at",
    "opportunities": "opportunity_at",
    "customers": "customer_at",
}


def _deadline_segments(session: Session) -> list[tuple[datetime | None, datetime | None, float]]:
    """[(from, to, response hours)]: UTC ranges of ``mql_at`` and the response hours of the
    agreement in effect on that local day (as ``agreement_for``), the fallback before any."""
    agreements = (
        session.execute(
            select(SlaAgreement)
            .where(SlaAgreement.in_effect == True)  # noqa: E712
            .order_by(SlaAgreement.effective_from, SlaAgreement.version)
        )
        .scalars()
        .all()
    )
    by_day: dict[date, float] = {}
    for a in agreements:  # the highest version wins on a shared day, as in agreement_for
        by_day[a.effective_from] = float(a.response_hours)
    tz = config.business_tz()
    starts = [(local_midnight_utc(day, tz), hours) for day, hours in sorted(by_day.items())]
    segments: list[tuple[datetime | None, datetime | None, float]] = []
    previous: datetime | None = None
    hours = FALLBACK_RESPONSE_HOURS
    for start, next_hours in starts:
        segments.append((previous, start, hours))
        previous, hours = start, next_hours
    segments.append((previous, None, hours))
    return segments


def _hours_expr(mql_at, segments):
    """SQL: the response hours that apply to a lead's ``mql_at``."""
    if len(segments) == 1:
        return literal(segments[0][2])
    return case(
        *((mql_at >= low, hours) for low, _, hours in reversed(segments) if low is not None),
        else_=segments[0][2],
    )


def _due(mql_at, segments, now: datetime):
    """SQL: the MQL's response deadline (mql_at + its response hours) has passed by ``now``."""
    parts = []
    for low, high, hours in segments:
        bounds = [mql_at <= now - timedelta(hours=hours)]
        if low is not None:
            bounds.append(mql_at >= low)
        if high is not None:
            bounds.append(mql_at < high)
        parts.append(and_(*bounds))
    return or_(*parts)


def _ratio(numerator: int, denominator: int) -> float | None:
    return None if not denominator else round(numerator / denominator, 4)


def campaign_funnel(session: Session, campaign_name: str, *, now: datetime) -> dict:
    """All-time figures of the leads whose campaign is ``campaign_name``, in one query.

    ``{"campaign", "lead_target" (None for a name without a campaign), "leads", "mqls",
    "accepted", "rejected", "sqls", "opportunities", "customers", "acceptance", "mql_to_sql",
    "follow_up": {...}, "as_of"}``. A lead counts at a stage if the timestamp is set;
    acceptance = accepted ÷ (accepted + rejected), mql_to_sql = SQLs ÷ MQLs (None without a
    denominator). ``follow_up``, the response SLA of its MQLs: ``due`` = MQLs whose deadline
    (mql_at + response_hours of the agreement in effect on the MQL's local day, 24 h before
    any agreement) has passed by ``now``; ``in_time`` = of those, first contacted (at or
    after mql_at) by the deadline; ``rate`` = in_time ÷ due (None when none is due);
    ``target`` = contacted_within_sla_target and ``hours`` = response_hours of the agreement
    in effect on ``now``'s day (target None, hours 24 without one); ``status`` (sla.Status)
    by the SLA's bands (no_data without a due MQL or a target); ``reason`` why the rate is
    missing although MQLs are due (the store holds no first contact at all), else None.
    Without any verdict in the store, accepted, rejected and acceptance are None and
    ``unmeasured`` ({key: reason}) says why; ``unmeasured`` is {} otherwise.
    """
    t = Lead.__table__.c
    segments = _deadline_segments(session)
    due = _due(t.mql_at, segments, now)
    in_time = and_(
        due,
        contacted_after_mql(t),
        hours_between(t.mql_at, t.first_contact_at)
        <= _hours_expr(t.mql_at, segments) + EPSILON_HOURS,
    )
    row = session.execute(
        select(
            *(func.count(getattr(t, column)) for column in FUNNEL_COUNTS.values()),
            count_if(due),
            count_if(in_time),
        ).where(t.campaign == campaign_name)
    ).one()
    counts = dict(zip(FUNNEL_COUNTS, (int(v) for v in row[:-2]), strict=True))
    n_due, n_in_time = int(row[-2]), int(row[-1])
    agreement = agreement_for(session, today_local(now))
    target = None if agreement is None else agreement.contacted_within_sla_target
    held = coverage(session)
    contact_gap = held.first_contact_gap
    rate = None if contact_gap else _ratio(n_in_time, n_due)
    unmeasured = {}
    if held.verdict_gap:
        counts |= {"accepted": None, "rejected": None}
        unmeasured = dict.fromkeys(("accepted", "rejected", "acceptance"), held.verdict_gap)
    decided = None if counts["accepted"] is None else counts["accepted"] + counts["rejected"]
    lead_target = session.execute(
        select(Campaign.lead_target).where(Campaign.name == campaign_name)
    ).scalar_one_or_none()
    return {
        "campaign": campaign_name,
        "lead_target": lead_target,
        **counts,
        "acceptance": None if decided is None else _ratio(counts["accepted"], decided),
        "mql_to_sql": _ratio(counts["sqls"], counts["mqls"]),
        "follow_up": {
            "due": n_due,
            "in_time": None if contact_gap else n_in_time,
            "rate": rate,
            "target": target,
            "hours": agreement.response_hours if agreement else FALLBACK_RESPONSE_HOURS,
            "status": status_of(METRIC_BY_KEY["contacted_within_sla_rate"], rate, target),
            "reason": contact_gap if n_due else None,
        },
        "unmeasured": unmeasured,
        "as_of": now,
    }


def waiting_for_contact(
    session: Session, campaign_name: str, *, now: datetime, limit: int = 50
) -> pd.DataFrame:
    """The campaign's MQLs that sales has not contacted by ``now`` and not rejected, the
    longest waiting first (at most ``limit``).

    Columns ``WAITING_COLUMNS``: id, name, company, owner ("(none)" when missing), mql_at,
    hours_waiting (since mql_at, 1 decimal), response_hours (of the agreement in effect on
    the MQL's day), past_deadline (hours_waiting > response_hours).
    """
    if not 1 <= limit <= MAX_WAITING:
        raise InvalidInput(
            _("show 1 to {most} waiting leads (got {limit})").format(most=MAX_WAITING, limit=limit)
        )
    t = Lead.__table__.c
    segments = _deadline_segments(session)
    contacted = and_(contacted_after_mql(t), t.first_contact_at <= now)  # as leads.py
    rows = session.execute(
        select(
            t.id,
            t.first_name,
            t.last_name,
            t.company,
            t.owner,
            t.mql_at,
            _hours_expr(t.mql_at, segments).label("response_hours"),
        )
        .where(
            t.campaign == campaign_name,
            t.mql_at.is_not(None),
            t.mql_at <= now,
            or_(t.rejected_at.is_(None), t.rejected_at > now),
            ~contacted,
        )
        .order_by(t.mql_at, t.id)
        .limit(limit)
    ).all()
    records = []
    for r in rows:
        waited = (now - r.mql_at).total_seconds() / 3600
        records.append(
            {
                "id": r.id,
                "name": display_name(r.first_name, r.last_name, r.id),
                "company": r.company,
                "owner": r.owner or NONE_LABEL,
                "mql_at": r.mql_at,
                "hours_waiting": round(waited, 1),
                "response_hours": float(r.response_hours),
                "past_deadline": waited > float(r.response_hours) + EPSILON_HOURS,
            }
        )
    frame = pd.DataFrame.from_records(records, columns=WAITING_COLUMNS)
    frame["mql_at"] = pd.to_datetime(frame["mql_at"], utc=True)
    frame["past_deadline"] = frame["past_deadline"].astype(bool)
    return frame
