"""Meeting mode — the weekly or monthly meeting on the wall screen, one agenda step at a time."""

import streamlit as st

from smarketing.i18n import _
from smarketing.ui import frame, meeting_mode, meeting_views

engine = frame.engine()
actor = frame.actor()

meeting_mode.projector_style()
as_of = frame.as_of()
meeting = meeting_mode.chosen_meeting(engine, actor, as_of)
if meeting is None:
    st.title(_("Meeting mode"))
    st.info(_("No meeting is planned. Plan one on the Meetings page."), icon=":material/event:")
    st.page_link("app_pages/meetings.py", label=_("Meetings"), icon=":material/groups:")
    st.stop()
meeting_mode.header(engine, actor, meeting)
if meeting_mode.shows_minutes(actor, meeting):  # a closed meeting: its minutes
    meeting_views.minutes_view(engine, meeting.id)
    st.stop()
step = meeting_mode.navigation(meeting, meeting_mode.agenda(meeting))
meeting_mode.step_screen(engine, actor, meeting, step, as_of)
