"""Logout ends the session on the server: a login cookie copied before "Log out" opens
nothing afterwards, in a real browser."""

from __future__ import annotations

import pytest

from scripts.browser_tour import COOKIE_NAME, wait_for_cookie
from tests.e2e.conftest import settle
from tests.e2e.test_browser import log_in

pytestmark = pytest.mark.browser


def login_cookie(context) -> dict:
    [cookie] = [c for c in context.cookies() if c["name"] == COOKIE_NAME]
    return cookie


def open_with_cookie(browser, server: str, cookie: dict):
    """A fresh browser (no cookies but ``cookie``) on the app; returns its context and page."""
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    context.add_cookies([cookie])
    page = context.new_page()
    page.goto(server)
    settle(page)
    return context, page


def test_a_copied_cookie_is_dead_after_logout(server, browser):
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    page.goto(server)
    settle(page)
    log_in(page, "sam")
    page.get_by_role("heading", name="Overview").wait_for(timeout=20000)
    cookie = login_cookie(context)
    assert cookie["sameSite"] == "Strict"

    # while the session is open the copy logs in (so the refusal below is the server's)
    other, other_page = open_with_cookie(browser, server, cookie)
    other_page.get_by_role("heading", name="Overview").wait_for(timeout=20000)
    other.close()

    page.get_by_role("button", name="Log out").click()
    settle(page)
    wait_for_cookie(context, present=False)
    context.close()

    replay, replay_page = open_with_cookie(browser, server, cookie)
    replay_page.get_by_role("button", name="Login").wait_for(timeout=20000)
    replay_page.get_by_text("You logged out: please log in again.").wait_for(timeout=10000)
    assert replay_page.get_by_role("heading", name="Overview").count() == 0
    assert replay_page.locator('[data-testid="stSidebarNav"]').count() == 0
    # and the dead cookie is removed from the replaying browser
    wait_for_cookie(replay, present=False)
    replay.close()


def test_the_cookie_is_secure_when_configured(browser, tmp_path):
    """SMARKETING_COOKIE_SECURE=1 (an app behind HTTPS): the cookie is marked Secure (chromium
    keeps Secure cookies written on http://127.0.0.1, a secure context)."""
    from sqlmodel import Session

    from smarketing.auth import users
    from smarketing.auth.permissions import CLI_ACTOR
    from smarketing.store.db import make_engine, upgrade_to_head
    from tests.e2e.conftest import PASSWORD, streamlit_app

    url = f"sqlite:///{tmp_path / 'secure.db'}"
    engine = make_engine(url)
    upgrade_to_head(engine)
    with Session(engine) as s:
        users.add_user(
            s,
            actor=CLI_ACTOR,
            username="sam",
            name="Sam",
            email="sam@example.com",
            roles=["sales"],
            password=PASSWORD,
        )
    engine.dispose()
    with streamlit_app(url, tmp_path, SMARKETING_COOKIE_SECURE="1") as base:
        context = browser.new_context(viewport={"width": 1280, "height": 720})
        page = context.new_page()
        page.goto(base)
        settle(page)
        log_in(page, "sam")
        cookie = login_cookie(context)
        assert (cookie["secure"], cookie["sameSite"]) == (True, "Strict")
        context.close()


COOKIE_KEY = "e2e-" + "x" * 60  # the server fixture's (tests/e2e/conftest.py)


def _forged(cookie: dict, claims: dict | None = None, *, resign: bool = True) -> dict:
    """The login cookie with its claims changed (``claims``; a None value drops a claim),
    signed with the server's key (or, ``resign=False``, keeping the old signature)."""
    import base64
    import json

    import jwt

    payload = jwt.decode(cookie["value"], COOKIE_KEY, algorithms=["HS256"])
    for name, value in (claims or {}).items():
        if value is None:
            payload.pop(name, None)
        else:
            payload[name] = value
    if resign:
        token = jwt.encode(payload, COOKIE_KEY, algorithm="HS256")
    else:
        head, _, signature = cookie["value"].split(".")
        body = base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()
        token = f"{head}.{body}.{signature}"
    return {**cookie, "value": token}


def test_forged_cookies_open_nothing(server, browser):
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    page.goto(server)
    settle(page)
    log_in(page, "sam")  # sam's session stays open throughout
    cookie = login_cookie(context)
    sid = jwt_claims(cookie)["sid"]
    forged = {
        "sam's session in a cookie for ada": _forged(cookie, {"username": "ada"}),
        "no session": _forged(cookie, {"sid": None}),
        "another secret": _forged(cookie, {"sid": sid[:-1] + ("A" if sid[-1] != "A" else "B")}),
        "changed without the key": _forged(cookie, {"username": "ada"}, resign=False),
    }
    for why, bad in forged.items():
        other, other_page = open_with_cookie(browser, server, bad)
        other_page.get_by_role("button", name="Login").wait_for(timeout=20000)
        assert other_page.get_by_role("heading", name="Overview").count() == 0, why
        assert other_page.locator('[data-testid="stSidebarNav"]').count() == 0, why
        other.close()
    # the genuine cookie still opens the app: the refusals above were about the forgeries
    genuine, genuine_page = open_with_cookie(browser, server, cookie)
    genuine_page.get_by_role("heading", name="Overview").wait_for(timeout=20000)
    genuine.close()
    context.close()


def jwt_claims(cookie: dict) -> dict:
    import jwt

    return jwt.decode(cookie["value"], COOKIE_KEY, algorithms=["HS256"])
