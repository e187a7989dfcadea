"""A tour of every page, as each role, with the demo company — in a real browser.

For each role: log in through the form, read the page links from the sidebar navigation (so
pages added later are toured without editing this test), open each, wait until it has
settled and assert that it shows no exception box, no error alert and no "Traceback", no
cut-off chart text, no raw field name or "None" on screen and nothing wider than its box;
save a 1280x720 screenshot of each into the test's tmp_path. The admin, who sees every page,
tours once more on a 1920x1080 screen. The helpers are shared with
scripts/screenshots.py (scripts/browser_tour.py).
"""

from __future__ import annotations

import secrets

import pytest

from scripts import browser_tour as tour
from tests.conftest import NOW
from tests.e2e.conftest import PASSWORD, _require_browser

pytestmark = pytest.mark.browser

AS_OF = NOW.date()
LEADS = 1_500
LOGINS = {
    "admin": "ada",
    "marketing": "mia",
    "sales": "sam",
    "leadership": "lea",
}
EVERYONE = {
    "Overview",
    "SLA",
    "Lead quality",
    "Leads",
    "Shared language",
    "Personas",
    "Campaigns",
    "My notifications",
}
ADMIN_ONLY = {"Users", "Audit log", "Notifications"}
EXTRA = {
    "admin": {"Import", *ADMIN_ONLY},
    "marketing": {"Import"},
    "sales": set(),
    "leadership": set(),
}
MEETING_MODE = "Meeting mode"


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory):
    """`streamlit run` on the demo company (story ending on AS_OF), one login per role."""
    _require_browser()
    folder = tmp_path_factory.mktemp("tour")
    url = f"sqlite:///{folder / 'tour.db'}"
    logins = [
        tour.TourUser(username, username.title(), (role,), PASSWORD)
        for role, username in LOGINS.items()
    ]
    tour.prepare_database(url, as_of=AS_OF, leads=LEADS, logins=logins, now=NOW)
    env = tour.server_env(url, folder / "data", "tour-" + secrets.token_hex(32))
    env["SMARKETING_TIMEZONE"] = "Europe/Oslo"
    with tour.streamlit_server(env, folder / "server.log") as base:
        yield base


@pytest.mark.parametrize("role", list(LOGINS))
def test_every_page_as(role, demo_server, browser, tmp_path):
    context = tour.new_context(browser)
    page = context.new_page()
    tour.log_in(page, demo_server, LOGINS[role], PASSWORD, AS_OF)
    links = tour.nav_links(page, demo_server)
    titles = [link.title for link in links]

    assert len(set(titles)) == len(titles), f"a page title appears twice: {titles}"
    missing = (EVERYONE | EXTRA[role]) - set(titles)
    assert not missing, f"{role} does not see {sorted(missing)} (sees {titles})"
    forbidden = ({"Import"} | ADMIN_ONLY) - EXTRA[role]
    assert not forbidden & set(titles), f"{role} sees {sorted(forbidden & set(titles))}"

    visits = [tour.visit(page, link, AS_OF, tmp_path) for link in links]
    context.close()

    report = "\n".join(f"{v.link.title}: {'; '.join(v.problems)}" for v in visits if v.problems)
    assert not report, f"as {role}:\n{report}\n(screenshots in {tmp_path})"
    for v in visits:  # visit() also checked that the As of picker shows AS_OF
        assert tour.png_size(v.screenshot) == (1280, 720), v.screenshot
        assert v.screenshot.stat().st_size > 10_000, f"{v.screenshot} looks empty"
    if MEETING_MODE in titles:  # the wall screen, at the projector's 1280x720
        shot = next(v.screenshot for v in visits if v.link.title == MEETING_MODE)
        assert tour.png_size(shot) == (1280, 720)


def test_every_page_fits_a_1920_screen(demo_server, browser, tmp_path):
    context = tour.new_context(browser, {"width": 1920, "height": 1080})
    page = context.new_page()
    tour.log_in(page, demo_server, LOGINS["admin"], PASSWORD, AS_OF)
    visits = [tour.visit(page, link, AS_OF, tmp_path) for link in tour.nav_links(page, demo_server)]
    context.close()
    report = "\n".join(f"{v.link.title}: {'; '.join(v.problems)}" for v in visits if v.problems)
    assert not report, f"at 1920x1080:\n{report}\n(screenshots in {tmp_path})"
