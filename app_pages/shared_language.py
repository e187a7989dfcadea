"""Shared language — the words both teams agreed on: funnel stages, MQL, SQL, ideal customer."""

import streamlit as st

from smarketing.i18n import _
from smarketing.ui import definition_views, frame

engine = frame.engine()
actor = frame.actor()
as_of = frame.as_of()

st.title(_("Shared language"))
st.caption(
    _(
        "The definitions marketing and sales signed up to. Each has an owner team; a change "
        "makes a new version, and the history keeps who agreed to what and when."
    )
)
defs = definition_views.current(engine)
st.subheader(_("The funnel, stage by stage"))
definition_views.stage_diagram(defs)
stages, terms = st.tabs([_("Funnel stages"), _("Terms")])
with stages:
    for d in (d for d in defs if d.category == "stage"):
        definition_views.card(engine, actor, d, as_of)
with terms:
    for d in (d for d in defs if d.category != "stage"):
        definition_views.card(engine, actor, d, as_of)
    definition_views.new_term(engine, actor, as_of)
