"""The generic JSON webhook: one documented document per message (README, "Notifications
→ Channels"), signed like the event intake's senders sign theirs when a secret is set.

Body: ``{"kind", "subject", "text", "facts": [{"label", "value"}], "link", "sent_at"}``
(``link`` null when there is none, ``sent_at`` ISO 8601 UTC). With
``SMARKETING_WEBHOOK_SECRET`` set: ``X-Smarketing-Timestamp: UNIX SECONDS`` and
``X-Smarketing-Signature: sha256=HEX``, the hex HMAC-SHA256 of ``timestamp + "." + body``
— the same rule as ``/api/events`` (:func:`smarketing.auth.tokens.signature`), so a
receiver checks both the same way.
"""

from __future__ import annotations

from datetime import UTC, datetime

from smarketing import config
from smarketing.auth.tokens import signature
from smarketing.i18n import _
from smarketing.notify.message import Message
from smarketing.notify.posting import json_body, post_json
from smarketing.notify.text import one_line, web_url

SIGNATURE_HEADER = "X-Smarketing-Signature"
TIMESTAMP_HEADER = "X-Smarketing-Timestamp"


def webhook_payload(message: Message, *, now: datetime) -> dict:
    """The JSON document the generic webhook receives for ``message``."""
    return {
        "kind": message.kind,
        "subject": one_line(message.subject),
        "text": message.text,
        "facts": [{"label": str(label), "value": str(value)} for label, value in message.facts],
        "link": web_url(message.link),
        "sent_at": now.astimezone(UTC).isoformat().replace("+00:00", "Z"),
    }


def signed_headers(body: bytes, *, now: datetime, secret: str | None) -> dict[str, str]:
    """The timestamp and signature headers of ``body`` (none without a secret)."""
    if not secret:
        return {}
    timestamp = str(int(now.timestamp()))
    return {TIMESTAMP_HEADER: timestamp, SIGNATURE_HEADER: signature(secret, timestamp, body)}


def send_webhook(
    message: Message, address: str, *, timeout: float = 10.0, now: datetime | None = None
) -> None:
    """POST ``message`` as JSON to ``address``, signed when a secret is set; ChannelError
    if the receiver does not take it."""
    now = now or datetime.now(UTC)
    body = json_body(webhook_payload(message, now=now))
    post_json(
        address,
        body,
        what=_("the webhook"),
        timeout=timeout,
        now=now,
        headers=signed_headers(body, now=now, secret=config.webhook_secret()),
    )
