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
from smarketing.formatting import EMPTY, count, day, figure
from smarketing.i18n import N_, _, ngettext
from smarketing.safe_text import safe_markdown
from smarketing.sla import agreements, causes
from smarketing.sla import metrics as sla
from smarketing.sla.first_contact import NONE
from smarketing.sla.metrics import status_label
from smarketing.sla.periods import Period, PeriodKind
from smarketing.sla.text import change_label, target_line, targets_text
from smarketing.ui import sla_data, tables, widgets
from smarketing.ui.resources import session

BADGE = {"green": "green", "amber": "orange", "red": "red", "early": "gray", "no_data": "gray"}
SIDES = (("marketing", N_("Marketing promises")), ("sales", N_("Sales promises")))
SLA_PAGE = "app_pages/sla.py"
#: The SLA page's detail section picker, and the address parameter that opens a section
#: (``?section=agreement``: the Overview links to the agreement form that way). The
#: picker's values are these English names (stable across languages), shown as ``_(name)``.
SECTION_KEY, SECTION_PARAM = "sla_section", "section"
DEFAULT_SECTION = N_("Pacing")
#: The count metrics the pacing chart draws (the picker's values; shown by their labels).
PACING_METRICS = ("mqls_delivered", "sqls", "customers")
#: The trailing scorecard's heading per kind of period.
TRAILING_TITLES = {
    PeriodKind.day: N_("The last 13 days"),
    PeriodKind.week: N_("The last 13 weeks"),
    PeriodKind.month: N_("The last 13 months"),
    PeriodKind.quarter: N_("The last 13 quarters"),
}


def metric_label(key: str) -> str:
    """A metric's label in the language speaking, by its key."""
    return _(sla.METRIC_BY_KEY[key].label)


def badge(status: sla.Status) -> str:
    """A Markdown badge: colour, symbol and word."""
    return f":{BADGE[status.value]}-badge[{status_label(status)}]"


def _tile(m: sla.MetricResult, compact: bool) -> None:
    with st.container(border=True):
        st.metric(_(m.label), figure(m.kind, m.actual), help=_(m.definition))
        # a measured figure without an agreement has nothing to be judged by, not "no data"
        no_agreement = _("no agreement")  # (a literal inside an f-string is never extracted)
        shown = (
            f":gray-badge[– {no_agreement}]"
            if m.target is None and m.actual is not None
            else badge(m.status)
        )
        st.markdown(shown + ("" if compact else f"  \n{target_line(m)}"))
        if m.actual is None and m.reason:  # "—" with the reason, never a made-up zero
            st.caption(f"{EMPTY} {_(m.reason)}")


def two_sided_card(report: sla.SlaReport, *, compact: bool = False) -> None:
    """Marketing's commitments beside sales' (customers, owned by both, under marketing)."""
    left, right = st.columns(2, gap="large")
    for column, (side, title) in zip((left, right), SIDES, strict=True):
        with column:
            st.markdown(f"#### {_(title)}")
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
    periods = " " + _("and") + " "
    periods = periods.join(r.period.label() for r in reports)
    st.info(
        _(
            "**No SLA agreement is in force** for {periods}: the figures have no targets to "
            "be measured against. Propose the agreement; it counts once marketing and sales "
            "have both confirmed it."
        ).format(periods=periods),
        icon=":material/handshake:",
    )
    if link == "section":
        st.button(
            _("Open the agreement form"),
            key="open_agreement",
            icon=":material/arrow_downward:",
            on_click=_open_agreement,
        )
    elif link == "page":
        st.page_link(
            SLA_PAGE,
            label=_("Set up the SLA agreement"),
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
    progress = _("{period} · day {elapsed} of {days}").format(
        period=p.label(), elapsed=p.elapsed_days, days=p.days
    )
    a = report.agreement
    if a is None:  # the page says so just below (no_agreement_notice)
        st.caption(
            _("{progress} · no SLA agreement in effect on {day}").format(
                progress=progress, day=day(p.start)
            )
        )
    else:
        st.caption(
            _("{progress} · targets from SLA agreement v{version}, in effect since {day}").format(
                progress=progress, version=a.version, day=day(a.effective_from)
            )
        )


def why_boxes(engine: Engine, actor: Actor, report: sla.SlaReport, kind: str, as_of: date) -> None:
    """For each red metric: the causes recorded so far and a form to add one."""
    red = [m for m in report.metrics if m.status is sla.Status.red]
    if not red:
        return
    recorded = sla_data.period_causes(engine, kind, as_of)
    st.markdown("#### " + _("Red this period — why?"))
    for m in red:
        mine = recorded[recorded["metric"] == m.key]
        causes_recorded = ngettext("{n} cause recorded", "{n} causes recorded", len(mine)).format(
            n=count(len(mine))
        )
        with st.expander(
            f"✖ {_(m.label)}: {figure(m.kind, m.actual)} · {causes_recorded}",
            expanded=mine.empty,
        ):
            for row in mine.itertuples():
                st.markdown(
                    f"**{safe_markdown(_(row.category))}** — {safe_markdown(row.author)}, "
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
        # the options are the shown labels, mapped back to the stored category (AppTest
        # cannot rerun a selectbox whose format_func changes its options' text)
        labels = {_(c): c for c in causes.CATEGORIES}
        shown = st.selectbox(_("Category"), list(labels), key=f"cause_cat_{key}")
        category = labels.get(shown, causes.CATEGORIES[-1])
        text = st.text_area(_("What happened?"), key=f"cause_text_{key}", max_chars=2000)
        if st.form_submit_button(_("Record cause"), disabled=not can):
            widgets.save(  # rerun: the cause shows at once where "no cause yet" stood
                engine,
                _("Cause recorded: it is shown with the metric and in the meeting's minutes."),
                lambda s: causes.record_cause(
                    s, actor=actor, metric=m.key, period=period, category=category, text=text
                ),
            )


def scorecard(engine: Engine, actor: Actor, kind: str, as_of: date) -> None:
    """The trailing scorecard: rows = metrics, columns = periods, cells by status."""
    st.markdown(f"**{_(TRAILING_TITLES[PeriodKind(kind)])}**")
    reports = sla_data.trailing(engine, kind, as_of)
    if not has_agreement(reports):
        no_agreement_notice(reports[-1:], link=None)
        return
    frame = sla.scorecard_frame(reports, short=True)
    st.altair_chart(charts.scorecard_chart(frame), width="stretch")
    st.caption(
        _(
            "✔ on track · ▲ at risk · ✖ off track · … too early to judge · – no data (or no "
            "agreement yet) · * so far (the period is still running)"
        )
    )


def pacing(engine: Engine, actor: Actor, kind: str, as_of: date) -> None:
    """Pick a count metric and draw its pacing chart."""
    key = (
        st.segmented_control(
            _("Metric"),
            list(PACING_METRICS),
            default=PACING_METRICS[0],
            format_func=metric_label,
            key="pacing_metric",
        )
        or PACING_METRICS[0]
    )
    # a cached, validated Vega-Lite spec: re-validating the Altair chart on every rerun
    # was a third of a warm page run (benchmarks/bench_sla.py)
    spec = sla_data.pacing_spec(engine, kind, as_of, key, metric_label(key))
    st.vega_lite_chart(spec, width="stretch")
    st.caption(
        _(
            "Expected = the target pro-rated day by day; forecast = today's run rate "
            "continued to the end of the period."
        )
    )


def distribution(engine: Engine, actor: Actor, kind: str, as_of: date) -> None:
    """Histogram of first-contact delays with deadline, median and 90th percentile."""
    median = sla_data.report(engine, kind, as_of).metric("median_first_contact_hours")
    if median.input_missing:
        st.info(f"{EMPTY} {_(median.reason)}.")
        return
    dist = sla_data.distribution(engine, kind, as_of)
    if dist.contacted == 0:
        st.info(_("No MQL of this period has had a first contact yet."))
        return
    st.altair_chart(
        charts.contact_histogram(
            dist.bins, response_hours=dist.response_hours, median=dist.median, p90=dist.p90
        ),
        width="stretch",
    )
    st.caption(
        ngettext(
            "{n} MQL with a first contact · median {median} · 90th percentile {p90} "
            "(nearest rank) · deadline {deadline}",
            "{n} MQLs with a first contact · median {median} · 90th percentile {p90} "
            "(nearest rank) · deadline {deadline}",
            dist.contacted,
        ).format(
            n=count(dist.contacted),
            median=figure("hours", dist.median),
            p90=figure("hours", dist.p90),
            deadline=figure("hours", dist.response_hours),
        )
    )


#: The overdue MQLs table's columns.
OVERDUE_COLUMNS = {
    "lead": tables.Col(N_("Lead")),
    "company": tables.Col(N_("Company")),
    "owner": tables.Col(N_("Owner")),
    "source": tables.Col(N_("Source")),
    "mql_at": tables.Col(N_("MQL at"), "time"),
    "hours_overdue": tables.Col(
        N_("Hours overdue"), "hours", N_("Hours past the contact deadline.")
    ),
}


def overdue(engine: Engine, actor: Actor, kind: str, as_of: date) -> None:
    """MQLs past their deadline and still not contacted."""
    in_time = sla_data.report(engine, kind, as_of).metric("contacted_within_sla_rate")
    if in_time.input_missing:  # every MQL would look overdue
        st.info(f"{EMPTY} {_(in_time.reason)}.")
        return
    frame, total = sla_data.overdue(engine, kind, as_of)
    if total == 0:
        st.success(_("No MQL of this period is past its deadline without a first contact."))
        return
    if total > len(frame):
        heading = ngettext(
            "**{n} MQL** past the deadline without a first contact — the {shown} most overdue:",
            "**{n} MQLs** past the deadline without a first contact — the {shown} most overdue:",
            total,
        )
    else:
        heading = ngettext(
            "**{n} MQL** past the deadline without a first contact:",
            "**{n} MQLs** past the deadline without a first contact:",
            total,
        )
    st.markdown(heading.format(n=count(total), shown=count(len(frame))))
    none = _(NONE)  # the cached frame writes a missing owner or source in English
    shown = frame.assign(**{c: frame[c].replace(NONE, none) for c in ("owner", "source")})
    tables.show(shown, OVERDUE_COLUMNS)


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
                "from": [day(r["effective_from"]) for r in rows],
                "state": [_(r["state"]) for r in rows],
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
        st.info(_("No SLA agreement yet: propose the first version below."))
    _propose_form(engine, actor, today, rows[0] if rows else None)


#: The agreement history table's columns.
AGREEMENT_COLUMNS = {
    "version": tables.Col(N_("Version"), "count"),
    "from": tables.Col(N_("In effect from")),
    "state": tables.Col(N_("State")),
    "targets": tables.Col(N_("Targets (per month)")),
    "changed": tables.Col(N_("What changed")),
    "why": tables.Col(N_("Why")),
    "proposed": tables.Col(N_("Proposed by")),
    "marketing": tables.Col(N_("Marketing confirmed")),
    "sales": tables.Col(N_("Sales confirmed")),
}
#: The confirm buttons and notes per team.
CONFIRM_TEXTS = {
    "marketing": (
        N_("Confirm for marketing"),
        N_("Marketing: confirmed by {name}"),
        N_("needs the marketing role"),
    ),
    "sales": (
        N_("Confirm for sales"),
        N_("Sales: confirmed by {name}"),
        N_("needs the sales role"),
    ),
}


def _confirm_row(engine: Engine, actor: Actor, row: dict) -> None:
    st.warning(
        _("Version {version} (from {day}) awaits confirmation: ").format(
            version=row["version"], day=day(row["effective_from"])
        )
        + (row["reason"] or ""),
        icon=":material/pending:",
    )
    columns = st.columns(2)
    for column, team in zip(columns, ("marketing", "sales"), strict=True):
        button, confirmed, needs = CONFIRM_TEXTS[team]
        done = row[f"{team}_confirmed"]
        if done:
            with session(engine) as s:
                name = people.display_name(s, done)
            column.markdown(_(confirmed).format(name=safe_markdown(name)))
            continue
        can = allowed(actor, f"sla.confirm_{team}")
        if column.button(
            _(button),
            key=f"confirm_{row['version']}_{team}",
            disabled=not can,
            help=None if can else _(needs),
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
    ("mql_target", N_("MQLs per month"), "t_mql", 1, False),
    ("acceptance_rate_target", N_("Acceptance rate (0–1)"), "t_acc", 0.05, True),
    ("response_hours", N_("Response hours"), "t_hours", 0.5, True),
    ("contacted_within_sla_target", N_("Contacted in time (0–1)"), "t_contact", 0.05, True),
    ("sql_target", N_("SQLs per month"), "t_sql", 1, False),
    ("close_rate_target", N_("Close rate (0–1)"), "t_close", 0.05, True),
    ("customer_target", N_("Customers per month"), "t_cust", 1, False),
)


def _propose_form(engine: Engine, actor: Actor, today: date, latest: dict | None) -> None:
    can = allowed(actor, "sla.propose")
    st.markdown("#### " + _("Propose a new version"))
    if not can:
        st.caption(_("Only admin and leadership propose versions; marketing and sales confirm."))
    base = latest or {k: 0 for k in agreements.TARGET_LIMITS}
    with st.form("propose_sla"):
        c1, c2, c3 = st.columns(3)
        cells = (c1, c2, c3, c1, c2, c3, c1)
        values = {
            name: cell.number_input(
                _(label),
                value=(float if share_or_hours else int)(base[name]),
                step=step,
                format="%.2f" if share_or_hours else "%d",
                key=key,
            )
            for cell, (name, label, key, step, share_or_hours) in zip(
                cells, TARGET_INPUTS, strict=True
            )
        }
        effective = c2.date_input(
            _("Effective from"),
            value=today.replace(day=1),
            format=widgets.date_input_format(),
            key="t_from",
        )
        reason = st.text_area(_("Why this change?"), key="t_reason")
        if st.form_submit_button(_("Propose version"), disabled=not can, type="primary"):
            number = (latest["version"] + 1) if latest else 1  # propose takes the next one
            widgets.save(  # rerun: the new version shows in the history above at once
                engine,
                _(
                    "Version {number} proposed: it takes effect when marketing and sales have "
                    "both confirmed it."
                ).format(number=number),
                lambda s: agreements.propose_agreement(
                    s, actor=actor, targets=values, effective_from=effective, reason=reason
                ),
            )


#: The SLA page's detail sections (English names: the picker's values, shown as
#: ``_(name)``); only the one shown is computed.
SECTIONS = {
    DEFAULT_SECTION: pacing,
    N_("Scorecard"): scorecard,
    N_("First contact"): distribution,
    N_("Overdue MQLs"): overdue,
    N_("Agreement"): agreement_panel,
}
