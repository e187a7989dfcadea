"""The lead list (filters, text search, pagination), a lead's detail and its timeline.

Now is Wednesday 18 Nov 2026 13:00 Oslo. Agreement in effect: 4 response hours.

lead created stage reached                 owner source   persona notes
A    01 Nov  lead                          —     Ads      —       Ola Nordmann, Fjord AS
B    02 Nov  mql 17 Nov 09:00              kari  Ads      Maria   waiting, past deadline
C    03 Nov  mql 18 Nov 12:00              kari  Events   Maria   waiting, not yet due
D    04 Nov  mql, accepted, contacted +1 h per   Events   Henrik  on time
E    05 Nov  mql, rejected, no contact     per   Ads      Henrik  past deadline, decided
F    06 Nov  sql (accepted before)         kari  Referral Maria
G    07 Nov  opportunity                   per   Referral —       Østlandet Data AS
H    08 Nov  customer                      —     —        —       Kari_Hansen, 100%
I    09 Nov  mql, touched BEFORE mql_at    kari  Ads      Maria   no response to the MQL
"""

from __future__ import annotations

import re
from datetime import date
from unittest import mock

import pandas as pd
import pytest

from smarketing.auth.permissions import Actor
from smarketing.errors import InvalidInput, NotFound
from smarketing.quality.leads import (
    LEAD_STAGES,
    PAGE_COLUMNS,
    TIMELINE_COLUMNS,
    LeadFilter,
    filter_options,
    lead_detail,
    lead_page,
    timeline,
)
from smarketing.quality.verdicts import record_verdict
from smarketing.store.models import Lead, LeadActivity, LeadChange, SlaAgreement
from tests.factories import add_lead, oslo

NOW = oslo("2026-11-18 13:00")
SAM = Actor.of("sam", {"sales"})


@pytest.fixture
def leads(session):
    session.add(
        SlaAgreement(
            version=1,
            effective_from=date(2026, 1, 1),
            proposed_by="lea",
            in_effect=True,
            mql_target=10,
            acceptance_rate_target=0.7,
            response_hours=4,
            contacted_within_sla_target=0.8,
            sql_target=5,
            close_rate_target=0.2,
            customer_target=1,
        )
    )
    rows = [
        ("A", "2026-11-01 09:00", dict(source="Ads", first_name="Ola", last_name="Nordmann")),
        ("B", "2026-11-02 09:00", dict(mql_at="2026-11-17 09:00", owner="kari", source="Ads")),
        ("C", "2026-11-03 09:00", dict(mql_at="2026-11-18 12:00", owner="kari", source="Events")),
        (
            "D",
            "2026-11-04 09:00",
            dict(
                mql_at="2026-11-05 09:00",
                accepted_at="2026-11-05 10:00",
                first_contact_at="2026-11-05 10:00",
                owner="per",
                source="Events",
                persona="Henrik",
            ),
        ),
        (
            "E",
            "2026-11-05 09:00",
            dict(
                mql_at="2026-11-06 09:00",
                rejected_at="2026-11-06 10:00",
                rejection_reason="No budget",
                owner="per",
                source="Ads",
                persona="Henrik",
            ),
        ),
        (
            "F",
            "2026-11-06 09:00",
            dict(
                mql_at="2026-11-07 09:00",
                accepted_at="2026-11-07 10:00",
                first_contact_at="2026-11-07 11:00",
                sql_at="2026-11-09 09:00",
                owner="kari",
                source="Referral",
            ),
        ),
        (
            "G",
            "2026-11-07 09:00",
            dict(
                mql_at="2026-11-08 09:00",
                first_contact_at="2026-11-08 09:30",
                sql_at="2026-11-09 09:00",
                opportunity_at="2026-11-10 09:00",
                owner="per",
                source="Referral",
                company="Østlandet Data AS",
            ),
        ),
        (
            "H",
            "2026-11-08 09:00",
            dict(
                sql_at="2026-11-09 09:00",
                customer_at="2026-11-12 09:00",
                first_name="Kari_Hansen",
                company="Fjord Data AS",
                email="hansen@100%.no",
            ),
        ),
        (
            "I",
            "2026-11-09 09:00",
            dict(
                mql_at="2026-11-10 09:00",
                first_contact_at="2026-11-09 12:00",
                owner="kari",
                source="Ads",
            ),
        ),
    ]
    out = {}
    for ext, created, fields in rows:
        fields.setdefault("first_name", f"Lead{ext}")
        fields.setdefault("last_name", "Test")
        fields.setdefault("company", f"Company {ext} AS")
        fields.setdefault("email", f"{ext.lower()}@example.no")
        if ext in "BCFI":
            fields.setdefault("persona", "Maria")
        out[ext] = add_lead(session, ext, created, **fields)
    out["A"].company = "Fjord AS"
    session.add(out["A"])
    session.commit()
    return out


def ids(session, frame) -> list[str]:
    """The external ids of the frame's leads, in the frame's order."""
    return [session.get(Lead, int(i)).external_id for i in frame["id"]]


def page_ids(session, flt=LeadFilter(), **kw) -> tuple[list[str], int]:
    frame, total = lead_page(session, flt, page=kw.pop("page", 1), now=NOW, **kw)
    return ids(session, frame), total


def test_the_list_has_the_documented_columns_newest_first(session, leads):
    frame, total = lead_page(session, LeadFilter(), page=1, now=NOW)
    assert list(frame.columns) == PAGE_COLUMNS
    assert total == 9
    assert ids(session, frame) == list("IHGFEDCBA")
    d = frame.set_index("id").loc[leads["D"].id]
    assert (d["name"], d["stage"], d["verdict"], d["owner"], d["persona"]) == (
        "LeadD Test",
        "accepted",
        "accepted",
        "per",
        "Henrik",
    )
    assert d["first_contact_at"] == pd.Timestamp(oslo("2026-11-05 10:00"))
    a = frame.set_index("id").loc[leads["A"].id]
    assert (a["owner"], a["campaign"], a["persona"]) == ("(none)", "(none)", "(none)")
    assert pd.isna(a["verdict"]) and pd.isna(a["mql_at"])
    assert str(frame["created_at"].dtype).startswith("datetime64")


@pytest.mark.parametrize(
    ("stage", "expected"),
    [
        ("lead", "A"),
        ("mql", "CBI"),  # MQLs without a verdict and nothing further
        ("accepted", "D"),
        ("rejected", "E"),
        ("sql", "F"),  # accepted before, but the furthest stage counts
        ("opportunity", "G"),
        ("customer", "H"),
    ],
)
def test_stage_filter_matches_the_furthest_stage(session, leads, stage, expected):
    found, total = page_ids(session, LeadFilter(stage=stage))
    assert sorted(found) == sorted(expected)
    assert total == len(expected)


def test_every_stage_filter_agrees_with_the_stage_column(session, leads):
    frame, _ = lead_page(session, LeadFilter(), page=1, now=NOW)
    for stage in LEAD_STAGES:
        found, _ = page_ids(session, LeadFilter(stage=stage))
        assert sorted(found) == sorted(ids(session, frame[frame["stage"] == stage]))


@pytest.mark.parametrize(
    ("flt", "expected"),
    [
        (LeadFilter(owner="kari"), "BCFI"),
        (LeadFilter(owner="(none)"), "AH"),
        (LeadFilter(source="Ads"), "ABEI"),
        (LeadFilter(source="(none)"), "H"),
        (LeadFilter(persona="Henrik"), "DE"),
        (LeadFilter(persona="(none)"), "AGH"),
        (LeadFilter(campaign="(none)"), "ABCDEFGHI"),
        (LeadFilter(campaign="Spring"), ""),
        (LeadFilter(owner="kari", source="Ads"), "BI"),  # filters combine
        (LeadFilter(owner="kari", stage="mql"), "BCI"),
        (LeadFilter(owner=""), "ABCDEFGHI"),  # an empty choice means any
        # MQLs without accepted/rejected, whatever came later
        (LeadFilter(waiting_for_verdict=True), "BCGI"),
        # deadline mql_at + 4 h passed before now without a contact at/after mql_at:
        # B (17 Nov), E (rejected, never contacted), I (touched only before its MQL);
        # C's deadline is 16:00 today
        (LeadFilter(past_contact_deadline=True), "BEI"),
        (LeadFilter(past_contact_deadline=True, response_hours=0.5), "BCEI"),
        (LeadFilter(past_contact_deadline=True, response_hours=48), "EI"),
        (LeadFilter(waiting_for_verdict=True, past_contact_deadline=True), "BI"),
    ],
)
def test_filters_narrow_the_list(session, leads, flt, expected):
    found, total = page_ids(session, flt)
    assert sorted(found) == sorted(expected)
    assert total == len(expected)


def test_deadline_without_an_agreement_is_24_hours(session, leads):
    leads["B"].mql_at = oslo("2026-11-18 08:00")  # 5 h ago
    session.add(leads["B"])
    session.commit()
    found, _ = page_ids(session, LeadFilter(past_contact_deadline=True))
    assert sorted(found) == ["B", "E", "I"]  # 4 h in the agreement
    session.delete(session.get(SlaAgreement, 1))
    session.commit()
    found, _ = page_ids(session, LeadFilter(past_contact_deadline=True))
    assert sorted(found) == ["E", "I"]  # 24 h without one


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("nordmann", "A"),  # last name, any case
        ("OLA NORD", "A"),  # first and last name together
        ("fjord", "AH"),  # company
        ("@example.no", "ABCDEFGI"),  # e-mail
        ("100%", "H"),  # % is a character, not a wildcard
        ("kari_", "H"),  # _ too
        ("  leadb  ", "B"),  # surrounding blanks ignored
        ("nobody", ""),
        ("Øst", "G"),  # a capital beyond ASCII, as typed
    ],
)
def test_text_search(session, leads, text, expected):
    found, total = page_ids(session, LeadFilter(text=text))
    assert sorted(found) == sorted(expected)
    assert total == len(expected)


def test_text_search_lower_case_beyond_ascii(session, leads):
    found, _ = page_ids(session, LeadFilter(text="østlandet"))
    # SQLite's lower() folds ASCII letters only (docs/metrics.md, "Text search")
    assert found == ([] if session.get_bind().dialect.name == "sqlite" else ["G"])


@pytest.mark.parametrize(
    ("page", "expected"),
    [(1, "IHG"), (2, "FED"), (3, "CBA"), (4, "")],
)
def test_pagination_returns_one_page_and_the_total(session, leads, page, expected):
    found, total = page_ids(session, page=page, per_page=3)
    assert found == list(expected)
    assert total == 9


def test_pagination_with_a_filter(session, leads):
    frame, total = lead_page(session, LeadFilter(source="Ads"), page=2, per_page=3, now=NOW)
    assert ids(session, frame) == ["A"]  # I, E, B on page 1
    assert total == 4


def test_ties_on_created_at_are_ordered_by_id(session, leads):
    twin = add_lead(session, "A2", "2026-11-01 09:00")
    found, _ = page_ids(session, LeadFilter(stage="lead"))
    assert found == ["A2", "A"]
    assert twin.id > leads["A"].id


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(page=0), "start at 1"),
        (dict(page=1, per_page=0), "rows per page"),
        (dict(page=1, per_page=501), "rows per page"),
    ],
)
def test_bad_pages_are_refused(session, kwargs, message):
    with pytest.raises(InvalidInput, match=message):
        lead_page(session, LeadFilter(), now=NOW, **kwargs)


def test_unknown_stage_is_refused(session):
    with pytest.raises(InvalidInput, match="unknown stage 'won'"):
        lead_page(session, LeadFilter(stage="won"), page=1, now=NOW)


def test_empty_store_gives_an_empty_page(session):
    frame, total = lead_page(session, LeadFilter(), page=1, now=NOW)
    assert frame.empty and total == 0
    assert list(frame.columns) == PAGE_COLUMNS
    assert filter_options(session) == {"owner": [], "source": [], "campaign": [], "persona": []}


def test_filter_options(session, leads):
    leads["C"].owner = ""  # an empty value is missing too
    session.add(leads["C"])
    session.commit()
    options = filter_options(session)
    assert options["owner"] == ["kari", "per", "(none)"]
    assert options["source"] == ["Ads", "Events", "Referral", "(none)"]
    assert options["campaign"] == ["(none)"]
    assert options["persona"] == ["Henrik", "Maria", "(none)"]
    found, _ = page_ids(session, LeadFilter(owner="(none)"))
    assert sorted(found) == ["A", "C", "H"]


def test_detail_has_profile_lifecycle_verdicts_and_changes(session, leads):
    lead = leads["B"]
    record_verdict(
        session,
        actor=SAM,
        lead_id=lead.id,
        verdict="accepted",
        reason=None,
        now=oslo("2026-11-17 10:00"),
    )
    record_verdict(
        session,
        actor=SAM,
        lead_id=lead.id,
        verdict="rejected",
        reason="Wrong persona",
        comment="A student after all",
        now=oslo("2026-11-17 11:00"),
    )
    session.add(
        LeadChange(
            lead_id=lead.id,
            field="mql_at",
            old_value=None,
            new_value="2026-11-17T08:00:00+00:00",
            changed_at=oslo("2026-11-17 09:00"),
            changed_by="import:mia",
        )
    )
    session.commit()
    detail = lead_detail(session, lead.id)
    assert detail["name"] == "LeadB Test"
    assert (detail["owner"], detail["source"], detail["campaign"]) == ("kari", "Ads", "(none)")
    assert (detail["stage"], detail["verdict"], detail["rejection_reason"]) == (
        "rejected",
        "rejected",
        "Wrong persona",
    )
    assert detail["is_mql"] is True
    assert detail["lifecycle"]["mql_at"] == oslo("2026-11-17 09:00")
    assert detail["lifecycle"]["rejected_at"] == oslo("2026-11-17 11:00")
    assert detail["lifecycle"]["accepted_at"] is None
    assert [(v["verdict"], v["reason"], v["decided_by"]) for v in detail["verdicts"]] == [
        ("rejected", "Wrong persona", "sam"),
        ("accepted", None, "sam"),
    ]
    assert detail["verdicts"][0]["comment"] == "A student after all"
    assert [(c["field"], c["changed_by"]) for c in detail["changes"]] == [("mql_at", "import:mia")]


def test_detail_of_an_unknown_lead(session):
    with pytest.raises(NotFound, match="no lead with id 99"):
        lead_detail(session, 99)
    with pytest.raises(NotFound):
        timeline(session, 99)


def _activity(session, lead, when, kind, detail="", actor=None):
    session.add(
        LeadActivity(lead_id=lead.id, kind=kind, detail=detail, occurred_at=oslo(when), actor=actor)
    )


def test_timeline_oldest_first_with_labels(session, leads):
    lead = leads["D"]
    _activity(session, lead, "2026-11-05 10:00", "call", "Intro call", "per")
    _activity(session, lead, "2026-11-04 09:00", "form", "Demo request")
    _activity(session, lead, "2026-11-04 08:00", "page_view", "/pricing")
    _activity(session, lead, "2026-11-06 09:00", "email_click", "Newsletter")
    _activity(session, lead, "2026-11-06 10:00", "meeting", "Discovery", "per")
    _activity(session, lead, "2026-11-06 11:00", "webinar", "Odd kind from a CRM")
    _activity(session, leads["A"], "2026-11-05 10:00", "download", "E-book")  # another lead
    session.commit()
    frame = timeline(session, lead.id)
    assert list(frame.columns) == TIMELINE_COLUMNS
    assert list(frame["label"]) == [
        "Page view",
        "Form",
        "Call",
        "E-mail click",
        "Meeting",
        "Webinar",
    ]
    assert list(frame["sales"]) == [False, False, True, False, True, False]
    assert frame["occurred_at"].is_monotonic_increasing
    assert frame["actor"].iloc[2] == "per"
    newest_two = timeline(session, lead.id, limit=2)
    assert list(newest_two["kind"]) == ["meeting", "webinar"]


def test_timeline_of_a_lead_without_activities(session, leads):
    frame = timeline(session, leads["A"].id)
    assert frame.empty
    assert list(frame.columns) == TIMELINE_COLUMNS


def test_labels_of_stages_activities_and_reasons_in_norwegian(session, leads):
    from smarketing import i18n
    from smarketing.quality.leads import activity_label, lifecycle_label, shown_value, stage_label
    from smarketing.quality.verdicts import verdict_label

    lead = leads["B"]
    record_verdict(
        session,
        actor=SAM,
        lead_id=lead.id,
        verdict="rejected",
        reason="wrong_persona",
        now=oslo("2026-11-17 10:00"),
    )
    _activity(session, lead, "2026-11-05 10:00", "email_click", "Newsletter")
    _activity(session, lead, "2026-11-06 11:00", "webinar", "Odd kind from a CRM")
    session.commit()
    with i18n.language("nb"):
        detail = lead_detail(session, lead.id)
        events = timeline(session, lead.id)
        assert stage_label("accepted") == "Godtatt av salg"
        assert stage_label("opportunity") == "Mulighet"
        assert lifecycle_label("created_at") == "Ble lead"
        assert activity_label("meeting") == "Møte" and activity_label("call") == "Samtale"
        assert verdict_label("rejected") == "Avvist" and verdict_label(None) is None
        assert shown_value("(none)") == "(ingen)" and shown_value("Webinar") == "Webinar"
    # the stored values stay; the labels people read are Norwegian
    assert (detail["stage"], detail["verdict"]) == ("rejected", "rejected")
    assert detail["rejection_reason"] == "Feil persona"
    assert detail["verdicts"][0]["reason"] == "Feil persona"
    assert list(events["kind"]) == ["email_click", "webinar"]
    assert list(events["label"]) == ["Klikk i e-post", "Webinar"]


def test_filter_options_come_from_the_rollups_and_match_the_leads(engine, session, leads):
    """The options are read from ``rollup_cohort`` and the log, never from ``lead``, and
    are the leads' own values: after the rollups are built, after a refreshed change and
    with a change still in the log."""
    from sqlalchemy import event

    from smarketing.store import rollup
    from smarketing.store.db import bump_data_version

    def from_leads() -> dict[str, list[str]]:
        with mock.patch.object(rollup, "dimension_values", return_value=None):
            return filter_options(session)

    sent: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *a: sent.append(a[2]))
    rollup.ensure(engine)
    assert rollup.dimension_values(session.connection(), "owner") is not None
    sent.clear()
    options = filter_options(session)
    assert sent and not [s for s in sent if re.search(r"\bFROM lead\b", s)]
    assert options == from_leads()

    leads["B"].owner, leads["B"].source = "per", "Webinar"  # kari keeps lead C
    session.add(leads["B"])
    bump_data_version(session)  # the refresh applies the change
    session.commit()
    options = filter_options(session)
    assert options == from_leads() and "Webinar" in options["source"]

    leads["C"].persona = "Nora"  # in the log, not applied yet
    session.add(leads["C"])
    session.flush()
    assert "Nora" in filter_options(session)["persona"] == from_leads()["persona"]
    session.rollback()
