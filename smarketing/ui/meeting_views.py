"""Meetings page widgets: the next meetings (plan, create, open in meeting mode), past
meetings searchable with their minutes, the decisions log, and the agenda templates."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import streamlit as st
from sqlalchemy.engine import Engine

from smarketing import agenda, meetings, minutes
from smarketing.permissions import Actor, allowed
from smarketing.safe_text import safe_markdown as safe
from smarketing.ui import widgets
from smarketing.ui.resources import session

KINDS = {"weekly": "Weekly smarketing", "monthly": "Leadership monthly"}


def next_meetings(engine: Engine, actor: Actor, as_of: date) -> None:
    """Meetings not yet closed, each with a link into meeting mode; plan the next ones."""
    with session(engine) as s:
        open_ones = [m for m in meetings.meetings(s) if not meetings.is_closed(m)]
    can = allowed(actor, "meeting.run")
    if not open_ones:
        st.info("No meeting is planned.", icon=":material/event:")
    for m in sorted(open_ones, key=lambda m: m.held_on):
        with st.container(border=True):
            left, right = st.columns([3, 1], vertical_alignment="center")
            left.markdown(
                f"**{safe(m.title)}** · {m.held_on:%A %d %B %Y} · {m.status} · "
                f"{agenda.planned_minutes(meetings.agenda_of(m))} min planned"
            )
            with right:
                st.page_link(
                    "app_pages/meeting_mode.py",
                    label="Open in meeting mode",
                    icon=":material/co_present:",
                    query_params={"meeting": str(m.id)},
                )
    cols = st.columns(2)
    for col, kind in zip(cols, KINDS, strict=True):
        if col.button(
            f"Plan the next {KINDS[kind].lower()} meeting",
            key=f"plan_{kind}",
            disabled=not can,
            icon=":material/event:",
        ):
            widgets.save(
                engine,
                "Planned (if it was not already).",
                lambda s, k=kind: meetings.plan_next_meeting(s, actor=actor, kind=k, today=as_of),
                rerun=True,
            )
    with st.expander("Another meeting", icon=":material/add:"), st.form("meeting_create"):
        c1, c2, c3 = st.columns([1, 1, 2])
        kind = c1.selectbox("Kind", list(KINDS), format_func=KINDS.get, key="mt_kind")
        day = c2.date_input("Date", value=as_of, key="mt_day")
        title = c3.text_input("Title (optional)", key="mt_title", max_chars=200)
        if st.form_submit_button("Create", disabled=not can):
            widgets.save(
                engine,
                "Meeting created with the agenda template.",
                lambda s: meetings.create_meeting(
                    s, actor=actor, kind=kind, held_on=day, title=title or None
                ),
                rerun=True,
            )


def search(engine: Engine, as_of: date) -> int | None:
    """Search past meetings by text and date; returns the picked meeting's id."""
    c1, c2, c3, c4 = st.columns([3, 1, 1, 1])
    text = c1.text_input("Search notes, decisions and minutes", key="mt_search")
    start = c2.date_input("From", value=as_of - timedelta(days=365), key="mt_from")
    end = c3.date_input("To", value=as_of, key="mt_to")
    kind = c4.selectbox("Kind", ["any", *KINDS], key="mt_search_kind")
    with session(engine) as s:
        found = meetings.search_meetings(
            s, text=text or None, start=start, end=end, kind=None if kind == "any" else kind
        )
    st.caption(f"{len(found)} meeting(s)")
    if found.empty:
        return None
    labels = {
        int(r.id): f"{r.held_on:%d %b %Y} · {r.title} · {r.status}"
        + (f" · found in {r.found_in}" if text else "")
        for r in found.itertuples()
    }
    return st.selectbox("Meeting", list(labels), format_func=labels.get, key="mt_pick", index=0)


def minutes_view(engine: Engine, meeting_id: int) -> None:
    """The minutes (frozen for a closed meeting, a draft otherwise) and a Markdown download."""
    with session(engine) as s:
        meeting = meetings.meeting_by_id(s, meeting_id)
        text = meeting.minutes if meeting.minutes else minutes.minutes_markdown(s, meeting_id)
    st.download_button(
        "Download the minutes (Markdown)",
        text,
        file_name=f"minutes-{meeting.held_on.isoformat()}-{meeting.kind}.md",
        mime="text/markdown",
        icon=":material/download:",
        key="minutes_download",
    )
    with st.container(border=True):
        widgets.user_markdown(text)


def decisions_log(engine: Engine) -> None:
    """Every decision, newest first."""
    with session(engine) as s:
        frame = meetings.decisions_for(s)
    if frame.empty:
        st.info("No decisions recorded yet.")
        return
    st.dataframe(
        frame,
        column_order=["decided_on", "text", "decided_by", "metric", "sla_version", "meeting"],
        column_config={
            "decided_on": st.column_config.DateColumn("Date", format="DD MMM YYYY"),
            "text": st.column_config.TextColumn("Decision", width="large"),
            "decided_by": "Decided by",
            "metric": "Metric",
            "sla_version": st.column_config.NumberColumn("SLA version", format="%d"),
            "meeting": "Meeting",
        },
        hide_index=True,
        width="stretch",
    )


def template_editor(engine: Engine, actor: Actor) -> None:
    """Edit the default agenda of each kind of meeting (steps, planned minutes, kind)."""
    kind = (
        st.segmented_control(
            "Meeting", list(KINDS), format_func=KINDS.get, default="weekly", key="tpl_kind"
        )
        or "weekly"
    )
    with session(engine) as s:
        steps = agenda.agenda_template(s, kind)
    st.caption(
        f"{agenda.planned_minutes(steps)} minutes planned. New meetings start from this agenda; "
        "the last step must be the wrap-up."
    )
    edited = st.data_editor(
        pd.DataFrame(steps, columns=["title", "minutes", "kind", "key"]),
        column_config={
            "title": st.column_config.TextColumn("Step", required=True, max_chars=80),
            "minutes": st.column_config.NumberColumn("Minutes", min_value=1, max_value=120),
            "kind": st.column_config.SelectboxColumn(
                "Shows", options=list(agenda.STEP_KINDS), required=True
            ),
            "key": None,
        },
        num_rows="dynamic",
        hide_index=True,
        width="stretch",
        key=f"tpl_editor_{kind}",
        disabled=not allowed(actor, "meeting.run"),
    )
    if st.button(
        "Save the template", key=f"tpl_save_{kind}", disabled=not allowed(actor, "meeting.run")
    ):
        rows = [
            {k: v for k, v in row.items() if not (k == "key" and (v is None or pd.isna(v)))}
            for row in edited.to_dict("records")
        ]
        widgets.save(
            engine,
            "Template saved: the next meetings use it.",
            lambda s: agenda.save_agenda_template(s, actor=actor, kind=kind, steps=rows),
        )
    with st.expander("What each kind of step shows"):
        for name, text in agenda.STEP_KINDS.items():
            st.markdown(f"- **{name}** — {text}")
