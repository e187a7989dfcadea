"""Meeting mode's step position and per-step timers, kept in the session so they survive
reruns (and a page switch), ticking in a small fragment."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import streamlit as st

from smarketing.i18n import _


@dataclass
class MeetingClock:
    """Which agenda step is on screen and how long each step has run (seconds)."""

    step: int = 0
    spent: dict[int, float] = field(default_factory=dict)
    since: float | None = None  # monotonic-free wall seconds when the current step started
    paused: bool = False

    def elapsed(self, step: int, now: float) -> float:
        """Seconds spent on ``step`` so far (including the running stretch)."""
        running = now - self.since if step == self.step and self.since and not self.paused else 0
        return self.spent.get(step, 0.0) + max(running, 0.0)

    def go(self, step: int, now: float) -> None:
        """Move to ``step``, banking the time of the step being left; a clock that is not
        running (meeting not started, or paused) stays stopped."""
        running = self.since is not None and not self.paused
        self._bank(now)
        self.step = step
        self.since = now if running else None

    def toggle_pause(self, now: float) -> None:
        """Pause or resume the current step's timer."""
        if self.paused:
            self.paused, self.since = False, now
        else:
            self._bank(now)
            self.paused, self.since = True, None

    def start(self, now: float) -> None:
        """Start the clock on the current step if it is not running yet."""
        if self.since is None and not self.paused:
            self.since = now

    def _bank(self, now: float) -> None:
        if self.since is not None and not self.paused:
            self.spent[self.step] = self.spent.get(self.step, 0.0) + max(now - self.since, 0.0)
        self.since = None


def clock(meeting_id: int, *, running: bool = True) -> MeetingClock:
    """This meeting's clock in the session (created on first use); it starts ticking once
    the meeting runs."""
    key = f"meeting_clock_{meeting_id}"
    if key not in st.session_state:
        st.session_state[key] = MeetingClock()
    c = st.session_state[key]
    if running:
        c.start(time.time())
    return c


def mmss(seconds: float) -> str:
    """'07:05' from 425 seconds."""
    seconds = int(max(seconds, 0))
    return f"{seconds // 60:02d}:{seconds % 60:02d}"


@st.fragment(run_every=1.0)
def ticking(meeting_id: int, planned_minutes: int, running: bool = True) -> None:
    """The current step's time against its plan, refreshed every second."""
    c = clock(meeting_id, running=running)
    spent = c.elapsed(c.step, time.time())
    planned = planned_minutes * 60
    over = spent > planned
    colour = "red" if over else ("orange" if spent > 0.8 * planned else "green")
    state = _(" · paused") if c.paused else ("" if running else _(" · not started"))
    st.markdown(
        f"### :{colour}[:material/timer: {mmss(spent)}] / "
        + _("{minutes} min").format(minutes=planned_minutes)
        + (_(" · **over time**") if over else "")
        + state
    )
