"""The Leads page: filters, one page of rows, a lead's story, verdicts by role."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from smarketing import i18n
from smarketing.store.models import LeadActivity, Verdict
from tests.factories import add_lead, oslo
from tests.pages.conftest import PEOPLE, logged_in, shown_tables, texts, untranslated


@pytest.fixture
def some_leads(app_env):
    """60 leads from two sources (so the list has two pages), one MQL with a timeline."""
    with Session(app_env) as s:
        for i in range(59):
            add_lead(
                s,
                f"X{i}",
                "2026-10-01 09:00",
                first_name=f"Lead{i}",
                last_name="Test",
                company="Bulk AS",
                source="Paid search" if i % 2 else "Webinar",
            )
        mql = add_lead(
            s,
            "M1",
            "2026-11-16 09:00",
            mql_at="2026-11-16 10:00",
            first_name="Kari",
            last_name="Nordmann",
            company="Fjord AS",
            source="Webinar",
            owner="Lars Berg",
        )
        s.add(
            LeadActivity(
                lead_id=mql.id,
                kind="download",
                detail="SLA e-book",
                occurred_at=oslo("2026-11-15 12:00"),
            )
        )
        s.commit()
        return mql.id


def open_leads(username, language=None):
    at = logged_in(username, PEOPLE[username], language=language)
    with i18n.language(language):  # AppTest calls format_func in the test's thread
        return at.switch_page("app_pages/leads.py").run()


def list_frame(at):
    return next(f for f in shown_tables(at) if {"Stage", "First contact"} <= set(f.columns))


@pytest.mark.parametrize("username", list(PEOPLE))
def test_leads_page_for_every_role(people, some_leads, username):
    at = open_leads(username)
    assert not at.exception
    assert "Leads" in [t.value for t in at.title]
    assert len(list_frame(at)) == 50  # never more than one page reaches the browser
    assert "**60** leads match · page 1 of 2" in texts(at)


def test_filters_narrow_the_list(people, some_leads):
    at = open_leads("mia")
    at.selectbox(key="leads_source").select("Webinar").run()
    assert "**31** leads match" in texts(at)
    at.text_input(key="leads_text").input("fjord").run()
    frame = list_frame(at)
    assert frame["Name"].tolist() == ["Kari Nordmann"]
    at.number_input(key="leads_page").set_value(2).run()  # past the end: clamped
    assert not at.exception


def test_sales_records_a_verdict_and_leadership_cannot(people, some_leads, app_env):
    at = open_leads("lea")
    at.text_input(key="leads_text").input("fjord").run()
    assert at.button(key=f"FormSubmitter:verdict_{some_leads}-Save verdict").disabled
    at = open_leads("sam")
    at.text_input(key="leads_text").input("fjord").run()
    assert "Activity timeline** — 1 activity" in texts(at)
    at.radio(key="verdict_choice").set_value("rejected")
    assert "Student / competitor" in at.selectbox(key="verdict_reason").options  # labels shown
    assert "No reason given" not in at.selectbox(key="verdict_reason").options  # imports only
    at.selectbox(key="verdict_reason").select("wrong_persona")
    at.button(key=f"FormSubmitter:verdict_{some_leads}-Save verdict").click().run()
    assert not at.exception
    assert "Verdict saved" in texts(at)
    with Session(app_env) as s:
        verdict = s.exec(select(Verdict)).one()
        assert (verdict.verdict, verdict.reason, verdict.decided_by) == (
            "rejected",
            "wrong_persona",
            "sam",
        )
    # the history shows the reason's label, not its key
    at = open_leads("sam")
    at.text_input(key="leads_text").input("fjord").run()
    history = frame_with(at, "Reason")
    assert history["Reason"].tolist() == ["Wrong persona"]


def test_rejection_without_reason_is_refused(people, some_leads):
    at = open_leads("sam")
    at.text_input(key="leads_text").input("fjord").run()
    at.radio(key="verdict_choice").set_value("rejected")
    at.button(key=f"FormSubmitter:verdict_{some_leads}-Save verdict").click().run()
    assert any("reason" in e.value for e in at.error)


def frame_with(at, column):
    return next(f for f in shown_tables(at) if column in f.columns)


def test_the_screen_shows_a_saved_verdict_at_once(people, some_leads):
    """After "Verdict saved" the same screen shows the verdict, the new stage and the new count
    (it used to say "No verdict yet", stage mql and "1 lead matches" until a reload)."""
    at = open_leads("sam")
    at.toggle(key="leads_waiting").set_value(True).run()
    assert "**1** lead matches" in texts(at)
    assert "No verdict yet." in texts(at)
    assert "stage **MQL**" in texts(at)
    assert at.radio(key="verdict_choice").value is None  # nothing preselected
    at.radio(key="verdict_choice").set_value("accepted")
    at.button(key=f"FormSubmitter:verdict_{some_leads}-Save verdict").click().run()
    assert not at.exception
    shown = texts(at)
    assert "Verdict saved: accepted." in shown
    assert "**0** leads match" in shown  # no longer waiting for a verdict
    at.toggle(key="leads_waiting").set_value(False).run()
    at.text_input(key="leads_text").input("fjord").run()
    shown = texts(at)
    assert "No verdict yet." not in shown
    assert "stage **Accepted by sales**" in shown
    assert frame_with(at, "Verdict")["Verdict"].tolist() == ["Accepted"]
    assert at.radio(key="verdict_choice").value is None  # the form is empty again


def test_the_screen_shows_a_recorded_contact_at_once(people, some_leads):
    at = open_leads("sam")
    at.text_input(key="leads_text").input("fjord").run()
    assert "Activity timeline** — 1 activity" in texts(at)
    at.text_input(key="contact_note").input("Booked a demo")
    at.button(key=f"FormSubmitter:contact_{some_leads}-Record contact").click().run()
    assert not at.exception
    shown = texts(at)
    assert "Contact recorded." in shown
    assert "Activity timeline** — 2 activities" in shown
    timeline = frame_with(at, "What")
    assert "Booked a demo" in timeline["Detail"].tolist()
    assert at.text_input(key="contact_note").value == ""


def test_a_verdict_without_a_choice_is_refused_and_keeps_the_comment(people, some_leads):
    at = open_leads("sam")
    at.text_input(key="leads_text").input("fjord").run()
    at.text_input(key="verdict_comment").input("Called twice")
    at.button(key=f"FormSubmitter:verdict_{some_leads}-Save verdict").click().run()
    assert any("Choose **Accepted** or **Rejected**" in e.value for e in at.error)
    assert at.text_input(key="verdict_comment").value == "Called twice"


def test_disabled_verdict_button_says_why(people, some_leads):
    at = open_leads("lea")
    at.text_input(key="leads_text").input("fjord").run()
    button = at.button(key=f"FormSubmitter:verdict_{some_leads}-Save verdict")
    assert button.disabled
    assert "Only admin, sales may accept or reject an MQL" in button.help


def test_no_raw_column_name_or_none_in_the_leads_tables(people, some_leads):
    at = open_leads("sam")
    at.text_input(key="leads_text").input("fjord").run()
    for frame in shown_tables(at):
        assert not [c for c in frame.columns if "_" in str(c)], frame.columns
        assert not frame.isna().any().any(), frame


def test_a_link_with_the_lead_opens_it(people, some_leads):
    """A notification's link (/leads?lead=ID) opens that lead, even when it is not on the
    list's first page; the address follows a lead picked later; a bad id is ignored."""
    at = logged_in("sam", PEOPLE["sam"])
    at.query_params["lead"] = str(some_leads)
    at = at.switch_page("app_pages/leads.py").run()
    assert not at.exception
    assert at.selectbox(key="leads_open").value == f"Kari Nordmann · Fjord AS (#{some_leads})"
    assert any("Kari Nordmann" in h.value for h in at.subheader)
    other = at.selectbox(key="leads_open").options[1]
    at.selectbox(key="leads_open").select(other).run()
    assert at.query_params["lead"] == other.rsplit("#", 1)[1].rstrip(")")


def test_a_link_to_no_lead_is_ignored(people, some_leads):
    at = logged_in("sam", PEOPLE["sam"])
    at.query_params["lead"] = "999999"
    at = at.switch_page("app_pages/leads.py").run()
    assert not at.exception
    assert "there is no such lead" in " ".join(t.value for t in at.toast)
    picker = at.selectbox(key="leads_open")
    assert picker.value == picker.options[0]  # the list's first lead, as without a link
    assert at.query_params["lead"] != "999999"


NBSP = "\u00a0"


@pytest.mark.parametrize("username", list(PEOPLE))
def test_every_role_reads_the_leads_in_norwegian(people, some_leads, username):
    at = open_leads(username, language="nb")
    assert not at.exception
    assert untranslated(at) == []
    assert "Leads" in [t.value for t in at.title]
    shown = texts(at)
    assert "**60** leads passer · side 1 av 2 · 50 per side" in shown
    assert "Varme leads · 0" in [h.value for h in at.subheader]
    assert "Ingen lead har kommet tilbake de siste 48 timene." in shown
    table = next(f for f in shown_tables(at) if {"Fase", "Første kontakt"} <= set(f.columns))
    assert {"Navn", "Firma", "Eier", "Kilde"} <= set(table.columns)
    assert set(table["Fase"]) == {"Lead", "MQL"} and "(ingen)" in set(table["Eier"])
    assert at.selectbox(key="leads_stage").options[:3] == ["Alle", "Lead", "MQL"]
    assert at.selectbox(key="leads_owner").options[0] == "Alle"
    with i18n.language("nb"):
        at.text_input(key="leads_text").input("fjord").run()
    assert not at.exception
    assert untranslated(at) == []
    shown = texts(at)
    assert "**Aktivitetstidslinje** — 1 aktivitet" in shown
    assert "fase **MQL**" in shown and "eier Lars Berg" in shown
    assert "Ingen vurdering ennå." in shown
    assert at.radio(key="verdict_choice").options == ["Godtatt", "Avvist"]
    assert at.selectbox(key="contact_kind").options == ["Samtale", "E-post", "Møte"]
    timeline = next(f for f in shown_tables(at) if "Hva" in f.columns)
    assert timeline["Hva"].tolist() == ["Nedlasting"]
    assert timeline["Når"].tolist() == ["søn. 15. nov. 2026 12:00"]


def test_sales_rejects_a_lead_in_norwegian(people, some_leads, app_env):
    at = open_leads("sam", language="nb")
    with i18n.language("nb"):
        at.text_input(key="leads_text").input("fjord").run()
        assert "Student / konkurrent" in at.selectbox(key="verdict_reason").options
        assert "Ingen grunn oppgitt" not in at.selectbox(key="verdict_reason").options
        at.radio(key="verdict_choice").set_value("rejected")
        at.selectbox(key="verdict_reason").select("wrong_persona")
        at.button(key=f"FormSubmitter:verdict_{some_leads}-Lagre vurdering").click().run()
    assert not at.exception
    assert untranslated(at) == []
    assert "Vurderingen er lagret: avvist. Historikken beholder de tidligere." in texts(at)
    with Session(app_env) as s:
        stored = s.exec(select(Verdict)).one()
        assert (stored.verdict, stored.reason) == ("rejected", "wrong_persona")  # values stay
    at = open_leads("sam", language="nb")
    with i18n.language("nb"):
        at.text_input(key="leads_text").input("fjord").run()
    history = frame_with(at, "Grunn")
    assert history[["Vurdering", "Grunn", "Av"]].values.tolist() == [
        ["Avvist", "Feil persona", "sam"]
    ]
    assert "fase **Avvist av salg**" in texts(at)


def test_a_verdict_without_a_choice_is_refused_in_norwegian(people, some_leads):
    at = open_leads("sam", language="nb")
    with i18n.language("nb"):
        at.text_input(key="leads_text").input("fjord").run()
        at.button(key=f"FormSubmitter:verdict_{some_leads}-Lagre vurdering").click().run()
    assert any("Velg **Godtatt** eller **Avvist** først." in e.value for e in at.error)
    at = open_leads("lea", language="nb")
    with i18n.language("nb"):
        at.text_input(key="leads_text").input("fjord").run()
    button = at.button(key=f"FormSubmitter:verdict_{some_leads}-Lagre vurdering")
    assert button.disabled
