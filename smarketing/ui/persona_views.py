"""Personas widgets: a card per persona beside how its leads perform, versions, the edit form,
archive/unarchive and a new persona."""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st
from sqlalchemy.engine import Engine

from smarketing import config, formatting
from smarketing.auth.permissions import Actor, refusal
from smarketing.content import personas
from smarketing.i18n import N_, _
from smarketing.safe_text import safe_markdown as safe
from smarketing.store.models import Persona
from smarketing.ui import widgets
from smarketing.ui.resources import data_version, session

#: The card's text sections, in reading order.
#: The card's text sections, in reading order (labels: English message ids, ``_()`` shown).
SECTIONS = [
    ("company_profile", N_("Company profile")),
    ("goals", N_("Goals")),
    ("challenges", N_("Challenges")),
    ("information_sources", N_("Where they look for information")),
    ("objections", N_("Objections and the answers that work")),
    ("messages", N_("Messages that resonate")),
    ("recognise", N_("How to recognise them in a lead")),
]
FIGURES = [
    ("leads", N_("Leads"), "count", N_("Leads created in the quarter with this persona.")),
    ("mqls", N_("MQLs"), "count", N_("Of those leads, how many became MQLs.")),
    (
        "acceptance",
        N_("Accepted"),
        "percent",
        N_("Accepted ÷ (accepted + rejected) among those leads' verdicts."),
    ),
    ("mql_to_sql", N_("MQL→SQL"), "percent", N_("SQLs ÷ MQLs among those leads.")),
    ("customers", N_("Customers"), "count", N_("Of those leads, how many became customers.")),
]


@st.cache_data(show_spinner=False, max_entries=32)
def _performance(_engine: Engine, url: str, version: int, as_of: date) -> pd.DataFrame:
    with session(_engine) as s:
        return personas.persona_performance(s, as_of=as_of)


def performance(engine: Engine, as_of: date) -> pd.DataFrame:
    """Cached per-persona figures, this quarter and last."""
    return _performance(engine, config.database_url(), data_version(engine), as_of)


def cards(engine: Engine, *, include_archived: bool) -> list[Persona]:
    """The persona cards, by name."""
    with session(engine) as s:
        return personas.persona_cards(s, include_archived=include_archived)


def _figure(value, kind: str) -> str:
    return formatting.FORMATTERS[kind](value)


def figures(perf: pd.DataFrame, name: str) -> None:
    """This quarter's figures for one persona beside last quarter's, with the change."""
    row = perf[perf["persona"] == name]
    st.markdown("**" + _("How their leads perform") + "**")
    if row.empty:
        st.caption(_("No leads with this persona in either quarter."))
        return
    r = row.iloc[0]
    rows = []
    for key, label, fmt, _definition in FIGURES:
        now, before = r[f"{key}_this"], r[f"{key}_last"]
        change = "—"
        if not (now is None or before is None or pd.isna(now) or pd.isna(before)):
            if fmt == "percent":
                points = formatting.decimal((now - before) * 100, 1)
                # Translators: a change in percentage points: +2.5 pts
                change = _("{points} pts").format(points=("+" if now >= before else "") + points)
            else:
                change = formatting.count(now - before, signed=True)
        rows.append(
            {
                "figure": _(label),
                "this quarter": _figure(now, fmt),
                "last quarter": _figure(before, fmt),
                "change": change,
            }
        )
    st.dataframe(
        pd.DataFrame(rows),
        hide_index=True,
        width="stretch",
        column_config={
            "figure": st.column_config.TextColumn("", width="small"),
            "this quarter": st.column_config.TextColumn(_("This qtr"), width="small"),
            "last quarter": st.column_config.TextColumn(_("Last qtr"), width="small"),
            "change": st.column_config.TextColumn(_("Change"), width="small"),
        },
    )
    st.caption(" ".join(f"**{_(label)}:** {_(text)}" for _k, label, _f, text in FIGURES))


def card(engine: Engine, actor: Actor, p: Persona, perf: pd.DataFrame) -> None:
    """One persona card with its performance beside it."""
    with st.container(border=True):
        left, right = st.columns([5, 4], gap="medium")
        with left:
            archived = " :gray-badge[" + _("archived") + "]" if p.archived else ""
            st.markdown(f"### {safe(p.icon)} {safe(p.name)}{archived}")
            role = safe(p.role) if p.role else _("Role not set")
            seniority = safe(p.seniority) if p.seniority else _("seniority not set")
            st.markdown(f"**{role}** · {seniority}")
            for field, label in SECTIONS:
                st.markdown(f"**{_(label)}**")
                widgets.user_markdown(getattr(p, field), "—")
        with right:
            figures(perf, p.name)
            st.caption(
                _("Version {version}, saved by {person} on {moment}").format(
                    version=p.version,
                    person=safe(widgets.person(engine, p.updated_by)),
                    moment=widgets.local_time(p.updated_at),
                )
            )
            with st.popover(_("Versions"), icon=":material/history:"):
                _versions(engine, p)
            with st.expander(_("Edit card"), icon=":material/edit:"):
                _form(engine, actor, p)
            _archive(engine, actor, p)


def _versions(engine: Engine, p: Persona) -> None:
    with session(engine) as s:
        versions = personas.persona_versions(s, p.id)
    picked = st.selectbox(
        _("Version"),
        [v.version for v in versions],
        format_func=lambda n: _("version {number}").format(number=n),
        key=f"persona_version_{p.id}",
    )
    chosen = next(v for v in versions if v.version == picked)
    who = safe(widgets.person(engine, chosen.saved_by))
    st.caption(
        _("Saved by {person} on {moment}").format(
            person=who, moment=widgets.local_time(chosen.saved_at)
        )
    )
    fields = personas.version_fields(chosen)
    icon, name, role = (safe(fields.get(k, "")) for k in ("icon", "name", "role"))
    st.markdown(f"**{icon} {name}** · {role}")
    for field, label in SECTIONS:
        st.markdown(f"**{_(label)}**")
        widgets.user_markdown(fields.get(field, ""), "—")


def _archive(engine: Engine, actor: Actor, p: Persona) -> None:
    why = refusal(actor, "persona.edit")
    label = _("Bring back") if p.archived else _("Archive")
    if st.button(
        label,
        key=f"persona_archive_{p.id}",
        disabled=why is not None,
        help=why,
        icon=":material/archive:",
    ):
        widgets.save(
            engine,
            (
                _("{name} is back.")
                if p.archived
                else _("{name} is archived; leads keep their persona.")
            ).format(name=safe(p.name)),
            lambda s: personas.set_archived(
                s, actor=actor, persona_id=p.id, archived=not p.archived
            ),
        )


def _form(engine: Engine, actor: Actor, p: Persona | None) -> None:
    key = p.id if p else "new"
    why = refusal(actor, "persona.edit")
    if why:
        st.caption(_("Marketing and admins edit persona cards."))
    with st.form(f"persona_form_{key}"):
        c1, c2 = st.columns([3, 1])
        values = {
            "name": c1.text_input(_("Name"), value=p.name if p else "", key=f"pn_name_{key}"),
            "icon": c2.text_input(_("Icon"), value=p.icon if p else "👤", key=f"pn_icon_{key}"),
        }
        c3, c4 = st.columns(2)
        values["role"] = c3.text_input(_("Role"), value=p.role if p else "", key=f"pn_role_{key}")
        values["seniority"] = c4.text_input(
            _("Seniority"), value=p.seniority if p else "", key=f"pn_sen_{key}"
        )
        for field, label in SECTIONS:
            values[field] = st.text_area(
                _("{label} (Markdown)").format(label=_(label)),
                value=getattr(p, field) if p else "",
                key=f"pn_{field}_{key}",
                height=100,
            )
        label = _("Save as a new version") if p else _("Add the persona")
        if st.form_submit_button(label, disabled=why is not None, help=why, type="primary"):
            widgets.save(
                engine,
                _("Saved; earlier versions stay readable.") if p else _("Persona added."),
                lambda s: personas.save_persona(
                    s, actor=actor, persona_id=p.id if p else None, fields=values
                ),
            )


def new_persona(engine: Engine, actor: Actor) -> None:
    """The form for a new persona card."""
    with st.expander(_("Add a persona"), icon=":material/person_add:"):
        _form(engine, actor, None)
