"""Server-side login sessions: one row per login, which the login cookie points to.

A password login starts a session: a random secret goes into the signed login cookie (the
``sid`` claim of the JWT that streamlit-authenticator reads), only its sha256 is stored. A
login by cookie is accepted only while its session exists, is not revoked, has seen a page
run within the idle timeout and is younger than its absolute expiry. Logging out revokes
that session; a password reset and disabling a user revoke all of the user's sessions; an
admin can end any one. So a copied cookie stops working the moment its session ends, and
no later than the absolute expiry.

Times are passed in (``now``), so every rule is tested without a clock.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import pandas as pd
from sqlalchemy import update
from sqlmodel import Session, select

from smarketing import config
from smarketing.auth import audit
from smarketing.auth.permissions import Actor, require
from smarketing.errors import NotFound
from smarketing.i18n import N_, _
from smarketing.store.models import LoginSession

#: "last seen" is written at most this often (not on every rerun).
TOUCH_EVERY = timedelta(minutes=1)
#: longest user agent kept (the column's width)
AGENT_MAX = 300

#: why a session ended -> what the person whose session it was is told (English, the
#: message id: shown through ``ended_message``, in the language speaking)
ENDED = {
    "logout": N_("You logged out: please log in again."),
    "password": N_("Your password was changed: please log in again."),
    "disabled": N_("Your account is disabled. Ask an admin."),
    "admin": N_("An admin ended your session: please log in again."),
    "idle": N_("Your session ended after a long time without use: please log in again."),
    "expired": N_("Your session has expired: please log in again."),
    "unknown": N_("Your session has ended: please log in again."),
}


def ended_message(why: str) -> str:
    """What the person whose session ended (a key of ENDED) is told, in the language
    speaking now."""
    message = ENDED.get(why) or ENDED["unknown"]
    return _(message)


@dataclass(frozen=True)
class Started:
    """A new session: its id (kept in the server's session state), its secret (for the
    cookie, never stored) and when it expires at the latest."""

    id: int
    secret: str
    expires_at: datetime


def secret_hash(secret: str) -> str:
    """The stored form of a session secret (sha256, hex)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def start(
    session: Session,
    *,
    username: str,
    now: datetime,
    address: str | None = None,
    user_agent: str | None = None,
    max_age: timedelta | None = None,
) -> Started:
    """Open a session for a login that has just been checked; commits."""
    secret = secrets.token_urlsafe(32)
    expires = now + (max_age or config.session_max_age())
    row = LoginSession(
        username=username,
        secret_hash=secret_hash(secret),
        created_at=now,
        last_seen_at=now,
        expires_at=expires,
        address=(address or None) and address[:64],
        user_agent=(user_agent or None) and user_agent[:AGENT_MAX],
    )
    session.add(row)
    session.commit()
    return Started(id=row.id, secret=secret, expires_at=expires)


def by_secret(session: Session, secret: str | None) -> int | None:
    """The id of the session whose secret this is (a login cookie's ``sid``), or None."""
    if not secret or not isinstance(secret, str):
        return None
    return session.exec(
        select(LoginSession.id).where(LoginSession.secret_hash == secret_hash(secret))
    ).first()


#: how long a client address a user logged in from stays "known" for that user
KNOWN_ADDRESS_DAYS = 30


def known_address(session: Session, username: str, address: str | None, now: datetime) -> bool:
    """Whether the user logged in from this client address within KNOWN_ADDRESS_DAYS (the
    login throttle's username delay does not hold up a try from such an address)."""
    if not address:
        return False
    found = session.exec(
        select(LoginSession.id)
        .where(
            LoginSession.username == username,
            LoginSession.address == address[:64],
            LoginSession.created_at > now - timedelta(days=KNOWN_ADDRESS_DAYS),
        )
        .limit(1)
    ).first()
    return found is not None


def ended_why(
    session: Session,
    session_id: int | None,
    username: str,
    now: datetime,
    *,
    idle: timedelta | None = None,
) -> str | None:
    """None while the session is open (and then "last seen" is moved on, at most once per
    TOUCH_EVERY); otherwise why it ended: a key of ENDED."""
    row = session.get(LoginSession, session_id) if session_id is not None else None
    if row is None or row.username != username:
        return "unknown"
    if row.revoked_at is not None:
        return row.revoked_why if row.revoked_why in ENDED else "unknown"
    if now >= row.expires_at:
        return "expired"
    if now - row.last_seen_at >= (idle or config.session_idle()):
        return "idle"
    if now - row.last_seen_at >= TOUCH_EVERY:
        table = LoginSession.__table__
        session.execute(
            update(table)
            .where(table.c.id == row.id, table.c.last_seen_at < now)
            .values(last_seen_at=now)
        )
        session.commit()
    return None


def _revoke(session: Session, where, *, by: str, why: str, now: datetime) -> int:
    table = LoginSession.__table__
    return session.execute(
        update(table)
        .where(where, table.c.revoked_at.is_(None))
        .values(revoked_at=now, revoked_by=by, revoked_why=why)
    ).rowcount


def log_out(session: Session, session_id: int | None, username: str, now: datetime) -> None:
    """The user logged out: end this session (their other sessions stay); commits."""
    if session_id is None:
        return
    table = LoginSession.__table__
    where = (table.c.id == session_id) & (table.c.username == username)
    _revoke(session, where, by=username, why="logout", now=now)
    session.commit()


def revoke_all(session: Session, username: str, *, by: str, why: str, now: datetime) -> int:
    """End every open session of the user (password reset, disabling); no commit: it lands
    with the change that causes it. Returns how many were open."""
    return _revoke(session, LoginSession.__table__.c.username == username, by=by, why=why, now=now)


def end_session(session: Session, *, actor: Actor, session_id: int, now: datetime) -> None:
    """An admin ends one session (its cookie stops working at the next page run); audited."""
    require(actor, "users.manage")
    row = session.get(LoginSession, session_id)
    if row is None:
        raise NotFound(_("no session {id}").format(id=session_id))
    if row.revoked_at is None:
        table = LoginSession.__table__
        _revoke(session, table.c.id == session_id, by=actor.username, why="admin", now=now)
        audit.record(
            session, actor.username, "session.end", "user", row.username, session_id=session_id
        )
    session.commit()


SESSION_COLUMNS = ["id", "username", "created_at", "last_seen_at", "expires_at", "address", "agent"]


def open_sessions(
    session: Session,
    now: datetime,
    *,
    username: str | None = None,
    idle: timedelta | None = None,
) -> pd.DataFrame:
    """The sessions that are open at ``now`` (not revoked, not idle for longer than the idle
    timeout, not expired), newest first; optionally one user's."""
    idle = idle or config.session_idle()
    query = select(LoginSession).where(
        LoginSession.revoked_at == None,  # noqa: E711
        LoginSession.expires_at > now,
        LoginSession.last_seen_at > now - idle,
    )
    if username is not None:
        query = query.where(LoginSession.username == username)
    rows = session.exec(query.order_by(LoginSession.created_at.desc(), LoginSession.id.desc()))
    return pd.DataFrame(
        [
            {
                "id": r.id,
                "username": r.username,
                "created_at": r.created_at,
                "last_seen_at": r.last_seen_at,
                "expires_at": r.expires_at,
                "address": r.address or "",
                "agent": r.user_agent or "",
            }
            for r in rows.all()
        ],
        columns=SESSION_COLUMNS,
    )
