"""Logging in: one answer for every refusal, throttled per username and per client address
with growing delays (no lock an outsider can set), kept in the database; a fixed clock."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from smarketing.auth import logins, sessions, throttle, users
from smarketing.auth.permissions import Actor
from smarketing.errors import NotFound, PermissionDenied
from smarketing.store.models import AuditEntry, LoginThrottle
from tests.conftest import NOW

ADMIN = Actor.of("root", {"admin"})
PASSWORD = "correct horse"
WRONG = "Wrong username or password."


def add(session, username="sam"):
    return users.add_user(
        session,
        actor=ADMIN,
        username=username,
        name=username.title(),
        email=f"{username}@example.com",
        roles=["sales"],
        password=PASSWORD,
    )


def attempt(session, username, password="a wrong guess", address="10.0.0.7", at=NOW):
    return logins.attempt_login(
        session, username=username, password=password, address=address, now=at
    )


def answers(session, username, tries, address="10.0.0.7"):
    """The messages of ``tries`` failed tries, each one second after the delay before it."""
    at, seen = NOW, []
    for _ in range(tries):
        answer = attempt(session, username, address=address, at=at)
        seen.append(answer.message)
        at += timedelta(seconds=answer.wait + 1)
    return seen


@pytest.mark.parametrize(
    ("failures", "kind", "seconds"),
    [
        (4, "username", 0),
        (5, "username", 1),
        (6, "username", 2),
        (7, "username", 4),
        (9, "username", 16),
        (10, "username", 30),  # 32 capped
        (50, "username", 30),
        (19, "address", 0),
        (20, "address", 1),
        (22, "address", 4),
    ],
)
def test_delays_grow_and_are_capped(failures, kind, seconds):
    assert throttle.delay_after(failures, kind) == timedelta(seconds=seconds)


def test_good_login_notes_it(session):
    add(session)
    answer = attempt(session, "Sam ", PASSWORD)
    assert answer.user is not None and answer.user.username == "sam"
    assert (answer.message, answer.wait) == ("", 0)
    assert users.get_user(session, "sam").last_login_at == NOW


def test_unknown_and_known_usernames_get_the_same_answers(session):
    add(session)
    known = answers(session, "sam", 7)
    unknown = answers(session, "nobody", 7, address="10.0.0.8")
    expected = [WRONG] * 4 + [
        f"{WRONG} Wait 1 s before the next try.",
        f"{WRONG} Wait 2 s before the next try.",
        f"{WRONG} Wait 4 s before the next try.",
    ]
    assert known == unknown == expected


def test_a_disabled_account_gets_the_same_answer(session):
    add(session)
    users.set_disabled(session, actor=ADMIN, username="sam")
    answer = attempt(session, "sam", PASSWORD)
    assert (answer.user, answer.message) == (None, WRONG)


def test_during_the_delay_even_the_right_password_is_refused_unchecked(session, monkeypatch):
    add(session)
    answers(session, "sam", 5)  # the fifth failure, at NOW + 4 s, imposes 1 s
    checked = []
    monkeypatch.setattr(users, "password_matches", lambda *a: checked.append(a) or True)
    during = attempt(session, "sam", PASSWORD, at=NOW + timedelta(seconds=4, milliseconds=500))
    assert (during.user, during.message) == (None, f"{WRONG} Wait 1 s before the next try.")
    assert checked == []  # the password was not looked at
    after = attempt(session, "sam", PASSWORD, at=NOW + timedelta(seconds=5))
    assert after.user is not None
    # a good login clears the username's count
    assert session.get(LoginThrottle, ("username", "sam")) is None


def test_the_throttle_is_per_username_and_per_address(session):
    add(session)
    add(session, "mia")
    answers(session, "sam", 5, address="10.0.0.7")  # the fifth at NOW + 4 s imposes 1 s
    during = NOW + timedelta(seconds=4)
    # sam waits from any address; mia is not held up by sam's failures
    assert attempt(session, "sam", PASSWORD, address="10.9.9.9", at=during).wait == 1
    assert attempt(session, "mia", PASSWORD, address="10.0.0.7", at=during).user is not None
    # one address trying many usernames is held up after 20 failures
    at = NOW + timedelta(minutes=1)
    for i in range(throttle.FREE_FAILURES["address"]):
        last = attempt(session, f"guess{i}", address="10.6.6.6", at=at)
    assert last.wait == 1  # every username was new: only the address counts this far
    refused = attempt(session, "mia", PASSWORD, address="10.6.6.6", at=at)
    assert (refused.user, refused.wait) == (None, 1)
    assert attempt(session, "mia", PASSWORD, address="10.6.6.7", at=at).user is not None


def guess_until_capped(session, at):
    """An outsider's wrong guesses at sam from 203.0.113.9, each once the delay before it has
    run out, until the delay is capped; one second after the last guess (29 s to wait)."""
    wait = 0
    while wait < throttle.MAX_DELAY.total_seconds():
        at += timedelta(seconds=wait)
        wait = attempt(session, "sam", address="203.0.113.9", at=at).wait
    return at + timedelta(seconds=1)


def test_an_outsider_guessing_a_username_does_not_keep_its_owner_out(session):
    add(session)
    with_session = sessions.start(session, username="sam", now=NOW, address="10.0.0.7")
    sessions.log_out(session, with_session.id, "sam", NOW)
    at = guess_until_capped(session, NOW + timedelta(days=2))
    assert attempt(session, "sam", PASSWORD, address="203.0.113.9", at=at).wait == 29
    assert attempt(session, "sam", PASSWORD, address="10.9.9.9", at=at).wait == 29
    # from where sam logged in before, the username's delay does not apply
    assert attempt(session, "sam", PASSWORD, address="10.0.0.7", at=at).user is not None
    # ... for 30 days after that login
    late = guess_until_capped(session, NOW + timedelta(days=31))
    assert attempt(session, "sam", PASSWORD, address="10.0.0.7", at=late).wait == 29


def test_a_known_address_still_has_its_own_delay(session):
    add(session)
    sessions.start(session, username="sam", now=NOW, address="10.0.0.7")
    at = NOW + timedelta(minutes=1)
    for i in range(throttle.FREE_FAILURES["address"]):
        attempt(session, f"guess{i}", address="10.0.0.7", at=at)
    assert attempt(session, "sam", PASSWORD, address="10.0.0.7", at=at).wait == 1


def test_an_unknown_address_is_not_counted(session):
    # every browser behind a reverse proxy on the same host has no address of its own: one
    # count for all of them would let an outsider's guesses make everybody wait
    add(session)
    for i in range(throttle.FREE_FAILURES["address"] + 5):
        attempt(session, f"guess{i}", address=None)
    assert attempt(session, "sam", PASSWORD, address=None).user is not None
    assert session.exec(select(LoginThrottle).where(LoginThrottle.kind == "address")).all() == []


@pytest.mark.parametrize(
    ("peer", "forwarded", "trust", "address"),
    [
        ("10.0.0.7", None, False, "10.0.0.7"),
        (None, None, False, None),  # the server itself
        ("10.0.0.7", "1.2.3.4", False, "10.0.0.7"),  # not trusted: the header is ignored
        (None, "6.6.6.6, 203.0.113.9", True, "203.0.113.9"),  # the proxy appended the last
        (None, "203.0.113.9,2001:db8::1", True, "2001:db8::1"),
        ("10.0.0.1", "", True, None),
        ("10.0.0.1", "not an address", True, None),
        (None, "1.2.3.4, x" * 1000, True, None),
    ],
)
def test_client_address(peer, forwarded, trust, address):
    assert throttle.client_address(peer, forwarded, trust_forwarded=trust) == address


def test_the_count_starts_again_after_the_window(session):
    add(session)
    answers(session, "sam", 5)
    later = NOW + throttle.WINDOW + timedelta(seconds=10)
    assert attempt(session, "sam", at=later).message == WRONG  # failure 1 of a new window
    row = session.get(LoginThrottle, ("username", "sam"))
    assert row.failures == 1


def test_stale_rows_are_forgotten(session):
    answers(session, "nobody", 2)
    much_later = NOW + throttle.WINDOW * 3
    attempt(session, "someone", address="10.1.1.1", at=much_later)
    keys = {(r.kind, r.key) for r in session.exec(select(LoginThrottle)).all()}
    assert keys == {("username", "someone"), ("address", "10.1.1.1")}


def test_throttle_start_is_audited_once(session):
    answers(session, "nobody", 7)
    entries = session.exec(select(AuditEntry).where(AuditEntry.action == "login.throttled")).all()
    assert [(e.actor, e.entity, e.entity_id) for e in entries] == [("system", "username", "nobody")]


def test_admins_see_and_clear_throttles(session):
    add(session)
    answers(session, "sam", 6)  # failures at NOW, +1, +2, +3, +4, +6 s: the last imposes 2 s
    at = NOW + timedelta(seconds=7)
    table = throttle.throttles(session, at)
    assert table[["kind", "key", "failures"]].values.tolist() == [
        ["address", "10.0.0.7", 6],
        ["username", "sam", 6],
    ]
    # the username waits until 2 s after its sixth failure; the address's failures are free
    assert table.set_index("key")["blocked_until"].isna().to_dict() == {
        "10.0.0.7": True,
        "sam": False,
    }
    assert table.set_index("key").loc["sam", "blocked_until"] == NOW + timedelta(seconds=8)
    with pytest.raises(PermissionDenied):
        throttle.clear(session, actor=Actor.of("mia", {"marketing"}), kind="username", key="sam")
    throttle.clear(session, actor=ADMIN, kind="username", key="sam")
    assert throttle.throttles(session, at)["key"].tolist() == ["10.0.0.7"]
    entry = session.exec(
        select(AuditEntry).where(AuditEntry.action == "login.throttle_cleared")
    ).one()
    assert (entry.actor, entry.entity, entry.entity_id) == ("root", "username", "sam")
    with pytest.raises(NotFound):
        throttle.clear(session, actor=ADMIN, kind="username", key="sam")
    # expired rows are not listed
    assert throttle.throttles(session, NOW + throttle.WINDOW + timedelta(minutes=1)).empty


def test_a_password_reset_clears_the_username_count(session):
    add(session)
    answers(session, "sam", 6)
    users.set_password(session, actor=ADMIN, username="sam", password="brand new pw", now=NOW)
    assert session.get(LoginThrottle, ("username", "sam")) is None


def test_parallel_failures_all_count(engine):
    """Failures from many sessions at once: every one is counted (one atomic upsert each),
    and the longest delay wins."""
    from concurrent.futures import ThreadPoolExecutor

    def fail(i):
        with Session(engine) as s:
            return throttle.record_failure(s, "sam", f"10.0.0.{i}", NOW)

    with ThreadPoolExecutor(max_workers=8) as pool:
        waits = list(pool.map(fail, range(12)))
    with Session(engine) as s:
        row = s.get(LoginThrottle, ("username", "sam"))
        assert row.failures == 12
        assert row.blocked_until == NOW + throttle.MAX_DELAY  # 12 failures: 2**7 s, capped
    assert max(waits) == 30  # the twelfth failure sees the capped delay


def test_parallel_tries_get_no_more_password_checks_than_the_free_ones(engine, monkeypatch):
    """Tries from many sessions at once: each is counted before its password is checked,
    so no more than the free tries are checked, however many arrive together (before, every
    try that arrived before the first failure was written got its check)."""
    import threading
    import time
    from concurrent.futures import ThreadPoolExecutor

    with Session(engine) as s:
        add(s)
    checked, lock = [], threading.Lock()

    def slow_check(password, hashed):
        with lock:
            checked.append(password)
        time.sleep(0.05)  # a bcrypt check takes time: the others arrive meanwhile
        return False

    monkeypatch.setattr(users, "password_matches", slow_check)

    def guess(i):
        with Session(engine) as s:
            return attempt(s, "sam", f"guess {i}", address=f"10.0.0.{i}").message

    with ThreadPoolExecutor(max_workers=8) as pool:
        messages = list(pool.map(guess, range(16)))
    assert len(checked) == throttle.FREE_FAILURES["username"]
    assert all(m.startswith(WRONG) for m in messages)
    with Session(engine) as s:
        assert s.get(LoginThrottle, ("username", "sam")).failures == 5


def test_a_good_login_leaves_no_count_for_its_address(session):
    add(session)
    assert attempt(session, "sam", PASSWORD, address="10.0.0.7").user is not None
    assert session.exec(select(LoginThrottle)).all() == []
    assert throttle.throttles(session, NOW).empty


@pytest.fixture(autouse=True)
def cheap_hashes(monkeypatch):
    """bcrypt at its lowest cost: the rules are the same, the tests 50 times faster."""
    import bcrypt

    salt = bcrypt.gensalt
    monkeypatch.setattr(bcrypt, "gensalt", lambda rounds=4, prefix=b"2b": salt(4, prefix))
    logins._stand_in_hash.cache_clear()
    yield
    logins._stand_in_hash.cache_clear()


def test_migration_0006_keeps_the_users_and_goes_back(db_url):
    """0006 drops the lockout columns (keeping every user) and adds the session and throttle
    tables; its downgrade gives the columns back."""
    import sqlalchemy as sa
    from alembic import command

    from smarketing.store.db import _alembic_config, make_engine

    engine = make_engine(db_url)
    config = _alembic_config(engine)
    command.upgrade(config, "0005")
    with engine.begin() as conn:
        conn.execute(
            sa.text(
                'INSERT INTO "user" (username, name, email, roles, password_hash, disabled, '
                "failed_logins, locked_until, created_at, password_changed_at) VALUES "
                "('kari', 'Kari', 'k@example.com', 'admin', 'h', false, 3, NULL, :at, :at)"
            ),
            {"at": NOW},
        )
    command.upgrade(config, "0006")
    columns = {c["name"] for c in sa.inspect(engine).get_columns("user")}
    assert {"failed_logins", "locked_until"} & columns == set()
    assert {"login_session", "login_throttle"} <= set(sa.inspect(engine).get_table_names())
    with engine.connect() as conn:
        assert conn.execute(sa.text('SELECT username FROM "user"')).scalars().all() == ["kari"]
    command.downgrade(config, "0005")
    columns = {c["name"] for c in sa.inspect(engine).get_columns("user")}
    assert {"failed_logins", "locked_until"} <= columns
    assert "login_session" not in sa.inspect(engine).get_table_names()
    command.upgrade(config, "head")
    engine.dispose()


def test_the_refusal_in_norwegian():
    from smarketing import i18n

    with i18n.language("nb"):
        assert logins.refusal(0) == "Feil brukernavn eller passord."
        assert logins.refusal(4) == "Feil brukernavn eller passord. Vent 4 s før neste forsøk."
    assert logins.refusal(4) == "Wrong username or password. Wait 4 s before the next try."
