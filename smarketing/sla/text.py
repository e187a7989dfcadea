"""Plain-text renderings of the SLA report and the agreement history (for the CLI).

Fixed-width tables that read well in a terminal, a log or a black-and-white printout:
every status is a symbol and a word (``STATUS_TEXT``), never a colour alone. Texts for
people, in the language speaking; the target names of ``history_text`` are the CLI's.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from smarketing import config, formatting
from smarketing.formatting import EMPTY, count, figure, hours, percent
from smarketing.i18n import N_, _
from smarketing.sla.agreements import TARGET_LIMITS, team_label
from smarketing.sla.metrics import MetricResult, SlaReport, status_label
from smarketing.sla.periods import kind_label

#: Shown where a figure does not apply (pace of a rate) or is missing (no target).
NONE = EMPTY
SIDES = ("marketing", "sales", "both")
#: The side column of the text report (lower case, as in a sentence).
SIDE_WORDS = {"marketing": N_("marketing"), "sales": N_("sales"), "both": N_("both")}


def one_decimal(value: float | None, unit: str = "") -> str:
    """4 → '4.0', with an optional unit: '4.0 h'."""
    if formatting.is_empty(value):
        return NONE
    return formatting.decimal(value, 1) + (f" {unit}" if unit else "")


def plain(value: object) -> str:
    """A target or date as a person writes it: 150, 0.8, 4, 2026-11-01."""
    if value is None:
        return NONE
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def change_text(field: str, old: object, new: object) -> str:
    """'mql_target 140 → 150'."""
    return f"{field} {plain(old)} → {plain(new)}"


#: A person's words for each target (English message ids), and the kind of figure it is.
TARGET_LABELS = {
    "mql_target": (N_("MQLs per month"), "count"),
    "acceptance_rate_target": (N_("acceptance"), "rate"),
    "response_hours": (N_("response time"), "hours"),
    "contacted_within_sla_target": (N_("contacted in time"), "rate"),
    "sql_target": (N_("SQLs per month"), "count"),
    "close_rate_target": (N_("close rate"), "rate"),
    "customer_target": (N_("customers per month"), "count"),
}


def change_label(field: str, old: object, new: object) -> str:
    """A change in a person's words: 'MQLs per month 140 → 150', 'acceptance 70.0 % →
    75.0 %', 'in effect from 01 Oct 2026 → 01 Nov 2026' (other fields as ``change_text``)."""
    if field == "effective_from" and isinstance(old, date) and isinstance(new, date):
        return _("in effect from") + f" {formatting.day(old)} → {formatting.day(new)}"
    if field not in TARGET_LABELS:
        return change_text(field, old, new)
    label, kind = TARGET_LABELS[field]
    return f"{_(label)} {formatting.figure(kind, old)} → {formatting.figure(kind, new)}"


def _actual(m: MetricResult) -> str:
    return formatting.figure(m.kind, m.actual)


def _target(m: MetricResult) -> str:
    if m.kind == "count":
        return one_decimal(m.target)
    if m.kind == "rate":
        return percent(m.target)
    return hours(m.target)


def _status(m: MetricResult) -> str:
    return status_label(m.status)


def table(header: Sequence[str], rows: Sequence[Sequence[str]], right: set[int]) -> list[str]:
    """Fixed-width lines: header, a rule, the rows; columns in ``right`` are right-aligned."""
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]

    def line(cells: Sequence[str]) -> str:
        parts = [
            str(c).rjust(w) if i in right else str(c).ljust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ]
        return "  ".join(parts).rstrip()

    return [line(header), line(["-" * w for w in widths]), *(line(r) for r in rows)]


def report_header(report: SlaReport) -> str:
    """One line: period label and dates, as-of day, elapsed days, agreement version."""
    p = report.period
    a = report.agreement
    agreement = (
        _("agreement v{version} (from {day})").format(
            version=a.version, day=a.effective_from.isoformat()
        )
        if a is not None
        else _("no agreement in effect (no targets)")
    )
    return _(
        "SLA {period} ({kind} {start} – {end}) · as of {as_of} · elapsed {elapsed} of "
        "{days} days · {agreement} · {timezone}"
    ).format(
        period=p.label(),
        kind=kind_label(p.kind),
        start=p.start.isoformat(),
        end=p.end.isoformat(),
        as_of=p.as_of.isoformat(),
        elapsed=p.elapsed_days,
        days=p.days,
        agreement=agreement,
        timezone=config.timezone_name(),
    )


def report_text(report: SlaReport) -> str:
    """The SLA report as a fixed-width table, one row per metric, grouped by side."""
    rows = []
    for side in SIDES:
        first = True
        for m in (m for m in report.metrics if m.side == side):
            counted = m.kind == "count"
            rows.append(
                [
                    _(SIDE_WORDS[side]) if first else "",
                    _(m.label),
                    _actual(m),
                    _target(m),
                    percent(m.pace) if counted else NONE,
                    one_decimal(m.forecast) if counted else NONE,
                    _status(m),
                ]
            )
            first = False
    lines = [
        report_header(report),
        "",
        *table(
            [
                _("side"),
                _("metric"),
                _("actual"),
                _("target"),
                _("pace"),
                _("forecast"),
                _("status"),
            ],
            rows,
            right={2, 3, 4, 5},
        ),
        "",
        _(
            "pace = actual ÷ expected to date; forecast = actual ÷ elapsed days × days "
            "(counts only); targets of counts are pro-rated to the period"
        ),
    ]
    unmeasured = [
        f"{_(m.label)}: {_(m.reason) if m.reason else NONE}"
        for m in report.metrics
        if m.actual is None
    ]
    if unmeasured:
        lines += ["", NONE + " " + _("not measured:"), *(f"  {line}" for line in unmeasured)]
    return "\n".join(lines)


def history_text(history: list[dict]) -> str:
    """Every agreement version (as from ``agreements.agreement_history``), newest first."""
    if not history:
        return _("no SLA agreement yet: propose one with `sla set`")
    blocks = []
    for i, h in enumerate(history):
        first = i == len(history) - 1
        targets = ", ".join(f"{k} {plain(h[k])}" for k in TARGET_LIMITS)
        proposed_at = h.get("proposed_at")
        when = (
            _(" at {time} UTC").format(time=f"{proposed_at:%Y-%m-%d %H:%M}") if proposed_at else ""
        )
        changes = ", ".join(change_text(*c) for c in h["changes"])
        rows = [
            (_("targets:"), targets),
            (_("changes:"), changes or (_("first version") if first else _("none"))),
            (_("reason:"), h["reason"] or NONE),
            (_("proposed:"), _("by {name}").format(name=h["proposed_by"]) + when),
            (
                _("confirmed:"),
                f"{team_label('marketing')} {h['marketing_confirmed'] or NONE}; "
                f"{team_label('sales')} {h['sales_confirmed'] or NONE}",
            ),
        ]
        width = max(len(name) for name, _value in rows) + 1
        head = _("version {version} · effective from {day} · {state}").format(
            version=h["version"], day=plain(h["effective_from"]), state=_(h["state"])
        )
        blocks.append("\n".join([head, *(f"  {n.ljust(width)} {v}" for n, v in rows)]))
    return "\n\n".join(blocks)


def target_line(m: MetricResult) -> str:
    """'target 150 · pace 93.3 % · forecast 140' for counts, 'target 70.0 %' for rates."""
    if m.target is None:
        return _("no agreement in effect")
    if m.kind == "count":
        parts = [_("target {value}").format(value=figure("count", m.target))]
        if m.pace is not None:
            parts.append(_("pace {value}").format(value=percent(m.pace)))
        if m.forecast is not None:
            parts.append(_("forecast {value}").format(value=count(m.forecast)))
        return " · ".join(parts)
    if m.kind == "hours":
        return _("target ≤ {value}").format(value=hours(m.target))
    extra = (
        " · " + _("{part} of {whole}").format(part=count(m.numerator), whole=count(m.denominator))
        if m.denominator and m.numerator is not None
        else ""
    )
    return _("target {value}").format(value=percent(m.target)) + extra


def targets_text(targets: dict) -> str:
    """'150 MQLs · 70.0 % accepted · 2.0 h · 80.0 % in time · 55 SQLs · 20.0 % close ·
    8 customers'."""
    return _(
        "{mqls} MQLs · {acceptance} accepted · {hours} · {in_time} in time · {sqls} SQLs · "
        "{close} close · {customers} customers"
    ).format(
        mqls=count(targets["mql_target"]),
        acceptance=percent(targets["acceptance_rate_target"]),
        hours=hours(targets["response_hours"]),
        in_time=percent(targets["contacted_within_sla_target"]),
        sqls=count(targets["sql_target"]),
        close=percent(targets["close_rate_target"]),
        customers=count(targets["customer_target"]),
    )
