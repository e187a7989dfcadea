"""Personas — who we sell to, and how each persona's leads perform."""

import streamlit as st

from smarketing import formatting
from smarketing.i18n import _
from smarketing.ui import frame, persona_views

engine = frame.engine()
actor = frame.actor()
as_of = frame.as_of()

st.title(_("Personas"))
st.caption(
    _(
        "Semi-fictional portraits of our typical buyers. Beside each card: its leads created "
        "this quarter (up to {day}) against the whole last quarter."
    ).format(day=formatting.day(as_of))
)
show_archived = st.toggle(_("Show archived personas"), key="personas_archived")
cards = persona_views.cards(engine, include_archived=show_archived)
#: The picker's options: None for every persona, else a card's name (typed, never translated).
names = [None, *(p.name for p in cards)]
wanted = st.query_params.get("persona")
picked = st.selectbox(
    _("Persona"),
    names,
    index=names.index(wanted) if wanted in names else 0,
    format_func=lambda name: _("All personas") if name is None else name,
    key="personas_pick",
)
perf = persona_views.performance(engine, as_of)
for p in cards:
    if picked in (None, p.name):
        persona_views.card(engine, actor, p, perf)
if not cards:
    st.info(_("No persona cards yet."))
persona_views.new_persona(engine, actor)
