"""One JSON POST to a webhook (Slack, Teams, the generic webhook), its answer read as a
channel reads it: 2xx delivered; 429, 5xx, a timeout or a refused connection worth a retry
(with the ``Retry-After`` the receiver asked for); any other answer a permanent refusal.

A webhook's address is a secret (Slack's and Teams' URLs carry their key in the path), so
errors and the test's confirmation name only its host.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urlsplit

import httpx

from smarketing.i18n import _
from smarketing.notify.message import ChannelError

USER_AGENT = "Smarketing-notify/1"
#: How much of a receiver's answer an error quotes.
ANSWER_CHARS = 200


def checked_url(address: str) -> str:
    """The webhook address, stripped, when it is an http(s) URL with a host; otherwise a
    permanent ChannelError (no file:, ftp: or scheme-less address is ever posted to)."""
    url = (address or "").strip()
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number
    except ValueError:
        parts = None
    if parts is None or parts.scheme.lower() not in {"http", "https"} or not parts.hostname:
        raise ChannelError(
            _(
                "the webhook address must be an http:// or https:// URL (e.g. "
                "https://hooks.slack.com/services/…)"
            ),
            retry=False,
        )
    if any(ch.isspace() or ord(ch) < 32 for ch in url):
        raise ChannelError(_("the webhook address holds spaces or control characters"), retry=False)
    return url


def host_of(url: str) -> str:
    """The part of a webhook address that may be shown: its host (and port)."""
    parts = urlsplit(url)
    return parts.netloc.rsplit("@", 1)[-1] or url


def retry_after_seconds(value: str | None, now: datetime) -> int | None:
    """``Retry-After`` as whole seconds from ``now`` (it is a number of seconds or an HTTP
    date), or None when absent or unreadable."""
    if not value or not value.strip():
        return None
    value = value.strip()
    if value.isdigit():
        return int(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0, math.ceil((when - now).total_seconds()))


def _answer(response: httpx.Response) -> str:
    text = " ".join(response.text.split())
    return text[:ANSWER_CHARS] + ("…" if len(text) > ANSWER_CHARS else "")


def post_json(
    url: str,
    body: bytes,
    *,
    what: str,
    timeout: float,
    now: datetime,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """POST ``body`` (JSON bytes) to ``url``; the response when it is a 2xx, else a
    ChannelError saying what ``what`` (e.g. "the Slack webhook") answered."""
    url = checked_url(url)
    where = _("{what} at {host}").format(what=what, host=host_of(url))
    sent_headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT}
    sent_headers.update(headers or {})
    try:
        with httpx.Client(timeout=timeout, follow_redirects=False) as client:
            response = client.post(url, content=body, headers=sent_headers)
    except httpx.TimeoutException as exc:
        raise ChannelError(
            _("{where} did not answer within {seconds} s").format(
                where=where, seconds=f"{timeout:g}"
            ),
            retry=True,
        ) from exc
    except httpx.TransportError as exc:
        raise ChannelError(
            _("{where} could not be reached: {error}").format(where=where, error=exc),
            retry=True,
        ) from exc
    status = response.status_code
    if 200 <= status < 300:
        return response
    answer = _answer(response)
    said = _("{where} answered HTTP {status}").format(where=where, status=status)
    said += f": {answer}" if answer else ""
    if status == 429 or status >= 500:
        wait = retry_after_seconds(response.headers.get("Retry-After"), now)
        if wait is not None:
            said += f" (Retry-After: {wait} s)"
        raise ChannelError(said, retry=True)
    if 300 <= status < 400:
        said += " " + _("(a redirect: give the webhook's final address)")
    raise ChannelError(said, retry=False)


def json_body(payload: dict) -> bytes:
    """The payload as compact UTF-8 JSON, the bytes that are sent (and signed)."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
