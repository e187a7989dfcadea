"""The action rules: reminders to an action's owner, and the weekly digest.

- ``action_due``: the day before an open action's due date (local day in the business
  timezone), to its owner — subject key ``action:ID:due:DATE``.
- ``action_overdue``: on the first day after the due date, an action still open — subject
  key ``action:ID:overdue:DATE`` (one each; a new due date is a new reminder).
- ``action_digest``: on Monday from ``DIGEST_AT`` local time, each person's open actions,
  overdue first — subject key ``actions:USERNAME:week:2026-W49`` (one per ISO week).

Only actions owned by an enabled user are reminded (the demo company's cast has no
account to reach).
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlmodel import Session, col, select

from smarketing import config, i18n
from smarketing.formatting import count, day
from smarketing.i18n import _, ngettext
from smarketing.meetings.actions import action_list, metric_label
from smarketing.notify.message import Message
from smarketing.notify.outbox import Notice
from smarketing.notify.recipients import ACTIONS_PATH, language_for, page_url
from smarketing.notify.text import md_escape
from smarketing.sla.periods import local_date
from smarketing.store.models import Action, ActionStatus, Meeting, User

DUE_KIND, OVERDUE_KIND, DIGEST_KIND = "action_due", "action_overdue", "action_digest"
#: The digest goes out on this weekday (Monday = 0) from this local time on.
DIGEST_WEEKDAY = 0
DIGEST_AT = time(8, 0)


def _day(value: date) -> str:
    return day(value, weekday=True)


def _open_actions_due(session: Session, due: date) -> list[tuple[Action, str | None]]:
    """Open actions due on ``due`` whose owner is an enabled user, with their meeting."""
    rows = session.exec(
        select(Action, Meeting.title)
        .join(User, col(User.username) == col(Action.owner))
        .join(Meeting, col(Meeting.id) == col(Action.meeting_id), isouter=True)
        .where(
            Action.status == ActionStatus.open,
            Action.due_date == due,
            User.disabled == False,  # noqa: E712
        )
        .order_by(col(Action.id))
    ).all()
    return list(rows)


def _facts(action: Action, meeting_title: str | None) -> tuple[tuple[str, str], ...]:
    facts = [(_("Due"), _day(action.due_date))]
    if action.metric:
        facts.append((_("Metric"), metric_label(action.metric) or action.metric))
    if meeting_title:
        facts.append((_("Agreed in"), meeting_title))
    if action.carried_over:
        carried = ngettext("{n} meeting", "{n} meetings", action.carried_over)
        facts.append((_("Carried over"), carried.format(n=count(action.carried_over))))
    return tuple(facts)


def action_due_message(action: Action, meeting_title: str | None) -> Message:
    """The reminder the day before the due date."""
    return Message(
        kind=DUE_KIND,
        subject=_("Due tomorrow: {title}").format(title=action.title),
        text=_(
            "Your action **{title}** is due tomorrow, {day}. Mark it done on the Actions "
            "page when it is."
        ).format(title=md_escape(action.title), day=_day(action.due_date)),
        facts=_facts(action, meeting_title),
        link=page_url(ACTIONS_PATH),
        link_text=_("Open the actions"),
        language=i18n.current(),
    )


def action_overdue_message(action: Action, meeting_title: str | None) -> Message:
    """The reminder on the first day after the due date."""
    return Message(
        kind=OVERDUE_KIND,
        subject=_("Overdue: {title}").format(title=action.title),
        text=_(
            "Your action **{title}** was due yesterday, {day}, and is still open. Mark it "
            "done, or agree a new date at the next meeting."
        ).format(title=md_escape(action.title), day=_day(action.due_date)),
        facts=_facts(action, meeting_title),
        link=page_url(ACTIONS_PATH),
        link_text=_("Open the actions"),
        language=i18n.current(),
    )


def action_reminder_notices(session: Session, now: datetime) -> list[Notice]:
    """Rule: ``action_due`` for open actions due tomorrow, ``action_overdue`` for those
    due yesterday (local days), each to its owner."""
    today = local_date(now)
    notices = []
    for action, title in _open_actions_due(session, today + timedelta(days=1)):
        with i18n.language(language_for(session, action.owner)):
            message = action_due_message(action, title)
        notices.append(
            Notice(
                DUE_KIND,
                f"action:{action.id}:due:{action.due_date.isoformat()}",
                action.owner,
                message,
            )
        )
    for action, title in _open_actions_due(session, today - timedelta(days=1)):
        with i18n.language(language_for(session, action.owner)):
            message = action_overdue_message(action, title)
        notices.append(
            Notice(
                OVERDUE_KIND,
                f"action:{action.id}:overdue:{action.due_date.isoformat()}",
                action.owner,
                message,
            )
        )
    return notices


def digest_message(frame, today: date) -> Message:
    """One person's open actions (a frame of ``meetings.actions.action_list``)."""
    overdue = int(frame["overdue"].sum())
    total = len(frame)
    if overdue:
        opening = ngettext(
            "You have {n} open action, **{overdue} overdue**.",
            "You have {n} open actions, **{overdue} overdue**.",
            total,
        ).format(n=count(total), overdue=count(overdue))
    else:
        opening = ngettext("You have {n} open action.", "You have {n} open actions.", total).format(
            n=count(total)
        )
    lines = [opening, ""]
    for row in frame.itertuples(index=False):
        due = _("{title} (due {day})").format(title=md_escape(row.title), day=_day(row.due_date))
        if row.overdue:
            days = int(row.days_overdue)
            late = ngettext("**{n} day overdue**", "**{n} days overdue**", days)
            due += " — " + late.format(n=count(days))
        lines.append(f"- {due}")
    year, week, _weekday = today.isocalendar()
    subject = _("Your open actions, week {week} {year}: {n}").format(
        week=week, year=year, n=count(total)
    )
    if overdue:
        subject += " " + _("({n} overdue)").format(n=count(overdue))
    return Message(
        kind=DIGEST_KIND,
        subject=subject,
        text="\n".join(lines),
        facts=((_("Open"), count(total)), (_("Overdue"), count(overdue))),
        link=page_url(ACTIONS_PATH),
        link_text=_("Open the actions"),
        language=i18n.current(),
    )


def action_digest_notices(session: Session, now: datetime) -> list[Notice]:
    """Rule: on Monday from DIGEST_AT (local), each enabled user's open actions."""
    local = now.astimezone(config.business_tz())
    if local.weekday() != DIGEST_WEEKDAY or local.time() < DIGEST_AT:
        return []
    today = local.date()
    year, week, _weekday = today.isocalendar()
    owners = session.exec(
        select(Action.owner)
        .join(User, col(User.username) == col(Action.owner))
        .where(Action.status == ActionStatus.open, User.disabled == False)  # noqa: E712
        .distinct()
        .order_by(col(Action.owner))
    ).all()
    notices = []
    for owner in owners:
        with i18n.language(language_for(session, owner)):
            frame = action_list(session, owner=owner, status=ActionStatus.open.value, as_of=today)
            if frame.empty:
                continue
            message = digest_message(frame, today)
        notices.append(
            Notice(DIGEST_KIND, f"actions:{owner}:week:{year}-W{week:02d}", owner, message)
        )
    return notices
