"""The language in a real browser: the login page in the browser's language, the sidebar
switch, and the choice kept across a reload (saved as the user's language)."""

from __future__ import annotations

import pytest

from scripts.browser_tour import wait_for_cookie
from tests.e2e.conftest import PASSWORD, settle

pytestmark = pytest.mark.browser
NAV_SELECTOR = '[data-testid="stSidebarNav"]'
#: the navigation's section names in Norwegian
NAV = "Ett lag"


def test_login_page_follows_the_browsers_language(server, browser):
    context = browser.new_context(viewport={"width": 1280, "height": 720}, locale="nb-NO")
    page = context.new_page()
    page.goto(server + "/")
    settle(page)
    page.get_by_role("button", name="Logg inn").wait_for(timeout=20000)
    assert page.get_by_label("Brukernavn").count() == 1
    context.close()


def test_switch_language_in_the_sidebar_and_it_stays_after_a_reload(server, browser):
    context = browser.new_context(viewport={"width": 1280, "height": 720}, locale="en-GB")
    page = context.new_page()
    page.goto(server + "/")
    settle(page)
    page.get_by_label("Username").fill("sam")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Login").click()
    settle(page)
    wait_for_cookie(context, present=True)
    settle(page)
    page.get_by_role("heading", name="Overview").wait_for(timeout=20000)

    page.get_by_role("radio", name="Norsk bokmål").click()
    settle(page)
    page.get_by_role("heading", name="Oversikt").wait_for(timeout=20000)
    assert page.get_by_role("button", name="Logg ut").count() == 1
    assert NAV in page.locator(NAV_SELECTOR).inner_text()

    page.reload()  # a new session: the cookie logs in, the saved language speaks
    settle(page)
    page.get_by_role("heading", name="Oversikt").wait_for(timeout=20000)
    assert page.get_by_role("heading", name="Overview").count() == 0
    assert NAV in page.locator(NAV_SELECTOR).inner_text()

    page.get_by_role("radio", name="English").click()  # and back, for the other tests
    settle(page)
    page.get_by_role("heading", name="Overview").wait_for(timeout=20000)
    context.close()
