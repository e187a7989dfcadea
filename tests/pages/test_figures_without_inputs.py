"""Pages after a contacts-only import (tests/factories.py's ``add_contacts_only_dataset``:
MQLs, but no first contact and no verdict anywhere): the figures that need them read "—"
with the reason — the SLA page's tiles, the Overview's scorecard, the Lead quality table and
funnel — and the columns have human labels, empty cells "—", never "None"."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlmodel import Session

from smarketing.sla.causes import CATEGORIES
from smarketing.sla.coverage import NO_FIRST_CONTACTS, NO_VERDICTS
from smarketing.store.models import SlaCause
from tests.factories import add_contacts_only_dataset, add_lead
from tests.pages.conftest import PEOPLE, logged_in, texts

AS_OF = date(2026, 11, 15)


@pytest.fixture
def contacts_only(app_env):
    with Session(app_env) as s:
        add_contacts_only_dataset(s)
    return app_env


def _open(page: str, as_of: date = AS_OF):
    at = logged_in("mia", PEOPLE["mia"], as_of=as_of)
    at.switch_page(page).run()
    assert not at.exception
    return at


def _charts(at) -> list[dict]:
    """The Vega-Lite specs of the run (st.altair_chart and st.vega_lite_chart)."""
    found = []
    for kind in ("arrow_vega_lite_chart", "vega_lite_chart"):
        for element in at.get(kind):
            spec = json.loads(element.proto.spec)
            datasets = {d.name: d for d in element.proto.datasets}
            found.append({"spec": spec, "datasets": datasets})
    return found


def test_sla_tiles_show_a_dash_with_the_reason(people, contacts_only):
    at = _open("app_pages/sla.py")
    values = {m.label: m.value for m in at.metric}
    assert values["Contacted in time"] == "—"  # was "0.0%": sales looked like failing
    assert values["Median first contact"] == "—"
    assert values["MQL acceptance"] == "—"
    assert values["MQLs delivered"] == "4"
    captions = [c.value for c in at.caption]
    assert f"— {NO_FIRST_CONTACTS}" in captions
    assert f"— {NO_VERDICTS}" in captions


@pytest.mark.parametrize("section", ["First contact", "Overdue MQLs"])
def test_sla_detail_sections_say_why_instead_of_listing_every_mql(people, contacts_only, section):
    at = _open("app_pages/sla.py")
    at.button_group(key="sla_section").set_value(section).run()
    assert [i.value for i in at.info] == [f"— {NO_FIRST_CONTACTS}."]
    assert not at.dataframe


def test_overview_scorecard_cells_are_dashes_with_the_reason_beneath(people, contacts_only):
    at = _open("app_pages/overview.py")
    scorecard = next(c["spec"] for c in _charts(at) if c["spec"].get("layer"))
    notes = " ".join(scorecard["title"]["text"])
    assert f"— Marketing · MQL acceptance: {NO_VERDICTS}" in notes
    assert "Sales · Contacted in time" in notes and NO_FIRST_CONTACTS.split(":")[0] in notes
    assert "0.0 %" not in json.dumps(scorecard)


def test_quality_table_and_funnel_show_a_dash_for_verdicts(people, contacts_only):
    at = _open("app_pages/quality.py", as_of=date(2026, 11, 30))
    # every column (rejected and MQL → accepted are offered under "Columns")
    at.multiselect(key="_columns_quality_breakdown_picker").set_value(
        ["rejected", "opportunities", "mql_to_accepted", "customers_per_100_leads"]
    ).run()
    table = next(d for d in at.dataframe if "accepted" in d.value.columns).value
    total = table.set_index("value").loc["total"]
    assert (total["accepted"], total["rejected"], total["mql_to_accepted"]) == ("—", "—", "—")
    assert total["leads"] == 6  # counts with no gap stay numbers
    assert "None" not in table.astype(str).to_string()
    page = texts(at)
    assert f"— Accepted, Rejected, MQL → accepted: {NO_VERDICTS}." in page
    funnel = next(c["spec"] for c in _charts(at) if "Funnel" in str(c["spec"].get("title")))
    assert funnel["autosize"]["type"] == "fit-x"


def test_quality_rejection_reasons_say_no_verdicts(people, contacts_only):
    at = _open("app_pages/quality.py", as_of=date(2026, 11, 30))
    at.button_group(key="quality_section").set_value("Rejection reasons").run()
    assert [i.value for i in at.info] == [f"— {NO_VERDICTS}."]


def _labels(frame) -> dict[str, str]:
    """{column: label shown} of a st.dataframe element."""
    config = json.loads(frame.proto.columns or "{}")
    return {
        name: config.get(f"col:{name}", config.get(name, {})).get("label", name)
        for name in frame.value.columns
    }


def test_quality_tables_have_human_labels_and_no_none(people, contacts_only):
    at = _open("app_pages/quality.py", as_of=date(2026, 11, 30))
    at.button_group(key="quality_section").set_value("Best offers").run()
    at.multiselect(key="_columns_quality_breakdown_picker").set_value(["mql_to_accepted"]).run()
    breakdown, offers = at.dataframe
    assert _labels(breakdown)["value"] == "Source"
    assert _labels(breakdown)["mql_to_accepted"] == "MQL → accepted"
    assert _labels(offers) == {
        "rank": "Rank",
        "value": "Offer (first conversion)",
        "leads": "Leads",
        "mqls": "MQLs",
        "sqls": "SQLs",
        "customers": "Customers",
        "customers_per_100_leads": "Customers per 100 leads",
        "small_sample": "n<30",
    }
    for frame in (breakdown, offers):
        assert "None" not in frame.value.astype(str).to_string()


@pytest.fixture
def contacted_once(contacts_only):
    """The contacts-only store plus one September MQL contacted in September: November's
    0 % contacted in time is now a measurement (red), and one cause is recorded for it."""
    with Session(contacts_only) as s:
        add_lead(
            s,
            "S1",
            "2026-09-01 08:00",
            mql_at="2026-09-01 09:00",
            first_contact_at="2026-09-01 10:00",
        )
        s.add(
            SlaCause(
                metric="contacted_within_sla_rate",
                period_kind="month",
                period_start=date(2026, 11, 1),
                category=CATEGORIES[0],
                text="The round-robin was switched off.",
                author="sam",
            )
        )
        s.commit()
    return contacts_only


def test_a_real_zero_is_shown_with_one_cause(people, contacted_once):
    at = _open("app_pages/sla.py")
    assert {m.label: m.value for m in at.metric}["Contacted in time"] == "0.0 %"
    labels = [e.label for e in at.expander]
    assert "✖ Contacted in time: 0.0 % · 1 cause recorded" in labels  # not "1 cause(s)"


def test_overdue_mqls_have_human_labels_and_dashes(people, contacted_once):
    at = _open("app_pages/sla.py")
    at.button_group(key="sla_section").set_value("Overdue MQLs").run()
    table = at.dataframe[0]
    assert list(_labels(table).values()) == [
        "Lead",
        "Company",
        "Owner",
        "Source",
        "MQL at",
        "Hours overdue",
    ]
    rows = table.value
    assert list(rows["company"]) == ["—"] * 4  # the export had no company: "—", not "None"
    assert rows["hours_overdue"].iloc[0] == "323.0 h"  # deadline 2 Nov 13:00 → 16 Nov 00:00
    assert "**4 MQLs** past the deadline" in texts(at)
