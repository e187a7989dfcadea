"""Admin → Notifications: every message sent, failed, pending or delayed; resend; the
team channels."""

import streamlit as st

from smarketing.i18n import _
from smarketing.ui import frame, notify_views

engine = frame.engine()
actor = frame.actor_allowed_to("notify.manage")

st.title(_("Notifications"))
st.caption(
    _(
        "Every message is queued once per subject and person, then sent by the `notify` job "
        "every minute; failures are retried after 1, 5, 15 and 60 minutes, then shown here as "
        "failed. Quiet hours delay a person's messages, never drop them."
    )
)
notify_views.counts(engine)
statuses, kind, recipient = notify_views.filters()
listed = notify_views.listing(engine, actor, statuses, kind, recipient)
if not listed.empty:
    notify_views.resend(engine, actor, listed)
st.subheader(_("Team channels"))
st.caption(
    _(
        "Where messages to a team go (`team:sales` …), e.g. a hot lead without owner or the "
        "overdue MQLs for the head of sales."
    )
)
notify_views.team_channels(engine, actor)
