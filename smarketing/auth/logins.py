"""Logging in: the credentials streamlit-authenticator checks, failed logins and the lockout
kept in the database, the last login, and whether a login's session is still valid."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import Session, select

from smarketing.auth import audit
from smarketing.store.models import User, utcnow

MAX_FAILED_LOGINS = 5
LOCK_MINUTES = 15


def is_locked(user: User, now: datetime) -> bool:
    """True while the user is locked out after too many failed logins."""
    return user.locked_until is not None and user.locked_until > now


def login_credentials(session: Session, now: datetime | None = None) -> dict:
    """A fresh credentials dict for streamlit-authenticator: active users, pre-hashed.

    A locked user carries ``failed_login_attempts = MAX_FAILED_LOGINS`` so the library
    refuses the login; the lock itself lives in the database with an expiry.
    """
    now = now or utcnow()
    users = {}
    for u in session.exec(select(User).where(User.disabled == False)).all():  # noqa: E712
        users[u.username] = {
            "name": u.name,
            "email": u.email,
            "password": u.password_hash,
            "roles": u.role_list,
            "failed_login_attempts": MAX_FAILED_LOGINS if is_locked(u, now) else 0,
            "logged_in": False,
        }
    return {"usernames": users}


def record_failed_login(session: Session, username: str, now: datetime | None = None) -> bool:
    """Count a failed login atomically; lock the user for LOCK_MINUTES at MAX_FAILED_LOGINS.

    One SQL UPDATE per failure, so parallel guesses from many sessions all count.
    Returns True when the user is locked now.
    """
    now = now or utcnow()
    table = User.__table__
    expired = (table.c.locked_until != None) & (table.c.locked_until <= now)  # noqa: E711
    session.execute(  # an expired lock starts the count again
        update(table)
        .where(table.c.username == username, expired)
        .values(failed_logins=0, locked_until=None)
    )
    count = session.execute(
        update(table)
        .where(table.c.username == username)
        .values(failed_logins=table.c.failed_logins + 1)
        .returning(table.c.failed_logins)
    ).scalar_one_or_none()
    if count is None:
        session.rollback()
        return False
    if count >= MAX_FAILED_LOGINS:
        newly = session.execute(
            update(table)
            .where(table.c.username == username, table.c.locked_until == None)  # noqa: E711
            .values(locked_until=now + timedelta(minutes=LOCK_MINUTES))
        ).rowcount
        if newly:
            audit.record(
                session,
                "system",
                "user.locked",
                "user",
                username,
                failures=count,
                minutes=LOCK_MINUTES,
            )
    session.commit()
    return count >= MAX_FAILED_LOGINS


def record_login(
    session: Session, username: str, now: datetime | None = None, *, with_password: bool
) -> None:
    """Note a login. Only a password login resets the failure count: a login by cookie
    must not lift a lock that someone else's guesses caused."""
    user = session.exec(select(User).where(User.username == username)).first()
    if user is None:
        return
    user.last_login_at = now or utcnow()
    if with_password:
        user.failed_logins, user.locked_until = 0, None
    session.add(user)
    session.commit()


def session_still_valid(
    session: Session, username: str, authenticated_at: datetime, now: datetime | None = None
) -> bool:
    """False when the user is gone, disabled, or changed password after ``authenticated_at``
    (a password reset ends every open session and cookie)."""
    user = session.exec(select(User).where(User.username == username)).first()
    return user is not None and not user.disabled and user.password_changed_at <= authenticated_at


def lock_minutes_left(session: Session, username: str, now: datetime | None = None) -> int:
    """Whole minutes until the user's lock expires (0 when not locked)."""
    now = now or utcnow()
    user = session.exec(select(User).where(User.username == username)).first()
    if user is None or not is_locked(user, now):
        return 0
    return max(1, int((user.locked_until - now).total_seconds() // 60) + 1)


def locked_usernames(session: Session, now: datetime | None = None) -> list[str]:
    """Usernames locked out right now."""
    now = now or utcnow()
    return [
        u.username
        for u in session.exec(
            select(User).where(User.locked_until != None).order_by(User.username)  # noqa: E711
        ).all()
        if is_locked(u, now)
    ]
