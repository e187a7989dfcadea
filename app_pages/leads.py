"""Leads — the closed loop: find a lead, read its story, give sales' verdict."""

import streamlit as st

from smarketing.i18n import _
from smarketing.ui import frame, lead_views

engine = frame.engine()
actor = frame.actor()

st.title(_("Leads"))
linked = lead_views.linked_lead(engine)  # ?lead=ID: a notification's link
lead_views.hot_panel(engine)
st.subheader(_("All leads"))
chosen = lead_views.filters(engine)
page = lead_views.lead_list(engine, chosen)
lead_id = lead_views.pick_lead(page, linked)
if lead_id is not None:
    st.divider()
    detail = lead_views.lead_story(engine, lead_id)
    left, right = st.columns(2)
    with left:
        lead_views.verdict_form(engine, actor, detail)
    with right:
        lead_views.contact_form(engine, actor, detail)
