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
from smarketing.safe_text import safe_markdown as safe
from smarketing.sla.periods import period_containing
from smarketing.store.models import Definition
from smarketing.ui import tables, widgets
from smarketing.ui.resources import data_version, session

TEAMS = ("marketing", "sales", "both")
TEAM_BADGE = {
    "marketing": ":blue-badge[marketing]",
    "sales": ":orange-badge[sales]",
    "both": ":violet-badge[both teams]",
}


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
        st.info("No funnel stages are defined yet.")
        return
    frame = pd.DataFrame(
        {"term": [d.term for d in stages], "owner_team": [d.owner_team for d in stages]}
    )
    st.vega_lite_chart(charts.stage_flow_chart(frame).to_dict(), width="stretch")


def _agreed(engine: Engine, d: Definition) -> str:
    when = d.agreed_on.strftime("%d %b %Y") if d.agreed_on else "not yet agreed"
    who = f" by {safe(d.agreed_by)}" if d.agreed_by else ""
    saved = safe(widgets.person(engine, d.created_by))
    return f"Agreed {when}{who} · version {d.version} · saved by {saved}"


def _rule(engine: Engine, d: Definition, as_of: date) -> None:
    if not d.rule:
        return
    st.markdown("**Measurable rule**")
    st.code(d.rule, language=None, wrap_lines=True)
    month = period_containing("month", as_of)
    count = _rule_count(
        engine, config.database_url(), data_version(engine), d.rule, month.start, as_of
    )
    if count.leads is None:
        unknown = ", ".join(f"“{safe(c)}”" for c in count.parsed.unknown)
        st.caption(f"Not measurable from CRM data: {unknown}.")
        return
    share = f" ({formatting.percent(count.meeting / count.leads)})" if count.leads else ""
    st.markdown(
        f"This month ({month.start:%d %b}–{as_of:%d %b}): **{count.meeting:,} of {count.leads:,} "
        f"new leads**{share} meet the rule · {count.mqls_meeting:,} of them are MQLs · "
        f"{count.mqls_not_meeting:,} MQLs do not meet it."
    )


def card(engine: Engine, actor: Actor, d: Definition, as_of: date) -> None:
    """One definition: term, owner, text, rule count, history and the edit form."""
    with st.container(border=True):
        st.markdown(f"#### {safe(d.term)} {TEAM_BADGE.get(d.owner_team, d.owner_team)}")
        st.caption(_agreed(engine, d))
        widgets.user_markdown(d.body, "No text yet.")
        _rule(engine, d, as_of)
        history, edit = st.columns(2)
        with history.popover("History and last change", icon=":material/history:", width="stretch"):
            _history(engine, d.key)
        with edit.expander("Edit", icon=":material/edit:"):
            _form(engine, actor, d)


def _history(engine: Engine, key: str) -> None:
    with session(engine) as s:
        versions = definitions.definition_history(s, key)
        change = definitions.last_change(s, key)
    if change is None:
        st.caption("Only one version so far.")
    else:
        st.markdown(
            f"**What version {change['version']} changed** "
            f"({safe(widgets.person(engine, change['changed_by']))}, "
            f"{widgets.local_time(change['changed_at'])})"
        )
        if change["fields"]:
            tables.show(
                pd.DataFrame(
                    [
                        {
                            "field": FIELD_LABELS.get(f, f),
                            "before": None if old in (None, "") else str(old),
                            "after": None if new in (None, "") else str(new),
                        }
                        for f, (old, new) in change["fields"].items()
                    ]
                ),
                {"field": "What", "before": "Before", "after": "After"},
            )
        if change["body_diff"]:
            st.code(change["body_diff"], language="diff")
    tables.show(
        pd.DataFrame(
            [
                {
                    "version": v.version,
                    "term": v.term,
                    "owner": v.owner_team,
                    "agreed_on": f"{v.agreed_on:%d %b %Y}" if v.agreed_on else None,
                    "agreed_by": v.agreed_by or None,
                    "saved_by": widgets.person(engine, v.created_by),
                    "saved_at": widgets.local_time(v.created_at),
                    "text": v.body or None,
                }
                for v in versions
            ]
        ),
        HISTORY_LABELS,
    )


#: Human names of the versioned fields and of the history's columns.
FIELD_LABELS = {
    "term": "Term",
    "owner_team": "Owner team",
    "body": "Definition",
    "rule": "Measurable rule",
    "agreed_on": "Agreed on",
    "agreed_by": "Agreed by",
}
HISTORY_LABELS = {
    "version": "Version",
    "term": "Term",
    "owner": "Owner team",
    "agreed_on": "Agreed on",
    "agreed_by": "Agreed by",
    "saved_by": "Saved by",
    "saved_at": "Saved at",
    "text": "Definition",
}


def _form(engine: Engine, actor: Actor, d: Definition | None, as_of: date | None = None) -> None:
    key = d.key if d else "new"
    can = (
        definitions.can_edit(actor, d.owner_team)
        if d
        else any(definitions.can_edit(actor, t) for t in TEAMS)
    )
    why = None if can else "Only the owner team (or an admin) may change this definition."
    if why:
        st.caption(why)
    with st.form(f"definition_{key}"):
        term = st.text_input(
            "Term", value=d.term if d else "", key=f"def_term_{key}", max_chars=200
        )
        team = st.selectbox(
            "Owner team",
            TEAMS,
            index=TEAMS.index(d.owner_team) if d else 0,
            key=f"def_team_{key}",
        )
        body = st.text_area(
            "Definition (Markdown)", value=d.body if d else "", key=f"def_body_{key}", height=200
        )
        rule = st.text_input(
            "Measurable rule (optional)",
            value=(d.rule or "") if d else "",
            key=f"def_rule_{key}",
            help="Clauses joined by “and”: score >= 60, company e-mail, not student/competitor, "
            "source is Webinar, segment is …, persona is …",
        )
        c1, c2 = st.columns(2)
        agreed_on = c1.date_input(
            "Agreed on", value=(d.agreed_on if d else None) or as_of, key=f"def_on_{key}"
        )
        agreed_by = c2.text_input(
            "Agreed by", value=d.agreed_by if d else "", key=f"def_by_{key}", max_chars=300
        )
        label = "Save as a new version" if d else "Add the term"
        if st.form_submit_button(label, disabled=why is not None, help=why, type="primary"):
            widgets.save(
                engine,
                "Saved; the earlier version stays in the history." if d else "Term added.",
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
    with st.expander("Add a term", icon=":material/add:"):
        _form(engine, actor, None, as_of)
