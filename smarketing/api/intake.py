"""The work behind ``POST /api/events`` and ``POST /api/hubspot/webhook``, run in a
worker thread (never on the server's event loop): who sent it, is it well formed, one
small insert. Each returns ``(status, JSON body)``."""

from __future__ import annotations

import sys
import threading
from datetime import datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session

from smarketing.auth import tokens
from smarketing.data_in import hubspot_webhook
from smarketing.data_in.events import EventsRejected, parse_events, store_events
from smarketing.errors import InvalidInput
from smarketing.store.db import is_sqlite, write_transaction
from smarketing.store.models import utcnow

Answer = tuple[int, dict | None]
UNAUTHORIZED = (
    "no valid credentials: send 'Authorization: Bearer TOKEN' (python -m smarketing tokens "
    "add NAME) or sign the request (X-Smarketing-Sender, -Timestamp, -Signature)"
)
_write_locks: dict[int, threading.Lock] = {}
#: sender -> when this process last noted its token's use (the note is written at most
#: once per USE_STAMP_EVERY; no UPDATE on every event)
_stamped: dict[str, datetime] = {}


def _write_lock(engine: Engine) -> threading.Lock | None:
    """On SQLite, this process's writers queue on a lock of their own: SQLite's busy
    handler would make them sleep and retry, which costs the intake's latency."""
    if not is_sqlite(engine):
        return None
    return _write_locks.setdefault(id(engine), threading.Lock())


def sender_of(
    engine: Engine,
    *,
    authorization: str | None,
    sender: str | None,
    timestamp: str | None,
    signature: str | None,
    body: bytes,
    now: datetime,
) -> str | None:
    """The name of the token that sent the request (bearer or signature), or None."""
    with engine.connect() as s:
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() == "bearer" and token.strip():
            return tokens.sender_for_bearer(s, token.strip())
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


def accept_events(
    engine: Engine,
    *,
    authorization: str | None = None,
    sender: str | None = None,
    timestamp: str | None = None,
    signature: str | None = None,
    body: bytes,
    now: datetime | None = None,
) -> Answer:
    """401 without valid credentials, 400 with the problems of a malformed body, else 202
    with how many events were new and how many were repeats; nothing stored but on 202."""
    now = now or utcnow()
    who = sender_of(
        engine,
        authorization=authorization,
        sender=sender,
        timestamp=timestamp,
        signature=signature,
        body=body,
        now=now,
    )
    if who is None:
        return 401, {"error": UNAUTHORIZED}
    try:
        parsed = parse_events(body, now=now)
    except EventsRejected as exc:
        problems = [p.as_dict() for p in exc.event_problems]
        return 400, {"error": f"malformed events: {exc}", "problems": problems}
    lock = _write_lock(engine)
    if lock is not None:
        lock.acquire()
    try:
        with write_transaction(engine) as conn:
            stored = store_events(conn, who, parsed, now=now)
            last = _stamped.get(who)
            if last is None or not (timedelta(0) <= now - last < tokens.USE_STAMP_EVERY):
                tokens.stamp_use(conn, who, now)
                _stamped[who] = now
    finally:
        if lock is not None:
            lock.release()
    return 202, {"accepted": stored.accepted, "repeats": stored.repeats}


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
