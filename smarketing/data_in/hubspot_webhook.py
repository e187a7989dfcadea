"""HubSpot's webhooks: a signed note that something changed in the account, which asks
the scheduler to sync that HubSpot source at its next tick.

HubSpot posts a JSON list of subscription events (``eventId``, ``subscriptionId``,
``portalId``, ``occurredAt``, ``subscriptionType``, ``objectId``, ``propertyName``,
``propertyValue``, ``attemptNumber`` …) and signs it (v3): ``X-HubSpot-Signature-v3`` is
the base64 HMAC-SHA256, keyed with the app's client secret, of method + the full request
URI (a few URL-encoded characters decoded) + body + ``X-HubSpot-Request-Timestamp``
(milliseconds; a request older than 5 minutes is refused). The secret is read from the
environment variable a HubSpot source names in ``data_source.webhook_secret_env``; the
sources whose secret signed the request get ``sync_requested_at``.
"""

from __future__ import annotations

import hmac
import json
import os
from dataclasses import dataclass
from datetime import datetime, timedelta

from hubspot.utils.signature import Signature
from sqlmodel import Session, select

from smarketing.errors import InvalidInput
from smarketing.store.models import DataSource, utcnow

SIGNATURE_HEADER = "X-HubSpot-Signature-v3"
TIMESTAMP_HEADER = "X-HubSpot-Request-Timestamp"
MAX_AGE = timedelta(minutes=5)
MAX_BODY_BYTES = 1_000_000
#: The URL-encoded characters HubSpot decodes in the URI before signing (its docs' table).
_DECODED = {
    "%3A": ":",
    "%2F": "/",
    "%3F": "?",
    "%40": "@",
    "%21": "!",
    "%24": "$",
    "%27": "'",
    "%28": "(",
    "%29": ")",
    "%2A": "*",
    "%2C": ",",
    "%3B": ";",
}
#: Fields every subscription event carries.
_REQUIRED = ("eventId", "subscriptionType", "occurredAt")


@dataclass(frozen=True)
class WebhookResult:
    """The sources asked to sync, and how many subscription events the request carried."""

    sources: list[str]
    events: int


def signed_uri(uri: str) -> str:
    """The request URI as HubSpot signs it (its listed URL-encoded characters decoded)."""
    out = uri
    for encoded, char in _DECODED.items():
        out = out.replace(encoded, char).replace(encoded.lower(), char)
    return out


def v3_signature(secret: str, method: str, uri: str, body: bytes, timestamp: str) -> str:
    """HubSpot's v3 signature of a request (hubspot-api-client's own computation)."""
    return Signature.get_signature(
        secret,
        body.decode("utf-8"),
        "v3",
        http_uri=signed_uri(uri),
        http_method=method.upper(),
        timestamp=timestamp,
    )


def _fresh(timestamp: str, now: datetime) -> bool:
    try:
        sent_ms = float(timestamp.strip())
    except (AttributeError, ValueError):
        return False
    return sent_ms == sent_ms and abs(now.timestamp() * 1000 - sent_ms) <= (
        MAX_AGE.total_seconds() * 1000
    )


def _events(body: bytes) -> int:
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, ValueError) as exc:
        raise InvalidInput(f"not JSON: {exc}") from exc
    if not isinstance(data, list):
        raise InvalidInput("a HubSpot webhook body is a JSON list of subscription events")
    for i, item in enumerate(data):
        if not isinstance(item, dict):
            raise InvalidInput(f"event {i}: not a JSON object")
        missing = [f for f in _REQUIRED if f not in item]
        if missing:
            raise InvalidInput(f"event {i}: no {', '.join(missing)}")
    return len(data)


def signing_sources(
    session: Session,
    *,
    method: str,
    uri: str,
    body: bytes,
    signature: str | None,
    timestamp: str | None,
    now: datetime | None = None,
) -> list[DataSource]:
    """The enabled HubSpot sources whose client secret signed the request (empty when the
    signature is missing, wrong or too old, or no secret is set)."""
    if not signature or not timestamp or not _fresh(timestamp, now or utcnow()):
        return []
    if len(body) > MAX_BODY_BYTES:
        return []
    sources = session.exec(
        select(DataSource).where(
            DataSource.kind == "hubspot",
            DataSource.enabled.is_(True),
            DataSource.webhook_secret_env.is_not(None),
        )
    ).all()
    out = []
    for source in sources:
        secret = os.environ.get(source.webhook_secret_env or "", "")
        if not secret:
            continue
        try:
            expected = v3_signature(secret, method, uri, body, timestamp.strip())
        except UnicodeDecodeError:
            return []
        if hmac.compare_digest(expected.encode(), signature.strip().encode()):
            out.append(source)
    return out


def request_sync(
    session: Session,
    *,
    method: str,
    uri: str,
    body: bytes,
    signature: str | None,
    timestamp: str | None,
    now: datetime | None = None,
) -> WebhookResult | None:
    """Check a webhook and ask the sync of the sources that signed it (commits); None when
    no source signed it (nothing changed). A signed but malformed body is InvalidInput."""
    now = now or utcnow()
    sources = signing_sources(
        session,
        method=method,
        uri=uri,
        body=body,
        signature=signature,
        timestamp=timestamp,
        now=now,
    )
    if not sources:
        return None
    count = _events(body)
    for source in sources:
        if source.sync_requested_at is None:  # an earlier request still waiting counts
            source.sync_requested_at = now
            session.add(source)
    session.commit()
    return WebhookResult(sources=[s.name for s in sources], events=count)
