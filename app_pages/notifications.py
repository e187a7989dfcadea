"""My notifications: which messages I get, on which channel, and my quiet hours."""

import streamlit as st

from smarketing.i18n import _
from smarketing.ui import frame, notify_views

engine = frame.engine()
actor = frame.actor()

st.title(_("My notifications"))
st.caption(
    _(
        "Smarketing tells you when something needs you: a lead of yours came back, an MQL is "
        "due for first contact, an action is due, a meeting's pre-read and minutes. Each "
        "message comes once, on the channel you choose."
    )
)
pref = notify_views.my_preference(engine, actor)
notify_views.defaults_note(pref, actor)
notify_views.preference_form(engine, actor, pref)
st.subheader(_("Where they go"))
notify_views.where_it_goes(pref)
