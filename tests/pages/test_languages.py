"""Every page in Norwegian and in English, for every role; the language chosen as the README
says: ?lang= in a link, the switch in the sidebar (saved for the user), the login page in
the browser's language, the app default."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import Session

from smarketing import i18n
from smarketing.auth import users
from smarketing.auth.permissions import CLI_ACTOR
from smarketing.ui import language
from tests.pages.conftest import (
    PEOPLE,
    SETUP_CODE,
    logged_in,
    new_app,
    shown_strings,
    texts,
    untranslated,
)

# the demo company with the four people, copied per test from one template (SQLite)
from tests.pages.test_meetings_pages import demo, sqlite_template  # noqa: F401

ROOT = Path(__file__).resolve().parents[2]
#: Every page script of the app (the navigation's and Admin's).
PAGES = sorted(f"app_pages/{p.name}" for p in (ROOT / "app_pages").glob("*.py"))


def test_every_page_is_listed():
    assert len(PAGES) >= 16 and "app_pages/overview.py" in PAGES


@pytest.mark.sqlite_only("the language of a page does not depend on the database")
@pytest.mark.parametrize("code", i18n.LANGUAGES)
@pytest.mark.parametrize("username", sorted(PEOPLE))
@pytest.mark.usefixtures("demo")
def test_every_page_renders_for_every_role_in_each_language(username, code):
    """No exception on any page; in Norwegian, no text shown in English that the catalog
    has a Norwegian translation for."""
    at = logged_in(username, PEOPLE[username], language=code)
    problems = []
    # AppTest writes the widgets' state for the next run in this thread, through their
    # format_func: it must speak the language of the app's run
    with i18n.language(code):
        for page in PAGES:
            try:
                at.switch_page(page)
            except ValueError:  # not in this role's navigation (reached by address only)
                continue
            at.run()
            if at.exception:
                problems.append(f"{page}: {at.exception[0].message}")
                continue
            if code == "nb":
                problems.extend(f"{page}: English shown: {t!r}" for t in untranslated(at))
    assert not problems, "\n".join(problems)


def test_the_navigation_and_sidebar_speak_norwegian(people):
    at = logged_in("ada", PEOPLE["ada"], language="nb")
    assert not at.exception
    shown = shown_strings(at)
    assert "Per dato" in shown  # the as-of picker
    assert "Logg ut" in shown


def test_the_sidebar_switch_saves_the_users_language(people, app_env):
    at = logged_in("sam", PEOPLE["sam"])
    assert "As of" in shown_strings(at)
    switch = at.button_group(key=language.SWITCH)
    assert switch.value == "en"
    switch.set_value("nb").run()
    assert "Per dato" in shown_strings(at)
    with Session(app_env) as s:
        assert users.language_of(s, "sam") == "nb"
    # another tab, another device: the saved language speaks
    other = logged_in("sam", PEOPLE["sam"])
    assert "Per dato" in shown_strings(other)
    # a shared link's ?lang= wins for that tab, without changing what is saved
    linked = new_app()
    linked.query_params["lang"] = "en"
    from smarketing.ui.auth import SESSION
    from tests.pages.conftest import open_session

    linked.session_state["authentication_status"] = True
    linked.session_state["username"] = "sam"
    linked.session_state["name"] = "Sam"
    linked.session_state["roles"] = PEOPLE["sam"]
    linked.session_state[SESSION] = open_session("sam")
    linked.run()
    assert "As of" in shown_strings(linked)
    with Session(app_env) as s:
        assert users.language_of(s, "sam") == "nb"


def test_the_login_page_in_the_language_of_a_link(people):
    at = new_app()
    at.query_params["lang"] = "nb"
    at.run()
    assert not at.exception
    assert "Logg inn" in [b.label for b in at.button]
    assert "Brukernavn" in shown_strings(at)


def test_the_login_page_in_the_app_default(people, monkeypatch):
    monkeypatch.setenv("SMARKETING_LANGUAGE", "nb")
    at = new_app().run()
    assert "Passord" in shown_strings(at)
    monkeypatch.setenv("SMARKETING_LANGUAGE", "en")
    at = new_app().run()
    assert "Password" in shown_strings(at)


def test_the_first_admin_form_in_norwegian(monkeypatch):
    monkeypatch.setenv("SMARKETING_LANGUAGE", "nb")
    at = new_app().run()
    assert not at.exception
    assert "Velkommen til Smarketing" in texts(at)
    assert "Oppsettkode" in shown_strings(at)
    assert untranslated(at) == []
    assert SETUP_CODE  # the form asks for the console's code, in Norwegian


@pytest.mark.parametrize(
    ("header", "code"),
    [
        ("nb-NO,nb;q=0.9,no;q=0.8,en-US;q=0.7,en;q=0.6", "nb"),
        ("en-GB,en;q=0.9,nb;q=0.8", "en"),
        ("de-DE,de;q=0.9,nn;q=0.5,en;q=0.4", "nb"),
        ("en;q=0.2,no;q=0.9", "nb"),
        ("de-DE", None),
        ("", None),
        ("garbage;q=x,,", None),
    ],
)
def test_the_browsers_language(header, code):
    assert i18n.from_accept_language(header) == code


def test_users_without_a_choice_get_the_app_default(people, app_env, monkeypatch):
    monkeypatch.setenv("SMARKETING_LANGUAGE", "nb")
    at = logged_in("mia", PEOPLE["mia"])
    assert "Per dato" in shown_strings(at)
    with Session(app_env) as s:
        users.set_language(s, actor=CLI_ACTOR, username="mia", language="en")
    at = logged_in("mia", PEOPLE["mia"])
    assert "As of" in shown_strings(at)


def test_the_switch_above_the_login_form(people):
    at = new_app().run()
    assert "Username" in shown_strings(at)
    at.button_group(key=language.SWITCH + "_login").set_value("nb").run()
    assert not at.exception
    assert "Brukernavn" in shown_strings(at)
