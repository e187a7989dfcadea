"""Who attended a meeting and how they rated it: the attendee list (users and guests) and
the 1–10 ratings the facilitator records."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from smarketing.auth import audit, people
from smarketing.auth.permissions import Actor, allowed, require
from smarketing.errors import InvalidInput, NotFound, PermissionDenied
from smarketing.i18n import _
from smarketing.meetings.minutes import rewrite_minutes
from smarketing.meetings.records import attendees_of, is_closed, meeting_by_id, require_open
from smarketing.store.adoption import adopt
from smarketing.store.db import bump_data_version
from smarketing.store.models import Meeting, MeetingAttendee, MeetingRating

MAX_GUEST = 100


def _guest(name: str) -> str:
    text = " ".join(str(name or "").split())
    if not text:
        raise InvalidInput(_("write the guest's name"))
    if len(text) > MAX_GUEST:
        raise InvalidInput(
            _("keep a guest's name to {most} characters (it has {n})").format(
                most=MAX_GUEST, n=len(text)
            )
        )
    if "," in text:
        raise InvalidInput(
            _("one guest per entry, without a comma (got {name})").format(name=repr(text))
        )
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
    require_open(actor, meeting)
    known = people.directory(session)
    wanted_users = list(dict.fromkeys(str(u).strip() for u in usernames if str(u).strip()))
    unknown = [u for u in wanted_users if u not in known or u in people.APP_ACTORS]
    if unknown:
        raise InvalidInput(
            _(
                "pick attendees from the app's people; add anyone else as a guest by name "
                "(unknown: {names})"
            ).format(names=", ".join(unknown))
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
        rewrite_minutes(session, meeting)
    bump_data_version(session)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        raise InvalidInput(
            _(
                "the attendee list changed in another window at the same moment: look again "
                "and save once more"
            )
        ) from None
    return attendees_of(session, meeting.id)


def _checked_rating(rating: int) -> int:
    if isinstance(rating, bool) or not isinstance(rating, int) or not 1 <= rating <= 10:
        raise InvalidInput(
            _("rate the meeting with a whole number from 1 to 10 (got {value})").format(
                value=repr(rating)
            )
        )
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


def _require_facilitator(session: Session, actor: Actor, meeting: Meeting) -> None:
    """Only the facilitator (or an admin) records other people's ratings."""
    if actor.username == meeting.facilitator or allowed(actor, "meeting.correct_closed"):
        return
    raise PermissionDenied(
        _(
            "only the meeting's facilitator records other people's ratings (the facilitator "
            "is {name}): rate it yourself, or take over as facilitator"
        ).format(name=people.display_name(session, meeting.facilitator))
    )


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
        raise InvalidInput(
            _("{title} is closed: ratings are given before it closes").format(
                title=repr(meeting.title)
            )
        )
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


def rate_attendee(
    session: Session, *, actor: Actor, meeting_id: int, attendee_id: int, rating: int | None
) -> None:
    """The facilitator records (or, with None, removes) one attendee's 1–10 rating — a
    user's as their MeetingRating, a guest's on the attendee row. People may rate
    themselves; anyone else's rating needs the facilitator (or an admin). Audited."""
    require(actor, "meeting.run")
    meeting = meeting_by_id(session, meeting_id)
    if is_closed(meeting):
        raise InvalidInput(
            _("{title} is closed: ratings are given before it closes").format(
                title=repr(meeting.title)
            )
        )
    attendee = session.get(MeetingAttendee, attendee_id)
    if attendee is None or attendee.meeting_id != meeting.id:
        raise NotFound(
            _("attendee {id} is not on the list of {title}").format(
                id=attendee_id, title=repr(meeting.title)
            )
        )
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
            _row, before = _upsert_rating(session, meeting, attendee.username, rating)
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
