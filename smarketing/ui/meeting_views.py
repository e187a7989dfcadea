"""Meetings page widgets: the next meetings (plan, create, attendees, open in meeting mode),
past meetings searchable with their minutes, the decisions log, and the agenda templates."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import streamlit as st
from sqlalchemy.engine import Engine

from smarketing import formatting
from smarketing.auth import people
from smarketing.auth.permissions import Actor, allowed
from smarketing.errors import SmarketingError
from smarketing.i18n import N_, _, ngettext, pgettext
from smarketing.meetings import actions, agenda, attendance, minutes, planning, records, running
from smarketing.safe_text import safe_markdown as safe
from smarketing.store.models import Meeting
from smarketing.ui import widgets
from smarketing.ui.resources import session

KINDS = {"weekly": N_("Weekly smarketing"), "monthly": N_("Leadership monthly")}
STATUS = {"planned": N_("planned"), "running": N_("running now"), "closed": N_("closed")}


def kind_label(kind: str) -> str:
    """'Weekly smarketing' (a meeting kind as stored) in the language speaking."""
    return _(KINDS[kind]) if kind in KINDS else kind


def _kind_labels() -> dict[str, str]:
    """Each meeting kind's label in the language of this run (a widget's format_func may be
    called outside the run, so it looks labels up instead of translating)."""
    return {kind: kind_label(kind) for kind in KINDS}


def status_label(status: str) -> str:
    """'planned' (a meeting status as stored) in the language speaking."""
    return _(STATUS[status]) if status in STATUS else status


def plan_recurring(engine: Engine, actor: Actor) -> None:
    """Plan the next meeting of each recurring kind when none is planned from today on."""
    if not allowed(actor, "meeting.run"):
        return
    try:
        with session(engine) as s:
            made = planning.plan_recurring(s, actor=actor, today=widgets.today())
    except SmarketingError as exc:
        st.warning(
            _("The next meetings could not be planned: {reason}").format(reason=exc),
            icon=":material/event:",
        )
        return
    for m in made:
        st.toast(
            _("Planned the next meeting: {title}, {day}.").format(
                title=safe(m.title), day=_long_day(m.held_on, year=False)
            )
        )


def _people_line(engine: Engine, meeting: Meeting) -> str:
    with session(engine) as s:
        facilitator = people.display_name(s, meeting.facilitator)
        names = list(records.attendee_frame(s, meeting.id)["name"])
    who = ", ".join(safe(n) for n in names) if names else _("no attendees listed yet")
    return _("Facilitator: {name} · Attendees: {names}").format(name=safe(facilitator), names=who)


def next_meetings(engine: Engine, actor: Actor, as_of: date) -> None:
    """Meetings still ahead, each with its people and a link into meeting mode; plan the
    next ones (recurring meetings plan themselves once one of their kind exists)."""
    plan_recurring(engine, actor)
    with session(engine) as s:
        ahead = records.upcoming_meetings(s, today=as_of)
    can = allowed(actor, "meeting.run")
    if not ahead:
        st.info(_("No meeting is planned."), icon=":material/event:")
    for m in ahead:
        with st.container(border=True):
            left, right = st.columns([3, 1], vertical_alignment="center")
            left.markdown(
                _("**{title}** · {day} · {status} · {minutes} min planned").format(
                    title=safe(m.title),
                    day=_long_day(m.held_on),
                    status=status_label(m.status),
                    minutes=agenda.planned_minutes(records.agenda_of(m)),
                )
            )
            left.caption(_people_line(engine, m))
            with right:
                st.page_link(
                    "app_pages/meeting_mode.py",
                    label=_("Open in meeting mode"),
                    icon=":material/co_present:",
                    query_params={"meeting": str(m.id)},
                )
            with st.expander(_("Attendees and facilitator"), icon=":material/group:"):
                attendee_editor(engine, actor, m)
    cols = st.columns(2)
    for col, kind in zip(cols, KINDS, strict=True):
        if col.button(
            _("Plan the next weekly meeting")
            if kind == "weekly"
            else _("Plan the next monthly meeting"),
            key=f"plan_{kind}",
            disabled=not can,
            icon=":material/event:",
        ):
            widgets.save(
                engine,
                _("Planned (if it was not already)."),
                lambda s, k=kind: planning.plan_next_meeting(s, actor=actor, kind=k, today=as_of),
            )
    with st.expander(_("Another meeting"), icon=":material/add:"), st.form("meeting_create"):
        c1, c2, c3 = st.columns([1, 1, 2])
        kind = c1.selectbox(_("Kind"), list(KINDS), format_func=_kind_labels().get, key="mt_kind")
        day = c2.date_input(
            _("Date"), value=as_of, key="mt_day", format=widgets.date_input_format()
        )
        title = c3.text_input(_("Title (optional)"), key="mt_title", max_chars=200)
        if st.form_submit_button(_("Create"), disabled=not can):
            widgets.save(
                engine,
                _("Meeting created with the agenda template."),
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
            _("People"),
            options,
            default=users,
            format_func=lambda u: pickable.get(u, u),
            key=f"attendees_people_{meeting.id}",
            placeholder=_("Pick the people who attend"),
        )
        typed = st.multiselect(
            _("Guests (type a name, press Enter)"),
            guests,
            default=guests,
            accept_new_options=True,
            key=f"attendees_guests_{meeting.id}",
            placeholder=_("Someone without an account"),
        )
        choices = list(dict.fromkeys([*(meeting.facilitator or "",), *picked, *pickable]))
        choices = [c for c in choices if c]
        facilitator = st.selectbox(
            _("Facilitator (records everyone's ratings)"),
            choices,
            index=choices.index(meeting.facilitator) if meeting.facilitator in choices else None,
            format_func=lambda u: pickable.get(u, u),
            key=f"attendees_facilitator_{meeting.id}",
        )
        if st.form_submit_button(_("Save the attendees"), disabled=not can):

            def write(s):
                attendance.set_attendees(
                    s, actor=actor, meeting_id=meeting.id, usernames=picked, guests=typed
                )
                if facilitator and facilitator != meeting.facilitator:
                    running.set_facilitator(
                        s, actor=actor, meeting_id=meeting.id, username=facilitator
                    )

            widgets.save(engine, _("Attendees saved."), write)


def search(engine: Engine, as_of: date) -> int | None:
    """Search past meetings — closed ones (whatever their day) and any held before the as-of
    day — by text and date; returns the picked meeting's id."""
    with session(engine) as s:
        newest = records.latest_past_day(s, today=as_of)
    c1, c2, c3, c4 = st.columns([3, 1, 1, 1])
    text = c1.text_input(_("Search notes, decisions and minutes"), key="mt_search")
    start = c2.date_input(
        _("From"),
        value=as_of - timedelta(days=365),
        key="mt_from",
        format=widgets.date_input_format(),
    )
    end = c3.date_input(
        _("To"), value=max(as_of, newest or as_of), key="mt_to", format=widgets.date_input_format()
    )
    kind = c4.selectbox(
        _("Kind"),
        ["any", *KINDS],
        format_func={"any": _("Any kind"), **_kind_labels()}.get,
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
    st.caption(
        ngettext("{n} meeting", "{n} meetings", len(found)).format(n=formatting.count(len(found)))
    )
    if found.empty:
        return None
    labels = {int(r.id): _search_label(r, bool(text)) for r in found.itertuples()}
    return st.selectbox(_("Meeting"), list(labels), format_func=labels.get, key="mt_pick", index=0)


def _found_in(part: str) -> str:
    """Where a search found its text (a ``records.search_meetings`` found_in name), in
    words ("title" is also a lead field's name: its own sense here)."""
    texts = {
        "title": pgettext("found in", "title"),
        "notes": pgettext("found in", "notes"),
        "decisions": pgettext("found in", "decisions"),
        "minutes": pgettext("found in", "minutes"),
    }
    return texts.get(part, part)


def _search_label(r, searched: bool) -> str:
    """'06 Dec 2026 · Weekly smarketing — week 49 · closed · found in notes'."""
    state = (
        status_label("closed")
        if r.status == "closed"
        else _("{status}, not closed").format(status=status_label(r.status))
    )
    label = f"{formatting.day(r.held_on)} · {r.title} · {state}"
    if searched:
        found = ", ".join(_found_in(p) for p in str(r.found_in).split(", ") if p)
        label += _(" · found in {places}").format(places=found)
    return label


def _long_day(day: date, *, year: bool = True) -> str:
    """'Monday 30 November 2026' (nb 'mandag 30. november 2026'); without the year: 'Monday
    30 November'."""
    from smarketing import i18n

    if i18n.current() == "en":
        return f"{day:%A %d %B %Y}" if year else f"{day:%A %d %B}"
    from babel.dates import format_date

    return format_date(day, "EEEE d. MMMM y" if year else "EEEE d. MMMM", locale=i18n.current())


def minutes_view(engine: Engine, meeting_id: int) -> None:
    """The minutes (frozen for a closed meeting, a draft otherwise) and a Markdown download,
    in the reader's language: written afresh from the same stored rows and frozen scorecard
    the stored minutes were written from (the stored text when that cannot be done)."""
    with session(engine) as s:
        meeting = records.meeting_by_id(s, meeting_id)
        try:
            text = minutes.minutes_markdown(s, meeting_id)
        except SmarketingError:
            if not meeting.minutes:
                raise
            text = meeting.minutes
    st.download_button(
        _("Download the minutes (Markdown)"),
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
        st.info(_("No decisions recorded yet."))
        return
    shown = pd.DataFrame(
        {
            "decided_on": [formatting.day(d) for d in frame["decided_on"]],
            "text": frame["text"],
            "decided_by": [people.people_text(names, v) for v in frame["decided_by"]],
            "metric": [
                actions.metric_label(m) if isinstance(m, str) and m else "—"
                for m in frame["metric"]
            ],
            "sla_version": [
                "—" if pd.isna(v) else _("version {number}").format(number=int(v))
                for v in frame["sla_version"]
            ],
            "meeting": [m if isinstance(m, str) and m else "—" for m in frame["meeting"]],
        }
    )
    st.dataframe(
        shown,
        column_config={
            "decided_on": st.column_config.TextColumn(_("Date")),
            "text": st.column_config.TextColumn(_("Decision"), width="large"),
            "decided_by": _("Decided by"),
            "metric": _("Metric"),
            "sla_version": "SLA",
            "meeting": _("Meeting"),
        },
        hide_index=True,
        width="stretch",
    )


def template_editor(engine: Engine, actor: Actor) -> None:
    """Edit the default agenda of each kind of meeting (steps, planned minutes, kind)."""
    kind = (
        st.segmented_control(
            _("Meeting"),
            list(KINDS),
            format_func=_kind_labels().get,
            default="weekly",
            key="tpl_kind",
        )
        or "weekly"
    )
    with session(engine) as s:
        steps = agenda.agenda_template(s, kind)
    st.caption(
        _(
            "{minutes} minutes planned. New meetings start from this agenda; "
            "the last step must be the wrap-up."
        ).format(minutes=agenda.planned_minutes(steps))
    )
    edited = st.data_editor(
        pd.DataFrame(
            [{**step, "title": agenda.step_title(step)} for step in steps],
            columns=["title", "minutes", "kind", "key"],
        ),
        column_config={
            "title": st.column_config.TextColumn(_("Step"), required=True, max_chars=80),
            "minutes": st.column_config.NumberColumn(_("Minutes"), min_value=1, max_value=120),
            "kind": st.column_config.SelectboxColumn(
                _("Shows"),
                options=list(agenda.STEP_KINDS),
                required=True,
                format_func={k: agenda.kind_title(k) for k in agenda.STEP_KINDS}.get,
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
        _("Save the template"),
        key=f"tpl_save_{kind}",
        disabled=not allowed(actor, "meeting.run"),
    ):
        built_in = {_(title): title for title in agenda.BUILT_IN_TITLES}
        rows = [
            {k: v for k, v in row.items() if not (k == "key" and (v is None or pd.isna(v)))}
            | {"title": built_in.get(row["title"], row["title"])}
            for row in edited.to_dict("records")
        ]
        widgets.save(
            engine,
            _("Template saved: the next meetings use it."),
            lambda s: agenda.save_agenda_template(s, actor=actor, kind=kind, steps=rows),
        )
    with st.expander(_("What each kind of step shows")):
        for name in agenda.STEP_KINDS:
            st.markdown(f"- **{agenda.kind_title(name)}** — {agenda.kind_text(name)}")
