"""The notification rules (hot leads, contact deadlines, SLA at risk, actions) on a
hand-made dataset and a fixed clock: exactly these notices, to these people, once; and
what a local SMTP server (aiosmtpd) and a local webhook receiver receive.

The clock: NOW = Wed 18 Nov 2026 12:00 UTC = 13:00 in Oslo (the business timezone). The
agreement (v1 from 1 Oct) gives 4 response hours and a monthly target of 12 MQLs, 5 SQLs
and 2 customers.

People: Sam Seller (``sam``, sales, e-mail by default), Sue Sales (``sue``, sales, saved
settings without hot leads), Mia (``mia``, marketing). Team channels: sales and marketing
each a webhook on the local receiver.

Leads (times UTC):
- H1 Eve Example, owner "Sam Seller": a page view 20 Oct, a download "Pricing guide" 18 Nov
  11:55 → back after 29 days → ``sam``.
- H2 Nils (no owner): rejected 10 Nov, a form 18 Nov 11:00 → ``team:sales``.
- H3 ``[x](http://evil.example)``, owner "Some Stranger" (no user): a page view 1 Oct,
  another 18 Nov 10:00 → ``team:sales``, the name escaped.
- H4 owner Sam Seller: silent since 1 Oct, back 18 Nov 05:00 — 7 hours ago, before the
  rule's 6-hour look-back → nothing.
- H5 owner "Sue Sales": back after 20 days 18 Nov 11:30 → sue opted out → skipped.
- D1 owner Sam Seller, MQL 08:20 (deadline 12:20, in 20 min) → reminder to ``sam``.
- D2 MQL 08:40 (deadline 12:40, in 40 min) → nothing yet.
- D3 owner Sam Seller, MQL 07:00 (deadline 11:00 passed) → ``team:sales``.
- D4 MQL 07:00, contacted 10:00 → nothing. D5 MQL 10 Nov, never contacted → its
  deadline passed 8 days ago, outside the 24-hour look-back → nothing.
- S1–S4: SQLs on 2, 5, 9 and 16 Nov (SQLs forecast 4/18·30 = 6.67 ≥ 5: on track).

MQLs in November: D1–D5 = 5 → forecast 5/18·30 = 8.33 < 12, needed (12 − 5)/12 = 0.58 a
day → ``team:marketing``. Customers: 0 → forecast 0 < 2 → ``team:marketing`` and
``team:sales``. Week 47 is 3/7 elapsed (before its middle): not judged yet.

Actions (sam): A1 due Thu 19 Nov (tomorrow) → action_due; A2 due Tue 17 Nov (yesterday)
→ action_overdue; A3 due 16 Nov (2nd overdue day) → nothing; A4 due 19 Nov done →
nothing; A5 due 19 Nov owned by "cast" (no user) → nothing.
"""

from __future__ import annotations

import email
import json
import socket
from datetime import UTC, date, datetime, timedelta
from email import policy

import pytest
from aiosmtpd.controller import Controller
from sqlmodel import Session, select

from smarketing.notify import job
from smarketing.notify.rules_actions import action_digest_notices, action_reminder_notices
from smarketing.notify.rules_leads import hot_lead_notices
from smarketing.notify.rules_sla import contact_deadline_notices, sla_at_risk_notices
from smarketing.notify.text import md_escape, md_unescape
from smarketing.store.models import (
    Action,
    LeadActivity,
    Notification,
    NotifyPreference,
    TeamChannel,
    User,
)
from tests.conftest import NOW
from tests.factories import add_lead, add_sla_agreement

PUBLIC = "https://smarketing.example.com"
SENDER = "Smarketing <noreply@example.com>"


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.fixture(autouse=True)
def settings(monkeypatch, tmp_path):
    for name in ("HOST", "PORT", "SECURITY", "USER", "PASSWORD", "FROM"):
        monkeypatch.delenv(f"SMARKETING_SMTP_{name}", raising=False)
    for name in ("SMARKETING_WEBHOOK_SECRET", "SMARKETING_TIMEZONE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SMARKETING_PUBLIC_URL", PUBLIC)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)


@pytest.fixture(scope="session")
def httpserver_listen_address():
    return ("127.0.0.1", 0)


def add_people(s: Session, sales_url: str, marketing_url: str) -> None:
    for username, name, roles in [
        ("sam", "Sam Seller", "sales"),
        ("sue", "Sue Sales", "sales"),
        ("mia", "Mia Marketing", "marketing"),
    ]:
        s.add(
            User(
                username=username,
                name=name,
                email=f"{username}@example.com",
                roles=roles,
                password_hash="x",
            )
        )
    s.add(
        NotifyPreference(
            username="sue",
            kinds="contact_deadline,action_due,action_overdue,action_digest",
            channel="email",
            quiet_start="20:00",
            quiet_end="07:00",
            updated_by="sue",
        )
    )
    s.add(TeamChannel(team="sales", channel="webhook", address=sales_url, updated_by="ada"))
    s.add(TeamChannel(team="marketing", channel="webhook", address=marketing_url, updated_by="ada"))
    s.commit()


def activity(s: Session, lead_id: int, kind: str, at: str, detail: str = "") -> None:
    s.add(LeadActivity(lead_id=lead_id, kind=kind, detail=detail, occurred_at=utc(at)))
    s.commit()


def add_dataset(s: Session) -> dict[str, int]:
    add_sla_agreement(s, 1, date(2026, 10, 1))
    ids = {}

    def lead(key, created, **fields):
        row = add_lead(s, key, created, **fields)
        ids[key] = row.id
        return row.id

    h1 = lead(
        "H1", "2026-09-01 10:00", first_name="Eve", last_name="Example", company="Acme",
        owner="Sam Seller", campaign="Webinar Q4",
    )  # fmt: skip
    activity(s, h1, "page_view", "2026-10-20 10:00", "/pricing")
    activity(s, h1, "download", "2026-11-18 11:55", "Pricing guide")
    h2 = lead("H2", "2026-09-01 10:00", first_name="Nils", rejected_at="2026-11-10 09:00")
    activity(s, h2, "form", "2026-11-18 11:00", "Contact us")
    h3 = lead("H3", "2026-09-01 10:00", first_name="[x](http://evil.example)",
              owner="Some Stranger")  # fmt: skip
    activity(s, h3, "page_view", "2026-10-01 10:00")
    activity(s, h3, "page_view", "2026-11-18 10:00")
    h4 = lead("H4", "2026-09-01 10:00", first_name="Old", owner="Sam Seller")
    activity(s, h4, "page_view", "2026-10-01 10:00")
    activity(s, h4, "page_view", "2026-11-18 05:00")
    h5 = lead("H5", "2026-09-01 10:00", first_name="Sue's", last_name="Lead", owner="Sue Sales")
    activity(s, h5, "page_view", "2026-10-29 10:00")
    activity(s, h5, "page_view", "2026-11-18 11:30")

    def mql(key, at, **fields):
        return lead(key, "2026-11-01 10:00", mql_at=utc(at), **fields)

    mql("D1", "2026-11-18 08:20", first_name="Dora", company="Due AS", owner="Sam Seller")
    mql("D2", "2026-11-18 08:40", first_name="Dag")
    mql("D3", "2026-11-18 07:00", first_name="Ola", owner="Sam Seller")
    mql("D4", "2026-11-18 07:00", first_name="Kari", first_contact_at=utc("2026-11-18 10:00"))
    mql("D5", "2026-11-10 07:00", first_name="Per")
    for i, day in enumerate((2, 5, 9, 16)):
        lead(f"S{i}", "2026-10-01 10:00", sql_at=utc(f"2026-11-{day:02d} 10:00"))
    for key, title, owner, due, status in [
        ("A1", "Call the webinar no-shows", "sam", date(2026, 11, 19), "open"),
        ("A2", "Fix the *pricing* form", "sam", date(2026, 11, 17), "open"),
        ("A3", "Old promise", "sam", date(2026, 11, 16), "open"),
        ("A4", "Done already", "sam", date(2026, 11, 19), "done"),
        ("A5", "The cast's action", "cast", date(2026, 11, 19), "open"),
    ]:
        row = Action(title=title, owner=owner, due_date=due, status=status, created_by="ada",
                     created_at=utc("2026-11-02 09:00"))  # fmt: skip
        s.add(row)
        s.commit()
        ids[key] = row.id
    return ids


@pytest.fixture
def data(engine):
    with Session(engine) as s:
        add_people(s, "http://127.0.0.1:9/sales", "http://127.0.0.1:9/marketing")
        return add_dataset(s)


def notices_of(rule, engine, now=NOW):
    with Session(engine) as s:
        return [(n.kind, n.subject_key, n.recipient) for n in rule(s, now)]


def by_key(rule, engine, now=NOW):
    with Session(engine) as s:
        return {n.subject_key: n for n in rule(s, now)}


# --- each rule: exactly these notices -----------------------------------------------------


def test_hot_leads_go_to_their_owner_or_the_sales_team(engine, data):
    assert sorted(notices_of(hot_lead_notices, engine)) == sorted(
        [
            ("hot_lead", f"lead:{data['H1']}:hot:2026-11-18T11:55:00Z", "sam"),
            ("hot_lead", f"lead:{data['H2']}:hot:2026-11-18T11:00:00Z", "team:sales"),
            ("hot_lead", f"lead:{data['H3']}:hot:2026-11-18T10:00:00Z", "team:sales"),
            ("hot_lead", f"lead:{data['H5']}:hot:2026-11-18T11:30:00Z", "sue"),
        ]
    )
    found = by_key(hot_lead_notices, engine)
    message = found[f"lead:{data['H1']}:hot:2026-11-18T11:55:00Z"].message
    assert message.subject == "Hot lead: Eve Example is back"
    assert message.text.splitlines() == [
        "**Eve Example** (Acme) is back — back after 29 days.",
        "Download: Pricing guide at Wed 18 Nov 2026 12:55.",
        "",
        "Last activities:",
        "- Wed 18 Nov 2026 12:55 Download: Pricing guide",
        "- Tue 20 Oct 2026 12:00 Page view: /pricing",
    ]
    assert dict(message.facts) == {
        "Company": "Acme",
        "What they did": "Download",
        "When": "Wed 18 Nov 2026 12:55",
        "Why hot": "back after 29 days",
        "Campaign": "Webinar Q4",
        "Owner": "Sam Seller",
    }
    assert message.link == f"{PUBLIC}/leads?lead={data['H1']}"


def test_a_name_from_the_data_cannot_become_a_link(engine, data):
    found = by_key(hot_lead_notices, engine)
    message = found[f"lead:{data['H3']}:hot:2026-11-18T10:00:00Z"].message
    first = message.text.splitlines()[0]
    assert first.startswith(r"**\[x\]\(http://evil.example\)** is back")
    assert "](" not in first
    assert md_unescape(md_escape("[x](http://evil.example)")) == "[x](http://evil.example)"
    assert md_escape("- **a**\nb") == r"\- \*\*a\*\* b"


def test_each_channel_shows_the_escaped_name_as_text(engine, data):
    from smarketing.notify.chat import slack_payload, teams_payload
    from smarketing.notify.smtp import email_html, email_text

    found = by_key(hot_lead_notices, engine)
    message = found[f"lead:{data['H3']}:hot:2026-11-18T10:00:00Z"].message
    slack = slack_payload(message)["blocks"][1]["text"]["text"]
    assert slack.startswith("*[x](http://evil.example)* is back")  # mrkdwn links are <…|…>
    assert "\\" not in slack
    card = teams_payload(message)["attachments"][0]["content"]["body"]
    assert card[1]["text"].startswith(r"**\[x\]\(http://evil.example\)** is back")
    assert card[0]["text"] == r"Hot lead: \[x\]\(http://evil.example\) is back"
    html = email_html(message)
    assert "<strong>[x](http://evil.example)</strong> is back" in html
    assert 'href="http://evil.example' not in html
    assert email_text(message).startswith("**[x](http://evil.example)** is back")


def test_a_later_return_is_another_message(engine, data):
    with Session(engine) as s:
        job.run(engine, now=NOW, rules=[hot_lead_notices], send=lambda *a, **k: None)
        # H1 silent again for 20 days, then back: a new moment, a new key
        activity(s, data["H1"], "page_view", "2026-12-08 09:00")
    later = datetime(2026, 12, 8, 9, 3, tzinfo=UTC)
    assert notices_of(hot_lead_notices, engine, later) == [
        ("hot_lead", f"lead:{data['H1']}:hot:2026-12-08T09:00:00Z", "sam")
    ]
    result = job.run(engine, now=later, rules=[hot_lead_notices], send=lambda *a, **k: None)
    assert result.queued == 1


def test_contact_deadlines(engine, data):
    found = by_key(contact_deadline_notices, engine)
    assert sorted((n.subject_key, n.recipient) for n in found.values()) == sorted(
        [
            (f"lead:{data['D1']}:deadline:2026-11-18T12:20Z:soon", "sam"),
            (f"lead:{data['D3']}:deadline:2026-11-18T11:00Z:passed", "team:sales"),
        ]
    )
    soon = found[f"lead:{data['D1']}:deadline:2026-11-18T12:20Z:soon"].message
    assert soon.subject == "Contact Dora by 13:20: first-contact deadline"
    assert "**Wed 18 Nov 2026 13:20** (20 minutes after this reminder" in soon.text
    assert soon.link == f"{PUBLIC}/leads?lead={data['D1']}"
    passed = found[f"lead:{data['D3']}:deadline:2026-11-18T11:00Z:passed"].message
    assert passed.subject == "Overdue MQL: Ola was not contacted in time"
    assert "1.0 h ago" in passed.text and "Owner: Sam Seller" in passed.text
    # 21 minutes later D2's deadline (12:40) is within 30 minutes
    later = notices_of(contact_deadline_notices, engine, NOW + timedelta(minutes=21))
    assert ("contact_deadline", f"lead:{data['D2']}:deadline:2026-11-18T12:40Z:soon",
            "team:sales") in later  # fmt: skip


def test_sla_at_risk_goes_to_the_teams_that_own_the_metric(engine, data):
    assert sorted(notices_of(sla_at_risk_notices, engine)) == [
        ("sla_at_risk", "sla:customers:month:2026-11-01", "team:marketing"),
        ("sla_at_risk", "sla:customers:month:2026-11-01", "team:sales"),
        ("sla_at_risk", "sla:mqls_delivered:month:2026-11-01", "team:marketing"),
    ]
    found = by_key(sla_at_risk_notices, engine)
    message = found["sla:mqls_delivered:month:2026-11-01"].message
    assert dict(message.facts) == {
        "Period": "November 2026",
        "So far": "5",
        "Target": "12",
        "Forecast": "8.3",
        "Needed per day": "0.58",
    }
    assert "**0.58 a day**" in message.text
    assert message.link == f"{PUBLIC}/sla"
    # Sat 14 Nov: before the middle of November (month not judged), 6/7 of week 46 —
    # MQLs 1 (D5) → forecast 1.17 < 2.8; SQLs 1 → 1.17, not below 5·7/30 = 1.17;
    # customers 0 < 0.47
    assert sorted(notices_of(sla_at_risk_notices, engine, utc("2026-11-14 12:00"))) == [
        ("sla_at_risk", "sla:customers:week:2026-11-09", "team:marketing"),
        ("sla_at_risk", "sla:customers:week:2026-11-09", "team:sales"),
        ("sla_at_risk", "sla:mqls_delivered:week:2026-11-09", "team:marketing"),
    ]


def test_action_reminders(engine, data):
    found = by_key(action_reminder_notices, engine)
    assert sorted((n.kind, n.subject_key, n.recipient) for n in found.values()) == [
        ("action_due", f"action:{data['A1']}:due:2026-11-19", "sam"),
        ("action_overdue", f"action:{data['A2']}:overdue:2026-11-17", "sam"),
    ]
    overdue = found[f"action:{data['A2']}:overdue:2026-11-17"].message
    assert overdue.subject == "Overdue: Fix the *pricing* form"
    assert r"**Fix the \*pricing\* form**" in overdue.text


def test_the_weekly_digest_on_monday_morning(engine, data):
    assert notices_of(action_digest_notices, engine) == []  # a Wednesday
    monday_early = utc("2026-11-23 06:59")  # 07:59 in Oslo
    assert notices_of(action_digest_notices, engine, monday_early) == []
    monday = utc("2026-11-23 07:00")  # 08:00 in Oslo
    [notice] = by_key(action_digest_notices, engine, monday).values()
    assert (notice.kind, notice.subject_key, notice.recipient) == (
        "action_digest",
        "actions:sam:week:2026-W48",
        "sam",
    )
    assert notice.message.subject == "Your open actions, week 48 2026: 3 (3 overdue)"
    assert notice.message.text.splitlines()[2:] == [
        r"- Old promise (due Mon 16 Nov 2026) — **7 days overdue**",
        r"- Fix the \*pricing\* form (due Tue 17 Nov 2026) — **6 days overdue**",
        r"- Call the webinar no-shows (due Thu 19 Nov 2026) — **4 days overdue**",
    ]


def test_the_owner_is_matched_to_one_enabled_user(engine, data):
    from smarketing.notify.recipients import owner_username

    with Session(engine) as s:
        s.add(User(username="dup1", name="Kim Twin", email="k1@example.com", password_hash="x"))
        s.add(User(username="dup2", name="kim twin", email="k2@example.com", password_hash="x"))
        s.add(User(username="gone", name="Gone Person", email="g@example.com",
                   password_hash="x", disabled=True))  # fmt: skip
        s.commit()
        assert owner_username(s, "  sam seller ") == "sam"  # by name, without case
        assert owner_username(s, "SAM") == "sam"  # by username
        assert owner_username(s, "Sam@Example.com") == "sam"  # by e-mail
        assert owner_username(s, "Kim Twin") is None  # two people share the name
        assert owner_username(s, "Gone Person") is None  # disabled
        assert owner_username(s, "") is None and owner_username(s, None) is None


def test_the_rules_are_in_the_job():
    for rule in (
        hot_lead_notices,
        contact_deadline_notices,
        sla_at_risk_notices,
        action_reminder_notices,
        action_digest_notices,
    ):
        assert rule in job.RULES


# --- delivered: a local SMTP server and a webhook receiver ---------------------------------


class Mailbox:
    def __init__(self) -> None:
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 OK"

    def messages(self):
        return [email.message_from_bytes(e.content, policy=policy.default) for e in self.envelopes]


@pytest.fixture
def smtp(monkeypatch):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    monkeypatch.setenv("SMARKETING_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SMARKETING_SMTP_PORT", str(port))
    monkeypatch.setenv("SMARKETING_SMTP_SECURITY", "none")
    monkeypatch.setenv("SMARKETING_SMTP_FROM", SENDER)
    yield box
    controller.stop()


@pytest.fixture
def live(engine, httpserver):
    httpserver.expect_request("/sales", method="POST").respond_with_data("ok")
    httpserver.expect_request("/marketing", method="POST").respond_with_data("ok")
    with Session(engine) as s:
        add_people(s, httpserver.url_for("/sales"), httpserver.url_for("/marketing"))
        ids = add_dataset(s)
    return ids


def received(httpserver) -> list[tuple[str, str, str]]:
    out = []
    for request, _ in httpserver.log:
        body = json.loads(request.get_data())
        out.append((request.path, body["kind"], body["subject"]))
    return sorted(out)


EXPECTED_MAIL = [
    ("sam@example.com", "Contact Dora by 13:20: first-contact deadline"),
    ("sam@example.com", "Due tomorrow: Call the webinar no-shows"),
    ("sam@example.com", "Hot lead: Eve Example is back"),
    ("sam@example.com", "Overdue: Fix the *pricing* form"),
]
EXPECTED_HOOKS = [
    ("/marketing", "sla_at_risk", "SLA at risk: Customers forecast below target (November 2026)"),
    ("/marketing", "sla_at_risk",
     "SLA at risk: MQLs delivered forecast below target (November 2026)"),
    ("/sales", "contact_deadline", "Overdue MQL: Ola was not contacted in time"),
    ("/sales", "hot_lead", "Hot lead: Nils is back"),
    ("/sales", "hot_lead", "Hot lead: [x](http://evil.example) is back"),
    ("/sales", "sla_at_risk", "SLA at risk: Customers forecast below target (November 2026)"),
]  # fmt: skip


def test_the_job_delivers_exactly_these_messages_once(engine, live, smtp, httpserver):
    first = job.run(engine, now=NOW)
    assert first.dispatch.sent == len(EXPECTED_MAIL) + len(EXPECTED_HOOKS)
    mails = sorted((m["To"], m["Subject"]) for m in smtp.messages())
    assert mails == EXPECTED_MAIL
    assert received(httpserver) == EXPECTED_HOOKS
    hot = next(m for m in smtp.messages() if m["Subject"].startswith("Hot lead"))
    html = hot.get_body(("html",)).get_content()
    assert f'href="{PUBLIC}/leads?lead={live["H1"]}"' in html
    assert "<strong>Eve Example</strong> (Acme) is back" in html
    plain = hot.get_body(("plain",)).get_content()
    assert "Download: Pricing guide" in plain and "Campaign: Webinar Q4" in plain
    # sue opted out of hot leads: her row is skipped, nothing sent
    with Session(engine) as s:
        sue = s.exec(select(Notification).where(Notification.recipient == "sue")).all()
    assert [(n.kind, n.status) for n in sue] == [("hot_lead", "skipped")]
    # the next run (and the one after) finds the same things and sends nothing new
    for minute in (1, 2):
        again = job.run(engine, now=NOW + timedelta(minutes=minute))
        assert again.queued == 0 and again.dispatch.sent == 0
    assert len(smtp.envelopes) == len(EXPECTED_MAIL)
    assert len(httpserver.log) == len(EXPECTED_HOOKS)


def test_quiet_hours_delay_a_hot_lead_until_morning(engine, live, smtp, httpserver):
    job.run(engine, now=NOW)
    smtp.envelopes.clear()
    httpserver.clear_log()
    with Session(engine) as s:
        activity(s, live["H1"], "download", "2026-12-10 20:30", "Case study")  # 21:30 Oslo
    night = utc("2026-12-10 20:32")
    result = job.run(engine, now=night, rules=[hot_lead_notices])
    assert [(o.kind, o.recipient, o.result) for o in result.dispatch.outcomes] == [
        ("hot_lead", "sam", "delayed")
    ]
    assert result.dispatch.outcomes[0].due_at == utc("2026-12-11 06:00")  # 07:00 Oslo
    assert smtp.envelopes == []
    assert job.run(engine, now=utc("2026-12-11 05:59"), rules=[]).dispatch.sent == 0
    morning = job.run(engine, now=utc("2026-12-11 06:00"), rules=[hot_lead_notices])
    assert morning.queued == 0 and morning.dispatch.sent == 1
    assert [m["Subject"] for m in smtp.messages()] == ["Hot lead: Eve Example is back"]
    assert "Case study" in smtp.messages()[0].get_body(("plain",)).get_content()


def test_a_dry_run_also_shows_what_would_not_go_out(engine, data):
    with Session(engine) as s:
        s.delete(s.get(TeamChannel, "marketing"))
        s.commit()
    result = job.dry_run(engine, now=NOW)
    held = sorted(
        (o.result, o.kind, o.recipient, o.error.split(":")[0])
        for o in result.dispatch.outcomes
        if o.result in ("failed", "skipped")
    )
    assert held == [
        ("failed", "sla_at_risk", "team:marketing", "no channel is set for the marketing team"),
        ("failed", "sla_at_risk", "team:marketing", "no channel is set for the marketing team"),
        ("skipped", "hot_lead", "sue", "opted out of Hot leads (a lead of mine came back)"),
    ]
    assert result.dispatch.count("would_send") == 8  # 4 e-mails to sam, 4 to team:sales
    with Session(engine) as s:
        assert s.exec(select(Notification)).all() == []  # nothing written


def test_nothing_is_sent_about_the_demo_companys_leads_or_figures(engine):
    """The generated company's hot leads, deadlines and SLA figures are nobody's: while it
    is in the database, the lead and SLA rules queue nothing (its meetings and actions have
    no user as owner or attendee either)."""
    from smarketing.demo import build_demo
    from smarketing.notify.rules_leads import hot_lead_notices
    from smarketing.notify.rules_sla import contact_deadline_notices, sla_at_risk_notices
    from tests.conftest import NOW

    build_demo(engine, leads=600, months=2, now=NOW, seed=3)
    with Session(engine) as s:
        for rule in (hot_lead_notices, contact_deadline_notices, sla_at_risk_notices):
            assert rule(s, NOW) == [], rule.__name__
