"""Admin → Data sources: CRM accounts synced by themselves, with their mapping and runs."""

import streamlit as st

from smarketing.i18n import _
from smarketing.ui import frame, import_views, source_views

engine = frame.engine()
actor = frame.actor_allowed_to("sources.manage")

st.title(_("Data sources"))
st.caption(
    _(
        "Leads and activities flow in from the CRM by themselves, every few minutes, by the "
        "same rules as an import. See the README, *Live data*, for each CRM's token and scopes."
    )
)
rows = source_views.statuses(engine)
source_views.table(rows)
row = source_views.choose(rows)
if row is not None:
    with st.container(border=True):
        source_views.check(engine, row)
        source_views.run_sync(engine, actor, row, frame.facts(engine)["demo"])
        source_views.schedule(engine, actor, row)
    with st.expander(_("Field mapping"), expanded=not row.has_cursor):
        source_views.mapping(engine, actor, row)
source_views.add_form(engine, actor)
st.subheader(_("Sync and import runs"))
import_views.runs(engine)
st.subheader(_("Scheduled jobs"))
source_views.jobs(engine)
