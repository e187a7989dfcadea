"""Login throttling: failed logins per username (existing or not) and per client address,
kept in the database, with growing delays instead of a lock.

After ``FREE_FAILURES`` failures within ``WINDOW`` each further failure makes the next try
wait longer: 1 s, 2 s, 4 s, … up to ``MAX_DELAY``. A try during the delay is refused
without looking at the password. Nothing here depends on whether the username exists, so
the delays cannot tell a real username from an invented one, and an outsider cannot lock
anyone out: the worst they cause is a wait of MAX_DELAY per try.

Only a known client address is counted: an unknown one (a browser on the server itself, or
every browser behind a reverse proxy on the same host) would be one count that all clients
share, so an outsider's guesses would make everybody wait. Behind a reverse proxy,
``SMARKETING_FORWARDED_FOR=1`` takes the client's address from the last entry of the
``X-Forwarded-For`` header the proxy appends (:func:`client_address`).

A try is counted before its password is checked (:func:`begin_try`, :func:`succeeded` takes
it back), with the key's row held by an atomic upsert (``INSERT … ON CONFLICT DO UPDATE``)
while it is judged and counted: parallel tries from several sessions and app processes all
count, on SQLite and PostgreSQL, and a burst of them gets no more password checks than the
free ones. Times
are passed in (``now``): the rules are tested without sleeping.
"""

from __future__ import annotations

import ipaddress
import math
from datetime import datetime, timedelta

import pandas as pd
from sqlalchemy import case, delete, or_
from sqlmodel import Session, select

from smarketing.auth import audit
from smarketing.auth.permissions import Actor, require
from smarketing.errors import NotFound
from smarketing.i18n import _
from smarketing.store.models import LoginThrottle

USERNAME, ADDRESS = "username", "address"
#: failures within WINDOW before delays start: per username, and per client address (higher:
#: everybody in an office behind one NAT or proxy shares an address)
FREE_FAILURES = {USERNAME: 5, ADDRESS: 20}
#: a count starts again after this long without a failure
WINDOW = timedelta(minutes=15)
FIRST_DELAY = timedelta(seconds=1)
MAX_DELAY = timedelta(seconds=30)
KEY_MAX = 100


def delay_after(failures: int, kind: str) -> timedelta:
    """The wait imposed after ``failures`` failures in the window (zero below the free ones)."""
    over = failures - FREE_FAILURES[kind]
    if over < 0:
        return timedelta(0)
    return min(FIRST_DELAY * 2 ** min(over, 16), MAX_DELAY)


def client_address(
    peer: str | None, forwarded_for: str | None, *, trust_forwarded: bool
) -> str | None:
    """The client's address for the throttle: the connection's (``peer``, None when it is
    the server itself) or, when the app is reached only through a reverse proxy
    (``trust_forwarded``), the last address of ``X-Forwarded-For`` — the one the proxy
    appended; the entries before it are whatever the client sent. Anything that is not an
    IP address counts as unknown."""
    if trust_forwarded:
        peer = (forwarded_for or "").rsplit(",", 1)[-1].strip() or None
    if not peer:
        return None
    try:
        return str(ipaddress.ip_address(peer.strip()))
    except ValueError:
        return None


def keys(username: str, address: str | None) -> list[tuple[str, str]]:
    """The throttle rows a login try counts against: its username and, when known, its
    client address."""
    found = [(USERNAME, username.strip().lower()[:KEY_MAX])]
    if address and address.strip():
        found.append((ADDRESS, address.strip()[:KEY_MAX]))
    return found


def _matches(pairs: list[tuple[str, str]]):
    table = LoginThrottle.__table__
    return or_(*[(table.c.kind == kind) & (table.c.key == key) for kind, key in pairs])


def wait_seconds(
    session: Session,
    username: str,
    address: str | None,
    now: datetime,
    *,
    username_delay: bool = True,
) -> int:
    """Whole seconds (rounded up) before this username may be tried from this address
    (``username_delay=False``: only the address's delay counts)."""
    table = LoginThrottle.__table__
    pairs = keys(username, address)
    if not username_delay:
        pairs = pairs[1:]
    if not pairs:
        return 0
    until = session.execute(
        select(table.c.blocked_until).where(_matches(pairs), table.c.blocked_until > now)
    ).scalars()
    left = max(((u - now).total_seconds() for u in until), default=0.0)
    return math.ceil(left) if left > 0 else 0


def _upsert(session: Session):
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


def _forget_stale(session: Session, now: datetime) -> None:
    table = LoginThrottle.__table__
    session.execute(
        delete(table).where(
            table.c.last_failure_at <= now - WINDOW,
            or_(table.c.blocked_until.is_(None), table.c.blocked_until <= now),
        )
    )


def _lock(session: Session, pairs: list[tuple[str, str]], now: datetime) -> None:
    """Hold the throttle rows of these keys until the transaction ends, made if missing (as a
    count that has run out): one atomic upsert each, which waits for any other try holding
    the row (PostgreSQL's row lock, SQLite's write lock). So the tries of one key are
    judged and counted one after another, across sessions and app processes."""
    table = LoginThrottle.__table__
    insert = _upsert(session)
    for kind, key in pairs:
        stmt = insert(table).values(kind=kind, key=key, failures=0, last_failure_at=now - WINDOW)
        session.execute(
            stmt.on_conflict_do_update(
                index_elements=["kind", "key"], set_={"failures": table.c.failures}
            )
        )


def _count(session: Session, pairs: list[tuple[str, str]], now: datetime) -> None:
    """Count one failure against each of these rows (held by :func:`_lock`): the count
    starts again after WINDOW without a failure; the delay it imposes extends the row's."""
    table = LoginThrottle.__table__
    for kind, key in pairs:
        where = (table.c.kind == kind) & (table.c.key == key)
        row = session.execute(
            select(table.c.failures, table.c.last_failure_at, table.c.blocked_until).where(where)
        ).one()
        failures = 1 if row.last_failure_at <= now - WINDOW else row.failures + 1
        delay, until = delay_after(failures, kind), row.blocked_until
        if delay and (until is None or until < now + delay):
            until = now + delay
        session.execute(
            table.update()
            .where(where)
            .values(failures=failures, last_failure_at=now, blocked_until=until)
        )
        if failures == FREE_FAILURES[kind]:
            audit.record(session, "system", "login.throttled", kind, key[:64], failures=failures)


def begin_try(
    session: Session,
    username: str,
    address: str | None,
    now: datetime,
    *,
    username_delay: bool = True,
) -> int:
    """Start a login try, before its password is checked; commits. While a delay runs (the
    username's, unless ``username_delay`` is False, or the address's) the try is refused:
    returns the whole seconds to wait. Otherwise the try is counted as a failure at once
    (:func:`succeeded` takes it back) and 0 is returned: tries arriving together are each
    counted before any password is checked, so no more than the free ones are checked."""
    pairs = keys(username, address)
    _forget_stale(session, now)
    _lock(session, pairs, now)
    wait = wait_seconds(session, username, address, now, username_delay=username_delay)
    if not wait:
        _count(session, pairs, now)
    session.commit()
    return wait


def succeeded(session: Session, username: str, address: str | None) -> None:
    """The try begun by :func:`begin_try` was a good login: the username's count goes, the
    address's loses this try (and its delay once it is back under the free failures); no
    commit."""
    table = LoginThrottle.__table__
    forget_username(session, username)
    for kind, key in keys(username, address)[1:]:
        where = (table.c.kind == kind) & (table.c.key == key)
        session.execute(
            table.update()
            .where(where)
            .values(
                failures=table.c.failures - 1,
                blocked_until=case(
                    (table.c.failures - 1 < FREE_FAILURES[kind], None),
                    else_=table.c.blocked_until,
                ),
            )
        )
        session.execute(delete(table).where(where, table.c.failures <= 0))


def record_failure(session: Session, username: str, address: str | None, now: datetime) -> int:
    """Count one failed login against its username and its address, whatever delay runs;
    commits. Returns the seconds to wait before the next try (0 while failures are free)."""
    pairs = keys(username, address)
    _forget_stale(session, now)
    _lock(session, pairs, now)
    _count(session, pairs, now)
    session.commit()
    return wait_seconds(session, username, address, now)


def forget_username(session: Session, username: str) -> None:
    """Drop the username's count (a good login, a password reset); no commit."""
    table = LoginThrottle.__table__
    session.execute(delete(table).where(_matches(keys(username, None)[:1])))


THROTTLE_COLUMNS = ["kind", "key", "failures", "last_failure_at", "blocked_until"]


def throttles(session: Session, now: datetime) -> pd.DataFrame:
    """Usernames and addresses with failed logins in the current window (or still waiting),
    most failures first; ``wait_s``: whole seconds left of the delay (0 when none)."""
    table = LoginThrottle.__table__
    rows = session.execute(
        select(*[table.c[c] for c in THROTTLE_COLUMNS])
        .where(or_(table.c.last_failure_at > now - WINDOW, table.c.blocked_until > now))
        .order_by(table.c.failures.desc(), table.c.kind, table.c.key)
    ).all()
    frame = pd.DataFrame([dict(r._mapping) for r in rows], columns=THROTTLE_COLUMNS)
    until = [u if u is not None and u > now else None for u in frame["blocked_until"]]
    frame["blocked_until"] = until
    frame["wait_s"] = [math.ceil((u - now).total_seconds()) if u else 0 for u in until]
    return frame


def clear(session: Session, *, actor: Actor, kind: str, key: str) -> None:
    """An admin clears a username's or an address's failed logins (and its delay); audited."""
    require(actor, "users.manage")
    table = LoginThrottle.__table__
    gone = session.execute(delete(table).where(table.c.kind == kind, table.c.key == key)).rowcount
    if not gone:
        raise NotFound(_("no failed logins recorded for {kind} {key!r}").format(kind=kind, key=key))
    audit.record(session, actor.username, "login.throttle_cleared", kind, key[:64])
    session.commit()
