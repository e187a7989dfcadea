"""Weekly smarketing and monthly leadership meetings: planning, the agenda, notes (one row
per author and step, never a silent last-write-wins), decisions, ratings, closing with a
frozen scorecard and the minutes, admin corrections, and search.

Closed meetings are read-only except for admins (``meeting.correct_closed``); every such
correction is audited and rewrites the minutes from the same frozen scorecard.
"""

from __future__ import annotations

import calendar
import json
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta

import pandas as pd
from sqlalchemy import case, exists, or_, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, func, select

from smarketing import config
from smarketing.auth import audit, people
from smarketing.auth.permissions import Actor, allowed, require
from smarketing.errors import InvalidInput, NotFound, PermissionDenied
from smarketing.meetings.agenda import (
    agenda_json,
    agenda_template,
    checked_kind,
    checked_steps,
    parse_agenda,
)
from smarketing.sla.agreements import agreement_for
from smarketing.sla.metrics import (
    FALLBACK_RESPONSE_HOURS,
    SlaReport,
    Window,
    metrics_from,
    scorecard_frame,
    trailing_periods,
    window_figures,
)
from smarketing.sla.periods import Period, PeriodKind, local_date, period_containing
from smarketing.store.adoption import adopt
from smarketing.store.db import bump_data_version
from smarketing.store.models import (
    Decision,
    Meeting,
    MeetingAttendee,
    MeetingKind,
    MeetingNote,
    MeetingRating,
    MeetingStatus,
    SlaAgreement,
)

MAX_TITLE = 200
MAX_NOTE = 20_000
MAX_DECISION = 2000
MAX_DECIDED_BY = 200
#: The SLA reports frozen at close: the period kinds around the meeting day.
REPORT_KINDS = {
    MeetingKind.weekly: (PeriodKind.week, PeriodKind.month),
    MeetingKind.monthly: (PeriodKind.month, PeriodKind.quarter),
}
#: The trailing scorecard frozen at close: 13 weeks for weekly, 13 months for monthly.
TRAILING_KIND = {MeetingKind.weekly: PeriodKind.week, MeetingKind.monthly: PeriodKind.month}
TRAILING_COUNT = 13
#: Version of the frozen scorecard's JSON layout (``Meeting.scorecard``).
SCORECARD_FORMAT = 1
SCORECARD_COLUMNS = [
    "period",
    "period_start",
    "metric",
    "metric_label",
    "text",
    "status",
    "status_text",
]
NOTE_COLUMNS = ["step", "author", "body", "revision", "updated_at"]
DECISION_COLUMNS = [
    "id",
    "meeting_id",
    "meeting",
    "held_on",
    "text",
    "decided_by",
    "decided_on",
    "metric",
    "sla_version",
    "created_by",
]
SEARCH_COLUMNS = ["id", "held_on", "kind", "title", "status", "found_in"]


class NoteConflict(InvalidInput):
    """The author's note changed elsewhere (another tab) since their editor loaded it.

    Carries both texts, so the page can show them side by side; nothing was written."""

    def __init__(
        self,
        *,
        step: str,
        author: str,
        stored_body: str,
        stored_revision: int,
        your_body: str,
        your_revision: int | None,
        step_title: str | None = None,
    ):
        self.step = step
        self.step_title = step_title or step
        self.author = author
        self.stored_body = stored_body
        self.stored_revision = stored_revision
        self.your_body = your_body
        self.your_revision = your_revision
        super().__init__(
            f"your note on {step_title or step!r} was changed in another window since you started "
            f"(you started from revision {your_revision or 0}, it is now at revision "
            f"{stored_revision}): nothing was overwritten. Both texts are shown: merge them "
            "and save again."
        )


class EmptyNote(InvalidInput):
    """An empty text would have replaced a written note; nothing was written. Carries the
    stored note, so the page can put its text back in the box."""

    def __init__(self, *, step: str, step_title: str, stored: MeetingNote):
        self.step = step
        self.stored_body = stored.body
        self.stored_revision = stored.revision
        super().__init__(
            f"your note on {step_title!r} is kept as saved: an empty box does not delete it. "
            "To delete it, use “Delete my note”."
        )


# --- reading -----------------------------------------------------------------------------


def _aware(moment: datetime, what: str = "now") -> datetime:
    if not isinstance(moment, datetime) or moment.utcoffset() is None:
        raise InvalidInput(f"{what} must be a timezone-aware time (got {moment!r})")
    return moment.astimezone(UTC)


def meeting_by_id(session: Session, meeting_id: int) -> Meeting:
    """The meeting, or NotFound."""
    meeting = session.get(Meeting, meeting_id) if isinstance(meeting_id, int) else None
    if meeting is None:
        raise NotFound(f"there is no meeting with id {meeting_id}")
    return meeting


def meetings(session: Session, *, kind: str | None = None) -> list[Meeting]:
    """Every meeting (of one kind), newest first."""
    query = select(Meeting)
    if kind:
        query = query.where(Meeting.kind == checked_kind(kind))
    return list(session.exec(query.order_by(col(Meeting.held_on).desc(), col(Meeting.id).desc())))


def agenda_of(meeting: Meeting) -> list[dict]:
    """The meeting's agenda steps ({key, title, minutes, kind}), in order."""
    return parse_agenda(meeting.agenda)


def is_closed(meeting: Meeting) -> bool:
    """True once the meeting is closed (its minutes are final)."""
    return meeting.status == MeetingStatus.closed


def next_meeting(session: Session, *, today: date, kind: str | None = None) -> Meeting | None:
    """The first meeting not yet closed that is held today or later."""
    query = select(Meeting).where(Meeting.status != MeetingStatus.closed, Meeting.held_on >= today)
    if kind:
        query = query.where(Meeting.kind == checked_kind(kind))
    return session.exec(query.order_by(col(Meeting.held_on), col(Meeting.id))).first()


def latest_open_meeting(session: Session, *, kind: str | None = None) -> Meeting | None:
    """The meeting to resume: a running one first, else the newest one not closed."""
    query = select(Meeting).where(Meeting.status != MeetingStatus.closed)
    if kind:
        query = query.where(Meeting.kind == checked_kind(kind))
    running_first = case((Meeting.status == MeetingStatus.running, 0), else_=1)
    return session.exec(
        query.order_by(running_first, col(Meeting.held_on).desc(), col(Meeting.id).desc())
    ).first()


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
    """'Weekly smarketing — week 47' or 'Leadership monthly — November 2026'."""
    if checked_kind(kind) == MeetingKind.weekly:
        return f"Weekly smarketing — week {held_on.isocalendar().week}"
    return f"Leadership monthly — {calendar.month_name[held_on.month]} {held_on.year}"


def display_names(session: Session, usernames: Sequence[str]) -> dict[str, str]:
    """Username → the person's name (see :mod:`smarketing.people`; unknown ones stay)."""
    return people.display_names(session, usernames)


def upcoming_meetings(session: Session, *, today: date) -> list[Meeting]:
    """Meetings still ahead: not closed and held today or later, or running; by day."""
    query = select(Meeting).where(
        Meeting.status != MeetingStatus.closed,
        or_(Meeting.held_on >= today, Meeting.status == MeetingStatus.running),
    )
    return list(session.exec(query.order_by(col(Meeting.held_on), col(Meeting.id))))


def _is_past(today: date):
    """SQL: the meeting is past on ``today`` — closed (whatever its day), or held before."""
    return or_(Meeting.status == MeetingStatus.closed, Meeting.held_on < today)


def latest_past_day(session: Session, *, today: date) -> date | None:
    """The day of the newest past meeting (a meeting closed early may be dated after today)."""
    return session.exec(select(func.max(Meeting.held_on)).where(_is_past(today))).one()


# --- planning, agenda, start --------------------------------------------------------------


def _checked_title(title: str) -> str:
    text = " ".join(str(title or "").split())
    if not text:
        raise InvalidInput("give the meeting a title")
    if len(text) > MAX_TITLE:
        raise InvalidInput(f"keep the title to {MAX_TITLE} characters (it has {len(text)})")
    return text


def _serialise_planning(session: Session) -> None:
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
        meeting.created_at = _aware(now)
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
        raise InvalidInput(f"the meeting day must be a date (got {held_on!r})")
    title = _checked_title(title if title is not None else default_title(kind, held_on))
    _serialise_planning(session)
    twin = _twin(session, kind, held_on)
    if twin is not None:
        session.rollback()
        raise InvalidInput(
            f"there is already a {kind} meeting on {held_on.isoformat()} "
            f"(#{twin.id} {twin.title!r}): open that one instead"
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


def _plan_after(
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
    _serialise_planning(session)
    planned = []
    for kind, latest in wanted():
        made = _plan_after(session, actor=actor, kind=kind, last=latest, today=today)
        if made is not None:
            planned.append(made)
    bump_data_version(session)
    session.commit()
    return planned


def _open_for(actor: Actor, meeting: Meeting) -> None:
    """PermissionDenied on a closed meeting unless the actor may correct closed meetings."""
    if is_closed(meeting) and not allowed(actor, "meeting.correct_closed"):
        raise PermissionDenied(
            f"{meeting.title!r} is closed and its minutes are final; only an admin may "
            "correct a closed meeting (the correction is audited)"
        )


def set_agenda(session: Session, *, actor: Actor, meeting_id: int, steps: list[dict]) -> Meeting:
    """Replace a meeting's agenda (not once it is closed). A step that has notes cannot be
    removed: its key stays, so rename it instead."""
    require(actor, "meeting.run")
    meeting = meeting_by_id(session, meeting_id)
    if is_closed(meeting):
        raise InvalidInput(f"{meeting.title!r} is closed: its agenda is part of the minutes")
    checked = checked_steps(steps)
    keys = {s["key"] for s in checked}
    noted = session.exec(
        select(MeetingNote.step, MeetingNote.author).where(
            MeetingNote.meeting_id == meeting.id, MeetingNote.body != ""
        )
    ).all()
    lost = sorted({step for step, _ in noted if step not in keys})
    if lost:
        before = {s["key"]: s["title"] for s in agenda_of(meeting)}
        names = ", ".join(repr(before.get(k, k)) for k in lost)
        raise InvalidInput(
            f"step(s) {names} already have notes: keep them on the agenda (rename them if you "
            "like), so no note is lost"
        )
    before_steps = agenda_of(meeting)
    meeting.agenda = agenda_json(checked)
    adopt(session, meeting)
    session.add(meeting)
    audit.record(
        session,
        actor.username,
        "meeting.agenda",
        "meeting",
        meeting.id,
        old=before_steps,
        new=checked,
    )
    bump_data_version(session)
    session.commit()
    return meeting


class OtherDay(InvalidInput):
    """The meeting is started on another day than planned: the caller asks the person once
    and starts it with ``on_another_day=True``."""

    def __init__(self, meeting: Meeting, today: date):
        self.planned = meeting.held_on
        self.today = today
        super().__init__(
            f"{meeting.title!r} is planned for {_day_text(meeting.held_on)} — start it today, "
            f"{_day_text(today)}?"
        )


def _day_text(day: date) -> str:
    """'Monday 7 Dec'."""
    return f"{day:%A} {day.day} {day:%b}"


def start_meeting(
    session: Session,
    *,
    actor: Actor,
    meeting_id: int,
    now: datetime,
    on_another_day: bool = False,
) -> Meeting:
    """Mark the meeting running (it keeps its first start time; starting twice is harmless);
    the actor facilitates unless someone already does. On another local day than planned it
    raises :class:`OtherDay` unless ``on_another_day`` (the person said yes); the meeting
    keeps its planned day (its scorecard and its place in the rhythm), and the minutes say
    when it was held."""
    require(actor, "meeting.run")
    now = _aware(now)
    meeting = meeting_by_id(session, meeting_id)
    if is_closed(meeting):
        raise InvalidInput(f"{meeting.title!r} is already closed; open its minutes instead")
    if meeting.status == MeetingStatus.running:
        return meeting
    today = local_date(now)
    if today != meeting.held_on and not on_another_day:
        raise OtherDay(meeting, today)
    meeting.status = MeetingStatus.running
    meeting.started_at = meeting.started_at or now
    meeting.facilitator = meeting.facilitator or actor.username
    adopt(session, meeting)
    session.add(meeting)
    audit.record(
        session,
        actor.username,
        "meeting.start",
        "meeting",
        meeting.id,
        **(
            {"planned_for": meeting.held_on, "started_on": today}
            if today != meeting.held_on
            else {}
        ),
    )
    bump_data_version(session)
    session.commit()
    return meeting


def set_facilitator(session: Session, *, actor: Actor, meeting_id: int, username: str) -> Meeting:
    """Who facilitates the meeting (and records everyone's ratings); not once closed
    (admins may correct). Audited."""
    require(actor, "meeting.run")
    meeting = meeting_by_id(session, meeting_id)
    _open_for(actor, meeting)
    username = str(username or "").strip()
    if not username:
        raise InvalidInput("pick who facilitates the meeting")
    if username not in people.directory(session):
        raise InvalidInput(f"{username!r} is not a person the app knows: pick a user")
    before = meeting.facilitator
    if before == username:
        return meeting
    meeting.facilitator = username
    adopt(session, meeting)
    session.add(meeting)
    audit.record(
        session,
        actor.username,
        "meeting.facilitator",
        "meeting",
        meeting.id,
        old=before,
        new=username,
    )
    if is_closed(meeting):
        _rewrite_minutes(session, meeting)
    bump_data_version(session)
    session.commit()
    return meeting


# --- notes --------------------------------------------------------------------------------


def note_of(session: Session, *, meeting_id: int, step: str, author: str) -> MeetingNote | None:
    """One author's note on one step (its ``revision`` is what an editor starts from)."""
    return session.exec(
        select(MeetingNote).where(
            MeetingNote.meeting_id == meeting_id,
            MeetingNote.step == step,
            MeetingNote.author == author,
        )
    ).first()


def _conflict(session: Session, meeting_id, step, title, author, body, expected) -> NoteConflict:
    session.rollback()
    stored = note_of(session, meeting_id=meeting_id, step=step, author=author)
    return NoteConflict(
        step=step,
        step_title=title,
        author=author,
        stored_body=stored.body if stored else "",
        stored_revision=stored.revision if stored else 0,
        your_body=body,
        your_revision=expected,
    )


def save_note(
    session: Session,
    *,
    actor: Actor,
    meeting_id: int,
    step: str,
    body: str,
    expected_revision: int | None,
    now: datetime,
    author: str | None = None,
    clear: bool = False,
) -> MeetingNote | None:
    """Save the author's note on one agenda step and return it with its new revision.

    ``expected_revision`` is the revision the author's editor started from (None or 0 for a
    new note). When the stored note has moved on since (the same author in another browser
    tab), raise :class:`NoteConflict` with the stored text; nothing is overwritten. Other
    authors have their own rows and never conflict. Saving the same text again is a no-op.
    On a closed meeting only an admin may write (audited with old and new text; the minutes
    are rewritten from the frozen scorecard); only an admin may write as another ``author``.

    An empty text (or only spaces) never creates a note (returns the stored one, None when
    there is none) and never replaces a written one: that raises :class:`EmptyNote`, unless
    ``clear`` says the person deliberately deleted their note — then the note is emptied
    (revision + 1) and the deleted text kept in the audit log.
    """
    require(actor, "meeting.run")
    now = _aware(now)
    meeting = meeting_by_id(session, meeting_id)
    author = (author or actor.username).strip()
    if author != actor.username:
        require(actor, "meeting.correct_closed")
    _open_for(actor, meeting)
    steps = {s["key"]: s["title"] for s in agenda_of(meeting)}
    if step not in steps:
        raise InvalidInput(
            f"there is no step {step!r} on the agenda of {meeting.title!r}: copy your text "
            "and add it to one of " + ", ".join(repr(t) for t in steps.values())
        )
    title = steps[step]
    body = "" if body is None else str(body)
    if len(body) > MAX_NOTE:
        raise InvalidInput(f"keep a note to {MAX_NOTE:,} characters (it has {len(body):,})")
    if expected_revision is not None and (
        isinstance(expected_revision, bool) or not isinstance(expected_revision, int)
    ):
        raise InvalidInput(f"expected_revision must be a whole number (got {expected_revision!r})")
    expected = expected_revision or 0
    stored = note_of(session, meeting_id=meeting.id, step=step, author=author)
    old_body = stored.body if stored else ""
    if stored is not None and stored.body == body:
        return stored  # nothing changed (e.g. the same autosave twice)
    empty = not body.strip()
    if clear and not empty:
        raise InvalidInput("clearing a note saves an empty text: empty the box first")
    if empty and (stored is None or not stored.body.strip()):
        return stored  # nothing written, nothing to keep: an empty note is never created
    if empty and not clear:
        raise EmptyNote(step=step, step_title=title, stored=stored)
    adopt(session, meeting)
    if stored is None:
        note = MeetingNote(
            meeting_id=meeting.id,
            step=step,
            author=author,
            body=body,
            revision=1,
            created_at=now,
            updated_at=now,
        )
        session.add(note)
        try:
            session.flush()
        except IntegrityError:  # the same author's other tab created it a moment ago
            raise _conflict(session, meeting.id, step, title, author, body, expected) from None
    else:
        if stored.revision != expected:
            raise NoteConflict(
                step=step,
                step_title=title,
                author=author,
                stored_body=stored.body,
                stored_revision=stored.revision,
                your_body=body,
                your_revision=expected_revision,
            )
        t = MeetingNote.__table__
        changed = session.execute(
            update(t)
            .where(t.c.id == stored.id, t.c.revision == expected)
            .values(body=body, revision=expected + 1, updated_at=now, is_demo=False)
        ).rowcount
        if changed != 1:  # saved elsewhere between our read and our write
            raise _conflict(session, meeting.id, step, title, author, body, expected)
        session.refresh(stored)
        note = stored
    if clear:
        audit.record(
            session,
            actor.username,
            "meeting.clear_note",
            "meeting",
            meeting.id,
            step=step,
            author=author,
            old=old_body,
        )
    if is_closed(meeting):
        audit.record(
            session,
            actor.username,
            "meeting.correct_note",
            "meeting",
            meeting.id,
            step=step,
            author=author,
            old=old_body,
            new=body,
        )
        _rewrite_minutes(session, meeting)
        bump_data_version(session)
    session.commit()
    return note


def notes_for(session: Session, meeting_id: int) -> pd.DataFrame:
    """The meeting's notes in agenda order, then by author: step, author, body, revision,
    updated_at (steps no longer on the agenda last)."""
    meeting = meeting_by_id(session, meeting_id)
    order = {s["key"]: i for i, s in enumerate(agenda_of(meeting))}
    rows = session.exec(
        select(MeetingNote).where(MeetingNote.meeting_id == meeting.id).order_by(MeetingNote.id)
    ).all()
    rows = sorted(rows, key=lambda n: (order.get(n.step, len(order)), n.step, n.author))
    return pd.DataFrame(
        [{c: getattr(n, c) for c in NOTE_COLUMNS} for n in rows], columns=NOTE_COLUMNS
    )


# --- decisions and ratings ------------------------------------------------------------------


def add_decision(
    session: Session,
    *,
    actor: Actor,
    meeting_id: int,
    text: str,
    decided_by: str | Sequence[str],
    decided_on: date,
    metric: str | None = None,
    sla_version: int | None = None,
    now: datetime | None = None,
) -> Decision:
    """Record a decision taken in a meeting, optionally linked to an SLA metric or agreement
    version (on a closed meeting: admin only, audited, the minutes rewritten); ``now``: when
    it was recorded (default the clock). ``decided_by`` is the people picked (usernames, or
    names of people without an account; stored with :func:`smarketing.people.join_people`)
    or, as before, a free text such as 'marketing and sales'."""
    from smarketing.sla.metrics import METRIC_BY_KEY

    require(actor, "meeting.run")
    meeting = meeting_by_id(session, meeting_id)
    _open_for(actor, meeting)
    text = str(text or "").strip()
    if not text:
        raise InvalidInput("write the decision: it needs a few words")
    if len(text) > MAX_DECISION:
        raise InvalidInput(f"keep the decision to {MAX_DECISION} characters (it has {len(text)})")
    if isinstance(decided_by, str):
        decided_by = " ".join(decided_by.split())
    else:
        decided_by = people.join_people(list(decided_by or []), limit=MAX_DECIDED_BY)
    if not decided_by:
        raise InvalidInput("say who decided (a person, or e.g. 'marketing and sales')")
    if len(decided_by) > MAX_DECIDED_BY:
        raise InvalidInput(f"keep 'decided by' to {MAX_DECIDED_BY} characters")
    if not isinstance(decided_on, date) or isinstance(decided_on, datetime):
        raise InvalidInput(f"the decision day must be a date (got {decided_on!r})")
    metric = metric or None
    if metric is not None and metric not in METRIC_BY_KEY:
        raise InvalidInput(f"unknown metric {metric!r}; use one of " + ", ".join(METRIC_BY_KEY))
    if sla_version is not None:
        found = session.exec(
            select(SlaAgreement.id).where(SlaAgreement.version == sla_version)
        ).first()
        if found is None:
            raise InvalidInput(f"there is no SLA agreement version {sla_version}")
    adopt(session, meeting)
    decision = Decision(
        meeting_id=meeting.id,
        text=text,
        decided_by=decided_by,
        decided_on=decided_on,
        metric=metric,
        sla_version=sla_version,
        created_by=actor.username,
    )
    if now is not None:
        decision.created_at = _aware(now)
    session.add(decision)
    session.flush()
    closed = is_closed(meeting)
    audit.record(
        session,
        actor.username,
        "meeting.correct_decision" if closed else "meeting.decision",
        "decision",
        decision.id,
        meeting=meeting.id,
        text=text,
        metric=metric,
        sla_version=sla_version,
    )
    if closed:
        _rewrite_minutes(session, meeting)
    bump_data_version(session)
    session.commit()
    return decision


def decisions_for(session: Session, meeting_id: int | None = None) -> pd.DataFrame:
    """One meeting's decisions as recorded, or (no id) the decisions log, newest first:
    id, meeting_id, meeting, held_on, text, decided_by, decided_on, metric, sla_version,
    created_by."""
    query = select(Decision, Meeting.title, Meeting.held_on).join(
        Meeting, Meeting.id == Decision.meeting_id, isouter=True
    )
    if meeting_id is not None:
        query = query.where(Decision.meeting_id == meeting_id).order_by(col(Decision.id))
    else:
        query = query.order_by(col(Decision.decided_on).desc(), col(Decision.id).desc())
    rows = [
        {
            "id": d.id,
            "meeting_id": d.meeting_id,
            "meeting": title,
            "held_on": held_on,
            "text": d.text,
            "decided_by": d.decided_by,
            "decided_on": d.decided_on,
            "metric": d.metric,
            "sla_version": d.sla_version,
            "created_by": d.created_by,
        }
        for d, title, held_on in session.exec(query).all()
    ]
    return pd.DataFrame(rows, columns=DECISION_COLUMNS)


def _checked_rating(rating: int) -> int:
    if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 10:
        raise InvalidInput(f"rate the meeting with a whole number from 1 to 10 (got {rating!r})")
    return rating


def _upsert_rating(session: Session, meeting: Meeting, username: str, rating: int):
    query = select(MeetingRating).where(
        MeetingRating.meeting_id == meeting.id, MeetingRating.username == username
    )
    row = session.exec(query).first() or MeetingRating(
        meeting_id=meeting.id, username=username, rating=rating
    )
    before = row.rating if row.id is not None else None
    row.rating = rating
    session.add(row)
    return row, before


def rate_meeting(
    session: Session,
    *,
    actor: Actor,
    meeting_id: int,
    rating: int,
    username: str | None = None,
) -> MeetingRating:
    """A 1–10 rating of the meeting (rating again replaces it); not once closed. Without
    ``username`` the actor rates it; the facilitator (or an admin) may record the rating of
    any attendee with an account (``username``) — see :func:`rate_attendee` for guests. The
    person rated is on the attendee list afterwards. Audited."""
    require(actor, "meeting.run")
    meeting = meeting_by_id(session, meeting_id)
    if is_closed(meeting):
        raise InvalidInput(f"{meeting.title!r} is closed: ratings are given before it closes")
    rating = _checked_rating(rating)
    username = (username or actor.username).strip()
    if username != actor.username:
        _require_facilitator(session, actor, meeting)
    for attempt in (1, 2):
        try:
            row, before = _upsert_rating(session, meeting, username, rating)
            attendee = _ensure_attendee(session, actor, meeting, username=username)
            adopt(session, meeting, row, attendee)
            audit.record(
                session,
                actor.username,
                "meeting.rate",
                "meeting",
                meeting.id,
                person=username,
                rating=rating,
                replaces=before,
            )
            bump_data_version(session)
            session.commit()
        except IntegrityError:  # the same person rated from another tab a moment ago
            session.rollback()
            if attempt == 2:
                raise
            continue
        return row
    raise AssertionError("unreachable")  # pragma: no cover


def _require_facilitator(session: Session, actor: Actor, meeting: Meeting) -> None:
    """Only the facilitator (or an admin) records other people's ratings."""
    if actor.username == meeting.facilitator or allowed(actor, "meeting.correct_closed"):
        return
    raise PermissionDenied(
        "only the meeting's facilitator records other people's ratings (the facilitator is "
        f"{people.display_name(session, meeting.facilitator)}): rate it yourself, or take over as "
        "facilitator"
    )


# --- attendees ----------------------------------------------------------------------------

MAX_GUEST = 100
ATTENDEE_COLUMNS = ["id", "username", "guest_name", "name", "rating", "is_guest"]


def _guest(name: str) -> str:
    text = " ".join(str(name or "").split())
    if not text:
        raise InvalidInput("write the guest's name")
    if len(text) > MAX_GUEST:
        raise InvalidInput(f"keep a guest's name to {MAX_GUEST} characters (it has {len(text)})")
    if "," in text:
        raise InvalidInput(f"one guest per entry, without a comma (got {text!r})")
    return text


def _ensure_attendee(
    session: Session, actor: Actor, meeting: Meeting, *, username: str
) -> MeetingAttendee:
    found = session.exec(
        select(MeetingAttendee).where(
            MeetingAttendee.meeting_id == meeting.id, MeetingAttendee.username == username
        )
    ).first()
    if found is not None:
        return found
    row = MeetingAttendee(meeting_id=meeting.id, username=username, added_by=actor.username)
    session.add(row)
    session.flush()
    return row


def attendees_of(session: Session, meeting_id: int) -> list[MeetingAttendee]:
    """The meeting's attendee list as stored, in the order people were added."""
    return list(
        session.exec(
            select(MeetingAttendee)
            .where(MeetingAttendee.meeting_id == meeting_id)
            .order_by(col(MeetingAttendee.id))
        ).all()
    )


def attendee_frame(session: Session, meeting_id: int) -> pd.DataFrame:
    """The attendees with their names and ratings, by name: id, username (None for a
    guest), guest_name, name, rating (None when not rated), is_guest."""
    rows = attendees_of(session, meeting_id)
    names = people.display_names(session, [a.username for a in rows])
    ratings = dict(
        session.exec(
            select(MeetingRating.username, MeetingRating.rating).where(
                MeetingRating.meeting_id == meeting_id
            )
        ).all()
    )
    frame = pd.DataFrame(
        [
            {
                "id": a.id,
                "username": a.username,
                "guest_name": a.guest_name,
                "name": names.get(a.username, a.username) if a.username else a.guest_name,
                "rating": ratings.get(a.username) if a.username else a.rating,
                "is_guest": a.username is None,
            }
            for a in rows
        ],
        columns=ATTENDEE_COLUMNS,
    )
    frame["rating"] = frame["rating"].astype("Int64")
    return frame.sort_values("name", key=lambda c: c.str.lower(), kind="stable").reset_index(
        drop=True
    )


def set_attendees(
    session: Session,
    *,
    actor: Actor,
    meeting_id: int,
    usernames: Sequence[str],
    guests: Sequence[str] = (),
) -> list[MeetingAttendee]:
    """Make the attendee list exactly these people (users or the demo's cast by username,
    guests by name); who was added and removed is audited, with a removed guest's rating.
    Not once closed (admins may correct)."""
    require(actor, "meeting.run")
    meeting = meeting_by_id(session, meeting_id)
    _open_for(actor, meeting)
    known = people.directory(session)
    wanted_users = list(dict.fromkeys(str(u).strip() for u in usernames if str(u).strip()))
    unknown = [u for u in wanted_users if u not in known or u in people.APP_ACTORS]
    if unknown:
        raise InvalidInput(
            "pick attendees from the app's people; add anyone else as a guest by name "
            f"(unknown: {', '.join(unknown)})"
        )
    wanted_guests: dict[str, str] = {}
    for g in guests:
        if str(g or "").strip():
            name = _guest(g)
            wanted_guests.setdefault(name.casefold(), name)
    current = attendees_of(session, meeting.id)
    added, removed = [], []
    for a in current:
        keep = (
            a.username in wanted_users
            if a.username
            else (a.guest_name or "").casefold() in wanted_guests
        )
        if not keep:
            removed.append({"person": a.username or a.guest_name, "rating": a.rating})
            session.delete(a)
    have_users = {a.username for a in current if a.username}
    have_guests = {(a.guest_name or "").casefold() for a in current if not a.username}
    for u in wanted_users:
        if u not in have_users:
            session.add(MeetingAttendee(meeting_id=meeting.id, username=u, added_by=actor.username))
            added.append(u)
    for key, name in wanted_guests.items():
        if key not in have_guests:
            session.add(
                MeetingAttendee(meeting_id=meeting.id, guest_name=name, added_by=actor.username)
            )
            added.append(name)
    if not added and not removed:
        return current
    adopt(session, meeting)
    session.flush()
    audit.record(
        session,
        actor.username,
        "meeting.attendees",
        "meeting",
        meeting.id,
        added=added,
        removed=removed,
    )
    if is_closed(meeting):
        _rewrite_minutes(session, meeting)
    bump_data_version(session)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise InvalidInput(
            "the attendee list changed in another window at the same moment: look again and "
            "save once more"
        ) from None
    return attendees_of(session, meeting.id)


def rate_attendee(
    session: Session, *, actor: Actor, meeting_id: int, attendee_id: int, rating: int | None
) -> None:
    """The facilitator records (or, with None, removes) one attendee's 1–10 rating — a
    user's as their MeetingRating, a guest's on the attendee row. People may rate
    themselves; anyone else's rating needs the facilitator (or an admin). Audited."""
    require(actor, "meeting.run")
    meeting = meeting_by_id(session, meeting_id)
    if is_closed(meeting):
        raise InvalidInput(f"{meeting.title!r} is closed: ratings are given before it closes")
    attendee = session.get(MeetingAttendee, attendee_id)
    if attendee is None or attendee.meeting_id != meeting.id:
        raise NotFound(f"attendee {attendee_id} is not on the list of {meeting.title!r}")
    if attendee.username != actor.username:
        _require_facilitator(session, actor, meeting)
    if rating is not None:
        rating = _checked_rating(rating)
    if attendee.username:
        if rating is None:
            row = session.exec(
                select(MeetingRating).where(
                    MeetingRating.meeting_id == meeting.id,
                    MeetingRating.username == attendee.username,
                )
            ).first()
            before = row.rating if row else None
            if row is not None:
                session.delete(row)
        else:
            _, before = _upsert_rating(session, meeting, attendee.username, rating)
    else:
        before, attendee.rating = attendee.rating, rating
        session.add(attendee)
    if before == rating:
        session.rollback()
        return
    adopt(session, meeting, attendee)
    audit.record(
        session,
        actor.username,
        "meeting.rate",
        "meeting",
        meeting.id,
        person=attendee.username or attendee.guest_name,
        guest=attendee.username is None,
        rating=rating,
        replaces=before,
    )
    bump_data_version(session)
    session.commit()


def rating_summary(session: Session, meeting_id: int) -> tuple[float | None, int]:
    """(average rating, number of ratings) of a meeting — users' and guests' — and
    (None, 0) before the first one."""
    users_avg, users_n = session.exec(
        select(func.avg(MeetingRating.rating), func.count(MeetingRating.id)).where(
            MeetingRating.meeting_id == meeting_id
        )
    ).one()
    guests_avg, guests_n = session.exec(
        select(func.avg(MeetingAttendee.rating), func.count(MeetingAttendee.rating)).where(
            MeetingAttendee.meeting_id == meeting_id, col(MeetingAttendee.username).is_(None)
        )
    ).one()
    count = int(users_n) + int(guests_n)
    if not count:
        return None, 0
    total = float(users_avg or 0) * int(users_n) + float(guests_avg or 0) * int(guests_n)
    return round(total / count, 1), count


def rating_of(session: Session, meeting_id: int, username: str) -> int | None:
    """One user's rating of the meeting, if they gave one."""
    return session.exec(
        select(MeetingRating.rating).where(
            MeetingRating.meeting_id == meeting_id, MeetingRating.username == username
        )
    ).first()


# --- the frozen scorecard -------------------------------------------------------------------


def _report_json(report: SlaReport) -> dict:
    out = report.to_json()
    out["label"] = report.period.label()
    out["so_far"] = report.period.as_of < report.period.end
    for entry, m in zip(out["metrics"], report.metrics, strict=True):
        entry |= {"label": m.label, "kind": m.kind, "better": m.better}
    return out


def scorecard_day(held_on: date) -> date:
    """The day a meeting's scorecard counts up to: the day before the meeting, so a Monday
    meeting looks at the full week just ended and the month so far (on the 1st: the month
    just ended)."""
    return held_on - timedelta(days=1)


def scorecard_snapshots(
    session: Session, wanted: Sequence[tuple[str, date, datetime]]
) -> list[dict]:
    """:func:`scorecard_snapshot` for many (kind, held_on, now) at once, computing each
    distinct period only once (the demo freezes a year of meetings this way)."""
    plans = []
    needed: dict[tuple[Period, datetime], None] = {}
    for kind, held_on, now in wanted:
        kind = checked_kind(kind)
        now = _aware(now)
        day = scorecard_day(held_on)
        main = [period_containing(k, day) for k in REPORT_KINDS[kind]]
        trailing = trailing_periods(TRAILING_KIND[kind], day, TRAILING_COUNT)
        # a period's figures depend on `now` only up to the end of its window
        keys = [(p, min(now, p.window()[1])) for p in (*main, *trailing)]
        needed.update(dict.fromkeys(keys))
        plans.append((kind, held_on, now, keys[: len(main)], keys[len(main) :]))
    reports = _reports(session, list(needed))
    # one scorecard frame for every distinct trailing period, sliced per meeting below
    distinct = list(dict.fromkeys(k for *_, trailing_keys in plans for k in trailing_keys))
    frame = scorecard_frame([reports[k] for k in distinct], short=True)
    frame["period_start"] = frame["period_start"].map(date.isoformat)
    records = frame[SCORECARD_COLUMNS].to_dict(orient="records")
    rows_of, at = {}, 0
    for key in distinct:
        n = len(reports[key].metrics)
        rows_of[key], at = records[at : at + n], at + n
    return [
        {
            "format": SCORECARD_FORMAT,
            "meeting_kind": kind,
            "as_of": scorecard_day(held_on).isoformat(),
            "computed_at": now.isoformat(),
            "timezone": config.timezone_name(),
            "reports": [_report_json(reports[k]) for k in main_keys],
            "trailing": {
                "kind": TRAILING_KIND[kind].value,
                "rows": [dict(row) for k in trailing_keys for row in rows_of[k]],
            },
        }
        for kind, held_on, now, main_keys, trailing_keys in plans
    ]


def _reports(
    session: Session, keys: list[tuple[Period, datetime]]
) -> dict[tuple[Period, datetime], SlaReport]:
    """``sla_reports(session, [period], now=cutoff)`` for every (period, cutoff), in one
    pass, looking up the agreement in effect once per distinct start day."""
    agreements: dict[date, SlaAgreement | None] = {}
    windows = []
    for period, cutoff in keys:
        if period.start not in agreements:
            agreements[period.start] = agreement_for(session, period.start)
        agreement = agreements[period.start]
        start, end = period.window()
        hours = agreement.response_hours if agreement else FALLBACK_RESPONSE_HOURS
        windows.append(Window(start, end, min(end, cutoff), hours))
    figures = window_figures(session, windows)
    return {
        (period, cutoff): SlaReport(
            period, agreements[period.start], metrics_from(f, period, agreements[period.start])
        )
        for (period, cutoff), f in zip(keys, figures, strict=True)
    }


def scorecard_snapshot(session: Session, *, kind: str, held_on: date, now: datetime) -> dict:
    """The scorecard as it stands at ``now`` for a meeting held on ``held_on``: the SLA
    reports of the week and month containing ``scorecard_day`` (monthly meetings: month and
    quarter)
    and the trailing 13 weeks (months) as scorecard rows — JSON-ready, frozen at close."""
    return scorecard_snapshots(session, [(kind, held_on, now)])[0]


def frozen_scorecard(meeting: Meeting) -> dict | None:
    """The scorecard stored when the meeting closed (None while it is open)."""
    if not meeting.scorecard:
        return None
    try:
        value = json.loads(meeting.scorecard)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def snapshot_frame(snapshot: dict | None) -> pd.DataFrame:
    """The snapshot's trailing scorecard as :func:`smarketing.sla.scorecard_frame` builds it
    (period, period_start, metric, metric_label, text, status, status_text), ready for
    ``charts.scorecard_chart``."""
    rows = ((snapshot or {}).get("trailing") or {}).get("rows") or []
    frame = pd.DataFrame(rows, columns=SCORECARD_COLUMNS)
    frame["period_start"] = frame["period_start"].map(date.fromisoformat)
    return frame


# --- closing and corrections --------------------------------------------------------------


def _rewrite_minutes(session: Session, meeting: Meeting) -> None:
    """Write the minutes from the stored rows and the frozen scorecard (no commit)."""
    from smarketing.meetings.minutes import minutes_markdown

    session.flush()
    meeting.minutes = minutes_markdown(session, meeting.id)
    session.add(meeting)


def close_meeting(session: Session, *, actor: Actor, meeting_id: int, now: datetime) -> Meeting:
    """Close the meeting in one transaction: freeze the scorecard as it stands at ``now``,
    carry every reviewed action still open over to the next meeting, write the minutes, and
    plan the next meeting of its kind in its rhythm (see :func:`following_day`) unless one
    is already planned after it."""
    from smarketing.meetings import actions

    require(actor, "meeting.run")
    now = _aware(now)
    meeting = meeting_by_id(session, meeting_id)
    if is_closed(meeting):
        raise InvalidInput(_closed_text(meeting))
    try:
        snapshot = scorecard_snapshot(session, kind=meeting.kind, held_on=meeting.held_on, now=now)
        t = Meeting.__table__
        claimed = session.execute(  # only one of two people pressing "close" gets here
            update(t)
            .where(t.c.id == meeting.id, t.c.status != MeetingStatus.closed)
            .values(
                status=MeetingStatus.closed,
                closed_at=now,
                closed_by=actor.username,
                scorecard=json.dumps(snapshot, ensure_ascii=False),
                is_demo=False,  # a person closed it: the team's own meeting now
            )
        ).rowcount
        if claimed != 1:
            session.rollback()
            session.refresh(meeting)
            raise InvalidInput(_closed_text(meeting))
        session.refresh(meeting)
        carried = actions.carry_over(session, meeting=meeting, actor_name=actor.username)
        _rewrite_minutes(session, meeting)
        audit.record(
            session,
            actor.username,
            "meeting.close",
            "meeting",
            meeting.id,
            title=meeting.title,
            carried_over=carried,
        )
        _serialise_planning(session)
        _plan_after(
            session,
            actor=actor,
            kind=meeting.kind,
            last=meeting,
            today=max(meeting.held_on, local_date(now)),
        )
        bump_data_version(session)
        session.commit()
    except Exception:
        session.rollback()
        raise
    return meeting


def _closed_text(meeting: Meeting) -> str:
    when = ""
    if meeting.closed_at is not None:
        local = meeting.closed_at.astimezone(config.business_tz())
        when = f" on {local:%Y-%m-%d %H:%M}"
    who = f" by {meeting.closed_by}" if meeting.closed_by else ""
    return f"{meeting.title!r} is already closed{when}{who}; its minutes are final"


def correct_closed_meeting(
    session: Session, *, actor: Actor, meeting_id: int, title: str | None = None
) -> Meeting:
    """Admin: correct a closed meeting's title (optional) and rewrite its minutes from the
    stored notes, decisions and actions and the same frozen scorecard; audited."""
    require(actor, "meeting.correct_closed")
    meeting = meeting_by_id(session, meeting_id)
    if not is_closed(meeting):
        raise InvalidInput(f"{meeting.title!r} is not closed: change it in the meeting itself")
    old_title, old_minutes = meeting.title, meeting.minutes or ""
    adopt(session, meeting)
    if title is not None:
        meeting.title = _checked_title(title)
    _rewrite_minutes(session, meeting)
    audit.record(
        session,
        actor.username,
        "meeting.correct",
        "meeting",
        meeting.id,
        old_title=old_title,
        new_title=meeting.title,
        minutes_changed=old_minutes != meeting.minutes,
    )
    bump_data_version(session)
    session.commit()
    return meeting


# --- search -------------------------------------------------------------------------------


def _match(column, text: str):
    """Case-insensitive substring match, wildcards in ``text`` taken literally."""
    match = func.lower(column).contains(text.lower(), autoescape=True)
    if not text.isascii():  # SQLite's lower() folds ASCII only: also match as typed
        match = or_(match, column.contains(text, autoescape=True))
    return match


def search_meetings(
    session: Session,
    *,
    text: str | None = None,
    start: date | None = None,
    end: date | None = None,
    kind: str | None = None,
    past_on: date | None = None,
) -> pd.DataFrame:
    """Meetings held from ``start`` through ``end`` whose title, notes, decisions or minutes
    contain ``text`` (any case), newest first: id, held_on, kind, title, status, found_in
    (where the text was found, e.g. 'notes, decisions'; empty without a text). With
    ``past_on``, only the meetings past on that day: closed (whatever their day: a meeting
    closed before its planned day is past) or held before it."""
    query = select(Meeting.id, Meeting.held_on, Meeting.kind, Meeting.title, Meeting.status)
    if past_on is not None:
        query = query.where(_is_past(past_on))
    if kind:
        query = query.where(Meeting.kind == checked_kind(kind))
    if start is not None:
        query = query.where(Meeting.held_on >= start)
    if end is not None:
        query = query.where(Meeting.held_on <= end)
    text = (text or "").strip()
    sources = {}
    if text:
        sources = {
            "title": _match(Meeting.title, text),
            "notes": exists().where(
                MeetingNote.meeting_id == Meeting.id, _match(MeetingNote.body, text)
            ),
            "decisions": exists().where(
                Decision.meeting_id == Meeting.id, _match(Decision.text, text)
            ),
            "minutes": _match(func.coalesce(Meeting.minutes, ""), text),
        }
        query = query.add_columns(*(case((cond, 1), else_=0) for cond in sources.values()))
        query = query.where(or_(*sources.values()))
    query = query.order_by(col(Meeting.held_on).desc(), col(Meeting.id).desc())
    rows = []
    for row in session.exec(query).all():
        found = [name for name, hit in zip(sources, row[5:], strict=True) if hit]
        rows.append(dict(zip(SEARCH_COLUMNS, [*row[:5], ", ".join(found)], strict=True)))
    return pd.DataFrame(rows, columns=SEARCH_COLUMNS)
