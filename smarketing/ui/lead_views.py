"""Leads page widgets: filters, one page of the list, a lead's story, verdict and contact forms,
and the hot-leads panel (also on the Overview)."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import streamlit as st
from sqlalchemy.engine import Engine

from smarketing import charts, config, hot_leads, leads, verdicts
from smarketing.permissions import Actor, allowed
from smarketing.ui import resources, widgets
from smarketing.ui.resources import session

PER_PAGE = 50
ANY = "any"


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
    stage = c1.selectbox("Stage", [ANY, *leads.LEAD_STAGES], key="leads_stage")
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
    c2.markdown(f"**{total:,}** leads match · page {int(page)} of {pages} · {PER_PAGE} per page")
    if frame.empty:
        st.info("No lead matches these filters.")
        return frame
    shown = frame.assign(
        created_at=frame["created_at"].map(widgets.local_time),
        mql_at=frame["mql_at"].map(widgets.local_time),
        first_contact_at=frame["first_contact_at"].map(widgets.local_time),
    )
    st.dataframe(
        shown.drop(columns=["email"]),
        hide_index=True,
        width="stretch",
        column_config={"id": st.column_config.NumberColumn("id", format="%d")},
    )
    return frame


def pick_lead(frame: pd.DataFrame) -> int | None:
    """Choose one lead of this page to open."""
    if frame.empty:
        return None
    labels = {f"{r.name} · {r.company or '—'} (#{r.id})": int(r.id) for r in frame.itertuples()}
    chosen = st.selectbox("Open a lead", list(labels), key="leads_open")
    return labels.get(chosen)


def lead_story(engine: Engine, lead_id: int) -> dict:
    """Profile, lifecycle, verdict history and the activity timeline of one lead."""
    with session(engine) as s:
        detail = leads.lead_detail(s, lead_id)
        events = leads.timeline(s, lead_id)
    st.subheader(f"{detail['name']} — {detail['company'] or 'no company'}")
    st.caption(
        f"{detail['title'] or ''} · {detail['email'] or 'no e-mail'} · owner "
        f"{detail['owner']} · source {detail['source']} · campaign {detail['campaign']} "
        f"· persona {detail['persona']} · stage **{detail['stage']}**"
    )
    life = pd.DataFrame(
        [
            {"stage": k.removesuffix("_at").replace("_", " "), "when": widgets.local_time(v)}
            for k, v in detail["lifecycle"].items()
            if v is not None
        ]
    )
    c1, c2 = st.columns(2)
    c1.markdown("**Lifecycle**")
    c1.dataframe(life, hide_index=True, width="stretch")
    c2.markdown("**Verdicts** (newest first)")
    if detail["verdicts"]:
        c2.dataframe(
            pd.DataFrame(detail["verdicts"]).assign(
                decided_at=lambda f: f["decided_at"].map(widgets.local_time)
            ),
            hide_index=True,
            width="stretch",
        )
    else:
        c2.caption("No verdict yet.")
    st.markdown(f"**Activity timeline** — {len(events)} activities")
    if not events.empty:
        st.altair_chart(charts.timeline_chart(events), width="stretch")
        st.dataframe(
            events.assign(occurred_at=events["occurred_at"].map(widgets.local_time)).drop(
                columns=["kind", "sales"]
            ),
            hide_index=True,
            width="stretch",
        )
    return detail


def verdict_form(engine: Engine, actor: Actor, detail: dict) -> None:
    """Accept or reject an MQL (sales and admin); a rejection needs a reason."""
    can = allowed(actor, "lead.verdict") and detail["is_mql"]
    with session(engine) as s:
        reasons = verdicts.rejection_reasons(s)
    with st.form(f"verdict_{detail['id']}"):
        st.markdown("**Sales' verdict**" + ("" if detail["is_mql"] else " — not an MQL yet"))
        choice = st.radio(
            "Verdict", ["accepted", "rejected"], horizontal=True, key="verdict_choice"
        )
        reason = st.selectbox("Reason (for a rejection)", ["", *reasons], key="verdict_reason")
        comment = st.text_input("Comment", key="verdict_comment")
        if st.form_submit_button("Save verdict", disabled=not can):
            widgets.save(
                engine,
                "Verdict saved; the history keeps the earlier ones.",
                lambda s: verdicts.record_verdict(
                    s,
                    actor=actor,
                    lead_id=detail["id"],
                    verdict=choice,
                    reason=reason or None,
                    comment=comment,
                ),
            )


def contact_form(engine: Engine, actor: Actor, detail: dict) -> None:
    """Record a first contact or a contact attempt (sales and admin)."""
    can = allowed(actor, "lead.contact")
    with st.form(f"contact_{detail['id']}"):
        st.markdown("**Contact**")
        kind = st.selectbox("How", list(verdicts.CONTACT_KINDS), key="contact_kind")
        attempt = st.checkbox("Only an attempt (no answer)", key="contact_attempt")
        note = st.text_input("Note", key="contact_note")
        if st.form_submit_button("Record contact", disabled=not can):
            widgets.save(
                engine,
                "Contact recorded.",
                lambda s: verdicts.record_contact(
                    s, actor=actor, lead_id=detail["id"], kind=kind, detail=note, attempt=attempt
                ),
            )


def hot_panel(engine: Engine) -> None:
    """Leads that came back in the last 48 hours, with what they did and their owner."""
    with session(engine) as s:
        hot = hot_leads.hot_leads(s, now=now())
    st.subheader(f"Hot leads · {len(hot)}", help=hot_leads.DEFINITION)
    if hot.empty:
        st.caption("No lead has come back in the last 48 hours.")
        return
    shown = hot.assign(trigger_at=hot["trigger_at"].map(widgets.local_time))
    st.dataframe(
        shown[
            ["name", "company", "owner", "reason", "trigger_kind", "trigger_detail", "trigger_at"]
        ],
        hide_index=True,
        width="stretch",
    )
