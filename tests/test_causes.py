""" "Why?" causes: kept with their period, validated, open to every role."""

from __future__ import annotations

from datetime import date

import pytest

from smarketing.auth.permissions import Actor
from smarketing.errors import InvalidInput
from smarketing.sla.causes import causes_for, record_cause
from smarketing.sla.periods import period_containing

SAM = Actor.of("sam", {"sales"})
WEEK = period_containing("week", date(2026, 11, 18))


def test_cause_is_kept_with_its_period(session):
    record_cause(
        session,
        actor=SAM,
        metric="contacted_within_sla_rate",
        period=WEEK,
        category="Staffing / capacity",
        text="Two reps at the Oslo event",
    )
    shown = causes_for(session, WEEK)
    assert shown[["metric", "category", "text", "author"]].values.tolist() == [
        ["contacted_within_sla_rate", "Staffing / capacity", "Two reps at the Oslo event", "sam"]
    ]
    assert causes_for(session, period_containing("week", date(2026, 11, 25))).empty
    assert causes_for(session, period_containing("month", date(2026, 11, 18))).empty


@pytest.mark.parametrize(
    ("metric", "category", "text", "message"),
    [
        ("nonsense", "Other", "x", "unknown metric"),
        ("sqls", "Bad luck", "x", "pick a category"),
        ("sqls", "Other", "   ", "needs a few words"),
        ("sqls", "Other", "x" * 2001, "under 2000"),
    ],
)
def test_bad_causes_are_refused(session, metric, category, text, message):
    with pytest.raises(InvalidInput, match=message):
        record_cause(session, actor=SAM, metric=metric, period=WEEK, category=category, text=text)
    assert causes_for(session, WEEK).empty


def test_recording_a_cause_bumps_the_data_version_and_keeps_its_time(session):
    from datetime import UTC, datetime

    from smarketing.store.db import data_version

    before = data_version(session)
    at = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
    cause = record_cause(
        session, actor=SAM, metric="sqls", period=WEEK, category="Other", text="Why", now=at
    )
    assert data_version(session) == before + 1, "cached figures and screens refresh"
    assert cause.created_at == at


def test_a_refused_cause_says_why_in_norwegian_and_the_category_stays_english(session):
    from smarketing import i18n

    with i18n.language("nb"):
        with pytest.raises(InvalidInput) as refused:
            record_cause(session, actor=SAM, metric="sqls", period=WEEK, category="x", text="x")
        assert str(refused.value).startswith(
            "velg en kategori: Leadvolum, Leadkvalitet, Bemanning / kapasitet,"
        )
        with pytest.raises(InvalidInput, match="skriv hva som skjedde: årsaken trenger noen ord"):
            record_cause(session, actor=SAM, metric="sqls", period=WEEK, category="Other", text="")
        record_cause(session, actor=SAM, metric="sqls", period=WEEK, category="Other", text="Ferie")
    assert causes_for(session, WEEK)["category"].tolist() == ["Other"]  # stored as the key
