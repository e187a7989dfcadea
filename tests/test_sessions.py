"""Server-side login sessions: opened per login, ended by logout, password reset, disabling,
an admin, the idle timeout and the absolute expiry; a fixed clock."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from smarketing.auth import sessions, users
from smarketing.auth.permissions import Actor
from smarketing.errors import NotFound, PermissionDenied
from smarketing.store.models import AuditEntry, LoginSession
from tests.conftest import NOW
from tests.test_logins import cheap_hashes  # noqa: F401  (bcrypt at its lowest cost)

ADMIN = Actor.of("root", {"admin"})
IDLE = timedelta(hours=8)
MAX_AGE = timedelta(hours=24)


@pytest.fixture(autouse=True)
def people(session):
    for username, roles in (("sam", ["sales"]), ("ada", ["admin"])):
        users.add_user(
            session,
            actor=ADMIN,
            username=username,
            name=username.title(),
            email=f"{username}@example.com",
            roles=roles,
            password="correct horse",
        )


def start(session, username="sam", at=NOW, **extra):
    return sessions.start(session, username=username, now=at, max_age=MAX_AGE, **extra)


def why(session, started, at, username="sam"):
    return sessions.ended_why(session, started.id, username, at, idle=IDLE)


def test_a_login_opens_a_session_that_stores_only_a_hash(session):
    started = start(session, address="10.0.0.7", user_agent="Mozilla/5.0 " + "x" * 400)
    row = session.get(LoginSession, started.id)
    assert row.secret_hash == sessions.secret_hash(started.secret) != started.secret
    assert len(started.secret) >= 40  # 32 random bytes
    assert (row.created_at, row.last_seen_at, row.expires_at) == (NOW, NOW, NOW + MAX_AGE)
    assert started.expires_at == NOW + MAX_AGE
    assert (row.address, len(row.user_agent)) == ("10.0.0.7", sessions.AGENT_MAX)
    assert sessions.by_secret(session, started.secret) == started.id
    assert sessions.by_secret(session, "a made-up secret") is None
    assert sessions.by_secret(session, None) is None
    assert why(session, started, NOW + timedelta(minutes=5)) is None


def test_each_login_gets_its_own_secret(session):
    first, second = start(session), start(session)
    assert first.secret != second.secret and first.id != second.id


def test_another_users_session_is_not_yours(session):
    started = start(session)
    assert why(session, started, NOW, username="ada") == "unknown"
    assert sessions.ended_why(session, None, "sam", NOW, idle=IDLE) == "unknown"


def test_idle_timeout(session):
    started = start(session)
    assert why(session, started, NOW + IDLE - timedelta(seconds=1)) is None
    # that run moved "last seen" on: another 8 hours from there
    assert why(session, started, NOW + IDLE + timedelta(hours=7)) is None
    # last seen at 15 h; 8 h and a minute later (before the absolute expiry at 24 h)
    assert why(session, started, NOW + timedelta(hours=23, minutes=1)) == "idle"


def test_last_seen_is_written_at_most_once_a_minute(session):
    started = start(session)
    why(session, started, NOW + timedelta(seconds=30))
    assert session.get(LoginSession, started.id).last_seen_at == NOW
    why(session, started, NOW + timedelta(seconds=61))
    session.expire_all()
    assert session.get(LoginSession, started.id).last_seen_at == NOW + timedelta(seconds=61)
    why(session, started, NOW + timedelta(seconds=90))
    session.expire_all()
    assert session.get(LoginSession, started.id).last_seen_at == NOW + timedelta(seconds=61)


def test_absolute_timeout_however_busy(session):
    started = start(session)
    at = NOW
    while at < NOW + MAX_AGE - timedelta(hours=1):
        at += timedelta(hours=1)
        assert why(session, started, at) is None
    assert why(session, started, NOW + MAX_AGE) == "expired"


def test_logout_ends_this_session_only(session):
    here, elsewhere = start(session), start(session)
    sessions.log_out(session, here.id, "sam", NOW + timedelta(minutes=1))
    assert why(session, here, NOW + timedelta(minutes=2)) == "logout"
    assert why(session, elsewhere, NOW + timedelta(minutes=2)) is None
    row = session.get(LoginSession, here.id)
    assert (row.revoked_at, row.revoked_by, row.revoked_why) == (
        NOW + timedelta(minutes=1),
        "sam",
        "logout",
    )


def test_password_reset_ends_every_session_of_the_user(session):
    one, two, other = start(session), start(session), start(session, "ada")
    users.set_password(session, actor=ADMIN, username="sam", password="brand new pw", now=NOW)
    assert [why(session, s, NOW) for s in (one, two)] == ["password", "password"]
    assert why(session, other, NOW, username="ada") is None
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "user.set_password")).one()
    assert '"sessions_ended": 2' in entry.detail


def test_disabling_ends_every_session_of_the_user(session):
    one = start(session)
    users.set_disabled(session, actor=ADMIN, username="sam", now=NOW)
    assert why(session, one, NOW) == "disabled"
    assert sessions.open_sessions(session, NOW, idle=IDLE).username.tolist() == []
    users.set_disabled(session, actor=ADMIN, username="sam", disabled=False)
    assert why(session, one, NOW) == "disabled"  # enabling again does not reopen it


def test_an_admin_sees_and_ends_a_session(session):
    old = start(session, at=NOW - timedelta(hours=1), address="10.0.0.7", user_agent="Firefox")
    new = start(session, at=NOW - timedelta(minutes=5))
    start(session, "ada")
    stale = start(session, at=NOW - IDLE - timedelta(hours=1))  # idle: not open any more
    table = sessions.open_sessions(session, NOW, username="sam", idle=IDLE)
    assert table["id"].tolist() == [new.id, old.id]  # newest first
    assert table.set_index("id").loc[old.id, ["address", "agent"]].tolist() == [
        "10.0.0.7",
        "Firefox",
    ]
    assert stale.id not in sessions.open_sessions(session, NOW, idle=IDLE)["id"].tolist()
    sessions.end_session(session, actor=ADMIN, session_id=old.id, now=NOW)
    assert why(session, old, NOW) == "admin"
    assert why(session, new, NOW) is None
    assert sessions.open_sessions(session, NOW, username="sam", idle=IDLE)["id"].tolist() == [
        new.id
    ]
    entry = session.exec(select(AuditEntry).where(AuditEntry.action == "session.end")).one()
    assert (entry.actor, entry.entity_id) == ("root", "sam")
    row = session.get(LoginSession, old.id)
    assert (row.revoked_by, row.revoked_why) == ("root", "admin")


@pytest.mark.parametrize("roles", [{"marketing"}, {"sales"}, {"leadership"}])
def test_other_roles_cannot_end_sessions(session, roles):
    started = start(session)
    with pytest.raises(PermissionDenied):
        sessions.end_session(session, actor=Actor.of("sam", roles), session_id=started.id, now=NOW)
    assert why(session, started, NOW) is None


def test_ending_an_unknown_session(session):
    with pytest.raises(NotFound):
        sessions.end_session(session, actor=ADMIN, session_id=999, now=NOW)


def test_every_reason_has_a_message():
    assert {"logout", "password", "disabled", "admin", "idle", "expired", "unknown"} <= set(
        sessions.ENDED
    )
