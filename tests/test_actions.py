"""Agreed actions: capture, review in meetings, carry-over, the action list and "did it help?".

The weekly meetings are Mondays in November 2026 (Europe/Oslo): M0 on 2 Nov, M1 on 9 Nov,
M2 on 16 Nov, each started at 09:00 and closed at 10:00 local time. ``close`` does what
meetings.close_meeting does for actions: carry_over inside the closing transaction.
"""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import pytest
from sqlmodel import select

from smarketing import i18n
from smarketing.auth.permissions import Actor
from smarketing.errors import InvalidInput, NotFound, PermissionDenied
from smarketing.meetings import actions
from smarketing.store.db import data_version
from smarketing.store.models import ActionReview, AuditEntry, Meeting, User
from tests.factories import add_lead, add_sla_agreement, oslo

ADA = Actor.of("ada", {"admin"})
MIA = Actor.of("mia", {"marketing"})
SAM = Actor.of("sam", {"sales"})
LEA = Actor.of("lea", {"leadership"})
GUEST = Actor.of("guest", set())
TODAY = date(2026, 11, 18)
NOW = oslo("2026-11-18 12:00")


@pytest.fixture
def people(session):
    for username, name, disabled in [
        ("ada", "Ada Admin", False),
        ("mia", "Mia Marketing", False),
        ("sam", "Sam Sales", False),
        ("lea", "Lea Leader", False),
        ("old", "Old Timer", True),
    ]:
        session.add(
            User(
                username=username,
                name=name,
                email=f"{username}@example.com",
                roles="admin",
                password_hash="x",
                disabled=disabled,
            )
        )
    session.commit()
    return session


def meeting(session, held_on: date, status: str = "running") -> Meeting:
    row = Meeting(
        kind="weekly",
        title=f"Weekly {held_on}",
        held_on=held_on,
        status=status,
        started_at=None if status == "planned" else oslo(f"{held_on} 09:00"),
        created_by="mia",
    )
    session.add(row)
    session.commit()
    return row


def close(session, m: Meeting) -> int:
    """Close a meeting the way meetings.close_meeting does; returns how many were carried."""
    at = oslo(f"{m.held_on} 10:00")
    carried = actions.carry_over(session, meeting=m, actor_name="mia", now=at)
    m.status, m.closed_at, m.closed_by = "closed", at, "mia"
    session.add(m)
    session.commit()
    return carried


def new_action(session, m: Meeting | None = None, *, created: str = "2026-11-02 09:40", **kw):
    actor = kw.pop("actor", MIA)
    due = kw.pop("due", max(date(2026, 11, 13), oslo(created).date() + timedelta(days=7)))
    fields = {"title": "Call every MQL within 4 h", "owner": "sam", "due_date": due}
    fields.update(kw)
    return actions.add_action(
        session,
        actor=actor,
        meeting_id=None if m is None else m.id,
        today=oslo(created).date(),
        now=oslo(created),
        **fields,
    )


def review(session, action, m, outcome, note="", actor=MIA, at="10:00"):
    return actions.review_action(
        session,
        actor=actor,
        action_id=action.id,
        meeting_id=m.id,
        outcome=outcome,
        note=note,
        now=oslo(f"{m.held_on} {at}"),
    )


def ids(rows) -> list[int]:
    return [r.id for r in rows]


@pytest.fixture
def weeks(people):
    """M0 (2 Nov) with action A created in it; M1 (9 Nov) and M2 (16 Nov) running."""
    m0 = meeting(people, date(2026, 11, 2))
    a = new_action(people, m0)
    return people, m0, a


# --- carry-over ---------------------------------------------------------------------------


def test_an_open_action_is_carried_to_the_next_meeting(weeks):
    session, m0, a = weeks
    assert actions.actions_created_in(session, m0.id) == [a]
    assert actions.actions_for_review(session, m0.id) == []  # first reviewed at the next one
    assert close(session, m0) == 0  # actions created in a meeting are not carried by it
    assert a.carried_over == 0

    m1 = meeting(session, date(2026, 11, 9))
    assert ids(actions.actions_for_review(session, m1.id)) == [a.id]
    assert close(session, m1) == 1
    [carried] = actions.reviews_in(session, m1.id)
    assert (carried.action_id, carried.outcome, carried.reviewed_by) == (a.id, "carried", "mia")

    m2 = meeting(session, date(2026, 11, 16))
    assert ids(actions.actions_for_review(session, m2.id)) == [a.id]
    assert (a.status, a.carried_over) == ("open", 1)
    assert close(session, m2) == 1  # a second carry makes 2
    assert a.carried_over == 2


def test_done_actions_do_not_carry(weeks):
    session, m0, a = weeks
    b = new_action(session, m0, title="Fix the webinar form")
    close(session, m0)
    m1 = meeting(session, date(2026, 11, 9))
    review(session, b, m1, "done", note="live since Friday")
    assert (b.status, b.closed_at) == ("done", oslo("2026-11-09 10:00"))
    # still in the review after marking it done, with its outcome
    assert set(ids(actions.actions_for_review(session, m1.id))) == {a.id, b.id}
    assert close(session, m1) == 1
    outcomes = {r.action_id: r.outcome for r in actions.reviews_in(session, m1.id)}
    assert outcomes == {a.id: "carried", b.id: "done"}
    assert (a.carried_over, b.carried_over) == (1, 0)

    m2 = meeting(session, date(2026, 11, 16))
    assert ids(actions.actions_for_review(session, m2.id)) == [a.id]


def test_marking_carried_then_closing_counts_once(weeks):
    session, m0, a = weeks
    close(session, m0)
    m1 = meeting(session, date(2026, 11, 9))
    review(session, a, m1, "carried", note="waiting for the new dialler")
    assert (a.status, a.carried_over) == ("open", 0)  # counted when the meeting closes
    assert close(session, m1) == 1
    assert a.carried_over == 1
    [row] = actions.reviews_in(session, m1.id)
    assert (row.outcome, row.note) == ("carried", "waiting for the new dialler")


def test_carry_over_does_not_commit(weeks):
    session, m0, a = weeks
    close(session, m0)
    m1 = meeting(session, date(2026, 11, 9))
    assert actions.carry_over(session, meeting=m1, actor_name="mia", now=NOW) == 1
    session.rollback()  # the closing transaction failed
    session.refresh(a)
    assert a.carried_over == 0
    assert actions.reviews_in(session, m1.id) == []


def test_reviewing_again_replaces_the_verdict_and_reopens(weeks):
    session, m0, a = weeks
    close(session, m0)
    m1 = meeting(session, date(2026, 11, 9))
    review(session, a, m1, "dropped", note="no longer needed")
    assert (a.status, a.drop_reason) == ("dropped", "no longer needed")
    review(session, a, m1, "carried", at="10:05")  # a wrong click corrected
    assert (a.status, a.closed_at, a.drop_reason) == ("open", None, None)
    review(session, a, m1, "done", at="10:06")
    assert (a.status, a.closed_at) == ("done", oslo("2026-11-09 10:06"))
    [row] = session.exec(select(ActionReview)).all()
    assert (row.outcome, row.reviewed_at) == ("done", oslo("2026-11-09 10:06"))
    assert close(session, m1) == 0


def test_reopened_after_review_is_carried_at_close(weeks):
    session, m0, a = weeks
    close(session, m0)
    m1 = meeting(session, date(2026, 11, 9))
    review(session, a, m1, "done")
    actions.set_action_status(session, actor=SAM, action_id=a.id, status="reopen", now=NOW)
    assert close(session, m1) == 1
    [row] = actions.reviews_in(session, m1.id)
    assert row.outcome == "carried"  # the minutes tell the truth: it stayed open


@pytest.mark.parametrize(
    ("outcome", "note", "message"),
    [
        ("dropped", "", "say why the action is dropped"),  # a drop needs a reason
        ("dropped", "   ", "say why the action is dropped"),  # blanks are no reason
        ("finished", "", "unknown outcome 'finished'; use one of done, carried, dropped"),
        ("done", "x" * 2001, "keep the note under 2000 characters"),
    ],
)
def test_review_input_is_checked(weeks, outcome, note, message):
    session, m0, a = weeks
    close(session, m0)
    m1 = meeting(session, date(2026, 11, 9))
    with pytest.raises(InvalidInput, match=message):
        review(session, a, m1, outcome, note=note)
    assert (a.status, actions.reviews_in(session, m1.id)) == ("open", [])


def test_dropping_keeps_the_reason(weeks):
    session, m0, a = weeks
    close(session, m0)
    m1 = meeting(session, date(2026, 11, 9))
    review(session, a, m1, "dropped", note="  the campaign was cancelled ")
    assert (a.status, a.drop_reason) == ("dropped", "the campaign was cancelled")
    assert a.closed_at == oslo("2026-11-09 10:00")
    assert close(session, m1) == 0


def test_an_action_is_not_reviewed_in_the_meeting_that_agreed_it(weeks):
    session, m0, a = weeks
    with pytest.raises(InvalidInput, match="agreed in this meeting"):
        review(session, a, m0, "done")


def test_which_actions_a_meeting_reviews(people):
    session = people
    m1 = meeting(session, date(2026, 11, 9))
    outside = new_action(session, created="2026-11-08 20:00", due=date(2026, 11, 20))
    same_day = new_action(session, created="2026-11-09 08:00", title="Too new to review")
    overdue = new_action(session, created="2026-11-03 12:00", due=date(2026, 11, 6))
    closed_before = new_action(session, created="2026-11-03 12:00", title="Done before")
    closed_during = new_action(session, created="2026-11-03 12:00", title="Done during")
    soon = new_action(session, created="2026-11-03 12:00", due=date(2026, 11, 10))
    actions.set_action_status(
        session,
        actor=SAM,
        action_id=closed_before.id,
        status="done",
        now=oslo("2026-11-09 08:59"),
    )
    actions.set_action_status(
        session,
        actor=SAM,
        action_id=closed_during.id,
        status="done",
        now=oslo("2026-11-09 09:15"),
    )
    later = meeting(session, date(2026, 11, 16))
    new_action(session, later, created="2026-11-16 09:30", due=date(2026, 11, 20))

    got = actions.actions_for_review(session, m1.id)
    # overdue on the meeting day first, then by due date (closed_during is due 13 Nov)
    assert ids(got) == [overdue.id, soon.id, closed_during.id, outside.id]
    assert same_day.id not in ids(actions.actions_for_review(session, m1.id))


def test_a_planned_meeting_reviews_only_open_actions(people):
    session = people
    done = new_action(session, created="2026-11-03 12:00")
    still = new_action(session, created="2026-11-03 12:00")
    actions.set_action_status(session, actor=SAM, action_id=done.id, status="done", now=NOW)
    planned = meeting(session, date(2026, 11, 23), status="planned")
    assert ids(actions.actions_for_review(session, planned.id)) == [still.id]


def test_a_closed_meeting_is_corrected_only_by_an_admin(weeks):
    session, m0, a = weeks
    close(session, m0)
    m1 = meeting(session, date(2026, 11, 9))
    close(session, m1)
    assert a.carried_over == 1
    with pytest.raises(PermissionDenied, match="Only admin may correct a closed meeting"):
        review(session, a, m1, "done", actor=MIA)
    review(session, a, m1, "done", actor=ADA, at="17:00")  # it was done after all
    assert (a.status, a.carried_over) == ("done", 0)
    review(session, a, m1, "carried", actor=ADA, at="17:05")  # and back again
    assert (a.status, a.carried_over) == ("open", 1)
    audit = session.exec(select(AuditEntry).where(AuditEntry.action == "action.review")).all()
    assert len(audit) == 2 and '"closed_meeting": true' in audit[0].detail


# --- permissions --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("actor", "allowed"),
    [(ADA, True), (MIA, True), (SAM, True), (LEA, True), (GUEST, False), (None, False)],
)
def test_who_may_add_review_and_close_actions(weeks, actor, allowed):
    session, m0, a = weeks
    close(session, m0)
    m1 = meeting(session, date(2026, 11, 9))
    writes = [
        lambda: new_action(session, m1, created="2026-11-09 09:30", actor=actor),
        lambda: review(session, a, m1, "carried", actor=actor),
        lambda: actions.set_action_status(
            session, actor=actor, action_id=a.id, status="done", now=NOW
        ),
    ]
    audit_rows = len(session.exec(select(AuditEntry)).all())
    for write in writes:
        if allowed:
            write()
        else:
            with pytest.raises(PermissionDenied):
                write()
    written = len(session.exec(select(AuditEntry)).all()) - audit_rows
    assert written == (3 if allowed else 0)


@pytest.mark.parametrize(
    ("actor", "allowed"), [(ADA, True), (MIA, False), (SAM, False), (LEA, False)]
)
def test_only_admin_adds_actions_to_a_closed_meeting(weeks, actor, allowed):
    session, m0, _ = weeks
    close(session, m0)
    if allowed:
        assert new_action(session, m0, actor=actor).meeting_id == m0.id
    else:
        with pytest.raises(PermissionDenied, match="correct a closed meeting"):
            new_action(session, m0, actor=actor)


# --- capture and validation ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"title": "  "}, "the title must say what will be done"),
        ({"title": "x" * 301}, "the title must have at most 300 characters \\(it has 301\\)"),
        ({"owner": ""}, "choose the owner"),
        ({"owner": "ghost"}, "the owner 'ghost' is not a user"),
        ({"owner": "old"}, "the owner 'old' is disabled"),
        (
            {"due_date": date(2026, 11, 1)},
            "the due date 2026-11-01 is in the past; choose 2026-11-02",
        ),
        ({"due_date": "tomorrow"}, "the due date must be a date"),
        ({"metric": "leads"}, "the metric 'leads' is unknown; use one of mqls_delivered"),
        ({"period_kind": "year", "period_start": TODAY}, "the period kind 'year' is unknown"),
        ({"period_kind": "week"}, "the period needs a start day"),
        ({"period_start": TODAY}, "the period start needs a period kind: day, week, month"),
        # every problem at once, so a form can show them together
        ({"title": "", "owner": "ghost"}, "say what will be done .*; the owner 'ghost'"),
    ],
)
def test_invalid_actions_are_refused_naming_the_field(people, changes, message):
    with pytest.raises(InvalidInput, match=message):
        new_action(people, **changes)
    assert actions.action_list(people, as_of=TODAY).empty


def test_an_invalid_action_is_refused_in_norwegian(people):
    """The checks speak the language of the person (issue 18): every problem at once, a
    day written the Norwegian way."""
    with i18n.language("nb"), pytest.raises(InvalidInput) as refused:
        new_action(people, title="", owner="ghost", due=date(2026, 11, 1))
    assert str(refused.value) == (
        "tittelen må si hva som skal gjøres (den er tom); "
        "ansvarlig 'ghost' er ikke en bruker; velg en av brukerne i appen; "
        "fristen 1. nov. 2026 er passert; velg 2. nov. 2026 eller senere"
    )


def test_an_actions_status_in_norwegian(people):
    with i18n.language("nb"):
        assert [actions.status_text(s) for s in ("open", "done", "dropped")] == [
            "åpent",
            "utført",
            "forkastet",
        ]
    assert actions.status_text("open") == "open"


def test_an_action_in_an_unknown_meeting_is_refused(people):
    with pytest.raises(NotFound, match="there is no meeting 99"):
        actions.add_action(
            people,
            actor=MIA,
            title="x",
            owner="sam",
            due_date=TODAY,
            meeting_id=99,
            today=TODAY,
        )


@pytest.mark.parametrize(
    ("kind", "start", "expected"),
    [
        ("day", date(2026, 11, 18), date(2026, 11, 18)),
        ("week", date(2026, 11, 18), date(2026, 11, 16)),  # Monday of ISO week 47
        ("month", date(2026, 11, 18), date(2026, 11, 1)),
        ("quarter", date(2026, 11, 18), date(2026, 10, 1)),
    ],
)
def test_the_period_is_normalised_to_its_start(people, kind, start, expected):
    a = new_action(people, metric="sqls", period_kind=kind, period_start=start)
    assert (a.metric, a.period_kind, a.period_start) == ("sqls", kind, expected)


def test_adding_an_action_is_audited(people):
    version = data_version(people)
    a = new_action(people, title="  Re-route web leads  ", owner="SAM")
    assert (a.title, a.owner, a.created_by, a.status) == (
        "Re-route web leads",
        "sam",
        "mia",
        "open",
    )
    assert a.created_at == oslo("2026-11-02 09:40")
    entry = people.exec(select(AuditEntry).where(AuditEntry.action == "action.add")).one()
    assert (entry.actor, entry.entity, entry.entity_id) == ("mia", "action", str(a.id))
    assert data_version(people) == version + 1


@pytest.mark.parametrize(
    ("steps", "status", "reason", "closed"),
    [
        ([("done", "")], "done", None, True),
        ([("dropped", "budget cut")], "dropped", "budget cut", True),
        ([("dropped", "budget cut"), ("reopen", "")], "open", None, False),
        ([("done", ""), ("open", "")], "open", None, False),
    ],
)
def test_status_outside_a_meeting(people, steps, status, reason, closed):
    a = new_action(people)
    for step, why in steps:
        actions.set_action_status(
            people, actor=SAM, action_id=a.id, status=step, reason=why, now=NOW
        )
    assert (a.status, a.drop_reason, a.closed_at is not None) == (status, reason, closed)
    assert len(people.exec(select(AuditEntry).where(AuditEntry.action == "action.status")).all())


@pytest.mark.parametrize(
    ("status", "reason", "error", "message"),
    [
        ("dropped", "", InvalidInput, "say why the action is dropped: the reason"),
        ("open", "", InvalidInput, "is already open"),
        ("closed", "", InvalidInput, "unknown status 'closed'"),
    ],
)
def test_status_input_is_checked(people, status, reason, error, message):
    a = new_action(people)
    with pytest.raises(error, match=message):
        actions.set_action_status(
            people, actor=SAM, action_id=a.id, status=status, reason=reason, now=NOW
        )


def test_unknown_action(people):
    with pytest.raises(NotFound, match="there is no action 42"):
        actions.set_action_status(people, actor=SAM, action_id=42, status="done", now=NOW)


# --- the action list ----------------------------------------------------------------------


@pytest.fixture
def listed(people):
    """As of Wed 18 Nov: A overdue 5 days (sam), B due today (sam), C later (mia),
    D done (sam, was overdue), E dropped (mia)."""
    session = people
    m = meeting(session, date(2026, 11, 9))
    made = {}
    for key, owner, due, metric in [
        ("A", "sam", date(2026, 11, 13), "contacted_within_sla_rate"),
        ("B", "sam", date(2026, 11, 18), None),
        ("C", "mia", date(2026, 11, 30), "mqls_delivered"),
        ("D", "sam", date(2026, 11, 10), None),
        ("E", "mia", date(2026, 11, 12), None),
    ]:
        made[key] = new_action(
            session,
            m if key in "AC" else None,
            created="2026-11-09 09:30",
            title=f"Action {key}",
            owner=owner,
            due_date=due,
            metric=metric,
        )
    actions.set_action_status(session, actor=SAM, action_id=made["D"].id, status="done", now=NOW)
    actions.set_action_status(
        session, actor=MIA, action_id=made["E"].id, status="dropped", reason="merged", now=NOW
    )
    return session, made


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({}, ["A", "B", "C", "D", "E"]),  # open first, overdue first, then due date
        ({"owner": "sam"}, ["A", "B", "D"]),
        ({"status": "open"}, ["A", "B", "C"]),
        ({"status": "dropped"}, ["E"]),
        ({"overdue_on": TODAY}, ["A"]),  # due before the day and still open
        ({"overdue_on": date(2026, 11, 19)}, ["A", "B"]),
        ({"owner": "mia", "status": "open"}, ["C"]),
        ({"owner": "lea"}, []),
    ],
)
def test_action_list_filters(listed, filters, expected):
    session, _ = listed
    frame = actions.action_list(session, as_of=TODAY, **filters)
    assert list(frame.columns) == actions.LIST_COLUMNS
    assert list(frame["title"]) == [f"Action {k}" for k in expected]


def test_action_list_columns(listed):
    session, made = listed
    frame = actions.action_list(session, as_of=TODAY).set_index("title")
    a, d, e = frame.loc["Action A"], frame.loc["Action D"], frame.loc["Action E"]
    assert (a["owner_name"], a["overdue"], a["days_overdue"]) == ("Sam Sales", True, 5)
    assert (a["metric_label"], a["meeting_title"]) == ("Contacted in time", "Weekly 2026-11-09")
    assert (d["status"], d["overdue"], d["days_overdue"], d["closed_at"]) == ("done", False, 0, NOW)
    assert e["drop_reason"] == "merged" and pd.isna(e["meeting_id"])
    assert a["meeting_id"] == made["A"].meeting_id
    assert not frame.loc["Action B", "overdue"]  # due today is not overdue yet


def test_action_list_refuses_an_unknown_status(listed):
    with pytest.raises(InvalidInput, match="unknown status 'late'"):
        actions.action_list(listed[0], status="late", as_of=TODAY)


def test_my_actions(listed):
    session, _ = listed
    assert list(actions.my_actions(session, username="sam", as_of=TODAY)["title"]) == [
        "Action A",
        "Action B",
    ]
    assert list(actions.my_actions(session, username="mia", as_of=TODAY)["title"]) == ["Action C"]
    assert actions.my_actions(session, username="lea", as_of=TODAY).empty


def test_owner_choices_are_enabled_users_by_name(people):
    assert actions.owner_choices(people) == [
        ("ada", "Ada Admin"),
        ("lea", "Lea Leader"),
        ("mia", "Mia Marketing"),
        ("sam", "Sam Sales"),
    ]


# --- did it help? -------------------------------------------------------------------------

#: MQLs per ISO week (Oslo) around an action agreed on Monday 16 Nov (week 47), counted by eye.
#: Agreement v1: 12 MQLs a month, so a November week's target is 12 × 7 / 30 = 2.8 and
#: week 44 (26 Oct–1 Nov) and week 49 (30 Nov–6 Dec) get 6 × 12/31 + 12/30 = 2.72.
WEEKLY_MQLS = {
    "week 43": ["2026-10-25 22:00"],
    "week 44": ["2026-10-27 10:00", "2026-11-01 23:30"],  # Sunday late is still week 44
    "week 45": ["2026-11-04 10:00"],
    "week 46": ["2026-11-10 10:00", "2026-11-12 10:00", "2026-11-15 23:30"],
    "week 47": ["2026-11-16 00:10", "2026-11-17 10:00", "2026-11-18 10:00", "2026-11-20 10:00"],
    "week 48": [f"2026-11-{d} 10:00" for d in (23, 24, 25, 26, 27)],
    "week 49": ["2026-11-30 10:00", "2026-12-02 10:00", "2026-12-06 23:00"],
    "week 50": ["2026-12-08 10:00"],
}


@pytest.fixture
def effect(people):
    session = people
    add_sla_agreement(session, 1, date(2026, 10, 1))
    n = 0
    for times in WEEKLY_MQLS.values():
        for at in times:
            n += 1
            add_lead(session, f"E{n}", at, mql_at=at)
    m2 = meeting(session, date(2026, 11, 16))
    action = new_action(
        session,
        m2,
        created="2026-11-16 09:40",
        due=date(2026, 11, 30),
        metric="mqls_delivered",
        period_kind="week",
        period_start=date(2026, 11, 16),
    )
    return session, action


def test_action_effect_before_and_after(effect):
    session, action = effect
    frame = actions.action_effect(session, action.id, as_of=date(2026, 12, 6), periods_each_side=3)
    assert list(frame.columns) == actions.EFFECT_COLUMNS
    assert list(frame["label"]) == [f"week {w} 2026" for w in (44, 45, 46, 47, 48, 49)]
    assert list(frame["phase"]) == ["before"] * 3 + ["after"] * 3
    assert list(frame["value"]) == [2, 1, 3, 4, 5, 3]
    assert list(frame["target"]) == [2.72, 2.8, 2.8, 2.8, 2.8, 2.72]
    # pace 2/2.72 and 1/2.8 are red; 3/2.8 and more are green
    assert list(frame["status"]) == ["red", "red", "green", "green", "green", "green"]
    assert frame["complete"].all()
    assert frame.attrs["period_kind"] == "week" and frame.attrs["reason"] is None

    summary = actions.effect_summary(frame)
    assert {k: summary[k] for k in ("mean_before", "mean_after", "change", "verdict")} == {
        "mean_before": 2.0,
        "mean_after": 4.0,
        "change": 2.0,
        "verdict": "better",
    }
    assert (summary["better"], summary["metric_label"]) == ("higher", "MQLs delivered")


def test_action_effect_with_the_running_period(effect):
    session, action = effect
    frame = actions.action_effect(session, action.id, as_of=date(2026, 12, 9), periods_each_side=4)
    assert list(frame["value"]) == [1, 2, 1, 3, 4, 5, 3, 1]
    last = frame.iloc[-1]
    # 3 of 7 days gone; expected 3 × 12/31 = 1.16, pace 0.86: amber
    assert (last["label"], last["complete"], last["status"]) == (
        "week 50 2026 (so far)",
        False,
        "amber",
    )
    summary = actions.effect_summary(frame)
    # the running week is left out of the means: (1+2+1+3)/4 before, (4+5+3)/3 after
    assert (summary["mean_before"], summary["mean_after"], summary["change"]) == (1.75, 4.0, 2.25)
    assert (summary["periods_before"], summary["periods_after"]) == (4, 3)


@pytest.mark.parametrize(
    ("created", "kind", "as_of", "labels", "phases"),
    [
        # agreed on a Friday: most of week 47 was before the action
        (
            "2026-11-20 15:00",
            "week",
            date(2026, 12, 6),
            ["week 46 2026", "week 47 2026", "week 48 2026", "week 49 2026"],
            ["before", "before", "after", "after"],
        ),
        # agreed on a Thursday: four of week 47's seven days are after it
        (
            "2026-11-19 15:00",
            "week",
            date(2026, 12, 6),
            ["week 45 2026", "week 46 2026", "week 47 2026", "week 48 2026"],
            ["before", "before", "after", "after"],
        ),
        # monthly, agreed on 2 Nov: November is "after", December has not started
        (
            "2026-11-02 10:00",
            "month",
            date(2026, 11, 30),
            ["September 2026", "October 2026", "November 2026"],
            ["before", "before", "after"],
        ),
    ],
)
def test_which_periods_count_before_and_after(people, created, kind, as_of, labels, phases):
    action = new_action(
        people,
        created=created,
        metric="sqls",
        period_kind=kind,
        period_start=oslo(created).date(),
    )
    frame = actions.action_effect(people, action.id, as_of=as_of, periods_each_side=2)
    assert (list(frame["label"]), list(frame["phase"])) == (labels, phases)


def test_action_effect_defaults_to_weeks(effect):
    session, _ = effect
    action = new_action(session, created="2026-11-16 10:00", metric="mqls_delivered")
    frame = actions.action_effect(session, action.id, as_of=date(2026, 11, 22))
    assert frame.attrs["period_kind"] == "week"
    assert list(frame["phase"]) == ["before"] * 6 + ["after"]
    assert list(frame["value"])[-3:] == [1, 3, 4]


def test_action_effect_without_a_metric(people):
    action = new_action(people)
    frame = actions.action_effect(people, action.id, as_of=TODAY)
    assert frame.empty and list(frame.columns) == actions.EFFECT_COLUMNS
    assert frame.attrs["reason"] == "This action is not linked to a metric, so there is no trend."
    summary = actions.effect_summary(frame)
    assert (summary["verdict"], summary["reason"]) == ("not enough data", frame.attrs["reason"])


def _frame(better: str, before: list, after: list, complete_after: bool = True):
    rows = [{"value": v, "phase": "before", "complete": True} for v in before]
    rows += [{"value": v, "phase": "after", "complete": complete_after} for v in after]
    frame = pd.DataFrame(rows, columns=["value", "phase", "complete"])
    frame.attrs.update(metric="m", better=better)
    return frame


@pytest.mark.parametrize(
    ("better", "before", "after", "change", "verdict"),
    [
        ("higher", [2, 4], [5, 5], 2.0, "better"),
        ("higher", [0.8, 0.7], [0.6, 0.5], -0.2, "worse"),
        ("lower", [10.0, 8.0], [5.0, 6.0], -3.5, "better"),  # median hours fell: good
        ("lower", [3.0], [4.0], 1.0, "worse"),
        ("higher", [3, 3], [3], 0.0, "no change"),
        ("higher", [3, None], [None, 5], 2.0, "better"),  # no-data periods are left out
        ("higher", [3], [], None, "not enough data"),
    ],
)
def test_effect_summary(better, before, after, change, verdict):
    summary = actions.effect_summary(_frame(better, before, after))
    assert (summary["change"], summary["verdict"]) == (change, verdict)


def test_effect_summary_needs_a_complete_period_after():
    summary = actions.effect_summary(_frame("higher", [1, 2], [9], complete_after=False))
    assert (summary["mean_before"], summary["mean_after"], summary["verdict"]) == (
        1.5,
        None,
        "not enough data",
    )
    assert summary["reason"] == "No complete period after the action yet."


def test_effect_of_an_unknown_action(people):
    with pytest.raises(NotFound):
        actions.action_effect(people, 7, as_of=TODAY - timedelta(days=1))
