"""Smarketing: the frame — page config, login, role-based navigation, shared sidebar (the
script `app.py`'s st.App serves; `streamlit run app.py` starts both)."""

import streamlit as st

from smarketing.auth.permissions import allowed
from smarketing.i18n import _, pgettext
from smarketing.ui import auth, frame, language, meeting_notes, resources

language.chosen_before_login()

st.set_page_config(
    page_title="Smarketing",
    page_icon=frame.FAVICON,
    layout="wide",
    initial_sidebar_state=frame.SIDEBAR_WIDTH,
)

engine = resources.engine()
with resources.database_guard():  # a busy or lost database: a message and Retry, no traceback
    resources.ensure_demo(engine)
    actor = auth.gate(engine)
    meeting_notes.save_typed_note(engine, actor)  # before anything: see its docstring

pages = {
    "": [
        st.Page(
            "app_pages/overview.py",
            title=_("Overview"),
            icon=":material/dashboard:",
            default=True,
        ),
        st.Page("app_pages/sla.py", title=_("SLA"), icon=":material/handshake:"),
        st.Page("app_pages/quality.py", title=_("Lead quality"), icon=":material/filter_alt:"),
        st.Page("app_pages/leads.py", title=_("Leads"), icon=":material/contacts:"),
    ],
    _("One team"): [
        st.Page(
            "app_pages/shared_language.py",
            title=_("Shared language"),
            icon=":material/menu_book:",
        ),
        st.Page("app_pages/personas.py", title=_("Personas"), icon=":material/person:"),
        st.Page("app_pages/campaigns.py", title=_("Campaigns"), icon=":material/campaign:"),
    ],
    _("Meetings"): [
        st.Page("app_pages/meetings.py", title=_("Meetings"), icon=":material/groups:"),
        st.Page("app_pages/meeting_mode.py", title=_("Meeting mode"), icon=":material/co_present:"),
        st.Page("app_pages/actions.py", title=_("Actions"), icon=":material/checklist:"),
    ],
    _("Me"): [
        st.Page(
            "app_pages/notifications.py",
            title=_("My notifications"),
            icon=":material/notifications:",
        ),
    ],
}
admin = []
for script, title, icon, action in frame.ADMIN_PAGES:
    if allowed(actor, action):
        admin.append(st.Page(script, title=_(title), icon=icon))
    else:  # reached by its address: say which role it needs instead of showing the Overview
        admin.append(frame.refused_page(script, _(title), action))
pages[pgettext("navigation", "Admin")] = admin
navigation = st.navigation(pages, expanded=True)
with resources.database_guard():
    # the wall screen (meeting mode) gets the frame in one thin line, to leave it the height
    frame.sidebar_and_banner(engine, compact=navigation.url_path == frame.WALL_SCREEN)
    navigation.run()
