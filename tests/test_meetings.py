"""Meetings: planning, agenda, notes from two sessions (no silent last-write-wins),
decisions, ratings, closing with a frozen scorecard, admin corrections and search.

The data is the hand-made SLA dataset of tests/test_sla.py (agreement v1 from 1 Oct 2026,
MQLs in November 2026); the weekly meeting is held on Monday 16 November 2026 and closed
at the suite's NOW (Wednesday 18 November, 12:00 UTC).
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import Session, select

from smarketing import i18n
from smarketing.auth.permissions import Actor
from smarketing.errors import InvalidInput, NotFound, PermissionDenied
from smarketing.meetings import (
    actions,
    agenda,
    attendance,
    closing,
    notes,
    planning,
    records,
    running,
)
from smarketing.meetings.minutes import minutes_markdown
from smarketing.meetings.scorecard import scorecard_snapshot
from smarketing.sla.metrics import sla_report
from smarketing.sla.periods import period_containing
from smarketing.store.db import data_version
from smarketing.store.models import Action, ActionReview, AuditEntry, Meeting, MeetingNote, User
from tests.conftest import NOW
from tests.factories import add_lead, add_sla_dataset

MARIA = Actor.of("maria", {"marketing"})
SAM = Actor.of("sam", {"sales"})
ADA = Actor.of("ada", {"admin"})
NOBODY = Actor.of("guest", set())
MONDAY = date(2026, 11, 16)


def audit_rows(session, action: str) -> list[AuditEntry]:
    return list(session.exec(select(AuditEntry).where(AuditEntry.action == action)).all())


@pytest.fixture
def people(session):
    for username, name, role in (
        ("maria", "Maria Moe", "marketing"),
        ("sam", "Sam Solberg", "sales"),
        ("ada", "Ada Admin", "admin"),
    ):
        session.add(
            User(
                username=username,
                name=name,
                email=f"{username}@x.no",
                roles=role,
                password_hash="x",
            )
        )
    session.commit()
    return session


@pytest.fixture
def data(people):
    """People plus the hand-made SLA dataset."""
    return add_sla_dataset(people)


@pytest.fixture
def weekly(data) -> Meeting:
    """The weekly meeting on Monday 16 November 2026, planned."""
    return planning.create_meeting(data, actor=MARIA, kind="weekly", held_on=MONDAY, now=NOW)


# --- planning -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kind, held_on, title",
    [
        ("weekly", date(2026, 11, 16), "Weekly smarketing — week 47"),
        ("weekly", date(2027, 1, 4), "Weekly smarketing — week 1"),  # ISO week of the new year
        ("monthly", date(2026, 11, 2), "Leadership monthly — November 2026"),
        ("Monthly", date(2026, 3, 2), "Leadership monthly — March 2026"),  # kind in any case
    ],
)
def test_a_new_meeting_gets_its_default_title_and_agenda(people, kind, held_on, title):
    meeting = planning.create_meeting(people, actor=MARIA, kind=kind, held_on=held_on)
    assert meeting.title == title
    assert meeting.status == "planned" and meeting.facilitator == "maria"
    assert records.agenda_of(meeting) == agenda.agenda_template(people, kind.lower())
    assert audit_rows(people, "meeting.create")[0].entity_id == str(meeting.id)


def test_a_meeting_planned_in_norwegian_gets_a_norwegian_title(people):
    """Issue 18: the default title is written in the language speaking when the meeting is
    planned, then kept as any title is; the built-in agenda's step titles are translated
    where shown, a title a person typed never."""
    with i18n.language("nb"):
        weekly = planning.create_meeting(people, actor=MARIA, kind="weekly", held_on=MONDAY)
        monthly = planning.create_meeting(
            people, actor=MARIA, kind="monthly", held_on=date(2026, 12, 7)
        )
        shown = [agenda.step_title(s) for s in records.agenda_of(weekly)]
        typed = agenda.step_title({"title": "Numbers", "kind": "scorecard"})
        with pytest.raises(InvalidInput, match="det finnes allerede et ukemøte"):
            planning.create_meeting(people, actor=MARIA, kind="weekly", held_on=MONDAY)
    assert weekly.title == f"Ukentlig smarketing — uke {MONDAY.isocalendar().week}"
    assert monthly.title == "Månedlig ledermøte — desember 2026"
    assert shown[0] == "Resultattavle" and shown[-1] == "Avslutning"
    assert records.agenda_of(weekly)[0]["title"] == "Scorecard", "stored as the app's text"
    assert typed == "Numbers"


def test_a_new_meeting_uses_the_saved_template(people):
    steps = [
        {"title": "Numbers", "kind": "scorecard", "minutes": 9},
        {"title": "Close", "kind": "wrap_up", "minutes": 1},
    ]
    agenda.save_agenda_template(people, actor=MARIA, kind="weekly", steps=steps)
    meeting = planning.create_meeting(
        people, actor=SAM, kind="weekly", held_on=MONDAY, title="  Our   meeting "
    )
    assert [s["title"] for s in records.agenda_of(meeting)] == ["Numbers", "Close"]
    assert meeting.title == "Our meeting"


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"kind": "daily"}, InvalidInput, "weekly or monthly"),
        ({"title": " "}, InvalidInput, "give the meeting a title"),
        ({"title": "x" * 201}, InvalidInput, "200 characters"),
        ({"held_on": "2026-11-16"}, InvalidInput, "must be a date"),
        ({"actor": NOBODY}, PermissionDenied, "Only"),
    ],
)
def test_bad_meetings_are_refused(people, kwargs, error, message):
    args = {"actor": MARIA, "kind": "weekly", "held_on": MONDAY} | kwargs
    with pytest.raises(error, match=message):
        planning.create_meeting(people, **args)
    assert people.exec(select(Meeting)).all() == []


def test_one_meeting_of_a_kind_per_day(weekly, data):
    with pytest.raises(
        InvalidInput, match=f"already a weekly meeting on 2026-11-16 \\(#{weekly.id}"
    ):
        planning.create_meeting(data, actor=SAM, kind="weekly", held_on=MONDAY)
    monthly = planning.create_meeting(data, actor=SAM, kind="monthly", held_on=MONDAY)
    assert monthly.id != weekly.id


@pytest.mark.parametrize(
    "kind, today, expected",
    [
        ("weekly", date(2026, 11, 16), date(2026, 11, 16)),  # a Monday: today
        ("weekly", date(2026, 11, 18), date(2026, 11, 23)),  # a Wednesday: next Monday
        ("weekly", date(2026, 11, 22), date(2026, 11, 23)),  # a Sunday
        ("monthly", date(2026, 11, 1), date(2026, 11, 2)),  # first Monday still ahead
        ("monthly", date(2026, 11, 2), date(2026, 11, 2)),  # it is today
        ("monthly", date(2026, 11, 18), date(2026, 12, 7)),  # next month's first Monday
        ("monthly", date(2026, 12, 20), date(2027, 1, 4)),  # across the new year
    ],
)
def test_next_meeting_day(kind, today, expected):
    assert planning.next_meeting_day(kind, today) == expected


def test_next_and_latest_open_meetings(data):
    first = planning.create_meeting(data, actor=MARIA, kind="weekly", held_on=MONDAY)
    second = planning.create_meeting(data, actor=MARIA, kind="weekly", held_on=date(2026, 11, 23))
    monthly = planning.create_meeting(data, actor=MARIA, kind="monthly", held_on=date(2026, 12, 7))
    assert records.next_meeting(data, today=MONDAY) == first
    assert records.next_meeting(data, today=MONDAY, kind="monthly") == monthly
    assert records.next_meeting(data, today=date(2026, 11, 17)) == second
    assert records.latest_open_meeting(data, kind="weekly") == second
    running.start_meeting(data, actor=SAM, meeting_id=first.id, now=NOW, on_another_day=True)
    assert records.latest_open_meeting(data) == first  # the running one comes first
    closing.close_meeting(data, actor=SAM, meeting_id=first.id, now=NOW)
    assert records.next_meeting(data, today=MONDAY) == second
    assert [m.id for m in records.meetings(data)] == [monthly.id, second.id, first.id]
    assert [m.id for m in records.meetings(data, kind="weekly")] == [second.id, first.id]


def test_plan_next_meeting_creates_it_once(people):
    today = date(2026, 11, 18)
    planned = planning.plan_next_meeting(people, actor=SAM, kind="weekly", today=today)
    assert planned.held_on == date(2026, 11, 23)
    again = planning.plan_next_meeting(people, actor=SAM, kind="weekly", today=today)
    assert again.id == planned.id


def test_meeting_by_id_says_which_id_is_missing(session):
    with pytest.raises(NotFound, match="no meeting with id 99"):
        records.meeting_by_id(session, 99)


# --- agenda and start -----------------------------------------------------------------------


def test_the_agenda_of_a_meeting_can_change_until_it_closes(weekly, data):
    steps = records.agenda_of(weekly)
    steps[0]["title"] = "The numbers"
    changed = running.set_agenda(
        data, actor=SAM, meeting_id=weekly.id, steps=steps[:1] + steps[-1:]
    )
    assert [s["key"] for s in records.agenda_of(changed)] == ["scorecard", "wrap_up"]
    assert records.agenda_of(changed)[0]["title"] == "The numbers"
    assert audit_rows(data, "meeting.agenda")
    with pytest.raises(InvalidInput, match="wrap-up"):
        running.set_agenda(data, actor=SAM, meeting_id=weekly.id, steps=steps[:1])
    closing.close_meeting(data, actor=SAM, meeting_id=weekly.id, now=NOW)
    with pytest.raises(InvalidInput, match="closed"):
        running.set_agenda(data, actor=ADA, meeting_id=weekly.id, steps=steps)


def test_a_step_with_notes_stays_on_the_agenda(weekly, data):
    notes.save_note(
        data,
        actor=SAM,
        meeting_id=weekly.id,
        step="campaigns",
        body="Webinar!",
        expected_revision=None,
        now=NOW,
    )
    steps = [s for s in records.agenda_of(weekly) if s["key"] != "campaigns"]
    with pytest.raises(InvalidInput, match="'Campaigns' already have notes"):
        running.set_agenda(data, actor=MARIA, meeting_id=weekly.id, steps=steps)


def test_starting_a_meeting(weekly, data):
    at_ten = datetime(2026, 11, 16, 9, tzinfo=UTC)  # 10:00 in Oslo on the planned Monday
    version = data_version(data)
    started = running.start_meeting(data, actor=SAM, meeting_id=weekly.id, now=at_ten)
    assert (started.status, started.started_at) == ("running", at_ten)
    assert data_version(data) > version
    later = running.start_meeting(data, actor=MARIA, meeting_id=weekly.id, now=NOW + timedelta(1))
    assert later.started_at == at_ten  # starting twice keeps the first start
    with pytest.raises(InvalidInput, match="timezone-aware"):
        running.start_meeting(data, actor=SAM, meeting_id=weekly.id, now=NOW.replace(tzinfo=None))
    closing.close_meeting(data, actor=SAM, meeting_id=weekly.id, now=NOW)
    with pytest.raises(InvalidInput, match="already closed"):
        running.start_meeting(data, actor=SAM, meeting_id=weekly.id, now=NOW)


# --- notes --------------------------------------------------------------------------------


def note(session, actor, meeting, body, revision, step="scorecard", **kw):
    return notes.save_note(
        session,
        actor=actor,
        meeting_id=meeting.id,
        step=step,
        body=body,
        expected_revision=revision,
        now=NOW,
        **kw,
    )


def test_each_save_increments_the_revision(weekly, data):
    first = note(data, MARIA, weekly, "MQLs on pace", None)
    assert (first.revision, first.author, first.body) == (1, "maria", "MQLs on pace")
    second = note(data, MARIA, weekly, "MQLs on pace; SQLs behind", 1)
    assert second.revision == 2 and second.id == first.id
    same = note(data, MARIA, weekly, "MQLs on pace; SQLs behind", 1)  # the same text again
    assert same.revision == 2  # nothing to save, no conflict


def test_two_people_in_two_sessions_both_keep_their_notes(weekly, engine):
    with Session(engine) as one, Session(engine) as two:
        # both editors open the empty step, then both type and save
        assert records.note_of(one, meeting_id=weekly.id, step="scorecard", author="maria") is None
        assert records.note_of(two, meeting_id=weekly.id, step="scorecard", author="sam") is None
        note(one, MARIA, weekly, "Marketing: 7 MQLs so far", None)
        note(two, SAM, weekly, "Sales: two MQLs waited too long", None)
        note(one, MARIA, weekly, "Marketing: 7 MQLs so far, on pace", 1)
    with Session(engine) as fresh:
        frame = records.notes_for(fresh, weekly.id)
    assert list(frame.columns) == ["step", "author", "body", "revision", "updated_at"]
    assert frame[["author", "body", "revision"]].values.tolist() == [
        ["maria", "Marketing: 7 MQLs so far, on pace", 2],
        ["sam", "Sales: two MQLs waited too long", 1],
    ]


def test_the_same_author_in_a_stale_tab_gets_a_conflict_and_nothing_is_lost(weekly, engine):
    with Session(engine) as tab_one, Session(engine) as tab_two:
        note(tab_one, MARIA, weekly, "first words", None)  # both tabs now show revision 1
        note(tab_one, MARIA, weekly, "first words, and more from tab one", 1)
        with pytest.raises(notes.NoteConflict) as err:
            note(tab_two, MARIA, weekly, "first words, and other things from tab two", 1)
        conflict = err.value
        assert isinstance(conflict, InvalidInput)
        assert conflict.stored_body == "first words, and more from tab one"
        assert conflict.stored_revision == 2
        assert conflict.your_body == "first words, and other things from tab two"
        assert "note on 'Scorecard' was changed in another window" in str(conflict)
        assert "it is now at revision 2" in str(conflict)
        # the tab merges both texts and saves from the revision it was shown
        merged = note(tab_two, MARIA, weekly, "first words, more and other things", 2)
        assert merged.revision == 3
    with Session(engine) as fresh:
        stored = records.note_of(fresh, meeting_id=weekly.id, step="scorecard", author="maria")
        assert stored.body == "first words, more and other things"


def test_a_new_note_from_two_tabs_of_the_same_author_conflicts(weekly, engine):
    with Session(engine) as tab_one, Session(engine) as tab_two:
        note(tab_one, SAM, weekly, "from tab one", None)
        with pytest.raises(notes.NoteConflict) as err:
            note(tab_two, SAM, weekly, "from tab two", None)  # it started from no note
        assert err.value.stored_body == "from tab one" and err.value.stored_revision == 1


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"step": "gossip"}, InvalidInput, "no step 'gossip' on the agenda"),
        ({"body": "x" * 20_001}, InvalidInput, "20,000 characters"),
        ({"expected_revision": "1"}, InvalidInput, "whole number"),
        ({"author": "sam"}, PermissionDenied, "Only admin"),  # nobody writes as someone else
        ({"actor": NOBODY}, PermissionDenied, "Only"),
        ({"meeting_id": 404}, NotFound, "404"),
    ],
)
def test_bad_notes_are_refused(weekly, data, kwargs, error, message):
    args = {
        "actor": MARIA,
        "meeting_id": weekly.id,
        "step": "scorecard",
        "body": "hi",
        "expected_revision": None,
        "now": NOW,
    } | kwargs
    with pytest.raises(error, match=message):
        notes.save_note(data, **args)
    assert data.exec(select(MeetingNote)).all() == []


def test_notes_come_in_agenda_order(weekly, data):
    note(data, SAM, weekly, "wrap", None, step="wrap_up")
    note(data, MARIA, weekly, "score", None)
    note(data, SAM, weekly, "score too", None)
    frame = records.notes_for(data, weekly.id)
    assert frame[["step", "author"]].values.tolist() == [
        ["scorecard", "maria"],
        ["scorecard", "sam"],
        ["wrap_up", "sam"],
    ]


# --- decisions and ratings ----------------------------------------------------------------


def decide(session, meeting, actor=MARIA, **kw):
    args = {"text": "Round-robin routing", "decided_by": "Maria and Sam", "decided_on": MONDAY}
    args |= {"now": NOW} | kw
    return running.add_decision(session, actor=actor, meeting_id=meeting.id, **args)


def test_a_decision_links_a_metric_and_an_sla_version(weekly, data):
    version = data_version(data)
    d = decide(data, weekly, metric="median_first_contact_hours", sla_version=1)
    assert (d.metric, d.sla_version, d.created_by) == ("median_first_contact_hours", 1, "maria")
    assert data_version(data) > version
    log = records.decisions_for(data)
    assert log.loc[0, "meeting"] == weekly.title and log.loc[0, "text"] == "Round-robin routing"
    assert list(records.decisions_for(data, weekly.id)["id"]) == [d.id]


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"text": "  "}, "write the decision"),
        ({"text": "x" * 2001}, "2000 characters"),
        ({"decided_by": ""}, "say who decided"),
        ({"metric": "happiness"}, "unknown metric 'happiness'"),
        ({"sla_version": 7}, "no SLA agreement version 7"),
        ({"decided_on": "2026-11-16"}, "must be a date"),
    ],
)
def test_bad_decisions_are_refused(weekly, data, kwargs, message):
    with pytest.raises(InvalidInput, match=message):
        decide(data, weekly, **kwargs)


def test_ratings_one_per_person_replaced_when_rated_again(weekly, data):
    assert records.rating_summary(data, weekly.id) == (None, 0)
    attendance.rate_meeting(data, actor=MARIA, meeting_id=weekly.id, rating=6)
    attendance.rate_meeting(data, actor=SAM, meeting_id=weekly.id, rating=9)
    attendance.rate_meeting(data, actor=MARIA, meeting_id=weekly.id, rating=8)
    assert records.rating_summary(data, weekly.id) == (8.5, 2)
    assert records.rating_of(data, weekly.id, "maria") == 8
    closing.close_meeting(data, actor=SAM, meeting_id=weekly.id, now=NOW)
    with pytest.raises(InvalidInput, match="closed"):
        attendance.rate_meeting(data, actor=ADA, meeting_id=weekly.id, rating=10)


@pytest.mark.parametrize("rating", [0, 11, 7.5, True, "8", None])
def test_a_rating_is_a_whole_number_from_1_to_10(weekly, data, rating):
    with pytest.raises(InvalidInput, match="from 1 to 10"):
        attendance.rate_meeting(data, actor=MARIA, meeting_id=weekly.id, rating=rating)


# --- closing ------------------------------------------------------------------------------


def test_closing_freezes_the_scorecard_carries_actions_and_writes_minutes(data):
    earlier = planning.create_meeting(data, actor=MARIA, kind="weekly", held_on=date(2026, 11, 9))
    action = actions.add_action(
        data,
        actor=MARIA,
        title="Call back every MQL",
        owner="sam",
        due_date=date(2026, 11, 20),
        metric="contacted_within_sla_rate",
        meeting_id=earlier.id,
        today=date(2026, 11, 9),
        now=NOW - timedelta(days=9),
    )
    closing.close_meeting(data, actor=MARIA, meeting_id=earlier.id, now=NOW - timedelta(days=9))
    weekly = records.next_meeting(data, today=date(2026, 11, 10), kind="weekly")
    assert weekly.held_on == MONDAY, "closing a meeting plans the next one in its rhythm"
    version = data_version(data)

    closed = closing.close_meeting(data, actor=SAM, meeting_id=weekly.id, now=NOW)
    assert (closed.status, closed.closed_at, closed.closed_by) == ("closed", NOW, "sam")
    assert data_version(data) > version
    snapshot = json.loads(closed.scorecard)
    # a Monday meeting looks at the day before: the full week just ended, the month so far
    assert snapshot["as_of"] == "2026-11-15" and snapshot["computed_at"] == NOW.isoformat()
    assert [r["period"]["kind"] for r in snapshot["reports"]] == ["week", "month"]
    assert [r["label"] for r in snapshot["reports"]] == ["week 46 2026", "November 2026"]
    assert len(snapshot["trailing"]["rows"]) == 13 * 7
    assert snapshot["trailing"]["rows"][-1]["period"] == "W46"
    # the frozen month equals the SLA report of that day at closing time
    sunday = MONDAY - timedelta(days=1)
    month = sla_report(data, period_containing("month", sunday), now=NOW).to_json()
    frozen = snapshot["reports"][1]
    assert frozen["period"] == month["period"] and frozen["agreement"] == month["agreement"]
    pairs = zip(frozen["metrics"], month["metrics"], strict=True)
    assert [{k: got[k] for k in want} for got, want in pairs] == month["metrics"]
    # the open action was carried to this meeting
    data.refresh(action)
    assert action.carried_over == 1
    review = data.exec(select(ActionReview).where(ActionReview.meeting_id == weekly.id)).one()
    assert review.outcome == "carried"
    assert closed.minutes == minutes_markdown(data, weekly.id)
    assert "Carried over (1×): Call back every MQL" in closed.minutes
    assert audit_rows(data, "meeting.close")[-1].entity_id == str(weekly.id)


def test_a_monthly_meeting_freezes_the_month_quarter_and_13_months(data):
    monthly = planning.create_meeting(data, actor=MARIA, kind="monthly", held_on=date(2026, 11, 2))
    snapshot = json.loads(
        closing.close_meeting(data, actor=MARIA, meeting_id=monthly.id, now=NOW).scorecard
    )
    assert [r["period"]["kind"] for r in snapshot["reports"]] == ["month", "quarter"]
    assert snapshot["trailing"]["kind"] == "month"
    periods = list(dict.fromkeys(r["period"] for r in snapshot["trailing"]["rows"]))
    assert periods[0] == "Nov 25" and periods[-1] == "Nov 26*" and len(periods) == 13


def test_the_frozen_scorecard_does_not_change_when_leads_do(weekly, data):
    note(data, MARIA, weekly, "7 MQLs so far this month", None)
    closed = closing.close_meeting(data, actor=MARIA, meeting_id=weekly.id, now=NOW)
    stored, minutes = closed.scorecard, minutes_markdown(data, weekly.id)
    before = scorecard_snapshot(data, kind="weekly", held_on=MONDAY, now=NOW)
    # later corrections: five more MQLs on the meeting day, one customer
    for i in range(5):
        add_lead(data, f"late-{i}", "2026-11-16 07:00", mql_at="2026-11-16 08:00")
    add_lead(
        data,
        "won",
        "2026-10-01 09:00",
        mql_at="2026-10-01 10:00",
        sql_at="2026-11-05 10:00",
        customer_at="2026-11-10 10:00",
    )
    after = scorecard_snapshot(data, kind="weekly", held_on=MONDAY, now=NOW)
    assert after != before  # the data did change …
    data.expire_all()
    again = records.meeting_by_id(data, weekly.id)
    assert again.scorecard == stored  # … but not the meeting's scorecard
    assert minutes_markdown(data, weekly.id) == minutes == again.minutes
    mqls = json.loads(again.scorecard)["reports"][1]["metrics"][0]
    assert mqls["key"] == "mqls_delivered" and mqls["actual"] == 7


def test_a_meeting_is_closed_once(weekly, data, engine):
    closing.close_meeting(data, actor=MARIA, meeting_id=weekly.id, now=NOW)
    with (
        Session(engine) as other,
        pytest.raises(InvalidInput, match="already closed on 2026-11-18 13:00 by maria"),
    ):
        closing.close_meeting(other, actor=SAM, meeting_id=weekly.id, now=NOW)
    assert len(audit_rows(data, "meeting.close")) == 1


def test_a_failed_close_leaves_the_meeting_open(weekly, data, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(actions, "carry_over", broken)
    with pytest.raises(RuntimeError):
        closing.close_meeting(data, actor=MARIA, meeting_id=weekly.id, now=NOW)
    data.expire_all()
    meeting = records.meeting_by_id(data, weekly.id)
    assert (meeting.status, meeting.scorecard, meeting.minutes) == ("planned", None, None)
    assert audit_rows(data, "meeting.close") == []


# --- a closed meeting: read-only except for audited admin corrections ----------------------


@pytest.fixture
def closed(weekly, data) -> Meeting:
    note(data, SAM, weekly, "Two MQLs waited overnight", None, step="sla_challenges")
    decide(data, weekly)
    return closing.close_meeting(data, actor=MARIA, meeting_id=weekly.id, now=NOW)


@pytest.mark.parametrize("actor", [MARIA, SAM, Actor.of("lea", {"leadership"})])
def test_a_closed_meeting_is_read_only_for_non_admins(closed, data, actor):
    with pytest.raises(PermissionDenied, match="closed and its minutes are final"):
        note(data, actor, closed, "late thought", None)
    with pytest.raises(PermissionDenied, match="closed"):
        decide(data, closed, actor=actor)
    with pytest.raises(PermissionDenied):
        closing.correct_closed_meeting(data, actor=actor, meeting_id=closed.id, title="x")


def test_an_admin_corrects_a_note_audited_and_the_minutes_follow(closed, data):
    scorecard = closed.scorecard
    stored = records.note_of(data, meeting_id=closed.id, step="sla_challenges", author="sam")
    fixed = note(
        data,
        ADA,
        closed,
        "Three MQLs waited overnight",
        stored.revision,
        step="sla_challenges",
        author="sam",
    )
    assert (fixed.author, fixed.revision) == ("sam", 2)
    entry = audit_rows(data, "meeting.correct_note")[0]
    assert entry.actor == "ada"
    assert {
        "old": "Two MQLs waited overnight",
        "new": "Three MQLs waited overnight",
        "author": "sam",
        "step": "sla_challenges",
    }.items() <= json.loads(entry.detail).items()
    data.expire_all()
    meeting = records.meeting_by_id(data, closed.id)
    assert "Three MQLs waited overnight" in meeting.minutes
    assert "Two MQLs" not in meeting.minutes
    assert meeting.scorecard == scorecard  # the same frozen scorecard


def test_an_admin_adds_a_forgotten_decision_and_fixes_the_title(closed, data):
    scorecard = closed.scorecard
    decide(data, closed, actor=ADA, text="Triage at 09:00 every day")
    assert audit_rows(data, "meeting.correct_decision")
    title = "Weekly smarketing — week 47 (moved)"
    corrected = closing.correct_closed_meeting(data, actor=ADA, meeting_id=closed.id, title=title)
    assert corrected.minutes.startswith("# Weekly smarketing — week 47 (moved)\n")
    assert "Triage at 09:00 every day" in corrected.minutes
    assert corrected.scorecard == scorecard
    detail = json.loads(audit_rows(data, "meeting.correct")[0].detail)
    assert detail["old_title"] == "Weekly smarketing — week 47"
    other = planning.create_meeting(data, actor=MARIA, kind="monthly", held_on=MONDAY)
    with pytest.raises(InvalidInput, match="not closed"):
        closing.correct_closed_meeting(data, actor=ADA, meeting_id=other.id)


# --- search -------------------------------------------------------------------------------


@pytest.fixture
def history(data):
    """Three meetings: week 45 (a decision on 'Round-Robin'), week 46 (a note with 100%ok),
    November's monthly one (title only)."""
    w45 = planning.create_meeting(data, actor=MARIA, kind="weekly", held_on=date(2026, 11, 2))
    w46 = planning.create_meeting(data, actor=MARIA, kind="weekly", held_on=date(2026, 11, 9))
    mon = planning.create_meeting(data, actor=MARIA, kind="monthly", held_on=date(2026, 11, 2))
    decide(data, w45, text="Route MQLs Round-Robin from Monday")
    note(data, SAM, w46, "Score 100%ok, MQLs_in_time", None)
    at_w45 = datetime(2026, 11, 2, 12, tzinfo=UTC)  # closed on its day: w46 is already ahead
    closing.close_meeting(data, actor=MARIA, meeting_id=w45.id, now=at_w45)
    return w45, w46, mon


@pytest.mark.parametrize(
    "kwargs, expected, found_in",
    [
        ({}, ["w46", "mon", "w45"], None),  # everything, newest first (ties: newest id)
        ({"text": "round-robin"}, ["w45"], ["decisions, minutes"]),  # any case
        ({"text": "MQLS_IN"}, ["w46"], ["notes"]),  # _ is a letter, not a wildcard
        ({"text": "100%OK"}, ["w46"], ["notes"]),  # % too
        ({"text": "1_0"}, [], None),  # would match "100" if _ were a wildcard
        ({"text": "leadership"}, ["mon"], ["title"]),
        ({"text": "week 4"}, ["w46", "w45"], ["title", "title, minutes"]),
        ({"kind": "weekly"}, ["w46", "w45"], None),
        ({"start": date(2026, 11, 3)}, ["w46"], None),
        ({"end": date(2026, 11, 2)}, ["mon", "w45"], None),
        ({"text": "monday", "start": date(2026, 11, 2), "end": date(2026, 11, 8)}, ["w45"], None),
        ({"text": "nothing like this"}, [], None),
    ],
)
def test_search_meetings_by_text_and_date(history, data, kwargs, expected, found_in):
    ids = dict(zip(("w45", "w46", "mon"), (m.id for m in history), strict=True))
    frame = records.search_meetings(data, **kwargs)
    assert list(frame.columns) == ["id", "held_on", "kind", "title", "status", "found_in"]
    assert list(frame["id"]) == [ids[name] for name in expected]
    if found_in is not None:
        assert list(frame["found_in"]) == found_in


def test_carried_actions_show_up_in_the_minutes_of_each_meeting(data):
    """An action open across three meetings is carried 1×, then 2×; done at the third."""
    days = [date(2026, 11, 2), date(2026, 11, 9), date(2026, 11, 16)]
    ids = [planning.create_meeting(data, actor=MARIA, kind="weekly", held_on=d).id for d in days]
    action = actions.add_action(
        data,
        actor=MARIA,
        title="Tag every rejected MQL",
        owner="maria",
        due_date=date(2026, 11, 4),
        meeting_id=ids[0],
        today=days[0],
        now=NOW - timedelta(days=16),
    )
    closing.close_meeting(data, actor=MARIA, meeting_id=ids[0], now=NOW - timedelta(days=16))
    closing.close_meeting(data, actor=MARIA, meeting_id=ids[1], now=NOW - timedelta(days=9))
    running.start_meeting(
        data, actor=MARIA, meeting_id=ids[2], now=NOW - timedelta(days=2), on_another_day=True
    )
    actions.review_action(
        data,
        actor=MARIA,
        action_id=action.id,
        meeting_id=ids[2],
        outcome="done",
        now=NOW - timedelta(days=2),
    )
    closing.close_meeting(data, actor=MARIA, meeting_id=ids[2], now=NOW)
    data.expire_all()
    texts = [records.meeting_by_id(data, i).minutes for i in ids]
    assert "Tag every rejected MQL" in texts[0] and "## New actions" in texts[0]
    assert "↻ Carried over (1×): Tag every rejected MQL" in texts[1]
    assert "(overdue)" in texts[1]
    assert "✔ Done: Tag every rejected MQL" in texts[2]
    assert data.get(Action, action.id).carried_over == 1


def test_planning_after_todays_meeting_was_held_plans_the_next_one(session):
    from smarketing.store.models import Meeting

    monday = date(2026, 11, 16)
    session.add(
        Meeting(kind="weekly", title="held", held_on=monday, status="closed", created_by="x")
    )
    session.commit()
    planned = planning.plan_next_meeting(session, actor=MARIA, kind="weekly", today=monday)
    assert planned.held_on == date(2026, 11, 23)
    again = planning.plan_next_meeting(session, actor=MARIA, kind="weekly", today=monday)
    assert again.id == planned.id


# --- an empty save (issue 13, defect 3) ----------------------------------------------------


@pytest.mark.parametrize("empty", ["", "   \n "])
def test_an_empty_save_never_creates_a_note(weekly, data, empty):
    assert note(data, SAM, weekly, empty, None) is None
    assert data.exec(select(MeetingNote)).all() == []


def test_an_empty_save_never_replaces_a_written_note(weekly, data):
    note(data, MARIA, weekly, "Webinar MQLs waited two days", None)
    with pytest.raises(notes.EmptyNote) as err:  # e.g. a stale, empty box on step change
        note(data, MARIA, weekly, "", 1)
    assert isinstance(err.value, InvalidInput)
    assert (err.value.stored_body, err.value.stored_revision) == (
        "Webinar MQLs waited two days",
        1,
    )
    assert "an empty box does not delete it" in str(err.value)
    stored = records.note_of(data, meeting_id=weekly.id, step="scorecard", author="maria")
    assert (stored.body, stored.revision) == ("Webinar MQLs waited two days", 1)


def test_a_note_is_emptied_only_when_the_person_deletes_it(weekly, data):
    note(data, MARIA, weekly, "Draft: blame the webinar list", None)
    with pytest.raises(InvalidInput, match="empty the box first"):
        note(data, MARIA, weekly, "something", 1, clear=True)
    with pytest.raises(notes.NoteConflict):  # deleting from a stale tab changes nothing
        note(data, MARIA, weekly, "", 0, clear=True)
    cleared = note(data, MARIA, weekly, "", 1, clear=True)
    assert (cleared.body, cleared.revision) == ("", 2)
    [entry] = audit_rows(data, "meeting.clear_note")
    assert entry.actor == "maria" and "Draft: blame the webinar list" in entry.detail
    assert note(data, MARIA, weekly, "", 2, clear=True).revision == 2  # already empty
    assert note(data, MARIA, weekly, "Written again", 2).revision == 3


# --- the meeting's day (issue 13, defect 4) -------------------------------------------------

SUNDAY_6_DEC = datetime(2026, 12, 6, 16, tzinfo=UTC)  # 17:00 in Oslo


@pytest.fixture
def monday_7_dec(data) -> Meeting:
    return planning.create_meeting(
        data, actor=MARIA, kind="weekly", held_on=date(2026, 12, 7), now=NOW
    )


def test_starting_on_another_day_than_planned_asks_once(monday_7_dec, data):
    with pytest.raises(running.OtherDay) as err:
        running.start_meeting(data, actor=SAM, meeting_id=monday_7_dec.id, now=SUNDAY_6_DEC)
    assert str(err.value) == (
        "'Weekly smarketing — week 50' is planned for Monday 7 Dec — start it today, Sunday 6 Dec?"
    )
    assert (err.value.planned, err.value.today) == (date(2026, 12, 7), date(2026, 12, 6))
    assert records.meeting_by_id(data, monday_7_dec.id).status == "planned"
    started = running.start_meeting(
        data, actor=SAM, meeting_id=monday_7_dec.id, now=SUNDAY_6_DEC, on_another_day=True
    )
    assert (started.status, started.held_on) == ("running", date(2026, 12, 7))
    entry = audit_rows(data, "meeting.start")[-1]
    assert '"planned_for": "2026-12-07"' in entry.detail and "2026-12-06" in entry.detail
    # running: starting again asks nothing
    assert running.start_meeting(data, actor=SAM, meeting_id=started.id, now=NOW).id == started.id


def test_a_meeting_closed_before_its_day_is_listed_with_the_past_ones(monday_7_dec, data):
    running.start_meeting(
        data, actor=SAM, meeting_id=monday_7_dec.id, now=SUNDAY_6_DEC, on_another_day=True
    )
    closing.close_meeting(data, actor=SAM, meeting_id=monday_7_dec.id, now=SUNDAY_6_DEC)
    sunday = date(2026, 12, 6)
    past = records.search_meetings(data, past_on=sunday, end=sunday)
    assert monday_7_dec.id not in set(past["id"]), "'to today' alone would hide it"
    assert records.latest_past_day(data, today=sunday) == date(2026, 12, 7)
    past = records.search_meetings(data, past_on=sunday, end=date(2026, 12, 7))
    assert list(past["id"]) == [monday_7_dec.id]
    ahead = records.upcoming_meetings(data, today=sunday)
    assert [(m.held_on, m.status) for m in ahead] == [(date(2026, 12, 14), "planned")]
    text = records.meeting_by_id(data, monday_7_dec.id).minutes
    assert "- **Date:** Monday 7 December 2026" in text
    held = "- **Held:** Sunday 6 December 2026, started 17:00 (planned for Monday 7 December"
    assert held in text


def test_past_meetings_are_the_closed_ones_and_those_dated_before_today(data):
    held = planning.create_meeting(data, actor=MARIA, kind="weekly", held_on=date(2026, 11, 9))
    forgotten = planning.create_meeting(
        data, actor=MARIA, kind="monthly", held_on=date(2026, 11, 2)
    )
    ahead = planning.create_meeting(data, actor=MARIA, kind="weekly", held_on=MONDAY)
    closing.close_meeting(data, actor=MARIA, meeting_id=held.id, now=NOW - timedelta(days=9))
    today = date(2026, 11, 12)
    assert list(records.search_meetings(data, past_on=today)["id"]) == [held.id, forgotten.id]
    assert [m.id for m in records.upcoming_meetings(data, today=today)] == [ahead.id]


# --- recurring meetings plan themselves (issue 13, defect 12) ------------------------------


@pytest.mark.parametrize(
    "kind, held_on, expected",
    [
        ("weekly", date(2026, 11, 16), date(2026, 11, 23)),  # Monday: next Monday
        ("weekly", date(2026, 11, 18), date(2026, 11, 25)),  # a Wednesday team: Wednesday
        ("monthly", date(2026, 11, 2), date(2026, 12, 7)),  # first Monday: first Monday
        ("monthly", date(2026, 12, 7), date(2027, 1, 4)),  # across the new year
        ("monthly", date(2026, 11, 10), date(2026, 12, 8)),  # second Tuesday
        ("monthly", date(2026, 11, 30), date(2026, 12, 28)),  # fifth Monday: the last one
    ],
)
def test_the_next_day_in_the_rhythm(kind, held_on, expected):
    assert planning.following_day(kind, held_on) == expected


def test_closing_plans_the_next_meeting_once(weekly, data):
    running.set_facilitator(data, actor=MARIA, meeting_id=weekly.id, username="sam")
    closing.close_meeting(data, actor=MARIA, meeting_id=weekly.id, now=NOW)
    [following] = records.upcoming_meetings(data, today=date(2026, 11, 19))
    assert (following.kind, following.held_on, following.status) == (
        "weekly",
        date(2026, 11, 23),
        "planned",
    )
    assert following.facilitator == "sam", "the facilitator carries on"
    assert following.title == "Weekly smarketing — week 48"
    assert audit_rows(data, "meeting.plan_recurring")[0].entity_id == str(following.id)
    assert planning.plan_recurring(data, actor=SAM, today=date(2026, 11, 19)) == []


def test_closing_keeps_a_meeting_already_planned_after_it(weekly, data):
    later = planning.create_meeting(data, actor=MARIA, kind="weekly", held_on=date(2026, 11, 30))
    closing.close_meeting(data, actor=MARIA, meeting_id=weekly.id, now=NOW)
    assert [m.id for m in records.upcoming_meetings(data, today=NOW.date())] == [later.id]


def test_a_kind_without_meetings_plans_nothing(data):
    assert planning.plan_recurring(data, actor=SAM, today=MONDAY) == []
    assert data.exec(select(Meeting)).all() == []


def test_recurring_meetings_plan_themselves_when_none_is_ahead(data):
    weekly = planning.create_meeting(data, actor=MARIA, kind="weekly", held_on=date(2026, 11, 4))
    monthly = planning.create_meeting(
        data, actor=MARIA, kind="monthly", held_on=date(2026, 11, 2), facilitator="ada"
    )
    version = data_version(data)
    today = date(2026, 11, 18)  # three weeks on: the Wednesday rhythm continues from today
    planned = planning.plan_recurring(data, actor=SAM, today=today)
    assert [(m.kind, m.held_on, m.facilitator) for m in planned] == [
        ("weekly", date(2026, 11, 18), "maria"),
        ("monthly", date(2026, 12, 7), "ada"),
    ]
    assert data_version(data) > version
    assert planning.plan_recurring(data, actor=SAM, today=today) == []  # idempotent
    assert {m.id for m in records.meetings(data)} >= {weekly.id, monthly.id}
    assert len(records.meetings(data)) == 4
    with pytest.raises(PermissionDenied):
        planning.plan_recurring(data, actor=NOBODY, today=date(2027, 1, 1))


def _plan_in_a_process(url: str, today: date, barrier, out) -> None:
    from smarketing.store.db import make_engine

    engine = make_engine(url)
    try:
        barrier.wait(timeout=30)
        with Session(engine) as s:
            out.put([m.id for m in planning.plan_recurring(s, actor=SAM, today=today)])
    except Exception as exc:  # reported to the test
        out.put(repr(exc))
    finally:
        engine.dispose()


def test_two_processes_planning_at_once_plan_one_meeting(data, db_url):
    import multiprocessing

    planning.create_meeting(data, actor=MARIA, kind="weekly", held_on=date(2026, 11, 2))
    context = multiprocessing.get_context("fork")
    for week in range(3):  # three rounds: each time both find nothing ahead
        today = date(2026, 11, 9) + timedelta(weeks=week)
        barrier, out = context.Barrier(2), context.Queue()
        workers = [
            context.Process(target=_plan_in_a_process, args=(db_url, today, barrier, out))
            for _ in range(2)
        ]
        for w in workers:
            w.start()
        results = [out.get(timeout=60) for _ in workers]
        for w in workers:
            w.join(timeout=60)
        assert all(isinstance(r, list) for r in results), results
        assert sorted(len(r) for r in results) == [0, 1], results
        data.expire_all()
        days = [m.held_on for m in records.meetings(data, kind="weekly")]
        assert len(days) == len(set(days)) == week + 2, days


# --- attendees, ratings, decided by (issue 13, defect 12) ---------------------------------


def test_the_attendee_list_holds_users_and_guests(weekly, data):
    people_ = attendance.set_attendees(
        data,
        actor=SAM,
        meeting_id=weekly.id,
        usernames=["maria", "sam", "maria"],
        guests=["Ole  Olsen", "ole olsen", " "],
    )
    assert [(a.username, a.guest_name) for a in people_] == [
        ("maria", None),
        ("sam", None),
        (None, "Ole Olsen"),
    ]
    frame = records.attendee_frame(data, weekly.id)
    assert list(frame["name"]) == ["Maria Moe", "Ole Olsen", "Sam Solberg"]
    assert list(frame["is_guest"]) == [False, True, False]
    attendance.set_attendees(data, actor=SAM, meeting_id=weekly.id, usernames=["sam"], guests=[])
    assert [a.username for a in records.attendees_of(data, weekly.id)] == ["sam"]
    entry = audit_rows(data, "meeting.attendees")[-1]
    assert entry.actor == "sam" and "Ole Olsen" in entry.detail and "maria" in entry.detail


@pytest.mark.parametrize(
    "usernames, guests, error, message",
    [
        (["nobody"], [], InvalidInput, "unknown: nobody"),
        (["cli"], [], InvalidInput, "unknown: cli"),
        ([], ["Tom, the intern"], InvalidInput, "without a comma"),
        ([], ["x" * 101], InvalidInput, "100 characters"),
    ],
)
def test_bad_attendees_are_refused(weekly, data, usernames, guests, error, message):
    with pytest.raises(error, match=message):
        attendance.set_attendees(
            data, actor=SAM, meeting_id=weekly.id, usernames=usernames, guests=guests
        )
    assert records.attendees_of(data, weekly.id) == []


def test_the_facilitator_records_everyones_rating(weekly, data):
    attendance.set_attendees(
        data, actor=MARIA, meeting_id=weekly.id, usernames=["maria", "sam"], guests=["Ole Olsen"]
    )
    ids = {r.name: int(r.id) for r in records.attendee_frame(data, weekly.id).itertuples()}
    assert weekly.facilitator == "maria"
    for name, rating in (("Sam Solberg", 6), ("Ole Olsen", 9), ("Maria Moe", 8)):
        attendance.rate_attendee(
            data, actor=MARIA, meeting_id=weekly.id, attendee_id=ids[name], rating=rating
        )
    assert records.rating_of(data, weekly.id, "sam") == 6  # a user's rating is theirs
    frame = records.attendee_frame(data, weekly.id)
    assert dict(zip(frame["name"], frame["rating"], strict=True)) == {
        "Maria Moe": 8,
        "Ole Olsen": 9,
        "Sam Solberg": 6,
    }
    assert records.rating_summary(data, weekly.id) == (7.7, 3)
    with pytest.raises(PermissionDenied, match="only the meeting's facilitator"):
        attendance.rate_attendee(
            data, actor=SAM, meeting_id=weekly.id, attendee_id=ids["Ole Olsen"], rating=1
        )
    attendance.rate_attendee(  # everyone may rate for themselves
        data, actor=SAM, meeting_id=weekly.id, attendee_id=ids["Sam Solberg"], rating=7
    )
    attendance.rate_attendee(  # and the facilitator may take a rating back
        data, actor=MARIA, meeting_id=weekly.id, attendee_id=ids["Ole Olsen"], rating=None
    )
    assert records.rating_summary(data, weekly.id) == (7.5, 2)
    assert [e.actor for e in audit_rows(data, "meeting.rate")] == ["maria"] * 3 + ["sam", "maria"]
    attendance.rate_meeting(data, actor=MARIA, meeting_id=weekly.id, rating=10, username="ada")
    assert records.rating_of(data, weekly.id, "ada") == 10
    assert "ada" in {a.username for a in records.attendees_of(data, weekly.id)}
    running.set_facilitator(data, actor=SAM, meeting_id=weekly.id, username="sam")
    with pytest.raises(PermissionDenied):
        attendance.rate_meeting(data, actor=MARIA, meeting_id=weekly.id, rating=3, username="ada")


def test_decided_by_picks_people_and_old_free_text_stays_readable(weekly, data):
    decide(data, weekly, decided_by=["maria", "sam", "Ole Olsen"])
    decide(data, weekly, text="Keep SLA version 1", decided_by="Marketing and sales")
    frame = records.decisions_for(data, weekly.id)
    assert list(frame["decided_by"]) == ["maria, sam, Ole Olsen", "Marketing and sales"]
    closing.close_meeting(data, actor=MARIA, meeting_id=weekly.id, now=NOW)
    text = records.meeting_by_id(data, weekly.id).minutes
    assert "Round-robin routing — decided by Maria Moe, Sam Solberg, Ole Olsen on 16 Nov" in text
    assert "Keep SLA version 1 — decided by Marketing and sales on 16 Nov" in text
    with pytest.raises(InvalidInput, match="at least one person"):
        decide(data, weekly, actor=ADA, decided_by=[])
