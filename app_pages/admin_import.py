"""Admin → Import: CRM exports in, with a preview, a dry run and nothing lost."""

import streamlit as st

from smarketing.i18n import N_, _
from smarketing.ui import frame, import_views

#: What an import reads, in words (the options stay the kinds).
KINDS = {"leads": N_("Leads"), "activities": N_("Activities")}

engine = frame.engine()
actor = frame.actor_allowed_to("import.run")

st.title(_("Import"))
kind = (
    st.segmented_control(
        _("What"),
        list(KINDS),
        default="leads",
        key="import_kind",
        format_func=lambda kind: _(KINDS[kind]),
    )
    or "leads"
)
upload = st.file_uploader(
    _("CRM export (CSV: HubSpot, Salesforce, Pipedrive or any CSV)")
    if kind == "leads"
    else _("Activities (CSV: lead id, time, kind, detail)"),
    type=["csv", "tsv", "txt"],
    key="import_file",
    max_upload_size=import_views.upload_limit_mb(),
)
data = import_views.upload_bytes(upload) if upload is not None else None
if upload is not None and data is not None:
    chosen = import_views.options(data, upload.name, kind, engine)
    parsed = import_views.parse_or_stop(data, upload.name, kind, chosen) if chosen else None
    if parsed is not None:
        import_views.dry_run_and_import(engine, actor, parsed, kind, frame.facts(engine)["demo"])
st.subheader(_("Import runs"))
import_views.runs(engine)
