"""The Lead quality page: every dimension and section renders, with the cohort's counts."""

from __future__ import annotations

from datetime import date

import pytest
from sqlmodel import Session

from smarketing import i18n
from smarketing.quality.cohorts import DIMENSIONS
from tests.factories import add_lead
from tests.pages.conftest import PEOPLE, logged_in, shown_tables, texts, untranslated


@pytest.fixture
def cohort(app_env):
    """Four leads in November 2026: two webinar (one customer), two paid search (one rejected)."""
    with Session(app_env) as s:
        add_lead(
            s,
            "Q1",
            "2026-11-02 09:00",
            source="Webinar",
            mql_at="2026-11-02 10:00",
            accepted_at="2026-11-02 11:00",
            sql_at="2026-11-05 10:00",
            customer_at="2026-11-20 10:00",
            first_conversion="Webinar sign-up",
        )
        add_lead(s, "Q2", "2026-11-03 09:00", source="Webinar", first_conversion="E-book")
        add_lead(
            s,
            "Q3",
            "2026-11-04 09:00",
            source="Paid search",
            mql_at="2026-11-04 10:00",
            rejected_at="2026-11-04 12:00",
            rejection_reason="student_competitor",
            first_conversion="E-book",
        )
        add_lead(s, "Q4", "2026-11-05 09:00", first_conversion="E-book")  # no source


def open_quality(username="mia", by=None, section=None, language=None):
    at = logged_in(username, PEOPLE[username], as_of=date(2026, 11, 30), language=language)
    # AppTest calls the widgets' format_func in the test's thread: speak the page's language
    with i18n.language(language):
        at.switch_page("app_pages/quality.py").run()
        if by:
            at.selectbox(key="quality_by").select(by).run()
        if section:
            at.button_group(key="quality_section").set_value(section).run()
    return at


def test_source_breakdown_counts(people, cohort):
    at = open_quality()
    table = next(d.value for d in at.dataframe if "leads" in d.value.columns)
    rows = table.set_index("value")
    assert rows.loc["Webinar", "leads"] == 2 and rows.loc["Webinar", "customers"] == 1
    assert rows.loc["(none)", "leads"] == 1
    assert rows.loc["total", "leads"] == 4 and rows.loc["total", "accepted"] == 1
    assert "rejected" not in table.columns  # offered under "Columns", so the table fits
    assert "More columns under **Columns**: Rejected, Opportunities" in texts(at)
    at.multiselect(key="_columns_quality_breakdown_picker").select("rejected").run()
    table = next(d.value for d in at.dataframe if "leads" in d.value.columns)
    assert table.set_index("value").loc["total", "rejected"] == 1


@pytest.mark.parametrize("by", DIMENSIONS)
def test_each_dimension_renders(people, cohort, by):
    at = open_quality(by=by)
    assert not at.exception


@pytest.mark.parametrize("section", ["Funnel", "By", "Rejection reasons", "Cohorts", "Best offers"])
def test_each_section_renders(people, cohort, section):
    at = open_quality(section=section)
    assert not at.exception


@pytest.mark.parametrize("username", list(PEOPLE))
def test_every_role_reads_it(people, cohort, username):
    at = open_quality(username)
    assert not at.exception
    assert "Lead quality" in [t.value for t in at.title]
    assert "Cohort: leads created 2025-11-01 – 2026-11-30" in texts(at)


NBSP = "\u00a0"


@pytest.mark.parametrize("username", list(PEOPLE))
def test_every_role_reads_it_in_norwegian(people, cohort, username):
    at = open_quality(username, language="nb")
    assert not at.exception
    assert untranslated(at) == []
    assert "Leadkvalitet" in [t.value for t in at.title]
    assert "Kohort: leads opprettet 2025-11-01 – 2026-11-30" in texts(at)
    table = next(f for f in shown_tables(at) if "Kilde" in f.columns).set_index("Kilde")
    assert {"Leads", "MQL-er", "Godtatt", "Lead → MQL", "SQL → kunde"} <= set(table.columns)
    assert table.loc["Webinar", "Lead → MQL"] == f"50,0{NBSP}%"
    # counts written the Norwegian way, as text (a table column groups only the English way)
    assert table.loc["(ingen)", "Leads"] == "1" and table.loc["totalt", "Leads"] == "4"
    sections = at.button_group(key="quality_section")
    assert sections.options == [
        "Salgstrakt",
        "Per kilde",
        "Avvisningsgrunner",
        "Kohorter",
        "Beste tilbud",
    ]
    assert [o for o in at.selectbox(key="quality_by").options][:2] == ["Kilde", "Kampanje"]


@pytest.mark.parametrize(
    ("section", "expected"),
    [
        ("Funnel", "Konvertering"),
        ("By", "Lysere søyler merket n<30: færre enn 30 leads"),
        ("Rejection reasons", None),
        ("Cohorts", None),
        ("Best offers", "Tilbud (første konvertering)"),
    ],
)
def test_each_section_in_norwegian(people, cohort, section, expected):
    at = open_quality(section=section, language="nb")
    assert not at.exception
    assert untranslated(at) == []
    if expected:
        shown = [*texts(at).split("\n")]
        shown += [w.label for w in at.button_group] + [w.label for w in at.selectbox]
        shown += [str(c) for f in shown_tables(at) for c in f.columns]
        assert any(expected in text for text in shown), expected
