"""Login, first admin, lockout and role-based navigation through AppTest."""

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


def test_five_failures_lock_the_username(people):
    at = new_app().run()
    for _ in range(5):
        at = login_through_form(at, "sam", "wrong password")
    assert "locked" in texts(at)
    # the right password no longer helps: the lock is in the database, not in this session
    at = login_through_form(new_app().run(), "sam", PASSWORD)
    assert "locked" in texts(at)
    assert not at.session_state["authentication_status"]


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
    "Users": "app_pages/admin_users.py",
    "Audit log": "app_pages/admin_audit.py",
}
ONE_TEAM = ["Shared language", "Personas", "Campaigns", "Meetings", "Meeting mode", "Actions"]
NAV = {
    "ada": ["Overview", "SLA", "Lead quality", "Leads", *ONE_TEAM, "Import", "Users", "Audit log"],
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
