"""Verdicts on MQLs (who, reasons, history, the SLA's acceptance rate), the list of
rejection reasons, and first contacts / contact attempts."""

from __future__ import annotations

import json
from datetime import date, datetime

import pytest
from sqlmodel import select

from smarketing.auth.permissions import Actor
from smarketing.errors import InvalidInput, NotFound, PermissionDenied
from smarketing.quality.verdicts import record_contact, record_verdict
from smarketing.sla.metrics import sla_report
from smarketing.sla.periods import period_containing
from smarketing.store.db import data_version
from smarketing.store.models import AuditEntry, Lead, LeadActivity, LeadChange, Verdict
from tests.factories import add_lead, oslo

SAM = Actor.of("sam", {"sales"})
ADA = Actor.of("ada", {"admin"})
MIA = Actor.of("mia", {"marketing"})
LEA = Actor.of("lea", {"leadership"})
NOW = oslo("2026-11-18 13:00")


@pytest.fixture
def mql(session) -> Lead:
    return add_lead(session, "M1", "2026-11-16 09:00", mql_at="2026-11-17 09:00", owner="sam")


def verdict(session, lead, kind="accepted", reason=None, actor=SAM, **kw):
    return record_verdict(session, actor=actor, lead_id=lead.id, verdict=kind, reason=reason, **kw)


def history(session, lead) -> list[tuple]:
    rows = session.exec(
        select(Verdict).where(Verdict.lead_id == lead.id).order_by(Verdict.id)
    ).all()
    return [(v.verdict, v.reason, v.decided_by) for v in rows]


# --- who may --------------------------------------------------------------------------------


@pytest.mark.parametrize("actor", [SAM, ADA], ids=["sales", "admin"])
def test_sales_and_admin_record_verdicts(session, mql, actor):
    row = verdict(session, mql, actor=actor, now=NOW)
    assert (row.verdict, row.decided_by, row.decided_at) == ("accepted", actor.username, NOW)
    session.refresh(mql)
    assert mql.accepted_at == NOW and mql.rejected_at is None


@pytest.mark.parametrize("actor", [MIA, LEA, None], ids=["marketing", "leadership", "nobody"])
def test_others_may_not(session, mql, actor):
    with pytest.raises(PermissionDenied, match="Only admin, sales may accept or reject an MQL"):
        verdict(session, mql, actor=actor)
    with pytest.raises(PermissionDenied, match="record a first contact"):
        record_contact(
            session, actor=actor, lead_id=mql.id, kind="call", detail="Hi", attempt=False
        )
    assert history(session, mql) == []
    assert session.exec(select(LeadActivity)).all() == []


def test_permission_is_checked_before_the_lead(session):
    with pytest.raises(PermissionDenied):
        record_verdict(session, actor=MIA, lead_id=999, verdict="accepted", reason=None)


# --- rules ----------------------------------------------------------------------------------


def test_only_an_mql_gets_a_verdict(session):
    lead = add_lead(session, "L1", "2026-11-16 09:00")
    with pytest.raises(InvalidInput, match="not an MQL yet"):
        verdict(session, lead)
    with pytest.raises(NotFound, match="no lead with id 999"):
        record_verdict(session, actor=SAM, lead_id=999, verdict="accepted", reason=None)


@pytest.mark.parametrize(
    ("kind", "reason", "comment", "message"),
    [
        ("rejected", None, "", "a rejection needs a reason: choose one of Wrong persona"),
        ("rejected", "  ", "", "needs a reason"),
        ("rejected", "The weather", "", "'The weather' is not a rejection reason"),
        ("rejected", "No reason given", "", "'No reason given' is set by imports"),
        ("rejected", "Other", "", "say in the comment what it was"),
        ("maybe", None, "", "a verdict is 'accepted' or 'rejected'"),
    ],
)
def test_bad_verdicts_are_refused(session, mql, kind, reason, comment, message):
    with pytest.raises(InvalidInput, match=message):
        verdict(session, mql, kind, reason, comment=comment)
    assert history(session, mql) == []


def test_rejection_stores_the_reasons_key(session, mql):
    row = verdict(session, mql, "rejected", "  no BUDGET ", comment=" Next year ", now=NOW)
    assert (row.reason, row.comment) == ("no_budget", "Next year")
    session.refresh(mql)
    assert (mql.rejected_at, mql.rejection_reason, mql.accepted_at) == (NOW, "no_budget", None)


@pytest.mark.parametrize(
    "given", ["student_competitor", "Student / competitor", "student/competitor", "Competitor"]
)
def test_a_reason_is_given_by_key_label_or_another_spelling(session, mql, given):
    assert verdict(session, mql, "rejected", given).reason == "student_competitor"


def test_other_with_a_comment_is_fine(session, mql):
    assert verdict(session, mql, "rejected", "Other", comment="Moved abroad").reason == "other"


def test_an_accepted_verdict_keeps_no_reason(session, mql):
    assert verdict(session, mql, "accepted", "No budget").reason is None


def test_changing_a_verdict_keeps_the_history(session, mql):
    t1, t2, t3 = oslo("2026-11-17 10:00"), oslo("2026-11-17 11:00"), oslo("2026-11-17 12:00")
    verdict(session, mql, "accepted", now=t1)
    verdict(session, mql, "rejected", "Wrong persona", now=t2)
    session.refresh(mql)
    assert (mql.accepted_at, mql.rejected_at, mql.rejection_reason) == (None, t2, "wrong_persona")
    verdict(session, mql, "rejected", "Duplicate", actor=ADA, now=t3)  # a different reason
    session.refresh(mql)
    assert (mql.rejected_at, mql.rejection_reason) == (t3, "duplicate")
    verdict(session, mql, "accepted", now=NOW)
    session.refresh(mql)
    assert (mql.accepted_at, mql.rejected_at, mql.rejection_reason) == (NOW, None, None)
    assert history(session, mql) == [
        ("accepted", None, "sam"),
        ("rejected", "wrong_persona", "sam"),
        ("rejected", "duplicate", "ada"),
        ("accepted", None, "sam"),
    ]


def test_the_same_verdict_twice_is_refused(session, mql):
    verdict(session, mql, "rejected", "Bad data", now=NOW)
    with pytest.raises(InvalidInput, match=r"already rejected \(Bad data\) by sam on 18 Nov 2026"):
        verdict(session, mql, "rejected", "bad data")
    assert len(history(session, mql)) == 1


def test_a_back_dated_verdict_is_history_not_the_current_one(session, mql):
    verdict(session, mql, "accepted", now=NOW)
    verdict(session, mql, "rejected", "No budget", now=oslo("2026-11-17 10:00"))
    session.refresh(mql)
    assert mql.accepted_at == NOW and mql.rejected_at is None
    assert len(history(session, mql)) == 2


def test_naive_times_are_refused(session, mql):
    with pytest.raises(InvalidInput, match="needs a timezone"):
        verdict(session, mql, now=datetime(2026, 11, 18, 12))


def test_a_verdict_is_audited_and_bumps_the_data_version(session, mql):
    before = data_version(session)
    verdict(session, mql, "rejected", "Not reachable", comment="Three calls", now=NOW)
    assert data_version(session) == before + 1
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "lead.verdict")).one()
    assert (entry.actor, entry.entity, entry.entity_id) == ("sam", "lead", str(mql.id))
    assert json.loads(entry.detail) == {
        "verdict": "rejected",
        "reason": "not_reachable",
        "comment": "Three calls",
        "previous": None,
    }


def test_an_accepted_verdict_shows_in_the_acceptance_rate(session, mql):
    other = add_lead(session, "M2", "2026-11-16 09:00", mql_at="2026-11-17 10:00")
    period = period_containing("month", date(2026, 11, 18))

    def rate():
        m = sla_report(session, period, now=NOW).metric("mql_acceptance_rate")
        return m.numerator, m.denominator, m.actual

    assert rate() == (None, 0, None)  # no verdict anywhere yet: not measured (coverage)
    verdict(session, mql, "accepted", now=NOW)
    assert rate() == (1, 1, 1.0)
    verdict(session, other, "rejected", "Duplicate", now=NOW)
    assert rate() == (1, 2, 0.5)
    verdict(session, mql, "rejected", "No budget")  # changed: the newest verdict counts
    assert rate() == (0, 2, 0.0)


# --- the list of reasons (more in test_reasons.py) -----------------------------------------


def test_a_retired_reason_is_not_offered_but_old_verdicts_keep_it(session, mql):
    from smarketing.quality import reasons

    verdict(session, mql, "rejected", "Duplicate", now=oslo("2026-11-17 10:00"))
    rows = [reasons.Edit(r.key, r.label, r.key == "duplicate") for r in reasons.reasons(session)]
    reasons.save(session, actor=ADA, rows=rows)
    verdict(session, mql, "accepted", now=oslo("2026-11-17 11:00"))
    with pytest.raises(InvalidInput, match="'Duplicate' is no longer offered"):
        verdict(session, mql, "rejected", "Duplicate", now=NOW)
    assert history(session, mql)[0] == ("rejected", "duplicate", "sam")
    assert reasons.labels(session)["duplicate"] == "Duplicate"


# --- contacts -------------------------------------------------------------------------------


def contact(session, lead, when, kind="call", attempt=False, detail="Intro call", actor=SAM):
    return record_contact(
        session,
        actor=actor,
        lead_id=lead.id,
        kind=kind,
        detail=detail,
        attempt=attempt,
        when=oslo(when),
    )


def changes(session, lead) -> list[tuple]:
    rows = session.exec(select(LeadChange).where(LeadChange.lead_id == lead.id)).all()
    return [(c.field, c.old_value, c.new_value, c.changed_by) for c in rows]


def test_a_contact_sets_the_first_contact(session, mql):
    before = data_version(session)
    activity = contact(session, mql, "2026-11-17 10:30", kind="meeting", detail="Coffee")
    assert (activity.kind, activity.detail, activity.actor) == ("meeting", "Coffee", "sam")
    session.refresh(mql)
    assert mql.first_contact_at == oslo("2026-11-17 10:30")
    assert changes(session, mql) == [("first_contact_at", None, "2026-11-17T09:30:00+00:00", "sam")]
    assert data_version(session) == before + 1
    assert session.exec(select(AuditEntry).where(AuditEntry.action == "lead.contact")).one()


def test_an_attempt_is_recorded_but_is_no_first_contact(session, mql):
    activity = contact(session, mql, "2026-11-17 10:00", attempt=True, detail="No answer")
    assert activity.detail == "Attempt: No answer"
    session.refresh(mql)
    assert mql.first_contact_at is None
    assert changes(session, mql) == []
    assert session.exec(select(AuditEntry).where(AuditEntry.action == "lead.contact_attempt")).one()
    empty = contact(session, mql, "2026-11-17 10:05", attempt=True, detail="  ", kind="email")
    assert empty.detail == "Attempt: no answer"


def test_a_later_contact_does_not_move_the_first_one(session, mql):
    contact(session, mql, "2026-11-17 11:00")
    contact(session, mql, "2026-11-17 15:00", kind="email")
    session.refresh(mql)
    assert mql.first_contact_at == oslo("2026-11-17 11:00")
    contact(session, mql, "2026-11-17 10:00", detail="Logged late")  # earlier: it was first
    session.refresh(mql)
    assert mql.first_contact_at == oslo("2026-11-17 10:00")
    assert [c[2] for c in changes(session, mql)] == [
        "2026-11-17T10:00:00+00:00",
        "2026-11-17T09:00:00+00:00",
    ]


def test_a_contact_before_the_mql_is_no_first_contact(session, mql):
    contact(session, mql, "2026-11-17 08:00")
    session.refresh(mql)
    assert mql.first_contact_at is None


def test_a_stored_touch_before_the_mql_is_replaced(session):
    lead = add_lead(
        session,
        "M3",
        "2026-11-10 09:00",
        mql_at="2026-11-17 09:00",
        first_contact_at="2026-11-12 09:00",
    )
    contact(session, lead, "2026-11-17 09:00")  # exactly at mql_at counts
    session.refresh(lead)
    assert lead.first_contact_at == oslo("2026-11-17 09:00")


def test_a_contact_with_a_lead_that_is_no_mql_is_only_an_activity(session):
    lead = add_lead(session, "L2", "2026-11-16 09:00")
    contact(session, lead, "2026-11-17 10:00")
    session.refresh(lead)
    assert lead.first_contact_at is None
    assert len(session.exec(select(LeadActivity)).all()) == 1


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(kind="page_view"), "a contact is one of call, email, meeting"),
        (dict(detail="x" * 501), "at most 500 characters"),
        (dict(when=datetime(2026, 11, 17, 10)), "needs a timezone"),
        (dict(lead_id=999), "no lead with id 999"),
    ],
)
def test_bad_contacts_are_refused(session, mql, kwargs, message):
    args = dict(actor=SAM, lead_id=mql.id, kind="call", detail="Hi", attempt=False) | kwargs
    with pytest.raises((InvalidInput, NotFound), match=message):
        record_contact(session, **args)
    assert session.exec(select(LeadActivity)).all() == []


def test_a_refused_verdict_says_why_in_norwegian(session, mql):
    from smarketing import i18n

    with i18n.language("nb"), pytest.raises(InvalidInput) as refused:
        verdict(session, mql, "rejected", None, now=NOW)
    assert str(refused.value).startswith(
        "en avvisning trenger en grunn: velg en av Feil persona, Mangler budsjett"
    )
    with i18n.language("nb"):  # a label as people read it matches too
        verdict(session, mql, "rejected", "Feil persona", now=NOW)
    with i18n.language("nb"), pytest.raises(InvalidInput) as again:
        verdict(session, mql, "rejected", "wrong_persona", now=NOW)
    assert str(again.value) == (
        f"lead {mql.id} er allerede avvist (Feil persona) av sam 18. nov. 2026: ingenting å endre"
    )
