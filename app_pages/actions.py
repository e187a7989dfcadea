"""Actions — everything the meetings agreed, by owner and status, and whether it helped."""

import streamlit as st

from smarketing.i18n import _
from smarketing.safe_text import safe_markdown as safe
from smarketing.ui import action_views, frame

engine = frame.engine()
actor = frame.actor()
as_of = frame.as_of()

st.title(_("Actions"))
st.caption(
    _(
        "What the meetings agreed to do, with owner, due date and the SLA metric it addresses. "
        "Open actions carry over to the next meeting until they are done or dropped."
    )
)
chosen = action_views.filters(engine, actor)
table = action_views.action_table(engine, chosen, as_of)
action_id = action_views.pick(table)
if action_id is not None:
    row = table[table["id"] == action_id].iloc[0]
    left, right = st.columns([1, 2], gap="large")
    with left:
        st.markdown(f"**#{action_id} {safe(row['title'])}**")
        if row["drop_reason"]:
            st.caption(_("Dropped because: {reason}").format(reason=safe(row["drop_reason"])))
        action_views.update_form(engine, actor, row)
    with right:
        action_views.effect(engine, action_id, as_of)
