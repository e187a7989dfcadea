"""Removing the demo company on the Import page: what goes and what stays, with counts and
in words, the starting-point choice, and the confirmation."""

from __future__ import annotations

import streamlit as st
from sqlalchemy.engine import Engine

from smarketing import demo, formatting
from smarketing.auth.permissions import Actor, allowed
from smarketing.i18n import N_, _
from smarketing.safe_text import safe_markdown
from smarketing.ui.resources import session

REMOVE_KEY = "import_remove_demo"
KEEP_KEY = "import_keep_start"
KEEP_LABEL = N_(
    "Keep the demo's definitions, personas, agenda templates and SLA agreement as a starting point"
)


def _section(title: str, lines: list[str], empty: str | None = None) -> None:
    if not lines and empty is None:
        return
    items = "\n".join(f"- {safe_markdown(line)}" for line in lines) if lines else f"- {empty}"
    st.markdown(f"**{title}**\n\n{items}")


def plan_view(plan: demo.RemovalPlan) -> None:
    """The plan in words: removed, kept because the team made or changed it, kept as the
    starting point, and what is never touched."""
    with st.container(border=True, key="demo_removal_plan"):
        _section(_("Removed — demo data nobody touched"), plan.removed_lines(), _("nothing"))
        _section(
            _("Kept — made or changed by your team"),
            plan.kept_lines(),
            _("nothing: no one has worked on the demo data"),
        )
        if plan.keep_starting_point:
            _section(_("Kept as your starting point"), plan.starting_point_lines())
        st.caption(_(demo.removal.UNTOUCHED))


def removal_choice(engine: Engine, actor: Actor) -> tuple[bool, bool]:
    """Ask before the first real import: the starting-point choice, the plan it gives, and
    the confirmation. Returns (remove the demo, keep the starting point)."""
    may = allowed(actor, "demo.manage")
    why_not = None if may else _("Only an admin may remove the demo company: ask one to import.")
    st.markdown(
        _(
            "**The demo company is still in the database.** The first real import removes "
            "it: this is what goes and what stays."
        )
    )
    keep = st.checkbox(_(KEEP_LABEL), value=True, key=KEEP_KEY, disabled=not may, help=why_not)
    with session(engine) as s:
        plan = demo.removal_plan(s, keep_starting_point=keep)
    plan_view(plan)
    remove = st.checkbox(
        _("Remove the demo company as listed, then import"),
        key=REMOVE_KEY,
        disabled=not may,
        help=why_not,
    )
    return remove, keep


def removed_text(plan: demo.RemovalPlan) -> str:
    """One sentence for after the removal."""
    rows = formatting.count(sum(plan.removed.values()))
    if plan.keep_starting_point:
        text = _(
            "The demo company was removed ({rows} rows); what your team made or changed "
            "stayed, and the demo's definitions, personas and SLA agreement stay as your "
            "starting point."
        )
    else:
        text = _(
            "The demo company was removed ({rows} rows); what your team made or changed stayed."
        )
    return text.format(rows=rows)
