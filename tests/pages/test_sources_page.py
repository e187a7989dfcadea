"""Admin → Data sources via AppTest: adding a source through the form, bad input keeping
what was typed, the connection test's message without a token, the as-of line after a
failed sync, and the page refused to everyone but admins. The sync against a fake HubSpot
runs in tests/pages/test_sources_sync.py and, in a browser, tests/e2e."""

from __future__ import annotations

import pytest
from sqlmodel import Session, select

from smarketing.auth.permissions import CLI_ACTOR
from smarketing.data_in import sources, sync
from smarketing.store.models import DataSource
from tests.conftest import NOW
from tests.pages.conftest import as_shown, logged_in, texts

PAGE = "app_pages/admin_sources.py"


def add_through_form(at, name="hubspot", token="HUBSPOT_TOKEN"):
    at.text_input(key="source_add_name").input(name)
    at.selectbox(key="source_add_kind").select("hubspot")
    at.text_input(key="source_add_token").input(token)
    at.button(key="FormSubmitter:source_add-Add source").click()
    return at.run()


def test_an_admin_adds_a_source_and_sees_it_listed(people, app_env):
    at = logged_in("ada", ["admin"])
    at.switch_page(PAGE).run()
    assert not at.exception
    assert "No CRM is connected yet" in texts(at)
    add_through_form(at)
    assert not at.exception
    assert "Added hubspot" in texts(at)
    shown = as_shown(at.dataframe[0])
    assert shown.loc[0, "Source"] == "hubspot" and shown.loc[0, "CRM"] == "HubSpot"
    assert shown.loc[0, "Token from"] == "$HUBSPOT_TOKEN"
    assert shown.loc[0, "Last sync"] == "never synced"
    assert at.button(key="source_sync").label == "Run the first full sync"
    assert at.text_input(key="source_add_name").value == ""  # ready for the next one
    with Session(app_env) as s:
        stored = s.exec(select(DataSource)).one()
        assert (stored.kind, stored.token_env, stored.created_by) == (
            "hubspot",
            "HUBSPOT_TOKEN",
            "ada",
        )


def test_a_token_pasted_instead_of_its_variable_is_refused_and_the_form_keeps_the_rest(
    people, app_env
):
    at = logged_in("ada", ["admin"])
    at.switch_page(PAGE).run()
    add_through_form(at, name="crm", token="pat-na1-11111111-2222")
    assert "not the name of an environment variable" in texts(at)
    assert "pat-na1" not in texts(at)  # the token is not echoed back
    assert at.text_input(key="source_add_name").value == "crm"
    with Session(app_env) as s:
        assert s.exec(select(DataSource)).all() == []


def test_testing_a_source_without_its_token_says_where_to_set_it(people, app_env, monkeypatch):
    monkeypatch.delenv("HUBSPOT_TOKEN", raising=False)
    with Session(app_env) as s:
        sources.add_source(
            s, actor=CLI_ACTOR, name="hubspot", kind="hubspot", token_env="HUBSPOT_TOKEN"
        )
    at = logged_in("ada", ["admin"])
    at.switch_page(PAGE).run()
    at.button(key="source_test").click().run()
    assert not at.exception
    assert "set the environment variable HUBSPOT_TOKEN" in texts(at)


def test_a_failed_sync_shows_beside_the_as_of_line_and_on_the_sources_page(
    people, app_env, monkeypatch
):
    monkeypatch.delenv("HUBSPOT_TOKEN", raising=False)
    with Session(app_env) as s:
        sources.add_source(
            s, actor=CLI_ACTOR, name="hubspot", kind="hubspot", token_env="HUBSPOT_TOKEN"
        )
    with pytest.raises(sync.SyncFailed):
        sync.sync_source(app_env, "hubspot", actor=CLI_ACTOR, now=NOW)
    at = logged_in("ada", ["admin"])
    assert not at.exception
    shown = texts(at)
    assert "CRM synced never" in shown
    assert "Last sync failed" in shown and "no HubSpot token" in shown
    at.switch_page(PAGE).run()
    assert "the last sync failed" in texts(at)
    assert as_shown(at.dataframe[0]).loc[0, "Last sync"].startswith("failed ")


@pytest.mark.parametrize("username", ["mia", "sam", "lea"])
def test_the_page_is_refused_to_everyone_but_admins(people, username):
    at = logged_in(username, people[username])
    with pytest.raises(ValueError):
        at.switch_page(PAGE)


def test_the_sources_page_in_norwegian_adding_testing_and_a_failed_sync(
    people, app_env, monkeypatch
):
    """Issue 18: the page in Norwegian bokmål for the admin (the only role that opens it):
    empty, after adding a source through the form, its connection test without a token,
    and after a failed sync (the reason in Norwegian)."""
    from smarketing import i18n
    from tests.pages.conftest import untranslated

    monkeypatch.delenv("HUBSPOT_TOKEN", raising=False)
    with i18n.language("nb"):  # AppTest calls a selectbox's format_func in this thread
        at = logged_in("ada", ["admin"], language="nb")
        at.switch_page(PAGE).run()
        assert not at.exception
        assert untranslated(at) == []
        assert at.title[0].value == "Datakilder"
        assert "Ingen CRM er koblet til ennå." in texts(at)
        at.text_input(key="source_add_name").input("hubspot")
        at.selectbox(key="source_add_kind").select("hubspot")
        at.text_input(key="source_add_token").input("HUBSPOT_TOKEN")
        at.button(key="FormSubmitter:source_add-Legg til kilde").click().run()
        assert not at.exception
        assert untranslated(at) == []
        assert "La til hubspot. Test tilkoblingen" in texts(at)
        shown = as_shown(at.dataframe[0])
        assert list(shown.columns)[:3] == ["Kilde", "CRM", "Token fra"]
        assert (shown.loc[0, "Siste synkronisering"], shown.loc[0, "Intervall"]) == (
            "aldri synkronisert",
            "15 min",
        )
        assert at.button(key="source_sync").label == "Kjør den første fulle synkroniseringen"
        at.button(key="source_test").click().run()
        assert not at.exception
        assert untranslated(at) == []
        assert "hubspot: ikke noe HubSpot-token: sett " in texts(at)
        with pytest.raises(sync.SyncFailed):  # the scheduler's run, in the app's language
            sync.sync_source(app_env, "hubspot", actor=CLI_ACTOR, now=NOW)
        at = logged_in("ada", ["admin"], language="nb")
        at.switch_page(PAGE).run()
        assert not at.exception
        assert untranslated(at) == []
        assert (
            "**hubspot**: den siste synkroniseringen feilet — AuthFailed: hubspot: ikke noe "
            in (texts(at))
        )
        assert as_shown(at.dataframe[0]).loc[0, "Siste synkronisering"].startswith("feilet ")
