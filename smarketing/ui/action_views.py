"""Agreed actions widgets: the filterable list, status changes outside meetings, "did it
help?" for an action linked to a metric, and "my actions" on the Overview."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

import pandas as pd
import streamlit as st
from sqlalchemy.engine import Engine

from smarketing import charts, formatting
from smarketing.auth.permissions import Actor, allowed
from smarketing.formatting import figure
from smarketing.i18n import N_, _, ngettext
from smarketing.meetings import actions
from smarketing.ui import tables, widgets
from smarketing.ui.resources import session

ANY = "anyone"
STATUSES = ("open", "done", "dropped")
COLUMNS = {
    "title": tables.Col(N_("Action")),
    "owner_name": tables.Col(N_("Owner")),
    "due": tables.Col(N_("Due"), width=105),
    "status": tables.Col(N_("Status"), width=80),
    "days_late": tables.Col(N_("Days late"), "count", width=80),
    "metric_label": tables.Col(N_("Metric")),
}
#: Columns offered under "Columns" (all of them would not fit a 1280-pixel screen).
MORE = {
    "carried_over": tables.Col(
        N_("Carried"), "count", N_("How many meetings carried it over still open.")
    ),
    "meeting_title": tables.Col(N_("Agreed in")),
}
#: How "did it help?" reads (``actions.effect_summary``'s verdict); translated where shown.
VERDICT_TEXT = {"better": N_("✔ better"), "worse": N_("✖ worse"), "no change": N_("– no change")}
#: Which way a metric is better (``better`` of an SLA metric); translated where shown.
BETTER_TEXT = {"higher": N_("higher is better"), "lower": N_("lower is better")}


def _status_labels() -> dict[str, str]:
    """Each status's label in the language of this run (a widget's format_func may be called
    outside the run, so it looks labels up instead of translating)."""
    return {status: actions.status_text(status) for status in STATUSES}


def _shown(frame: pd.DataFrame) -> pd.DataFrame:
    """The list as people read it: days late only for overdue actions, "—" for nothing."""
    return frame.assign(
        due=[formatting.day(d) for d in frame["due_date"]],
        status=[actions.status_text(v) for v in frame["status"]],
        days_late=[
            int(days) if late else None
            for days, late in zip(frame["days_overdue"], frame["overdue"], strict=True)
        ],
    )


def _spoken(columns: dict[str, tables.Col]) -> dict[str, tables.Col]:
    """The columns with their labels and help in the language speaking."""
    return {
        name: replace(col, label=_(col.label), help=_(col.help) if col.help else None)
        for name, col in columns.items()
    }


def _table(frame: pd.DataFrame, key: str) -> None:
    tables.show(_shown(frame), _spoken(COLUMNS), more=_spoken(MORE), key=key)


def filters(engine: Engine, actor: Actor) -> dict:
    """Owner, status and overdue filters; returns the chosen values."""
    with session(engine) as s:
        owners = actions.owners_in_use(s)
    names = dict(owners)
    c1, c2, c3 = st.columns([2, 2, 1])
    owner = c1.selectbox(
        _("Owner"),
        [ANY, *names],
        format_func={ANY: _("Anyone"), **names}.get,
        key="actions_owner",
    )
    status = c2.segmented_control(
        _("Status"),
        STATUSES,
        format_func=_status_labels().get,
        default="open",
        key="actions_status",
        selection_mode="single",
    )
    overdue = c3.toggle(_("Overdue only"), key="actions_overdue")
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
    n = len(frame)
    st.markdown(
        ngettext(
            "**{n} action** · overdue = open and past its due date on {day}",
            "**{n} actions** · overdue = open and past its due date on {day}",
            n,
        ).format(n=formatting.count(n), day=formatting.day(as_of))
    )
    if frame.empty:
        st.caption(_("No action matches."))
    else:
        _table(frame, "actions_table")
    return frame


def pick(frame: pd.DataFrame) -> int | None:
    """Choose one action of the list to update or to see its effect."""
    if frame.empty:
        return None
    labels = {int(r.id): f"#{r.id} {r.title} · {r.owner_name}" for r in frame.itertuples()}
    return st.selectbox(
        _("Action"), list(labels), format_func=labels.get, key="actions_pick", index=None,
        placeholder=_("Pick an action to update it or see whether it helped"),
    )  # fmt: skip


def update_form(engine: Engine, actor: Actor, row: pd.Series) -> None:
    """Mark done, drop (with a reason) or reopen an action outside a meeting."""
    can = allowed(actor, "action.update")
    with st.form(f"action_update_{row['id']}"):
        choices = [s for s in STATUSES if s != row["status"]]
        status = st.radio(
            _("New status"),
            choices,
            format_func=_status_labels().get,
            horizontal=True,
            key=f"act_status_{row['id']}",
        )
        reason = st.text_input(
            _("Reason (needed to drop it)"), key=f"act_reason_{row['id']}", max_chars=2000
        )
        if st.form_submit_button(_("Update"), disabled=not can):
            widgets.save(
                engine,
                _("Action #{id} is now {status}.").format(
                    id=row["id"], status=actions.status_text(status)
                ),
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
        st.caption(frame.attrs.get("reason") or _("Nothing to show."))
        return
    summary = actions.effect_summary(frame)
    label, kind = frame.attrs["metric_label"], frame.attrs["kind"]
    created = frame.attrs["created_on"]
    title = _("{metric} per {period}, before and after {day}").format(
        metric=label,
        period=actions.period_kind_text(frame.attrs["period_kind"]),
        day=formatting.day(created),
    )
    st.vega_lite_chart(charts.action_effect_chart(frame, title).to_dict(), width="stretch")
    verdict = summary["verdict"]
    if verdict == "not enough data":
        st.caption(summary["reason"] or _("Not enough complete periods to compare yet."))
        return
    before, after = figure(kind, summary["mean_before"]), figure(kind, summary["mean_after"])
    better = frame.attrs["better"]
    st.markdown(
        ngettext(
            "**Did it help?** {outcome} — mean {before} over {n} period before, {after} over "
            "{after_n} after ({better}).",
            "**Did it help?** {outcome} — mean {before} over {n} periods before, {after} over "
            "{after_n} after ({better}).",
            summary["periods_before"],
        ).format(
            outcome=_(VERDICT_TEXT[verdict]),
            before=before,
            n=formatting.count(summary["periods_before"]),
            after=after,
            after_n=formatting.count(summary["periods_after"]),
            better=_(BETTER_TEXT[better]) if better in BETTER_TEXT else better,
        )
    )


def mine(engine: Engine, actor: Actor, as_of: date) -> None:
    """The logged-in person's open actions (Overview)."""
    with session(engine) as s:
        frame = actions.my_actions(s, username=actor.username, as_of=as_of)
    late = int(frame["overdue"].sum()) if not frame.empty else 0
    heading = _("My actions · {n} open").format(n=formatting.count(len(frame)))
    if late:
        heading += _(" · {n} overdue").format(n=formatting.count(late))
    st.subheader(heading)
    if frame.empty:
        st.caption(_("You have no open actions."))
    else:
        _table(frame, "my_actions_table")
        st.page_link("app_pages/actions.py", label=_("All actions"), icon=":material/checklist:")
