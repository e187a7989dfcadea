"""The server's start: the first-admin setup code is printed once, and only while there is
no user; the database is readied by the same function for the server and the frame."""

from __future__ import annotations

import uuid

from sqlmodel import Session

from smarketing.api import startup
from smarketing.auth import users
from smarketing.auth.permissions import CLI_ACTOR
from smarketing.store.db import current_revision, head_revision


def test_the_setup_code_is_printed_at_start_only_without_users(engine, monkeypatch, capsys):
    code = f"start-code-{uuid.uuid4().hex}"  # a code no earlier test of this process printed
    monkeypatch.setenv("SMARKETING_SETUP_CODE", code)
    assert startup.announce_setup_code(engine) is True
    assert code in capsys.readouterr().err
    # the first page view asks for the same code and prints nothing more
    assert users.console_setup_code() == code
    assert capsys.readouterr().err == ""
    with Session(engine) as s:
        users.add_user(
            s,
            actor=CLI_ACTOR,
            username="ada",
            name="Ada",
            email="ada@example.com",
            roles=["admin"],
            password="correct horse battery",
        )
    monkeypatch.setenv("SMARKETING_SETUP_CODE", f"other-code-{uuid.uuid4().hex}")
    assert startup.announce_setup_code(engine) is False
    assert capsys.readouterr().err == ""


def test_ready_engine_upgrades_a_new_database(new_database_url):
    engine = startup.ready_engine(new_database_url("fresh"))
    try:
        assert current_revision(engine) == head_revision()
    finally:
        engine.dispose()
