"""Login, first admin, throttling, sessions and role-based navigation through AppTest."""

from __future__ import annotations

import pytest

from tests.pages.conftest import (
    PASSWORD,
    SETUP_CODE,
    logged_in,
    login_through_form,
    new_app,
    texts,
)


def test_first_admin_form_when_no_users():
    at = new_app().run()
    assert not at.exception
    assert "Welcome to Smarketing" in texts(at)
    assert at.text_input(key="setup_code") is not None


def fill_first_admin(at, code):
    at.text_input(key="setup_code").input(code)
    at.text_input(key="first_username").input("kari")
    at.text_input(key="first_name").input("Kari Nordmann")
    at.text_input(key="first_email").input("kari@example.com")
    at.text_input(key="first_password").input(PASSWORD)
    at.text_input(key="first_repeat").input(PASSWORD)
    at.button[0].click()
    return at.run()


def test_first_admin_needs_the_console_code():
    at = fill_first_admin(new_app().run(), "a guess")
    assert "setup code is wrong" in texts(at)
    # what was typed is still there
    assert at.text_input(key="first_username").value == "kari"


def test_first_admin_then_login():
    at = fill_first_admin(new_app().run(), SETUP_CODE)
    assert not at.exception
    assert "Admin **kari** created" in texts(at)
    at = login_through_form(at, "kari", PASSWORD)
    assert not at.exception
    assert "Overview" in [t.value for t in at.title]


def test_first_admin_confirmation_stays_until_the_login():
    """The login cookie's component reruns the page right away: the confirmation must survive
    that rerun (it used to be gone before anyone could read it)."""
    at = fill_first_admin(new_app().run(), SETUP_CODE)
    at = at.run()
    at = at.run()
    assert "Admin **kari** created. Log in below." in texts(at)
    at = login_through_form(at, "kari", PASSWORD).run()
    assert "created. Log in below" not in texts(at)


def test_first_admin_form_shows_every_problem_at_once():
    at = new_app().run()
    at.text_input(key="setup_code").input("a guess")
    at.text_input(key="first_username").input("Kari N")
    at.text_input(key="first_email").input("kari-at-example")
    at.text_input(key="first_password").input("short")
    at.text_input(key="first_repeat").input("shorter")
    at.button[0].click()
    at.run()
    [error] = [e.value for e in at.error]
    for expected in (
        "setup code is wrong",
        "username must be 2–64 characters",
        "name must not be empty",
        "is not an e-mail address",
        "at least 8 characters",
        "two passwords differ",
    ):
        assert expected in error, expected
    assert at.text_input(key="first_username").value == "Kari N"  # nothing typed is lost


def test_login_form_with_real_user(people):
    at = new_app().run()
    assert [t.value for t in at.text_input][:2] == ["", ""]
    at = login_through_form(at, "mia", PASSWORD)
    assert not at.exception
    assert at.session_state["authentication_status"] is True
    assert "Overview" in [t.value for t in at.title]


def test_wrong_password_shows_error(people):
    at = login_through_form(new_app().run(), "mia", "not the password")
    assert "Wrong username or password." in texts(at)
    assert "Overview" not in [t.value for t in at.title]


@pytest.mark.parametrize("username", ["sam", "nobody"])
def test_the_same_answer_for_known_and_unknown_usernames(people, username):
    """Five wrong passwords for a real user and for an invented one: the same words, and the
    same wait after the fifth (it used to say "locked" only for the real one)."""
    at = new_app().run()
    for _ in range(4):
        at = login_through_form(at, username, "wrong password")
        assert [e.value for e in at.error] == ["Wrong username or password."]
    at = login_through_form(at, username, "wrong password")
    assert [e.value for e in at.error] == [
        "Wrong username or password. Wait 1 s before the next try."
    ]
    assert "locked" not in texts(at)


@pytest.mark.parametrize("username", ["sam", "nobody"])
def test_during_a_delay_the_right_password_gets_the_same_answer(people, app_env, username):
    from sqlmodel import Session

    from smarketing.auth import throttle
    from smarketing.store.models import utcnow

    with Session(app_env) as s:  # ten failures just now: the capped delay of 30 s
        for _ in range(10):
            throttle.record_failure(s, username, None, utcnow())
    at = login_through_form(new_app().run(), username, PASSWORD)
    [error] = [e.value for e in at.error]
    assert error.startswith("Wrong username or password. Wait ")
    assert error.endswith(" s before the next try.")
    assert not at.session_state["authentication_status"]
    assert "Overview" not in [t.value for t in at.title]


PAGES = {
    "Overview": "app_pages/overview.py",
    "SLA": "app_pages/sla.py",
    "Lead quality": "app_pages/quality.py",
    "Leads": "app_pages/leads.py",
    "Shared language": "app_pages/shared_language.py",
    "Personas": "app_pages/personas.py",
    "Campaigns": "app_pages/campaigns.py",
    "Meetings": "app_pages/meetings.py",
    "Meeting mode": "app_pages/meeting_mode.py",
    "Actions": "app_pages/actions.py",
    "Import": "app_pages/admin_import.py",
    "Data sources": "app_pages/admin_sources.py",
    "Users": "app_pages/admin_users.py",
    "Audit log": "app_pages/admin_audit.py",
    "Notifications": "app_pages/admin_notifications.py",
    "My notifications": "app_pages/notifications.py",
}
ONE_TEAM = [
    "Shared language",
    "Personas",
    "Campaigns",
    "Meetings",
    "Meeting mode",
    "Actions",
    "My notifications",
]
NAV = {
    "ada": [
        "Overview",
        "SLA",
        "Lead quality",
        "Leads",
        *ONE_TEAM,
        "Import",
        "Data sources",
        "Users",
        "Audit log",
        "Notifications",
    ],
    "mia": ["Overview", "SLA", "Lead quality", "Leads", *ONE_TEAM, "Import"],
    "sam": ["Overview", "SLA", "Lead quality", "Leads", *ONE_TEAM],
    "lea": ["Overview", "SLA", "Lead quality", "Leads", *ONE_TEAM],
}


@pytest.mark.parametrize("username", list(NAV))
def test_each_role_sees_its_navigation(people, username):
    at = logged_in(username, people[username])
    assert not at.exception
    for title, path in PAGES.items():
        if title in NAV[username]:
            at.switch_page(path).run()
            assert not at.exception, f"{title} failed for {username}"
            assert title in [t.value for t in at.title]
        else:
            with pytest.raises(ValueError):
                at.switch_page(path)


def test_disabled_user_is_logged_out(people, app_env):
    from sqlmodel import Session

    from smarketing.auth import users
    from smarketing.auth.permissions import CLI_ACTOR

    at = logged_in("sam", ["sales"])
    with Session(app_env) as s:
        users.set_disabled(s, actor=CLI_ACTOR, username="sam")
    at.run()
    assert "disabled" in texts(at)
    assert (
        not at.session_state["authentication_status"]
        if "authentication_status" in at.session_state
        else True
    )


def test_password_reset_ends_open_session(people, app_env):
    from sqlmodel import Session

    from smarketing.auth import users
    from smarketing.auth.permissions import CLI_ACTOR

    at = logged_in("sam", ["sales"])
    assert "Overview" in [t.value for t in at.title]
    with Session(app_env) as s:
        users.set_password(s, actor=CLI_ACTOR, username="sam", password="a brand new pw")
    at.run()
    assert "Your password was changed" in texts(at)
    assert "Overview" not in [t.value for t in at.title]


def test_roles_come_from_the_database_not_the_session(people):
    at = logged_in("sam", ["admin"])  # a tampered session claims admin
    assert at.session_state["roles"] == ["sales"]
    with pytest.raises(ValueError):
        at.switch_page("app_pages/admin_users.py")


def test_user_added_by_cli_can_log_in(app_env, monkeypatch, capsys):
    import io

    from smarketing.cli.main import main

    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert (
        main(
            [
                "users",
                "add",
                "nina",
                "--name",
                "Nina Berg",
                "--email",
                "nina@example.com",
                "--role",
                "marketing",
                "--password-stdin",
            ]
        )
        == 0
    )
    at = login_through_form(new_app().run(), "nina", PASSWORD)
    assert not at.exception
    assert "Overview" in [t.value for t in at.title]
    assert at.session_state["roles"] == ["marketing"]


def test_a_form_login_opens_a_session_and_logout_ends_it(people, app_env):
    from sqlmodel import Session, select

    from smarketing.store.models import LoginSession
    from smarketing.ui.auth import SESSION

    at = login_through_form(new_app().run(), "mia", PASSWORD)
    assert "Overview" in [t.value for t in at.title]
    with Session(app_env) as s:
        [row] = s.exec(select(LoginSession)).all()
    assert (row.username, row.revoked_at) == ("mia", None)
    assert at.session_state[SESSION] == row.id
    at.button(key="logout_button").click().run()
    assert "You are logged out." in texts(at)
    with Session(app_env) as s:
        row = s.get(LoginSession, row.id)
    assert (row.revoked_by, row.revoked_why) == ("mia", "logout")


def test_a_session_ended_by_an_admin_shows_the_login_form(people, app_env):
    from sqlmodel import Session

    from smarketing.auth import sessions
    from smarketing.auth.permissions import Actor
    from smarketing.store.models import utcnow
    from smarketing.ui.auth import SESSION

    at = logged_in("sam", ["sales"])
    assert "Overview" in [t.value for t in at.title]
    with Session(app_env) as s:
        sessions.end_session(
            s, actor=Actor.of("ada", {"admin"}), session_id=at.session_state[SESSION], now=utcnow()
        )
    at.run()
    assert "An admin ended your session" in texts(at)
    assert "Overview" not in [t.value for t in at.title]
    assert at.button[0].label == "Login"  # the form, not a dead end
    at = login_through_form(at, "sam", PASSWORD)
    assert "Overview" in [t.value for t in at.title]


def test_an_authenticated_state_without_a_session_is_refused(people):
    """Only a login (form, or cookie with an open session) opens the app."""
    at = new_app()
    at.session_state["authentication_status"] = True
    at.session_state["username"] = "ada"
    at.session_state["roles"] = ["admin"]
    at.run()
    assert "Overview" not in [t.value for t in at.title]
    assert "Your session has ended" in texts(at)
