"""The meeting's notification rules: the pre-read before a meeting and the minutes after it.

- :func:`pre_read_rule` — every meeting still planned whose start (its day at
  ``SMARKETING_MEETING_TIME``, default 09:00 in the business timezone) is less than
  ``SMARKETING_PREREAD_HOURS`` (default 18) ahead: its pre-read
  (:func:`smarketing.notify.pre_read.pre_read_message`) to each attendee who is an app
  user. Subject key ``meeting:ID:DAY``: once per meeting, day and person; a meeting moved
  to another day gets a pre-read for its new day, one added to the list in the window
  gets it at the next run. A meeting started early (running) or closed gets none.
- :func:`minutes_rule` — every meeting closed by a person in the last ``MINUTES_WITHIN``
  (3 days: a job stopped over a weekend still sends them; older closings are history,
  not news): its minutes, the Markdown the minutes module writes (as at close), to each
  attendee who is an app user. Subject key ``meeting:ID``: once per meeting and person (an
  admin's later correction is not sent again).

Each message is written in its recipient's language (``recipients.language_for``): one
pre-read (and one picture) and one minutes message built per language among the
recipients (:func:`by_language`).

Recipients (:func:`recipients`) are the facilitator and the people on the attendee list
who have a user account (not disabled: the outbox skips those). Guests — typed by name —
and the demo company's cast have no account and no address: they get nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from smarketing import formatting, i18n
from smarketing.i18n import _
from smarketing.meetings.minutes import minutes_markdown
from smarketing.meetings.records import attendees_of
from smarketing.notify import pre_read
from smarketing.notify.message import Message
from smarketing.notify.outbox import Notice
from smarketing.notify.recipients import language_for
from smarketing.sla.periods import local_date
from smarketing.store.models import Meeting, MeetingStatus, Notification, User

#: Minutes are sent for meetings closed at most this long ago.
MINUTES_WITHIN = timedelta(days=3)
PRE_READ, MINUTES = "pre_read", "minutes"


def recipients(session: Session, meeting: Meeting) -> list[str]:
    """Usernames of the meeting's facilitator and attendees who are app users, in the
    order of the list (guests and people without an account are left out)."""
    wanted = [meeting.facilitator] if meeting.facilitator else []
    wanted += [a.username for a in attendees_of(session, meeting.id) if a.username]
    wanted = list(dict.fromkeys(wanted))
    if not wanted:
        return []
    users = set(session.exec(select(User.username).where(col(User.username).in_(wanted))).all())
    return [u for u in wanted if u in users]


def _queued(session: Session, kind: str, subject_key: str) -> set[str]:
    """Who has a row of this kind and subject already (so a message is built only for a
    person who has none: the pre-read draws a picture)."""
    rows = session.exec(
        select(Notification.recipient).where(
            Notification.kind == kind, Notification.subject_key == subject_key
        )
    ).all()
    return set(rows)


def pre_read_key(meeting: Meeting) -> str:
    """'meeting:42:2026-12-07': the meeting and the day it is held."""
    return f"meeting:{meeting.id}:{meeting.held_on.isoformat()}"


def minutes_key(meeting: Meeting) -> str:
    """'meeting:42'."""
    return f"meeting:{meeting.id}"


def pre_read_rule(session: Session, now: datetime) -> list[Notice]:
    """The pre-read of every planned meeting in its window, to each user attendee who has
    not had it (one message per meeting, its picture drawn once)."""
    today = local_date(now)
    last = local_date(now + pre_read.days_ahead())
    candidates = session.exec(
        select(Meeting)
        .where(
            Meeting.status == MeetingStatus.planned,
            Meeting.held_on >= today,
            Meeting.held_on <= last,
        )
        .order_by(col(Meeting.held_on), col(Meeting.id))
    ).all()
    notices: list[Notice] = []
    for meeting in candidates:
        if not pre_read.in_pre_read_window(meeting, now):
            continue
        key = pre_read_key(meeting)
        done = _queued(session, PRE_READ, key)
        new = [u for u in recipients(session, meeting) if u not in done]
        if not new:
            continue
        for code, usernames in by_language(session, new).items():
            with i18n.language(code):
                message = pre_read.pre_read_message(session, meeting, now=now)
            notices += [Notice(PRE_READ, key, username, message) for username in usernames]
    return notices


def by_language(session: Session, usernames: list[str]) -> dict[str | None, list[str]]:
    """The recipients grouped by the language their messages are written in (None: the
    app default), in the order of the list: one message built per language."""
    groups: dict[str | None, list[str]] = {}
    for username in usernames:
        groups.setdefault(language_for(session, username), []).append(username)
    return groups


def minutes_message(session: Session, meeting: Meeting) -> Message:
    """The minutes as the minutes module writes them (Markdown: what it wrote at close
    and after each correction, from the same stored rows and frozen scorecard) in the
    language speaking, with the link to the meeting."""
    text = minutes_markdown(session, meeting.id)
    link = pre_read.meeting_url(meeting.id)
    facts = [(_("Meeting"), meeting.title), (_("Date"), formatting.long_day(meeting.held_on))]
    return Message(
        kind="minutes",
        subject=_("Minutes: {title}").format(title=meeting.title),
        text=text,
        facts=tuple(facts),
        link=link,
        link_text=_("Open the minutes") if link else None,
        language=i18n.current(),
    )


def minutes_rule(session: Session, now: datetime) -> list[Notice]:
    """The minutes of every meeting a person closed in the last ``MINUTES_WITHIN``, to each
    user attendee who has not had them."""
    closed = session.exec(
        select(Meeting)
        .where(
            Meeting.status == MeetingStatus.closed,
            col(Meeting.closed_at) >= now - MINUTES_WITHIN,
            col(Meeting.closed_at) <= now,
            Meeting.is_demo == False,  # noqa: E712 (the demo's history was never closed)
        )
        .order_by(col(Meeting.closed_at), col(Meeting.id))
    ).all()
    notices: list[Notice] = []
    for meeting in closed:
        key = minutes_key(meeting)
        done = _queued(session, MINUTES, key)
        new = [u for u in recipients(session, meeting) if u not in done]
        for code, usernames in by_language(session, new).items():
            with i18n.language(code):
                message = minutes_message(session, meeting)
            notices += [Notice(MINUTES, key, username, message) for username in usernames]
    return notices


#: The rules of this module, in the order the job runs them.
RULES = [pre_read_rule, minutes_rule]
