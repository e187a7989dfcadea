"""Meeting mode for the wall screen: large type and high contrast, no sidebar, one agenda step
per screen with previous/next (PageUp/PageDown, as a presenter remote sends) and a timer per
step against its planned minutes."""

from __future__ import annotations

import time

import streamlit as st
from sqlalchemy.engine import Engine

from smarketing.auth.permissions import Actor, allowed
from smarketing.errors import NotFound, SmarketingError
from smarketing.i18n import _
from smarketing.meetings import records, running
from smarketing.meetings.agenda import step_title
from smarketing.safe_text import safe_markdown as safe
from smarketing.store.models import Meeting
from smarketing.ui import meeting_notes, meeting_steps, meeting_timer, meeting_views, widgets
from smarketing.ui.resources import session

#: Projector styling: bigger type, stronger contrast, no sidebar (static CSS, no user text).
PROJECTOR_CSS = """
<style>
section[data-testid="stSidebar"], div[data-testid="stSidebarCollapsedControl"],
header[data-testid="stHeader"] {display: none;}
.stMainBlockContainer {max-width: 100%; padding: 0.5rem 2.2rem 3rem 2.2rem !important;}
.stMainBlockContainer [data-testid="stVerticalBlock"] {gap: 0.55rem;}
.st-key-agenda_strip button {padding: 0.2rem 0.55rem; min-height: 2.1rem;}
.stElementContainer:has(> div > iframe.stCustomComponentV1) {height: 0; overflow: hidden;}
.st-key-agenda_strip button p {font-size: 0.95rem; white-space: nowrap;}
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
#: Session key: (meeting id, question) while "start it on another day?" waits for an answer.
ASK_KEY = "meeting_start_other_day"
#: Session key prefix of an admin's "correct this closed meeting" switch.
CORRECTING = "meeting_correcting"


def chosen_meeting(engine: Engine, actor: Actor, as_of) -> Meeting | None:
    """The meeting from ``?meeting=ID`` or the session; else the running one, else the
    next one (recurring meetings are planned first if none is ahead), else the newest open."""
    wanted = st.query_params.get("meeting") or st.session_state.get(MEETING_KEY)
    with session(engine) as s:
        if wanted:
            try:
                meeting = records.meeting_by_id(s, int(wanted))
            except (NotFound, ValueError):
                st.warning(
                    _("There is no meeting {wanted}; showing the next one instead.").format(
                        wanted=repr(wanted)
                    )
                )
            else:
                return _remember(meeting)
    meeting_views.plan_recurring(engine, actor)
    with session(engine) as s:
        resume = records.latest_open_meeting(s)  # a running one first
        if resume is None or resume.status != "running":
            resume = records.next_meeting(s, today=as_of) or resume
    return _remember(resume) if resume else None


def _remember(meeting: Meeting) -> Meeting:
    st.session_state[MEETING_KEY] = meeting.id
    st.query_params["meeting"] = str(meeting.id)
    return meeting


def projector_style() -> None:
    """Large type, high contrast, sidebar hidden."""
    st.html(PROJECTOR_CSS)


def header(engine: Engine, actor: Actor, meeting: Meeting) -> None:
    """Title, state, start button and the way back to the Meetings page, on one row; for a
    closed meeting, admins get a switch to correct it."""
    title, action, leave = st.columns([5, 2, 2], vertical_alignment="center")
    title.markdown(f"### {safe(meeting.title)}")
    with leave:
        st.page_link(
            "app_pages/meetings.py", label=_("Leave meeting mode"), icon=":material/close:"
        )
    with action:
        if meeting.status == "planned":
            if st.button(
                _("Start the meeting"),
                key="meeting_start",
                type="primary",
                icon=":material/play_arrow:",
                disabled=not allowed(actor, "meeting.run"),
            ):
                _start(engine, actor, meeting, on_another_day=False)
        elif meeting.status == "closed":
            st.markdown(":gray-badge[:material/lock: {text}]".format(text=_("closed — read-only")))
            if allowed(actor, "meeting.correct_closed"):
                st.toggle(
                    _("Correct it (admin)"),
                    key=f"{CORRECTING}_{meeting.id}",
                    help=_(
                        "Open the closed meeting's steps to correct notes and decisions; "
                        "every correction is audited and rewrites the minutes."
                    ),
                )
        else:
            st.markdown(
                ":green-badge[:material/radio_button_checked: {text}]".format(text=_("running"))
            )
    _other_day_question(engine, actor, meeting)


def _start(engine: Engine, actor: Actor, meeting: Meeting, *, on_another_day: bool) -> None:
    try:
        with session(engine) as s:
            running.start_meeting(
                s,
                actor=actor,
                meeting_id=meeting.id,
                now=widgets.now(),
                on_another_day=on_another_day,
            )
    except running.OtherDay as exc:  # ask once
        st.session_state[ASK_KEY] = (meeting.id, str(exc))
        st.rerun()
    except SmarketingError as exc:
        st.error(str(exc), icon=":material/error:")
        return
    st.session_state.pop(ASK_KEY, None)
    st.session_state[widgets.FLASH_KEY] = _("The meeting is running.")
    st.rerun()


def _other_day_question(engine: Engine, actor: Actor, meeting: Meeting) -> None:
    """'Planned for Monday 7 Dec — start it today, Sunday 6 Dec?' with yes and no."""
    asked = st.session_state.get(ASK_KEY)
    if not asked or asked[0] != meeting.id or meeting.status != "planned":
        return
    with st.container(border=True):
        st.warning(asked[1], icon=":material/event_busy:")
        yes, no = st.columns(2)
        if yes.button(_("Start it today"), key="meeting_start_today", type="primary"):
            _start(engine, actor, meeting, on_another_day=True)
        if no.button(_("Not now"), key="meeting_start_not_now"):
            st.session_state.pop(ASK_KEY, None)
            st.rerun()


def shows_minutes(actor: Actor, meeting: Meeting) -> bool:
    """A closed meeting shows its minutes — unless an admin switched on corrections."""
    if not records.is_closed(meeting):
        return False
    correcting = st.session_state.get(f"{CORRECTING}_{meeting.id}", False)
    return not (correcting and allowed(actor, "meeting.correct_closed"))


def _go(meeting_id: int, step: int) -> None:
    meeting_timer.clock(meeting_id, running=False).go(step, time.time())


def navigation(meeting: Meeting, steps: list[dict]) -> dict:
    """The agenda strip, previous/next and the timer; returns the step on screen."""
    clock = meeting_timer.clock(meeting.id, running=meeting.status == "running")
    clock.step = min(clock.step, len(steps) - 1)
    step = steps[clock.step]
    _agenda_strip(meeting, steps, clock.step)
    closed = records.is_closed(meeting)
    widths = [3, 1.7, 1.7] if closed else [3, 1.7, 1.8, 1.3, 1.7]
    columns = st.columns(widths, vertical_alignment="center")
    heading, prev, nxt = columns[0], columns[1], columns[-1]
    heading.markdown(
        "#### "
        + _("Step {number} of {total} · {title}").format(
            number=clock.step + 1, total=len(steps), title=safe(step_title(step))
        )
    )
    prev.button(
        _("◀ Previous"),
        key="step_prev",
        disabled=clock.step == 0,
        on_click=_go,
        args=(meeting.id, clock.step - 1),
        shortcut="PageUp",
        width="stretch",
    )
    if not closed:  # a closed meeting has no running time
        with columns[2]:
            meeting_timer.ticking(meeting.id, int(step["minutes"]), meeting.status == "running")
        columns[3].button(
            _("Resume timer") if clock.paused else _("Pause timer"),
            key="step_pause",
            on_click=lambda: meeting_timer.clock(meeting.id).toggle_pause(time.time()),
            disabled=meeting.status != "running",
            width="stretch",
        )
    nxt.button(
        _("Next ▶"),
        key="step_next",
        disabled=clock.step == len(steps) - 1,
        on_click=_go,
        args=(meeting.id, clock.step + 1),
        shortcut="PageDown",
        type="primary",
        width="stretch",
    )
    return step


STRIP_KEY = "agenda_strip"


def _agenda_strip(meeting: Meeting, steps: list[dict], current: int) -> None:
    """Every step in one line, the current one marked; a click goes there."""
    st.session_state[STRIP_KEY] = current  # the strip follows PageUp/PageDown and the timer

    def picked() -> None:
        chosen = st.session_state.get(STRIP_KEY)
        if chosen is not None:  # a click on the current step only deselects it
            _go(meeting.id, chosen)

    titles = [f"{i + 1}. {safe(step_title(s))}" for i, s in enumerate(steps)]
    st.segmented_control(
        _("Agenda"),
        list(range(len(steps))),
        format_func=dict(enumerate(titles)).get,
        key=STRIP_KEY,
        on_change=picked,
        label_visibility="collapsed",
        width="stretch",
    )


def step_screen(engine: Engine, actor: Actor, meeting: Meeting, step: dict, as_of) -> None:
    """The step's content above the notes (everyone's, then yours); the next step's figures
    are computed meanwhile, so PageDown shows them at once."""
    steps = agenda(meeting)
    keys = [s["key"] for s in steps]
    at = keys.index(step["key"]) if step["key"] in keys else len(steps) - 1
    following = steps[at + 1] if at + 1 < len(steps) else None
    if following is not None:
        meeting_steps.prefetch(engine, meeting, following, as_of)
    meeting_steps.render(engine, actor, meeting, step, as_of)
    st.divider()
    st.markdown("### " + _("Notes"))
    meeting_notes.others(engine, actor, meeting, step)
    meeting_notes.my_note(engine, actor, meeting, step)


def agenda(meeting: Meeting) -> list[dict]:
    """The meeting's agenda steps."""
    return records.agenda_of(meeting)
