"""POST /api/hubspot/webhook: HubSpot's v3 signature (base64 HMAC-SHA256 of method, URI,
body and timestamp with the app's client secret) asks the source's sync; a wrong or old
signature is 401 and changes nothing."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from sqlmodel import Session, select

from smarketing.api.server import HUBSPOT_PATH
from smarketing.data_in import hubspot_webhook
from smarketing.store.models import DataSource
from tests.conftest import NOW

#: A HubSpot webhook body in the documented shape (a property change and a creation).
BODY = (Path(__file__).parent / "hubspot_webhook.json").read_bytes()
URI = "http://testserver" + HUBSPOT_PATH


def test_the_v3_signature_is_hubspots():
    # printf 'POSThttps://example.com/api/hubspot/webhook[{"eventId":1}]1700000000000' |
    #   openssl dgst -sha256 -hmac secret -binary | base64
    assert (
        hubspot_webhook.v3_signature(
            "secret",
            "POST",
            "https://example.com/api/hubspot/webhook",
            b'[{"eventId":1}]',
            "1700000000000",
        )
        == "+cIsCKDNbjNWThQvOC5nyTipDuUyjRsPpfGzuFZNQuU="
    )
    # the URI as signed: HubSpot decodes these characters first
    assert hubspot_webhook.signed_uri("https://x.no/a%3Fb%2Fc%3a%20") == "https://x.no/a?b/c:%20"


@pytest.fixture
def sources(engine, monkeypatch):
    monkeypatch.setenv("HS_SECRET", "client-secret")
    monkeypatch.setenv("OTHER_SECRET", "other-secret")
    with Session(engine) as s:
        for name, env in (("hubspot", "HS_SECRET"), ("hubspot-eu", "OTHER_SECRET")):
            s.add(
                DataSource(
                    name=name,
                    kind="hubspot",
                    token_env="HS_TOKEN",
                    webhook_secret_env=env,
                    created_by="ada",
                )
            )
        s.commit()


def requested(engine) -> dict[str, object]:
    with Session(engine) as s:
        return dict(s.exec(select(DataSource.name, DataSource.sync_requested_at)).all())


def headers(secret="client-secret", at=NOW, body=BODY, uri=URI) -> dict:
    stamp = str(int(at.timestamp() * 1000))
    return {
        "Content-Type": "application/json",
        "X-HubSpot-Signature-v3": hubspot_webhook.v3_signature(secret, "POST", uri, body, stamp),
        "X-HubSpot-Request-Timestamp": stamp,
    }


def test_a_valid_webhook_asks_for_a_sync(client, engine, sources):
    r = client.post(HUBSPOT_PATH, content=BODY, headers=headers())
    assert r.status_code == 204
    assert requested(engine) == {"hubspot": NOW, "hubspot-eu": None}


@pytest.mark.parametrize(
    "bad",
    [
        headers(secret="wrong"),
        headers(at=NOW - timedelta(minutes=5, seconds=1)),  # too old
        headers(at=NOW + timedelta(minutes=5, seconds=1)),  # from the future
        headers(uri="http://testserver/elsewhere"),  # signed for another address
        headers(body=b"[]"),  # signed another body
        {"X-HubSpot-Request-Timestamp": str(int(NOW.timestamp() * 1000))},  # no signature
    ],
)
def test_an_invalid_signature_is_401_and_changes_nothing(client, engine, sources, bad):
    r = client.post(HUBSPOT_PATH, content=BODY, headers=bad)
    assert r.status_code == 401
    assert requested(engine) == {"hubspot": None, "hubspot-eu": None}


def test_four_minutes_old_is_still_fresh(client, engine, sources):
    r = client.post(HUBSPOT_PATH, content=BODY, headers=headers(at=NOW - timedelta(minutes=4)))
    assert r.status_code == 204


def test_the_public_address_is_what_hubspot_signed(client, engine, sources, monkeypatch):
    monkeypatch.setenv("SMARKETING_PUBLIC_URL", "https://smarketing.example.com/")
    public = "https://smarketing.example.com" + HUBSPOT_PATH
    assert client.post(HUBSPOT_PATH, content=BODY, headers=headers()).status_code == 401
    r = client.post(HUBSPOT_PATH, content=BODY, headers=headers(uri=public))
    assert r.status_code == 204


def test_a_signed_malformed_body_is_400(client, engine, sources):
    body = json.dumps({"eventId": 1}).encode()  # not a list
    r = client.post(HUBSPOT_PATH, content=body, headers=headers(body=body))
    assert r.status_code == 400 and "list" in r.json()["error"]
    assert requested(engine) == {"hubspot": None, "hubspot-eu": None}


def test_a_source_whose_secret_is_not_set_is_not_asked(client, engine, sources, monkeypatch):
    monkeypatch.delenv("HS_SECRET")
    assert client.post(HUBSPOT_PATH, content=BODY, headers=headers()).status_code == 401
