"""The minutes: every note, decision and action of the meeting, the frozen scorecard, the
attendees and the rating; a meeting not closed yet gets draft minutes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from smarketing import i18n
from smarketing.auth.permissions import Actor
from smarketing.meetings import actions, attendance, closing, notes, planning, records, running
from smarketing.meetings.minutes import minutes_markdown
from smarketing.sla import causes
from smarketing.sla.periods import period_containing
from smarketing.store.models import User
from tests.conftest import NOW
from tests.factories import add_sla_dataset

MARIA = Actor.of("maria", {"marketing"})
SAM = Actor.of("sam", {"sales"})
KARI = Actor.of("kari", {"sales"})
NOV_2, NOV_9, NOV_16 = date(2026, 11, 2), date(2026, 11, 9), date(2026, 11, 16)
AT_2 = datetime(2026, 11, 2, 12, 0, tzinfo=UTC)
AT_9 = datetime(2026, 11, 9, 12, 0, tzinfo=UTC)


@pytest.fixture
def story(session):
    """Week 45 agrees three actions; week 46 reviews them (one done, one dropped, one
    carried), takes notes, two decisions, two new actions and two ratings, and closes;
    week 47 is still planned."""
    for username, name in (("maria", "Maria Moe"), ("sam", "Sam Solberg"), ("kari", "Kari N")):
        session.add(User(username=username, name=name, email="x@x.no", password_hash="x"))
    session.commit()
    add_sla_dataset(session)
    w45 = planning.create_meeting(session, actor=MARIA, kind="weekly", held_on=NOV_2)

    def act(title, owner, due, meeting, today, **kw):
        return actions.add_action(
            session,
            actor=MARIA,
            title=title,
            owner=owner,
            due_date=due,
            meeting_id=meeting.id,
            today=today,
            now=AT_2,
            **kw,
        )

    done = act("Publish the webinar brief", "maria", date(2026, 11, 6), w45, NOV_2)
    dropped = act("Test a shorter form", "kari", date(2026, 11, 6), w45, NOV_2)
    act("Start win/loss interviews", "sam", date(2026, 11, 6), w45, NOV_2)
    w46 = planning.create_meeting(session, actor=SAM, kind="weekly", held_on=NOV_9)
    closing.close_meeting(session, actor=MARIA, meeting_id=w45.id, now=AT_2)

    running.start_meeting(session, actor=SAM, meeting_id=w46.id, now=AT_9)
    for action, outcome, note in (
        (done, "done", "Sent on Thursday"),
        (dropped, "dropped", "The campaign ended"),
    ):
        actions.review_action(
            session,
            actor=SAM,
            action_id=action.id,
            meeting_id=w46.id,
            outcome=outcome,
            note=note,
            now=AT_9,
        )
    for actor, step, body in (
        (MARIA, "scorecard", "MQLs on pace: 7 so far."),
        (SAM, "scorecard", "Two MQLs waited overnight.\nKari covers mornings now."),
        (KARI, "campaigns", "Webinar sign-ups ahead of plan."),
        (SAM, "personas_news", ""),  # an emptied note is no note
    ):
        notes.save_note(
            session,
            actor=actor,
            meeting_id=w46.id,
            step=step,
            body=body,
            expected_revision=None,
            now=AT_9,
        )
    running.add_decision(
        session,
        actor=SAM,
        meeting_id=w46.id,
        text="Round-robin routing",
        decided_by="Maria and Sam",
        decided_on=NOV_9,
        metric="median_first_contact_hours",
    )
    running.add_decision(
        session,
        actor=SAM,
        meeting_id=w46.id,
        text="Keep SLA version 1",
        decided_by="Leadership",
        decided_on=NOV_9,
        sla_version=1,
    )
    act(
        "Route MQLs | round-robin",
        "sam",
        date(2026, 11, 13),
        w46,
        NOV_9,
        metric="median_first_contact_hours",
        period_kind="week",
        period_start=NOV_9,
    )
    act("Tag rejected MQLs", "kari", date(2026, 11, 20), w46, NOV_9)
    attendance.rate_meeting(session, actor=MARIA, meeting_id=w46.id, rating=7)
    attendance.rate_meeting(session, actor=KARI, meeting_id=w46.id, rating=10)
    attendance.set_attendees(
        session, actor=SAM, meeting_id=w46.id, usernames=["maria", "kari"], guests=["Ole Olsen"]
    )
    # "why?" causes: two for the periods week 46 discussed (week 45 and November), one for
    # a week it did not discuss
    for metric, kind, day, text in (
        ("contacted_within_sla_rate", "week", NOV_2, "Kari was on leave; nobody covered."),
        ("mqls_delivered", "month", NOV_2, "The webinar moved to December."),
        ("sqls", "week", date(2026, 10, 26), "Not this meeting's period."),
    ):
        causes.record_cause(
            session,
            actor=SAM,
            metric=metric,
            period=period_containing(kind, day),
            category="Staffing / capacity",
            text=text,
            now=AT_9,
        )
    closing.close_meeting(session, actor=SAM, meeting_id=w46.id, now=AT_9)
    causes.record_cause(  # after the close: not in its minutes
        session,
        actor=SAM,
        metric="sqls",
        period=period_containing("week", NOV_2),
        category="Other",
        text="Recorded a week later.",
        now=AT_9 + timedelta(days=7),
    )
    w47 = records.next_meeting(session, today=NOV_16, kind="weekly")  # planned at the close
    return session, w45, w46, w47


def test_the_minutes_hold_every_note_decision_and_action(story):
    session, _, w46, _ = story
    text = minutes_markdown(session, w46.id)
    assert text == w46.minutes  # what close_meeting stored
    assert text.startswith("# Weekly smarketing — week 46\n")
    assert "draft" not in text.lower()
    for expected in (
        "- **Date:** Monday 9 November 2026",
        "- **Meeting:** weekly smarketing meeting",
        "- **Facilitator:** Sam Solberg",
        "- **Attendees:** Kari N, Maria Moe, Ole Olsen, Sam Solberg",
        "- **Closed:** 2026-11-09 13:00 (Europe/Oslo) by Sam Solberg",
        "As it stood when the meeting closed (2026-11-09 13:00).",
        # notes, with their authors, under their steps
        "### 1. Scorecard\n\n**Maria Moe:** MQLs on pace: 7 so far.\n\n**Sam Solberg:**\n\n"
        "Two MQLs waited overnight.\nKari covers mornings now.\n",
        "### 4. Campaigns\n\n**Kari N:** Webinar sign-ups ahead of plan.",
        "### 5. Personas and product news\n\n_No notes._",
        # decisions with who, when, metric and SLA version
        "1. Round-robin routing — decided by Maria and Sam on 9 Nov 2026 · "
        "metric: Median first contact",
        "2. Keep SLA version 1 — decided by Leadership on 9 Nov 2026 · SLA version 1",
        # the actions review
        "- ✔ Done: Publish the webinar brief — Maria Moe, due 6 Nov 2026. Sent on Thursday",
        "- ✖ Dropped: Test a shorter form — Kari N, due 6 Nov 2026. Reason: The campaign ended",
        "- ↻ Carried over (1×): Start win/loss interviews — Sam Solberg, due 6 Nov 2026 (overdue)",
        # new actions: owner, due date, metric and period (| escaped in the table)
        "| Route MQLs \\| round-robin | Sam Solberg | 13 Nov 2026 | Median first contact | "
        "week 46 2026 |",
        "| Tag rejected MQLs | Kari N | 20 Nov 2026 | – | – |",
        "8.5 / 10 on average from 2 ratings.",
    ):
        assert expected in text, expected
    # notes follow the agenda: scorecard before campaigns before the wrap-up
    assert text.index("### 1. Scorecard") < text.index("### 4. Campaigns") < text.index("Wrap-up")


def test_the_minutes_hold_the_causes_recorded_for_the_periods_discussed(story):
    """Issue 13, defect 5: the "why?" causes recorded in the SLA step are in the minutes."""
    session, _, w46, _ = story
    text = minutes_markdown(session, w46.id)
    assert text == w46.minutes
    section = text.split("## Why? Causes recorded\n\n")[1].split("\n\n## ")[0]
    assert section.splitlines() == [
        "- **Contacted in time** · week 45 2026 — Staffing / capacity: Kari was on leave; "
        "nobody covered. (Sam Solberg)",
        "- **MQLs delivered** · November 2026 — Staffing / capacity: The webinar moved to "
        "December. (Sam Solberg)",
    ]
    assert "Not this meeting's period." not in text and "Recorded a week later." not in text
    assert text.index("## Scorecard") < text.index("## Why? Causes") < text.index("## Notes")


def test_the_minutes_show_the_frozen_scorecard(story):
    session, _, w46, _ = story
    text = minutes_markdown(session, w46.id)
    assert "| Metric | week 45 2026 | November 2026 (so far) |" in text
    assert "SLA version 1 in effect." in text
    assert "**The last 13 weeks** (* = so far)" in text
    assert "| Metric | W33 | W34 |" in text and "| W45 |" in text
    # counted up to Sunday 8 November: week 45 has L1-L4 (2-5 Nov), the month so far also
    # L9 (00:30 on 1 November in Oslo) — see test_sla.py
    assert (
        "| Marketing · MQLs delivered | 4 · target 2.8 · ✔ on track | 5 · target 12 · "
        "✔ on track |" in text
    )


def test_an_open_meeting_gets_draft_minutes(story):
    session, _, _, w47 = story
    notes.save_note(
        session,
        actor=MARIA,
        meeting_id=w47.id,
        step="wrap_up",
        body="Good one",
        expected_revision=None,
        now=NOW,
    )
    text = minutes_markdown(session, w47.id)
    lines = text.splitlines()
    assert lines[0] == "# Weekly smarketing — week 47 (draft)"
    assert lines[2].startswith("> **Draft minutes**: this meeting is not closed yet")
    assert "_The scorecard is frozen when the meeting closes._" in text
    assert "**Maria Moe:** Good one" in text
    # still to review: the action carried over last week, overdue by now
    assert (
        "- ○ To review: Start win/loss interviews — Sam Solberg, due 6 Nov 2026 (overdue), "
        "carried over 1×" in text
    )
    assert "- ○ To review: Route MQLs | round-robin — Sam Solberg, due 13 Nov 2026" in text
    live = minutes_markdown(session, w47.id, now=NOW)
    assert "As it stands now (2026-11-18 13:00); frozen when the meeting closes." in live
    assert "| Metric | week 46 2026 | November 2026 (so far) |" in live


def test_usernames_without_an_account_can_be_named(story):
    session, w45, _, _ = story
    monthly = planning.create_meeting(
        session, actor=MARIA, kind="monthly", held_on=NOV_2, facilitator="erik.s"
    )
    cast = {"erik.s": "Erik Strand", "maria": "Someone Else"}
    assert "- **Facilitator:** erik.s" in minutes_markdown(session, monthly.id)
    assert "- **Facilitator:** Erik Strand" in minutes_markdown(session, monthly.id, people=cast)
    text = minutes_markdown(session, w45.id, people=cast)
    assert "- **Facilitator:** Maria Moe" in text  # a user's own name wins
    assert "_No actions to review._" in text and "_No decisions._" in text
    assert "_No ratings._" in text


def test_the_minutes_in_norwegian(story):
    """Issue 18: the minutes are written in the language speaking when they are produced —
    headings, labels and days the Norwegian way; what people typed stays as typed."""
    session, _, w46, w47 = story
    with i18n.language("nb"):
        text = minutes_markdown(session, w46.id)
        draft = minutes_markdown(session, w47.id)
    assert text.startswith("# Weekly smarketing — week 46\n"), "a title is as it was given"
    for expected in (
        "- **Dato:** mandag 9. november 2026",
        "- **Møte:** ukentlig smarketingmøte",
        "- **Møteleder:** Sam Solberg",
        "- **Lukket:** 2026-11-09 13:00 (Europe/Oslo) av Sam Solberg",
        "## Resultattavle",
        "Slik det sto da møtet ble lukket (2026-11-09 13:00).",
        "SLA-versjon 1 gjelder.",
        "**Siste 13 uker** (* = hittil)",
        "## Hvorfor? Registrerte årsaker",
        "## Notater",
        "### 1. Resultattavle\n\n**Maria Moe:** MQLs on pace: 7 so far.",
        "### 5. Personaer og produktnyheter\n\n_Ingen notater._",
        "### 8. Avslutning",
        "## Beslutninger",
        "1. Round-robin routing — besluttet av Maria and Sam 9. nov. 2026",
        "2. Keep SLA version 1 — besluttet av Leadership 9. nov. 2026 · SLA-versjon 1",
        "## Gjennomgang av tiltak",
        "- ✔ Utført: Publish the webinar brief — Maria Moe, frist 6. nov. 2026. Sent on Thursday",
        "- ✖ Forkastet: Test a shorter form — Kari N, frist 6. nov. 2026. "
        "Begrunnelse: The campaign ended",
        "- ↻ Videreført (1×): Start win/loss interviews — Sam Solberg, frist 6. nov. 2026 "
        "(forfalt)",
        "## Nye tiltak",
        "| Tiltak | Eier | Frist | Måltall | Periode |",
        "| Tag rejected MQLs | Kari N | 20. nov. 2026 | – | – |",
        "## Karakter",
        "8,5 / 10 i snitt fra 2 karakterer.",
    ):
        assert expected in text, expected
    assert "Date:" not in text and "## Notes" not in text
    assert draft.startswith("# Weekly smarketing — week 47 (utkast)\n\n> **Utkast til referat**")
    # the stored minutes keep the language they were written in (English here)
    assert w46.minutes.startswith("# Weekly smarketing — week 46\n")
    assert "- **Date:** Monday 9 November 2026" in w46.minutes
