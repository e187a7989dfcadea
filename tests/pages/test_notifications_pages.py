"""My notifications and Admin → Notifications via AppTest: every role sees its defaults
and saves its own choice; "Send a test" says what the channel answered (a fake channels
module); the admin page lists, filters and resends, sets a team channel, and is refused to
every other role (the navigation and the domain)."""

from __future__ import annotations

import sys
import types
from datetime import time

import pytest
from sqlmodel import Session, select

from smarketing import i18n
from smarketing.auth.permissions import Actor
from smarketing.errors import PermissionDenied
from smarketing.notify import outbox, preferences
from smarketing.notify.message import ChannelError, Message
from smarketing.store.models import Notification, NotifyPreference, TeamChannel
from tests.conftest import NOW
from tests.pages.conftest import as_shown, logged_in, shown_strings, texts, untranslated

MINE = "app_pages/notifications.py"
ADMIN = "app_pages/admin_notifications.py"
#: username -> the kinds their role gets by default besides everyone's
EXTRA = {
    "ada": set(),
    "mia": {"sla_at_risk"},
    "sam": {"hot_lead", "contact_deadline"},
    "lea": set(),
}


@pytest.fixture
def channels(monkeypatch):
    """A fake smarketing.notify.channels: send_test records and answers, or refuses an
    address with "refuse" in it."""
    tested: list[tuple[str, str]] = []
    fake = types.ModuleType("smarketing.notify.channels")

    def send_test(channel, address):
        tested.append((channel, address))
        if "refuse" in address:
            raise ChannelError("550 mailbox unknown", retry=False)
        return "250 OK"

    def send(channel, message, address, *, timeout=10.0):
        raise AssertionError("the pages send nothing but tests")

    fake.send, fake.send_test = send, send_test
    monkeypatch.setitem(sys.modules, "smarketing.notify.channels", fake)
    return tested


@pytest.mark.parametrize("username", list(EXTRA))
def test_each_role_sees_its_defaults_and_saves_its_own(people, app_env, username):
    at = logged_in(username, people[username])
    at.switch_page(MINE).run()
    assert not at.exception
    assert "These are the defaults for your roles" in texts(at)
    assert set(at.multiselect(key="notify_kinds").value) == preferences.EVERYONE | EXTRA[username]
    assert at.selectbox(key="notify_channel").value == "email"
    assert at.checkbox(key="notify_quiet_on").value is True
    assert at.time_input(key="notify_quiet_start").value == time(20)
    assert f"`{username}@example.com`" in texts(at)
    # keep only the minutes, by Slack, no quiet hours
    at.multiselect(key="notify_kinds").set_value(["minutes"])
    at.selectbox(key="notify_channel").select("slack")
    at.text_input(key="notify_address").input("https://hooks.slack.com/services/T/B/x")
    at.checkbox(key="notify_quiet_on").uncheck()
    at.button(key="FormSubmitter:notify_prefs-Save").click().run()
    assert not at.exception
    assert "Saved your notification settings." in texts(at)
    assert "Your own choice applies" in texts(at)
    with Session(app_env) as s:
        row = s.get(NotifyPreference, username)
        assert (row.kinds, row.channel, row.quiet_start, row.updated_by) == (
            "minutes",
            "slack",
            None,
            username,
        )
    assert at.multiselect(key="notify_kinds").value == ["minutes"]


def test_a_bad_address_is_refused_and_nothing_saved(people, app_env):
    at = logged_in("sam", ["sales"])
    at.switch_page(MINE).run()
    at.selectbox(key="notify_channel").select("teams")
    at.text_input(key="notify_address").input("my teams channel")
    at.button(key="FormSubmitter:notify_prefs-Save").click().run()
    assert "must be an https:// URL" in texts(at)
    with Session(app_env) as s:
        assert s.get(NotifyPreference, "sam") is None


def test_send_a_test_to_my_address(people, channels):
    at = logged_in("mia", ["marketing"])
    at.switch_page(MINE).run()
    at.button(key="notify_test").click().run()
    assert not at.exception
    assert channels == [("email", "mia@example.com")]
    assert "Test sent to mia@example.com: 250 OK" in texts(at)


@pytest.mark.parametrize("username", ["mia", "sam", "lea"])
def test_the_admin_page_is_refused_to_other_roles(people, app_env, username):
    at = logged_in(username, people[username])
    with pytest.raises(ValueError):  # not in their navigation
        at.switch_page(ADMIN)
    with Session(app_env) as s, pytest.raises(PermissionDenied):  # nor in the domain
        outbox.notifications(s, actor=Actor.of(username, people[username]))


def queue_three(engine):
    """A hot lead for Sam (pending), one for Mia (skipped: marketing gets none), one for the
    sales team (failed: no team channel yet)."""
    with Session(engine) as s:
        for recipient, key in [("sam", "lead:1"), ("mia", "lead:2"), ("team:sales", "lead:3")]:
            outbox.enqueue(
                s,
                kind="hot_lead",
                subject_key=key,
                recipient=recipient,
                message=Message("hot_lead", f"{key} is back", "…"),
                now=NOW,
            )
        s.commit()


def test_the_admin_lists_filters_sets_a_team_channel_and_resends(people, app_env, channels):
    queue_three(app_env)
    at = logged_in("ada", ["admin"])
    at.switch_page(ADMIN).run()
    assert not at.exception
    assert [m.value for m in at.metric] == ["0", "1", "1", "0", "1"]  # sent failed pending …
    shown = as_shown(at.dataframe[0])
    assert list(shown["To"]) == ["team:sales", "sam"]  # skipped ones are filtered out
    failed = shown[shown["Status"] == "Failed"].iloc[0]
    assert "no channel is set for the sales team" in failed["Last error"]
    at.multiselect(key="notify_admin_status").set_value(["skipped"]).run()
    assert list(as_shown(at.dataframe[0])["To"]) == ["mia"]
    at.multiselect(key="notify_admin_status").set_value(["failed"]).run()
    # the sales team's channel, then resend the failed one
    at.selectbox(key="notify_team_sales_channel").select("email")
    at.text_input(key="notify_team_sales_address").input("sales@example.com")
    at.button(key="notify_team_sales_save").click().run()
    assert not at.exception and "Saved the sales team's channel." in texts(at)
    at.button(key="notify_team_sales_test").click().run()
    assert channels == [("email", "sales@example.com")]
    at.selectbox(key="notify_resend_id").select(3)
    at.button(key="notify_resend").click().run()
    assert not at.exception
    assert "Notification #3 queued again" in texts(at)
    with Session(app_env) as s:
        row = s.get(Notification, 3)
        assert (row.status, row.channel, row.address) == ("pending", "email", "sales@example.com")
        assert s.get(TeamChannel, "sales").updated_by == "ada"


def test_a_refused_test_says_why(people, app_env, channels):
    with Session(app_env) as s:
        preferences.set_team_channel(
            s,
            actor=Actor.of("ada", {"admin"}),
            team="leadership",
            channel="email",
            address="refuse@example.com",
        )
    at = logged_in("ada", ["admin"])
    at.switch_page(ADMIN).run()
    at.button(key="notify_team_leadership_test").click().run()
    assert "The test did not go out: 550 mailbox unknown." in texts(at)
    with Session(app_env) as s:
        assert s.exec(select(Notification)).all() == []  # a test is not queued


# --- in Norwegian bokmål ---------------------------------------------------------------------


@pytest.fixture
def norsk():
    """The test speaks Norwegian too: AppTest writes a chosen option through the widget's
    format_func in the test's own thread (a selectbox's value is its label)."""
    with i18n.language("nb"):
        yield


@pytest.mark.parametrize("username", list(EXTRA))
def test_my_notifications_in_norwegian_for_each_role(people, app_env, username, norsk):
    at = logged_in(username, people[username], language="nb")
    at.switch_page(MINE).run()
    assert not at.exception
    assert untranslated(at) == []
    shown = shown_strings(at)
    assert "Mine varsler" in shown
    assert "Hvor de går" in shown
    assert "Meldingene dine går med **E-post** til " + f"`{username}@example.com`." in shown
    assert "Møtereferat" in at.multiselect(key="notify_kinds").options
    assert "Dette er standardvalgene for rollene dine" in texts(at)
    assert at.checkbox(key="notify_quiet_on").label == "Stilletid"
    # saving in Norwegian says so in Norwegian; the values stay the machine's
    at.multiselect(key="notify_kinds").set_value(["minutes"])
    at.button(key="FormSubmitter:notify_prefs-Lagre").click().run()
    assert not at.exception
    assert "Varselinnstillingene dine er lagret." in texts(at)
    assert "Ditt eget valg gjelder." in texts(at)
    assert untranslated(at) == []
    with Session(app_env) as s:
        assert s.get(NotifyPreference, username).kinds == "minutes"


def test_a_bad_address_is_refused_in_norwegian(people, app_env, norsk):
    at = logged_in("sam", ["sales"], language="nb")
    at.switch_page(MINE).run()
    at.selectbox(key="notify_channel").select("teams")
    at.text_input(key="notify_address").input("my teams channel")
    at.button(key="FormSubmitter:notify_prefs-Lagre").click().run()
    assert "må være en https://-URL" in texts(at)
    assert untranslated(at) == []


def test_the_admin_page_in_norwegian(people, app_env, channels, norsk):
    queue_three(app_env)
    at = logged_in("ada", ["admin"], language="nb")
    at.switch_page(ADMIN).run()
    assert not at.exception
    assert untranslated(at) == []
    assert [m.label for m in at.metric] == ["Sendt", "Feilet", "Venter", "Utsatt (stilletid)",
                                            "Hoppet over (valgt bort)"]  # fmt: skip
    shown = as_shown(at.dataframe[0])
    assert list(shown.columns[:4]) == ["#", "Status", "Til", "Type"]
    failed = shown[shown["Status"] == "Feilet"].iloc[0]
    assert failed["Type"] == "Varm lead"
    strings = shown_strings(at)
    assert "Varsler" in strings and "Teamkanaler" in strings
    assert "**Salg** (`team:sales`)" in strings
    at.selectbox(key="notify_team_sales_channel").select("email")
    at.text_input(key="notify_team_sales_address").input("salg@example.com")
    at.button(key="notify_team_sales_save").click().run()
    assert "Kanalen til salg-teamet er lagret." in texts(at)
    at.button(key="notify_team_sales_test").click().run()
    assert "Test sendt til salg@example.com: 250 OK" in texts(at)
    assert untranslated(at) == []
