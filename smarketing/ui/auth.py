"""The login gate: first-admin setup, the login form (checked and throttled by
``smarketing.auth.logins``), login by cookie into a server-side session
(``smarketing.auth.sessions``), logout.

The login cookie is streamlit-authenticator's JWT, signed with the cookie key, written by
its cookie component; the app writes it itself after a form login to add the ``sid`` claim,
the secret of the session it opened. The library logs a returning browser in from the
cookie; the gate then accepts that login only while the session is open, and checks the
session again on every run (an admin's "End", a logout in another tab, a password reset or
the idle timeout end it within one click)."""

from __future__ import annotations

from datetime import datetime

import jwt
import streamlit as st
import streamlit_authenticator as stauth
from sqlalchemy.engine import Engine
from streamlit.errors import StreamlitSecretNotFoundError
from streamlit_authenticator.utilities import LoginError

from smarketing import config
from smarketing.auth import logins, sessions, throttle, users
from smarketing.auth.permissions import Actor, role_labels
from smarketing.errors import InvalidInput, SmarketingError
from smarketing.i18n import N_, _
from smarketing.safe_text import safe_markdown as safe
from smarketing.store.models import utcnow
from smarketing.ui import language
from smarketing.ui.resources import session

FLASH = "_smarketing_flash"
#: the id of this browser tab's login session (smarketing.auth.sessions)
SESSION = "_smarketing_session"
#: why the last session ended, shown above the login form
ENDED = "_smarketing_ended"
#: set while a submitted login is being checked: when the database was busy or away, the
#: guard's Retry checks the same form again (instead of showing it anew)
PENDING = "_smarketing_login_pending"
LOGIN_STATE = ("authentication_status", "username", "name", "roles", "email")


def setup_code() -> str:
    """This process's one-time first-admin code; printed to the server console once (at
    server start when there was no user then)."""
    return users.console_setup_code()


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
    _language_corner()
    st.title(_("Welcome to Smarketing"))
    st.write(
        _(
            "No account exists yet. Create the first **admin** account. You need the one-time "
            "**setup code** printed in the console where the app was started "
            "(look for *Smarketing has no users yet*). Or run "
            "`python -m smarketing users add NAME --role admin …` in a shell."
        )
    )
    column = st.columns([3, 2])[0]
    with column.form("first_admin", border=True):
        entered = st.text_input(_("Setup code"), type="password", key="setup_code")
        username = st.text_input(
            _("Username"), key="first_username", placeholder=_("lower-case, e.g. kari")
        )
        name = st.text_input(_("Full name"), key="first_name")
        email = st.text_input(_("E-mail"), key="first_email")
        password = st.text_input(_("Password"), type="password", key="first_password")
        repeat = st.text_input(_("Repeat password"), type="password", key="first_repeat")
        submitted = st.form_submit_button(_("Create admin"), type="primary")
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
        column.error(_("Please correct:") + "\n" + listed, icon=":material/error:")
        return
    except SmarketingError as exc:
        column.error(str(exc), icon=":material/error:")
        return
    st.session_state[FLASH] = _("Admin **{username}** created. Log in below.").format(
        username=safe(user.username)
    )
    st.rerun()


def _language_corner() -> None:
    """The language switch at the top right of the login and first-admin pages."""
    with st.columns([5, 2])[1]:
        language.switch()


def _client() -> tuple[str | None, str | None]:
    """The client's address (None on localhost; behind a reverse proxy with
    SMARKETING_FORWARDED_FOR=1 the one it forwards) and user agent, if known (AppTest fills
    both with mocks: anything but text counts as unknown)."""
    address = st.context.ip_address
    try:
        agent = st.context.headers.get("User-Agent")
        forwarded = ",".join(st.context.headers.get_all("X-Forwarded-For"))  # the last wins
    except (AttributeError, RuntimeError, TypeError):
        agent = forwarded = None
    address = throttle.client_address(
        address if isinstance(address, str) else None,
        forwarded if isinstance(forwarded, str) else None,
        trust_forwarded=config.forwarded_for(),
    )
    return address, agent if isinstance(agent, str) else None


def _end_login(authenticator: stauth.Authenticate, message: str) -> None:
    """Forget this tab's login and delete the cookie; the login form comes next, with
    ``message`` above it."""
    for key in (*LOGIN_STATE, SESSION):
        st.session_state.pop(key, None)
    # the library reads the cookie this tab connected with on every run: this flag makes it
    # stop, so the ended login does not come back before the browser has dropped the cookie
    st.session_state["logout"] = True
    authenticator.cookie_controller.delete_cookie()
    st.session_state[ENDED] = message


def _authenticator(credentials: dict) -> stauth.Authenticate:
    try:
        key = cookie_key()
    except SmarketingError as exc:
        st.error(_("Login is not configured: {reason}").format(reason=exc), icon=":material/error:")
        st.stop()
    return stauth.Authenticate(
        credentials,
        config.COOKIE_NAME,
        key,
        config.session_max_age().total_seconds() / 86400,
        auto_hash=False,
        login_sleep_time=0,
    )


def _set_cookie(authenticator: stauth.Authenticate, username: str, started) -> None:
    """Write the login cookie: the library's JWT (username, exp_date) plus ``sid``, the
    session's secret. SameSite=Strict; Secure when SMARKETING_COOKIE_SECURE=1."""
    model = authenticator.cookie_controller.cookie_model
    token = jwt.encode(
        {"username": username, "exp_date": started.expires_at.timestamp(), "sid": started.secret},
        model.cookie_key,
        algorithm="HS256",
    )
    model.cookie_manager.set(
        config.COOKIE_NAME,
        token,
        expires_at=started.expires_at,
        secure=True if config.cookie_secure() else None,
    )


def _cookie_login(engine: Engine, authenticator: stauth.Authenticate, now: datetime) -> None:
    """Log in from the cookie, if there is one and its session is open."""
    try:
        authenticator.login(location="unrendered", key="login")
        token = authenticator.cookie_controller.get_cookie() or {}
    except LoginError:
        _end_login(authenticator, N_("That account no longer exists or is disabled."))
        return
    except jwt.InvalidTokenError:
        _end_login(authenticator, N_("Your login cookie is not valid here. Please log in."))
        return
    if not st.session_state.get("authentication_status"):
        return
    with session(engine) as s:
        found = sessions.by_secret(s, token.get("sid"))
        why = sessions.ended_why(s, found, st.session_state["username"], now)
    if why:
        _end_login(authenticator, sessions.ENDED[why])
    else:
        st.session_state[SESSION] = found


def _login_form(engine: Engine, authenticator: stauth.Authenticate, now: datetime) -> None:
    """The login page; returns only once the form logged someone in."""
    _language_corner()
    st.title("Smarketing")
    st.caption(_("Marketing and sales, one team: the SLA, lead quality and meetings."))
    if FLASH in st.session_state:  # kept until the login: the page reruns by itself
        st.success(st.session_state[FLASH], icon=":material/check_circle:")
    if ENDED in st.session_state:  # an English message id, shown in the language of now
        st.info(_(st.session_state[ENDED]), icon=":material/logout:")
    column = st.columns([2, 3])[0]
    with column.form("login"):
        st.subheader(_("Log in"))
        username = st.text_input(_("Username"), key="login_username", autocomplete="username")
        password = st.text_input(
            _("Password"),
            type="password",
            key="login_password",
            autocomplete="current-password",
        )
        submitted = st.form_submit_button(_("Login"), type="primary")
    if not (st.session_state.pop(PENDING, False) or submitted):
        st.stop()
    if not username.strip() or not password:
        column.error(_("Enter your username and password."))
        st.stop()
    address, agent = _client()
    st.session_state[PENDING] = True
    with session(engine) as s:
        answer = logins.attempt_login(
            s, username=username, password=password, address=address, now=now
        )
        if answer.user is None:
            st.session_state.pop(PENDING, None)
            column.error(answer.message, icon=":material/error:")
            st.stop()
        user = answer.user
        started = sessions.start(
            s, username=user.username, now=now, address=address, user_agent=agent
        )
        state = {
            "authentication_status": True,
            "username": user.username,
            "name": user.name,
            "email": user.email,
            "roles": user.role_list,
            "logout": None,
            SESSION: started.id,
        }
    st.session_state.update(state)
    for key in (PENDING, ENDED):
        st.session_state.pop(key, None)
    _set_cookie(authenticator, state["username"], started)


def _log_out(engine: Engine, info: dict) -> None:
    with session(engine) as s:
        sessions.log_out(s, st.session_state.pop(SESSION, None), info["username"], utcnow())


def _save_language(engine: Engine, actor: Actor, code: str) -> None:
    """The switch's choice saved as the user's, while this tab's login session is open (a
    callback runs before the gate checks the session of its run)."""
    if session_is_open(engine, actor.username):
        language.saved_choice(engine, actor, code)


def session_is_open(engine: Engine, username: str) -> bool:
    """True while this tab is logged in as ``username`` and its login session is open.

    For widget callbacks that write: Streamlit runs a callback before the script, so before
    ``gate`` has checked the session of this run; a tab left open after a logout elsewhere,
    a password reset, disabling, an admin's "End" or the idle timeout must not write."""
    if not st.session_state.get("authentication_status"):
        return False
    if st.session_state.get("username") != username:
        return False
    with session(engine) as s:
        return sessions.ended_why(s, st.session_state.get(SESSION), username, utcnow()) is None


def gate(engine: Engine) -> Actor:
    """The logged-in actor; otherwise render the first-admin or login form and stop."""
    with session(engine) as s:
        if users.user_count(s) == 0:
            _first_admin_form(engine)
            st.stop()
        credentials = logins.login_credentials(s)
    authenticator = _authenticator(credentials)
    known = credentials["usernames"]
    now = utcnow()
    if st.session_state.get("authentication_status"):
        username = st.session_state.get("username")
        if username not in known:
            _end_login(authenticator, sessions.ENDED["disabled"])
        else:
            with session(engine) as s:
                why = sessions.ended_why(s, st.session_state.get(SESSION), username, now)
            if why:
                _end_login(authenticator, sessions.ENDED[why])
    else:
        _cookie_login(engine, authenticator, now)
    if not st.session_state.get("authentication_status"):
        _login_form(engine, authenticator, now)
    st.session_state.pop(FLASH, None)
    username = st.session_state["username"]
    roles = known[username]["roles"]
    st.session_state["roles"] = roles
    actor = Actor.of(username, roles)
    language.chosen_after_login(engine, actor)
    with st.sidebar:
        st.markdown(f"**{safe(known[username]['name'])}**  \n{role_labels(roles)}")
        language.switch(save=lambda code: _save_language(engine, actor, code))
        authenticator.logout(
            _("Log out"),
            location="sidebar",
            key="logout_button",
            callback=lambda info: _log_out(engine, info),
        )
    if not st.session_state.get("authentication_status"):
        st.info(_("You are logged out."))
        st.button(_("Log in again"), key="login_again")
        st.stop()
    return actor
