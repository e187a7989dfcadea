"""A real `streamlit run` on 127.0.0.1 and Debian's chromium through Playwright."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlmodel import Session

from scripts.browser_tour import server_env, streamlit_server
from smarketing.auth import users
from smarketing.auth.permissions import CLI_ACTOR
from smarketing.store.db import make_engine, upgrade_to_head

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
PASSWORD = "correct horse battery"


def _require_browser() -> None:
    if not Path(CHROMIUM).exists():
        if os.environ.get("SMARKETING_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{CHROMIUM} is missing but SMARKETING_REQUIRE_BROWSER=1 (CI)")
        pytest.skip(f"{CHROMIUM} is missing: apt-get install chromium to run browser tests")


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The app served by `streamlit run` with one user per role; yields its URL."""
    _require_browser()
    folder = tmp_path_factory.mktemp("e2e")
    url = f"sqlite:///{folder / 'e2e.db'}"
    engine = make_engine(url)
    upgrade_to_head(engine)
    with Session(engine) as s:
        for name, role in (("ada", "admin"), ("sam", "sales")):
            users.add_user(
                s,
                actor=CLI_ACTOR,
                username=name,
                name=name.title(),
                email=f"{name}@example.com",
                roles=[role],
                password=PASSWORD,
            )
    engine.dispose()
    env = server_env(url, folder / "data", "e2e-" + "x" * 60)
    with streamlit_server(env, folder / "server.log") as base:
        yield base


@pytest.fixture(scope="module")
def browser():
    """Debian's chromium driven by Playwright."""
    _require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def settle(page) -> None:
    """Wait until Streamlit has finished its reruns."""
    page.wait_for_selector(IDLE, timeout=30000)
    page.wait_for_timeout(500)
    page.wait_for_selector(IDLE, timeout=30000)


@contextmanager
def streamlit_app(url: str, folder: Path, **extra_env: str) -> Iterator[str]:
    """`streamlit run app.py` on a free 127.0.0.1 port against the database ``url``, no demo
    written at start; yields the base URL and stops the server afterwards."""
    env = {**server_env(url, folder / "data", "e2e-" + "y" * 60), **extra_env}
    with streamlit_server(env, folder / "server.log") as base:
        yield base


@dataclass(frozen=True)
class DemoServer:
    """The app serving the demo company: its base URL and its database URL."""

    base: str
    database_url: str


@pytest.fixture(scope="module")
def demo_company_server(tmp_path_factory):
    """The app on the demo company (its story ending on tests.conftest.NOW: closed weekly
    and monthly meetings, the next weekly meeting planned), with ada (admin), mia
    (marketing), sam (sales) and lea (leadership); the password is PASSWORD."""
    from smarketing.demo import build_demo
    from tests.conftest import NOW

    _require_browser()
    folder = tmp_path_factory.mktemp("e2e_demo")
    url = f"sqlite:///{folder / 'demo.db'}"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SMARKETING_TIMEZONE", "Europe/Oslo")
        engine = make_engine(url)
        upgrade_to_head(engine)
        with Session(engine) as s:
            for name, role in (
                ("ada", "admin"),
                ("mia", "marketing"),
                ("sam", "sales"),
                ("lea", "leadership"),
            ):
                users.add_user(
                    s,
                    actor=CLI_ACTOR,
                    username=name,
                    name=name.title(),
                    email=f"{name}@example.com",
                    roles=[role],
                    password=PASSWORD,
                )
        build_demo(engine, leads=800, months=3, now=NOW, seed=5)
        engine.dispose()
    with streamlit_app(url, folder, SMARKETING_TIMEZONE="Europe/Oslo") as base:
        yield DemoServer(base=base, database_url=url)
