"""Logging in: the password check with its throttle, the credentials streamlit-authenticator
needs for a login by cookie, and the last login.

A username's delay does not hold up a try from a client address its owner logged in from
in the last 30 days (``sessions.known_address``), so an outsider guessing at a username
cannot keep its owner out; the address's own delay still applies there.

Every refused try gets the same answer, whether the username exists, the password is
wrong, the account is disabled or the try came during a throttle delay: "Wrong username or
password." (with "wait N s" when a delay applies, which does not depend on whether the
username exists either). An unknown username costs the same bcrypt check as a known one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import cache

from sqlmodel import Session, select

from smarketing import formatting
from smarketing.auth import sessions, throttle, users
from smarketing.i18n import N_, _
from smarketing.store.models import User

WRONG = N_("Wrong username or password.")


@dataclass(frozen=True)
class LoginAnswer:
    """The outcome of a login try: the user when it succeeded, otherwise the message to
    show and the seconds to wait before the next try."""

    user: User | None
    message: str = ""
    wait: int = 0


def refusal(wait: int) -> str:
    """The one answer for every refused login try."""
    if not wait:
        return _(WRONG)
    return _("Wrong username or password. Wait {seconds} s before the next try.").format(
        seconds=formatting.count(wait)
    )


@cache
def _stand_in_hash() -> str:
    # checked for unknown usernames, so that they take as long as known ones
    return users.hash_password("no user has this password")


def attempt_login(
    session: Session, *, username: str, password: str, address: str | None, now: datetime
) -> LoginAnswer:
    """Check a login from the form: refused without looking at the password during a
    throttle delay; a failure counts against the username and the client address; a
    success clears the username's count and notes the login. Commits."""
    name = username.strip().lower()
    # a username's delay does not hold up its owner where they logged in before: so an
    # outsider who keeps guessing at it cannot keep its owner out (the address's own delay
    # still applies)
    usual = sessions.known_address(session, name, address, now)
    wait = throttle.begin_try(session, name, address, now, username_delay=not usual)
    if wait:
        return LoginAnswer(None, refusal(wait), wait)
    user = session.exec(select(User).where(User.username == name)).first()
    matches = users.password_matches(password, user.password_hash if user else _stand_in_hash())
    if user is None or user.disabled or not matches:  # counted already by begin_try
        wait = throttle.wait_seconds(session, name, address, now, username_delay=not usual)
        return LoginAnswer(None, refusal(wait), wait)
    throttle.succeeded(session, name, address)
    user.last_login_at = now
    session.add(user)
    session.commit()
    return LoginAnswer(user)


def login_credentials(session: Session) -> dict:
    """A fresh credentials dict for streamlit-authenticator: the active users, pre-hashed.
    The library only uses it to log in by cookie (the form is the app's, ``attempt_login``)."""
    active = session.exec(select(User).where(User.disabled == False)).all()  # noqa: E712
    return {
        "usernames": {
            u.username: {
                "name": u.name,
                "email": u.email,
                "password": u.password_hash,
                "roles": u.role_list,
                "logged_in": False,
            }
            for u in active
        }
    }
