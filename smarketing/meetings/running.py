"""Running a meeting: starting it, editing its agenda, its facilitator, and the decisions
taken in it (on a closed meeting: admin corrections that rewrite the minutes)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlmodel import Session, select

from smarketing import i18n
from smarketing.auth import audit, people
from smarketing.auth.permissions import Actor, require
from smarketing.errors import InvalidInput
from smarketing.i18n import _
from smarketing.meetings.agenda import agenda_json, checked_steps
from smarketing.meetings.minutes import rewrite_minutes
from smarketing.meetings.records import agenda_of, is_closed, meeting_by_id, require_open, utc_time
from smarketing.sla.metrics import METRIC_BY_KEY
from smarketing.sla.periods import local_date
from smarketing.store.adoption import adopt
from smarketing.store.db import bump_data_version
from smarketing.store.models import Decision, Meeting, MeetingNote, MeetingStatus, SlaAgreement

MAX_DECISION = 2000
MAX_DECIDED_BY = 200


def set_agenda(session: Session, *, actor: Actor, meeting_id: int, steps: list[dict]) -> Meeting:
    """Replace a meeting's agenda (not once it is closed). A step that has notes cannot be
    removed: its key stays, so rename it instead."""
    require(actor, "meeting.run")
    meeting = meeting_by_id(session, meeting_id)
    if is_closed(meeting):
        raise InvalidInput(
            _("{title} is closed: its agenda is part of the minutes").format(
                title=repr(meeting.title)
            )
        )
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
            _(
                "step(s) {names} already have notes: keep them on the agenda (rename them if "
                "you like), so no note is lost"
            ).format(names=names)
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
            _("{title} is planned for {planned} — start it today, {today}?").format(
                title=repr(meeting.title),
                planned=_day_text(meeting.held_on),
                today=_day_text(today),
            )
        )


def _day_text(day: date) -> str:
    """'Monday 7 Dec' (nb 'mandag 7. des.')."""
    if i18n.current() == "en":
        return f"{day:%A} {day.day} {day:%b}"
    from babel.dates import format_date

    return format_date(day, "EEEE d. MMM", locale=i18n.current())


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
    now = utc_time(now)
    meeting = meeting_by_id(session, meeting_id)
    if is_closed(meeting):
        raise InvalidInput(
            _("{title} is already closed; open its minutes instead").format(
                title=repr(meeting.title)
            )
        )
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
    require_open(actor, meeting)
    username = str(username or "").strip()
    if not username:
        raise InvalidInput(_("pick who facilitates the meeting"))
    if username not in people.directory(session):
        raise InvalidInput(
            _("{name} is not a person the app knows: pick a user").format(name=repr(username))
        )
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
        rewrite_minutes(session, meeting)
    bump_data_version(session)
    session.commit()
    return meeting


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
    require(actor, "meeting.run")
    meeting = meeting_by_id(session, meeting_id)
    require_open(actor, meeting)
    text = str(text or "").strip()
    if not text:
        raise InvalidInput(_("write the decision: it needs a few words"))
    if len(text) > MAX_DECISION:
        raise InvalidInput(
            _("keep the decision to {most} characters (it has {n})").format(
                most=MAX_DECISION, n=len(text)
            )
        )
    if isinstance(decided_by, str):
        decided_by = " ".join(decided_by.split())
    else:
        decided_by = people.join_people(list(decided_by or []), limit=MAX_DECIDED_BY)
    if not decided_by:
        raise InvalidInput(_("say who decided (a person, or e.g. 'marketing and sales')"))
    if len(decided_by) > MAX_DECIDED_BY:
        raise InvalidInput(_("keep 'decided by' to {most} characters").format(most=MAX_DECIDED_BY))
    if not isinstance(decided_on, date) or isinstance(decided_on, datetime):
        raise InvalidInput(
            _("the decision day must be a date (got {value})").format(value=repr(decided_on))
        )
    metric = metric or None
    if metric is not None and metric not in METRIC_BY_KEY:
        raise InvalidInput(
            _("unknown metric {metric}; use one of {metrics}").format(
                metric=repr(metric), metrics=", ".join(METRIC_BY_KEY)
            )
        )
    if sla_version is not None:
        found = session.exec(
            select(SlaAgreement.id).where(SlaAgreement.version == sla_version)
        ).first()
        if found is None:
            raise InvalidInput(
                _("there is no SLA agreement version {version}").format(version=sla_version)
            )
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
        decision.created_at = utc_time(now)
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
        rewrite_minutes(session, meeting)
    bump_data_version(session)
    session.commit()
    return decision
