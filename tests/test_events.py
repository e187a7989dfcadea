"""The event intake's rules: the schema (a malformed body says which event, which field,
why), the inbox (a repeat stores nothing), and the intake job (matched to the lead by CRM
id or e-mail, written once as an activity, first contact derived, an unknown lead tried
again and given up after 24 h)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlmodel import Session, select

from smarketing.data_in import events
from smarketing.data_in.events import EventsRejected, parse_events, process_inbox
from smarketing.store.db import versions, write_transaction
from smarketing.store.models import EventInbox, LeadActivity, LeadChange
from tests.conftest import NOW
from tests.factories import add_lead, oslo


def body(*items) -> bytes:
    return json.dumps(items[0] if len(items) == 1 else list(items)).encode()


def post(engine, sender: str, *items, now=NOW) -> events.Stored:
    """Store events as the route does: parsed, then one insert."""
    parsed = parse_events(body(*items), now=now)
    with write_transaction(engine) as conn:
        return events.store_events(conn, sender, parsed, now=now)


def problems(raw: bytes) -> list[tuple]:
    with pytest.raises(EventsRejected) as info:
        parse_events(raw, now=NOW)
    return [(p.index, p.field) for p in info.value.event_problems]


FORM = {"event_id": "e1", "email": "Kari@Example.com", "kind": "Form submission"}


def test_a_valid_event_is_normalised():
    (event,) = parse_events(body({**FORM, "url": "https://x.no/a", "detail": " Contact "}), now=NOW)
    assert event == {
        "event_id": "e1",
        "email": "Kari@Example.com",
        "crm_id": None,
        "crm": None,
        "kind": "form",
        "detail": "Contact",
        "url": "https://x.no/a",
        "occurred_at": NOW.isoformat(),  # default: when it arrived
    }
    (event,) = parse_events(
        body({**FORM, "occurred_at": "2026-11-18T10:42:00+01:00", "crm_id": 42}), now=NOW
    )
    assert event["occurred_at"] == "2026-11-18T09:42:00+00:00" and event["crm_id"] == "42"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"{not json", [(None, None)]),
        (b"[]", [(None, None)]),  # nothing to store
        (body(*[FORM] * 501), [(None, None)]),  # more than 500
        (body([1]), [(0, None)]),  # not an object
        (body({"email": "a@b.no", "kind": "form"}), [(0, "event_id")]),
        (body({**FORM, "event_id": "x" * 201}), [(0, "event_id")]),
        (body({"event_id": "e", "kind": "form"}), [(0, "email")]),  # no lead named
        (body({**FORM, "email": "not an address"}), [(0, "email")]),
        (body({**FORM, "kind": "sneeze"}), [(0, "kind")]),
        (body({**FORM, "crm_id": "1", "crm": "zoho"}), [(0, "crm")]),
        (body({**FORM, "occurred_at": "2026-11-18T10:42"}), [(0, "occurred_at")]),  # no offset
        (body({**FORM, "occurred_at": "yesterday"}), [(0, "occurred_at")]),
        (body({**FORM, "url": "javascript:alert(1)"}), [(0, "url")]),
        (body({**FORM, "detail": {"a": 1}}), [(0, "detail")]),
        (body({**FORM, "occured_at": "2026-11-18T10:42Z"}), [(0, "occured_at")]),  # a typo
        (body(FORM, {**FORM, "kind": None}, {**FORM, "email": ""}), [(1, "kind"), (2, "email")]),
    ],
)
def test_malformed_bodies_say_what_is_wrong(raw, expected):
    assert problems(raw) == expected


def test_the_reason_names_the_field():
    with pytest.raises(EventsRejected) as info:
        parse_events(body({**FORM, "occurred_at": "2026-11-18T10:42"}), now=NOW)
    assert "occurred_at" in str(info.value) and "timezone" in str(info.value)


def test_a_repeat_stores_nothing(engine):
    assert post(engine, "web", FORM) == events.Stored(accepted=1, repeats=0)
    assert post(engine, "web", FORM, {**FORM, "event_id": "e2"}) == events.Stored(1, 1)
    assert post(engine, "other", FORM) == events.Stored(1, 0)  # ids are per sender
    with Session(engine) as s:
        assert len(s.exec(select(EventInbox)).all()) == 3


def _activities(engine) -> list[tuple]:
    with Session(engine) as s:
        rows = s.exec(select(LeadActivity).order_by(LeadActivity.id)).all()
        return [(a.lead_id, a.kind, a.detail, a.occurred_at) for a in rows]


def _outcomes(engine) -> list[tuple]:
    with Session(engine) as s:
        rows = s.exec(select(EventInbox).order_by(EventInbox.id)).all()
        return [(r.event_id, r.outcome, r.processed_at is not None) for r in rows]


def test_events_become_activities_of_their_leads(engine, session):
    kari = add_lead(session, "101", "2026-11-01 09:00", email="kari@example.com")
    old = add_lead(session, "102", "2026-11-01 09:00", email="KARI@example.com")
    old.updated_at = kari.updated_at - timedelta(days=1)  # kari's record is the newer one
    session.add(old)
    ola = add_lead(session, "201", "2026-11-01 09:00", source_system="hubspot")
    add_lead(session, "301", "2026-11-01 09:00", email="demo@example.com", is_demo=True)
    session.commit()
    version, activities = versions(session)
    post(
        engine,
        "web",
        {**FORM, "url": "https://x.no/contact", "detail": "Contact us"},
        {
            "event_id": "e2",
            "crm_id": "201",
            "crm": "hubspot",
            "kind": "page view",
            "url": "https://x.no/pricing",
            "occurred_at": "2026-11-18T10:00:00Z",
        },
        {"event_id": "e3", "email": "demo@example.com", "kind": "download"},
    )
    result = process_inbox(engine, now=NOW)
    assert (result.processed, result.stored, result.waiting) == (3, 2, 1)
    assert _activities(engine) == [
        (kari.id, "form", "Contact us (https://x.no/contact)", NOW),
        (ola.id, "page_view", "https://x.no/pricing", NOW - timedelta(hours=2)),
    ]
    assert _outcomes(engine) == [
        ("e1", events.STORED, True),
        ("e2", events.STORED, True),
        ("e3", events.WAITING, False),  # demo leads are not matched
    ]
    session.expire_all()
    # website activities only: one bump of the activity version for the batch; the figures'
    # data version stays (their caches too)
    assert versions(session) == (version, activities + 1)


def test_the_same_event_twice_is_one_activity(engine, session):
    add_lead(session, "101", "2026-11-01 09:00", email="kari@example.com")
    at = {"occurred_at": "2026-11-18T10:00:00Z"}
    post(engine, "web", {**FORM, **at})
    post(engine, "web", {**FORM, **at})  # the same id again
    post(engine, "other", {**FORM, **at})  # the same activity from another sender
    process_inbox(engine, now=NOW)
    post(engine, "web", {**FORM, **at, "event_id": "later"})
    second = process_inbox(engine, now=NOW)
    assert len(_activities(engine)) == 1
    assert second.already_stored == 1
    assert [o for _, o, _ in _outcomes(engine)] == [
        events.STORED,
        events.ALREADY_STORED,
        events.ALREADY_STORED,
    ]


def test_a_sales_event_derives_the_first_contact(engine, session):
    lead = add_lead(
        session, "101", "2026-11-01 09:00", email="kari@example.com", mql_at="2026-11-17 09:00"
    )
    post(
        engine,
        "web",
        {**FORM, "kind": "call", "occurred_at": "2026-11-17T10:00:00+01:00"},
        {**FORM, "event_id": "e0", "kind": "meeting", "occurred_at": "2026-11-17T08:00:00+01:00"},
    )
    before = versions(session)
    result = process_inbox(engine, now=NOW)
    assert result.first_contacts == 1
    session.expire_all()
    assert versions(session) == (before[0] + 1, before[1])  # the SLA's figures change
    # the meeting was before the MQL: the call is the first contact
    assert session.get(type(lead), lead.id).first_contact_at == oslo("2026-11-17 10:00")
    change = session.exec(select(LeadChange)).one()
    assert (change.field, change.changed_by) == ("first_contact_at", "events")


def test_an_unknown_lead_is_tried_again_then_given_up(engine, session):
    post(engine, "web", FORM, now=NOW)
    assert process_inbox(engine, now=NOW).waiting == 1
    # within the retry pause: not tried again
    assert process_inbox(engine, now=NOW + timedelta(seconds=30)).processed == 0
    # the lead arrives with a sync; the next try finds it
    add_lead(session, "101", "2026-11-01 09:00", email="kari@example.com")
    assert process_inbox(engine, now=NOW + timedelta(minutes=2)).stored == 1
    assert _outcomes(engine) == [("e1", events.STORED, True)]

    post(engine, "web", {**FORM, "event_id": "e9", "email": "nobody@example.com"}, now=NOW)
    assert process_inbox(engine, now=NOW + timedelta(minutes=4)).waiting == 1
    assert process_inbox(engine, now=NOW + timedelta(hours=23, minutes=59)).waiting == 1
    gone = process_inbox(engine, now=NOW + timedelta(hours=24, minutes=1))
    assert (gone.given_up, gone.waiting) == (1, 0)
    assert _outcomes(engine)[-1] == ("e9", events.UNKNOWN_LEAD, True)
    assert process_inbox(engine, now=NOW + timedelta(hours=25)).processed == 0
    post(engine, "web", {**FORM, "event_id": "new"}, now=NOW)
    with Session(engine) as s:
        assert events.inbox_counts(s) == {
            events.STORED: 1,
            events.UNKNOWN_LEAD: 1,
            "pending": 1,
        }


def test_new_events_go_before_waiting_ones(engine, session):
    post(engine, "web", *[{**FORM, "event_id": f"w{i}", "email": "x@y.no"} for i in range(3)])
    process_inbox(engine, now=NOW)
    add_lead(session, "101", "2026-11-01 09:00", email="kari@example.com")
    post(engine, "web", FORM)
    result = process_inbox(engine, now=NOW + timedelta(minutes=5), limit=1)
    assert (result.processed, result.stored) == (1, 1)


def test_without_crm_the_one_crm_of_the_database_is_meant(engine, session):
    lead = add_lead(session, "7", "2026-11-01 09:00", source_system="pipedrive")
    post(engine, "web", {"event_id": "p", "crm_id": 7, "kind": "email click"})
    assert process_inbox(engine, now=NOW).stored == 1
    assert _activities(engine)[0][0] == lead.id


def test_a_sales_event_that_changes_no_first_contact_bumps_the_data_version(engine, session):
    """A call logged after the first contact changes no lead, but the SLA's coverage counts
    sales activities: the figures are recomputed."""
    add_lead(session, "101", "2026-11-01 09:00", email="kari@example.com")  # no MQL
    before = versions(session)
    post(engine, "web", {**FORM, "kind": "call"})
    assert process_inbox(engine, now=NOW).stored == 1
    session.expire_all()
    assert versions(session) == (before[0] + 1, before[1])


def test_posts_stored_together_count_as_if_each_came_alone(engine):
    """The intake's writer stores the posts that queued up in one insert: each post hears
    what it would have heard alone, in order (an id its sender used in an earlier post of
    the same insert, or before, is a repeat; another sender's same id is not)."""
    post(engine, "web", {**FORM, "event_id": "old"})
    posts = [
        ("web", [{**FORM, "event_id": "a"}, {**FORM, "event_id": "a"}], NOW),  # twice in one
        ("web", [{**FORM, "event_id": "a"}, {**FORM, "event_id": "old"}], NOW),
        ("app", [{**FORM, "event_id": "a"}], NOW),
        ("web", [{**FORM, "event_id": "b"}], NOW),
    ]
    with write_transaction(engine) as conn:
        stored = events.store_posts(conn, posts)
    assert stored == [
        events.Stored(accepted=1, repeats=1),
        events.Stored(accepted=0, repeats=2),
        events.Stored(accepted=1, repeats=0),
        events.Stored(accepted=1, repeats=0),
    ]
    with Session(engine) as s:
        keys = s.exec(select(EventInbox.sender, EventInbox.event_id)).all()
    assert sorted(keys) == [("app", "a"), ("web", "a"), ("web", "b"), ("web", "old")]
