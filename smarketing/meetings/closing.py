"""Closing a meeting (scorecard frozen, open actions carried over, minutes written, the next
meeting planned) and an admin's correction of a closed one.

Closed meetings are read-only except for admins (``meeting.correct_closed``); every such
correction is audited and rewrites the minutes from the same frozen scorecard.
"""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import update
from sqlmodel import Session

from smarketing import config
from smarketing.auth import audit
from smarketing.auth.permissions import Actor, require
from smarketing.errors import InvalidInput
from smarketing.i18n import _
from smarketing.meetings import actions
from smarketing.meetings.minutes import rewrite_minutes
from smarketing.meetings.planning import checked_title, plan_after, serialise_planning
from smarketing.meetings.records import is_closed, meeting_by_id, utc_time
from smarketing.meetings.scorecard import scorecard_snapshot
from smarketing.sla.periods import local_date
from smarketing.store.adoption import adopt
from smarketing.store.db import bump_data_version
from smarketing.store.models import Meeting, MeetingStatus


def close_meeting(session: Session, *, actor: Actor, meeting_id: int, now: datetime) -> Meeting:
    """Close the meeting in one transaction: freeze the scorecard as it stands at ``now``,
    carry every reviewed action still open over to the next meeting, write the minutes, and
    plan the next meeting of its kind in its rhythm (see
    :func:`~smarketing.meetings.planning.following_day`) unless one is already planned after
    it."""
    require(actor, "meeting.run")
    now = utc_time(now)
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
        rewrite_minutes(session, meeting)
        audit.record(
            session,
            actor.username,
            "meeting.close",
            "meeting",
            meeting.id,
            title=meeting.title,
            carried_over=carried,
        )
        serialise_planning(session)
        plan_after(
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
        when = _(" on {time}").format(time=f"{local:%Y-%m-%d %H:%M}")
    who = _(" by {name}").format(name=meeting.closed_by) if meeting.closed_by else ""
    return _("{title} is already closed{when}{who}; its minutes are final").format(
        title=repr(meeting.title), when=when, who=who
    )


def correct_closed_meeting(
    session: Session, *, actor: Actor, meeting_id: int, title: str | None = None
) -> Meeting:
    """Admin: correct a closed meeting's title (optional) and rewrite its minutes from the
    stored notes, decisions and actions and the same frozen scorecard; audited."""
    require(actor, "meeting.correct_closed")
    meeting = meeting_by_id(session, meeting_id)
    if not is_closed(meeting):
        raise InvalidInput(
            _("{title} is not closed: change it in the meeting itself").format(
                title=repr(meeting.title)
            )
        )
    old_title, old_minutes = meeting.title, meeting.minutes or ""
    adopt(session, meeting)
    if title is not None:
        meeting.title = checked_title(title)
    rewrite_minutes(session, meeting)
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
