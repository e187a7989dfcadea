"""The SLA rules: contact deadlines and metrics at risk.

**Contact deadlines** (``contact_deadline_notices``): an MQL's first-contact deadline is
``mql_at`` + the agreement's ``response_hours`` (the agreement of the current month, as on
the SLA page; 24 hours without one). ``REMIND_BEFORE`` (30 minutes) before it, an MQL still
without a first contact is a reminder to its owner (or ``team:sales`` without one); once
the deadline has passed without a first contact it is pushed to the sales team's channel
(``team:sales``: the app has no "sales lead" person, the team channel is where the sales
lead reads) — the SLA page's overdue list (``sla.first_contact.overdue_leads``), one
message per lead and deadline. Deadlines that passed more than ``OVERDUE_LOOKBACK`` ago are
the SLA page's, not news (the first run does not push months of backlog).

**SLA at risk** (``sla_at_risk_notices``): from the middle of each running week and month
(``AT_RISK_FROM`` of its days elapsed) until its last day, every count metric (MQLs
delivered, SQLs, customers) whose forecast is below its target goes to the team that owns
it (the metric's side: marketing → ``team:marketing``, sales → ``team:sales``, both → both)
once per metric and period, with what is needed per day to reach the target.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import and_, or_, select
from sqlmodel import Session

from smarketing import config, i18n
from smarketing.demo import has_demo
from smarketing.formatting import figure, local_time
from smarketing.i18n import _, ngettext
from smarketing.notify.message import Message
from smarketing.notify.outbox import Notice
from smarketing.notify.recipients import (
    SALES_TEAM,
    SLA_PATH,
    TEAMS_OF_SIDE,
    language_for,
    lead_owner,
    lead_url,
    page_url,
)
from smarketing.notify.text import md_escape
from smarketing.quality.leads import NONE_LABEL, display_name
from smarketing.sla.agreements import agreements_for
from smarketing.sla.first_contact import overdue_leads
from smarketing.sla.metrics import FALLBACK_RESPONSE_HOURS, sla_report
from smarketing.sla.periods import PeriodKind, local_date, period_containing
from smarketing.store.models import Lead

DEADLINE_KIND = "contact_deadline"
AT_RISK_KIND = "sla_at_risk"
#: How long before the deadline the owner is reminded.
REMIND_BEFORE = timedelta(minutes=30)
#: Deadlines passed longer ago than this are not pushed (the SLA page lists them).
OVERDUE_LOOKBACK = timedelta(hours=24)
#: The periods watched for a metric at risk.
AT_RISK_PERIODS = (PeriodKind.week, PeriodKind.month)
#: From which share of a period's days on a forecast below target is news ("mid-period").
AT_RISK_FROM = 0.5


def response_hours(session: Session, now: datetime) -> float:
    """The first-contact deadline in hours: the agreement of the month containing ``now``
    (the SLA page's), else FALLBACK_RESPONSE_HOURS."""
    month = period_containing(PeriodKind.month, local_date(now))
    [agreement] = agreements_for(session, [month.start])
    return float(agreement.response_hours) if agreement else FALLBACK_RESPONSE_HOURS


def _aware(moment: datetime) -> datetime:
    """A stored time as an aware UTC instant (SQLite hands back naive UTC)."""
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ")


def _deadline_key(lead_id: int, deadline: datetime, stage: str) -> str:
    return f"lead:{int(lead_id)}:deadline:{_iso(deadline)}:{stage}"


def _who(row) -> str:
    name = md_escape(display_name(row.first_name, row.last_name, row.id))
    return f"**{name}**" + (f" ({md_escape(row.company)})" if row.company else "")


def _deadline_facts(row, deadline: datetime) -> tuple[tuple[str, str], ...]:
    return (
        (_("Company"), row.company or "—"),
        (_("MQL since"), local_time(_aware(row.mql_at))),
        (_("Deadline"), local_time(deadline)),
        (_("Owner"), row.owner or _(NONE_LABEL)),
        (_("Source"), row.source or _(NONE_LABEL)),
    )


def deadline_soon_message(row, deadline: datetime, now: datetime) -> Message:
    """The reminder to the owner: the MQL and its deadline (as a time of day: a reminder
    held back by quiet hours must not say "in 20 minutes" when it arrives)."""
    minutes = max(0, round((deadline - now).total_seconds() / 60))
    name = display_name(row.first_name, row.last_name, row.id)
    at = deadline.astimezone(config.business_tz()).strftime("%H:%M")
    after = ngettext(
        "{n} minute after this reminder was written, at {now}",
        "{n} minutes after this reminder was written, at {now}",
        minutes,
    ).format(n=figure("count", minutes), now=local_time(now))
    return Message(
        kind=DEADLINE_KIND,
        subject=_("Contact {name} by {time}: first-contact deadline").format(name=name, time=at),
        text=_(
            "{who} became an MQL at {mql_at} and has had no first contact yet. The SLA's "
            "deadline is **{deadline}** ({after}). Record the contact on the lead when it "
            "is made."
        ).format(
            who=_who(row),
            mql_at=local_time(_aware(row.mql_at)),
            deadline=local_time(deadline),
            after=after,
        ),
        facts=_deadline_facts(row, deadline),
        link=lead_url(row.id),
        link_text=_("Open the lead"),
        language=i18n.current(),
    )


def deadline_passed_message(row, deadline: datetime, now: datetime) -> Message:
    """The push to the sales team: an MQL past its deadline without a first contact."""
    hours = (now - deadline).total_seconds() / 3600
    name = display_name(row.first_name, row.last_name, row.id)
    owner = md_escape(row.owner) if row.owner else _("nobody (no owner)")
    return Message(
        kind=DEADLINE_KIND,
        subject=_("Overdue MQL: {name} was not contacted in time").format(name=name),
        text=_(
            "{who} passed its first-contact deadline ({deadline}) {hours} ago without a "
            "first contact. Owner: {owner}."
        ).format(
            who=_who(row),
            deadline=local_time(deadline),
            hours=figure("hours", hours),
            owner=owner,
        )
        + "\n\n"
        + _("It is on the SLA page's list of overdue MQLs until it is contacted."),
        facts=_deadline_facts(row, deadline),
        link=lead_url(row.id),
        link_text=_("Open the lead"),
        language=i18n.current(),
    )


def _due_soon(session: Session, now: datetime, hours: float) -> list:
    """The MQLs whose deadline falls in (now, now + REMIND_BEFORE], not contacted."""
    t = Lead.__table__.c
    span = timedelta(hours=hours)
    contacted = and_(t.first_contact_at.is_not(None), t.first_contact_at >= t.mql_at)
    return list(
        session.execute(
            select(t.id, t.first_name, t.last_name, t.company, t.owner, t.source, t.mql_at)
            .where(
                t.mql_at > now - span,
                t.mql_at <= now + REMIND_BEFORE - span,
                or_(t.first_contact_at.is_(None), ~contacted),
            )
            .order_by(t.mql_at, t.id)
        ).all()
    )


def contact_deadline_notices(session: Session, now: datetime) -> list[Notice]:
    """Rule: a reminder to the owner of each MQL due for first contact within
    REMIND_BEFORE, and the sales team's message for each MQL whose deadline passed (in the
    last OVERDUE_LOOKBACK) without a first contact."""
    if has_demo(session):  # the generated company's leads are nobody's: nothing is sent
        return []
    hours = response_hours(session, now)
    span = timedelta(hours=hours)
    notices = []
    for row in _due_soon(session, now, hours):
        deadline = _aware(row.mql_at) + span
        recipient = lead_owner(session, row.owner)
        with i18n.language(language_for(session, recipient)):
            message = deadline_soon_message(row, deadline, now)
        notices.append(
            Notice(
                kind=DEADLINE_KIND,
                subject_key=_deadline_key(row.id, deadline, "soon"),
                recipient=recipient,
                message=message,
            )
        )
    for row in overdue_leads(session, mql_from=now - span - OVERDUE_LOOKBACK, now=now, hours=hours):
        deadline = _aware(row.mql_at) + span
        with i18n.language(language_for(session, SALES_TEAM)):
            message = deadline_passed_message(row, deadline, now)
        notices.append(
            Notice(
                kind=DEADLINE_KIND,
                subject_key=_deadline_key(row.id, deadline, "passed"),
                recipient=SALES_TEAM,
                message=message,
            )
        )
    return notices


# --- SLA at risk ------------------------------------------------------------------------------


def at_risk_message(report, metric) -> Message:
    """The message to a metric's team: forecast against target, what is needed per day."""
    period = report.period
    label = period.label()
    return Message(
        kind=AT_RISK_KIND,
        subject=_("SLA at risk: {metric} forecast below target ({period})").format(
            metric=_(metric.label), period=label
        ),
        text=ngettext(
            "**{metric}** is heading for {expected} against a target of {target} in "
            "{period}: {actual} so far, after {elapsed} of {n} day.",
            "**{metric}** is heading for {expected} against a target of {target} in "
            "{period}: {actual} so far, after {elapsed} of {n} days.",
            period.days,
        ).format(
            metric=_(metric.label),
            expected=figure("count", metric.forecast),
            target=figure("count", metric.target),
            period=label,
            actual=figure("count", metric.actual),
            elapsed=figure("count", period.elapsed_days),
            n=figure("count", period.days),
        )
        + "\n\n"
        + ngettext(
            "To reach the target: **{needed} a day** for the {n} day left.",
            "To reach the target: **{needed} a day** for the {n} days left.",
            period.remaining_days,
        ).format(
            needed=figure("decimal", metric.needed_per_day),
            n=figure("count", period.remaining_days),
        ),
        facts=(
            (_("Period"), label),
            (_("So far"), figure("count", metric.actual)),
            (_("Target"), figure("count", metric.target)),
            (_("Forecast"), figure("count", metric.forecast)),
            (_("Needed per day"), figure("decimal", metric.needed_per_day)),
        ),
        link=page_url(SLA_PATH),
        link_text=_("Open the SLA page"),
        language=i18n.current(),
    )


def sla_at_risk_notices(session: Session, now: datetime) -> list[Notice]:
    """Rule: from mid-period on, each count metric forecast below its target, to the
    teams that own it, once per metric and period."""
    if has_demo(session):  # the generated company's figures are nobody's: nothing is sent
        return []
    today = local_date(now)
    notices = []
    for kind in AT_RISK_PERIODS:
        period = period_containing(kind, today)
        if period.elapsed_fraction < AT_RISK_FROM or period.remaining_days <= 0:
            continue
        # the teams read the app default language: the report (its labels) is read in it
        with i18n.language(None):
            report = sla_report(session, period, now=now)
            for metric in report.metrics:
                if metric.kind != "count" or metric.forecast is None or metric.target is None:
                    continue
                if metric.forecast >= metric.target:
                    continue
                key = f"sla:{metric.key}:{period.kind.value}:{period.start.isoformat()}"
                notices += [
                    Notice(AT_RISK_KIND, key, team, at_risk_message(report, metric))
                    for team in TEAMS_OF_SIDE.get(metric.side, ())
                ]
    return notices
