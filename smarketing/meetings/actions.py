"""Agreed actions: captured in meetings (or outside them), reviewed and carried over at each
meeting, listed per owner, and judged against their metric ("did it help?").

The life of an action: created open (``add_action``); at every later meeting it is up for
review (``actions_for_review``) and marked done, carried or dropped (``review_action``);
when a meeting closes, every reviewed-or-not action still open is carried to the next one
(``carry_over``, once per meeting). Outside meetings anyone may close or reopen it from the
action list (``set_action_status``). Every write is audited.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pandas as pd
from sqlalchemy import and_, case, false, or_
from sqlmodel import Session, col, select

from smarketing import formatting, i18n
from smarketing.auth import audit
from smarketing.auth.people import display_names
from smarketing.auth.permissions import Actor, require
from smarketing.errors import InvalidInput, NotFound
from smarketing.i18n import N_, _, pgettext
from smarketing.sla.metrics import METRIC_BY_KEY, sla_reports
from smarketing.sla.periods import (
    Period,
    PeriodKind,
    local_date,
    local_midnight_utc,
    parse_kind,
    period_containing,
)
from smarketing.store.adoption import adopt
from smarketing.store.db import bump_data_version
from smarketing.store.models import (
    Action,
    ActionReview,
    ActionStatus,
    Meeting,
    MeetingKind,
    MeetingStatus,
    User,
    utcnow,
)

MAX_TITLE = 300
MAX_NOTE = 2000
#: What a meeting's actions review can say about an action.
OUTCOMES = ("done", "carried", "dropped")
#: The action status each review outcome leaves behind.
STATUS_AFTER = {
    "done": ActionStatus.done.value,
    "carried": ActionStatus.open.value,
    "dropped": ActionStatus.dropped.value,
}
#: A period kind (a database value) for a person, in a sentence; translated where shown.
PERIOD_KIND_TEXT = {
    "day": N_("day"),
    "week": N_("week"),
    "month": N_("month"),
    "quarter": N_("quarter"),
}


def status_text(status: str) -> str:
    """An action's status in the language speaking: 'open' (nb 'åpent')."""
    texts = {  # "done" is also an import run's state: each has its own word
        ActionStatus.open.value: pgettext("action status", "open"),
        ActionStatus.done.value: pgettext("action status", "done"),
        ActionStatus.dropped.value: pgettext("action status", "dropped"),
    }
    return texts.get(status, str(status))


def period_kind_text(kind: str) -> str:
    """A period kind in the language speaking: 'week' (nb 'uke')."""
    return _(PERIOD_KIND_TEXT[kind]) if kind in PERIOD_KIND_TEXT else str(kind)


#: The period kind of an action's effect chart when the action names none.
DEFAULT_EFFECT_KIND = PeriodKind.week

LIST_COLUMNS = [
    "id",
    "title",
    "owner",
    "owner_name",
    "due_date",
    "status",
    "overdue",
    "days_overdue",
    "carried_over",
    "metric",
    "metric_label",
    "period_kind",
    "period_start",
    "meeting_id",
    "meeting_title",
    "created_at",
    "closed_at",
    "drop_reason",
]
EFFECT_COLUMNS = ["period_start", "label", "value", "target", "status", "phase", "complete"]


# --- reading ------------------------------------------------------------------------------


def get_action(session: Session, action_id: int) -> Action:
    """The action with this id, or NotFound."""
    action = session.get(Action, action_id)
    if action is None:
        raise NotFound(_("there is no action {id}").format(id=action_id))
    return action


def _meeting(session: Session, meeting_id: int) -> Meeting:
    meeting = session.get(Meeting, meeting_id)
    if meeting is None:
        raise NotFound(_("there is no meeting {id}").format(id=meeting_id))
    return meeting


def _review_start(meeting: Meeting) -> datetime | None:
    """When the meeting's review began (None: not yet, so only open actions count)."""
    return meeting.started_at or meeting.closed_at


def actions_for_review(session: Session, meeting_id: int) -> list[Action]:
    """The actions this meeting reviews, overdue first, then by due date.

    That is every action created before the meeting — in a meeting of the same kind held on
    an earlier day, or (for weekly meetings) outside meetings before the local midnight
    starting ``held_on`` — that was still open
    when the meeting started (open now, or closed at or after its start), plus every action
    reviewed in this meeting (so one marked done stays in the review with its outcome).
    Actions created in this meeting are not among them: their first review is at the next.
    """
    meeting = _meeting(session, meeting_id)
    earlier = select(Meeting.id).where(
        Meeting.held_on < meeting.held_on, Meeting.kind == meeting.kind
    )
    outside = (
        and_(
            col(Action.meeting_id).is_(None),
            col(Action.created_at) < local_midnight_utc(meeting.held_on),
        )
        if meeting.kind == MeetingKind.weekly
        else false()
    )
    created_before = or_(col(Action.meeting_id).in_(earlier), outside)
    still_open = col(Action.status) == ActionStatus.open
    start = _review_start(meeting)
    if start is not None:
        still_open = or_(still_open, col(Action.closed_at) >= start)
    reviewed_here = col(Action.id).in_(
        select(ActionReview.action_id).where(ActionReview.meeting_id == meeting.id)
    )
    overdue_first = case(
        (
            and_(
                col(Action.status) == ActionStatus.open,
                col(Action.due_date) < meeting.held_on,
            ),
            0,
        ),
        else_=1,
    )
    query = (
        select(Action)
        .where(or_(and_(created_before, still_open), reviewed_here))
        .order_by(overdue_first, col(Action.due_date), col(Action.id))
    )
    return list(session.exec(query).all())


def actions_created_in(session: Session, meeting_id: int) -> list[Action]:
    """The actions agreed in this meeting, in the order they were captured."""
    return list(
        session.exec(
            select(Action)
            .where(Action.meeting_id == meeting_id)
            .order_by(col(Action.created_at), col(Action.id))
        ).all()
    )


def reviews_in(session: Session, meeting_id: int) -> list[ActionReview]:
    """What this meeting's actions review said, one row per reviewed action."""
    return list(
        session.exec(
            select(ActionReview)
            .where(ActionReview.meeting_id == meeting_id)
            .order_by(col(ActionReview.id))
        ).all()
    )


def owners_in_use(session: Session) -> list[tuple[str, str]]:
    """(username, name) of everyone who owns an action or may own one (enabled users), by
    name — the Actions page's owner filter (the demo's cast owns actions too)."""
    owners = session.exec(select(Action.owner).distinct()).all()
    users = [u for u, _ in owner_choices(session)]
    names = display_names(session, [*owners, *users])
    return sorted(names.items(), key=lambda item: (item[1].lower(), item[0]))


def owner_choices(session: Session) -> list[tuple[str, str]]:
    """(username, display name) of every enabled user, by name: who can own an action."""
    rows = session.exec(
        select(User.username, User.name)
        .where(User.disabled == False)  # noqa: E712
        .order_by(col(User.name), col(User.username))
    ).all()
    return [(username, name or username) for username, name in rows]


def metric_label(key: str | None) -> str | None:
    """The metric's label ('MQLs delivered'), the key itself if unknown, None for none."""
    if not key:
        return None
    metric = METRIC_BY_KEY.get(key)
    return _(metric.label) if metric else key


def action_list(
    session: Session,
    *,
    owner: str | None = None,
    status: str | None = None,
    overdue_on: date | None = None,
    as_of: date,
) -> pd.DataFrame:
    """Actions (filtered by owner, status, and "overdue on that day"): open first, overdue
    first, then by due date. ``overdue``/``days_overdue`` are as of ``as_of``."""
    if status is not None and status not in {s.value for s in ActionStatus}:
        raise InvalidInput(
            _("unknown status {status}; use one of {statuses}").format(
                status=repr(status), statuses=", ".join(s.value for s in ActionStatus)
            )
        )
    is_open = col(Action.status) == ActionStatus.open
    query = select(Action, Meeting.title).join(
        Meeting, col(Meeting.id) == col(Action.meeting_id), isouter=True
    )
    if owner:
        query = query.where(Action.owner == owner)
    if status:
        query = query.where(Action.status == status)
    if overdue_on is not None:
        query = query.where(is_open, col(Action.due_date) < overdue_on)
    query = query.order_by(
        case((is_open, 0), else_=1),
        case((and_(is_open, col(Action.due_date) < as_of), 0), else_=1),
        col(Action.due_date),
        col(Action.id),
    )
    found = session.exec(query).all()
    names = display_names(session, [action.owner for action, _ in found])
    rows = [
        _list_row(action, names.get(action.owner), meeting_title, as_of)
        for action, meeting_title in found
    ]
    frame = pd.DataFrame(rows, columns=LIST_COLUMNS)
    frame["meeting_id"] = frame["meeting_id"].astype("Int64")  # None stays missing, not NaN
    return frame


def _list_row(action: Action, owner_name: str | None, meeting_title: str | None, as_of: date):
    overdue = action.status == ActionStatus.open and action.due_date < as_of
    return {
        "id": action.id,
        "title": action.title,
        "owner": action.owner,
        "owner_name": owner_name or action.owner,
        "due_date": action.due_date,
        "status": action.status,
        "overdue": overdue,
        "days_overdue": (as_of - action.due_date).days if overdue else 0,
        "carried_over": action.carried_over,
        "metric": action.metric,
        "metric_label": metric_label(action.metric),
        "period_kind": action.period_kind,
        "period_start": action.period_start,
        "meeting_id": action.meeting_id,
        "meeting_title": meeting_title,
        "created_at": action.created_at,
        "closed_at": action.closed_at,
        "drop_reason": action.drop_reason,
    }


def my_actions(session: Session, *, username: str, as_of: date) -> pd.DataFrame:
    """The user's open actions, overdue first (the Overview's "my actions")."""
    return action_list(session, owner=username, status=ActionStatus.open.value, as_of=as_of)


# --- writing ------------------------------------------------------------------------------


def _require_open_meeting(actor: Actor, meeting: Meeting) -> None:
    """A closed meeting is read-only except for admin corrections."""
    if meeting.status == MeetingStatus.closed:
        require(actor, "meeting.correct_closed")


def add_action(
    session: Session,
    *,
    actor: Actor,
    title: str,
    owner: str,
    due_date: date,
    metric: str | None = None,
    period_kind: str | None = None,
    period_start: date | None = None,
    meeting_id: int | None = None,
    today: date,
    now: datetime | None = None,
) -> Action:
    """Capture an agreed action (in a meeting, or outside one with ``meeting_id=None``);
    ``today`` is the caller's as-of day, ``now`` the creation time (default: the clock)."""
    require(actor, "meeting.run")
    meeting = None
    if meeting_id is not None:
        meeting = _meeting(session, meeting_id)
        _require_open_meeting(actor, meeting)
    problems = []
    title = (title or "").strip()
    if not title:
        problems.append(_("the title must say what will be done (it is empty)"))
    elif len(title) > MAX_TITLE:
        problems.append(
            _("the title must have at most {most} characters (it has {n})").format(
                most=MAX_TITLE, n=len(title)
            )
        )
    owner = (owner or "").strip().lower()
    user = session.exec(select(User).where(User.username == owner)).first() if owner else None
    if not owner:
        problems.append(_("choose the owner: the person who will do it"))
    elif user is None:
        problems.append(
            _("the owner {owner} is not a user; choose one of the app's users").format(
                owner=repr(owner)
            )
        )
    elif user.disabled:
        problems.append(
            _("the owner {owner} is disabled; choose someone who can still log in").format(
                owner=repr(owner)
            )
        )
    if not isinstance(due_date, date):
        problems.append(_("the due date must be a date"))
    elif due_date < today:
        problems.append(
            _("the due date {due} is in the past; choose {today} or later").format(
                due=_day_text(due_date), today=_day_text(today)
            )
        )
    metric = metric or None
    if metric is not None and metric not in METRIC_BY_KEY:
        problems.append(
            _("the metric {metric} is unknown; use one of {metrics}").format(
                metric=repr(metric), metrics=", ".join(METRIC_BY_KEY)
            )
        )
    period = None
    if period_start is not None and not period_kind:
        problems.append(
            _("the period start needs a period kind: {kinds}").format(
                kinds=", ".join(k.value for k in PeriodKind)
            )
        )
    elif period_kind:
        try:
            kind = parse_kind(period_kind or "")
        except InvalidInput:
            problems.append(
                _("the period kind {kind} is unknown; use one of {kinds}").format(
                    kind=repr(period_kind), kinds=", ".join(k.value for k in PeriodKind)
                )
            )
        else:
            if period_start is None:
                problems.append(
                    _("the period needs a start day (any day in the {kind})").format(
                        kind=period_kind_text(kind.value)
                    )
                )
            else:
                period = period_containing(kind, period_start)
    if problems:
        raise InvalidInput("; ".join(problems))
    adopt(session, meeting)  # an action agreed in a demo meeting makes it the team's meeting
    action = Action(
        title=title,
        owner=owner,
        due_date=due_date,
        metric=metric,
        period_kind=period.kind.value if period else None,
        period_start=period.start if period else None,
        meeting_id=meeting.id if meeting else None,
        created_by=actor.username,
        created_at=now or utcnow(),
    )
    session.add(action)
    session.flush()
    audit.record(
        session,
        actor.username,
        "action.add",
        "action",
        action.id,
        title=title,
        owner=owner,
        due_date=due_date,
        metric=metric,
        period=f"{action.period_kind} {action.period_start}" if period else None,
        meeting_id=action.meeting_id,
        closed_meeting=bool(meeting and meeting.status == MeetingStatus.closed),
    )
    bump_data_version(session)
    session.commit()
    return action


def _day_text(day: date) -> str:
    """A day in a message: '2026-11-01' (nb '1. nov. 2026')."""
    return day.isoformat() if i18n.current() == "en" else formatting.day(day)


def _set_status(action: Action, status: str, reason: str | None, now: datetime) -> None:
    """Apply a status: closing stamps closed_at (kept if already in that status), reopening
    clears it; a drop keeps its reason."""
    if status == ActionStatus.open:
        action.closed_at = None
        action.drop_reason = None
    elif action.status != status or action.closed_at is None:
        action.closed_at = now
    if status == ActionStatus.dropped:
        action.drop_reason = reason
    elif status == ActionStatus.done:
        action.drop_reason = None
    action.status = str(status)


def _checked_note(note: str | None, *, dropping: bool, what: str) -> str:
    note = (note or "").strip()
    if dropping and not note:
        raise InvalidInput(
            _("say why the action is dropped: the note is the drop reason")
            if what == "note"
            else _("say why the action is dropped: the reason is needed")
        )
    if len(note) > MAX_NOTE:
        raise InvalidInput(
            (
                _("keep the note under {most} characters (it has {n})")
                if what == "note"
                else _("keep the reason under {most} characters (it has {n})")
            ).format(most=MAX_NOTE, n=len(note))
        )
    return note


def review_action(
    session: Session,
    *,
    actor: Actor,
    action_id: int,
    meeting_id: int,
    outcome: str,
    note: str = "",
    now: datetime,
) -> Action:
    """Record this meeting's verdict on an action: done, carried (stays open) or dropped
    (the note is the reason). Reviewing again in the same meeting replaces the verdict."""
    require(actor, "action.update")
    if outcome not in OUTCOMES:
        raise InvalidInput(
            _("unknown outcome {outcome}; use one of {outcomes}").format(
                outcome=repr(outcome), outcomes=", ".join(OUTCOMES)
            )
        )
    action = get_action(session, action_id)
    meeting = _meeting(session, meeting_id)
    closed = meeting.status == MeetingStatus.closed
    _require_open_meeting(actor, meeting)
    note = _checked_note(note, dropping=outcome == "dropped", what="note")
    if action.meeting_id == meeting.id:
        raise InvalidInput(
            _(
                "action {id} was agreed in this meeting; it is first reviewed at the next "
                "meeting (close it from the action list if it is already done)"
            ).format(id=action_id)
        )
    if action.id not in {a.id for a in actions_for_review(session, meeting.id)}:
        raise InvalidInput(
            _(
                "action {id} is not up for review in this meeting: it was agreed after "
                "it or closed before it started"
            ).format(id=action_id)
        )
    review = session.exec(
        select(ActionReview).where(
            ActionReview.action_id == action.id, ActionReview.meeting_id == meeting.id
        )
    ).first()
    before = review.outcome if review else None
    if review is None:
        review = ActionReview(action_id=action.id, meeting_id=meeting.id, outcome=outcome)
    review.outcome, review.note = outcome, note
    review.reviewed_by, review.reviewed_at = actor.username, now
    if closed:
        # carry_over already counted this meeting at close; a correction moves the count
        delta = (outcome == "carried") - (before == "carried")
        action.carried_over = max(0, action.carried_over + delta)
    _set_status(action, STATUS_AFTER[outcome], note, now)
    adopt(session, action, meeting, review)
    session.add(review)
    session.add(action)
    audit.record(
        session,
        actor.username,
        "action.review",
        "action",
        action.id,
        meeting_id=meeting.id,
        outcome=outcome,
        replaces=before,
        note=note,
        closed_meeting=closed,
    )
    bump_data_version(session)
    session.commit()
    return action


def set_action_status(
    session: Session,
    *,
    actor: Actor,
    action_id: int,
    status: str,
    reason: str = "",
    now: datetime,
) -> Action:
    """Close (done, or dropped with a reason) or reopen an action outside a meeting."""
    require(actor, "action.update")
    status = "open" if status == "reopen" else status
    if status not in {s.value for s in ActionStatus}:
        raise InvalidInput(
            _("unknown status {status}; use done, dropped or open (reopen)").format(
                status=repr(status)
            )
        )
    action = get_action(session, action_id)
    reason = _checked_note(reason, dropping=status == ActionStatus.dropped, what="reason")
    if action.status == status:
        raise InvalidInput(
            _("action {id} is already {status}").format(id=action_id, status=status_text(status))
        )
    before = action.status
    _set_status(action, status, reason, now)
    adopt(session, action)
    session.add(action)
    audit.record(
        session,
        actor.username,
        "action.status",
        "action",
        action.id,
        status=status,
        was=before,
        reason=reason,
    )
    bump_data_version(session)
    session.commit()
    return action


def carry_over(
    session: Session, *, meeting: Meeting, actor_name: str, now: datetime | None = None
) -> int:
    """Carry every action still open after this meeting's review to the next meeting: a
    "carried" review here where none was recorded, and ``carried_over`` + 1. Returns how
    many were carried. Call it once, in the closing transaction (it does not commit)."""
    at = now or meeting.closed_at or utcnow()
    reviews = {r.action_id: r for r in reviews_in(session, meeting.id)}
    carried = []
    for action in actions_for_review(session, meeting.id):
        if action.status != ActionStatus.open:
            continue
        review = reviews.get(action.id)
        if review is None:
            # automatic, not a person's verdict on the action: a demo action stays demo
            review = ActionReview(
                action_id=action.id,
                meeting_id=meeting.id,
                outcome="carried",
                reviewed_by=actor_name,
                reviewed_at=at,
                is_demo=action.is_demo,
            )
        elif review.outcome != "carried":  # marked done/dropped, then reopened elsewhere
            review.outcome = "carried"
            review.reviewed_by, review.reviewed_at = actor_name, at
        action.carried_over += 1
        session.add(review)
        session.add(action)
        carried.append(action.id)
    if carried:
        audit.record(
            session, actor_name, "action.carry_over", "meeting", meeting.id, actions=carried
        )
        bump_data_version(session)
    return len(carried)


# --- did it help? -------------------------------------------------------------------------


def _effect_periods(kind: PeriodKind, created: date, as_of: date, each_side: int):
    """(period, phase) pairs: ``each_side`` periods before and up to ``each_side`` after.

    The period the action was created in counts as "after" when most of its days are on or
    after the creation day (a Monday meeting's week), else as the last "before" period.
    """
    anchor = period_containing(kind, created)
    if 2 * (created - anchor.start).days >= anchor.days:
        anchor = period_containing(kind, anchor.end + timedelta(days=1))
    before = [anchor]
    for _step in range(each_side):
        before.insert(0, period_containing(kind, before[0].start - timedelta(days=1)))
    after = [anchor]
    while len(after) < each_side:
        after.append(period_containing(kind, after[-1].end + timedelta(days=1)))
    pairs = [(p, "before") for p in before[:-1]] + [(p, "after") for p in after]
    return [
        (Period(p.kind, p.start, p.end, min(p.end, as_of)), phase)
        for p, phase in pairs
        if p.start <= as_of
    ]


def _empty_effect(reason: str, **attrs) -> pd.DataFrame:
    frame = pd.DataFrame(columns=EFFECT_COLUMNS)
    frame.attrs.update(attrs, reason=reason)
    return frame


def action_effect(
    session: Session, action_id: int, *, as_of: date, periods_each_side: int = 6
) -> pd.DataFrame:
    """The linked metric per period (the action's period kind, default week) before and
    after the action's creation day, up to ``as_of``: period_start, label, value, target,
    status, phase ("before"/"after"), complete (False for the period still running).

    ``frame.attrs`` holds metric, metric_label, kind, better, period_kind, created_on and
    ``reason`` (why the frame is empty, else None).
    """
    if periods_each_side < 1:
        raise InvalidInput(_("compare at least one period on each side"))
    action = get_action(session, action_id)
    if not action.metric:
        return _empty_effect(_("This action is not linked to a metric, so there is no trend."))
    metric = METRIC_BY_KEY.get(action.metric)
    if metric is None:
        return _empty_effect(
            _("The action's metric {metric} is no longer measured.").format(
                metric=repr(action.metric)
            )
        )
    kind = parse_kind(action.period_kind or DEFAULT_EFFECT_KIND)
    created = local_date(action.created_at)
    attrs = {
        "metric": metric.key,
        "metric_label": _(metric.label),
        "kind": metric.kind,
        "better": metric.better,
        "period_kind": kind.value,
        "created_on": created,
    }
    pairs = _effect_periods(kind, created, as_of, periods_each_side)
    if not pairs:
        return _empty_effect(
            _("Nothing to show before {day}.").format(day=formatting.day(as_of)), **attrs
        )
    now = local_midnight_utc(as_of + timedelta(days=1))
    reports = sla_reports(session, [p for p, _ in pairs], now=now)
    rows = []
    for (period, phase), report in zip(pairs, reports, strict=True):
        m = report.metric(metric.key)
        complete = period.as_of >= period.end
        rows.append(
            {
                "period_start": period.start,
                "label": period.label()
                if complete
                else _("{period} (so far)").format(period=period.label()),
                "value": None if m.actual is None else float(m.actual),
                "target": m.target,
                "status": m.status.value,
                "phase": phase,
                "complete": complete,
            }
        )
    frame = pd.DataFrame(rows, columns=EFFECT_COLUMNS)
    frame.attrs.update(attrs, reason=None)
    return frame


def effect_summary(frame: pd.DataFrame) -> dict:
    """Mean before, mean after and the change, over complete periods with a value, and
    whether that change is an improvement for this metric (``better``: higher/lower).

    ``verdict`` is "better", "worse", "no change" or "not enough data".
    """
    better = frame.attrs.get("better")
    out = {
        "metric": frame.attrs.get("metric"),
        "metric_label": frame.attrs.get("metric_label"),
        "kind": frame.attrs.get("kind"),
        "better": better,
        "mean_before": None,
        "mean_after": None,
        "change": None,
        "periods_before": 0,
        "periods_after": 0,
        "improved": None,
        "verdict": "not enough data",
        "reason": frame.attrs.get("reason"),
    }
    if frame.empty:
        return out
    usable = frame[frame["complete"].astype(bool) & frame["value"].notna()]
    before = usable.loc[usable["phase"] == "before", "value"].astype(float)
    after = usable.loc[usable["phase"] == "after", "value"].astype(float)
    out["periods_before"], out["periods_after"] = len(before), len(after)
    if len(before):
        out["mean_before"] = round(float(before.mean()), 4)
    if len(after):
        out["mean_after"] = round(float(after.mean()), 4)
    if not (len(before) and len(after)):
        out["reason"] = out["reason"] or (
            _("No complete period after the action yet.")
            if len(before)
            else _("No complete period with data before the action.")
        )
        return out
    change = round(out["mean_after"] - out["mean_before"], 4)
    out["change"] = change
    if change == 0:
        out["verdict"] = "no change"
    else:
        out["improved"] = (change > 0) == (better != "lower")
        out["verdict"] = "better" if out["improved"] else "worse"
    return out
