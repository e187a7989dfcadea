"""Admin → Import: upload, preview with format and mapping, dry run, import with progress."""

from __future__ import annotations

import hashlib
import json

import pandas as pd
import streamlit as st
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from smarketing import config, i18n
from smarketing.auth.permissions import Actor, allowed
from smarketing.data_in import (
    activities,
    formats,
    planning,
    rawfile,
    reading,
    rejects,
    upsert,
    writing,
)
from smarketing.data_in.records import (
    UNKNOWN_LEAD,
    ParsedFile,
    RowError,
    RowWarning,
    UnreadableFile,
)
from smarketing.errors import SmarketingError
from smarketing.formatting import count, decimal
from smarketing.i18n import N_, _, ngettext
from smarketing.safe_text import safe_markdown
from smarketing.ui import demo_views, widgets
from smarketing.ui.resources import session

PARSED = "_import_parsed"
#: About how many file columns the preview shows side by side on a 1280-pixel screen.
PREVIEW_FITS = 7
#: The editor's choice for a column that is left out.
NOT_IMPORTED = N_("— not imported")


def upload_limit_mb() -> int:
    """The uploader's size limit in MB: the import limit (SMARKETING_IMPORT_MAX_MB), which
    the browser enforces; ``server.maxUploadSize`` (.streamlit/config.toml) caps it on the
    server."""
    return max(1, -(-config.import_limits().max_bytes // (1024 * 1024)))


def upload_bytes(upload) -> bytes | None:
    """The uploaded file's bytes, or None after saying why it is refused: larger than the
    import limit (checked on its size before the bytes are read)."""
    try:
        rawfile.check_size(upload.size, upload.name, config.import_limits())
    except SmarketingError as exc:
        st.error(str(exc), icon=":material/block:")
        return None
    return upload.getvalue()


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
    digest = hashlib.sha256(data)  # not data + options: that would copy the file
    # the language too: the rejected rows' reasons are written in it
    options = [name, kind, fmt, mapping, tz, crm, i18n.current()]
    digest.update(json.dumps(options, sort_keys=True).encode())
    key = digest.hexdigest()
    cached = st.session_state.get(PARSED)
    if cached and cached[0] == key:
        return cached[1]
    with st.spinner(_("Reading {name}…").format(name=safe_markdown(name))):
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
        return planning.default_source_system(guess, planning.stored_source_systems(engine))
    except SQLAlchemyError:
        return guess


#: The formats as people name them.
FORMAT_NAMES = {
    "hubspot": N_("HubSpot contacts"),
    "salesforce": N_("Salesforce leads or contacts"),
    "pipedrive": N_("Pipedrive leads, people or deals"),
    "generic": N_("Any other CSV"),
    "activities": N_("Activities"),
}
#: The CRMs of an activities file's lead ids, as people name them.
CRM_NAMES = {
    "hubspot": "HubSpot",
    "salesforce": "Salesforce",
    "pipedrive": "Pipedrive",
    "csv": N_("A CSV of our own (no CRM)"),
}


def format_name(fmt: str) -> str:
    """A format as people name it, in the language speaking."""
    return _(FORMAT_NAMES[fmt]) if fmt in FORMAT_NAMES else fmt


def crm_name(crm: str) -> str:
    """The CRM of an activities file's lead ids, in the language speaking."""
    return _(CRM_NAMES[crm]) if crm in CRM_NAMES else crm


MAPPING = "import_mapping"


def options(
    data: bytes, name: str, kind: str, engine: Engine | None = None
) -> tuple[str, dict | None, str, str | None] | None:
    """Preview the file and let the person confirm format, mapping and timezone (leads)
    or the CRM of the lead ids and the mapping (activities): ``(format, mapping, tz,
    crm)`` for :func:`parse_or_stop`, ``crm`` None for leads, ``mapping`` None when the
    person kept the detected one. With ``engine`` an activities file whose header names
    no CRM preselects the one CRM whose leads are stored."""
    try:
        first, detected, used = reading.preview(data, name, kind=kind)
    except UnreadableFile as exc:
        st.error(str(exc), icon=":material/block:")
        return None
    columns = len(first.columns)
    shown_columns = ngettext("{n} column", "{n} columns", columns).format(n=count(columns))
    heading = ngettext(
        "**Preview** — first {rows} row of *{name}*, {columns} as in the file",
        "**Preview** — first {rows} rows of *{name}*, {columns} as in the file",
        len(first),
    ).format(rows=count(len(first)), name=safe_markdown(name), columns=shown_columns)
    if columns > PREVIEW_FITS:
        heading += " " + _("(scroll sideways for all of them)")
    st.markdown(heading)
    first_column = str(first.columns[0]) if columns else None
    st.dataframe(
        first,
        hide_index=True,
        width="stretch",
        column_config={first_column: st.column_config.Column(pinned=True)} if columns else None,
    )
    c1, c2 = st.columns(2)
    fmt = "auto"
    crm = None
    if kind == "activities":
        guess = activities.source_system(used)
        default = _crm_default(engine, guess)
        choices = list(activities.SOURCE_SYSTEMS)
        crm = c1.selectbox(
            _("CRM of the lead ids"),
            choices,
            index=choices.index(default),
            key="import_crm",
            format_func=crm_name,
            help=_(
                "Guessed from the lead-id header: {crm}. Activities are matched to the "
                "leads imported from this CRM."
            ).format(crm=crm_name(guess)),
        )
    if kind == "leads":
        choices = list(reading.FORMATS)
        fmt = c1.selectbox(
            _("Format"),
            choices,
            index=choices.index(detected) if detected in choices else 0,
            key="import_format",
            format_func=format_name,
            help=_("Detected from the headers: {format}").format(format=format_name(detected)),
        )
    tz = c2.text_input(
        _("Timezone of times without an offset"), value=config.timezone_name(), key="import_tz"
    )
    columns = [str(c) for c in first.columns]
    if kind == "leads":
        default = reading.default_mapping(fmt, columns)
        labels = {t: formats.target_label(t) for t in formats.TARGETS}
    else:
        default = used
        labels = {t: _(label) for t, label in activities.TARGET_LABELS.items()}
    chosen = mapping_editor(columns, default, labels, signature=(name, kind, fmt))
    if kind == "leads":
        first_line, second_line = formats.mapping_in_words(
            formats.column_uses(fmt, columns, chosen)
        )
        st.caption(safe_markdown(first_line))
        st.caption(safe_markdown(second_line))
    return fmt, (None if chosen == default else chosen), tz, crm


def mapping_editor(
    columns: list[str],
    default: dict[str, str],
    labels: dict[str, str],
    signature: tuple,
    *,
    key: str = MAPPING,
    what: str | None = None,
    examples: dict[str, str] | None = None,
) -> dict[str, str]:
    """The column mapping as a table the person edits, prefilled from detection: each file
    column and the field it is imported into (or "not imported"). Returns ``{file column:
    target}`` in the order of the defaults (the first column of a field wins), then the
    person's additions. ``what`` names the columns (a CRM's "API field"), ``examples``
    adds a value of each. The table's own column names stay English (its session state);
    the labels shown are translated."""
    remembered = f"_{key}_for"
    signature = (*signature, i18n.current())  # the edits hold labels in the language shown
    if st.session_state.get(remembered) != signature:  # another file, format or language
        st.session_state.pop(key, None)
        st.session_state[remembered] = signature
    if what is None:
        what = _("File column")
        st.markdown(_("**Columns** — which field each column is imported into"))
    not_imported = _(NOT_IMPORTED)
    data = {
        "File column": columns,
        "Imported as": [
            labels.get(default[c], default[c]) if c in default else not_imported for c in columns
        ],
    }
    if examples is not None:
        data["Example"] = [examples.get(c, "") for c in columns]
    by_label = {label: target for target, label in labels.items()}
    edited = st.data_editor(
        pd.DataFrame(data),
        hide_index=True,
        width="stretch",
        height=min(35 * (len(columns) + 1) + 3, 35 * 21 + 3),  # every column, up to 20
        key=key,
        disabled=["File column", "Example"],
        column_config={
            "File column": st.column_config.TextColumn(what),
            "Example": st.column_config.TextColumn(_("Example")),
            "Imported as": st.column_config.SelectboxColumn(
                _("Imported as"),
                options=[not_imported, *labels.values()],
                required=True,
                help=_("Pick the field this column holds, or “not imported”."),
            ),
        },
    )
    picked = {
        row["File column"]: by_label[row["Imported as"]]
        for row in edited.to_dict("records")
        if row["Imported as"] in by_label
    }
    kept = {c: t for c, t in default.items() if picked.get(c) == t}
    return {**kept, **{c: t for c, t in picked.items() if c not in kept}}


def problems(parsed: ParsedFile, unmatched: list[RowError]) -> None:
    """File notes, rejected rows with row/column/reason, and the rejects download."""
    for warning in parsed.warnings:
        if _(reading.UNMAPPED_NOTE) in warning:
            continue  # the preview already says which columns are not imported, and why
        st.info(warning, icon=":material/info:")
    errors = rejects.all_errors(parsed, unmatched)
    if not errors:
        what = format_name(parsed.format)
        st.success(
            ngettext(
                "The {n} row is valid ({format}).",
                "All {n} rows are valid ({format}).",
                parsed.rows_read,
            ).format(n=count(parsed.rows_read), format=what)
        )
        return
    rejected = len({e.row for e in errors})
    st.warning(
        ngettext(
            "{rejected} of {n} row is rejected; the other rows can be imported.",
            "{rejected} of {n} rows are rejected; the other rows can be imported.",
            parsed.rows_read,
        ).format(rejected=count(rejected), n=count(parsed.rows_read)),
        icon=":material/warning:",
    )
    shown = pd.DataFrame(
        [{"Row": e.row, "Column": e.column or "—", "Why": e.reason} for e in errors[:200]]
    )
    st.dataframe(
        shown,
        hide_index=True,
        width="stretch",
        column_config={
            "Row": st.column_config.NumberColumn(_("Row")),
            "Column": st.column_config.TextColumn(_("Column")),
            "Why": st.column_config.TextColumn(_("Why")),
        },
    )
    st.download_button(
        _("Download the rejected rows (CSV with an 'error' column)"),
        rejects.rejects_csv(parsed, unmatched),
        file_name=f"rejected-{parsed.file_name}",
        mime="text/csv",
        key="import_rejects",
    )


def row_warnings(parsed: ParsedFile, warnings: list[RowWarning]) -> None:
    """The rows imported with a warning (dates far in the future, names that look misread):
    row, column, value and what to check, and their download."""
    if not warnings:
        return
    rows = len({w.row for w in warnings})
    st.warning(
        ngettext(
            "{n} row has a warning: it is imported all the same (a name that looks misread "
            "keeps its stored spelling). Check it in the CRM.",
            "{n} rows have a warning: they are imported all the same (a name that looks "
            "misread keeps its stored spelling). Check them in the CRM.",
            rows,
        ).format(n=count(rows)),
        icon=":material/warning:",
    )
    shown = pd.DataFrame(
        [
            {"Row": w.row, "Column": w.column or "—", "Value": w.value, "Warning": w.message}
            for w in warnings[:200]
        ]
    )
    st.dataframe(
        shown,
        hide_index=True,
        width="stretch",
        column_config={
            "Row": st.column_config.NumberColumn(_("Row"), width="small"),
            "Column": st.column_config.TextColumn(_("Column")),
            "Value": st.column_config.TextColumn(_("Value"), width="medium"),
            "Warning": st.column_config.TextColumn(_("Warning"), width="large"),
        },
    )
    st.download_button(
        _("Download the warnings (CSV)"),
        rejects.warnings_csv(warnings),
        file_name=f"warnings-{parsed.file_name}",
        mime="text/csv",
        key="import_warnings",
    )


def dry_run_summary(preview) -> str:
    """The dry run's counts in one sentence."""
    text = _(
        "{inserted} would be inserted, {updated} updated, {unchanged} unchanged, "
        "{rejected} rejected"
    ).format(
        inserted=count(preview.inserted),
        updated=count(preview.updated),
        unchanged=count(preview.unchanged),
        rejected=count(preview.rejected),
    )
    if preview.warnings:
        text += _(", {n} with warnings").format(n=count(preview.warned_rows))
    return text + "."


def imported_summary(result) -> str:
    """The import's counts (without the closing full stop)."""
    text = _("{inserted} inserted, {updated} updated, {unchanged} unchanged, {rejected} rejected")
    text = text.format(
        inserted=count(result.inserted),
        updated=count(result.updated),
        unchanged=count(result.unchanged),
        rejected=count(result.rejected),
    )
    if result.warnings:
        text += _(", {n} with warnings").format(n=count(result.warned_rows))
    return text


def _action(kind: str):
    return upsert.import_leads if kind == "leads" else upsert.import_activities


def dry_run_and_import(
    engine: Engine, actor: Actor, parsed: ParsedFile, kind: str, demo_present: bool
) -> None:
    """Show what would happen, ask about the demo company, then import with a progress bar."""
    try:
        preview = _action(kind)(engine, parsed, actor=actor, dry_run=True, now=widgets.now())
    except SmarketingError as exc:
        st.error(str(exc))
        return
    problems(parsed, preview.unmatched)
    row_warnings(parsed, preview.warnings)
    if getattr(preview, "reason_note", None):
        st.info(preview.reason_note, icon=":material/info:")
    if kind == "activities" and any(e.code == UNKNOWN_LEAD for e in preview.unmatched):
        st.info(
            _(
                "The lead ids were matched against the {crm} leads. If they are another "
                "CRM's ids, choose that CRM under *CRM of the lead ids* above."
            ).format(crm=parsed.source_system),
            icon=":material/info:",
        )
    st.markdown(_("**Dry run:** {summary}").format(summary=dry_run_summary(preview)))
    remove_demo, keep_start = False, True
    if demo_present:
        remove_demo, keep_start = demo_views.removal_choice(engine, actor)
    can = allowed(actor, "import.run") and (remove_demo or not demo_present)
    label = _("Import {name}").format(name=safe_markdown(parsed.file_name))
    if not st.button(label, type="primary", disabled=not can, key="import_go"):
        return
    bar = st.progress(0.0, text=_("Importing…"))
    try:
        result = _action(kind)(
            engine,
            parsed,
            actor=actor,
            remove_demo=remove_demo,
            keep_starting_point=keep_start,
            progress=lambda f, t: bar.progress(min(f, 1.0), text=t),
            now=widgets.now(),
        )
    except SmarketingError as exc:
        bar.empty()
        st.error(_("Nothing was imported: {error}").format(error=exc))
        return
    bar.empty()
    st.session_state.pop(PARSED, None)
    done = _("Imported: {summary} ({seconds} s).").format(
        summary=imported_summary(result), seconds=decimal(result.seconds, 1)
    )
    if result.warnings:
        done += "\n\n" + _(
            "The rows with warnings were imported (a name that looked misread kept its "
            "stored spelling); the dry run below lists them while the file is selected."
        )
    if result.demo_removal is not None:
        done += "\n\n" + demo_views.removed_text(result.demo_removal)
    # rerun, so the whole screen shows the new state (no demo banner, the new counts);
    # the message is shown at the top of that run
    st.session_state[widgets.FLASH_KEY] = done
    st.rerun()


#: The run log's columns (writing.RUN_COLUMNS) as people read them.
RUN_LABELS = {
    "when": N_("When"),
    "who": N_("Who"),
    "file": N_("File"),
    "kind": N_("Kind"),
    "format": N_("Format"),
    "rows read": N_("Rows read"),
    "inserted": N_("Inserted"),
    "updated": N_("Updated"),
    "unchanged": N_("Unchanged"),
    "rejected": N_("Rejected"),
    "status": N_("Status"),
    "message": N_("Message"),
}
#: A run's kind (a database value) in words.
RUN_KINDS = {"leads": N_("Leads"), "activities": N_("Activities"), "sync": N_("Sync")}
#: A run's status (a database value) in words.
RUN_STATUSES = {
    "running": N_("running"),
    "undoing": N_("being undone"),
    "done": N_("done"),
    "failed": N_("failed"),
    "interrupted": N_("interrupted"),
}


def _label(labels: dict[str, str], value):
    return _(labels[value]) if value in labels else value


def runs(engine: Engine) -> None:
    """Every import run, newest first."""
    with session(engine) as s:
        table = writing.import_runs(s)
    if table.empty:
        st.caption(_("No import has run yet."))
        return
    when = [c for c in table.columns if c in ("when", "started_at", "at")]
    if when:
        table = table.assign(**{when[0]: table[when[0]].map(widgets.local_time)})
    if "format" in table.columns:
        table = table.assign(format=table["format"].map(format_name))
    if "kind" in table.columns:
        table = table.assign(kind=table["kind"].map(lambda k: _label(RUN_KINDS, k)))
    if "status" in table.columns:
        table = table.assign(status=table["status"].map(lambda v: _label(RUN_STATUSES, v)))
    if "message" in table.columns:
        table = table.assign(message=table["message"].map(lambda m: m or "—"))
    st.dataframe(
        table,
        hide_index=True,
        width="stretch",
        column_config={c: _(RUN_LABELS[c]) for c in table.columns if c in RUN_LABELS},
    )


def parse_or_stop(data: bytes, name: str, kind: str, chosen) -> ParsedFile | None:
    """The parsed file, or None after showing why it cannot be read."""
    fmt, mapping, tz, *rest = chosen
    crm = rest[0] if rest else None
    try:
        return _parse(data, name, kind, fmt, mapping, tz, crm)
    except SmarketingError as exc:
        st.error(str(exc), icon=":material/block:")
        return None
