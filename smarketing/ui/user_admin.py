"""Admin → Users forms: add, change roles, reset password, disable/enable, end a user's
open sessions, clear failed logins."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st
from sqlalchemy.engine import Engine

from smarketing.auth import sessions, throttle, users
from smarketing.auth.permissions import Actor, allowed
from smarketing.quality import reasons
from smarketing.safe_text import safe_markdown as safe
from smarketing.store.models import Role
from smarketing.ui import widgets
from smarketing.ui.resources import session

ROLES = [r.value for r in Role]
USER_LABELS = {
    "username": "Username",
    "name": "Name",
    "email": "E-mail",
    "roles": "Roles",
    "state": "State",
    "notes_written": "Notes written",
    "last_login": "Last login",
}
PERMISSION_LABELS = {"what": "Who may…", **{r: r.capitalize() for r in ROLES}}
NEW_USER_KEYS = ("new_username", "new_name", "new_email", "new_roles", "new_password")


def _run(engine: Engine, done: str, write: Callable, clear: tuple[str, ...] = ()) -> None:
    widgets.save(engine, done, write, clear=clear)


def add_user_form(engine: Engine, actor: Actor) -> None:
    """The form that creates a user; typed values stay when something is wrong."""
    can = allowed(actor, "users.manage")
    with st.form("add_user"):
        c1, c2 = st.columns(2)
        username = c1.text_input(
            "Username", key="new_username", placeholder="lower-case, e.g. kari.n"
        )
        name = c2.text_input("Full name", key="new_name")
        email = c1.text_input("E-mail", key="new_email")
        roles = c2.multiselect("Roles", ROLES, key="new_roles")
        password = c1.text_input(
            "Initial password",
            type="password",
            key="new_password",
            help=f"at least {users.MIN_PASSWORD} characters",
        )
        submitted = st.form_submit_button("Add user", type="primary", disabled=not can)
    if submitted:
        _run(
            engine,
            f"Added **{username}**.",
            lambda s: users.add_user(
                s,
                actor=actor,
                username=username,
                name=name,
                email=email,
                roles=roles,
                password=password,
            ),
            clear=NEW_USER_KEYS,
        )


def change_user_form(engine: Engine, actor: Actor, usernames: list[str]) -> None:
    """Pick a user, then change roles, reset the password, or disable/enable."""
    can = allowed(actor, "users.manage")
    if not usernames:
        return
    picked = st.selectbox("User", usernames, key="edit_user")
    with session(engine) as s:
        user = users.get_user(s, picked)
    c1, c2, c3 = st.columns(3)
    with c1.form("roles_form"):
        roles = st.multiselect("Roles", ROLES, default=user.role_list, key=f"roles_{picked}")
        if st.form_submit_button("Save roles", disabled=not can):
            _run(
                engine,
                "Roles saved.",
                lambda s: users.set_roles(s, actor=actor, username=picked, roles=roles),
            )
    with c2.form("password_form", clear_on_submit=True):
        password = st.text_input("New password", type="password", key=f"pw_{picked}")
        if st.form_submit_button("Reset password", disabled=not can):
            _run(
                engine,
                "Password reset; the user's open sessions are ended.",
                lambda s: users.set_password(s, actor=actor, username=picked, password=password),
            )
    with c3:
        st.write("Account is **disabled**." if user.disabled else "Account is **active**.")
        label = "Enable" if user.disabled else "Disable"
        if st.button(label, key=f"toggle_{picked}", disabled=not can):
            _run(
                engine,
                f"{label}d **{picked}**.",
                lambda s: users.set_disabled(
                    s, actor=actor, username=picked, disabled=not user.disabled
                ),
            )
        st.caption("Users are never deleted: their notes and verdicts keep their author.")
    sessions_panel(engine, actor, picked)


def sessions_panel(engine: Engine, actor: Actor, username: str) -> None:
    """The user's open sessions (one per login and browser), each with an "End" button."""
    can = allowed(actor, "users.manage")
    now = widgets.now()
    with session(engine) as s:
        table = sessions.open_sessions(s, now, username=username)
    st.subheader("Open sessions")
    if table.empty:
        st.caption(f"**{safe(username)}** has no open session.")
        return
    st.caption(
        "One row per login (a browser, with all its tabs). *End* logs that browser out at its "
        "next click, and its login cookie stops working, also where it was copied. Resetting "
        "the password or disabling the account ends them all."
    )
    for row in table.itertuples():
        text, button = st.columns([6, 1], vertical_alignment="center")
        where = safe(row.address) if row.address else "address unknown"
        text.markdown(
            f"Logged in **{widgets.local_time(row.created_at)}** · last seen "
            f"{widgets.local_time(row.last_seen_at)} · from {where}"
        )
        text.caption(safe(row.agent) if row.agent else "Browser unknown")
        if button.button("End", key=f"end_session_{row.id}", disabled=not can):
            _run(
                engine,
                f"Ended a session of **{safe(username)}**.",
                lambda s, sid=row.id: sessions.end_session(
                    s, actor=actor, session_id=sid, now=widgets.now()
                ),
            )


KIND_LABELS = {throttle.USERNAME: "Username", throttle.ADDRESS: "Address"}


def throttles_panel(engine: Engine, actor: Actor) -> None:
    """Usernames and client addresses with recent failed logins, each with a "Clear" button."""
    can = allowed(actor, "users.manage")
    now = widgets.now()
    with session(engine) as s:
        table = throttle.throttles(s, now)
    minutes = int(throttle.WINDOW.total_seconds() // 60)
    st.caption(
        f"Failed logins of the last {minutes} minutes, per username (existing or not) and per "
        f"client address. After {throttle.FREE_FAILURES[throttle.USERNAME]} failures for a "
        f"username (or {throttle.FREE_FAILURES[throttle.ADDRESS]} from an address) each try "
        f"waits longer: 1 s, 2 s, 4 s … up to {int(throttle.MAX_DELAY.total_seconds())} s. "
        "Nobody is locked out: a username's delay does not hold up a try from an address its "
        f"owner logged in from in the last {sessions.KNOWN_ADDRESS_DAYS} days. *Clear* "
        "forgets the failures at once (e.g. after a user forgot their password and an admin "
        "reset it)."
    )
    if table.empty:
        st.caption("No failed logins right now.")
        return
    for row in table.itertuples():
        text, button = st.columns([6, 1], vertical_alignment="center")
        wait = f" · waits **{row.wait_s} s**" if row.wait_s else ""
        text.markdown(
            f"{KIND_LABELS.get(row.kind, row.kind)} **{safe(row.key)}** · {row.failures} failed "
            f"login{'' if row.failures == 1 else 's'}, the last "
            f"{widgets.local_time(row.last_failure_at)}{wait}"
        )
        if button.button("Clear", key=f"clear_{row.kind}_{row.key}", disabled=not can):
            _run(
                engine,
                f"Cleared the failed logins of {safe(row.key)}.",
                lambda s, kind=row.kind, key=row.key: throttle.clear(
                    s, actor=actor, kind=kind, key=key
                ),
            )


def rejection_reasons_form(engine: Engine, actor: Actor) -> None:
    """The managed list of rejection reasons: rename, add (last row), retire."""
    with session(engine) as s:
        listed = reasons.reasons(s)
        used = reasons.usage(s)
    other = next((r.label for r in listed if r.key == reasons.OTHER), "Other")
    unspecified = next((r.label for r in listed if r.key == reasons.UNSPECIFIED), "")
    st.caption(
        "The reasons sales picks from when rejecting an MQL. Rename a reason in place "
        "(its verdicts follow: they store the reason, not its wording); add one in the "
        "empty last row; tick *Retired* to stop offering one — its verdicts keep showing "
        f"it. Imports and the demo are matched onto this list. “{other}” needs a comment "
        "saying what it was; CRM reasons that match no reason land there. "
        f"“{unspecified}” is set by imports when the CRM gives none; sales never picks it."
    )
    frame = pd.DataFrame(
        {
            "Reason": [r.label for r in listed],
            "Retired": [r.retired for r in listed],
            "Verdicts": [used.get(r.key, 0) for r in listed],
        }
    )
    with st.form("reasons_form"):
        edited = st.data_editor(
            frame,
            hide_index=True,
            width="stretch",
            num_rows="add",
            key="reasons_editor",
            disabled=["Verdicts"],
            column_config={
                "Reason": st.column_config.TextColumn(
                    "Reason", required=True, max_chars=reasons.LABEL_MAX, width="large"
                ),
                "Retired": st.column_config.CheckboxColumn(
                    "Retired", default=False, help="no longer offered for new verdicts"
                ),
                "Verdicts": st.column_config.NumberColumn(
                    "Verdicts", help="verdicts that gave this reason", format="%d"
                ),
            },
        )
        saved = st.form_submit_button("Save the list", disabled=not allowed(actor, "users.manage"))
    if saved:
        keys = [r.key for r in listed]
        rows = [
            reasons.Edit(
                key=keys[i] if isinstance(i, int) and i < len(keys) else None,
                label="" if pd.isna(row["Reason"]) else str(row["Reason"]),
                retired=bool(row["Retired"]) if not pd.isna(row["Retired"]) else False,
            )
            for i, row in edited.iterrows()
        ]
        # once saved, show the stored list (new reasons with their counts), not the edits
        _run(
            engine,
            "Rejection reasons saved.",
            lambda s: reasons.save(s, actor=actor, rows=rows),
            clear=("reasons_editor",),
        )
