"""Admin → Users: who can log in, with which roles."""

import pandas as pd
import streamlit as st

from smarketing.auth import users
from smarketing.auth.permissions import permission_table
from smarketing.ui import frame, resources, tables, user_admin, widgets

engine = resources.engine()
actor = frame.actor_allowed_to("users.manage")

st.title("Users")
resources.file_mode_warning(full=True)
with resources.session(engine) as s:
    table = users.users_table(s)
tables.show(
    table.assign(last_login=table["last_login"].map(widgets.local_time)), user_admin.USER_LABELS
)

add, change, failed, rights, reasons = st.tabs(
    ["Add a user", "Change a user", "Failed logins", "Who may do what", "Rejection reasons"]
)
with add:
    user_admin.add_user_form(engine, actor)
with change:
    user_admin.change_user_form(engine, actor, table["username"].tolist())
with failed:
    user_admin.throttles_panel(engine, actor)
with rights:
    tables.show(pd.DataFrame(permission_table()), user_admin.PERMISSION_LABELS)
with reasons:
    user_admin.rejection_reasons_form(engine, actor)
