"""Admin → Data sources in a real browser: an admin adds a HubSpot source pointed at the local
fake HubSpot (a process of its own on 127.0.0.1), tests the connection, runs the first full
sync and sees it finish; the Overview then says when the CRM synced."""

from __future__ import annotations

import subprocess
import sys

import pytest

from scripts.browser_tour import free_port
from tests.e2e.conftest import ROOT, settle
from tests.e2e.test_browser import log_in

pytestmark = pytest.mark.browser

TOKEN = "pat-na1-e2e-token"
CONTACTS = 300


@pytest.fixture(scope="module")
def fake_hubspot():
    """The fake HubSpot with CONTACTS contacts; yields its base URL."""
    port = free_port()
    command = [sys.executable, "-m", "tests.fakes.hubspot", "--port", str(port)]
    command += ["--contacts", str(CONTACTS), "--token", TOKEN]
    fake = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    line = fake.stdout.readline()
    assert "fake HubSpot on" in line, line
    yield f"http://127.0.0.1:{port}"
    fake.terminate()
    fake.wait(timeout=10)


@pytest.fixture(scope="module")
def sync_server(tmp_path_factory, fake_hubspot):
    """The app, with the token in its environment (as an admin would set it)."""
    from sqlmodel import Session

    from smarketing.auth import users
    from smarketing.auth.permissions import CLI_ACTOR
    from smarketing.store.db import make_engine, upgrade_to_head
    from tests.e2e.conftest import PASSWORD, _require_browser, streamlit_app

    _require_browser()
    folder = tmp_path_factory.mktemp("e2e_sources")
    url = f"sqlite:///{folder / 'sources.db'}"
    engine = make_engine(url)
    upgrade_to_head(engine)
    with Session(engine) as s:
        users.add_user(
            s,
            actor=CLI_ACTOR,
            username="ada",
            name="Ada",
            email="ada@example.com",
            roles=["admin"],
            password=PASSWORD,
        )
    engine.dispose()
    with streamlit_app(url, folder, HUBSPOT_E2E_TOKEN=TOKEN) as base:
        yield base


def test_an_admin_connects_hubspot_and_sees_the_first_sync_finish(
    sync_server, fake_hubspot, browser, tmp_path
):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.goto(sync_server)
    settle(page)
    log_in(page, "ada")
    page.get_by_role("link", name="Data sources").click()
    settle(page)
    page.get_by_role("heading", name="Data sources").wait_for(timeout=30000)
    page.get_by_text("No CRM is connected yet").wait_for(timeout=10000)
    page.get_by_role("textbox", name="Name").fill("hubspot")
    page.get_by_role("textbox", name="Token from").fill("HUBSPOT_E2E_TOKEN")
    page.get_by_role("textbox", name="API address (optional)").fill(fake_hubspot)
    page.get_by_role("button", name="Add source").click()
    settle(page)
    page.get_by_text("Added hubspot").wait_for(timeout=20000)
    page.get_by_role("button", name="Test connection").click()
    settle(page)
    page.get_by_text("Connected: HubSpot").wait_for(timeout=30000)
    page.get_by_role("button", name="Run the first full sync").click()
    settle(page)
    page.get_by_text(f"hubspot: {CONTACTS:,} fetched, {CONTACTS:,} inserted").wait_for(
        timeout=60000
    )
    assert page.locator('[data-testid="stException"]').count() == 0
    page.screenshot(path=str(tmp_path / "sources.png"), full_page=True)
    page.get_by_role("link", name="Overview").click()
    settle(page)
    page.get_by_text("CRM synced").wait_for(timeout=20000)
    assert page.get_by_text("CRM synced never").count() == 0
    context.close()
