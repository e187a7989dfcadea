"""The notification outbox: queued once, sent once, retried with backoff, delayed by quiet
hours and never dropped; preferences and role defaults decide who gets what, where.

The clock is fixed (NOW = Wed 18 Nov 2026 12:00 UTC = 13:00 in Oslo); the sender is a fake
that records its calls (``Recorder``), so nothing leaves the machine.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from sqlmodel import Session, select

from smarketing.auth.permissions import Actor
from smarketing.errors import InvalidInput, PermissionDenied
from smarketing.notify import outbox, preferences
from smarketing.notify.message import ChannelError, Message
from smarketing.notify.outbox import Notice
from smarketing.store.models import AuditEntry, Notification, User
from tests.conftest import NOW

ADA = Actor.of("ada", {"admin"})
SAM = Actor.of("sam", {"sales"})
MIA = Actor.of("mia", {"marketing"})
MINUTE = timedelta(minutes=1)


def hot(lead: int = 7) -> Message:
    return Message(
        kind="hot_lead",
        subject=f"Lead #{lead} is back",
        text="Visited pricing twice.",
        facts=(("Campaign", "Webinar"),),
        link=f"http://127.0.0.1/leads?lead={lead}",
        image_png=b"\x89PNG fake",
    )


class Recorder:
    """A fake sender: records (channel, subject, address); raises the errors it is given,
    one per call, before it succeeds."""

    def __init__(self, *errors: Exception) -> None:
        self.calls: list[tuple[str, str, str]] = []
        self.errors = list(errors)

    def __call__(self, channel: str, message: Message, address: str, *, timeout=10.0) -> None:
        self.calls.append((channel, message.subject, address))
        if self.errors:
            raise self.errors.pop(0)


@pytest.fixture
def people(engine):
    with Session(engine) as s:
        for username, roles in [
            ("ada", "admin"),
            ("mia", "marketing"),
            ("sam", "sales"),
            ("lea", "leadership"),
            ("sue", "sales,marketing"),
        ]:
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
    return engine


def queue(engine, recipient="sam", kind="hot_lead", key="lead:7:hot:2026-11-18", now=NOW):
    with Session(engine) as s:
        new = outbox.enqueue(
            s, kind=kind, subject_key=key, recipient=recipient, message=hot(), now=now
        )
        s.commit()
    return new


def rows(engine) -> list[Notification]:
    with Session(engine) as s:
        return list(s.exec(select(Notification).order_by(Notification.id)).all())


def no_quiet(engine, username):
    """The person keeps their role defaults but has no quiet hours."""
    with Session(engine) as s:
        pref = preferences.preference(s, username)
        preferences.save_preference(
            s,
            actor=Actor.of(username, set()),
            username=username,
            kinds=pref.kinds,
            channel=pref.channel,
            address=pref.address,
            quiet_start=None,
            quiet_end=None,
        )


# --- queued once ----------------------------------------------------------------------------


def test_enqueue_twice_makes_one_row(people):
    assert queue(people) is True
    assert queue(people) is False
    assert queue(people, now=NOW + timedelta(hours=1)) is False
    [row] = rows(people)
    assert (row.kind, row.recipient, row.channel, row.address, row.status) == (
        "hot_lead",
        "sam",
        "email",
        "sam@example.com",
        "pending",
    )
    assert outbox.message_from_json(row.body) == hot()  # the picture survives the JSON


def test_enqueue_through_a_connection(people):
    with people.begin() as conn:
        assert outbox.enqueue(
            conn, kind="minutes", subject_key="meeting:3", recipient="lea", message=hot(), now=NOW
        )
    assert [r.recipient for r in rows(people)] == ["lea"]


@pytest.mark.parametrize(
    "username, expected",
    [
        # everyone: actions, pre-read, minutes; sales adds hot leads and deadlines …
        ("sam", preferences.EVERYONE | {"hot_lead", "contact_deadline"}),
        # … marketing the SLA at risk; two roles get both
        ("mia", preferences.EVERYONE | {"sla_at_risk"}),
        ("sue", preferences.EVERYONE | {"hot_lead", "contact_deadline", "sla_at_risk"}),
        ("lea", preferences.EVERYONE),
        ("ada", preferences.EVERYONE),
    ],
)
def test_role_defaults_apply_until_the_person_saves(people, username, expected):
    with Session(people) as s:
        pref = preferences.preference(s, username)
    assert pref.kinds == expected and not pref.saved
    assert (pref.channel, pref.resolved_address) == ("email", f"{username}@example.com")
    assert (pref.quiet_start, pref.quiet_end) == (time(20), time(7))


def test_a_person_who_opted_out_gets_nothing(people):
    with Session(people) as s:
        preferences.save_preference(
            s, actor=SAM, username="sam", kinds=["contact_deadline"], channel="email"
        )
    assert queue(people) is True
    [row] = rows(people)
    assert row.status == "skipped" and "opted out of Hot leads" in row.last_error
    sender = Recorder()
    assert outbox.dispatch(people, now=NOW, send=sender).outcomes == []
    assert sender.calls == []
    # a marketer gets no hot leads by default either
    queue(people, recipient="mia")
    assert rows(people)[-1].status == "skipped"


def test_preferences_are_ones_own_unless_admin(people):
    with Session(people) as s:
        with pytest.raises(PermissionDenied):
            preferences.save_preference(s, actor=MIA, username="sam", kinds=[], channel="email")
        preferences.save_preference(
            s,
            actor=ADA,
            username="sam",
            kinds=["hot_lead"],
            channel="slack",
            address="https://hooks.slack.com/services/T0/B0/secret",
        )
        assert preferences.preference(s, "sam").channel == "slack"
        audit = s.exec(select(AuditEntry).where(AuditEntry.action == "notify.preference")).one()
        assert audit.actor == "ada" and "secret" not in audit.detail  # the URL's path is not kept
        with pytest.raises(InvalidInput, match="https:// URL"):
            preferences.save_preference(
                s, actor=SAM, username="sam", kinds=[], channel="teams", address="teams"
            )
        with pytest.raises(InvalidInput, match="unknown kind"):
            preferences.save_preference(s, actor=SAM, username="sam", kinds=["x"], channel="email")


def test_team_messages_go_to_the_team_channel_admins_set(people):
    queue(people, recipient="team:sales", key="lead:9:hot")
    [row] = rows(people)
    assert row.status == "failed" and "no channel is set for the sales team" in row.last_error
    with Session(people) as s:
        with pytest.raises(PermissionDenied):
            preferences.set_team_channel(
                s, actor=SAM, team="sales", channel="email", address="sales@example.com"
            )
        preferences.set_team_channel(
            s, actor=ADA, team="sales", channel="webhook", address="http://127.0.0.1:9/hook"
        )
        outbox.resend(s, row.id, actor=ADA, now=NOW)
    sender = Recorder()
    late = NOW.replace(hour=22)  # teams have no quiet hours
    assert outbox.dispatch(people, now=late, send=sender).sent == 1
    assert sender.calls == [("webhook", "Lead #7 is back", "http://127.0.0.1:9/hook")]


# --- sent once, retried, failed -------------------------------------------------------------


def test_dispatch_sends_once_and_records_it(people):
    queue(people)
    sender = Recorder()
    result = outbox.dispatch(people, now=NOW, send=sender)
    assert (result.sent, str(result)) == (1, "1 sent")
    assert outbox.dispatch(people, now=NOW + MINUTE, send=sender).outcomes == []
    assert sender.calls == [("email", "Lead #7 is back", "sam@example.com")]
    [row] = rows(people)
    assert (row.status, row.attempts, row.sent_at, row.last_error) == ("sent", 1, NOW, None)


def test_a_channel_that_fails_twice_then_succeeds_delivers_once(people):
    queue(people)
    sender = Recorder(ChannelError("503 from Slack", retry=True), TimeoutError("timed out"))
    first = outbox.dispatch(people, now=NOW, send=sender)
    assert (first.retrying, first.outcomes[0].due_at) == (1, NOW + MINUTE)
    # not due again before its backoff ends
    assert (
        outbox.dispatch(people, now=NOW + MINUTE - timedelta(seconds=1), send=sender).outcomes == []
    )
    second = outbox.dispatch(people, now=NOW + MINUTE, send=sender)
    assert second.retrying == 1 and second.outcomes[0].due_at == NOW + 6 * MINUTE
    assert "TimeoutError: timed out" in rows(people)[0].last_error
    third = outbox.dispatch(people, now=NOW + 6 * MINUTE, send=sender)
    assert third.sent == 1
    assert len(sender.calls) == 3
    [row] = rows(people)
    assert (row.status, row.attempts, row.sent_at) == ("sent", 3, NOW + 6 * MINUTE)


def test_retries_grow_then_fail_after_the_last_attempt(people):
    queue(people)
    sender = Recorder(*[ChannelError("down", retry=True) for _ in range(10)])
    when, waits = NOW, []
    for _ in range(outbox.MAX_ATTEMPTS):
        result = outbox.dispatch(people, now=when, send=sender)
        [outcome] = result.outcomes
        if outcome.result == "retrying":
            waits.append(outcome.due_at - when)
            when = outcome.due_at
    assert waits == [MINUTE, 5 * MINUTE, 15 * MINUTE, 60 * MINUTE]
    assert outcome.result == "failed"
    [row] = rows(people)
    assert (row.status, row.attempts, row.last_error) == ("failed", 5, "down")
    assert outbox.dispatch(people, now=when + timedelta(days=1), send=sender).outcomes == []


def test_a_permanent_error_fails_at_once_and_an_admin_resends(people):
    queue(people)
    sender = Recorder(ChannelError("550 no such mailbox", retry=False))
    assert outbox.dispatch(people, now=NOW, send=sender).failed == 1
    [row] = rows(people)
    assert (row.status, row.attempts, row.last_error) == ("failed", 1, "550 no such mailbox")
    with Session(people) as s:
        with pytest.raises(PermissionDenied):
            outbox.resend(s, row.id, actor=SAM)
        outbox.resend(s, row.id, actor=ADA, now=NOW + MINUTE)
        assert s.exec(select(AuditEntry).where(AuditEntry.action == "notify.resend")).one()
        with pytest.raises(InvalidInput, match="pending already"):
            outbox.resend(s, row.id, actor=ADA)
    assert outbox.dispatch(people, now=NOW + MINUTE, send=sender).sent == 1
    assert rows(people)[0].attempts == 1  # counted again from zero


def test_a_claim_left_by_a_dead_dispatcher_is_taken_after_its_lease(people):
    queue(people)
    with people.begin() as conn:  # a dispatcher claimed it and died
        conn.execute(
            Notification.__table__.update().values(
                status="sending", attempts=1, due_at=NOW + outbox.CLAIM_LEASE
            )
        )
    sender = Recorder()
    assert outbox.dispatch(people, now=NOW + MINUTE, send=sender).outcomes == []
    assert outbox.dispatch(people, now=NOW + outbox.CLAIM_LEASE, send=sender).sent == 1
    assert rows(people)[0].attempts == 2


# --- quiet hours ----------------------------------------------------------------------------


def test_quiet_hours_delay_then_deliver_after(people):
    evening = datetime(2026, 11, 18, 20, 30, tzinfo=UTC)  # 21:30 in Oslo: quiet
    queue(people, now=evening)
    sender = Recorder()
    result = outbox.dispatch(people, now=evening, send=sender)
    morning = datetime(2026, 11, 19, 6, 0, tzinfo=UTC)  # 07:00 in Oslo
    assert (result.delayed, result.outcomes[0].due_at) == (1, morning)
    assert rows(people)[0].status == "delayed"
    assert outbox.dispatch(people, now=morning - MINUTE, send=sender).outcomes == []
    assert sender.calls == []
    assert outbox.dispatch(people, now=morning, send=sender).sent == 1
    assert len(sender.calls) == 1 and rows(people)[0].status == "sent"


@pytest.mark.parametrize(
    "local, quiet, until",
    [
        # over midnight, 20:00–07:00: before midnight → tomorrow 07:00, after → today 07:00
        ("2026-11-18T21:30", (time(20), time(7)), "2026-11-19T07:00"),
        ("2026-11-19T03:00", (time(20), time(7)), "2026-11-19T07:00"),
        ("2026-11-18T07:00", (time(20), time(7)), None),  # the end is not quiet
        ("2026-11-18T19:59", (time(20), time(7)), None),
        # within a day, 12:00–14:00
        ("2026-11-18T13:00", (time(12), time(14)), "2026-11-18T14:00"),
        ("2026-11-18T14:00", (time(12), time(14)), None),
        # none
        ("2026-11-18T23:00", None, None),
        # the night the clocks go back (Oslo, 25 Oct 2026): 07:00 CET is 06:00 UTC
        ("2026-10-25T01:00", (time(20), time(7)), "2026-10-25T07:00"),
    ],
)
def test_quiet_until(local, quiet, until):
    from smarketing import config

    tz = config.business_tz()
    now = datetime.fromisoformat(local).replace(tzinfo=tz).astimezone(UTC)
    expected = None if until is None else datetime.fromisoformat(until).replace(tzinfo=tz)
    assert preferences.quiet_until(quiet, now) == expected


def test_a_dry_run_writes_and_sends_nothing(people):
    queue(people)
    from smarketing.notify import job

    def rule(session, now):
        return [Notice("minutes", "meeting:1", "lea", hot(1))]

    before = rows(people)
    result = job.dry_run(people, now=NOW, rules=[rule])
    assert (result.noticed, result.queued) == (1, 1)
    assert sorted((o.recipient, o.result) for o in result.dispatch.outcomes) == [
        ("lea", "would_send"),
        ("sam", "would_send"),
    ]
    assert [(r.id, r.status) for r in rows(people)] == [(r.id, r.status) for r in before]


def test_the_job_runs_its_rules_then_dispatches_and_reports_a_failing_rule(people):
    from smarketing.notify import job

    no_quiet(people, "lea")

    def minutes(session, now):
        return [Notice("minutes", "meeting:1", "lea", hot(1))]

    def broken(session, now):
        raise ValueError("no table")

    sender = Recorder()
    result = job.run(people, now=NOW, send=sender, rules=[minutes])
    assert (result.queued, result.dispatch.sent) == (1, 1)
    assert str(result) == "1 queued of 1 noticed; 1 sent"
    # run twice: the rule finds the same thing, nothing is sent again
    assert job.run(people, now=NOW + MINUTE, send=sender, rules=[minutes]).queued == 0
    assert len(sender.calls) == 1
    queue(people)  # something else due: a broken rule does not stop the sending
    with pytest.raises(job.RulesFailed, match="broken: ValueError: no table"):
        job.run(people, now=NOW + 2 * MINUTE, send=sender, rules=[broken])
    assert len(sender.calls) == 2


def test_the_admin_list_filters_and_counts(people):
    queue(people)
    queue(people, recipient="mia")  # skipped: marketing gets no hot leads
    queue(people, recipient="team:sales", key="lead:9")  # failed: no team channel
    with Session(people) as s:
        assert outbox.status_counts(s) == {
            "pending": 1,
            "sending": 0,
            "delayed": 0,
            "sent": 0,
            "failed": 1,
            "skipped": 1,
        }
        frame = outbox.notifications(s, actor=ADA, statuses=["failed", "skipped"])
        assert sorted(frame["recipient"]) == ["mia", "team:sales"]
        assert list(outbox.notifications(s, actor=ADA, recipient="sam")["status"]) == ["pending"]
        with pytest.raises(PermissionDenied):
            outbox.notifications(s, actor=SAM)


# --- two processes at once ------------------------------------------------------------------


def test_two_dispatcher_processes_at_once_send_each_notification_once(people, db_url, tmp_path):
    """Two real processes dispatch one queue of 60 at the same moment (a SQLite file, or the
    suite's PostgreSQL database): every message is sent exactly once, by one of them."""
    import time as clock

    from tests import notify_processes

    no_quiet(people, "sam")
    with Session(people) as s:
        for n in range(60):
            message = Message(kind="hot_lead", subject=f"n{n}", text="back")
            outbox.enqueue(
                s,
                kind="hot_lead",
                subject_key=f"lead:{n}",
                recipient="sam",
                message=message,
                now=NOW,
            )
        s.commit()
    out = tmp_path / "sent.txt"
    start = clock.time() + 3  # both have imported everything by then
    procs = [notify_processes.spawn(db_url, out, start, tmp_path / f"p{i}.log") for i in range(2)]
    for i, proc in enumerate(procs):
        assert proc.wait(timeout=120) == 0, (tmp_path / f"p{i}.log").read_text()
    lines = out.read_text().split()
    subjects, pids = lines[0::2], lines[1::2]
    assert sorted(subjects) == sorted(f"n{n}" for n in range(60))  # each once, none lost
    assert len(set(pids)) == 2, "both processes took part (else the test proves nothing)"
    assert {r.status for r in rows(people)} == {"sent"}
    assert {r.attempts for r in rows(people)} == {1}


def test_a_persons_message_links_to_their_settings(people, monkeypatch):
    monkeypatch.setenv("SMARKETING_PUBLIC_URL", "https://smarketing.example.com/")
    queue(people)
    queue(people, recipient="team:sales", key="lead:9")
    sam, team = rows(people)
    assert outbox.message_from_json(sam.body).unsubscribe == (
        "https://smarketing.example.com/notifications"
    )
    assert outbox.message_from_json(team.body).unsubscribe is None


def test_the_scheduled_job_sends_through_the_channels(people, monkeypatch):
    """The ``notify`` job of JOBS, run by the scheduler's Runner under its lock, sends
    through smarketing.notify.channels.send (a fake module here)."""
    import sys
    import types

    from smarketing.jobs.scheduler import JOBS, Runner

    sent = []
    fake = types.ModuleType("smarketing.notify.channels")
    fake.send = lambda channel, message, address, *, timeout=10.0: sent.append(address)
    monkeypatch.setitem(sys.modules, "smarketing.notify.channels", fake)
    queue(people)
    [job] = [j for j in JOBS if j.name == "notify"]
    assert job.every_seconds == 60
    run = Runner(people, holder="me", clock=lambda: NOW).run(job)
    assert (run.outcome, run.detail) == ("ok", "0 queued of 0 noticed; 1 sent")
    assert sent == ["sam@example.com"]


def test_opting_out_while_a_message_waits_in_quiet_hours_skips_it(people):
    evening = datetime(2026, 11, 18, 20, 30, tzinfo=UTC)  # 21:30 in Oslo
    queue(people, now=evening)
    sender = Recorder()
    assert outbox.dispatch(people, now=evening, send=sender).delayed == 1
    with Session(people) as s:
        preferences.save_preference(
            s, actor=SAM, username="sam", kinds=["minutes"], channel="email"
        )
    morning = datetime(2026, 11, 19, 6, 0, tzinfo=UTC)
    result = outbox.dispatch(people, now=morning, send=sender)
    assert [o.result for o in result.outcomes] == ["skipped"] and sender.calls == []
    assert rows(people)[0].status == "skipped"


def test_a_missing_channel_module_leaves_the_rows_pending(people, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "smarketing.notify.channels", None)  # import fails
    queue(people)
    with pytest.raises(ImportError):
        outbox.dispatch(people, now=NOW)
    [row] = rows(people)
    assert (row.status, row.attempts) == ("pending", 0)
