"""Planning meetings: creating one with its agenda template, the weekly and monthly rhythm,
and recurring meetings that plan themselves (under one planning lock)."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlmodel import Session, col, select

from smarketing import formatting
from smarketing.auth import audit
from smarketing.auth.permissions import Actor, require
from smarketing.errors import InvalidInput
from smarketing.i18n import N_, _
from smarketing.meetings.agenda import agenda_json, agenda_template, checked_kind
from smarketing.meetings.records import next_meeting, utc_time
from smarketing.store.db import bump_data_version
from smarketing.store.models import Meeting, MeetingKind, MeetingStatus

MAX_TITLE = 200
#: A meeting kind (a database value) in a sentence; translated where shown.
KIND_NAMES = {MeetingKind.weekly: N_("weekly meeting"), MeetingKind.monthly: N_("monthly meeting")}


def next_meeting_day(kind: str, today: date) -> date:
    """When the next meeting of this kind is due: weekly on Mondays (today if Monday),
    monthly on the first Monday of the month (this month's if still ahead)."""
    kind = checked_kind(kind)
    if kind == MeetingKind.weekly:
        return today + timedelta(days=-today.weekday() % 7)
    first = today.replace(day=1)
    monday = first + timedelta(days=-first.weekday() % 7)
    if monday >= today:
        return monday
    first = (first + timedelta(days=32)).replace(day=1)
    return first + timedelta(days=-first.weekday() % 7)


def default_title(kind: str, held_on: date) -> str:
    """'Weekly smarketing — week 47' or 'Leadership monthly — November 2026', in the
    language speaking when the meeting is planned (then a title like any other)."""
    if checked_kind(kind) == MeetingKind.weekly:
        return _("Weekly smarketing — week {number}").format(number=held_on.isocalendar().week)
    return _("Leadership monthly — {month}").format(month=formatting.month(held_on))


def checked_title(title: str) -> str:
    text = " ".join(str(title or "").split())
    if not text:
        raise InvalidInput(_("give the meeting a title"))
    if len(text) > MAX_TITLE:
        raise InvalidInput(
            _("keep the title to {most} characters (it has {n})").format(
                most=MAX_TITLE, n=len(text)
            )
        )
    return text


def serialise_planning(session: Session) -> None:
    """Take the lock that planning runs under before looking for a twin: the data-version
    row (an UPDATE: SQLite's write lock, PostgreSQL's row lock, held until commit), so two
    processes planning at once run one after the other and the second sees the first's."""
    bump_data_version(session)


def _twin(session: Session, kind: str, held_on: date) -> Meeting | None:
    return session.exec(
        select(Meeting).where(Meeting.kind == kind, Meeting.held_on == held_on)
    ).first()


def _insert_meeting(
    session: Session,
    *,
    actor: Actor,
    kind: str,
    held_on: date,
    title: str,
    facilitator: str,
    now: datetime | None,
    how: str = "meeting.create",
) -> Meeting:
    meeting = Meeting(
        kind=kind,
        title=title,
        held_on=held_on,
        status=MeetingStatus.planned,
        agenda=agenda_json(agenda_template(session, kind)),
        facilitator=facilitator,
        created_by=actor.username,
    )
    if now is not None:
        meeting.created_at = utc_time(now)
    session.add(meeting)
    session.flush()
    audit.record(
        session, actor.username, how, "meeting", meeting.id, kind=kind, held_on=held_on, title=title
    )
    return meeting


def create_meeting(
    session: Session,
    *,
    actor: Actor,
    kind: str,
    held_on: date,
    title: str | None = None,
    facilitator: str | None = None,
    now: datetime | None = None,
) -> Meeting:
    """Plan a meeting with the agenda template of its kind (facilitator: the actor unless
    given; ``now``: when it was planned, default the clock); one meeting of a kind per day."""
    require(actor, "meeting.run")
    kind = checked_kind(kind)
    if not isinstance(held_on, date) or isinstance(held_on, datetime):
        raise InvalidInput(
            _("the meeting day must be a date (got {value})").format(value=repr(held_on))
        )
    title = checked_title(title if title is not None else default_title(kind, held_on))
    serialise_planning(session)
    twin = _twin(session, kind, held_on)
    if twin is not None:
        session.rollback()
        raise InvalidInput(
            _("there is already a {kind} on {day} (#{id} {title}): open that one instead").format(
                kind=_(KIND_NAMES[kind]),
                day=held_on.isoformat(),
                id=twin.id,
                title=repr(twin.title),
            )
        )
    meeting = _insert_meeting(
        session,
        actor=actor,
        kind=kind,
        held_on=held_on,
        title=title,
        facilitator=(facilitator or actor.username).strip(),
        now=now,
    )
    bump_data_version(session)
    session.commit()
    return meeting


def plan_next_meeting(session: Session, *, actor: Actor, kind: str, today: date) -> Meeting:
    """The next meeting of this kind not yet closed, planning it on its usual day if there
    is none (see :func:`next_meeting_day`); when that day's meeting has already been held,
    the one after it."""
    found = next_meeting(session, today=today, kind=kind)
    if found is not None:
        return found
    day = next_meeting_day(kind, today)
    held = select(Meeting.id).where(Meeting.kind == checked_kind(kind), Meeting.held_on == day)
    if session.exec(held).first() is not None:
        day = next_meeting_day(kind, day + timedelta(days=1))
    return create_meeting(session, actor=actor, kind=kind, held_on=day)


def following_day(kind: str, held_on: date) -> date:
    """The day after ``held_on`` in the meeting's rhythm: weekly one week later (its
    weekday); monthly the same weekday of the next month, in the same week of the month
    (the first Monday stays the first Monday; a fifth one becomes the month's last)."""
    kind = checked_kind(kind)
    if kind == MeetingKind.weekly:
        return held_on + timedelta(days=7)
    nth = (held_on.day - 1) // 7  # 0: first, 1: second, …
    first = (held_on.replace(day=1) + timedelta(days=32)).replace(day=1)
    day = first + timedelta(days=(held_on.weekday() - first.weekday()) % 7 + 7 * nth)
    while day.month != first.month:  # no fifth such weekday: the last one
        day -= timedelta(days=7)
    return day


def plan_after(
    session: Session, *, actor: Actor, kind: str, last: Meeting, today: date
) -> Meeting | None:
    """Under the planning lock: the first day in the rhythm after ``last`` that is today
    or later and free, planned with ``last``'s facilitator — unless a meeting of the kind is
    already ahead (not closed, after ``last`` and today or later). No commit."""
    ahead = session.exec(
        select(Meeting.id).where(
            Meeting.kind == kind,
            Meeting.status != MeetingStatus.closed,
            Meeting.held_on > last.held_on,
            Meeting.held_on >= today,
        )
    ).first()
    if ahead is not None:
        return None
    day = following_day(kind, last.held_on)
    while day < today or _twin(session, kind, day) is not None:
        day = following_day(kind, day)
    return _insert_meeting(
        session,
        actor=actor,
        kind=kind,
        held_on=day,
        title=default_title(kind, day),
        facilitator=last.facilitator or actor.username,
        now=None,
        how="meeting.plan_recurring",
    )


def plan_recurring(session: Session, *, actor: Actor, today: date) -> list[Meeting]:
    """Recurring meetings plan themselves: for each kind that has meetings but none planned
    from ``today`` on, plan the next one in the rhythm of the latest (see
    :func:`following_day`). Idempotent, and safe when two processes run it at once (they
    take the planning lock in turn, the second finds the first's meeting). Returns what it
    planned (usually nothing)."""
    require(actor, "meeting.run")

    def wanted() -> list[tuple[str, Meeting]]:
        out = []
        for kind in MeetingKind:
            latest = session.exec(
                select(Meeting)
                .where(Meeting.kind == kind.value)
                .order_by(col(Meeting.held_on).desc(), col(Meeting.id).desc())
            ).first()
            if latest is None:
                continue  # a kind recurs once its first meeting is planned
            if next_meeting(session, today=today, kind=kind.value) is None:
                out.append((kind.value, latest))
        return out

    if not wanted():  # the usual case: nothing to plan, nothing written
        return []
    serialise_planning(session)
    planned = []
    for kind, latest in wanted():
        made = plan_after(session, actor=actor, kind=kind, last=latest, today=today)
        if made is not None:
            planned.append(made)
    bump_data_version(session)
    session.commit()
    return planned
