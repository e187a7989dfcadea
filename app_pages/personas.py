"""Personas — who we sell to, and how each persona's leads perform."""

import streamlit as st

from smarketing.ui import frame, persona_views

engine = frame.engine()
actor = frame.actor()
as_of = frame.as_of()

st.title("Personas")
st.caption(
    "Semi-fictional portraits of our typical buyers. Beside each card: its leads created this "
    f"quarter (up to {as_of:%d %b %Y}) against the whole last quarter."
)
show_archived = st.toggle("Show archived personas", key="personas_archived")
cards = persona_views.cards(engine, include_archived=show_archived)
names = ["All personas", *(p.name for p in cards)]
wanted = st.query_params.get("persona")
picked = st.selectbox(
    "Persona", names, index=names.index(wanted) if wanted in names else 0, key="personas_pick"
)
perf = persona_views.performance(engine, as_of)
for p in cards:
    if picked in ("All personas", p.name):
        persona_views.card(engine, actor, p, perf)
if not cards:
    st.info("No persona cards yet.")
persona_views.new_persona(engine, actor)
