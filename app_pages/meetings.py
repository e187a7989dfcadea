"""Meetings — the weekly smarketing and monthly leadership meetings: plan, run, minutes."""

import streamlit as st

from smarketing.i18n import _
from smarketing.ui import frame, meeting_views

engine = frame.engine()
actor = frame.actor()
as_of = frame.as_of()

st.title(_("Meetings"))
st.caption(
    _(
        "Run a meeting on the wall screen in meeting mode: the scorecard first, last meetings' "
        "actions reviewed, new actions captured with owner and due date, minutes at the end."
    )
)
upcoming, past, decided, templates = st.tabs(
    [_("Next meetings"), _("Past meetings and minutes"), _("Decisions"), _("Agenda templates")]
)
with upcoming:
    meeting_views.next_meetings(engine, actor, as_of)
with past:
    picked = meeting_views.search(engine, as_of)
    if picked is not None:
        meeting_views.minutes_view(engine, picked)
with decided:
    meeting_views.decisions_log(engine)
with templates:
    meeting_views.template_editor(engine, actor)
