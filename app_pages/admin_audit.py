"""Admin → Audit log: who changed what, and when."""

import streamlit as st

from smarketing import config
from smarketing.auth import audit, people
from smarketing.ui import frame, resources, tables, widgets

engine = resources.engine()
frame.actor_allowed_to("audit.read")
PAGE = 100

st.title("Audit log")
with resources.session(engine) as s:
    actors = audit.audit_actors(s)
    names = people.display_names(s, actors)
c1, c2, c3 = st.columns([1, 2, 1])
who = c1.selectbox(
    "Who", ["everyone", *actors], format_func=lambda u: names.get(u, u), key="audit_who"
)
text = c2.text_input("Search action, entity or detail", key="audit_text")
page = c3.number_input("Page", min_value=1, value=1, step=1, key="audit_page")
with resources.session(engine) as s:
    rows = audit.audit_log(
        s,
        actor=None if who == "everyone" else who,
        text=text or None,
        limit=PAGE,
        offset=(page - 1) * PAGE,
    )
if rows.empty:
    st.info("No audit entries match.")
else:
    tables.show(
        rows.assign(
            at=rows["at"].map(widgets.local_time),
            who=[names.get(u, u) for u in rows["who"]],
            detail=rows["detail"].replace("", None),
        ),
        {"at": "When", "who": "Who", "action": "Action", "what": "What", "detail": "Detail"},
    )
    st.caption(f"Newest first, {PAGE} per page. Times in {config.timezone_name()}.")
