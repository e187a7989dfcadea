"""Looking meetings up: by id, by kind, the next, upcoming and past ones, a meeting's agenda,
notes, decisions, attendees and ratings, and the search over them; plus the checks every
meeting write shares (an aware time, a meeting still open)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pandas as pd
from sqlalchemy import case, exists, or_
from sqlmodel import Session, col, func, select

from smarketing.auth import people
from smarketing.auth.permissions import Actor, allowed
from smarketing.errors import InvalidInput, NotFound, PermissionDenied
from smarketing.i18n import _
from smarketing.meetings.agenda import checked_kind, parse_agenda
from smarketing.store.models import (
    Decision,
    Meeting,
    MeetingAttendee,
    MeetingNote,
    MeetingRating,
    MeetingStatus,
)

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
ATTENDEE_COLUMNS = ["id", "username", "guest_name", "name", "rating", "is_guest"]
SEARCH_COLUMNS = ["id", "held_on", "kind", "title", "status", "found_in"]


# --- meetings -----------------------------------------------------------------------------


def meeting_by_id(session: Session, meeting_id: int) -> Meeting:
    """The meeting, or NotFound."""
    meeting = session.get(Meeting, meeting_id) if isinstance(meeting_id, int) else None
    if meeting is None:
        raise NotFound(_("there is no meeting with id {id}").format(id=meeting_id))
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


# --- what a meeting holds: notes, decisions, attendees, ratings ---------------------------


def note_of(session: Session, *, meeting_id: int, step: str, author: str) -> MeetingNote | None:
    """One author's note on one step (its ``revision`` is what an editor starts from)."""
    return session.exec(
        select(MeetingNote).where(
            MeetingNote.meeting_id == meeting_id,
            MeetingNote.step == step,
            MeetingNote.author == author,
        )
    ).first()


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


# --- checks every meeting write shares ----------------------------------------------------


def utc_time(moment: datetime, what: str = "now") -> datetime:
    """``moment`` in UTC; InvalidInput unless it is a timezone-aware time."""
    if not isinstance(moment, datetime) or moment.utcoffset() is None:
        raise InvalidInput(f"{what} must be a timezone-aware time (got {moment!r})")
    return moment.astimezone(UTC)


def require_open(actor: Actor, meeting: Meeting) -> None:
    """PermissionDenied on a closed meeting unless the actor may correct closed meetings."""
    if is_closed(meeting) and not allowed(actor, "meeting.correct_closed"):
        raise PermissionDenied(
            _(
                "{title} is closed and its minutes are final; only an admin may "
                "correct a closed meeting (the correction is audited)"
            ).format(title=repr(meeting.title))
        )
