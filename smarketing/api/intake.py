"""The work behind ``POST /api/events`` and ``POST /api/hubspot/webhook``: who sent it,
is it well formed, one small insert. Each answer is ``(status, JSON body)``.

A post's checks run in a worker thread (or on the event loop when they need no database:
a bearer token this process checked less than :data:`TOKEN_TRUST_S` ago and a small body);
its insert is done by the :class:`EventWriter`, which stores the accepted posts of many
requests in one transaction."""

from __future__ import annotations

import queue
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session

from smarketing.auth import tokens
from smarketing.data_in import hubspot_webhook
from smarketing.data_in.events import EventsRejected, Stored, parse_events, store_posts
from smarketing.errors import InvalidInput
from smarketing.store.db import write_transaction
from smarketing.store.models import utcnow

Answer = tuple[int, dict | None]
UNAUTHORIZED = (
    "no valid credentials: send 'Authorization: Bearer TOKEN' (python -m smarketing tokens "
    "add NAME) or sign the request (X-Smarketing-Sender, -Timestamp, -Signature)"
)
#: How long this process goes on trusting a bearer token it found active: a token revoked
#: (by any process) is refused everywhere at most this long after.
TOKEN_TRUST_S = 10.0
#: The most posts one write transaction stores.
WRITE_BATCH = 500
#: sender -> when this process last noted its token's use (the note is written at most
#: once per USE_STAMP_EVERY; no UPDATE on every event)
_stamped: dict[str, datetime] = {}


@dataclass(frozen=True)
class Accepted:
    """A post whose sender and events passed the checks: to be stored."""

    sender: str
    events: list[dict]


def bearer_of(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer TOKEN`` header, or None."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


class TrustedTokens:
    """The bearer tokens this process found active, each trusted for TOKEN_TRUST_S."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._until: dict[str, tuple[str, float]] = {}

    def sender(self, token: str) -> str | None:
        """The token's sender when it was found active less than TOKEN_TRUST_S ago."""
        found = self._until.get(tokens.token_hash(token))
        return found[0] if found is not None and self._clock() < found[1] else None

    def trust(self, token: str, sender: str) -> None:
        self._until[tokens.token_hash(token)] = (sender, self._clock() + TOKEN_TRUST_S)


def sender_of(
    engine: Engine,
    *,
    authorization: str | None,
    sender: str | None,
    timestamp: str | None,
    signature: str | None,
    body: bytes,
    now: datetime,
    trusted: TrustedTokens | None = None,
) -> str | None:
    """The name of the token that sent the request (bearer or signature), or None."""
    bearer = bearer_of(authorization)
    if bearer is not None and trusted is not None:
        known = trusted.sender(bearer)
        if known is not None:
            return known
    with engine.connect() as s:
        if bearer is not None:
            found = tokens.sender_for_bearer(s, bearer)
            if found is not None and trusted is not None:
                trusted.trust(bearer, found)
            return found
        if signature:
            return tokens.sender_for_signature(
                s,
                sender=sender or "",
                timestamp=timestamp or "",
                signature_header=signature,
                body=body,
                now=now,
            )
    return None


def check_events(
    engine: Engine,
    *,
    authorization: str | None = None,
    sender: str | None = None,
    timestamp: str | None = None,
    signature: str | None = None,
    body: bytes,
    now: datetime | None = None,
    trusted: TrustedTokens | None = None,
    known: str | None = None,
) -> Answer | Accepted:
    """401 without valid credentials, 400 with the problems of a malformed body, else the
    post to store (:class:`Accepted`). ``known``: the sender, already known from a trusted
    token (no database read)."""
    now = now or utcnow()
    who = known or sender_of(
        engine,
        authorization=authorization,
        sender=sender,
        timestamp=timestamp,
        signature=signature,
        body=body,
        now=now,
        trusted=trusted,
    )
    if who is None:
        return 401, {"error": UNAUTHORIZED}
    try:
        parsed = parse_events(body, now=now)
    except EventsRejected as exc:
        problems = [p.as_dict() for p in exc.event_problems]
        return 400, {"error": f"malformed events: {exc}", "problems": problems}
    return Accepted(who, parsed)


def answer(stored: Stored) -> Answer:
    """202 with how many events were new and how many were repeats."""
    return 202, {"accepted": stored.accepted, "repeats": stored.repeats}


def _store(engine: Engine, posts: list[tuple[Accepted, datetime]]) -> list[Stored]:
    """Store accepted posts in one write transaction, each as its own request (a repeated
    event id is a repeat, also within the batch); note each sender's token use."""
    with write_transaction(engine) as conn:
        stored = store_posts(conn, [(post.sender, post.events, now) for post, now in posts])
        for post, now in posts:
            last = _stamped.get(post.sender)
            if last is None or not (timedelta(0) <= now - last < tokens.USE_STAMP_EVERY):
                tokens.stamp_use(conn, post.sender, now)
                _stamped[post.sender] = now
    return stored


class EventWriter:
    """One thread that stores accepted posts: whatever has queued up while the previous
    transaction ran (up to WRITE_BATCH posts) goes into the next one, so 500 posts a second
    cost a few dozen transactions, not 500, and never wait for one another's lock. A
    transaction that fails fails every post in it (nothing stored: each is answered 503)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    def submit(self, post: Accepted, now: datetime) -> Future:
        """Queue a post; the future gets its :class:`Stored` (or the write's error)."""
        future: Future = Future()
        self._queue.put((post, now, future))
        if self._thread is None or not self._thread.is_alive():
            with self._lock:
                if self._thread is None or not self._thread.is_alive():
                    self._thread = threading.Thread(
                        target=self._run, name="smarketing-event-writer", daemon=True
                    )
                    self._thread.start()
        return future

    def close(self) -> None:
        """Store what is queued, then end the thread."""
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join(timeout=30)
            self._thread = None

    def _run(self) -> None:
        closing = False
        while not closing:
            first = self._queue.get()
            batch = [] if first is None else [first]
            closing = first is None
            while len(batch) < WRITE_BATCH:  # (after close: whatever was queued before it)
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    closing = True
                else:
                    batch.append(item)
            # a post whose request was cancelled meanwhile is dropped (its sender heard
            # no 202); the others cannot be cancelled from now on
            batch = [item for item in batch if item[2].set_running_or_notify_cancel()]
            if batch:
                self._write(batch)

    def _write(self, batch: list) -> None:
        try:
            stored = _store(self.engine, [(post, now) for post, now, _ in batch])
        except BaseException as exc:  # (every post of the batch hears why)
            for _post, _now, future in batch:
                future.set_exception(exc)
            return
        for (_post, _now, future), result in zip(batch, stored, strict=True):
            future.set_result(result)


def accept_hubspot_webhook(
    engine: Engine,
    *,
    method: str,
    uri: str,
    body: bytes,
    signature: str | None,
    timestamp: str | None,
    now: datetime | None = None,
) -> Answer:
    """401 unless a HubSpot source's client secret signed it (then nothing changed); 400
    for a signed but malformed body; else 204 and the sources' sync asked for."""
    with Session(engine, expire_on_commit=False) as s:
        try:
            result = hubspot_webhook.request_sync(
                s,
                method=method,
                uri=uri,
                body=body,
                signature=signature,
                timestamp=timestamp,
                now=now,
            )
        except InvalidInput as exc:
            return 400, {"error": str(exc)}
    if result is None:
        print(
            "Smarketing: a HubSpot webhook was refused: no HubSpot source's client secret "
            "signed it (or its timestamp is older than 5 minutes)",
            file=sys.stderr,
            flush=True,
        )
        return 401, {"error": "the HubSpot signature (X-HubSpot-Signature-v3) is not valid"}
    return 204, None
