"""Admin → Users: who can log in, with which roles."""

import streamlit as st

from smarketing.auth import users
from smarketing.i18n import _
from smarketing.ui import frame, resources, tables, user_admin

engine = resources.engine()
actor = frame.actor_allowed_to("users.manage")

st.title(_("Users"))
resources.file_mode_warning(full=True)
with resources.session(engine) as s:
    table = users.users_table(s)
tables.show(user_admin.users_shown(table), users.user_labels())

add, change, failed, rights, reasons = st.tabs(
    [
        _("Add a user"),
        _("Change a user"),
        _("Failed logins"),
        _("Who may do what"),
        _("Rejection reasons"),
    ]
)
with add:
    user_admin.add_user_form(engine, actor)
with change:
    user_admin.change_user_form(engine, actor, table["username"].tolist())
with failed:
    user_admin.throttles_panel(engine, actor)
with rights:
    tables.show(user_admin.permissions_shown(), user_admin.permission_labels())
with reasons:
    user_admin.rejection_reasons_form(engine, actor)
