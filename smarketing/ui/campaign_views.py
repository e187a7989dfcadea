"""Campaigns widgets: the list (active first, what's new for you), the brief sales reads, the
campaign's live funnel and waiting leads, the draft editor, publishing and versions."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime

import pandas as pd
import streamlit as st
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from smarketing import charts, config, formatting
from smarketing.auth.permissions import Actor, allowed, refusal
from smarketing.content import campaigns
from smarketing.content.campaign_funnel import campaign_funnel, waiting_for_contact
from smarketing.formatting import EMPTY, count, hours, percent
from smarketing.i18n import N_, _
from smarketing.quality import cohorts as quality
from smarketing.quality.leads import NONE_LABEL
from smarketing.safe_text import safe_markdown as safe
from smarketing.sla import metrics as sla
from smarketing.ui import sla_views, tables, widgets
from smarketing.ui.resources import data_version, session

STATUS_ICON = {"active": "🟢", "upcoming": "🗓️", "ended": "⏹️"}


def now() -> datetime:
    """The current instant (waiting leads and deadlines are about now)."""
    return datetime.now(UTC)


def campaign_list(engine: Engine, actor: Actor, as_of: date) -> pd.DataFrame:
    """The campaigns this person may read, active first."""
    with session(engine) as s:
        return campaigns.campaign_list(s, actor=actor, as_of=as_of)


def status_label(status: str) -> str:
    """A campaign's status (active, upcoming, ended) in the language speaking."""
    label = campaigns.STATUS_LABELS.get(status)
    return _(label) if label else status


def _dates(start, end) -> str:
    if start and end:
        return f"{formatting.short_day(start)}–{formatting.day(end)}"
    if end:
        return _("until {day}").format(day=formatting.day(end))
    if start:
        return _("from {day}").format(day=formatting.day(start))
    return _("no dates")


def _option(row) -> str:
    new = "🆕 " if row.new_for_you else ""
    dates = _dates(row.start_date, row.end_date)
    icon = STATUS_ICON.get(row.status, "")
    return f"{new}{icon} {row.name} · {status_label(row.status)} · {dates}"


def pick(frame: pd.DataFrame) -> int | None:
    """The campaign picker (keyboard friendly); returns the chosen campaign's id."""
    if frame.empty:
        st.info(_("No campaign has a published brief yet."))
        return None
    labels = {int(r.id): _option(r) for r in frame.itertuples(index=False)}
    wanted = st.query_params.get("campaign")
    ids = list(labels)
    default = next((i for i in ids if str(i) == wanted), ids[0])
    chosen = st.selectbox(
        _("Campaign"),
        ids,
        index=ids.index(default),
        format_func=labels.get,
        key="campaign_pick",
        help=_("🆕 = the brief changed since you last read it."),
    )
    st.query_params["campaign"] = str(chosen)
    return chosen


#: The overview's columns (labels: English message ids, translated in ``_columns``).
OVERVIEW_LABELS = {
    "name": N_("Campaign"),
    "new": tables.Col(N_("New"), width=50),
    "state": N_("Status"),
    "start": N_("Start"),
    "end": N_("End"),
    "channel": N_("Channel"),
    "brief_status": N_("Brief"),
}
OVERVIEW_MORE = {"persona": N_("Persona"), "offer": N_("Offer"), "published_version": N_("Version")}
WAITING_LABELS = {
    "name": N_("Lead"),
    "owner": N_("Owner"),
    "hours_waiting": tables.Col(N_("Hours"), "hours", width=65),
    "past_deadline": tables.Col(N_("Late"), "bool", width=45),
}
WAITING_MORE = {"company": N_("Company"), "mql": N_("MQL since")}


def _columns(columns: dict) -> dict:
    """Column labels (plain or ``tables.Col``) in the language speaking."""
    return {
        name: _(c) if isinstance(c, str) else dataclasses.replace(c, label=_(c.label))
        for name, c in columns.items()
    }


def _day(value) -> str | None:
    return None if value is None or pd.isna(value) else formatting.day(value)


def _brief_status(value) -> str:
    label = campaigns.BRIEF_STATUS_LABELS.get(value)
    return _(label) if label else str(value).capitalize()


def overview_table(frame: pd.DataFrame) -> None:
    """All listed campaigns as a table."""
    shown = frame.assign(
        new=frame["new_for_you"].map({True: "🆕", False: ""}),
        state=[f"{STATUS_ICON.get(s, '')} {status_label(s)}" for s in frame["status"]],
        start=frame["start_date"].map(_day),
        end=frame["end_date"].map(_day),
        offer=frame["offer"].replace("", None),
        brief_status=frame["brief_status"].map(_brief_status),
        published_version=frame["published_version"].map(
            lambda v: None if v is None or pd.isna(v) else f"v{int(v)}"
        ),
    )
    tables.show(
        shown, _columns(OVERVIEW_LABELS), more=_columns(OVERVIEW_MORE), key="campaign_overview"
    )


def brief_for(engine: Engine, actor: Actor, campaign_id: int) -> dict | None:
    """What this person may read of the campaign's brief (sales: published only)."""
    with session(engine) as s:
        return campaigns.brief_for(s, campaign_id, actor=actor)


def brief_header(engine: Engine, content: dict) -> None:
    """Campaign name, channel, persona, dates, and which version this is."""
    shown = content["published"] or content["draft"]
    st.subheader(safe(content["name"]))
    dates = " – ".join(
        formatting.day(d) for d in (shown.get("start_date"), shown.get("end_date")) if d
    )
    pub = content["published"]
    version = (
        _("brief v{version}, published by {person} on {moment}").format(
            version=pub["version"],
            person=safe(widgets.person(engine, pub["published_by"])),
            moment=widgets.local_time(pub["published_at"]),
        )
        if pub
        else _("brief not published yet")
    )
    channel = safe(content["channel"]) if content["channel"] else _("no channel")
    st.caption(f"{channel} · {dates or _('no dates')} · {version}")
    if content["can_edit"] and content["unpublished_changes"]:
        st.warning(
            _("The draft has unpublished changes: {fields}").format(
                fields=_labels(content["unpublished_changes"])
            ),
            icon=":material/edit_note:",
        )


def _labels(labels: list[str]) -> str:
    """Field labels (``campaigns.changes_since``, ``unpublished_changes``) in the language
    speaking, joined."""
    return ", ".join(_(label) for label in labels)


def whats_new(engine: Engine, actor: Actor, content: dict) -> None:
    """The fields that changed since this person last read the brief, then mark it read."""
    cid = content["campaign_id"]
    with session(engine) as s:
        seen = campaigns.seen_version(s, cid, actor.username)
        changed = campaigns.changes_since(s, cid, seen) if seen < content["brief_version"] else []
    if changed:
        try:  # reading must not fail because a long import holds the write lock
            with session(engine) as s:
                campaigns.mark_seen(s, campaign_id=cid, username=actor.username)
        except SQLAlchemyError:
            pass  # marked as seen on the next visit instead
    if changed and seen:
        st.info(
            _("**New since you last looked (v{seen} → v{version}):** {fields}").format(
                seen=seen, version=content["brief_version"], fields=_labels(changed)
            ),
            icon=":material/fiber_new:",
        )
    elif changed:
        st.info(_("**New to you:** first time you open this brief."), icon=":material/fiber_new:")


def brief(data: dict, *, draft: bool = False) -> None:
    """The brief as sales reads it, every field in order."""
    if draft:
        st.warning(
            _("Draft — sales does not see this until it is published."),
            icon=":material/edit_note:",
        )
    st.markdown("**" + _("Key message") + "**")
    with st.container(border=True):
        widgets.user_markdown(data.get("key_message"), _("No key message yet."))
    persona = data.get("persona")
    if persona:
        st.page_link(
            "app_pages/personas.py",
            label=_("Target persona: {persona} — open the card").format(persona=safe(persona)),
            icon=":material/person:",
            query_params={"persona": persona},
        )
    for field, label in campaigns.BRIEF_FIELDS:
        if field != "key_message":
            st.markdown(f"**{_(label)}**")
            widgets.user_markdown(data.get(field), "—")


def export(content: dict) -> None:
    """Download the published brief as Markdown, to paste into an e-mail."""
    slug = "".join(c if c.isalnum() else "-" for c in content["name"].lower()).strip("-")
    st.download_button(
        _("Download brief (Markdown)"),
        campaigns.brief_markdown(content["published"]),
        file_name=f"brief-{slug[:60]}-v{content['brief_version']}.md",
        mime="text/markdown",
        icon=":material/download:",
        key="brief_download",
    )


@st.cache_data(show_spinner=False, max_entries=64, ttl=300)
def _funnel(_engine: Engine, url: str, version: int, name: str, minute: str) -> dict:
    with session(_engine) as s:
        return campaign_funnel(s, name, now=datetime.fromisoformat(minute))


def funnel(engine: Engine, name: str) -> None:
    """The campaign's live funnel and the follow-up SLA of its MQLs."""
    minute = now().replace(second=0, microsecond=0).isoformat()
    f = _funnel(engine, config.database_url(), data_version(engine), name, minute)
    frame = quality.funnel_frame({k: f[k] for k in quality.COUNT_COLUMNS})
    st.markdown(_("**Live funnel** · all of the campaign's leads"))
    st.vega_lite_chart(charts.funnel_chart(frame, "next").to_dict(), width="stretch")
    follow = f["follow_up"]
    if follow["due"]:
        counted = (
            _("{in_time} of {due}").format(
                in_time=count(follow["in_time"]), due=count(follow["due"])
            )
            if follow["in_time"] is not None
            else count(follow["due"])
        )
        target = (
            _("Target {target}.").format(target=percent(follow["target"]))
            if follow["target"] is not None
            else _("Target not set.")
        )
        st.metric(
            _("MQLs contacted in time"),
            percent(follow["rate"]),
            help=_(
                "{counted} MQLs whose {hours} deadline has passed were contacted by then."
            ).format(counted=counted, hours=hours(follow["hours"]))
            + " "
            + target,
            border=True,
        )
        st.markdown(sla_views.badge(sla.Status(follow["status"])))
        if follow.get("reason"):
            st.caption(f"{EMPTY} {follow['reason']}")
    else:
        st.caption(_("No MQL of this campaign has reached its response deadline yet."))


def waiting(engine: Engine, name: str) -> None:
    """The campaign's MQLs still waiting for a first contact, oldest first."""
    with session(engine) as s:
        frame = waiting_for_contact(s, name, now=now())
    st.markdown(_("**Waiting for first contact** · {n}").format(n=count(len(frame))))
    if frame.empty:
        st.caption(_("Nobody is waiting. 👍"))
        return
    tables.show(
        frame.assign(
            mql=frame["mql_at"].map(widgets.local_time),
            owner=frame["owner"].map(lambda o: _("(none)") if o == NONE_LABEL else o),
        ),
        _columns(WAITING_LABELS),
        more=_columns(WAITING_MORE),
        key="campaign_waiting",
    )


def _editor(engine: Engine, actor: Actor, campaign_id: int | None, d: dict) -> None:
    why = refusal(actor, "campaign.edit")
    key = campaign_id or "new"
    with st.form(f"campaign_form_{key}"):
        c1, c2, c3 = st.columns([2, 1, 1])
        values = {
            "name": c1.text_input(_("Name"), value=d.get("name", ""), key=f"cp_name_{key}"),
            "channel": c2.text_input(_("Channel"), value=d.get("channel", ""), key=f"cp_ch_{key}"),
            "persona": c3.text_input(
                _("Persona (name of a card)"), value=d.get("persona") or "", key=f"cp_pers_{key}"
            ),
        }
        c4, c5, c6 = st.columns(3)
        values["start_date"] = c4.date_input(
            _("Start"),
            value=d.get("start_date"),
            format=widgets.date_input_format(),
            key=f"cp_start_{key}",
        )
        values["end_date"] = c5.date_input(
            _("End"),
            value=d.get("end_date"),
            format=widgets.date_input_format(),
            key=f"cp_end_{key}",
        )
        values["lead_target"] = c6.number_input(
            _("Lead target"),
            min_value=0,
            value=d.get("lead_target"),
            step=10,
            key=f"cp_tgt_{key}",
        )
        for field, label in campaigns.BRIEF_FIELDS:
            values[field] = st.text_area(
                _("{label} (Markdown)").format(label=_(label)),
                value=d.get(field, ""),
                key=f"cp_{field}_{key}",
                height=100,
            )
        if st.form_submit_button(
            _("Save draft"), disabled=why is not None, help=why, type="primary"
        ):
            widgets.save(
                engine,
                _("Draft saved. Sales sees it once you publish it."),
                lambda s: campaigns.save_draft(
                    s, actor=actor, campaign_id=campaign_id, fields=values
                ),
            )


def edit_tabs(engine: Engine, actor: Actor, content: dict) -> None:
    """For marketing and admins: the draft editor, publishing, and every version."""
    cid = content["campaign_id"]
    edit, publish, history = st.tabs([_("Edit the draft"), _("Preview and publish"), _("Versions")])
    with edit:
        _editor(engine, actor, cid, content["draft"])
    with publish:
        changes = content["unpublished_changes"]
        st.markdown(
            _("Changed since the last publication: {fields}").format(fields=_labels(changes))
            if changes
            else _("The draft is the same as the published brief.")
        )
        if st.button(
            _("Publish the draft to sales"),
            disabled=not changes,
            help=None if changes else _("Nothing to publish: the draft is the published brief."),
            key=f"cp_publish_{cid}",
            icon=":material/send:",
            type="primary",
        ):
            widgets.save(
                engine,
                _("Published: sales sees the new version, marked as new."),
                lambda s: campaigns.publish_brief(s, actor=actor, campaign_id=cid),
            )
        if changes:
            brief(content["draft"], draft=True)
    with history:
        versions(engine, cid)


def new_campaign(engine: Engine, actor: Actor) -> None:
    """A new campaign with its first draft (marketing and admins)."""
    if allowed(actor, "campaign.edit"):
        with st.expander(_("New campaign"), icon=":material/add:"):
            _editor(engine, actor, None, {})


def versions(engine: Engine, campaign_id: int) -> None:
    """Every published version of the brief, newest first."""
    with session(engine) as s:
        rows = campaigns.brief_versions(s, campaign_id)
    if not rows:
        st.caption(_("Not published yet."))
        return
    for row in rows:
        with st.expander(
            _("Version {version} · {person} · {moment}").format(
                version=row["version"],
                person=safe(widgets.person(engine, row["published_by"])),
                moment=widgets.local_time(row["published_at"]),
            )
        ):
            brief(row["data"])
