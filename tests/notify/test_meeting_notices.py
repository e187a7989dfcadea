"""The meeting's pre-read and minutes: who gets them, when, once; the scorecard picture is
a real PNG of the scorecard; the e-mail through a local aiosmtpd on 127.0.0.1 and the real
SMTP channel carries the red metrics, the open actions and the inline picture.

The story (clock fixed, Oslo time): Maria facilitates the weekly meeting of Monday 16 Nov
2026 (attendees Maria, Sam, Olav — a person of the demo's cast, no account — and the guest
Gina); it agrees three actions (Sam: "Fix the round-robin routing", due Fri 20 Nov; Maria:
"Publish the webinar brief", due Fri 27 Nov; Kari: "Call the partners", due 25 Nov, marked
done before the next meeting) and closes at 13:00, which plans the next one for Monday
23 Nov (attendees Maria, Sam, Kari, Olav, Gina). Meetings start at 09:00 (08:00 UTC); the
pre-read goes 18 hours before: from Sunday 22 Nov 15:00 Oslo (14:00 UTC).

The SLA data is tests/factories.py's hand-made dataset (agreement v1: 12 MQLs a month). Its
week 47 (16–22 Nov) has no MQL (L5 and L7 are 15 Nov, L1–L4 and L9 earlier): 0 MQLs
against a week's target of 12 × 7 / 30 = 2.8, the week over — off track (✖). Maria
recorded the cause "The webinar moved to December" for it.
"""

from __future__ import annotations

import asyncio
import email
import io
import socket
import struct
from datetime import UTC, date, datetime, timedelta
from email import policy

import pytest
from aiosmtpd.controller import Controller
from sqlmodel import Session, select

from smarketing.auth import people
from smarketing.auth.permissions import Actor
from smarketing.charts import STATUS_COLOURS
from smarketing.meetings import actions, attendance, closing, planning, records, running
from smarketing.notify import job, pre_read, rules_meetings
from smarketing.notify.pre_read import RenderError, email_chart_spec, remote_references
from smarketing.notify.rules_meetings import minutes_rule, pre_read_rule
from smarketing.sla import causes
from smarketing.sla.periods import period_containing
from smarketing.store.models import Meeting, Notification, User
from tests.factories import add_sla_dataset

MARIA = Actor.of("maria", {"marketing"})
NOV_16, NOV_23 = date(2026, 11, 16), date(2026, 11, 23)
CLOSED_AT = datetime(2026, 11, 16, 12, 0, tzinfo=UTC)  # 13:00 in Oslo
#: Sunday 22 Nov 15:30 in Oslo: inside the pre-read window of Monday's 09:00 meeting.
IN_WINDOW = datetime(2026, 11, 22, 14, 30, tzinfo=UTC)
PUBLIC = "https://smarketing.example.com"
SENDER = "Smarketing <noreply@smarketing.example.com>"
USERS = (("maria", "Maria Moe"), ("sam", "Sam Solberg"), ("kari", "Kari Nilsen"))


@pytest.fixture(autouse=True)
def settings(monkeypatch):
    for name in ("HOST", "PORT", "SECURITY", "USER", "PASSWORD", "FROM"):
        monkeypatch.delenv(f"SMARKETING_SMTP_{name}", raising=False)
    for name in ("SMARKETING_PREREAD_HOURS", "SMARKETING_MEETING_TIME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SMARKETING_PUBLIC_URL", PUBLIC)


@pytest.fixture
def story(engine):
    """The two meetings of the module's docstring; returns (week 46's id, week 47's id)."""
    with Session(engine, expire_on_commit=False) as s:
        for username, name in USERS:
            s.add(
                User(
                    username=username,
                    name=name,
                    email=f"{username}@example.com",
                    roles="marketing" if username == "maria" else "sales",
                    password_hash="x",
                )
            )
        people.store_cast(s, {"olav": "Olav Olsen"})
        s.commit()
        add_sla_dataset(s)
        w46 = planning.create_meeting(
            s, actor=MARIA, kind="weekly", held_on=NOV_16, now=CLOSED_AT - timedelta(days=7)
        )
        attendance.set_attendees(
            s, actor=MARIA, meeting_id=w46.id, usernames=["maria", "sam", "olav"], guests=["Gina"]
        )
        made = {}
        for title, owner, due in (
            ("Fix the round-robin routing", "sam", date(2026, 11, 20)),
            ("Publish the webinar brief", "maria", date(2026, 11, 27)),
            ("Call the partners", "kari", date(2026, 11, 25)),
        ):
            made[owner] = actions.add_action(
                s,
                actor=MARIA,
                title=title,
                owner=owner,
                due_date=due,
                meeting_id=w46.id,
                today=NOV_16,
                now=CLOSED_AT - timedelta(hours=1),
            )
        closing.close_meeting(s, actor=MARIA, meeting_id=w46.id, now=CLOSED_AT)
        actions.set_action_status(
            s,
            actor=MARIA,
            action_id=made["kari"].id,
            status="done",
            now=CLOSED_AT + timedelta(days=2),
        )
        w47 = records.next_meeting(s, today=date(2026, 11, 17))
        assert (w47.held_on, w47.facilitator) == (NOV_23, "maria")
        attendance.set_attendees(
            s,
            actor=MARIA,
            meeting_id=w47.id,
            usernames=["maria", "sam", "kari", "olav"],
            guests=["Gina"],
        )
        causes.record_cause(
            s,
            actor=MARIA,
            metric="mqls_delivered",
            period=period_containing("week", date(2026, 11, 22)),
            category="Lead volume",
            text="The webinar moved to December",
            now=IN_WINDOW - timedelta(hours=2),
        )
        return w46.id, w47.id


def notices_of(engine, rule, now):
    with Session(engine) as s:
        return rule(s, now)


def notification_rows(engine) -> list[Notification]:
    with Session(engine) as s:
        return list(s.exec(select(Notification).order_by(Notification.id)).all())


# --- a small PNG reader -------------------------------------------------------------------------


def ihdr_size(png: bytes) -> tuple[int, int]:
    """Width and height from the PNG's first chunk (IHDR), as the file says them."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    length, kind = struct.unpack(">I4s", png[8:16])
    assert (length, kind) == (13, b"IHDR")
    return struct.unpack(">II", png[16:24])


def colours(png: bytes):
    """The decoded image (Pillow, which Streamlit brings) and its set of RGB colours."""
    from PIL import Image

    image = Image.open(io.BytesIO(png))
    image.load()
    rgb = image.convert("RGB")
    return image, {c for _, c in rgb.getcolors(maxcolors=1 << 20)}


def hex_rgb(text: str) -> tuple[int, int, int]:
    text = text.lstrip("#")
    return tuple(int(text[i : i + 2], 16) for i in (0, 2, 4))


# --- the pre-read ------------------------------------------------------------------------------


def test_the_pre_read_goes_to_each_user_attendee_once_and_not_to_guests(story, engine):
    _, w47 = story
    notices = notices_of(engine, pre_read_rule, IN_WINDOW)
    # Maria (facilitator) and the user attendees; Olav (no account) and Gina (a guest) get
    # nothing: they have no address in the app.
    assert [n.recipient for n in notices] == ["maria", "sam", "kari"]
    assert {(n.kind, n.subject_key) for n in notices} == {("pre_read", f"meeting:{w47}:2026-11-23")}
    assert len({id(n.message) for n in notices}) == 1  # built (and drawn) once

    first = job.queue_notices(engine, now=IN_WINDOW, rules=[pre_read_rule])
    again = job.queue_notices(engine, now=IN_WINDOW + timedelta(minutes=1), rules=[pre_read_rule])
    assert (first.queued, again.noticed, again.queued) == (3, 0, 0)
    assert [r.recipient for r in notification_rows(engine)] == ["maria", "sam", "kari"]


def test_the_pre_read_text_holds_red_metrics_causes_actions_agenda_and_link(story, engine):
    _, w47 = story
    message = notices_of(engine, pre_read_rule, IN_WINDOW)[0].message
    assert message.subject == "Pre-read: Weekly smarketing — week 48 · Mon 23 Nov 2026"
    text = message.text
    assert "Monday 23 November 2026, 09:00 (Europe/Oslo)" in text
    # week 47: 0 MQLs against 12 × 7 / 30 = 2.8, the week over: off track, with its cause
    assert (
        "✖ **Marketing · MQLs delivered** · week 47 2026: 0, target 2.8 (off track)\n"
        "- Lead volume: The webinar moved to December (Maria Moe)"
    ) in text
    # open actions, overdue (due before the meeting's day) first; the done one is not there
    assert (
        "- **Overdue** · Fix the round-robin routing — Sam Solberg, due 20 Nov 2026\n"
        "- Publish the webinar brief — Maria Moe, due 27 Nov 2026"
    ) in text
    assert "**Open actions** (2, 1 overdue)" in text
    assert "Call the partners" not in text
    with Session(engine) as s:
        steps = records.agenda_of(s.get(Meeting, w47))
    for i, step in enumerate(steps, start=1):
        assert f"- {i}. {step['title']} · {step['minutes']} min" in text
    assert message.link == f"{PUBLIC}/meeting_mode?meeting={w47}"
    facts = dict(message.facts)
    assert facts["Attendees"] == "Maria Moe, Sam Solberg, Kari Nilsen, Olav Olsen, Gina (guest)"
    assert facts["Open actions"] == "2 (1 overdue)"
    assert facts["Scorecard"] == "counted up to and including Sunday 22 November 2026"


def test_the_pre_read_picture_is_a_png_of_the_scorecard(story, engine):
    message = notices_of(engine, pre_read_rule, IN_WINDOW)[0].message
    png = message.image_png
    width, height = ihdr_size(png)
    image, found = colours(png)
    assert (image.format, image.size) == ("PNG", (width, height))
    # the fixed e-mail width; 7 metric rows of 40 px plus the headings
    assert width == pre_read.EMAIL_WIDTH
    assert 7 * pre_read.EMAIL_ROW_HEIGHT < height < 7 * pre_read.EMAIL_ROW_HEIGHT + 120
    assert len(found) > 2  # not blank
    assert (255, 255, 255) in found  # the white background
    # the off-track cell's red and the on-track cells' green are drawn
    assert hex_rgb(STATUS_COLOURS["red"]) in found
    assert hex_rgb(STATUS_COLOURS["green"]) in found
    # the picture in words, as drawn: week 47 three ✖ and four "—"; November four ✖, one
    # ▲ (acceptance 75 % against 80 %), two ✔
    assert message.image_alt == (
        "SLA scorecard of week 47 2026 and November 2026 (so far), one row per metric. "
        "Week 47 2026: 3 off track (MQLs delivered, SQLs, Customers), 4 no data. "
        "November 2026 (so far): 4 off track (MQLs delivered, Contacted in time, SQLs, "
        "Customers), 1 at risk (MQL acceptance), 2 on track."
    )


def test_the_scorecard_spec_is_the_pages_chart_with_nothing_remote(story, engine):
    with Session(engine) as s:
        meeting = s.get(Meeting, story[1])
        reports = pre_read.scorecard_reports(s, meeting, now=IN_WINDOW)
    spec = email_chart_spec(reports)
    assert remote_references(spec) == []
    assert (spec["width"], spec["background"]) == (pre_read.EMAIL_WIDTH, "#ffffff")
    assert [layer["mark"]["type"] for layer in spec["layer"]] == ["rect", "text"]
    with pytest.raises(RenderError, match=r"data\.url"):
        pre_read.render_png({"data": {"url": "https://example.com/x.csv"}, "mark": "point"})
    with pytest.raises(RenderError, match=r"usermeta\.font"):
        pre_read.render_png({"usermeta": {"font": "https://fonts.example.com/a.woff2"}})


def test_a_picture_that_cannot_be_drawn_leaves_the_pre_read_without_it(story, engine, monkeypatch):
    import vl_convert

    def broken(*args, **kwargs):
        raise ValueError("Vega-Lite to PNG conversion failed")

    monkeypatch.setattr(vl_convert, "vegalite_to_png", broken)
    notices = notices_of(engine, pre_read_rule, IN_WINDOW)
    assert [n.recipient for n in notices] == ["maria", "sam", "kari"]
    message = notices[0].message
    assert message.image_png is None and message.image_alt == ""
    assert "(The scorecard picture could not be drawn this time;" in message.text
    assert "Fix the round-robin routing" in message.text


@pytest.mark.parametrize(
    ("now", "why"),
    [
        (datetime(2026, 11, 22, 13, 59, tzinfo=UTC), "a minute before 18 hours ahead"),
        (datetime(2026, 11, 22, 14, 0, tzinfo=UTC), None),  # 15:00 Sunday: it goes
        (datetime(2026, 11, 23, 7, 59, tzinfo=UTC), None),  # a minute before it starts
        (datetime(2026, 11, 23, 8, 0, tzinfo=UTC), "the meeting has started"),
        (datetime(2026, 11, 18, 12, 0, tzinfo=UTC), "five days ahead"),
    ],
)
def test_a_meeting_outside_the_window_gets_nothing(story, engine, now, why):
    got = [n.recipient for n in notices_of(engine, pre_read_rule, now)]
    assert got == ([] if why else ["maria", "sam", "kari"])


def test_the_window_follows_the_configured_hours_and_start(story, engine, monkeypatch):
    monkeypatch.setenv("SMARKETING_PREREAD_HOURS", "48")
    saturday = datetime(2026, 11, 21, 8, 30, tzinfo=UTC)  # 09:30 Sat, 47.5 h ahead
    assert len(notices_of(engine, pre_read_rule, saturday)) == 3
    monkeypatch.setenv("SMARKETING_PREREAD_HOURS", "18")
    monkeypatch.setenv("SMARKETING_MEETING_TIME", "14:00")  # 13:00 UTC; from 19:00 UTC Sun
    assert notices_of(engine, pre_read_rule, IN_WINDOW) == []
    assert len(notices_of(engine, pre_read_rule, datetime(2026, 11, 22, 19, 0, tzinfo=UTC))) == 3


def test_a_meeting_started_early_gets_no_pre_read(story, engine):
    with Session(engine) as s:
        running.start_meeting(
            s, actor=MARIA, meeting_id=story[1], now=IN_WINDOW, on_another_day=True
        )
    assert notices_of(engine, pre_read_rule, IN_WINDOW + timedelta(minutes=1)) == []


def test_someone_added_in_the_window_gets_it_at_the_next_run(story, engine):
    job.queue_notices(engine, now=IN_WINDOW, rules=[pre_read_rule])
    with Session(engine) as s:
        s.add(User(username="lea", name="Lea L", email="lea@example.com", password_hash="x"))
        s.commit()
        attendance.set_attendees(
            s,
            actor=MARIA,
            meeting_id=story[1],
            usernames=["maria", "sam", "kari", "olav", "lea"],
            guests=["Gina"],
        )
    later = job.queue_notices(engine, now=IN_WINDOW + timedelta(minutes=1), rules=[pre_read_rule])
    assert (later.noticed, later.queued) == (1, 1)
    assert [r.recipient for r in notification_rows(engine)] == ["maria", "sam", "kari", "lea"]


# --- the minutes ---------------------------------------------------------------------------------


def test_closed_meetings_minutes_reach_each_user_attendee_once(story, engine):
    w46, _ = story
    now = CLOSED_AT + timedelta(minutes=1)
    notices = notices_of(engine, minutes_rule, now)
    # Maria and Sam; not Olav (no account) nor the guest Gina
    assert [(n.recipient, n.subject_key) for n in notices] == [
        ("maria", f"meeting:{w46}"),
        ("sam", f"meeting:{w46}"),
    ]
    with Session(engine) as s:
        stored = s.get(Meeting, w46).minutes
    message = notices[0].message
    assert message.text == stored  # the minutes module's Markdown, as written at close
    assert message.subject == "Minutes: Weekly smarketing — week 47"
    assert message.link == f"{PUBLIC}/meeting_mode?meeting={w46}"
    for minute in (0, 1):
        job.queue_notices(engine, now=now + timedelta(minutes=minute), rules=[minutes_rule])
    assert [(r.kind, r.recipient) for r in notification_rows(engine)] == [
        ("minutes", "maria"),
        ("minutes", "sam"),
    ]


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (CLOSED_AT - timedelta(minutes=1), []),  # not closed yet at that time
        (CLOSED_AT + timedelta(days=3), ["maria", "sam"]),
        (CLOSED_AT + timedelta(days=3, minutes=1), []),  # closed too long ago: history
    ],
)
def test_minutes_are_sent_for_recent_closings_only(story, engine, now, expected):
    assert [n.recipient for n in notices_of(engine, minutes_rule, now)] == expected


def test_the_demos_meetings_send_no_minutes(story, engine):
    with Session(engine) as s:
        meeting = s.get(Meeting, story[0])
        meeting.is_demo = True
        s.add(meeting)
        s.commit()
    assert notices_of(engine, minutes_rule, CLOSED_AT + timedelta(minutes=1)) == []


def test_the_job_lists_the_meeting_rules():
    assert rules_meetings.pre_read_rule in job.RULES
    assert rules_meetings.minutes_rule in job.RULES


# --- through SMTP --------------------------------------------------------------------------------


class Mailbox:
    def __init__(self) -> None:
        self.envelopes = []

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    def mails(self) -> dict[str, email.message.EmailMessage]:
        out = {}
        for envelope in self.envelopes:
            [to] = envelope.rcpt_tos
            assert to not in out, f"{to} got two mails"
            out[to] = email.message_from_bytes(envelope.content, policy=policy.default)
        return out


@pytest.fixture
def smtp(monkeypatch):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=port, loop=asyncio.new_event_loop())
    controller.start()
    monkeypatch.setenv("SMARKETING_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SMARKETING_SMTP_PORT", str(port))
    monkeypatch.setenv("SMARKETING_SMTP_SECURITY", "none")
    monkeypatch.setenv("SMARKETING_SMTP_FROM", SENDER)
    yield box
    controller.stop()


def parts(mail):
    """(plain text, HTML, the inline image part or None) of one e-mail."""
    plain = mail.get_body(preferencelist=("plain",)).get_content().replace("\r\n", "\n")
    html = mail.get_body(preferencelist=("html",)).get_content().replace("\r\n", "\n")
    images = [p for p in mail.walk() if p.get_content_type() == "image/png"]
    return plain, html, images[0] if images else None


def test_the_pre_read_email_has_metrics_actions_and_the_inline_picture(story, engine, smtp):
    result = job.run(engine, now=IN_WINDOW, rules=rules_meetings.RULES)
    assert (result.queued, result.dispatch.sent) == (3, 3)
    mails = smtp.mails()
    assert sorted(mails) == ["kari@example.com", "maria@example.com", "sam@example.com"]
    mail = mails["sam@example.com"]
    assert mail["Subject"] == "Pre-read: Weekly smarketing — week 48 · Mon 23 Nov 2026"
    plain, html, image = parts(mail)
    for wanted in (
        "Marketing · MQLs delivered",
        "The webinar moved to December",
        "Fix the round-robin routing",
        "Publish the webinar brief",
    ):
        assert wanted in plain
        assert wanted in html
    assert f"{PUBLIC}/meeting_mode?meeting={story[1]}" in plain
    png = image.get_content()
    assert image["Content-Disposition"].startswith("inline")
    cid = str(image["Content-ID"]).strip().strip("<>")
    assert f'src="cid:{cid}"' in html
    assert ihdr_size(png)[0] == pre_read.EMAIL_WIDTH
    with Session(engine) as s:
        stored = s.exec(select(Notification).where(Notification.recipient == "sam")).one()
    assert (stored.status, stored.attempts) == ("sent", 1)
    # the job again a minute later: nothing new, nothing sent twice
    again = job.run(engine, now=IN_WINDOW + timedelta(minutes=1), rules=rules_meetings.RULES)
    assert (again.queued, again.dispatch.sent, len(smtp.envelopes)) == (0, 0, 3)


def test_the_minutes_email_carries_the_markdown_and_the_link(story, engine, smtp):
    w46, _ = story
    job.run(engine, now=CLOSED_AT + timedelta(minutes=1), rules=rules_meetings.RULES)
    job.run(engine, now=CLOSED_AT + timedelta(minutes=2), rules=rules_meetings.RULES)
    mails = smtp.mails()  # one each, the second run sent nothing
    assert sorted(mails) == ["maria@example.com", "sam@example.com"]
    plain, _, image = parts(mails["maria@example.com"])
    assert image is None
    with Session(engine) as s:
        stored = s.get(Meeting, w46).minutes
    assert stored.strip() in plain
    assert "## Actions review" in plain and "Fix the round-robin routing" in plain
    assert f"Open the minutes: {PUBLIC}/meeting_mode?meeting={w46}" in plain


# --- each attendee's language ------------------------------------------------------------------


def test_the_pre_read_and_the_minutes_are_written_in_each_attendees_language(story, engine):
    """Maria reads Norwegian bokmål (her saved language), Sam and Kari the app default
    (English in the suite): one pre-read built per language, Maria's in Norwegian with
    Norwegian dates — the picture drawn in it too."""
    from smarketing.auth import users

    w46, _w47 = story
    with Session(engine) as s:
        users.set_language(s, actor=MARIA, username="maria", language="nb")
    notices = notices_of(engine, pre_read_rule, IN_WINDOW)
    assert [n.recipient for n in notices] == ["maria", "sam", "kari"]
    norsk, english = notices[0].message, notices[1].message
    assert notices[2].message is english  # one message per language
    assert english.subject == "Pre-read: Weekly smarketing — week 48 · Mon 23 Nov 2026"
    assert norsk.language == "nb" and norsk.image_png is not None
    assert norsk.subject == "Forhåndslesing: Weekly smarketing — week 48 · man. 23. nov. 2026"
    assert "mandag 23. november 2026, 09:00 (Europe/Oslo)." in norsk.text
    assert "**Åpne tiltak** (2, 1 på overtid), de på overtid først" in norsk.text
    assert (
        "- **På overtid** · Fix the round-robin routing — Sam Solberg, frist 20. nov. 2026"
    ) in norsk.text
    facts = dict(norsk.facts)
    assert facts["Deltakere"] == "Maria Moe, Sam Solberg, Kari Nilsen, Olav Olsen, Gina (gjest)"
    assert facts["Åpne tiltak"] == "2 (1 på overtid)"
    assert facts["Resultattavle"] == "talt til og med søndag 22. november 2026"
    assert norsk.link_text == "Åpne møtet"

    minutes = notices_of(engine, minutes_rule, CLOSED_AT + timedelta(minutes=1))
    assert [n.recipient for n in minutes] == ["maria", "sam"]
    norsk, english = minutes[0].message, minutes[1].message
    assert norsk.subject == "Referat: Weekly smarketing — week 47"
    assert dict(norsk.facts)["Dato"] == "mandag 16. november 2026"
    assert norsk.link_text == "Åpne referatet"
    assert english.subject == "Minutes: Weekly smarketing — week 47"
    with Session(engine) as s:
        assert english.text == s.get(Meeting, w46).minutes  # as written at close, in English
