"""Notes in meeting mode survive fast stepping: in a real browser the facilitator types a
note, then steps back and forth quickly with the presenter keys (PageDown/PageUp) 50 times,
typing on some steps; afterwards every note in the database is exactly the last text typed
on its step, and no step got an empty note (issue 13, defect 3)."""

from __future__ import annotations

import re

import pytest
from sqlmodel import Session, select

from scripts.browser_tour import wait_for_cookie
from smarketing.meetings import records
from smarketing.store.db import make_engine
from smarketing.store.models import MeetingNote
from tests.e2e.conftest import PASSWORD, settle
from tests.e2e.test_meeting_mode import (
    STEPS,
    no_focus,
    planned_weekly_meeting,
    start_the_meeting,
)

pytestmark = pytest.mark.browser

HEADING = re.compile(r"Step (\d+) of \d+ · ")
PRESSES = 50


def notes_of(database_url: str, meeting_id: int) -> list[MeetingNote]:
    engine = make_engine(database_url)
    try:
        with Session(engine) as s:
            return list(
                s.exec(select(MeetingNote).where(MeetingNote.meeting_id == meeting_id)).all()
            )
    finally:
        engine.dispose()


def current_step(page) -> int:
    """The step number in the "Step i of n · title" heading."""
    text = page.get_by_role("heading", name=HEADING).first.inner_text(timeout=30000)
    return int(HEADING.search(text).group(1))


def type_note(page, text: str) -> None:
    box = page.get_by_role("textbox", name=re.compile("Your notes on this step"))
    box.fill(text)
    no_focus(page)  # leaving the box saves it, and the remote's keys go to the page again


def test_fast_stepping_never_empties_or_invents_a_note(demo_company_server, browser):
    meeting = planned_weekly_meeting(demo_company_server.database_url)
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    page.goto(demo_company_server.base)
    settle(page)
    page.get_by_label("Username").fill("mia")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Login").click()
    settle(page)
    page.get_by_role("heading", name="Overview").wait_for(timeout=30000)
    wait_for_cookie(context, present=True)  # written after the page shows
    page.goto(f"{demo_company_server.base}/meeting_mode?meeting={meeting.id}")
    settle(page)
    start_the_meeting(page)

    typed: dict[int, str] = {}
    type_note(page, "Step one: the webinar MQLs waited two days.")
    typed[1] = "Step one: the webinar MQLs waited two days."
    page.get_by_text(re.compile("Saved at")).wait_for(timeout=10000)

    forward, pressed, burst = True, 0, 0
    while pressed < PRESSES:
        step = current_step(page)
        if step == len(STEPS):
            forward = False
        elif step == 1:
            forward = True
        page.keyboard.press("PageDown" if forward else "PageUp")
        pressed += 1
        burst += 1
        page.wait_for_timeout(120)
        if burst == 4 or pressed == PRESSES:  # let it settle now and then, and type
            burst = 0
            settle(page)
            step = current_step(page)
            if pressed % 3 == 0 and step != 1:
                text = f"Press {pressed}: a note on step {step}."
                type_note(page, text)
                typed[step] = text
    settle(page)
    page.wait_for_timeout(3000)  # the timer ticks on: any late stale value would land now
    settle(page)
    context.close()

    stored = {n.step: n for n in notes_of(demo_company_server.database_url, meeting.id)}
    keys = [s["key"] for s in records.agenda_of(meeting)]
    expected = {keys[step - 1]: text for step, text in typed.items()}
    found = {step: n.body for step, n in stored.items() if n.author == "mia"}
    assert found == expected
