"""Leads page widgets: filters, one page of the list, a lead's story, verdict and contact forms,
and the hot-leads panel (also on the Overview)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

import pandas as pd
import streamlit as st
from sqlalchemy.engine import Engine

from smarketing import charts, config, formatting, i18n
from smarketing.auth.permissions import Actor, refusal
from smarketing.errors import NotFound
from smarketing.i18n import N_, _, ngettext, pgettext
from smarketing.notify.recipients import LEAD_PARAM
from smarketing.quality import hot_leads, leads, reasons, verdicts
from smarketing.safe_text import safe_markdown as safe
from smarketing.ui import resources, tables, widgets
from smarketing.ui.resources import session

PER_PAGE = 50
#: The heading of a "who did it" column (``_labels`` writes it with ``pgettext("who", …)``:
#: "By" also means "broken down by" elsewhere).
BY = "By"
#: Column labels of the tables (English message ids, translated where shown: ``_labels``).
LIST_LABELS = {
    "name": N_("Name"),
    "company": N_("Company"),
    "stage": tables.Col(N_("Stage"), width=110),
    "owner": N_("Owner"),
    "source": N_("Source"),
    "mql_at": tables.Col(N_("MQL"), width=95),
    "first_contact_at": tables.Col(N_("First contact"), width=95),
}
LIST_MORE = {
    "campaign": N_("Campaign"),
    "persona": N_("Persona"),
    "created_at": N_("Became a lead"),
    "verdict": N_("Verdict"),
    "email": N_("E-mail"),
    # Translators: the heading of a lead's number (#123) in the lead list
    "id": N_("No."),
}
TIMELINE_LABELS = {
    "occurred_at": N_("When"),
    "label": N_("What"),
    "detail": N_("Detail"),
    "actor": BY,
}
VERDICT_LABELS = {
    "verdict": N_("Verdict"),
    "reason": N_("Reason"),
    "comment": N_("Comment"),
    "decided_by": BY,
    "decided_at": N_("When"),
}
HOT_LABELS = {
    "name": N_("Name"),
    "owner": N_("Owner"),
    "did": N_("What they did"),
    "reason": N_("Why hot"),
    "trigger_at": N_("When"),
}
HOT_MORE = {"company": N_("Company")}
#: The list's filters by dimension, as people read them.
FILTER_LABELS = {
    "owner": N_("Owner"),
    "source": N_("Source"),
    "campaign": N_("Campaign"),
    "persona": N_("Persona"),
}
VERDICT_KEYS = ("verdict_choice", "verdict_reason", "verdict_comment")
CONTACT_KEYS = ("contact_attempt", "contact_note")
ANY = "any"
#: Hot leads are cached per minute (part of the key) and data version; older entries expire.
HOT_TTL_SECONDS = 60


def _labels(columns: dict[str, tables.Col | str]) -> dict[str, tables.Col | str]:
    """Table column labels in the language speaking."""
    return {
        name: replace(col, label=_(col.label)) if isinstance(col, tables.Col) else _text(col)
        for name, col in columns.items()
    }


def _text(label: str) -> str:
    # Translators: a table heading: the person who did it (a verdict, an activity)
    return pgettext("who", "By") if label == BY else _(label)


def _option(value: str) -> str:
    """A filter's option as people read it: "any", "(none)" in the language speaking."""
    if value == ANY:
        # Translators: a filter option: no filter on this field
        return _("Any")
    return leads.shown_value(value)


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
        _("Stage"),
        [ANY, *leads.LEAD_STAGES],
        format_func=lambda v: _option(v) if v == ANY else leads.stage_label(v),
        key="leads_stage",
    )
    picked = {}
    for column, name in zip((c2, c3, c4, c5), leads.FILTER_DIMENSIONS, strict=True):
        picked[name] = column.selectbox(
            _(FILTER_LABELS[name]),
            [ANY, *options.get(name, [])],
            format_func=_option,
            key=f"leads_{name}",
        )
    d1, d2, d3 = st.columns([2, 1, 1])
    text = d1.text_input(_("Search name, company or e-mail"), key="leads_text")
    waiting = d2.toggle(_("Waiting for a verdict"), key="leads_waiting")
    late = d3.toggle(_("Past the contact deadline"), key="leads_late")
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
    page = c1.number_input(
        _("Page"), min_value=1, max_value=pages, value=1, step=1, key="leads_page"
    )
    matches = ngettext("**{n}** lead matches", "**{n}** leads match", total).format(
        n=formatting.count(total)
    )
    c2.markdown(
        matches
        + " · "
        + _("page {page} of {pages} · {per_page} per page").format(
            page=int(page), pages=formatting.count(pages), per_page=PER_PAGE
        )
    )
    if frame.empty:
        st.info(_("No lead matches these filters."))
        return frame
    shown = frame.assign(
        created_at=frame["created_at"].map(_local_day),
        mql_at=frame["mql_at"].map(_local_day),
        first_contact_at=frame["first_contact_at"].map(_local_day),
        stage=frame["stage"].map(leads.stage_label),
        verdict=frame["verdict"].map(verdicts.verdict_label),
        id=frame["id"].map(lambda v: f"#{v}"),
        **{d: frame[d].map(leads.shown_value) for d in leads.FILTER_DIMENSIONS},
    )
    tables.show(shown, _labels(LIST_LABELS), more=_labels(LIST_MORE), key="lead_list")
    return frame


def _local_day(moment: datetime | None) -> str | None:
    """An instant's day in the business timezone, written the way of the language speaking
    ('07 Dec 2026', nb '7. des. 2026'); None stays None."""
    if moment is None or pd.isna(moment):
        return None
    return formatting.day(moment.astimezone(config.business_tz()).date())


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
        st.toast(
            _("Ignored lead={value} in the address: there is no such lead.").format(value=repr(raw))
        )
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
    chosen = labels.get(st.selectbox(_("Open a lead"), list(labels), index=index, key="leads_open"))
    if chosen is not None:
        st.query_params[LEAD_PARAM] = str(chosen)
    return chosen


def lead_story(engine: Engine, lead_id: int) -> dict:
    """Profile, lifecycle, verdict history and the activity timeline of one lead."""
    with session(engine) as s:
        detail = leads.lead_detail(s, lead_id)
        events = leads.timeline(s, lead_id)
    company = safe(detail["company"]) if detail["company"] else _("no company")
    st.subheader(f"{safe(detail['name'])} — {company}")
    st.caption(" · ".join(profile_facts(detail)))
    life = pd.DataFrame(
        [
            {"stage": leads.lifecycle_label(k), "when": formatting.local_time(v)}
            for k, v in detail["lifecycle"].items()
            if v is not None
        ],
        columns=["stage", "when"],
    )
    c1, c2 = st.columns(2)
    with c1:
        st.markdown(_("**Lifecycle**"))
        tables.show(life, {"stage": _("Stage"), "when": _("When")})
    with c2:
        st.markdown(_("**Verdicts** (newest first)"))
        if detail["verdicts"]:
            history = pd.DataFrame(detail["verdicts"])
            tables.show(
                history.assign(
                    verdict=history["verdict"].map(verdicts.verdict_label),
                    decided_at=history["decided_at"].map(formatting.local_time),
                    comment=history["comment"].replace("", None),
                ),
                _labels(VERDICT_LABELS),
            )
        else:
            st.caption(_("No verdict yet."))
    activities = ngettext("{n} activity", "{n} activities", len(events)).format(
        n=formatting.count(len(events))
    )
    st.markdown(_("**Activity timeline** — {activities}").format(activities=activities))
    if not events.empty:
        st.altair_chart(charts.timeline_chart(events), width="stretch")
        tables.show(
            events.assign(
                occurred_at=events["occurred_at"].map(formatting.local_time),
                detail=events["detail"].replace("", None),
            ),
            _labels(TIMELINE_LABELS),
        )
    return detail


def profile_facts(detail: dict) -> list[str]:
    """The profile line of a lead (``leads.lead_detail``), each fact made safe for Markdown:
    title, e-mail, owner, source, campaign, persona and the stage in bold."""
    facts = [
        safe(detail["title"]) if detail["title"] else None,
        safe(detail["email"]) if detail["email"] else _("no e-mail"),
    ]
    named = (
        (_("owner {value}"), "owner"),
        (_("source {value}"), "source"),
        (_("campaign {value}"), "campaign"),
        (_("persona {value}"), "persona"),
    )
    facts += [text.format(value=safe(leads.shown_value(detail[key]))) for text, key in named]
    facts.append(_("stage **{stage}**").format(stage=safe(leads.stage_label(detail["stage"]))))
    return [f for f in facts if f]


def verdict_form(engine: Engine, actor: Actor, detail: dict) -> None:
    """Accept or reject an MQL (sales and admin); a rejection needs a reason."""
    why = refusal(actor, "lead.verdict") or (
        None if detail["is_mql"] else _("Verdicts are given on MQLs; this lead is not an MQL yet.")
    )
    with session(engine) as s:
        picks = reasons.shown_choices(s)
    with st.form(f"verdict_{detail['id']}"):
        if detail["is_mql"]:
            st.markdown(_("**Sales' verdict**"))
        else:
            st.markdown(_("**Sales' verdict** — not an MQL yet"))
        choice = st.radio(
            _("Verdict"),
            list(verdicts.VERDICT_LABELS),
            index=None,
            horizontal=True,
            format_func=verdicts.verdict_label,
            key="verdict_choice",
        )
        reason = st.selectbox(
            _("Reason (for a rejection)"),
            list(picks),
            index=None,
            placeholder="—",
            format_func=lambda key: picks.get(key, key),
            key="verdict_reason",
        )
        comment = st.text_input(_("Comment"), key="verdict_comment")
        if st.form_submit_button(_("Save verdict"), disabled=why is not None, help=why):
            if choice is None:
                st.error(
                    _("Choose **{accepted}** or **{rejected}** first.").format(
                        accepted=verdicts.verdict_label("accepted"),
                        rejected=verdicts.verdict_label("rejected"),
                    ),
                    icon=":material/error:",
                )
                return
            widgets.save(
                engine,
                _("Verdict saved: {verdict}. The history keeps the earlier ones.").format(
                    verdict=verdicts.verdict_label(choice).lower()
                ),
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
        st.markdown(_("**Contact**"))
        kind = st.selectbox(
            _("How"),
            list(verdicts.CONTACT_KINDS),
            format_func=leads.activity_label,
            key="contact_kind",
        )
        attempt = st.checkbox(_("Only an attempt (no answer)"), key="contact_attempt")
        note = st.text_input(_("Note"), key="contact_note")
        if st.form_submit_button(_("Record contact"), disabled=why is not None, help=why):
            widgets.save(
                engine,
                _("Contact attempt recorded.") if attempt else _("Contact recorded."),
                lambda s: verdicts.record_contact(
                    s, actor=actor, lead_id=detail["id"], kind=kind, detail=note, attempt=attempt
                ),
                clear=CONTACT_KEYS,
            )


def now_minute() -> datetime:
    """The start of the current minute: the "now" of the hot leads (so they can be cached)."""
    return now().replace(second=0, microsecond=0)


@st.cache_data(show_spinner=False, ttl=HOT_TTL_SECONDS, max_entries=8)
def _hot(_engine: Engine, key: tuple, minute: datetime, language: str) -> pd.DataFrame:
    """The hot leads (their ``reason`` written in ``language``: part of the cache key)."""
    with session(_engine) as s, i18n.language(language):
        return hot_leads.hot_leads(s, now=minute)


def hot_now(engine: Engine, live: tuple | None = None) -> pd.DataFrame:
    """The hot leads as of the current minute, cached per minute and activity key
    (``resources.activity_key``; ``live``: when the page has read it already): a write or
    a website event shows at once, and the 48-hour window moves on every minute."""
    return _hot(engine, live or resources.activity_key(engine), now_minute(), i18n.current())


def hot_panel(engine: Engine, live: tuple | None = None) -> None:
    """Leads that came back in the last 48 hours, with what they did and their owner."""
    hot = hot_now(engine, live)
    st.subheader(
        _("Hot leads · {n}").format(n=formatting.count(len(hot))), help=hot_leads.definition()
    )
    if hot.empty:
        st.caption(
            _("No lead has come back in the last {hours} hours.").format(
                hours=hot_leads.HOT_HOURS_DEFAULT
            )
        )
        return
    did = [
        f"{leads.activity_label(kind)}: {detail}" if detail else leads.activity_label(kind)
        for kind, detail in zip(hot["trigger_kind"], hot["trigger_detail"], strict=True)
    ]
    shown = hot.assign(
        trigger_at=hot["trigger_at"].map(formatting.local_time),
        did=did,
        owner=hot["owner"].map(leads.shown_value),
    )
    tables.show(shown, _labels(HOT_LABELS), more=_labels(HOT_MORE), key="hot_leads")
