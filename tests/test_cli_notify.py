"""`python -m smarketing notify run [--dry-run] [--now]` and `notify test`: the dry run
prints what would be sent and to whom and changes nothing; a run sends through the
channels (a fake module standing in for smarketing.notify.channels) and prints a line per
message; `notify test` says what the channel said, or why it failed."""

from __future__ import annotations

import sys
import types

import pytest
from sqlmodel import Session, select

from smarketing.cli import notify as cli_notify
from smarketing.cli.main import main
from smarketing.notify import job, outbox, preferences
from smarketing.notify.message import ChannelError, Message
from smarketing.notify.outbox import Notice
from smarketing.store.models import Notification, User
from tests.conftest import NOW


@pytest.fixture
def queued(engine):
    """Sam (sales) and Lea (leadership); a hot lead queued for Sam; a rule that finds the
    minutes of meeting 4 for Lea."""
    with Session(engine) as s:
        for username, roles in [("sam", "sales"), ("lea", "leadership")]:
            s.add(
                User(
                    username=username,
                    name=username.title(),
                    email=f"{username}@example.com",
                    roles=roles,
                    password_hash="x",
                )
            )
        s.commit()
        outbox.enqueue(
            s,
            kind="hot_lead",
            subject_key="lead:7:hot",
            recipient="sam",
            message=Message("hot_lead", "Ola Nordmann is back", "Downloaded the e-book."),
            now=NOW,
        )
        s.commit()
    return engine


@pytest.fixture
def minutes_rule(monkeypatch):
    def minutes(session, now):
        return [Notice("minutes", "meeting:4", "lea", Message("minutes", "Minutes: w47", "…"))]

    monkeypatch.setattr(job, "RULES", [minutes])


@pytest.fixture
def channels(monkeypatch):
    """A fake smarketing.notify.channels recording what it is asked to send."""
    sent: list[tuple[str, str, str]] = []
    fake = types.ModuleType("smarketing.notify.channels")

    def send(channel, message, address, *, timeout=10.0):
        if address.startswith("bounce"):
            raise ChannelError("550 mailbox unknown", retry=False)
        sent.append((channel, message.subject, address))

    def send_test(channel, address):
        if "down" in address:
            raise ChannelError("connection refused", retry=True)
        return "250 OK"

    fake.send, fake.send_test = send, send_test
    monkeypatch.setitem(sys.modules, "smarketing.notify.channels", fake)
    return sent


def statuses(engine):
    with Session(engine) as s:
        return [(n.recipient, n.status) for n in s.exec(select(Notification)).all()]


def test_a_dry_run_prints_who_gets_what_and_changes_nothing(queued, minutes_rule, db_url, capsys):
    # 13:00 in Oslo: nobody's quiet hours
    code = main(["notify", "run", "--dry-run", "--now", "2026-11-18T12:00Z", "--db", db_url])
    out = capsys.readouterr().out.splitlines()
    assert code == 0
    assert out == [
        "dry run at 2026-11-18 12:00 UTC: 1 new of 1 noticed; nothing written, nothing sent",
        "would_send #1 hot_lead → sam (email sam@example.com): Ola Nordmann is back",
        "would_send #2 minutes → lea (email lea@example.com): Minutes: w47",
    ]
    assert statuses(queued) == [("sam", "pending")]


def test_a_dry_run_in_the_evening_shows_the_delay(queued, db_url, capsys):
    main(["notify", "run", "--dry-run", "--now", "2026-11-18T21:00", "--db", db_url])
    out = capsys.readouterr().out.splitlines()
    assert out[1] == (
        "delayed    #1 hot_lead → sam (email sam@example.com): Ola Nordmann is back"
        " — until 2026-11-19T06:00Z"
    )


def test_a_run_sends_and_prints_a_line_per_message(queued, minutes_rule, channels, db_url, capsys):
    code = main(["notify", "run", "--now", "2026-11-18T12:00Z", "--db", db_url])
    out = capsys.readouterr().out.splitlines()
    assert code == 0
    assert out == [
        "sent       #1 hot_lead → sam (email sam@example.com): Ola Nordmann is back",
        "sent       #2 minutes → lea (email lea@example.com): Minutes: w47",
        "2026-11-18 12:00 UTC: 1 queued of 1 noticed; 2 sent",
    ]
    assert channels == [
        ("email", "Ola Nordmann is back", "sam@example.com"),
        ("email", "Minutes: w47", "lea@example.com"),
    ]
    assert main(["notify", "run", "--now", "2026-11-18T12:01Z", "--db", db_url]) == 0
    assert len(channels) == 2  # the second run sends nothing again


def test_a_failed_send_exits_1(queued, channels, db_url, capsys):
    with Session(queued) as s:
        s.exec(select(User).where(User.username == "lea")).one()
        preferences.save_preference(
            s,
            actor=preferences.Actor.of("lea", ()),
            username="lea",
            kinds=["minutes"],
            channel="email",
            address="bounce@example.com",
            quiet_start=None,
            quiet_end=None,
        )
        outbox.enqueue(
            s,
            kind="minutes",
            subject_key="meeting:5",
            recipient="lea",
            message=Message("minutes", "Minutes", "…"),
            now=NOW,
        )
        s.commit()
    code = main(["notify", "run", "--now", "2026-11-18T12:00Z", "--db", db_url])
    out = capsys.readouterr().out
    assert code == 1
    assert "failed     #2 minutes → lea (email bounce@example.com): Minutes — 550 mailbox" in out


@pytest.mark.parametrize(
    "argv, code, stream, expected",
    [
        (["email", "ada@example.com"], 0, "out", "test sent over email to ada@example.com: 250 OK"),
        # a webhook's path is its secret: only the host is printed
        (
            ["slack", "https://hooks.slack.com/services/T0/B0/xyz"],
            0,
            "out",
            "test sent over slack to https://hooks.slack.com/…: 250 OK",
        ),
        (
            ["webhook", "http://down.example/x"],
            1,
            "err",
            "error: the test did not go out (worth trying again later): connection refused",
        ),
        (
            ["teams", "not a url"],
            2,
            "err",
            "error: the Microsoft Teams (incoming webhook) address must be an https:// URL",
        ),
    ],
)
def test_notify_test(channels, capsys, argv, code, stream, expected):
    assert main(["notify", "test", *argv]) == code
    captured = capsys.readouterr()
    assert getattr(captured, stream).strip() == expected


def test_the_cli_channels_are_the_preferences_channels():
    assert tuple(preferences.CHANNELS) == cli_notify.CHANNELS
