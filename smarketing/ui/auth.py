"""The login gate: first-admin setup, login with a database-backed lockout, logout."""

from __future__ import annotations

import os
import sys
from contextlib import nullcontext
from datetime import UTC, datetime, timedelta

import jwt
import streamlit as st
import streamlit_authenticator as stauth
from sqlalchemy.engine import Engine
from streamlit.errors import StreamlitSecretNotFoundError
from streamlit_authenticator.utilities import LoginError

from smarketing import config
from smarketing.auth import logins, users
from smarketing.auth.permissions import Actor
from smarketing.errors import InvalidInput, SmarketingError
from smarketing.safe_text import safe_markdown as safe
from smarketing.store.models import utcnow
from smarketing.ui.resources import session

FLASH = "_smarketing_flash"
FORM_LOGIN = "_smarketing_form_login"
AUTH_AT = "_smarketing_authenticated"


@st.cache_resource(show_spinner=False)
def setup_code() -> str:
    """This process's one-time first-admin code, printed once to the server console."""
    given = os.environ.get("SMARKETING_SETUP_CODE", "").strip()
    code = users.checked_setup_code(given) if given else users.new_setup_code()
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
    try:
        code = setup_code()
    except SmarketingError as exc:
        st.error(str(exc))
        st.stop()
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
                repeat=repeat,
            )
    except InvalidInput as exc:
        listed = "\n".join(f"- {safe(p[:1].upper() + p[1:])}." for p in exc.problems)
        column.error(f"Please correct:\n{listed}", icon=":material/error:")
        return
    except SmarketingError as exc:
        column.error(str(exc), icon=":material/error:")
        return
    st.session_state[FLASH] = f"Admin **{safe(user.username)}** created. Log in below."
    st.rerun()


def _failed_attempts(credentials: dict) -> dict[str, int]:
    return {u: d.get("failed_login_attempts", 0) for u, d in credentials["usernames"].items()}


def _forget_login(authenticator: stauth.Authenticate, message: str) -> None:
    for key in ("authentication_status", "username", "name", "roles", "email"):
        st.session_state.pop(key, None)
    authenticator.cookie_controller.delete_cookie()
    st.error(message)
    st.stop()


def _authenticator(credentials: dict) -> stauth.Authenticate:
    try:
        key = cookie_key()
    except SmarketingError as exc:
        st.error(f"Login is not configured: {exc}", icon=":material/error:")
        st.stop()
    return stauth.Authenticate(
        credentials,
        config.COOKIE_NAME,
        key,
        config.COOKIE_EXPIRY_DAYS,
        auto_hash=False,
        login_sleep_time=0,
    )


def _login_form(authenticator: stauth.Authenticate) -> None:
    """Render the login form (or log in from the cookie); handle the library's refusals."""
    place = (
        nullcontext() if st.session_state.get("authentication_status") else st.columns([2, 3])[0]
    )
    try:
        with place:
            authenticator.login(
                location="main",
                max_login_attempts=logins.MAX_FAILED_LOGINS,
                key="login",
                fields={
                    "Form name": "Log in",
                    "Username": "Username",
                    "Password": "Password",
                    "Login": "Login",
                },
                callback=lambda info: st.session_state.update({FORM_LOGIN: info["username"]}),
            )
    except LoginError as exc:
        if "attempts" in str(exc):
            st.error(
                f"This username is locked after {logins.MAX_FAILED_LOGINS} failed logins. Try "
                f"again in up to {logins.LOCK_MINUTES} minutes, or ask an admin to reset the "
                "password."
            )
        elif "not authorized" in str(exc):
            _forget_login(authenticator, "That account no longer exists or is disabled.")
        else:
            st.error(str(exc))
        st.stop()
    except jwt.InvalidTokenError:
        _forget_login(authenticator, "Your login cookie is not valid here. Please log in.")


def _authenticated_at(authenticator: stauth.Authenticate) -> datetime:
    """When this login happened: now for a password login, the cookie's issue time otherwise."""
    if st.session_state.pop(FORM_LOGIN, None):
        return utcnow()
    token = authenticator.cookie_controller.get_cookie() or {}
    expires = token.get("exp_date")
    if not expires:
        return utcnow()
    issued = datetime.fromtimestamp(float(expires), UTC)
    return issued - timedelta(days=config.COOKIE_EXPIRY_DAYS)


def gate(engine: Engine) -> Actor:
    """The logged-in actor; otherwise render the first-admin or login form and stop."""
    with session(engine) as s:
        if users.user_count(s) == 0:
            _first_admin_form(engine)
            st.stop()
        credentials = logins.login_credentials(s)
    before = _failed_attempts(credentials)
    authenticator = _authenticator(credentials)
    known = credentials["usernames"]
    if (
        st.session_state.get("authentication_status")
        and st.session_state.get("username") not in known
    ):
        _forget_login(authenticator, "Your account is disabled. Ask an admin.")
    if not st.session_state.get("authentication_status"):
        st.session_state.pop(AUTH_AT, None)
        st.title("Smarketing")
        st.caption("Marketing and sales, one team: the SLA, lead quality and meetings.")
        if FLASH in st.session_state:  # kept until the login: the page reruns by itself
            st.success(st.session_state[FLASH], icon=":material/check_circle:")
    _login_form(authenticator)
    with session(engine) as s:
        for username, count in _failed_attempts(credentials).items():
            if count > before.get(username, 0) and logins.record_failed_login(s, username):
                st.error(
                    f"Too many failed logins: **{username}** is locked for "
                    f"{logins.LOCK_MINUTES} minutes."
                )
                st.stop()
    status = st.session_state.get("authentication_status")
    if status is False:
        st.error("Wrong username or password.")
    if not status:
        st.stop()
    username = st.session_state["username"]
    with session(engine) as s:
        if st.session_state.get(AUTH_AT, (None,))[0] != username:
            with_password = bool(st.session_state.get(FORM_LOGIN))
            if with_password and logins.lock_minutes_left(s, username):
                # a guess in another session locked the user while this form was checked
                _forget_login(authenticator, "This username is locked: try again later.")
            st.session_state[AUTH_AT] = (username, _authenticated_at(authenticator))
            logins.record_login(s, username, with_password=with_password)
        if not logins.session_still_valid(s, username, st.session_state[AUTH_AT][1]):
            st.session_state.pop(AUTH_AT, None)
            _forget_login(authenticator, "Your password was changed: please log in again.")
    st.session_state.pop(FLASH, None)
    roles = known[username]["roles"]
    st.session_state["roles"] = roles
    with st.sidebar:
        st.markdown(f"**{safe(known[username]['name'])}**  \n{', '.join(roles)}")
        authenticator.logout("Log out", location="sidebar", key="logout_button")
    if not st.session_state.get("authentication_status"):
        st.session_state.pop(AUTH_AT, None)
        st.info("You are logged out.")
        st.button("Log in again", key="login_again")
        st.stop()
    return Actor.of(username, roles)
