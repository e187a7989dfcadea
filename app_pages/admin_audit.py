"""Admin → Audit log: who changed what, and when."""

import streamlit as st

from smarketing import config, formatting
from smarketing.auth import audit, people
from smarketing.i18n import _, pgettext
from smarketing.ui import frame, resources, tables, widgets

engine = resources.engine()
frame.actor_allowed_to("audit.read")
PAGE = 100
EVERYONE = "everyone"

st.title(_("Audit log"))
with resources.session(engine) as s:
    actors = audit.audit_actors(s)
    names = people.display_names(s, actors)
c1, c2, c3 = st.columns([1, 2, 1])
shown_as = {EVERYONE: _("everyone"), **names}  # translated now, not when formatted
who = c1.selectbox(
    _("Who"),
    [EVERYONE, *actors],
    format_func=lambda u: shown_as.get(u, u),
    key="audit_who",
)
text = c2.text_input(_("Search action, entity or detail"), key="audit_text")
page = c3.number_input(_("Page"), min_value=1, value=1, step=1, key="audit_page")
with resources.session(engine) as s:
    rows = audit.audit_log(
        s,
        actor=None if who == EVERYONE else who,
        text=text or None,
        limit=PAGE,
        offset=(page - 1) * PAGE,
    )
if rows.empty:
    st.info(_("No audit entries match."))
else:
    tables.show(
        rows.assign(
            at=rows["at"].map(widgets.local_time),
            who=[names.get(u, u) for u in rows["who"]],
            detail=rows["detail"].replace("", None),
        ),
        {
            "at": _("When"),
            "who": _("Who"),
            "action": pgettext("audit log", "Action"),
            "what": _("What"),
            # a fixed width: a long detail is cut in its cell (the whole on hover), the table
            # never scrolls sideways on a 1280-pixel screen
            "detail": tables.Col(_("Detail"), width=360),
        },
    )
    st.caption(
        _("Newest first, {n} per page. Times in {timezone}.").format(
            n=formatting.count(PAGE), timezone=config.timezone_name()
        )
    )
