"""Leads page widgets: filters, one page of the list, a lead's story, verdict and contact forms,
and the hot-leads panel (also on the Overview)."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import streamlit as st
from sqlalchemy.engine import Engine

from smarketing import charts, config
from smarketing.auth.permissions import Actor, refusal
from smarketing.errors import NotFound
from smarketing.formatting import plural
from smarketing.notify.recipients import LEAD_PARAM
from smarketing.quality import hot_leads, leads, reasons, verdicts
from smarketing.safe_text import safe_markdown as safe
from smarketing.ui import resources, tables, widgets
from smarketing.ui.resources import session

PER_PAGE = 50
LIST_LABELS = {
    "name": "Name",
    "company": "Company",
    "stage": tables.Col("Stage", width=110),
    "owner": "Owner",
    "source": "Source",
    "mql_at": tables.Col("MQL", width=95),
    "first_contact_at": tables.Col("First contact", width=95),
}
LIST_MORE = {
    "campaign": "Campaign",
    "persona": "Persona",
    "created_at": "Became a lead",
    "verdict": "Verdict",
    "email": "E-mail",
    "id": "No.",
}
TIMELINE_LABELS = {"occurred_at": "When", "label": "What", "detail": "Detail", "actor": "By"}
VERDICT_LABELS = {
    "verdict": "Verdict",
    "reason": "Reason",
    "comment": "Comment",
    "decided_by": "By",
    "decided_at": "When",
}
HOT_LABELS = {
    "name": "Name",
    "owner": "Owner",
    "did": "What they did",
    "reason": "Why hot",
    "trigger_at": "When",
}
HOT_MORE = {"company": "Company"}
VERDICT_KEYS = ("verdict_choice", "verdict_reason", "verdict_comment")
CONTACT_KEYS = ("contact_attempt", "contact_note")
ANY = "any"
#: Hot leads are cached per minute (part of the key) and data version; older entries expire.
HOT_TTL_SECONDS = 60


def now() -> datetime:
    """The current instant (deadlines and hot leads are about now, not the as-of day)."""
    return datetime.now(UTC)


@st.cache_data(show_spinner=False, max_entries=8)
def _options(_engine: Engine, url: str, version: int) -> dict[str, list[str]]:
    with session(_engine) as s:
        return leads.filter_options(s)


def filters(engine: Engine) -> leads.LeadFilter:
    """The filter widgets; returns what they select."""
    options = _options(engine, config.database_url(), resources.data_version(engine))
    c1, c2, c3, c4, c5 = st.columns(5)
    stage = c1.selectbox(
        "Stage",
        [ANY, *leads.LEAD_STAGES],
        format_func=lambda v: leads.STAGE_LABELS.get(v, v),
        key="leads_stage",
    )
    picked = {}
    for column, name in zip((c2, c3, c4, c5), leads.FILTER_DIMENSIONS, strict=True):
        picked[name] = column.selectbox(
            name.title(), [ANY, *options.get(name, [])], key=f"leads_{name}"
        )
    d1, d2, d3 = st.columns([2, 1, 1])
    text = d1.text_input("Search name, company or e-mail", key="leads_text")
    waiting = d2.toggle("Waiting for a verdict", key="leads_waiting")
    late = d3.toggle("Past the contact deadline", key="leads_late")
    return leads.LeadFilter(
        stage=None if stage == ANY else stage,
        **{k: None if v == ANY else v for k, v in picked.items()},
        waiting_for_verdict=waiting,
        past_contact_deadline=late,
        text=text.strip() or None,
    )


def lead_list(engine: Engine, flt: leads.LeadFilter) -> pd.DataFrame:
    """One page of matching leads (never more rows than PER_PAGE reach the browser)."""
    wanted = int(st.session_state.get("leads_page", 1))
    with session(engine) as s:
        frame, total = leads.lead_page(s, flt, page=wanted, per_page=PER_PAGE, now=now())
        pages = max(1, -(-total // PER_PAGE))
        if wanted > pages:  # the filters shrank the list: show its last page
            st.session_state["leads_page"] = wanted = pages
            frame, total = leads.lead_page(s, flt, page=wanted, per_page=PER_PAGE, now=now())
    c1, c2 = st.columns([1, 4])
    page = c1.number_input("Page", min_value=1, max_value=pages, value=1, step=1, key="leads_page")
    c2.markdown(
        f"**{total:,}** {'lead matches' if total == 1 else 'leads match'} · page {int(page)} "
        f"of {pages} · {PER_PAGE} per page"
    )
    if frame.empty:
        st.info("No lead matches these filters.")
        return frame
    shown = frame.assign(
        created_at=frame["created_at"].map(widgets.local_day),
        mql_at=frame["mql_at"].map(widgets.local_day),
        first_contact_at=frame["first_contact_at"].map(widgets.local_day),
        stage=frame["stage"].map(lambda v: leads.STAGE_LABELS.get(v, v)),
        verdict=frame["verdict"].map(lambda v: v.capitalize() if isinstance(v, str) else v),
        id=frame["id"].map(lambda v: f"#{v}"),
    )
    tables.show(shown, LIST_LABELS, more=LIST_MORE, key="lead_list")
    return frame


def _label(name: str, company: str | None, lead_id: int) -> str:
    return f"{name} · {company or '—'} (#{lead_id})"


def linked_lead(engine: Engine) -> tuple[int, str] | None:
    """The lead the address names (``?lead=ID``, the link a notification carries): its id
    and label, or None (a toast says why when the address names no lead)."""
    raw = st.query_params.get(LEAD_PARAM)
    if not raw:
        return None
    try:
        lead_id = int(raw)
        with session(engine) as s:
            detail = leads.lead_detail(s, lead_id)
    except (ValueError, NotFound):
        st.toast(f"Ignored lead={raw!r} in the address: there is no such lead.")
        st.query_params.pop(LEAD_PARAM, None)
        return None
    return lead_id, _label(detail["name"], detail["company"], lead_id)


def pick_lead(frame: pd.DataFrame, linked: tuple[int, str] | None = None) -> int | None:
    """Choose one lead of this page to open; ``linked`` (the lead the address names) is
    offered first and opened. The address follows the choice (``?lead=ID``), so a copied
    link opens the same lead."""
    labels = {_label(r.name, r.company, int(r.id)): int(r.id) for r in frame.itertuples()}
    index = 0
    if linked is not None:
        lead_id, label = linked
        if lead_id not in labels.values():
            labels = {label: lead_id, **labels}
        index = list(labels.values()).index(lead_id)
    if not labels:
        return None
    chosen = labels.get(st.selectbox("Open a lead", list(labels), index=index, key="leads_open"))
    if chosen is not None:
        st.query_params[LEAD_PARAM] = str(chosen)
    return chosen


def lead_story(engine: Engine, lead_id: int) -> dict:
    """Profile, lifecycle, verdict history and the activity timeline of one lead."""
    with session(engine) as s:
        detail = leads.lead_detail(s, lead_id)
        events = leads.timeline(s, lead_id)
    st.subheader(f"{safe(detail['name'])} — {safe(detail['company'] or 'no company')}")
    facts = [
        detail["title"],
        detail["email"] or "no e-mail",
        f"owner {detail['owner']}",
        f"source {detail['source']}",
        f"campaign {detail['campaign']}",
        f"persona {detail['persona']}",
        f"stage **{leads.STAGE_LABELS.get(detail['stage'], detail['stage'])}**",
    ]
    st.caption(" · ".join(safe(f) for f in facts if f))
    life = pd.DataFrame(
        [
            {"stage": leads.LIFECYCLE_LABELS[k], "when": widgets.local_time(v)}
            for k, v in detail["lifecycle"].items()
            if v is not None
        ],
        columns=["stage", "when"],
    )
    c1, c2 = st.columns(2)
    with c1:
        st.markdown("**Lifecycle**")
        tables.show(life, {"stage": "Stage", "when": "When"})
    with c2:
        st.markdown("**Verdicts** (newest first)")
        if detail["verdicts"]:
            history = pd.DataFrame(detail["verdicts"])
            tables.show(
                history.assign(
                    verdict=history["verdict"].str.capitalize(),
                    decided_at=history["decided_at"].map(widgets.local_time),
                    comment=history["comment"].replace("", None),
                ),
                VERDICT_LABELS,
            )
        else:
            st.caption("No verdict yet.")
    st.markdown(f"**Activity timeline** — {plural(len(events), 'activity', 'activities')}")
    if not events.empty:
        st.altair_chart(charts.timeline_chart(events), width="stretch")
        tables.show(
            events.assign(
                occurred_at=events["occurred_at"].map(widgets.local_time),
                detail=events["detail"].replace("", None),
            ),
            TIMELINE_LABELS,
        )
    return detail


def verdict_form(engine: Engine, actor: Actor, detail: dict) -> None:
    """Accept or reject an MQL (sales and admin); a rejection needs a reason."""
    why = refusal(actor, "lead.verdict") or (
        None if detail["is_mql"] else "Verdicts are given on MQLs; this lead is not an MQL yet."
    )
    with session(engine) as s:
        picks = {r.key: r.label for r in reasons.choices(s)}
    with st.form(f"verdict_{detail['id']}"):
        st.markdown("**Sales' verdict**" + ("" if detail["is_mql"] else " — not an MQL yet"))
        choice = st.radio(
            "Verdict",
            ["accepted", "rejected"],
            index=None,
            horizontal=True,
            format_func=str.capitalize,
            key="verdict_choice",
        )
        reason = st.selectbox(
            "Reason (for a rejection)",
            list(picks),
            index=None,
            placeholder="—",
            format_func=lambda key: picks.get(key, key),
            key="verdict_reason",
        )
        comment = st.text_input("Comment", key="verdict_comment")
        if st.form_submit_button("Save verdict", disabled=why is not None, help=why):
            if choice is None:
                st.error("Choose **Accepted** or **Rejected** first.", icon=":material/error:")
                return
            widgets.save(
                engine,
                f"Verdict saved: {choice}. The history keeps the earlier ones.",
                lambda s: verdicts.record_verdict(
                    s,
                    actor=actor,
                    lead_id=detail["id"],
                    verdict=choice,
                    reason=reason or None,
                    comment=comment,
                ),
                clear=VERDICT_KEYS,
            )


def contact_form(engine: Engine, actor: Actor, detail: dict) -> None:
    """Record a first contact or a contact attempt (sales and admin)."""
    why = refusal(actor, "lead.contact")
    with st.form(f"contact_{detail['id']}"):
        st.markdown("**Contact**")
        kind = st.selectbox("How", list(verdicts.CONTACT_KINDS), key="contact_kind")
        attempt = st.checkbox("Only an attempt (no answer)", key="contact_attempt")
        note = st.text_input("Note", key="contact_note")
        if st.form_submit_button("Record contact", disabled=why is not None, help=why):
            widgets.save(
                engine,
                "Contact attempt recorded." if attempt else "Contact recorded.",
                lambda s: verdicts.record_contact(
                    s, actor=actor, lead_id=detail["id"], kind=kind, detail=note, attempt=attempt
                ),
                clear=CONTACT_KEYS,
            )


def now_minute() -> datetime:
    """The start of the current minute: the "now" of the hot leads (so they can be cached)."""
    return now().replace(second=0, microsecond=0)


@st.cache_data(show_spinner=False, ttl=HOT_TTL_SECONDS, max_entries=8)
def _hot(_engine: Engine, key: tuple[str, int], minute: datetime) -> pd.DataFrame:
    with session(_engine) as s:
        return hot_leads.hot_leads(s, now=minute)


def hot_now(engine: Engine, key: tuple[str, int] | None = None) -> pd.DataFrame:
    """The hot leads as of the current minute, cached per minute and data version: a write
    (an import, a verdict) shows at once, and the 48-hour window moves on every minute.
    ``key``: the data key (``resources.data_key``) when the page has read it already."""
    return _hot(engine, key or resources.data_key(engine), now_minute())


def hot_panel(engine: Engine, key: tuple[str, int] | None = None) -> None:
    """Leads that came back in the last 48 hours, with what they did and their owner."""
    hot = hot_now(engine, key)
    st.subheader(f"Hot leads · {len(hot)}", help=hot_leads.DEFINITION)
    if hot.empty:
        st.caption("No lead has come back in the last 48 hours.")
        return
    did = [
        f"{leads.activity_label(kind)}: {detail}" if detail else leads.activity_label(kind)
        for kind, detail in zip(hot["trigger_kind"], hot["trigger_detail"], strict=True)
    ]
    shown = hot.assign(trigger_at=hot["trigger_at"].map(widgets.local_time), did=did)
    tables.show(shown, HOT_LABELS, more=HOT_MORE, key="hot_leads")
