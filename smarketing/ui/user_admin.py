"""Admin → Users forms: add, change roles, reset password, disable/enable, end a user's
open sessions, clear failed logins."""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd
import streamlit as st
from sqlalchemy.engine import Engine

from smarketing import formatting
from smarketing.auth import sessions, throttle, users
from smarketing.auth.permissions import Actor, allowed, permission_table, role_label
from smarketing.i18n import N_, _, ngettext, pgettext
from smarketing.quality import reasons
from smarketing.safe_text import safe_markdown as safe
from smarketing.store.models import Role
from smarketing.ui import widgets
from smarketing.ui.resources import session

ROLES = [r.value for r in Role]


def _role_labels() -> dict[str, str]:
    """Each role's name in the language speaking now (a widget's ``format_func``: formatted
    labels are fixed during the run, not when a test formats them later)."""
    return {r: role_label(r) for r in ROLES}


def users_shown(table: pd.DataFrame) -> pd.DataFrame:
    """``users.users_table`` as people read it: roles and state in the language speaking,
    the last login in the business timezone."""
    return users.for_people(table).assign(last_login=table["last_login"].map(widgets.local_time))


def permission_labels() -> dict[str, str]:
    """The "Who may do what" table's column labels in the language speaking now."""
    return {"what": _("Who may…"), **{r: role_label(r).capitalize() for r in ROLES}}


def permissions_shown() -> pd.DataFrame:
    """``permission_table`` as people read it: what each permission means and a yes per
    role, in the language speaking now."""
    rows = []
    for row in permission_table():
        meaning = row["what"]
        rows.append({"what": _(meaning), **{r: _("yes") if row[r] else "" for r in ROLES}})
    return pd.DataFrame(rows, columns=["what", *ROLES])


NEW_USER_KEYS = ("new_username", "new_name", "new_email", "new_roles", "new_password")


def _run(engine: Engine, done: str, write: Callable, clear: tuple[str, ...] = ()) -> None:
    widgets.save(engine, done, write, clear=clear)


def add_user_form(engine: Engine, actor: Actor) -> None:
    """The form that creates a user; typed values stay when something is wrong."""
    can = allowed(actor, "users.manage")
    with st.form("add_user"):
        c1, c2 = st.columns(2)
        username = c1.text_input(
            _("Username"), key="new_username", placeholder=_("lower-case, e.g. kari.n")
        )
        name = c2.text_input(_("Full name"), key="new_name")
        email = c1.text_input(_("E-mail"), key="new_email")
        roles = c2.multiselect(
            _("Roles"),
            ROLES,
            format_func=_role_labels().get,
            key="new_roles",
            placeholder=_("Choose roles"),
        )
        password = c1.text_input(
            _("Initial password"),
            type="password",
            key="new_password",
            help=_("at least {n} characters").format(n=users.MIN_PASSWORD),
        )
        submitted = st.form_submit_button(_("Add user"), type="primary", disabled=not can)
    if submitted:
        _run(
            engine,
            _("Added **{username}**.").format(username=safe(username)),
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
    picked = st.selectbox(_("User"), usernames, key="edit_user")
    with session(engine) as s:
        user = users.get_user(s, picked)
    c1, c2, c3 = st.columns(3)
    with c1.form("roles_form"):
        roles = st.multiselect(
            _("Roles"),
            ROLES,
            default=user.role_list,
            format_func=_role_labels().get,
            key=f"roles_{picked}",
            placeholder=_("Choose roles"),
        )
        if st.form_submit_button(_("Save roles"), disabled=not can):
            _run(
                engine,
                _("Roles saved."),
                lambda s: users.set_roles(s, actor=actor, username=picked, roles=roles),
            )
    with c2.form("password_form", clear_on_submit=True):
        password = st.text_input(_("New password"), type="password", key=f"pw_{picked}")
        if st.form_submit_button(_("Reset password"), disabled=not can):
            _run(
                engine,
                _("Password reset; the user's open sessions are ended."),
                lambda s: users.set_password(s, actor=actor, username=picked, password=password),
            )
    with c3:
        st.write(_("Account is **disabled**.") if user.disabled else _("Account is **active**."))
        label = _("Enable") if user.disabled else _("Disable")
        done = _("Enabled **{username}**.") if user.disabled else _("Disabled **{username}**.")
        if st.button(label, key=f"toggle_{picked}", disabled=not can):
            _run(
                engine,
                done.format(username=safe(picked)),
                lambda s: users.set_disabled(
                    s, actor=actor, username=picked, disabled=not user.disabled
                ),
            )
        st.caption(_("Users are never deleted: their notes and verdicts keep their author."))
    sessions_panel(engine, actor, picked)


def sessions_panel(engine: Engine, actor: Actor, username: str) -> None:
    """The user's open sessions (one per login and browser), each with an "End" button."""
    can = allowed(actor, "users.manage")
    now = widgets.now()
    with session(engine) as s:
        table = sessions.open_sessions(s, now, username=username)
    st.subheader(_("Open sessions"))
    if table.empty:
        st.caption(_("**{username}** has no open session.").format(username=safe(username)))
        return
    st.caption(
        _(
            "One row per login (a browser, with all its tabs). *End* logs that browser out at "
            "its next click, and its login cookie stops working, also where it was copied. "
            "Resetting the password or disabling the account ends them all."
        )
    )
    for row in table.itertuples():
        text, button = st.columns([6, 1], vertical_alignment="center")
        where = safe(row.address) if row.address else _("address unknown")
        text.markdown(
            _("Logged in **{created}** · last seen {seen} · from {where}").format(
                created=widgets.local_time(row.created_at),
                seen=widgets.local_time(row.last_seen_at),
                where=where,
            )
        )
        text.caption(safe(row.agent) if row.agent else _("Browser unknown"))
        if button.button(pgettext("session", "End"), key=f"end_session_{row.id}", disabled=not can):
            _run(
                engine,
                _("Ended a session of **{username}**.").format(username=safe(username)),
                lambda s, sid=row.id: sessions.end_session(
                    s, actor=actor, session_id=sid, now=widgets.now()
                ),
            )


KIND_LABELS = {throttle.USERNAME: N_("Username"), throttle.ADDRESS: N_("Address")}


def throttles_panel(engine: Engine, actor: Actor) -> None:
    """Usernames and client addresses with recent failed logins, each with a "Clear" button."""
    can = allowed(actor, "users.manage")
    now = widgets.now()
    with session(engine) as s:
        table = throttle.throttles(s, now)
    minutes = int(throttle.WINDOW.total_seconds() // 60)
    st.caption(
        _(
            "Failed logins of the last {minutes} minutes, per username (existing or not) and "
            "per client address. After {user_free} failures for a username (or {address_free} "
            "from an address) each try waits longer: 1 s, 2 s, 4 s … up to {max_delay} s. "
            "Nobody is locked out: a username's delay does not hold up a try from an address "
            "its owner logged in from in the last {days} days. *Clear* forgets the failures at "
            "once (e.g. after a user forgot their password and an admin reset it)."
        ).format(
            minutes=minutes,
            user_free=throttle.FREE_FAILURES[throttle.USERNAME],
            address_free=throttle.FREE_FAILURES[throttle.ADDRESS],
            max_delay=int(throttle.MAX_DELAY.total_seconds()),
            days=sessions.KNOWN_ADDRESS_DAYS,
        )
    )
    if table.empty:
        st.caption(_("No failed logins right now."))
        return
    for row in table.itertuples():
        text, button = st.columns([6, 1], vertical_alignment="center")
        failed = ngettext(
            "{n} failed login, the last {when}", "{n} failed logins, the last {when}", row.failures
        ).format(n=formatting.count(row.failures), when=widgets.local_time(row.last_failure_at))
        wait = (
            " · " + _("waits **{seconds} s**").format(seconds=formatting.count(row.wait_s))
            if row.wait_s
            else ""
        )
        kind = _(KIND_LABELS[row.kind]) if row.kind in KIND_LABELS else row.kind
        text.markdown(f"{kind} **{safe(row.key)}** · {failed}{wait}")
        if button.button(_("Clear"), key=f"clear_{row.kind}_{row.key}", disabled=not can):
            _run(
                engine,
                _("Cleared the failed logins of {key}.").format(key=safe(row.key)),
                lambda s, kind=row.kind, key=row.key: throttle.clear(
                    s, actor=actor, kind=kind, key=key
                ),
            )


def rejection_reasons_form(engine: Engine, actor: Actor) -> None:
    """The managed list of rejection reasons: rename, add (last row), retire."""
    with session(engine) as s:
        listed = reasons.reasons(s)
        used = reasons.usage(s)
    other = next(
        (reasons.display_label(r.key, r.label) for r in listed if r.key == reasons.OTHER),
        _("Other"),
    )
    unspecified = next(
        (reasons.display_label(r.key, r.label) for r in listed if r.key == reasons.UNSPECIFIED),
        "",
    )
    st.caption(
        _(
            "The reasons sales picks from when rejecting an MQL. Rename a reason in place "
            "(its verdicts follow: they store the reason, not its wording); add one in the "
            "empty last row; tick *Retired* to stop offering one — its verdicts keep showing "
            "it. Imports and the demo are matched onto this list. “{other}” needs a comment "
            "saying what it was; CRM reasons that match no reason land there. "
            "“{unspecified}” is set by imports when the CRM gives none; sales never picks it."
        ).format(other=other, unspecified=unspecified)
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
                    _("Reason"), required=True, max_chars=reasons.LABEL_MAX, width="large"
                ),
                "Retired": st.column_config.CheckboxColumn(
                    _("Retired"), default=False, help=_("no longer offered for new verdicts")
                ),
                "Verdicts": st.column_config.NumberColumn(
                    _("Verdicts"), help=_("verdicts that gave this reason"), format="%d"
                ),
            },
        )
        saved = st.form_submit_button(
            _("Save the list"), disabled=not allowed(actor, "users.manage")
        )
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
            _("Rejection reasons saved."),
            lambda s: reasons.save(s, actor=actor, rows=rows),
            clear=("reasons_editor",),
        )
