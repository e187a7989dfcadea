"""Meeting mode on the wall screen, in a real browser at 1280x720: the facilitator walks the
demo's planned weekly meeting with the presenter keys (PageDown) and the Next button, a
screenshot of every step; a note saves when the box is left; the timer ticks; no sidebar."""

from __future__ import annotations

import re
import struct

import pytest
from sqlmodel import Session

from scripts.browser_tour import wait_for_cookie
from smarketing.meetings import records
from smarketing.store.db import make_engine
from tests.e2e.conftest import PASSWORD, settle

pytestmark = pytest.mark.browser

STEPS = [
    "Scorecard",
    "SLA challenges",
    "Lead quality",
    "Campaigns",
    "Personas and product news",
    "Actions review",
    "New actions",
    "Wrap-up",
]
EXCEPTION = '[data-testid="stException"]'
ERROR_ALERT = '[data-testid="stAlertContentError"]'
TIMER = re.compile(r"(\d\d):(\d\d) / \d+ min")


def png_size(path) -> tuple[int, int]:
    """(width, height) from a PNG's header."""
    with open(path, "rb") as f:
        head = f.read(24)
    assert head[:8] == b"\x89PNG\r\n\x1a\n", f"{path} is not a PNG"
    return struct.unpack(">II", head[16:24])


def planned_weekly_meeting(database_url: str):
    engine = make_engine(database_url)
    try:
        with Session(engine) as s:
            [meeting] = [m for m in records.meetings(s, kind="weekly") if m.status == "planned"]
            return meeting
    finally:
        engine.dispose()


def stored_note(database_url: str, meeting_id: int, step: str, author: str) -> str | None:
    engine = make_engine(database_url)
    try:
        with Session(engine) as s:
            note = records.note_of(s, meeting_id=meeting_id, step=step, author=author)
            return note.body if note else None
    finally:
        engine.dispose()


def step_heading(page, number: int):
    title = STEPS[number - 1]
    return page.get_by_role("heading", name=f"Step {number} of {len(STEPS)} · {title}")


def timer_seconds(page) -> int:
    """The step timer on screen, in seconds."""
    shown = page.get_by_text(TIMER).first.inner_text(timeout=10000)
    minutes, seconds = TIMER.search(shown).groups()
    return int(minutes) * 60 + int(seconds)


def to_top(page) -> None:
    """Scroll the page back to its top (Streamlit scrolls its main section, not the window)."""
    page.evaluate(
        """() => {
        const main = '[data-testid="stMain"], [data-testid="stAppViewContainer"]';
        const boxes = [document.scrollingElement, ...document.querySelectorAll(main)];
        boxes.forEach((box) => box && box.scrollTo(0, 0));
        }"""
    )


def start_the_meeting(page) -> None:
    """Press "Start the meeting"; when the demo's meeting is planned for another day than
    the machine's today, say yes to "start it today?"."""
    page.get_by_role("button", name="Start the meeting").click()
    settle(page)
    today = page.get_by_role("button", name="Start it today")
    if today.count():
        today.click()
        settle(page)


def no_focus(page) -> None:
    """Leave any field, as a presenter remote does: its keys go to the page."""
    page.evaluate("document.activeElement && document.activeElement.blur()")


def test_the_facilitator_walks_the_whole_agenda_on_the_wall_screen(
    demo_company_server, browser, tmp_path
):
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
    page.get_by_role("heading", name=meeting.title).wait_for(timeout=30000)
    sidebar = page.locator('section[data-testid="stSidebar"]')
    assert sidebar.count() == 1 and not sidebar.is_visible(), "the sidebar is hidden"
    assert not page.get_by_role("link", name="Overview").is_visible(), "no sidebar navigation"

    # the timer starts with the meeting, then ticks by itself: a second look, a few
    # seconds later, shows more time
    start_the_meeting(page)
    settle(page)
    to_top(page)
    # the whole scorecard (all seven rows) is on the 1280x720 screen without scrolling
    scorecard = page.locator('[data-testid="stVegaLiteChart"]').first.bounding_box()
    assert scorecard and scorecard["y"] >= 0, scorecard
    assert scorecard["y"] + scorecard["height"] <= 720, f"the scorecard ends at {scorecard}"
    page.get_by_text("running").first.wait_for(timeout=10000)
    first = timer_seconds(page)
    page.wait_for_timeout(2500)
    later = [timer_seconds(page)]
    while later[-1] < first + 2 and len(later) < 20:  # a busy machine may lag a tick
        page.wait_for_timeout(500)
        later.append(timer_seconds(page))
    assert later[-1] >= first + 2, (first, later)

    # a note saves when the box is left (Tab), no save button
    box = page.get_by_role("textbox", name=re.compile("Your notes on this step"))
    box.fill("The webinar MQLs waited two days for a first call.")
    box.press("Tab")
    settle(page)
    page.get_by_text(re.compile("Saved at")).wait_for(timeout=10000)
    body = stored_note(demo_company_server.database_url, meeting.id, "scorecard", "mia")
    assert body == "The webinar MQLs waited two days for a first call."

    shots = []
    for number in range(1, len(STEPS) + 1):
        step_heading(page, number).wait_for(timeout=30000)
        settle(page)
        assert page.locator(EXCEPTION).count() == 0, f"an exception on step {number}"
        assert page.locator(ERROR_ALERT).count() == 0, f"an error on step {number}"
        assert page.get_by_text("Traceback").count() == 0
        assert not page.locator('section[data-testid="stSidebar"]').is_visible()
        to_top(page)
        where = step_heading(page, number).bounding_box()
        assert where and 0 <= where["y"] < 720 - where["height"], "the step title is on screen"
        shot = tmp_path / f"step-{number}-{STEPS[number - 1].lower().replace(' ', '-')}.png"
        page.screenshot(path=str(shot))
        shots.append(shot)
        if number == len(STEPS):
            break
        if number % 2:  # the presenter remote's key
            no_focus(page)
            page.keyboard.press("PageDown")
        else:
            page.get_by_role("button", name="Next ▶").click()

    assert page.get_by_role("button", name="Next ▶").is_disabled()
    no_focus(page)
    page.keyboard.press("PageUp")  # and back one step with the remote
    step_heading(page, len(STEPS) - 1).wait_for(timeout=30000)
    context.close()

    for shot in shots:
        assert png_size(shot) == (1280, 720), shot
        assert shot.stat().st_size > 10_000, f"{shot} looks empty"
