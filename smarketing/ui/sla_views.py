"""SLA widgets: the two-sided card, "why?" boxes, the agreement panel, detail sections."""

from __future__ import annotations

from datetime import date
from typing import Literal

import pandas as pd
import streamlit as st
from sqlalchemy.engine import Engine

from smarketing import charts
from smarketing.auth import people
from smarketing.auth.permissions import Actor, allowed
from smarketing.errors import SmarketingError
from smarketing.formatting import EMPTY, figure, plural
from smarketing.safe_text import safe_markdown
from smarketing.sla import agreements, causes
from smarketing.sla import metrics as sla
from smarketing.sla.metrics import status_label
from smarketing.sla.periods import Period
from smarketing.sla.text import change_label, target_line, targets_text
from smarketing.ui import sla_data, tables, widgets
from smarketing.ui.resources import session

BADGE = {"green": "green", "amber": "orange", "red": "red", "early": "gray", "no_data": "gray"}
SIDES = (("marketing", "Marketing promises"), ("sales", "Sales promises"))
SLA_PAGE = "app_pages/sla.py"
#: The SLA page's detail section picker, and the address parameter that opens a section
#: (``?section=agreement``: the Overview links to the agreement form that way).
SECTION_KEY, SECTION_PARAM = "sla_section", "section"
DEFAULT_SECTION = "Pacing"


def badge(status: sla.Status) -> str:
    """A Markdown badge: colour, symbol and word."""
    return f":{BADGE[status.value]}-badge[{status_label(status)}]"


def _tile(m: sla.MetricResult, compact: bool) -> None:
    with st.container(border=True):
        st.metric(f"{m.label}", figure(m.kind, m.actual), help=m.definition)
        # a measured figure without an agreement has nothing to be judged by, not "no data"
        shown = (
            ":gray-badge[– no agreement]"
            if m.target is None and m.actual is not None
            else badge(m.status)
        )
        st.markdown(shown + ("" if compact else f"  \n{target_line(m)}"))
        if m.actual is None and m.reason:  # "—" with the reason, never a made-up zero
            st.caption(f"{EMPTY} {m.reason}")


def two_sided_card(report: sla.SlaReport, *, compact: bool = False) -> None:
    """Marketing's commitments beside sales' (customers, owned by both, under marketing)."""
    left, right = st.columns(2, gap="large")
    for column, (side, title) in zip((left, right), SIDES, strict=True):
        with column:
            st.markdown(f"#### {title}")
            shown = [m for m in report.metrics if m.side == side]
            if side == "marketing":
                shown += [m for m in report.metrics if m.side == "both"]
            per_row = 2 if compact else 1
            for start in range(0, len(shown), per_row):
                cells = st.columns(per_row)
                for cell, m in zip(cells, shown[start : start + per_row], strict=False):
                    with cell:
                        _tile(m, compact)


def has_agreement(reports: list[sla.SlaReport]) -> bool:
    """True when an SLA agreement sets the targets of at least one of the periods."""
    return any(r.agreement is not None for r in reports)


def _open_agreement() -> None:
    st.session_state[SECTION_KEY] = "Agreement"


def no_agreement_notice(
    reports: list[sla.SlaReport], *, link: Literal["page", "section"] | None = "page"
) -> None:
    """One line instead of a scorecard of "no data": no agreement is in force for these
    periods, and the way to the agreement form: ``link="page"`` a link to the SLA page's
    Agreement view, ``"section"`` (on the SLA page) a button that opens it, None neither."""
    periods = " and ".join(r.period.label() for r in reports)
    st.info(
        f"**No SLA agreement is in force** for {periods}: the figures have no targets to be "
        "measured against. Propose the agreement; it counts once marketing and sales have "
        "both confirmed it.",
        icon=":material/handshake:",
    )
    if link == "section":
        st.button(
            "Open the agreement form",
            key="open_agreement",
            icon=":material/arrow_downward:",
            on_click=_open_agreement,
        )
    elif link == "page":
        st.page_link(
            SLA_PAGE,
            label="Set up the SLA agreement",
            icon=":material/arrow_forward:",
            query_params={SECTION_PARAM: "agreement"},
        )


def section_default() -> str | None:
    """The section picker's default: the one an address asks for (``?section=agreement``,
    taken once, then dropped from the address), else Pacing; None once the picker holds a
    choice (it keeps it)."""
    asked = st.query_params.get(SECTION_PARAM)
    if asked is not None:
        st.query_params.pop(SECTION_PARAM, None)
        found = next((name for name in SECTIONS if name.lower() == asked.strip().lower()), None)
        if found:
            st.session_state[SECTION_KEY] = found
    return None if SECTION_KEY in st.session_state else DEFAULT_SECTION


def agreement_caption(report: sla.SlaReport) -> None:
    """Which agreement sets the targets, and the period's progress."""
    p = report.period
    progress = f"{p.label()} · day {p.elapsed_days} of {p.days}"
    a = report.agreement
    if a is None:  # the page says so just below (no_agreement_notice)
        st.caption(f"{progress} · no SLA agreement in effect on {p.start:%d %b %Y}")
    else:
        st.caption(
            f"{progress} · targets from SLA agreement v{a.version}, in effect since "
            f"{a.effective_from:%d %b %Y}"
        )


def why_boxes(engine: Engine, actor: Actor, report: sla.SlaReport, kind: str, as_of: date) -> None:
    """For each red metric: the causes recorded so far and a form to add one."""
    red = [m for m in report.metrics if m.status is sla.Status.red]
    if not red:
        return
    recorded = sla_data.period_causes(engine, kind, as_of)
    st.markdown("#### Red this period — why?")
    for m in red:
        mine = recorded[recorded["metric"] == m.key]
        with st.expander(
            f"✖ {m.label}: {figure(m.kind, m.actual)} · {plural(len(mine), 'cause')} recorded",
            expanded=mine.empty,
        ):
            for row in mine.itertuples():
                st.markdown(
                    f"**{safe_markdown(row.category)}** — {safe_markdown(row.author)}, "
                    f"{widgets.local_time(row.at)}"
                )
                st.text(row.text)
            cause_form(engine, actor, m, report.period)


def cause_form(
    engine: Engine, actor: Actor, m: sla.MetricResult, period: Period, *, suffix: str = ""
) -> None:
    """Record a "why?" for a metric in a period (``suffix`` keeps widget keys unique)."""
    can = allowed(actor, "sla.record_cause")
    key = f"{m.key}{suffix}"
    with st.form(f"cause_{key}"):
        category = st.selectbox("Category", causes.CATEGORIES, key=f"cause_cat_{key}")
        text = st.text_area("What happened?", key=f"cause_text_{key}", max_chars=2000)
        if st.form_submit_button("Record cause", disabled=not can):
            widgets.save(  # rerun: the cause shows at once where "no cause yet" stood
                engine,
                "Cause recorded: it is shown with the metric and in the meeting's minutes.",
                lambda s: causes.record_cause(
                    s, actor=actor, metric=m.key, period=period, category=category, text=text
                ),
            )


def scorecard(engine: Engine, actor: Actor, kind: str, as_of: date) -> None:
    """The trailing scorecard: rows = metrics, columns = periods, cells by status."""
    st.markdown(f"**The last 13 {kind}s**")
    reports = sla_data.trailing(engine, kind, as_of)
    if not has_agreement(reports):
        no_agreement_notice(reports[-1:], link=None)
        return
    frame = sla.scorecard_frame(reports, short=True)
    st.altair_chart(charts.scorecard_chart(frame), width="stretch")
    st.caption(
        "✔ on track · ▲ at risk · ✖ off track · … too early to judge · – no data (or no "
        "agreement yet) · * so far (the period is still running)"
    )


def pacing(engine: Engine, actor: Actor, kind: str, as_of: date) -> None:
    """Pick a count metric and draw its pacing chart."""
    choice = (
        st.segmented_control(
            "Metric",
            ["MQLs delivered", "SQLs", "Customers"],
            default="MQLs delivered",
            key="pacing_metric",
        )
        or "MQLs delivered"
    )
    key = {"MQLs delivered": "mqls_delivered", "SQLs": "sqls", "Customers": "customers"}[choice]
    # a cached, validated Vega-Lite spec: re-validating the Altair chart on every rerun
    # was a third of a warm page run (benchmarks/bench_sla.py)
    st.vega_lite_chart(sla_data.pacing_spec(engine, kind, as_of, key, choice), width="stretch")
    st.caption(
        "Expected = the target pro-rated day by day; forecast = today's run rate "
        "continued to the end of the period."
    )


def distribution(engine: Engine, actor: Actor, kind: str, as_of: date) -> None:
    """Histogram of first-contact delays with deadline, median and 90th percentile."""
    median = sla_data.report(engine, kind, as_of).metric("median_first_contact_hours")
    if median.input_missing:
        st.info(f"{EMPTY} {median.reason}.")
        return
    dist = sla_data.distribution(engine, kind, as_of)
    if dist.contacted == 0:
        st.info("No MQL of this period has had a first contact yet.")
        return
    st.altair_chart(
        charts.contact_histogram(
            dist.bins, response_hours=dist.response_hours, median=dist.median, p90=dist.p90
        ),
        width="stretch",
    )
    st.caption(
        f"{plural(dist.contacted, 'MQL')} with a first contact · median "
        f"{figure('hours', dist.median)} · 90th percentile {figure('hours', dist.p90)} "
        f"(nearest rank) · deadline {figure('hours', dist.response_hours)}"
    )


#: The overdue MQLs table's columns.
OVERDUE_COLUMNS = {
    "lead": tables.Col("Lead"),
    "company": tables.Col("Company"),
    "owner": tables.Col("Owner"),
    "source": tables.Col("Source"),
    "mql_at": tables.Col("MQL at", "time"),
    "hours_overdue": tables.Col("Hours overdue", "hours", "Hours past the contact deadline."),
}


def overdue(engine: Engine, actor: Actor, kind: str, as_of: date) -> None:
    """MQLs past their deadline and still not contacted."""
    in_time = sla_data.report(engine, kind, as_of).metric("contacted_within_sla_rate")
    if in_time.input_missing:  # every MQL would look overdue
        st.info(f"{EMPTY} {in_time.reason}.")
        return
    frame, total = sla_data.overdue(engine, kind, as_of)
    if total == 0:
        st.success("No MQL of this period is past its deadline without a first contact.")
        return
    st.markdown(
        f"**{plural(total, 'MQL')}** past the deadline without a first contact"
        + (f" — the {len(frame)} most overdue:" if total > len(frame) else ":")
    )
    tables.show(frame, OVERDUE_COLUMNS)


def agreement_panel(engine: Engine, actor: Actor, kind: str, today: date) -> None:
    """The agreement's history with changes, confirmations, and the proposal form."""
    rows = sla_data.history(engine)
    for row in rows:
        if row["state"] != "in effect":
            _confirm_row(engine, actor, row)
    if rows:
        with session(engine) as s:  # people by name, not username
            who = people.display_names(
                s,
                [
                    r[k]
                    for r in rows
                    for k in ("proposed_by", "marketing_confirmed", "sales_confirmed")
                ],
            )
        table = pd.DataFrame(
            {
                "version": [r["version"] for r in rows],
                "from": [f"{r['effective_from']:%d %b %Y}" for r in rows],
                "state": [r["state"] for r in rows],
                "targets": [targets_text(r) for r in rows],
                "changed": [", ".join(change_label(*c) for c in r["changes"]) for r in rows],
                "why": [r["reason"] for r in rows],
                "proposed": [
                    f"{people.name_in(who, r['proposed_by'])}, "
                    f"{widgets.local_time(r['proposed_at'])}"
                    for r in rows
                ],
                "marketing": [people.name_in(who, r["marketing_confirmed"]) for r in rows],
                "sales": [people.name_in(who, r["sales_confirmed"]) for r in rows],
            }
        )
        tables.show(table, AGREEMENT_COLUMNS)
    else:
        st.info("No SLA agreement yet: propose the first version below.")
    _propose_form(engine, actor, today, rows[0] if rows else None)


#: The agreement history table's columns.
AGREEMENT_COLUMNS = {
    "version": tables.Col("Version", "count"),
    "from": tables.Col("In effect from"),
    "state": tables.Col("State"),
    "targets": tables.Col("Targets (per month)"),
    "changed": tables.Col("What changed"),
    "why": tables.Col("Why"),
    "proposed": tables.Col("Proposed by"),
    "marketing": tables.Col("Marketing confirmed"),
    "sales": tables.Col("Sales confirmed"),
}


def _confirm_row(engine: Engine, actor: Actor, row: dict) -> None:
    st.warning(
        f"Version {row['version']} (from {row['effective_from']:%d %b %Y}) awaits "
        "confirmation: " + (row["reason"] or ""),
        icon=":material/pending:",
    )
    columns = st.columns(2)
    for column, team in zip(columns, ("marketing", "sales"), strict=True):
        done = row[f"{team}_confirmed"]
        if done:
            with session(engine) as s:
                name = people.display_name(s, done)
            column.markdown(f"{team.title()}: confirmed by {safe_markdown(name)}")
            continue
        can = allowed(actor, f"sla.confirm_{team}")
        if column.button(
            f"Confirm for {team}",
            key=f"confirm_{row['version']}_{team}",
            disabled=not can,
            help=None if can else f"needs the {team} role",
        ):
            try:
                with session(engine) as s:
                    agreements.confirm_agreement(s, actor=actor, version=row["version"], team=team)
            except SmarketingError as exc:
                st.error(str(exc))
            else:
                st.rerun()


#: The proposal form's inputs: (target, label, widget key, step, fractional?).
TARGET_INPUTS = (
    ("mql_target", "MQLs per month", "t_mql", 1, False),
    ("acceptance_rate_target", "Acceptance rate (0–1)", "t_acc", 0.05, True),
    ("response_hours", "Response hours", "t_hours", 0.5, True),
    ("contacted_within_sla_target", "Contacted in time (0–1)", "t_contact", 0.05, True),
    ("sql_target", "SQLs per month", "t_sql", 1, False),
    ("close_rate_target", "Close rate (0–1)", "t_close", 0.05, True),
    ("customer_target", "Customers per month", "t_cust", 1, False),
)


def _propose_form(engine: Engine, actor: Actor, today: date, latest: dict | None) -> None:
    can = allowed(actor, "sla.propose")
    st.markdown("#### Propose a new version")
    if not can:
        st.caption("Only admin and leadership propose versions; marketing and sales confirm.")
    base = latest or {k: 0 for k in agreements.TARGET_LIMITS}
    with st.form("propose_sla"):
        c1, c2, c3 = st.columns(3)
        cells = (c1, c2, c3, c1, c2, c3, c1)
        values = {
            name: cell.number_input(
                label,
                value=(float if share_or_hours else int)(base[name]),
                step=step,
                format="%.2f" if share_or_hours else "%d",
                key=key,
            )
            for cell, (name, label, key, step, share_or_hours) in zip(
                cells, TARGET_INPUTS, strict=True
            )
        }
        effective = c2.date_input("Effective from", value=today.replace(day=1), key="t_from")
        reason = st.text_area("Why this change?", key="t_reason")
        if st.form_submit_button("Propose version", disabled=not can, type="primary"):
            number = (latest["version"] + 1) if latest else 1  # propose takes the next one
            widgets.save(  # rerun: the new version shows in the history above at once
                engine,
                f"Version {number} proposed: it takes effect when marketing and sales have "
                "both confirmed it.",
                lambda s: agreements.propose_agreement(
                    s, actor=actor, targets=values, effective_from=effective, reason=reason
                ),
            )


#: The SLA page's detail sections; only the one shown is computed.
SECTIONS = {
    "Pacing": pacing,
    "Scorecard": scorecard,
    "First contact": distribution,
    "Overdue MQLs": overdue,
    "Agreement": agreement_panel,
}
