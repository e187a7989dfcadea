"""The hot-lead rule: a lead that comes back reaches its owner within minutes.

Every minute (the ``notify`` job) ``hot_lead_notices`` reads the hot leads of the last
``NOTIFY_HOURS`` (``quality.hot_leads``: back after 14 days of silence, or after a
rejection or a loss) and returns one notice per lead and moment it turned hot — subject key
``lead:ID:hot:TRIGGER`` — to the owner (``recipients.lead_owner``: the user the lead's
owner names, else ``team:sales``). The outbox queues each once, so one return is one
message and a later return (after a new silence) another. ``hot_lead_message`` is the one
message, also what ``python -m smarketing hot-leads --webhook`` posts.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import Session

from smarketing import i18n
from smarketing.demo import has_demo
from smarketing.formatting import local_time
from smarketing.i18n import _
from smarketing.notify.message import Message
from smarketing.notify.outbox import Notice
from smarketing.notify.recipients import language_for, lead_owner, lead_url
from smarketing.notify.text import md_escape
from smarketing.quality import hot_leads
from smarketing.quality.leads import NONE_LABEL, activity_label, timeline
from smarketing.store.models import Lead

KIND = "hot_lead"
#: How far back the rule looks for a lead that turned hot: a job that was down, or an
#: activity that arrives late (a CRM sync), still gets its message; older returns are the
#: hot-leads panel's, not news.
NOTIFY_HOURS = 6
#: The lead's latest activities the message lists.
LAST_ACTIVITIES = 5


def _utc(moment) -> datetime:
    moment = moment.to_pydatetime() if hasattr(moment, "to_pydatetime") else moment
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def _did(kind: str, detail: str | None) -> str:
    what = activity_label(kind)
    return f"{what}: {md_escape(detail)}" if detail else what


def hot_key(lead_id: int, trigger_at: datetime) -> str:
    """The subject key of one return: the lead and the moment it turned hot (UTC)."""
    return f"lead:{int(lead_id)}:hot:{_utc(trigger_at).strftime('%Y-%m-%dT%H:%M:%SZ')}"


def hot_lead_message(session: Session, hot) -> Message:
    """The message about one hot lead (a row of ``quality.hot_leads.hot_leads``): who,
    what they did and why that is news, their last activities, the campaign and the
    owner, and the link to the lead's profile — in the language speaking."""
    lead = session.get(Lead, int(hot.lead_id))
    campaign = (lead.campaign if lead else None) or _(NONE_LABEL)
    who = f"**{md_escape(hot.name)}**" + (f" ({md_escape(hot.company)})" if hot.company else "")
    trigger_at = _utc(hot.trigger_at)
    lines = [
        _("{who} is back — {reason}.").format(who=who, reason=md_escape(hot.reason)),
        _("{what} at {when}.").format(
            what=_did(hot.trigger_kind, hot.trigger_detail), when=local_time(trigger_at)
        ),
    ]
    last = timeline(session, int(hot.lead_id), limit=LAST_ACTIVITIES)
    if not last.empty:
        lines.append("")
        lines.append(_("Last activities:"))
        for row in last.iloc[::-1].itertuples(index=False):  # newest first
            lines.append(f"- {local_time(_utc(row.occurred_at))} {_did(row.kind, row.detail)}")
    owner = hot.owner if hot.owner and hot.owner != NONE_LABEL else _("no owner")
    return Message(
        kind=KIND,
        subject=_("Hot lead: {name} is back").format(name=hot.name),
        text="\n".join(lines),
        facts=(
            (_("Company"), hot.company or "—"),
            (_("What they did"), activity_label(hot.trigger_kind)),
            (_("When"), local_time(trigger_at)),
            (_("Why hot"), hot.reason),
            (_("Campaign"), campaign),
            (_("Owner"), owner),
        ),
        link=lead_url(int(hot.lead_id)),
        link_text=_("Open the lead"),
        language=i18n.current(),
    )


def hot_lead_notices(session: Session, now: datetime) -> list[Notice]:
    """Rule: one notice per lead that turned hot in the last ``NOTIFY_HOURS``, to its owner
    (or the sales team)."""
    if has_demo(session):  # the generated company's leads are nobody's: nothing is sent
        return []
    frames: dict[str, dict[int, object]] = {}

    def rows_in(code: str) -> dict[int, object]:
        """The hot leads as ``code`` writes them (the frame writes each ``reason``), by
        lead: read once per language."""
        if code not in frames:
            with i18n.language(code):
                frame = hot_leads.hot_leads(session, now=now, since_hours=NOTIFY_HOURS)
            frames[code] = {int(row.lead_id): row for row in frame.itertuples(index=False)}
        return frames[code]

    notices = []
    for lead_id, row in rows_in(i18n.current()).items():
        recipient = lead_owner(session, None if row.owner == NONE_LABEL else row.owner)
        with i18n.language(language_for(session, recipient)) as code:
            said = rows_in(code).get(lead_id, row)
            notices.append(
                Notice(
                    kind=KIND,
                    subject_key=hot_key(row.lead_id, row.trigger_at),
                    recipient=recipient,
                    message=hot_lead_message(session, said),
                )
            )
    return notices
