"""Admin → Data sources: the CRM accounts synced by themselves — add one, test it, see and
change its field mapping, run the first full sync with a progress bar, its schedule and its
runs. Every write goes through ``smarketing.data_in.sources`` / ``sync`` (checked there)."""

from __future__ import annotations

import pandas as pd
import streamlit as st
from sqlalchemy.engine import Engine

from smarketing.auth.permissions import Actor
from smarketing.connectors import LABELS
from smarketing.data_in import sources, sync
from smarketing.data_in.formats import TARGETS, target_label
from smarketing.errors import SmarketingError
from smarketing.formatting import count, decimal, local_time
from smarketing.i18n import N_, _
from smarketing.jobs.locks import job_status
from smarketing.safe_text import safe_markdown
from smarketing.ui import demo_views, import_views, widgets
from smarketing.ui.resources import session

CHOSEN = "source_chosen"
ADD_KEYS = (
    "source_add_name",
    "source_add_kind",
    "source_add_token",
    "source_add_every",
    "source_add_url",
    "source_add_webhook",
)
PREVIEW = "source_preview"
MAPPING = "source_mapping"


def statuses(engine: Engine) -> list[sources.SourceStatus]:
    with session(engine) as s:
        return sources.source_statuses(s)


#: A sync run's status (a database value) as the table says it, with its time.
STATUS_TEXTS = {
    "done": N_("done {when}"),
    "failed": N_("failed {when}"),
    "running": N_("running {when}"),
    "undoing": N_("being undone {when}"),
}


def _status_text(r: sources.SourceStatus) -> str:
    if not r.enabled:
        return _("paused")
    if r.last_run_at is None:
        return _("never synced")
    text = STATUS_TEXTS.get(r.last_status or "")
    when = local_time(r.last_run_at)
    return _(text).format(when=when) if text else f"{r.last_status} {when}"


def table(rows: list[sources.SourceStatus]) -> None:
    """Every source: CRM, where its token comes from, schedule, last sync, next one."""
    if not rows:
        st.info(
            _(
                "No CRM is connected yet. Add one below: HubSpot, Pipedrive or Salesforce. Its "
                "token stays in the server's environment (or `.streamlit/secrets.toml`); "
                "Smarketing stores only where to find it."
            ),
            icon=":material/info:",
        )
        return
    frame = pd.DataFrame(
        [
            {
                "Source": r.name,
                "CRM": r.label,
                "Token from": r.token_label,
                "Every": _("{n} min").format(n=count(r.every_minutes)),
                "Last sync": _status_text(r),
                "Last success": local_time(r.last_ok_at),
                "Next": local_time(r.next_due_at) if r.enabled else "—",
            }
            for r in rows
        ]
    )
    st.dataframe(
        frame,
        hide_index=True,
        width="stretch",
        column_config={
            "Source": _("Source"),
            "CRM": "CRM",
            "Token from": _("Token from"),
            "Every": _("Every"),
            "Last sync": _("Last sync"),
            "Last success": _("Last success"),
            "Next": _("Next"),
        },
    )
    for r in rows:
        if r.last_status == "failed" and r.last_message:
            st.error(
                _("**{name}**: the last sync failed — {why}").format(
                    name=r.name, why=r.last_message
                ),
                icon=":material/sync_problem:",
            )


def add_form(engine: Engine, actor: Actor) -> None:
    """The form that adds a source (nothing typed is lost on an error: the form keeps it)."""
    with st.form("source_add", clear_on_submit=False, border=True):
        st.markdown(_("**Add a source**"))
        left, right = st.columns(2)
        name = left.text_input(_("Name"), key="source_add_name", placeholder="hubspot")
        kind = right.selectbox("CRM", list(LABELS), format_func=LABELS.get, key="source_add_kind")
        token_env = left.text_input(
            _("Token from"),
            key="source_add_token",
            placeholder="HUBSPOT_TOKEN",
            help=_(
                "The name of the environment variable that holds the token (or secrets:KEY "
                "for a key of .streamlit/secrets.toml) — never the token itself."
            ),
        )
        every = right.number_input(
            _("Sync every (minutes)"), 1, 1440, sources.EVERY_MINUTES, key="source_add_every"
        )
        base_url = left.text_input(
            _("API address (optional)"),
            key="source_add_url",
            help=_("Leave empty for the CRM's own; a test server's address for trials."),
        )
        webhook = right.text_input(
            _("Webhook secret from (HubSpot, optional)"),
            key="source_add_webhook",
            help=_(
                "The variable holding your HubSpot app's client secret, to accept its webhooks."
            ),
        )
        if not st.form_submit_button(_("Add source"), type="primary"):
            return

    def add(s) -> None:
        added = sources.add_source(
            s,
            actor=actor,
            name=name,
            kind=kind,
            token_env=token_env,
            base_url=base_url,
            every_minutes=int(every),
            webhook_secret_env=webhook,
        )
        st.session_state[CHOSEN] = added.name

    widgets.save(
        engine,
        _("Added {name}. Test the connection, check the mapping, then run the first sync.").format(
            name=name.strip()
        ),
        add,
        clear=ADD_KEYS,
    )


def choose(rows: list[sources.SourceStatus]) -> sources.SourceStatus | None:
    if not rows:
        return None
    names = [r.name for r in rows]
    if st.session_state.get(CHOSEN) not in names:
        st.session_state[CHOSEN] = names[0]
    picked = st.selectbox(_("Source"), names, key=CHOSEN)
    return next(r for r in rows if r.name == picked)


def check(engine: Engine, row: sources.SourceStatus) -> None:
    """ "Test connection": one line on the account, or what is wrong."""
    if not st.button(_("Test connection"), key="source_test", icon=":material/network_check:"):
        return
    with session(engine) as s:
        source = sources.get_source(s, row.name)
        s.expunge(source)
    with st.spinner(_("Asking {crm}…").format(crm=row.label)):
        try:
            found = sources.connection_check(source)
        except SmarketingError as exc:
            st.error(str(exc), icon=":material/link_off:")
            return
    st.success(_("Connected: {account}").format(account=found), icon=":material/check_circle:")


def mapping(engine: Engine, actor: Actor, row: sources.SourceStatus) -> None:
    """The mapping preview: the first records read from the CRM, each API field with the
    lead field it is imported into (editable, as for a CSV), and the first leads."""
    st.markdown(
        _(
            "**Field mapping** — which lead field each API field is imported into, read from "
            "the first records of the account"
        )
    )
    if st.button(_("Read the first records"), key="source_preview_go", icon=":material/preview:"):
        with st.spinner(_("Reading from {crm}…").format(crm=row.label)):
            try:
                st.session_state[PREVIEW] = (row.name, sync.preview(engine, row.name, actor=actor))
            except SmarketingError as exc:
                st.error(str(exc), icon=":material/link_off:")
                return
    shown = st.session_state.get(PREVIEW)
    if not shown or shown[0] != row.name:
        st.caption(_("Nothing read yet: the mapping shows once the first records are read."))
        return
    found: sync.Preview = shown[1]
    if not found.columns:
        st.info(_("The account has no records yet."), icon=":material/info:")
        return
    labels = {t: target_label(t) for t in TARGETS}
    picked = import_views.mapping_editor(
        found.columns,
        found.mapping,
        labels,
        ("source", row.name, tuple(found.columns)),
        key=MAPPING,
        what=_("API field"),
        examples=found.examples,
    )
    if st.button(_("Save mapping"), key="source_mapping_save"):
        # what the person changed in the table shown, on top of the changes stored
        edits = {
            c: picked.get(c, "") for c in found.columns if picked.get(c) != found.mapping.get(c)
        }
        try:
            with session(engine) as s:
                sources.set_mapping(s, row.name, edits, actor=actor, merge=True)
        except SmarketingError as exc:
            st.error(str(exc), icon=":material/block:")
            return
        st.session_state.pop(PREVIEW, None)
        st.session_state[widgets.FLASH_KEY] = _("Mapping saved; the next sync reads with it.")
        st.rerun()
    if found.activity_fields:
        st.caption(
            _(
                "Read as the lead's activities (form submissions, visits, e-mail clicks), not "
                "as lead fields: {fields}"
            ).format(fields=", ".join(f"`{f}`" for f in found.activity_fields))
        )
    if found.leads:
        st.caption(_("The first leads as they would be stored:"))
        st.dataframe(pd.DataFrame(found.leads), hide_index=True, width="stretch")
    for line in found.rejects[:10]:
        st.warning(line, icon=":material/block:")


def run_sync(engine: Engine, actor: Actor, row: sources.SourceStatus, demo_present: bool) -> None:
    """Sync now (the first one is full), with a progress bar; the result as a flash."""
    first = not row.has_cursor
    remove_demo, keep = False, True
    if demo_present:
        remove_demo, keep = demo_views.removal_choice(engine, actor)
    left, right = st.columns(2)
    go = left.button(
        _("Run the first full sync") if first else _("Sync now"),
        type="primary",
        key="source_sync",
        icon=":material/sync:",
        disabled=not row.enabled or (demo_present and not remove_demo),
    )
    full = right.button(
        _("Full sync"), key="source_full", disabled=first or not row.enabled or demo_present
    )
    if not (go or full):
        return
    bar = st.progress(0.0, text=_("Reading {crm}…").format(crm=row.label))
    try:
        result = sync.sync_source(
            engine,
            row.name,
            actor=actor,
            full=full,
            remove_demo=remove_demo,
            keep_starting_point=keep,
            progress=lambda f, t: bar.progress(min(max(f, 0.0), 1.0), text=t),
            now=widgets.now(),
        )
    except SmarketingError as exc:
        bar.empty()
        st.error(str(exc), icon=":material/sync_problem:")
        return
    bar.empty()
    text = _("{name}: {summary} ({seconds} s).").format(
        name=row.name, summary=result.summary, seconds=decimal(result.seconds, 1)
    )
    if result.rejects:
        text += "\n\n" + _("Rejected: {rows}").format(
            rows="; ".join(safe_markdown(r) for r in result.rejects[:5])
        )
    st.session_state[widgets.FLASH_KEY] = text
    st.rerun()


def schedule(engine: Engine, actor: Actor, row: sources.SourceStatus) -> None:
    """The schedule and pause/resume."""
    with st.form("source_schedule", border=False):
        left, right = st.columns(2)
        every = left.number_input(
            _("Sync every (minutes)"), 1, 1440, row.every_minutes, key="source_every"
        )
        enabled = right.toggle(_("Syncing by itself"), value=row.enabled, key="source_enabled")
        if not st.form_submit_button(_("Save schedule")):
            return
    widgets.save(
        engine,
        _("{name}: schedule saved.").format(name=row.name),
        lambda s: sources.update_source(
            s, row.name, actor=actor, every_minutes=int(every), enabled=enabled
        ),
    )


def jobs(engine: Engine) -> None:
    """The scheduled jobs: who runs each now, its last run and error (none: not started)."""
    rows = job_status(engine)
    if not rows:
        st.caption(
            _(
                "No scheduled job has run yet: they start with the server (or `python -m "
                "smarketing worker` when `SMARKETING_SCHEDULER=off`)."
            )
        )
        return
    now = widgets.now()
    frame = pd.DataFrame(
        [
            {
                "Job": r.name,
                "State": _("running")
                if r.running(now)
                else _("abandoned")
                if r.abandoned(now)
                else _job_status(r.last_status),
                "Last start": local_time(r.last_started_at),
                "Last end": local_time(r.last_finished_at),
                "Error": (r.last_error or "—").splitlines()[0][:200] if r.last_error else "—",
            }
            for r in rows
        ]
    )
    st.dataframe(
        frame,
        hide_index=True,
        width="stretch",
        column_config={
            "Job": _("Job"),
            "State": _("State"),
            "Last start": _("Last start"),
            "Last end": _("Last end"),
            "Error": _("Error"),
        },
    )


#: A job's last status (a database value) in words.
JOB_STATUSES = {
    "running": N_("running"),
    "ok": N_("ok"),
    "error": N_("error"),
    "stopped": N_("stopped"),
}


def _job_status(status: str | None) -> str:
    if not status:
        return "—"
    return _(JOB_STATUSES[status]) if status in JOB_STATUSES else status
