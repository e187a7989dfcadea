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

from smarketing import config
from smarketing.formatting import plural
from smarketing.meetings.actions import action_list, metric_label
from smarketing.notify.message import Message
from smarketing.notify.outbox import Notice
from smarketing.notify.recipients import ACTIONS_PATH, page_url
from smarketing.notify.text import md_escape
from smarketing.sla.periods import local_date
from smarketing.store.models import Action, ActionStatus, Meeting, User

DUE_KIND, OVERDUE_KIND, DIGEST_KIND = "action_due", "action_overdue", "action_digest"
#: The digest goes out on this weekday (Monday = 0) from this local time on.
DIGEST_WEEKDAY = 0
DIGEST_AT = time(8, 0)


def _day(value: date) -> str:
    return value.strftime("%a %d %b %Y")


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
    facts = [("Due", _day(action.due_date))]
    if action.metric:
        facts.append(("Metric", metric_label(action.metric) or action.metric))
    if meeting_title:
        facts.append(("Agreed in", meeting_title))
    if action.carried_over:
        facts.append(("Carried over", plural(action.carried_over, "meeting")))
    return tuple(facts)


def action_due_message(action: Action, meeting_title: str | None) -> Message:
    """The reminder the day before the due date."""
    return Message(
        kind=DUE_KIND,
        subject=f"Due tomorrow: {action.title}",
        text=(
            f"Your action **{md_escape(action.title)}** is due tomorrow, "
            f"{_day(action.due_date)}. Mark it done on the Actions page when it is."
        ),
        facts=_facts(action, meeting_title),
        link=page_url(ACTIONS_PATH),
        link_text="Open the actions",
    )


def action_overdue_message(action: Action, meeting_title: str | None) -> Message:
    """The reminder on the first day after the due date."""
    return Message(
        kind=OVERDUE_KIND,
        subject=f"Overdue: {action.title}",
        text=(
            f"Your action **{md_escape(action.title)}** was due yesterday, "
            f"{_day(action.due_date)}, and is still open. Mark it done, or agree a new "
            "date at the next meeting."
        ),
        facts=_facts(action, meeting_title),
        link=page_url(ACTIONS_PATH),
        link_text="Open the actions",
    )


def action_reminder_notices(session: Session, now: datetime) -> list[Notice]:
    """Rule: ``action_due`` for open actions due tomorrow, ``action_overdue`` for those
    due yesterday (local days), each to its owner."""
    today = local_date(now)
    notices = []
    for action, title in _open_actions_due(session, today + timedelta(days=1)):
        notices.append(
            Notice(
                DUE_KIND,
                f"action:{action.id}:due:{action.due_date.isoformat()}",
                action.owner,
                action_due_message(action, title),
            )
        )
    for action, title in _open_actions_due(session, today - timedelta(days=1)):
        notices.append(
            Notice(
                OVERDUE_KIND,
                f"action:{action.id}:overdue:{action.due_date.isoformat()}",
                action.owner,
                action_overdue_message(action, title),
            )
        )
    return notices


def digest_message(frame, today: date) -> Message:
    """One person's open actions (a frame of ``meetings.actions.action_list``)."""
    overdue = int(frame["overdue"].sum())
    lines = [
        f"You have {plural(len(frame), 'open action')}"
        + (f", **{overdue} overdue**." if overdue else ".")
    ]
    lines.append("")
    for row in frame.itertuples(index=False):
        late = f" — **{plural(row.days_overdue, 'day')} overdue**" if row.overdue else ""
        lines.append(f"- {md_escape(row.title)} (due {_day(row.due_date)}){late}")
    year, week, _ = today.isocalendar()
    return Message(
        kind=DIGEST_KIND,
        subject=f"Your open actions, week {week} {year}: {len(frame)}"
        + (f" ({overdue} overdue)" if overdue else ""),
        text="\n".join(lines),
        facts=(("Open", str(len(frame))), ("Overdue", str(overdue))),
        link=page_url(ACTIONS_PATH),
        link_text="Open the actions",
    )


def action_digest_notices(session: Session, now: datetime) -> list[Notice]:
    """Rule: on Monday from DIGEST_AT (local), each enabled user's open actions."""
    local = now.astimezone(config.business_tz())
    if local.weekday() != DIGEST_WEEKDAY or local.time() < DIGEST_AT:
        return []
    today = local.date()
    year, week, _ = today.isocalendar()
    owners = session.exec(
        select(Action.owner)
        .join(User, col(User.username) == col(Action.owner))
        .where(Action.status == ActionStatus.open, User.disabled == False)  # noqa: E712
        .distinct()
        .order_by(col(Action.owner))
    ).all()
    notices = []
    for owner in owners:
        frame = action_list(session, owner=owner, status=ActionStatus.open.value, as_of=today)
        if frame.empty:
            continue
        notices.append(
            Notice(
                DIGEST_KIND,
                f"actions:{owner}:week:{year}-W{week:02d}",
                owner,
                digest_message(frame, today),
            )
        )
    return notices
