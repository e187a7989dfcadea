"""Meetings page widgets: the next meetings (plan, create, attendees, open in meeting mode),
past meetings searchable with their minutes, the decisions log, and the agenda templates."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import streamlit as st
from sqlalchemy.engine import Engine

from smarketing.auth import people
from smarketing.auth.permissions import Actor, allowed
from smarketing.errors import SmarketingError
from smarketing.formatting import plural
from smarketing.meetings import actions, agenda, attendance, minutes, planning, records, running
from smarketing.safe_text import safe_markdown as safe
from smarketing.store.models import Meeting
from smarketing.ui import widgets
from smarketing.ui.resources import session

KINDS = {"weekly": "Weekly smarketing", "monthly": "Leadership monthly"}
STATUS = {"planned": "planned", "running": "running now", "closed": "closed"}


def plan_recurring(engine: Engine, actor: Actor) -> None:
    """Plan the next meeting of each recurring kind when none is planned from today on."""
    if not allowed(actor, "meeting.run"):
        return
    try:
        with session(engine) as s:
            made = planning.plan_recurring(s, actor=actor, today=widgets.today())
    except SmarketingError as exc:
        st.warning(f"The next meetings could not be planned: {exc}", icon=":material/event:")
        return
    for m in made:
        st.toast(f"Planned the next meeting: {safe(m.title)}, {m.held_on:%A %d %B}.")


def _people_line(engine: Engine, meeting: Meeting) -> str:
    with session(engine) as s:
        facilitator = people.display_name(s, meeting.facilitator)
        names = list(records.attendee_frame(s, meeting.id)["name"])
    who = ", ".join(safe(n) for n in names) if names else "no attendees listed yet"
    return f"Facilitator: {safe(facilitator)} · Attendees: {who}"


def next_meetings(engine: Engine, actor: Actor, as_of: date) -> None:
    """Meetings still ahead, each with its people and a link into meeting mode; plan the
    next ones (recurring meetings plan themselves once one of their kind exists)."""
    plan_recurring(engine, actor)
    with session(engine) as s:
        ahead = records.upcoming_meetings(s, today=as_of)
    can = allowed(actor, "meeting.run")
    if not ahead:
        st.info("No meeting is planned.", icon=":material/event:")
    for m in ahead:
        with st.container(border=True):
            left, right = st.columns([3, 1], vertical_alignment="center")
            left.markdown(
                f"**{safe(m.title)}** · {m.held_on:%A %d %B %Y} · {STATUS.get(m.status, m.status)}"
                f" · {agenda.planned_minutes(records.agenda_of(m))} min planned"
            )
            left.caption(_people_line(engine, m))
            with right:
                st.page_link(
                    "app_pages/meeting_mode.py",
                    label="Open in meeting mode",
                    icon=":material/co_present:",
                    query_params={"meeting": str(m.id)},
                )
            with st.expander("Attendees and facilitator", icon=":material/group:"):
                attendee_editor(engine, actor, m)
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
                lambda s, k=kind: planning.plan_next_meeting(s, actor=actor, kind=k, today=as_of),
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
                lambda s: planning.create_meeting(
                    s, actor=actor, kind=kind, held_on=day, title=title or None
                ),
            )


def _pickable(engine: Engine) -> dict[str, str]:
    """Username -> name of the people one can pick (users and the demo's cast), by name."""
    with session(engine) as s:
        known = people.directory(s)
    found = {u: n for u, n in known.items() if u not in people.APP_ACTORS}
    return dict(sorted(found.items(), key=lambda item: item[1].lower()))


def attendee_editor(engine: Engine, actor: Actor, meeting: Meeting) -> None:
    """Who attends (people of the app, plus guests by name) and who facilitates."""
    closed = records.is_closed(meeting)
    can = allowed(actor, "meeting.correct_closed" if closed else "meeting.run")
    pickable = _pickable(engine)
    with session(engine) as s:
        listed = records.attendee_frame(s, meeting.id)
    users = [u for u in listed["username"] if isinstance(u, str) and u]
    guests = [g for g in listed.loc[listed["is_guest"], "guest_name"] if isinstance(g, str)]
    options = list(dict.fromkeys([*pickable, *users]))
    with st.form(f"attendees_{meeting.id}"):
        picked = st.multiselect(
            "People",
            options,
            default=users,
            format_func=lambda u: pickable.get(u, u),
            key=f"attendees_people_{meeting.id}",
            placeholder="Pick the people who attend",
        )
        typed = st.multiselect(
            "Guests (type a name, press Enter)",
            guests,
            default=guests,
            accept_new_options=True,
            key=f"attendees_guests_{meeting.id}",
            placeholder="Someone without an account",
        )
        choices = list(dict.fromkeys([*(meeting.facilitator or "",), *picked, *pickable]))
        choices = [c for c in choices if c]
        facilitator = st.selectbox(
            "Facilitator (records everyone's ratings)",
            choices,
            index=choices.index(meeting.facilitator) if meeting.facilitator in choices else None,
            format_func=lambda u: pickable.get(u, u),
            key=f"attendees_facilitator_{meeting.id}",
        )
        if st.form_submit_button("Save the attendees", disabled=not can):

            def write(s):
                attendance.set_attendees(
                    s, actor=actor, meeting_id=meeting.id, usernames=picked, guests=typed
                )
                if facilitator and facilitator != meeting.facilitator:
                    running.set_facilitator(
                        s, actor=actor, meeting_id=meeting.id, username=facilitator
                    )

            widgets.save(engine, "Attendees saved.", write)


def search(engine: Engine, as_of: date) -> int | None:
    """Search past meetings — closed ones (whatever their day) and any held before the as-of
    day — by text and date; returns the picked meeting's id."""
    with session(engine) as s:
        newest = records.latest_past_day(s, today=as_of)
    c1, c2, c3, c4 = st.columns([3, 1, 1, 1])
    text = c1.text_input("Search notes, decisions and minutes", key="mt_search")
    start = c2.date_input("From", value=as_of - timedelta(days=365), key="mt_from")
    end = c3.date_input("To", value=max(as_of, newest or as_of), key="mt_to")
    kind = c4.selectbox(
        "Kind",
        ["any", *KINDS],
        format_func=lambda k: "Any kind" if k == "any" else KINDS[k],
        key="mt_search_kind",
    )
    with session(engine) as s:
        found = records.search_meetings(
            s,
            text=text or None,
            start=start,
            end=end,
            kind=None if kind == "any" else kind,
            past_on=as_of,
        )
    st.caption(plural(len(found), "meeting"))
    if found.empty:
        return None
    labels = {
        int(r.id): f"{r.held_on:%d %b %Y} · {r.title} · "
        + ("closed" if r.status == "closed" else f"{STATUS.get(r.status, r.status)}, not closed")
        + (f" · found in {r.found_in}" if text else "")
        for r in found.itertuples()
    }
    return st.selectbox("Meeting", list(labels), format_func=labels.get, key="mt_pick", index=0)


def minutes_view(engine: Engine, meeting_id: int) -> None:
    """The minutes (frozen for a closed meeting, a draft otherwise) and a Markdown download."""
    with session(engine) as s:
        meeting = records.meeting_by_id(s, meeting_id)
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
    """Every decision, newest first, people by name."""
    with session(engine) as s:
        frame = records.decisions_for(s)
        names = people.display_names(s, people.people_in(frame["decided_by"]))
    if frame.empty:
        st.info("No decisions recorded yet.")
        return
    shown = pd.DataFrame(
        {
            "decided_on": frame["decided_on"],
            "text": frame["text"],
            "decided_by": [people.people_text(names, v) for v in frame["decided_by"]],
            "metric": [
                actions.metric_label(m) if isinstance(m, str) and m else "—"
                for m in frame["metric"]
            ],
            "sla_version": [
                "—" if pd.isna(v) else f"version {int(v)}" for v in frame["sla_version"]
            ],
            "meeting": [m if isinstance(m, str) and m else "—" for m in frame["meeting"]],
        }
    )
    st.dataframe(
        shown,
        column_config={
            "decided_on": st.column_config.DateColumn("Date", format="DD MMM YYYY"),
            "text": st.column_config.TextColumn("Decision", width="large"),
            "decided_by": "Decided by",
            "metric": "Metric",
            "sla_version": "SLA",
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
                "Shows",
                options=list(agenda.STEP_KINDS),
                required=True,
                format_func=lambda k: agenda.STEP_KIND_TITLES.get(k, k),
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
            st.markdown(f"- **{agenda.STEP_KIND_TITLES.get(name, name)}** — {text}")
