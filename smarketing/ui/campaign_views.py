"""Campaigns widgets: the list (active first, what's new for you), the brief sales reads, the
campaign's live funnel and waiting leads, the draft editor, publishing and versions."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pandas as pd
import streamlit as st
from sqlalchemy.engine import Engine
from sqlalchemy.exc import SQLAlchemyError

from smarketing import charts, config
from smarketing.auth.permissions import Actor, allowed, refusal
from smarketing.content import campaigns
from smarketing.content.campaign_funnel import campaign_funnel, waiting_for_contact
from smarketing.formatting import EMPTY, count, hours, percent
from smarketing.quality import cohorts as quality
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


def _option(row) -> str:
    new = "🆕 " if row.new_for_you else ""
    dates = (
        f"{row.start_date:%d %b}–{row.end_date:%d %b %Y}"
        if row.end_date
        else (f"from {row.start_date:%d %b %Y}" if row.start_date else "no dates")
    )
    return f"{new}{STATUS_ICON.get(row.status, '')} {row.name} · {row.status} · {dates}"


def pick(frame: pd.DataFrame) -> int | None:
    """The campaign picker (keyboard friendly); returns the chosen campaign's id."""
    if frame.empty:
        st.info("No campaign has a published brief yet.")
        return None
    labels = {int(r.id): _option(r) for r in frame.itertuples(index=False)}
    wanted = st.query_params.get("campaign")
    ids = list(labels)
    default = next((i for i in ids if str(i) == wanted), ids[0])
    chosen = st.selectbox(
        "Campaign",
        ids,
        index=ids.index(default),
        format_func=labels.get,
        key="campaign_pick",
        help="🆕 = the brief changed since you last read it.",
    )
    st.query_params["campaign"] = str(chosen)
    return chosen


OVERVIEW_LABELS = {
    "name": "Campaign",
    "new": tables.Col("New", width=50),
    "state": "Status",
    "start": "Start",
    "end": "End",
    "channel": "Channel",
    "brief_status": "Brief",
}
OVERVIEW_MORE = {"persona": "Persona", "offer": "Offer", "published_version": "Version"}


def _day(value) -> str | None:
    return None if value is None or pd.isna(value) else f"{value:%d %b %Y}"


def overview_table(frame: pd.DataFrame) -> None:
    """All listed campaigns as a table."""
    shown = frame.assign(
        new=frame["new_for_you"].map({True: "🆕", False: ""}),
        state=[f"{STATUS_ICON.get(s, '')} {s}" for s in frame["status"]],
        start=frame["start_date"].map(_day),
        end=frame["end_date"].map(_day),
        offer=frame["offer"].replace("", None),
        brief_status=frame["brief_status"].str.capitalize(),
        published_version=frame["published_version"].map(
            lambda v: None if v is None or pd.isna(v) else f"v{int(v)}"
        ),
    )
    tables.show(shown, OVERVIEW_LABELS, more=OVERVIEW_MORE, key="campaign_overview")


def brief_for(engine: Engine, actor: Actor, campaign_id: int) -> dict | None:
    """What this person may read of the campaign's brief (sales: published only)."""
    with session(engine) as s:
        return campaigns.brief_for(s, campaign_id, actor=actor)


def brief_header(engine: Engine, content: dict) -> None:
    """Campaign name, channel, persona, dates, and which version this is."""
    shown = content["published"] or content["draft"]
    st.subheader(safe(content["name"]))
    dates = " – ".join(
        f"{d:%d %b %Y}" for d in (shown.get("start_date"), shown.get("end_date")) if d
    )
    pub = content["published"]
    version = (
        f"brief v{pub['version']}, "
        f"published by {safe(widgets.person(engine, pub['published_by']))} "
        f"on {widgets.local_time(pub['published_at'])}"
        if pub
        else "brief not published yet"
    )
    channel = safe(content["channel"]) if content["channel"] else "no channel"
    st.caption(f"{channel} · {dates or 'no dates'} · {version}")
    if content["can_edit"] and content["unpublished_changes"]:
        st.warning(
            "The draft has unpublished changes: " + ", ".join(content["unpublished_changes"]),
            icon=":material/edit_note:",
        )


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
            f"**New since you last looked (v{seen} → v{content['brief_version']}):** "
            + ", ".join(changed),
            icon=":material/fiber_new:",
        )
    elif changed:
        st.info("**New to you:** first time you open this brief.", icon=":material/fiber_new:")


def brief(data: dict, *, draft: bool = False) -> None:
    """The brief as sales reads it, every field in order."""
    if draft:
        st.warning(
            "Draft — sales does not see this until it is published.", icon=":material/edit_note:"
        )
    st.markdown("**Key message**")
    with st.container(border=True):
        widgets.user_markdown(data.get("key_message"), "No key message yet.")
    persona = data.get("persona")
    if persona:
        st.page_link(
            "app_pages/personas.py",
            label=f"Target persona: {safe(persona)} — open the card",
            icon=":material/person:",
            query_params={"persona": persona},
        )
    for field, label in campaigns.BRIEF_FIELDS:
        if field != "key_message":
            st.markdown(f"**{label}**")
            widgets.user_markdown(data.get(field), "—")


def export(content: dict) -> None:
    """Download the published brief as Markdown, to paste into an e-mail."""
    slug = "".join(c if c.isalnum() else "-" for c in content["name"].lower()).strip("-")
    st.download_button(
        "Download brief (Markdown)",
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
    st.markdown("**Live funnel** · all of the campaign's leads")
    st.vega_lite_chart(charts.funnel_chart(frame, "next").to_dict(), width="stretch")
    follow = f["follow_up"]
    if follow["due"]:
        counted = (
            f"{count(follow['in_time'])} of {count(follow['due'])}"
            if follow["in_time"] is not None
            else f"{count(follow['due'])}"
        )
        st.metric(
            "MQLs contacted in time",
            percent(follow["rate"]),
            help=(
                f"{counted} MQLs whose {hours(follow['hours'])} deadline has passed were "
                "contacted by then. Target "
                + (f"{percent(follow['target'])}." if follow["target"] is not None else "not set.")
            ),
            border=True,
        )
        st.markdown(sla_views.badge(sla.Status(follow["status"])))
        if follow.get("reason"):
            st.caption(f"{EMPTY} {follow['reason']}")
    else:
        st.caption("No MQL of this campaign has reached its response deadline yet.")


def waiting(engine: Engine, name: str) -> None:
    """The campaign's MQLs still waiting for a first contact, oldest first."""
    with session(engine) as s:
        frame = waiting_for_contact(s, name, now=now())
    st.markdown(f"**Waiting for first contact** · {len(frame)}")
    if frame.empty:
        st.caption("Nobody is waiting. 👍")
        return
    tables.show(
        frame.assign(mql=frame["mql_at"].map(widgets.local_time)),
        {
            "name": "Lead",
            "owner": "Owner",
            "hours_waiting": tables.Col("Hours", "hours", width=65),
            "past_deadline": tables.Col("Late", "bool", width=45),
        },
        more={"company": "Company", "mql": "MQL since"},
        key="campaign_waiting",
    )


def _editor(engine: Engine, actor: Actor, campaign_id: int | None, d: dict) -> None:
    why = refusal(actor, "campaign.edit")
    key = campaign_id or "new"
    with st.form(f"campaign_form_{key}"):
        c1, c2, c3 = st.columns([2, 1, 1])
        values = {
            "name": c1.text_input("Name", value=d.get("name", ""), key=f"cp_name_{key}"),
            "channel": c2.text_input("Channel", value=d.get("channel", ""), key=f"cp_ch_{key}"),
            "persona": c3.text_input(
                "Persona (name of a card)", value=d.get("persona") or "", key=f"cp_pers_{key}"
            ),
        }
        c4, c5, c6 = st.columns(3)
        values["start_date"] = c4.date_input(
            "Start", value=d.get("start_date"), key=f"cp_start_{key}"
        )
        values["end_date"] = c5.date_input("End", value=d.get("end_date"), key=f"cp_end_{key}")
        values["lead_target"] = c6.number_input(
            "Lead target", min_value=0, value=d.get("lead_target"), step=10, key=f"cp_tgt_{key}"
        )
        for field, label in campaigns.BRIEF_FIELDS:
            values[field] = st.text_area(
                f"{label} (Markdown)", value=d.get(field, ""), key=f"cp_{field}_{key}", height=100
            )
        if st.form_submit_button("Save draft", disabled=why is not None, help=why, type="primary"):
            widgets.save(
                engine,
                "Draft saved. Sales sees it once you publish it.",
                lambda s: campaigns.save_draft(
                    s, actor=actor, campaign_id=campaign_id, fields=values
                ),
            )


def edit_tabs(engine: Engine, actor: Actor, content: dict) -> None:
    """For marketing and admins: the draft editor, publishing, and every version."""
    cid = content["campaign_id"]
    edit, publish, history = st.tabs(["Edit the draft", "Preview and publish", "Versions"])
    with edit:
        _editor(engine, actor, cid, content["draft"])
    with publish:
        changes = content["unpublished_changes"]
        st.markdown(
            "Changed since the last publication: " + ", ".join(changes)
            if changes
            else "The draft is the same as the published brief."
        )
        if st.button(
            "Publish the draft to sales",
            disabled=not changes,
            help=None if changes else "Nothing to publish: the draft is the published brief.",
            key=f"cp_publish_{cid}",
            icon=":material/send:",
            type="primary",
        ):
            widgets.save(
                engine,
                "Published: sales sees the new version, marked as new.",
                lambda s: campaigns.publish_brief(s, actor=actor, campaign_id=cid),
            )
        if changes:
            brief(content["draft"], draft=True)
    with history:
        versions(engine, cid)


def new_campaign(engine: Engine, actor: Actor) -> None:
    """A new campaign with its first draft (marketing and admins)."""
    if allowed(actor, "campaign.edit"):
        with st.expander("New campaign", icon=":material/add:"):
            _editor(engine, actor, None, {})


def versions(engine: Engine, campaign_id: int) -> None:
    """Every published version of the brief, newest first."""
    with session(engine) as s:
        rows = campaigns.brief_versions(s, campaign_id)
    if not rows:
        st.caption("Not published yet.")
        return
    for row in rows:
        with st.expander(
            f"Version {row['version']} · {safe(widgets.person(engine, row['published_by']))} · "
            f"{widgets.local_time(row['published_at'])}"
        ):
            brief(row["data"])
