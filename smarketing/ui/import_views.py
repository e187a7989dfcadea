"""Admin → Import: upload, preview with format and mapping, dry run, import with progress."""

from __future__ import annotations

import hashlib
import json

import pandas as pd
import streamlit as st
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from smarketing import config
from smarketing.errors import SmarketingError
from smarketing.imports import activities, reading, rejects, upsert
from smarketing.imports.records import LEAD_FIELDS, ParsedFile, RowError, UnreadableFile
from smarketing.permissions import Actor, allowed
from smarketing.ui import demo_views, widgets
from smarketing.ui.resources import session

PARSED = "_import_parsed"
IGNORE = "(ignore)"


def _parse(
    data: bytes,
    name: str,
    kind: str,
    fmt: str,
    mapping: dict | None,
    tz: str,
    crm: str | None = None,
):
    """Read the file once per (content, options) and keep it in this session only."""
    key = hashlib.sha256(
        data + json.dumps([name, kind, fmt, mapping, tz, crm], sort_keys=True).encode()
    ).hexdigest()
    cached = st.session_state.get(PARSED)
    if cached and cached[0] == key:
        return cached[1]
    with st.spinner(f"Reading {name}…"):
        if kind == "leads":
            parsed = reading.read_leads(data, name, format=fmt, mapping=mapping, tz=tz)
        else:
            parsed = reading.read_activities(data, name, tz=tz, mapping=mapping, source_system=crm)
    st.session_state[PARSED] = (key, parsed)
    return parsed


def _crm_default(engine: Engine | None, guess: str) -> str:
    """The CRM preselected for an activities file: the header's guess, or the one CRM
    whose leads the database holds when the header names none (see the upsert)."""
    if engine is None:
        return guess
    try:
        return upsert.default_source_system(guess, upsert.stored_source_systems(engine))
    except SQLAlchemyError:
        return guess


def options(
    data: bytes, name: str, kind: str, engine: Engine | None = None
) -> tuple[str, dict | None, str, str | None] | None:
    """Preview the file and let the person confirm format, mapping and timezone (leads)
    or the CRM of the lead ids (activities): ``(format, mapping, tz, crm)`` for
    :func:`parse_or_stop`, ``crm`` None for leads. With ``engine`` an activities file
    whose header names no CRM preselects the one CRM whose leads are stored."""
    try:
        first, detected, used = reading.preview(data, name, kind=kind)
    except UnreadableFile as exc:
        st.error(str(exc), icon=":material/block:")
        return None
    st.markdown(f"**Preview** — first {len(first)} rows of *{name}*")
    st.dataframe(first, hide_index=True, width="stretch")
    c1, c2 = st.columns(2)
    fmt = "auto"
    crm = None
    if kind == "activities":
        guess = activities.source_system(used)
        default = _crm_default(engine, guess)
        choices = list(activities.SOURCE_SYSTEMS)
        crm = c1.selectbox(
            "CRM of the lead ids",
            choices,
            index=choices.index(default),
            key="import_crm",
            help=f"Guessed from the lead-id header: {guess}. Activities are matched to the "
            "leads imported from this CRM.",
        )
    if kind == "leads":
        choices = list(reading.FORMATS)
        fmt = c1.selectbox(
            "Format",
            choices,
            index=choices.index(detected) if detected in choices else 0,
            key="import_format",
            help=f"Detected from the headers: {detected}",
        )
    tz = c2.text_input(
        "Timezone of times without an offset", value=config.timezone_name(), key="import_tz"
    )
    chosen = None
    if kind == "leads" and fmt == "generic":
        chosen = _mapping_editor(
            first.columns.tolist(), reading.default_mapping(fmt, list(first.columns))
        )
    elif kind == "leads":
        with st.expander("How the columns are read"):
            used = reading.default_mapping(fmt, list(first.columns))
            st.dataframe(
                pd.DataFrame({"file column": list(used), "read as": list(used.values())}),
                hide_index=True,
                width="stretch",
            )
    return fmt, chosen, tz, crm


def _mapping_editor(columns: list[str], default: dict[str, str]) -> dict[str, str]:
    st.markdown("**Column mapping** — which lead field each column holds")
    frame = pd.DataFrame(
        {"file column": columns, "lead field": [default.get(c, IGNORE) for c in columns]}
    )
    edited = st.data_editor(
        frame,
        hide_index=True,
        width="stretch",
        key="import_mapping",
        disabled=["file column"],
        column_config={
            "lead field": st.column_config.SelectboxColumn(
                options=[IGNORE, *LEAD_FIELDS, "crm_status"], required=True
            )
        },
    )
    return {
        r["file column"]: r["lead field"]
        for r in edited.to_dict("records")
        if r["lead field"] != IGNORE
    }


def problems(parsed: ParsedFile, unmatched: list[RowError]) -> None:
    """File notes, rejected rows with row/column/reason, and the rejects download."""
    for warning in parsed.warnings:
        st.info(warning, icon=":material/info:")
    errors = rejects.all_errors(parsed, unmatched)
    if not errors:
        st.success(f"All {parsed.rows_read:,} rows are valid ({parsed.format}).")
        return
    count = len({e.row for e in errors})
    st.warning(
        f"{count:,} of {parsed.rows_read:,} rows are rejected; the other rows can be imported.",
        icon=":material/warning:",
    )
    shown = pd.DataFrame(
        [{"row": e.row, "column": e.column or "", "reason": e.reason} for e in errors[:200]]
    )
    st.dataframe(shown, hide_index=True, width="stretch")
    st.download_button(
        "Download the rejected rows (CSV with an 'error' column)",
        rejects.rejects_frame(parsed, unmatched).to_csv(index=False).encode("utf-8"),
        file_name=f"rejected-{parsed.file_name}",
        mime="text/csv",
        key="import_rejects",
    )


def _action(kind: str):
    return upsert.import_leads if kind == "leads" else upsert.import_activities


def dry_run_and_import(
    engine: Engine, actor: Actor, parsed: ParsedFile, kind: str, demo_present: bool
) -> None:
    """Show what would happen, ask about the demo company, then import with a progress bar."""
    try:
        preview = _action(kind)(engine, parsed, actor=actor, dry_run=True)
    except SmarketingError as exc:
        st.error(str(exc))
        return
    problems(parsed, preview.unmatched)
    unknown = f"no {parsed.source_system} lead with id"
    if kind == "activities" and any(e.reason.startswith(unknown) for e in preview.unmatched):
        st.info(
            f"The lead ids were matched against the {parsed.source_system} leads. If they "
            "are another CRM's ids, choose that CRM under *CRM of the lead ids* above.",
            icon=":material/info:",
        )
    st.markdown(
        f"**Dry run:** {preview.inserted:,} would be inserted, {preview.updated:,} updated, "
        f"{preview.unchanged:,} unchanged, {preview.rejected:,} rejected."
    )
    remove_demo, keep_start = False, True
    if demo_present:
        remove_demo, keep_start = demo_views.removal_choice(engine, actor)
    can = allowed(actor, "import.run") and (remove_demo or not demo_present)
    if not st.button(
        f"Import {parsed.file_name}", type="primary", disabled=not can, key="import_go"
    ):
        return
    bar = st.progress(0.0, text="Importing…")
    try:
        result = _action(kind)(
            engine,
            parsed,
            actor=actor,
            remove_demo=remove_demo,
            keep_starting_point=keep_start,
            progress=lambda f, t: bar.progress(min(f, 1.0), text=t),
        )
    except SmarketingError as exc:
        bar.empty()
        st.error(f"Nothing was imported: {exc}")
        return
    bar.empty()
    st.session_state.pop(PARSED, None)
    done = (
        f"Imported: {result.inserted:,} inserted, {result.updated:,} updated, "
        f"{result.unchanged:,} unchanged, {result.rejected:,} rejected "
        f"({result.seconds:.1f} s)."
    )
    if result.demo_removal is not None:
        done += "\n\n" + demo_views.removed_text(result.demo_removal)
    # rerun, so the whole screen shows the new state (no demo banner, the new counts);
    # the message is shown at the top of that run
    st.session_state[widgets.FLASH_KEY] = done
    st.rerun()


def runs(engine: Engine) -> None:
    """Every import run, newest first."""
    with session(engine) as s:
        table = upsert.import_runs(s)
    if table.empty:
        st.caption("No import has run yet.")
        return
    when = [c for c in table.columns if c in ("when", "started_at", "at")]
    if when:
        table = table.assign(**{when[0]: table[when[0]].map(widgets.local_time)})
    st.dataframe(table, hide_index=True, width="stretch")


def parse_or_stop(data: bytes, name: str, kind: str, chosen) -> ParsedFile | None:
    """The parsed file, or None after showing why it cannot be read."""
    fmt, mapping, tz, *rest = chosen
    crm = rest[0] if rest else None
    try:
        return _parse(data, name, kind, fmt, mapping, tz, crm)
    except SmarketingError as exc:
        st.error(str(exc), icon=":material/block:")
        return None
