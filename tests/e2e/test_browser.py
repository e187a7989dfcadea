"""Log in, stay logged in across a reload (cookie), deep link, log out — in a real browser."""

from __future__ import annotations

import pytest

from scripts.browser_tour import wait_for_cookie
from tests.e2e.conftest import PASSWORD, settle

pytestmark = pytest.mark.browser


def log_in(page, username: str) -> None:
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Login").click()
    settle(page)
    page.locator('[data-testid="stSidebarNav"]').wait_for(state="attached", timeout=30000)
    # the cookie component writes the login cookie and reruns the page after it shows:
    # a click before that rerun can be lost (CI, under load)
    wait_for_cookie(page.context, present=True)
    settle(page)


def test_login_reload_deep_link_logout(server, browser, tmp_path):
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    for path in ("admin_users", "overview", ""):  # anonymous: every address shows the login
        page.goto(f"{server}/{path}")
        settle(page)
        page.get_by_role("button", name="Login").wait_for(timeout=20000)
        assert page.get_by_role("heading", name="Users").count() == 0
        assert page.get_by_role("heading", name="Overview").count() == 0

    log_in(page, "ada")
    page.get_by_role("heading", name="Overview").wait_for(timeout=20000)
    assert page.locator('[data-testid="stException"]').count() == 0
    page.screenshot(path=str(tmp_path / "overview.png"), full_page=True)
    assert (tmp_path / "overview.png").stat().st_size > 10_000

    wait_for_cookie(context, present=True)
    page.reload()
    settle(page)
    page.get_by_role("heading", name="Overview").wait_for(timeout=20000)
    assert page.get_by_role("button", name="Login").count() == 0

    page.goto(f"{server}/admin_users")  # a deep link to a sub-page
    settle(page)
    page.get_by_role("heading", name="Users").wait_for(timeout=20000)

    page.get_by_role("button", name="Log out").click()
    settle(page)
    wait_for_cookie(context, present=False)
    page.reload()
    settle(page)
    page.get_by_role("button", name="Login").wait_for(timeout=20000)
    context.close()


def test_wrong_password_in_browser(server, browser):
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    page.goto(server)
    settle(page)
    page.get_by_label("Username").fill("sam")
    page.get_by_label("Password", exact=True).fill("definitely wrong")
    page.get_by_role("button", name="Login").click()
    settle(page)
    page.get_by_text("Wrong username or password.").wait_for(timeout=10000)
    context.close()


def test_upload_a_crm_export(server, browser, tmp_path):
    export = tmp_path / "contacts.csv"
    export.write_text(
        "Record ID,First Name,Last Name,Email,Company Name,Create Date,Original Source\n"
        "9001,Kari,Nordmann,kari@fjord.no,Fjord AS,2026-11-02 09:00,Webinar\n"
        "9002,Ola,Hansen,ola@x.no,X AS,02.11.2026 10:00,LinkedIn\n"
        "9003,Per,Lie,per@y.no,Y AS,yesterday,LinkedIn\n",
        encoding="utf-8",
    )
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(server)
    settle(page)
    log_in(page, "ada")
    page.get_by_role("link", name="Import").click()
    settle(page)
    page.get_by_role("heading", name="Import", exact=True).wait_for(timeout=30000)
    page.locator('[data-testid="stFileUploaderDropzoneInput"]').set_input_files(str(export))
    settle(page)
    page.get_by_text("1 of 3 rows are rejected").wait_for(timeout=20000)
    page.get_by_text("2 would be inserted").wait_for(timeout=20000)
    page.get_by_role("button", name="Import contacts.csv").click()
    settle(page)
    page.get_by_text("Imported: 2 inserted").wait_for(timeout=30000)
    assert page.locator('[data-testid="stException"]').count() == 0
    page.screenshot(path=str(tmp_path / "import.png"), full_page=True)
    context.close()


def test_a_page_without_the_role_says_which_role_it_needs(server, browser):
    """sam (sales) opening /admin_users by its address used to land silently on the Overview."""
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    page.goto(server)
    settle(page)
    log_in(page, "sam")
    page.get_by_role("heading", name="Overview").wait_for(timeout=20000)
    assert page.get_by_role("link", name="Users").count() == 0  # not in the navigation
    wait_for_cookie(context, present=True)  # the login cookie is written after the page shows
    page.goto(f"{server}/admin_users")
    settle(page)
    page.get_by_text("You need the admin role to open Users").wait_for(timeout=20000)
    assert page.get_by_role("heading", name="Overview").count() == 0
    context.close()


def test_the_page_icon_is_served_by_the_app(server, browser):
    """The tab icon came from fonts.gstatic.com and failed offline: it is shipped now."""
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    outside: list[str] = []
    page.on(
        "request",
        lambda r: (
            outside.append(r.url) if not r.url.startswith(("http://127.0.0.1", "data:")) else None
        ),
    )
    page.goto(server)
    settle(page)
    log_in(page, "ada")
    page.get_by_role("heading", name="Overview").wait_for(timeout=20000)
    icon = page.locator("link[rel='shortcut icon']").get_attribute("href")
    assert icon and "gstatic" not in icon
    response = page.request.get(icon if icon.startswith("http") else f"{server}/{icon.lstrip('/')}")
    assert response.ok and response.headers["content-type"].startswith("image/")
    assert outside == []  # nothing is fetched from outside 127.0.0.1
    context.close()


def test_the_overview_scorecard_reads_on_a_phone(demo_company_server, browser):
    """At 390 px wide the SLA table's cells and headings were drawn over each other."""
    from scripts import browser_tour as tour

    context = tour.new_context(browser, {"width": 390, "height": 844})
    page = context.new_page()
    page.goto(demo_company_server.base)
    settle(page)
    log_in(page, "ada")
    page.get_by_role("heading", name="Overview").wait_for(timeout=20000)
    tour.settle(page)
    assert page.get_by_text("The SLA: this week and this month").count() == 1
    problems = [p for p in tour.layout_problems(page) if "overlap" in p]
    problems += [p for p in tour.text_problems(page) if "cut-off" in p]
    assert not problems, problems
    context.close()
