"""Agreed actions widgets: the filterable list, status changes outside meetings, "did it
help?" for an action linked to a metric, and "my actions" on the Overview."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pandas as pd
import streamlit as st
from sqlalchemy.engine import Engine

from smarketing import charts
from smarketing.auth.permissions import Actor, allowed
from smarketing.formatting import figure, plural
from smarketing.meetings import actions
from smarketing.ui import tables, widgets
from smarketing.ui.resources import session

ANY = "anyone"
STATUSES = ("open", "done", "dropped")
COLUMNS = {
    "title": tables.Col("Action"),
    "owner_name": tables.Col("Owner"),
    "due": tables.Col("Due", width=105),
    "status": tables.Col("Status", width=80),
    "days_late": tables.Col("Days late", "count", width=80),
    "metric_label": tables.Col("Metric"),
}
#: Columns offered under "Columns" (all of them would not fit a 1280-pixel screen).
MORE = {
    "carried_over": tables.Col("Carried", "count", "How many meetings carried it over still open."),
    "meeting_title": tables.Col("Agreed in"),
}


def _shown(frame: pd.DataFrame) -> pd.DataFrame:
    """The list as people read it: days late only for overdue actions, "—" for nothing."""
    return frame.assign(
        due=[f"{d:%d %b %Y}" for d in frame["due_date"]],
        days_late=[
            int(days) if late else None
            for days, late in zip(frame["days_overdue"], frame["overdue"], strict=True)
        ],
    )


def _table(frame: pd.DataFrame, key: str) -> None:
    tables.show(_shown(frame), COLUMNS, more=MORE, key=key)


def filters(engine: Engine, actor: Actor) -> dict:
    """Owner, status and overdue filters; returns the chosen values."""
    with session(engine) as s:
        owners = actions.owners_in_use(s)
    names = dict(owners)
    c1, c2, c3 = st.columns([2, 2, 1])
    owner = c1.selectbox(
        "Owner",
        [ANY, *names],
        format_func=lambda u: "Anyone" if u == ANY else names[u],
        key="actions_owner",
    )
    status = c2.segmented_control(
        "Status", STATUSES, default="open", key="actions_status", selection_mode="single"
    )
    overdue = c3.toggle("Overdue only", key="actions_overdue")
    return {"owner": None if owner == ANY else owner, "status": status, "overdue": overdue}


def action_table(engine: Engine, chosen: dict, as_of: date) -> pd.DataFrame:
    """The filtered action list (open first, overdue first)."""
    with session(engine) as s:
        frame = actions.action_list(
            s,
            owner=chosen["owner"],
            status=chosen["status"],
            overdue_on=as_of if chosen["overdue"] else None,
            as_of=as_of,
        )
    st.markdown(
        f"**{plural(len(frame), 'action')}** · overdue = open and past its due date on "
        f"{as_of:%d %b %Y}"
    )
    if frame.empty:
        st.caption("No action matches.")
    else:
        _table(frame, "actions_table")
    return frame


def pick(frame: pd.DataFrame) -> int | None:
    """Choose one action of the list to update or to see its effect."""
    if frame.empty:
        return None
    labels = {int(r.id): f"#{r.id} {r.title} · {r.owner_name}" for r in frame.itertuples()}
    return st.selectbox(
        "Action", list(labels), format_func=labels.get, key="actions_pick", index=None,
        placeholder="Pick an action to update it or see whether it helped",
    )  # fmt: skip


def update_form(engine: Engine, actor: Actor, row: pd.Series) -> None:
    """Mark done, drop (with a reason) or reopen an action outside a meeting."""
    can = allowed(actor, "action.update")
    with st.form(f"action_update_{row['id']}"):
        choices = [s for s in STATUSES if s != row["status"]]
        status = st.radio("New status", choices, horizontal=True, key=f"act_status_{row['id']}")
        reason = st.text_input(
            "Reason (needed to drop it)", key=f"act_reason_{row['id']}", max_chars=2000
        )
        if st.form_submit_button("Update", disabled=not can):
            widgets.save(
                engine,
                f"Action #{row['id']} is now {status}.",
                lambda s: actions.set_action_status(
                    s,
                    actor=actor,
                    action_id=int(row["id"]),
                    status=status,
                    reason=reason,
                    now=datetime.now(UTC),
                ),
            )


def effect(engine: Engine, action_id: int, as_of: date) -> None:
    """The linked metric before and after the action was agreed: did it help?"""
    with session(engine) as s:
        frame = actions.action_effect(s, action_id, as_of=as_of)
    if frame.empty:
        st.caption(frame.attrs.get("reason") or "Nothing to show.")
        return
    summary = actions.effect_summary(frame)
    label, kind = frame.attrs["metric_label"], frame.attrs["kind"]
    created = frame.attrs["created_on"]
    title = f"{label} per {frame.attrs['period_kind']}, before and after {created:%d %b %Y}"
    st.vega_lite_chart(charts.action_effect_chart(frame, title).to_dict(), width="stretch")
    if summary["verdict"] == "not enough data":
        st.caption(summary["reason"] or "Not enough complete periods to compare yet.")
        return
    word = {"better": "✔ better", "worse": "✖ worse", "no change": "– no change"}
    before, after = figure(kind, summary["mean_before"]), figure(kind, summary["mean_after"])
    st.markdown(
        f"**Did it help?** {word[summary['verdict']]} — mean {before} over "
        f"{plural(summary['periods_before'], 'period')} before, {after} over "
        f"{summary['periods_after']} after ({frame.attrs['better']} is better)."
    )


def mine(engine: Engine, actor: Actor, as_of: date) -> None:
    """The logged-in person's open actions (Overview)."""
    with session(engine) as s:
        frame = actions.my_actions(s, username=actor.username, as_of=as_of)
    late = int(frame["overdue"].sum()) if not frame.empty else 0
    st.subheader(f"My actions · {len(frame)} open" + (f" · {late} overdue" if late else ""))
    if frame.empty:
        st.caption("You have no open actions.")
    else:
        _table(frame, "my_actions_table")
        st.page_link("app_pages/actions.py", label="All actions", icon=":material/checklist:")
