"""Campaigns — the briefing sales reads before calling a campaign's leads, beside its live
funnel and the leads still waiting for a first contact."""

import streamlit as st

from smarketing.formatting import count
from smarketing.i18n import _
from smarketing.ui import campaign_views, frame

engine = frame.engine()
actor = frame.actor()
as_of = frame.as_of()

st.title(_("Campaigns"))
listed = campaign_views.campaign_list(engine, actor, as_of)
with st.expander(_("All campaigns · {n}").format(n=count(len(listed))), icon=":material/list:"):
    campaign_views.overview_table(listed)
campaign_id = campaign_views.pick(listed)
content = campaign_views.brief_for(engine, actor, campaign_id) if campaign_id else None
if content is not None:
    brief_col, live_col = st.columns([3, 2], gap="large")
    with brief_col:
        campaign_views.brief_header(engine, content)
        shown = content["published"] or content["draft"]
        if content["published"]:
            campaign_views.whats_new(engine, actor, content)
            campaign_views.export(content)
        campaign_views.brief(shown, draft=content["published"] is None)
    with live_col:
        campaign_views.funnel(engine, content["name"])
        campaign_views.waiting(engine, content["name"])
    if content["can_edit"]:
        st.divider()
        campaign_views.edit_tabs(engine, actor, content)
campaign_views.new_campaign(engine, actor)
