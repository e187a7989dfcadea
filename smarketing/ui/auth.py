"""The login gate: first-admin setup, login with a database-backed lockout, logout."""

from __future__ import annotations

import os
import sys
from contextlib import nullcontext

import streamlit as st
import streamlit_authenticator as stauth
from sqlalchemy.engine import Engine
from streamlit.errors import StreamlitSecretNotFoundError
from streamlit_authenticator.utilities import LoginError

from smarketing import config, users
from smarketing.errors import SmarketingError
from smarketing.permissions import Actor
from smarketing.ui.resources import session

FLASH = "_smarketing_flash"


@st.cache_resource(show_spinner=False)
def setup_code() -> str:
    """This process's one-time first-admin code, printed once to the server console."""
    code = os.environ.get("SMARKETING_SETUP_CODE", "").strip() or users.new_setup_code()
    print(
        "\n" + "=" * 64 + "\n  Smarketing has no users yet. To create the first admin, open the app"
        f"\n  and enter this setup code:  {code}\n" + "=" * 64 + "\n",
        file=sys.stderr,
        flush=True,
    )
    return code


def cookie_key() -> str:
    """The cookie signing key: SMARKETING_COOKIE_KEY, secrets.toml's cookie_key, or generated."""
    try:
        from_secrets = st.secrets.get("cookie_key")
    except (FileNotFoundError, StreamlitSecretNotFoundError):
        from_secrets = None
    return config.cookie_key(str(from_secrets) if from_secrets else None)


def _first_admin_form(engine: Engine) -> None:
    code = setup_code()
    st.title("Welcome to Smarketing")
    st.write(
        "No account exists yet. Create the first **admin** account. You need the one-time "
        "**setup code** printed in the console where the app was started "
        "(look for *Smarketing has no users yet*). Or run "
        "`python -m smarketing users add NAME --role admin …` in a shell."
    )
    column, _ = st.columns([3, 2])
    with column.form("first_admin", border=True):
        entered = st.text_input("Setup code", type="password", key="setup_code")
        username = st.text_input(
            "Username", key="first_username", placeholder="lower-case, e.g. kari"
        )
        name = st.text_input("Full name", key="first_name")
        email = st.text_input("E-mail", key="first_email")
        password = st.text_input("Password", type="password", key="first_password")
        repeat = st.text_input("Repeat password", type="password", key="first_repeat")
        submitted = st.form_submit_button("Create admin", type="primary")
    if not submitted:
        return
    if password != repeat:
        st.error("The two passwords differ.")
        return
    try:
        with session(engine) as s:
            user = users.create_first_admin(
                s,
                setup_code=entered,
                expected_code=code,
                username=username,
                name=name,
                email=email,
                password=password,
            )
    except SmarketingError as exc:
        st.error(str(exc))
        return
    st.session_state[FLASH] = f"Admin **{user.username}** created. Log in below."
    st.rerun()


def _failed_attempts(credentials: dict) -> dict[str, int]:
    return {u: d.get("failed_login_attempts", 0) for u, d in credentials["usernames"].items()}


def _forget_login(authenticator: stauth.Authenticate, message: str) -> None:
    for key in ("authentication_status", "username", "name", "roles", "email"):
        st.session_state.pop(key, None)
    authenticator.cookie_controller.delete_cookie()
    st.error(message)
    st.stop()


def gate(engine: Engine) -> Actor:
    """The logged-in actor; otherwise render the first-admin or login form and stop."""
    with session(engine) as s:
        if users.user_count(s) == 0:
            _first_admin_form(engine)
            st.stop()
        credentials = users.login_credentials(s)
    before = _failed_attempts(credentials)
    authenticator = stauth.Authenticate(
        credentials,
        config.COOKIE_NAME,
        cookie_key(),
        config.COOKIE_EXPIRY_DAYS,
        auto_hash=False,
        login_sleep_time=0,
    )
    known = credentials["usernames"]
    if (
        st.session_state.get("authentication_status")
        and st.session_state.get("username") not in known
    ):
        _forget_login(authenticator, "Your account is disabled. Ask an admin.")
    if not st.session_state.get("authentication_status"):
        st.title("Smarketing")
        st.caption("Marketing and sales, one team: the SLA, lead quality and meetings.")
        if FLASH in st.session_state:
            st.success(st.session_state.pop(FLASH))
    place = (
        nullcontext() if st.session_state.get("authentication_status") else st.columns([2, 3])[0]
    )
    try:
        with place:
            authenticator.login(
                location="main",
                max_login_attempts=users.MAX_FAILED_LOGINS,
                key="login",
                fields={
                    "Form name": "Log in",
                    "Username": "Username",
                    "Password": "Password",
                    "Login": "Login",
                },
            )
    except LoginError as exc:
        if "attempts" in str(exc):
            st.error(
                f"This username is locked after {users.MAX_FAILED_LOGINS} failed logins. "
                f"Try again in {users.LOCK_MINUTES} minutes, or ask an admin to reset the password."
            )
        elif "not authorized" in str(exc):
            _forget_login(authenticator, "That account no longer exists or is disabled.")
        else:
            st.error(str(exc))
        st.stop()
    with session(engine) as s:
        for username, count in _failed_attempts(credentials).items():
            if count > before.get(username, 0) and users.record_failed_login(s, username):
                st.error(
                    f"Too many failed logins: **{username}** is locked for "
                    f"{users.LOCK_MINUTES} minutes."
                )
                st.stop()
    status = st.session_state.get("authentication_status")
    if status is False:
        st.error("Wrong username or password.")
    if not status:
        st.stop()
    username = st.session_state["username"]
    if st.session_state.get("_login_recorded") != username:
        with session(engine) as s:
            users.record_login(s, username)
        st.session_state["_login_recorded"] = username
    roles = known[username]["roles"]
    st.session_state["roles"] = roles
    with st.sidebar:
        st.markdown(f"**{known[username]['name']}**  \n{', '.join(roles)}")
        authenticator.logout("Log out", location="sidebar", key="logout_button")
    if not st.session_state.get("authentication_status"):
        st.session_state.pop("_login_recorded", None)
        st.info("You are logged out.")
        st.button("Log in again", key="login_again")
        st.stop()
    return Actor.of(username, roles)
