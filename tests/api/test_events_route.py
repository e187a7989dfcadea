"""POST /api/events: 401 and nothing stored without valid credentials, 400 with the reason
for a malformed body, 202 at once for a valid one — idempotent per event id, and every
event of 1,000 posted at once becomes an activity."""

from __future__ import annotations

import asyncio
import json
import threading
from datetime import timedelta

import httpx
import pytest
from sqlmodel import Session, func, select
from starlette.applications import Starlette

from smarketing.api import intake
from smarketing.api.server import EVENTS_PATH, Server
from smarketing.auth import tokens
from smarketing.auth.permissions import CLI_ACTOR
from smarketing.data_in.events import Stored, process_inbox, store_posts
from smarketing.store.models import ApiToken, EventInbox, LeadActivity
from tests.conftest import NOW
from tests.factories import add_lead

EVENT = {"event_id": "e1", "email": "kari@example.com", "kind": "form", "detail": "Demo"}


def count(engine, model) -> int:
    with Session(engine) as s:
        return s.exec(select(func.count()).select_from(model)).one()


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def signed(body: bytes, secret: str = "s3cret", at=NOW, sender: str = "forms") -> dict:
    stamp = str(int(at.timestamp()))
    return {
        "X-Smarketing-Sender": sender,
        "X-Smarketing-Timestamp": stamp,
        "X-Smarketing-Signature": tokens.signature(secret, stamp, body),
    }


@pytest.mark.parametrize(
    "headers",
    [
        {},  # no credentials
        {"Authorization": "Bearer not-a-token"},
        {"Authorization": "Basic d2Vic2l0ZTp4"},  # another scheme
        signed(json.dumps(EVENT).encode(), secret="wrong"),
        signed(json.dumps(EVENT).encode(), at=NOW - timedelta(minutes=6)),  # too old
        signed(b"{}"),  # the signature of another body
    ],
)
def test_without_valid_credentials_401_and_nothing_stored(
    client, engine, token, monkeypatch, headers
):
    monkeypatch.setenv("FORMS_SECRET", "s3cret")
    with Session(engine) as s:
        tokens.add_token(s, "forms", actor=CLI_ACTOR, hmac_secret_env="FORMS_SECRET")
    r = client.post(EVENTS_PATH, content=json.dumps(EVENT), headers=headers)
    assert r.status_code == 401 and "Bearer" in r.json()["error"]
    assert count(engine, EventInbox) == 0


def test_a_revoked_token_is_refused(client, engine, token):
    with Session(engine) as s:
        tokens.revoke_token(s, "website", actor=CLI_ACTOR)
    r = client.post(EVENTS_PATH, json=EVENT, headers=bearer(token))
    assert r.status_code == 401 and count(engine, EventInbox) == 0


def test_a_signed_request_is_accepted(client, engine, monkeypatch):
    monkeypatch.setenv("FORMS_SECRET", "s3cret")
    with Session(engine) as s:
        tokens.add_token(s, "forms", actor=CLI_ACTOR, hmac_secret_env="FORMS_SECRET")
    body = json.dumps(EVENT).encode()
    r = client.post(EVENTS_PATH, content=body, headers=signed(body))
    assert r.status_code == 202 and r.json() == {"accepted": 1, "repeats": 0}
    with Session(engine) as s:
        assert s.exec(select(EventInbox.sender)).one() == "forms"


def test_the_same_event_twice_is_one_activity(client, engine, session, token):
    add_lead(session, "101", "2026-11-01 09:00", email="kari@example.com")
    first = client.post(EVENTS_PATH, json=EVENT, headers=bearer(token))
    again = client.post(EVENTS_PATH, json=EVENT, headers=bearer(token))
    assert (first.status_code, first.json()) == (202, {"accepted": 1, "repeats": 0})
    assert (again.status_code, again.json()) == (202, {"accepted": 0, "repeats": 1})
    assert count(engine, EventInbox) == 1
    assert process_inbox(engine, now=NOW).stored == 1
    assert count(engine, LeadActivity) == 1
    with Session(engine) as s:  # the token's use is noted
        assert s.exec(select(ApiToken.last_used_at)).one() == NOW


@pytest.mark.parametrize(
    ("body", "field", "words"),
    [
        (b"{oops", None, "not JSON"),
        (json.dumps({**EVENT, "kind": "sneeze"}).encode(), "kind", "unknown kind"),
        (json.dumps([EVENT, {**EVENT, "event_id": ""}]).encode(), "event_id", "empty"),
        (
            json.dumps({**EVENT, "occurred_at": "2026-11-18 10:00"}).encode(),
            "occurred_at",
            "timezone",
        ),
    ],
)
def test_a_malformed_body_is_400_with_the_reason(client, engine, token, body, field, words):
    r = client.post(EVENTS_PATH, content=body, headers=bearer(token))
    assert r.status_code == 400
    problem = r.json()["problems"][0]
    assert problem["field"] == field and words in problem["reason"]
    assert count(engine, EventInbox) == 0  # a list with one bad event stores none of it


def test_too_large_a_body_is_413(client, engine, token):
    r = client.post(EVENTS_PATH, content=b"[" + b" " * 1_000_001 + b"]", headers=bearer(token))
    assert r.status_code == 413 and count(engine, EventInbox) == 0


def test_a_browser_may_ask_first(client):
    r = client.options(
        EVENTS_PATH,
        headers={
            "Origin": "https://www.example.com",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )
    assert r.status_code == 204
    assert r.headers["access-control-allow-origin"] == "*"
    assert "Authorization" in r.headers["access-control-allow-headers"]


def test_1000_events_posted_at_once_become_1000_activities(engine, session, token):
    leads = [
        add_lead(session, f"L{i}", "2026-11-01 09:00", email=f"p{i}@example.com").id
        for i in range(50)
    ]
    app = Starlette(routes=Server(engine, clock=lambda: NOW).routes())

    async def post_all() -> list[int]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://test") as c:

            async def one(i: int) -> int:
                event = {
                    "event_id": f"ev-{i}",
                    "email": f"P{i % 50}@example.com",
                    "kind": "page view",
                    "url": f"https://example.com/page/{i}",
                }
                r = await c.post(EVENTS_PATH, json=event, headers=bearer(token))
                return r.status_code

            return await asyncio.gather(*(one(i) for i in range(1000)))

    assert set(asyncio.run(post_all())) == {202}
    assert count(engine, EventInbox) == 1000
    result = process_inbox(engine, now=NOW)
    assert (result.processed, result.stored) == (1000, 1000)
    assert count(engine, LeadActivity) == 1000
    with Session(engine) as s:
        per_lead = s.exec(
            select(LeadActivity.lead_id, func.count()).group_by(LeadActivity.lead_id)
        ).all()
    assert sorted(per_lead) == [(lead, 20) for lead in sorted(leads)]


def test_a_revoked_token_is_refused_once_its_trust_has_run_out(client, engine, token):
    """A token this process found active is trusted for TOKEN_TRUST_S without asking the
    database again (a post from a trusted token is checked on the event loop); a token
    revoked meanwhile, by any process, is refused once that time has run out."""
    assert client.post(EVENTS_PATH, json=EVENT, headers=bearer(token)).status_code == 202
    with Session(engine) as s:
        tokens.revoke_token(s, "website", actor=CLI_ACTOR)
    again = {**EVENT, "event_id": "e2"}
    assert client.post(EVENTS_PATH, json=again, headers=bearer(token)).status_code == 202
    later = [0.0]
    trusted = intake.TrustedTokens(clock=lambda: later[0])
    trusted.trust(token, "website")
    assert trusted.sender(token) == "website"
    later[0] = intake.TOKEN_TRUST_S
    assert trusted.sender(token) is None  # asked again: the database says revoked
    assert (
        intake.sender_of(
            engine,
            authorization=f"Bearer {token}",
            sender=None,
            timestamp=None,
            signature=None,
            body=b"",
            now=NOW,
            trusted=trusted,
        )
        is None
    )


def _accepted(i: int) -> intake.Accepted:
    return intake.Accepted("website", [{**EVENT, "event_id": f"w{i}"}])


def test_the_writer_stores_many_posts_in_one_transaction(engine, token, monkeypatch):
    transactions = []
    original = intake.write_transaction

    def counted(eng):
        transactions.append(1)
        return original(eng)

    monkeypatch.setattr(intake, "write_transaction", counted)
    writer = intake.EventWriter(engine)
    gate, entered = threading.Event(), threading.Event()
    monkeypatch.setattr(intake, "_store", _held_until(gate, intake._store, entered))
    futures = [writer.submit(_accepted(0), NOW)]
    assert entered.wait(timeout=30)
    futures += [writer.submit(_accepted(i), NOW) for i in range(1, 50)]
    gate.set()  # (the first post's transaction waited until the other 49 had queued)
    assert [f.result(timeout=30) for f in futures] == [Stored(1, 0)] * 50
    writer.close()
    assert count(engine, EventInbox) == 50
    assert len(transactions) == 2  # the first post alone, then the other 49 together


def test_a_failed_write_fails_every_post_in_it_and_stores_none(engine, token, monkeypatch):
    def broken(conn, posts):
        if any(events[0]["event_id"] == "w3" for _sender, events, _now in posts):
            raise RuntimeError("disk full (test)")
        return store_posts(conn, posts)

    monkeypatch.setattr(intake, "store_posts", broken)
    writer = intake.EventWriter(engine)
    gate, entered = threading.Event(), threading.Event()
    monkeypatch.setattr(intake, "_store", _held_until(gate, intake._store, entered))
    futures = [writer.submit(_accepted(1), NOW)]
    assert entered.wait(timeout=30)  # the writer holds w1 alone in its first transaction
    futures += [writer.submit(_accepted(i), NOW) for i in range(2, 6)]
    gate.set()
    outcomes = [f.exception(timeout=30) for f in futures]
    writer.close()
    # w1 was written alone before the others queued up; w2-w5 shared the failed one
    assert outcomes[0] is None
    assert all(isinstance(e, RuntimeError) for e in outcomes[1:])
    assert count(engine, EventInbox) == 1


def _held_until(gate: threading.Event, store, entered: threading.Event):
    """``_store`` that, in the writer's first transaction, sets ``entered`` and waits until
    ``gate`` is set."""
    calls = []

    def held(engine, posts):
        calls.append(len(posts))
        if len(calls) == 1:
            entered.set()
            gate.wait(timeout=30)
        return store(engine, posts)

    return held
