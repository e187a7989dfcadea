"""SLA agreement versions: who may propose and confirm, validation, which one is in effect."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import select

from smarketing.auth.permissions import Actor
from smarketing.errors import InvalidInput, PermissionDenied
from smarketing.sla import agreements
from smarketing.store.models import AuditEntry

LEA = Actor.of("lea", {"leadership"})
MIA = Actor.of("mia", {"marketing"})
SAM = Actor.of("sam", {"sales"})
V1 = {
    "mql_target": 140,
    "acceptance_rate_target": 0.7,
    "response_hours": 4,
    "contacted_within_sla_target": 0.8,
    "sql_target": 55,
    "close_rate_target": 0.2,
    "customer_target": 8,
}


def propose(session, actor=LEA, effective=date(2026, 1, 1), **changes):
    return agreements.propose_agreement(
        session,
        actor=actor,
        targets={**V1, **changes},
        effective_from=effective,
        reason="Agreed at kick-off",
    )


def test_sales_cannot_edit_the_agreement(session):
    with pytest.raises(PermissionDenied, match="Only admin, leadership may propose"):
        propose(session, actor=SAM)
    assert session.exec(select(AuditEntry)).all() == []  # nothing written


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"mql_target": -5}, "mql_target must be a whole number"),
        ({"acceptance_rate_target": 1.4}, "acceptance_rate_target must be a share between 0 and 1"),
        ({"close_rate_target": -0.1}, "close_rate_target must be a share"),
        ({"response_hours": 0}, "response_hours must be hours, more than 0"),
        ({"sql_target": "many"}, "sql_target must be"),
    ],
)
def test_invalid_targets_are_refused(session, changes, message):
    with pytest.raises(InvalidInput, match=message):
        propose(session, **changes)


def test_in_effect_only_after_both_teams_confirm(session):
    v1 = propose(session)
    assert agreements.agreement_for(session, date(2026, 3, 1)) is None
    agreements.confirm_agreement(session, actor=MIA, version=1, team="marketing")
    assert agreements.agreement_for(session, date(2026, 3, 1)) is None
    with pytest.raises(PermissionDenied):  # marketing cannot confirm for sales
        agreements.confirm_agreement(session, actor=MIA, version=1, team="sales")
    agreements.confirm_agreement(session, actor=SAM, version=1, team="sales")
    assert agreements.agreement_for(session, date(2026, 3, 1)).id == v1.id
    assert agreements.agreement_for(session, date(2025, 12, 31)) is None


def test_one_person_cannot_confirm_both_sides(session):
    both = Actor.of("max", {"marketing", "sales"})
    propose(session)
    agreements.confirm_agreement(session, actor=both, version=1, team="marketing")
    with pytest.raises(PermissionDenied, match="two different people"):
        agreements.confirm_agreement(session, actor=both, version=1, team="sales")


def test_newer_version_takes_over_from_its_date(session):
    propose(session)
    propose(session, effective=date(2026, 9, 1), mql_target=150, response_hours=2)
    for version in (1, 2):
        agreements.confirm_agreement(session, actor=MIA, version=version, team="marketing")
        agreements.confirm_agreement(session, actor=SAM, version=version, team="sales")
    assert agreements.agreement_for(session, date(2026, 8, 31)).mql_target == 140
    assert agreements.agreement_for(session, date(2026, 9, 1)).mql_target == 150
    assert agreements.agreement_for(session, date(2026, 9, 1)).version == 2


def test_history_shows_changes_and_confirmations(session):
    propose(session)
    propose(session, effective=date(2026, 9, 1), mql_target=150, response_hours=2)
    agreements.confirm_agreement(session, actor=MIA, version=2, team="marketing")
    history = agreements.agreement_history(session)
    assert [h["version"] for h in history] == [2, 1]
    assert history[0]["state"] == "awaiting confirmation"
    assert history[0]["marketing_confirmed"].startswith("mia (")
    assert history[0]["sales_confirmed"] is None
    assert history[0]["changes"] == [
        ("effective_from", date(2026, 1, 1), date(2026, 9, 1)),
        ("mql_target", 140, 150),
        ("response_hours", 4.0, 2.0),
    ]
    assert history[1]["changes"] == []
