"""Shared language widgets: the stage diagram, one card per definition with its rule count,
history and last change, and the edit and new-term forms (disabled for who may not edit)."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st
from sqlalchemy.engine import Engine

from smarketing import charts, config, formatting
from smarketing.auth.permissions import Actor
from smarketing.content import definitions, rules
from smarketing.i18n import N_, _
from smarketing.safe_text import safe_markdown as safe
from smarketing.sla.periods import period_containing
from smarketing.store.models import Definition
from smarketing.ui import tables, widgets
from smarketing.ui.resources import data_version, session

TEAMS = ("marketing", "sales", "both")
#: The badge colour of each owner team (its label: ``definitions.team_label``).
TEAM_COLOUR = {"marketing": "blue", "sales": "orange", "both": "violet"}


def team_badge(team: str) -> str:
    """The owner team as a coloured badge, in the language speaking."""
    if team not in TEAM_COLOUR:
        return safe(team)
    return f":{TEAM_COLOUR[team]}-badge[{definitions.team_label(team)}]"


@st.cache_data(show_spinner=False, max_entries=64)
def _rule_count(_engine: Engine, url: str, version: int, rule: str, start: date, as_of: date):
    with session(_engine) as s:
        return rules.rule_count(s, rule, month_start=start, as_of=as_of)


def current(engine: Engine) -> list[Definition]:
    """The current version of every definition (stages first, in order)."""
    with session(engine) as s:
        return definitions.current_definitions(s)


def stage_diagram(defs: list[Definition]) -> None:
    """The funnel stages in order, coloured by owner team."""
    stages = [d for d in defs if d.category == "stage"]
    if not stages:
        st.info(_("No funnel stages are defined yet."))
        return
    frame = pd.DataFrame(
        {"term": [d.term for d in stages], "owner_team": [d.owner_team for d in stages]}
    )
    st.vega_lite_chart(charts.stage_flow_chart(frame).to_dict(), width="stretch")


def _agreed(engine: Engine, d: Definition) -> str:
    saved = _("version {version} · saved by {person}").format(
        version=d.version, person=safe(widgets.person(engine, d.created_by))
    )
    if d.agreed_on is None:
        agreed = _("Not yet agreed")
    elif d.agreed_by:
        agreed = _("Agreed {day} by {people}").format(
            day=formatting.day(d.agreed_on), people=safe(d.agreed_by)
        )
    else:
        agreed = _("Agreed {day}").format(day=formatting.day(d.agreed_on))
    return f"{agreed} · {saved}"


def _rule(engine: Engine, d: Definition, as_of: date) -> None:
    if not d.rule:
        return
    st.markdown("**" + _("Measurable rule") + "**")
    st.code(d.rule, language=None, wrap_lines=True)
    month = period_containing("month", as_of)
    count = _rule_count(
        engine, config.database_url(), data_version(engine), d.rule, month.start, as_of
    )
    if count.leads is None:
        unknown = ", ".join(_("“{clause}”").format(clause=safe(c)) for c in count.parsed.unknown)
        st.caption(_("Not measurable from CRM data: {clauses}.").format(clauses=unknown))
        return
    share = f" ({formatting.percent(count.meeting / count.leads)})" if count.leads else ""
    n = formatting.count
    st.markdown(
        _(
            "This month ({start}–{end}): **{matching} of {leads} new leads**{share} meet the "
            "rule · {mqls_meeting} of them are MQLs · {mqls_not_meeting} MQLs do not meet it."
        ).format(
            start=formatting.short_day(month.start),
            end=formatting.short_day(as_of),
            matching=n(count.meeting),
            leads=n(count.leads),
            share=share,
            mqls_meeting=n(count.mqls_meeting),
            mqls_not_meeting=n(count.mqls_not_meeting),
        )
    )


def card(engine: Engine, actor: Actor, d: Definition, as_of: date) -> None:
    """One definition: term, owner, text, rule count, history and the edit form."""
    with st.container(border=True):
        st.markdown(f"#### {safe(d.term)} {team_badge(d.owner_team)}")
        st.caption(_agreed(engine, d))
        widgets.user_markdown(d.body, _("No text yet."))
        _rule(engine, d, as_of)
        history, edit = st.columns(2)
        with history.popover(
            _("History and last change"), icon=":material/history:", width="stretch"
        ):
            _history(engine, d.key)
        with edit.expander(_("Edit"), icon=":material/edit:"):
            _form(engine, actor, d)


def _history(engine: Engine, key: str) -> None:
    with session(engine) as s:
        versions = definitions.definition_history(s, key)
        change = definitions.last_change(s, key)
    if change is None:
        st.caption(_("Only one version so far."))
    else:
        st.markdown(
            _("**What version {version} changed** ({person}, {moment})").format(
                version=change["version"],
                person=safe(widgets.person(engine, change["changed_by"])),
                moment=widgets.local_time(change["changed_at"]),
            )
        )
        if change["fields"]:
            tables.show(
                pd.DataFrame(
                    [
                        {
                            "field": _(FIELD_LABELS[f]) if f in FIELD_LABELS else f,
                            "before": _shown_value(f, old),
                            "after": _shown_value(f, new),
                        }
                        for f, (old, new) in change["fields"].items()
                    ]
                ),
                {"field": _("What"), "before": _("Before"), "after": _("After")},
            )
        if change["body_diff"]:
            st.code(change["body_diff"], language="diff")
    tables.show(
        pd.DataFrame(
            [
                {
                    "version": v.version,
                    "term": v.term,
                    "owner": definitions.team_label(v.owner_team),
                    "agreed_on": formatting.day(v.agreed_on) if v.agreed_on else None,
                    "agreed_by": v.agreed_by or None,
                    "saved_by": widgets.person(engine, v.created_by),
                    "saved_at": widgets.local_time(v.created_at),
                    "text": v.body or None,
                }
                for v in versions
            ]
        ),
        {name: _(label) for name, label in HISTORY_LABELS.items()},
    )


def _shown_value(field: str, value) -> str | None:
    """A versioned field's value as people read it (an owner team by its label, a day in
    the language speaking); None when empty."""
    if value in (None, ""):
        return None
    if field == "owner_team":
        return definitions.team_label(value)
    if field == "agreed_on" and isinstance(value, date):
        return formatting.day(value)
    return str(value)


#: Human names of the versioned fields and of the history's columns (``_()`` where shown).
FIELD_LABELS = {
    "term": N_("Term"),
    "owner_team": N_("Owner team"),
    "body": N_("Definition"),
    "rule": N_("Measurable rule"),
    "agreed_on": N_("Agreed on"),
    "agreed_by": N_("Agreed by"),
}
HISTORY_LABELS = {
    "version": N_("Version"),
    "term": N_("Term"),
    "owner": N_("Owner team"),
    "agreed_on": N_("Agreed on"),
    "agreed_by": N_("Agreed by"),
    "saved_by": N_("Saved by"),
    "saved_at": N_("Saved at"),
    "text": N_("Definition"),
}


def _form(engine: Engine, actor: Actor, d: Definition | None, as_of: date | None = None) -> None:
    key = d.key if d else "new"
    can = (
        definitions.can_edit(actor, d.owner_team)
        if d
        else any(definitions.can_edit(actor, t) for t in TEAMS)
    )
    why = None if can else _("Only the owner team (or an admin) may change this definition.")
    if why:
        st.caption(why)
    with st.form(f"definition_{key}"):
        term = st.text_input(
            _("Term"), value=d.term if d else "", key=f"def_term_{key}", max_chars=200
        )
        team = st.selectbox(
            _("Owner team"),
            TEAMS,
            index=TEAMS.index(d.owner_team) if d else 0,
            format_func=definitions.team_label,
            key=f"def_team_{key}",
        )
        body = st.text_area(
            _("Definition (Markdown)"),
            value=d.body if d else "",
            key=f"def_body_{key}",
            height=200,
        )
        rule = st.text_input(
            _("Measurable rule (optional)"),
            value=(d.rule or "") if d else "",
            key=f"def_rule_{key}",
            help=_(
                "Clauses joined by “and”: score >= 60, company e-mail, not student/competitor, "
                "source is Webinar, segment is …, persona is …"
            ),
        )
        c1, c2 = st.columns(2)
        agreed_on = c1.date_input(
            _("Agreed on"),
            value=(d.agreed_on if d else None) or as_of,
            format=widgets.date_input_format(),
            key=f"def_on_{key}",
        )
        agreed_by = c2.text_input(
            _("Agreed by"), value=d.agreed_by if d else "", key=f"def_by_{key}", max_chars=300
        )
        label = _("Save as a new version") if d else _("Add the term")
        if st.form_submit_button(label, disabled=why is not None, help=why, type="primary"):
            widgets.save(
                engine,
                _("Saved; the earlier version stays in the history.") if d else _("Term added."),
                lambda s: definitions.save_definition(
                    s,
                    actor=actor,
                    key=d.key if d else None,
                    term=term,
                    owner_team=team,
                    body=body,
                    rule=rule or None,
                    agreed_on=agreed_on,
                    agreed_by=agreed_by,
                    category=d.category if d else "term",
                    base_version=d.version if d else None,
                ),
            )


def new_term(engine: Engine, actor: Actor, as_of: date) -> None:
    """The form for a term the teams add."""
    with st.expander(_("Add a term"), icon=":material/add:"):
        _form(engine, actor, None, as_of)
