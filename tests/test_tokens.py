"""API tokens: made once and stored as a hash, checked as a bearer or an HMAC signature,
revoked; admin-only and audited, from the domain and the command line."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from smarketing.auth import tokens
from smarketing.auth.permissions import CLI_ACTOR, Actor
from smarketing.cli.main import main
from smarketing.errors import InvalidInput, NotFound, PermissionDenied
from smarketing.store.models import ApiToken, AuditEntry
from tests.conftest import NOW

ADMIN = Actor.of("ada", ["admin"])
BODY = b'{"event_id": "e1", "email": "a@example.com", "kind": "form"}'


def test_a_token_is_shown_once_and_only_its_hash_is_stored(session):
    token = tokens.add_token(session, "website", actor=ADMIN, now=NOW)
    row = session.exec(select(ApiToken)).one()
    assert len(token) >= 43 and token not in row.token_hash
    assert row.token_hash == tokens.token_hash(token) and len(row.token_hash) == 64
    assert tokens.sender_for_bearer(session, token) == "website"
    assert tokens.sender_for_bearer(session, token + "x") is None
    assert tokens.sender_for_bearer(session, "") is None
    entry = session.exec(select(AuditEntry)).one()
    assert (entry.actor, entry.action, entry.entity_id) == ("ada", "token.add", "website")
    assert token not in entry.detail


def test_two_tokens_differ(session):
    one = tokens.add_token(session, "a", actor=ADMIN)
    two = tokens.add_token(session, "b", actor=ADMIN)
    assert one != two


@pytest.mark.parametrize(
    "role",
    ["marketing", "sales", "leadership"],  # every role but admin is refused
)
def test_only_admins_manage_tokens(session, role):
    with pytest.raises(PermissionDenied):
        tokens.add_token(session, "website", actor=Actor.of("x", [role]))
    tokens.add_token(session, "website", actor=ADMIN)
    with pytest.raises(PermissionDenied):
        tokens.revoke_token(session, "website", actor=Actor.of("x", [role]))
    assert session.exec(select(ApiToken.revoked_at)).one() is None


@pytest.mark.parametrize(
    ("name", "env"),
    [
        ("", None),  # no name
        ("web site", None),  # a space
        ("x" * 65, None),  # too long
        ("website", "MY-SECRET"),  # not a variable name
    ],
)
def test_bad_names_are_refused(session, name, env):
    with pytest.raises(InvalidInput):
        tokens.add_token(session, name, actor=ADMIN, hmac_secret_env=env)


def test_a_name_is_used_once(session):
    tokens.add_token(session, "website", actor=ADMIN)
    tokens.revoke_token(session, "website", actor=ADMIN)
    with pytest.raises(InvalidInput, match="exists already \\(revoked\\)"):
        tokens.add_token(session, "website", actor=ADMIN)


def test_a_revoked_token_is_refused(session):
    token = tokens.add_token(session, "website", actor=ADMIN)
    tokens.revoke_token(session, "website", actor=ADMIN, now=NOW)
    assert tokens.sender_for_bearer(session, token) is None
    info = tokens.list_tokens(session)[0]
    assert (info.active, info.revoked_at, info.revoked_by) == (False, NOW, "ada")
    with pytest.raises(InvalidInput, match="revoked already"):
        tokens.revoke_token(session, "website", actor=ADMIN)
    with pytest.raises(NotFound):
        tokens.revoke_token(session, "nobody", actor=ADMIN)
    actions = session.exec(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions == ["token.add", "token.revoke"]


def _signed(session, *, secret="s3cret", sender="website", at=NOW, body=BODY, now=NOW, sig=None):
    stamp = str(int(at.timestamp()))
    return tokens.sender_for_signature(
        session,
        sender=sender,
        timestamp=stamp,
        signature_header=sig or tokens.signature(secret, stamp, body),
        body=body,
        now=now,
    )


def test_hmac_signature(session, monkeypatch):
    monkeypatch.setenv("WEBSITE_SECRET", "s3cret")
    tokens.add_token(session, "website", actor=ADMIN, hmac_secret_env="WEBSITE_SECRET")
    assert _signed(session) == "website"
    # 4:59 old passes, 5:01 old and 5:01 ahead are refused
    assert _signed(session, at=NOW - timedelta(minutes=4, seconds=59)) == "website"
    assert _signed(session, at=NOW - timedelta(minutes=5, seconds=1)) is None
    assert _signed(session, at=NOW + timedelta(minutes=5, seconds=1)) is None
    assert _signed(session, secret="wrong") is None
    assert _signed(session, sender="other") is None
    # a signature of another body
    stamp = str(int(NOW.timestamp()))
    assert _signed(session, sig=tokens.signature("s3cret", stamp, b"{}")) is None
    monkeypatch.delenv("WEBSITE_SECRET")
    assert _signed(session) is None  # no secret set: nothing can be checked, so refused


def test_the_known_signature():
    # printf '1700000000.{}' | openssl dgst -sha256 -hmac key
    expected = "9d713ed406bb7076d4123f0dc2c39d2df5c654ed4b0cd56b52c8b4c940bd63ae"
    assert tokens.signature("key", "1700000000", b"{}") == "sha256=" + expected


def test_a_token_without_secret_cannot_sign(session, monkeypatch):
    tokens.add_token(session, "website", actor=ADMIN)
    assert _signed(session) is None


# --- the command line ---------------------------------------------------------------------


def test_tokens_cli(capsys, engine, db_url):
    assert main(["tokens", "add", "website", "--db", db_url]) == 0
    out = capsys.readouterr().out.splitlines()
    token = out[1]
    assert "shown once" in out[0] and "Bearer" in out[2]
    with Session(engine) as s:
        assert tokens.sender_for_bearer(s, token) == "website"
    assert (
        main(["tokens", "add", "forms", "--hmac-secret-env", "FORMS_SECRET", "--db", db_url]) == 0
    )
    capsys.readouterr()
    assert main(["tokens", "list", "--db", db_url]) == 0
    listed = capsys.readouterr().out
    assert "forms: active, signs with $FORMS_SECRET" in listed and "website: active" in listed
    assert token not in listed
    assert main(["tokens", "revoke", "website", "--db", db_url]) == 0
    assert "revoked" in capsys.readouterr().out
    with Session(engine) as s:
        assert tokens.sender_for_bearer(s, token) is None
        audit = s.exec(select(AuditEntry.actor, AuditEntry.action)).all()
    assert audit == [
        (CLI_ACTOR.username, "token.add"),
        (CLI_ACTOR.username, "token.add"),
        (CLI_ACTOR.username, "token.revoke"),
    ]
    assert main(["tokens", "revoke", "nobody", "--db", db_url]) == 1
    assert "no API token named" in capsys.readouterr().err
