"""Admin → Users: a user's open sessions with "End", failed logins with "Clear"; only for
admins."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import Session, select

from smarketing.auth import sessions, throttle
from smarketing.store.models import AuditEntry, LoginSession, LoginThrottle, utcnow
from tests.pages.conftest import logged_in, texts, untranslated

USERS_PAGE = "app_pages/admin_users.py"


def test_admin_sees_and_ends_a_users_session(people, app_env):
    with Session(app_env) as s:
        now = utcnow()
        phone = sessions.start(
            s,
            username="sam",
            now=now - timedelta(hours=2),
            address="10.0.0.7",
            user_agent="Mozilla/5.0 (iPhone) **bold** <b>x</b>",
        )
        laptop = sessions.start(s, username="sam", now=now - timedelta(minutes=3))
    sam = logged_in("sam", ["sales"])  # a third session: sam's open app
    at = logged_in("ada", ["admin"])
    at.switch_page(USERS_PAGE).run()
    at.selectbox(key="edit_user").select("sam").run()
    assert not at.exception
    shown = texts(at)
    assert "Open sessions" in shown
    assert "from 10.0.0.7" in shown and "address unknown" in shown
    assert "Mozilla/5.0 (iPhone) **bold** &lt;b&gt;x&lt;/b&gt;" in shown  # no HTML from a header
    ends = [b.key for b in at.button if (b.key or "").startswith("end_session_")]
    assert len(ends) == 3 and f"end_session_{phone.id}" in ends
    at.button(key=f"end_session_{phone.id}").click().run()
    assert "Ended a session of **sam**." in texts(at)
    assert at.button(key=f"end_session_{laptop.id}") is not None
    assert f"end_session_{phone.id}" not in [b.key for b in at.button]
    with Session(app_env) as s:
        row = s.get(LoginSession, phone.id)
        assert (row.revoked_by, row.revoked_why) == ("ada", "admin")
        assert s.get(LoginSession, laptop.id).revoked_at is None
        entry = s.exec(select(AuditEntry).where(AuditEntry.action == "session.end")).one()
        assert (entry.actor, entry.entity_id) == ("ada", "sam")
    sam.run()  # sam's own session is still open
    assert "Overview" in [t.value for t in sam.title]


def test_admin_ends_the_session_of_an_open_app(people, app_env):
    sam = logged_in("sam", ["sales"])
    at = logged_in("ada", ["admin"])
    at.switch_page(USERS_PAGE).run()
    at.selectbox(key="edit_user").select("sam").run()
    [end] = [b for b in at.button if (b.key or "").startswith("end_session_")]
    end.click().run()
    sam.run()
    assert "An admin ended your session" in texts(sam)
    assert "Overview" not in [t.value for t in sam.title]


def test_a_user_without_sessions(people):
    at = logged_in("ada", ["admin"])
    at.switch_page(USERS_PAGE).run()
    at.selectbox(key="edit_user").select("lea").run()
    assert "**lea** has no open session." in texts(at)


def test_admin_sees_and_clears_failed_logins(people, app_env):
    with Session(app_env) as s:
        for _ in range(6):
            throttle.record_failure(s, "sam", "10.0.0.9", utcnow())
        throttle.record_failure(s, "<b>nobody</b>", "10.0.0.9", utcnow())
    at = logged_in("ada", ["admin"])
    at.switch_page(USERS_PAGE).run()
    shown = texts(at)
    assert "Username **sam** · 6 failed logins" in shown
    assert "waits **" in shown
    assert "Address **10.0.0.9** · 7 failed logins" in shown
    assert "Username **&lt;b&gt;nobody&lt;/b&gt;** · 1 failed login," in shown
    at.button(key="clear_username_sam").click().run()
    assert "Cleared the failed logins of sam." in texts(at)
    assert "Username **sam**" not in texts(at)
    with Session(app_env) as s:
        assert s.get(LoginThrottle, ("username", "sam")) is None
        assert s.get(LoginThrottle, ("address", "10.0.0.9")).failures == 7
        entry = s.exec(
            select(AuditEntry).where(AuditEntry.action == "login.throttle_cleared")
        ).one()
        assert (entry.actor, entry.entity, entry.entity_id) == ("ada", "username", "sam")


def test_no_failed_logins(people):
    at = logged_in("ada", ["admin"])
    at.switch_page(USERS_PAGE).run()
    assert "No failed logins right now." in texts(at)


@pytest.mark.parametrize(
    ("username", "roles"), [("mia", ["marketing"]), ("sam", ["sales"]), ("lea", ["leadership"])]
)
def test_other_roles_cannot_open_the_users_page(people, username, roles):
    at = logged_in(username, roles)
    with pytest.raises(ValueError):
        at.switch_page(USERS_PAGE)


def test_sessions_and_failed_logins_in_norwegian(people, app_env):
    with Session(app_env) as s:
        sessions.start(s, username="sam", now=utcnow() - timedelta(hours=2), address="10.0.0.7")
        sessions.start(s, username="sam", now=utcnow() - timedelta(minutes=3))
        for _ in range(10):  # a wait of several seconds
            throttle.record_failure(s, "sam", "10.0.0.9", utcnow())
        throttle.record_failure(s, "nobody", "10.0.0.8", utcnow())
    at = logged_in("ada", ["admin"], language="nb")
    at.switch_page(USERS_PAGE).run()
    assert not at.exception
    shown = texts(at)
    assert "Brukernavn **sam** · 10 mislykkede innlogginger, sist " in shown
    assert "Adresse **10.0.0.8** · 1 mislykket innlogging, sist " in shown
    assert "venter **" in shown
    assert "Mislykkede innlogginger de siste 15 minuttene" in shown
    assert untranslated(at) == []
    at.selectbox(key="edit_user").select("sam").run()
    assert not at.exception
    shown = texts(at)
    assert "Åpne økter" in shown
    assert "fra 10.0.0.7" in shown and "ukjent adresse" in shown
    assert "Ukjent nettleser" in shown
    assert [b.label for b in at.button if (b.key or "").startswith("end_session_")] == [
        "Avslutt",
        "Avslutt",
    ]
    assert at.button(key="toggle_sam").label == "Deaktiver"
    assert untranslated(at) == []
    at.button(key="toggle_sam").click().run()
    assert "Deaktiverte **sam**." in texts(at)
    assert "Kontoen er **deaktivert**." in texts(at)
    assert untranslated(at) == []


def test_a_user_whose_session_an_admin_ended_is_told_in_norwegian():
    from smarketing import i18n

    with i18n.language("nb"):
        assert sessions.ended_message("admin") == (
            "En admin avsluttet økten din: logg inn på nytt."
        )
        assert sessions.ended_message("no such reason") == (
            "Økten din er avsluttet: logg inn på nytt."
        )
