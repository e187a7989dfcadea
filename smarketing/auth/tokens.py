"""API tokens: the systems allowed to post events to ``/api/events``.

A token is a random string shown once when it is made (``python -m smarketing tokens add
NAME``); only its sha256 is stored. A sender proves itself either with the token as a
bearer (``Authorization: Bearer TOKEN``) or by signing each request with the secret its
row names (``hmac_secret_env``, an environment variable): ``X-Smarketing-Sender: NAME``,
``X-Smarketing-Timestamp: UNIX SECONDS`` and ``X-Smarketing-Signature: sha256=HEX``, the
hex HMAC-SHA256 of ``timestamp + "." + body`` (a signature older than 5 minutes is
refused). Adding and revoking are admin-only and audited; the token itself never reaches
the database or the audit log.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select as sa_select
from sqlalchemy import update
from sqlalchemy.engine import Connection
from sqlmodel import Session, select

from smarketing.auth import audit
from smarketing.auth.permissions import Actor, require
from smarketing.errors import InvalidInput, NotFound
from smarketing.i18n import _
from smarketing.store.models import ApiToken, utcnow

#: A signed request whose timestamp is further than this from now is refused (replays).
SIGNATURE_MAX_AGE = timedelta(minutes=5)
SIGNATURE_PREFIX = "sha256="
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,99}")
#: ``last_used_at`` is written at most this often per token (not on every event).
USE_STAMP_EVERY = timedelta(minutes=1)
_TOKEN = ApiToken.__table__


@dataclass(frozen=True)
class TokenInfo:
    """What ``tokens list`` shows of a token (never the token)."""

    name: str
    signs_with: str | None
    created_at: datetime
    created_by: str
    last_used_at: datetime | None
    revoked_at: datetime | None
    revoked_by: str | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


def token_hash(token: str) -> str:
    """The stored form of a token: its sha256, hex."""
    return hashlib.sha256(token.encode()).hexdigest()


def _checked_name(name: str) -> str:
    name = (name or "").strip()
    if not _NAME.fullmatch(name):
        raise InvalidInput(
            _(
                "token name {name!r}: use 1 to 64 letters, digits, '.', '_' or '-', starting "
                "with a letter or digit (e.g. website or hubspot-forms)"
            ).format(name=name)
        )
    return name


def _checked_env(name: str | None) -> str | None:
    if name is None or not name.strip():
        return None
    name = name.strip()
    if not _ENV_NAME.fullmatch(name):
        raise InvalidInput(
            _(
                "{name!r} is not an environment variable name: use letters, digits and '_', "
                "e.g. SMARKETING_WEBSITE_SECRET (the secret itself goes into that variable)"
            ).format(name=name)
        )
    return name


def _get(session: Session, name: str) -> ApiToken:
    row = session.exec(select(ApiToken).where(ApiToken.name == name.strip())).first()
    if row is None:
        raise NotFound(
            _("no API token named {name!r} (see `python -m smarketing tokens list`)").format(
                name=name
            )
        )
    return row


def add_token(
    session: Session,
    name: str,
    *,
    actor: Actor,
    hmac_secret_env: str | None = None,
    now: datetime | None = None,
) -> str:
    """A new random token for the sender ``name`` (admin only; audited; commits). Only its
    sha256 is stored: the token is returned once, to be shown once."""
    require(actor, "tokens.manage")
    name = _checked_name(name)
    env = _checked_env(hmac_secret_env)
    existing = session.exec(select(ApiToken).where(ApiToken.name == name)).first()
    if existing is not None:
        message = (
            _("a token named {name!r} exists already (revoked): choose another name")
            if existing.revoked_at
            else _("a token named {name!r} exists already (in use): choose another name")
        )
        raise InvalidInput(message.format(name=name))
    token = secrets.token_urlsafe(32)
    session.add(
        ApiToken(
            name=name,
            token_hash=token_hash(token),
            hmac_secret_env=env,
            created_at=now or utcnow(),
            created_by=actor.username[:64],
        )
    )
    audit.record(session, actor.username, "token.add", "api_token", name, hmac_secret_env=env)
    session.commit()
    return token


def revoke_token(session: Session, name: str, *, actor: Actor, now: datetime | None = None) -> None:
    """Revoke a token (admin only; audited; commits): its bearer and its signatures are
    refused (by every server within ``intake.TOKEN_TRUST_S``, 10 s). The row stays, so the
    name and who revoked it are kept."""
    require(actor, "tokens.manage")
    row = _get(session, name)
    if row.revoked_at is not None:
        raise InvalidInput(_("the token {name!r} was revoked already").format(name=row.name))
    row.revoked_at = now or utcnow()
    row.revoked_by = actor.username[:64]
    session.add(row)
    audit.record(session, actor.username, "token.revoke", "api_token", row.name)
    session.commit()


def list_tokens(session: Session) -> list[TokenInfo]:
    """Every token (revoked ones too), by name."""
    rows = session.exec(select(ApiToken).order_by(ApiToken.name)).all()
    return [
        TokenInfo(
            name=r.name,
            signs_with=r.hmac_secret_env,
            created_at=r.created_at,
            created_by=r.created_by,
            last_used_at=r.last_used_at,
            revoked_at=r.revoked_at,
            revoked_by=r.revoked_by,
        )
        for r in rows
    ]


def sender_for_bearer(session: Session | Connection, token: str) -> str | None:
    """The name of the active token ``token`` is, or None."""
    if not token:
        return None
    return session.execute(
        sa_select(_TOKEN.c.name).where(
            _TOKEN.c.token_hash == token_hash(token.strip()), _TOKEN.c.revoked_at.is_(None)
        )
    ).scalar()


def signature(secret: str, timestamp: str, body: bytes) -> str:
    """The ``X-Smarketing-Signature`` value of a request: ``sha256=`` and the hex
    HMAC-SHA256 of ``timestamp + "." + body`` keyed with the secret."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return SIGNATURE_PREFIX + mac.hexdigest()


def timestamp_fresh(timestamp: str, now: datetime, max_age: timedelta = SIGNATURE_MAX_AGE) -> bool:
    """True when ``timestamp`` (unix seconds) lies within ``max_age`` of ``now``."""
    try:
        sent = float(timestamp.strip())
    except (AttributeError, ValueError):
        return False
    if sent != sent:  # NaN
        return False
    return abs(now.timestamp() - sent) <= max_age.total_seconds()


def sender_for_signature(
    session: Session | Connection,
    *,
    sender: str,
    timestamp: str,
    signature_header: str,
    body: bytes,
    now: datetime | None = None,
) -> str | None:
    """The sender's name when the request is signed with the secret of its active token
    and the timestamp is fresh; else None (also when the secret's variable is not set)."""
    if not (sender and timestamp and signature_header):
        return None
    if not timestamp_fresh(timestamp, now or utcnow()):
        return None
    row = session.execute(
        sa_select(_TOKEN.c.name, _TOKEN.c.hmac_secret_env).where(
            _TOKEN.c.name == sender.strip(), _TOKEN.c.revoked_at.is_(None)
        )
    ).first()
    if row is None or not row.hmac_secret_env:
        return None
    secret = os.environ.get(row.hmac_secret_env, "")
    if not secret:
        return None
    expected = signature(secret, timestamp.strip(), body)
    if not hmac.compare_digest(expected.encode(), signature_header.strip().lower().encode()):
        return None
    return row.name


def stamp_use(session: Session | Connection, name: str, now: datetime) -> None:
    """Note that the token was used (no commit); at most once per USE_STAMP_EVERY."""
    session.execute(
        update(ApiToken)
        .where(
            ApiToken.name == name,
            (ApiToken.last_used_at.is_(None)) | (ApiToken.last_used_at < now - USE_STAMP_EVERY),
        )
        .values(last_used_at=now)
        .execution_options(synchronize_session=False)
    )


__all__ = [
    "SIGNATURE_MAX_AGE",
    "TokenInfo",
    "add_token",
    "list_tokens",
    "revoke_token",
    "sender_for_bearer",
    "sender_for_signature",
    "signature",
    "stamp_use",
    "token_hash",
]
