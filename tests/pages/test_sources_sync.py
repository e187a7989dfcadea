"""Admin → Data sources against the local HubSpot fake (pytest-httpserver on 127.0.0.1),
via AppTest: the mapping preview read from the account, a mapping change saved, the first
full sync run from the page, and the Overview's line saying when the CRM synced."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from smarketing.auth.permissions import CLI_ACTOR
from smarketing.data_in import sources
from smarketing.store.models import DataSource, Lead
from tests.fakes.hubspot import FakeHubSpot, serve
from tests.pages.conftest import logged_in, texts

PAGE = "app_pages/admin_sources.py"
TOKEN = "pat-na1-page-test"


@pytest.fixture(scope="session")
def httpserver_listen_address():
    return ("127.0.0.1", 0)


@pytest.fixture
def hubspot(httpserver, app_env, monkeypatch):
    fake = FakeHubSpot(contacts=40, token=TOKEN)
    serve(httpserver, fake)
    monkeypatch.setenv("HUBSPOT_PAGE_TOKEN", TOKEN)
    with Session(app_env) as s:
        sources.add_source(
            s,
            actor=CLI_ACTOR,
            name="hubspot",
            kind="hubspot",
            token_env="HUBSPOT_PAGE_TOKEN",
            base_url=fake.url,
        )
    return fake


def test_the_mapping_is_read_from_the_account_and_a_change_is_saved(people, app_env, hubspot):
    at = logged_in("ada", ["admin"])
    at.switch_page(PAGE).run()
    at.button(key="source_preview_go").click().run()
    assert not at.exception
    table = at.data_editor(key="source_mapping").value.set_index("File column")
    assert table.loc["hs_object_id", "Imported as"] == "Record ID (the CRM's id)"
    assert table.loc["jobtitle", "Imported as"] == "Job title"
    assert table.loc["hs_object_id", "Example"] == "1"
    assert "hs_email_last_click_date" not in table.index  # read as activities instead
    shown = texts(at)
    assert "Read as the lead's activities" in shown and "hs_email_last_click_date" in shown
    assert "The first leads as they would be stored" in shown
    rows = at.data_editor(key="source_mapping").value["File column"].tolist()
    at.session_state["source_mapping"] = {
        "edited_rows": {rows.index("jobtitle"): {"Imported as": "— not imported"}},
        "added_rows": [],
        "deleted_rows": [],
    }
    at.run()
    at.button(key="source_mapping_save").click().run()
    assert "Mapping saved" in texts(at)
    with Session(app_env) as s:
        assert sources.mapping_changes(s.exec(select(DataSource)).one()) == {"jobtitle": ""}


def test_the_first_full_sync_runs_from_the_page_and_the_overview_says_when(
    people, app_env, hubspot
):
    at = logged_in("ada", ["admin"])
    at.switch_page(PAGE).run()
    at.button(key="source_test").click().run()
    assert "Connected: HubSpot" in texts(at)
    at.button(key="source_sync").click().run()
    assert not at.exception
    assert "hubspot: 40 fetched, 40 inserted" in texts(at)
    assert at.button(key="source_sync").label == "Sync now"
    with Session(app_env) as s:
        assert len(s.exec(select(Lead)).all()) == 40
        assert s.exec(select(DataSource)).one().cursor is not None
    at.switch_page("app_pages/overview.py").run()
    assert "CRM synced" in texts(at) and "CRM synced never" not in texts(at)


def test_the_mapping_preview_and_the_first_sync_in_norwegian(people, app_env, hubspot):
    """Issue 18: the mapping read from the account with Norwegian labels, the first full
    sync's result, and a change saved through the labels, with nothing left untranslated."""
    from smarketing import i18n
    from tests.pages.conftest import untranslated

    with i18n.language("nb"):  # AppTest calls a selectbox's format_func in this thread
        at = logged_in("ada", ["admin"], language="nb")
        at.switch_page(PAGE).run()
        at.button(key="source_preview_go").click().run()
        assert not at.exception
        assert untranslated(at) == []
        table = at.data_editor(key="source_mapping").value.set_index("File column")
        assert table.loc["hs_object_id", "Imported as"] == "Post-ID (CRM-ets ID)"
        assert table.loc["jobtitle", "Imported as"] == "Stilling"
        shown = texts(at)
        assert "Leses som leadens aktiviteter" in shown
        assert "De første leadene slik de ville blitt lagret:" in shown
        at.button(key="source_sync").click().run()
        assert not at.exception
        assert untranslated(at) == []
        assert "hubspot: 40 hentet, 40 nye, 0 oppdatert, 0 uendret, 0 avvist" in texts(at)
        at.button(key="source_preview_go").click().run()
        rows = at.data_editor(key="source_mapping").value["File column"].tolist()
        at.session_state["source_mapping"] = {
            "edited_rows": {rows.index("jobtitle"): {"Imported as": "— importeres ikke"}},
            "added_rows": [],
            "deleted_rows": [],
        }
        at.run()
        at.button(key="source_mapping_save").click().run()
        assert not at.exception
        assert "Tilordningen er lagret; neste synkronisering leser med den." in texts(at)
        with Session(app_env) as s:
            assert sources.mapping_changes(s.exec(select(DataSource)).one()) == {"jobtitle": ""}
