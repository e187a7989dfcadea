"""Meeting mode for the wall screen: large type and high contrast, no sidebar, one agenda step
per screen with previous/next (PageUp/PageDown, as a presenter remote sends) and a timer per
step against its planned minutes."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import streamlit as st
from sqlalchemy.engine import Engine

from smarketing import meetings
from smarketing.errors import NotFound
from smarketing.models import Meeting
from smarketing.permissions import Actor, allowed
from smarketing.safe_text import safe_markdown as safe
from smarketing.ui import meeting_notes, meeting_steps, meeting_timer, widgets
from smarketing.ui.resources import session

#: Projector styling: bigger type, stronger contrast, no sidebar (static CSS, no user text).
PROJECTOR_CSS = """
<style>
section[data-testid="stSidebar"], div[data-testid="stSidebarCollapsedControl"] {display: none;}
.stMainBlockContainer {max-width: 100%; padding: 1.2rem 2.2rem 3rem 2.2rem;}
.stMainBlockContainer p, .stMainBlockContainer li, .stMainBlockContainer label p {
  font-size: 1.3rem; line-height: 1.5; color: #111;}
.stMainBlockContainer h1 {font-size: 2.6rem;}
.stMainBlockContainer h2 {font-size: 2.1rem;}
.stMainBlockContainer h3, .stMainBlockContainer h4 {font-size: 1.7rem;}
.stMainBlockContainer textarea {font-size: 1.25rem;}
.stMainBlockContainer button p {font-size: 1.2rem;}
</style>
"""
MEETING_KEY = "meeting_mode_id"


def chosen_meeting(engine: Engine, as_of) -> Meeting | None:
    """The meeting from ``?meeting=ID``, the session, or the next open one."""
    wanted = st.query_params.get("meeting") or st.session_state.get(MEETING_KEY)
    with session(engine) as s:
        if wanted:
            try:
                meeting = meetings.meeting_by_id(s, int(wanted))
            except (NotFound, ValueError):
                st.warning(f"There is no meeting {wanted!r}; showing the next one instead.")
            else:
                return _remember(meeting)
        meeting = meetings.latest_open_meeting(s) or meetings.next_meeting(s, today=as_of)
    return _remember(meeting) if meeting else None


def _remember(meeting: Meeting) -> Meeting:
    st.session_state[MEETING_KEY] = meeting.id
    st.query_params["meeting"] = str(meeting.id)
    return meeting


def projector_style() -> None:
    """Large type, high contrast, sidebar hidden."""
    st.html(PROJECTOR_CSS)


def header(engine: Engine, actor: Actor, meeting: Meeting) -> None:
    """Title, state, start button and the way back to the Meetings page, on one row."""
    title, action, leave = st.columns([5, 2, 2], vertical_alignment="center")
    title.markdown(f"## {safe(meeting.title)}")
    with leave:
        st.page_link("app_pages/meetings.py", label="Leave meeting mode", icon=":material/close:")
    with action:
        if meeting.status == "planned":
            if st.button(
                "Start the meeting",
                key="meeting_start",
                type="primary",
                icon=":material/play_arrow:",
                disabled=not allowed(actor, "meeting.run"),
            ):
                widgets.save(
                    engine,
                    "The meeting is running.",
                    lambda s: meetings.start_meeting(
                        s, actor=actor, meeting_id=meeting.id, now=datetime.now(UTC)
                    ),
                    rerun=True,
                )
        elif meeting.status == "closed":
            st.markdown(":gray-badge[:material/lock: closed — read-only]")
        else:
            st.markdown(":green-badge[:material/radio_button_checked: running]")


def _go(meeting_id: int, step: int) -> None:
    meeting_timer.clock(meeting_id, running=False).go(step, time.time())


def navigation(meeting: Meeting, steps: list[dict]) -> dict:
    """The agenda strip, previous/next and the timer; returns the step on screen."""
    clock = meeting_timer.clock(meeting.id, running=meeting.status == "running")
    clock.step = min(clock.step, len(steps) - 1)
    step = steps[clock.step]
    strip = st.columns(len(steps))
    for i, (col, s) in enumerate(zip(strip, steps, strict=True)):
        col.button(
            f"{i + 1}. {s['title']}",
            key=f"agenda_{i}",
            type="primary" if i == clock.step else "secondary",
            on_click=_go,
            args=(meeting.id, i),
            width="stretch",
            wrap=True,
        )
    heading, prev, timer, pause, nxt = st.columns(
        [3, 1.7, 1.8, 1.3, 1.7], vertical_alignment="center"
    )
    heading.markdown(f"### Step {clock.step + 1} of {len(steps)} · {step['title']}")
    prev.button(
        "◀ Previous",
        key="step_prev",
        disabled=clock.step == 0,
        on_click=_go,
        args=(meeting.id, clock.step - 1),
        shortcut="PageUp",
        width="stretch",
    )
    with timer:
        meeting_timer.ticking(meeting.id, int(step["minutes"]), meeting.status == "running")
    pause.button(
        "Resume timer" if clock.paused else "Pause timer",
        key="step_pause",
        on_click=lambda: meeting_timer.clock(meeting.id).toggle_pause(time.time()),
        disabled=meeting.status != "running",
        width="stretch",
    )
    nxt.button(
        "Next ▶",
        key="step_next",
        disabled=clock.step == len(steps) - 1,
        on_click=_go,
        args=(meeting.id, clock.step + 1),
        shortcut="PageDown",
        type="primary",
        width="stretch",
    )
    return step


def step_screen(engine: Engine, actor: Actor, meeting: Meeting, step: dict, as_of) -> None:
    """The step's content above the notes (everyone's, then yours)."""
    meeting_steps.render(engine, actor, meeting, step, as_of)
    st.divider()
    st.markdown("### Notes")
    meeting_notes.others(engine, actor, meeting, step)
    meeting_notes.my_note(engine, actor, meeting, step)


def agenda(meeting: Meeting) -> list[dict]:
    """The meeting's agenda steps."""
    return meetings.agenda_of(meeting)
