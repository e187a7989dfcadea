"""Plain-text renderings of the SLA report and the agreement history (for the CLI).

Fixed-width tables that read well in a terminal, a log or a black-and-white printout:
every status is a symbol and a word (``STATUS_TEXT``), never a colour alone.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from smarketing import config, formatting
from smarketing.formatting import EMPTY, count, figure, hours, percent
from smarketing.sla.agreements import TARGET_LIMITS
from smarketing.sla.metrics import MetricResult, SlaReport, status_label

#: Shown where a figure does not apply (pace of a rate) or is missing (no target).
NONE = EMPTY
SIDES = ("marketing", "sales", "both")


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


#: A person's words for each target, and the kind of figure it is.
TARGET_LABELS = {
    "mql_target": ("MQLs per month", "count"),
    "acceptance_rate_target": ("acceptance", "rate"),
    "response_hours": ("response time", "hours"),
    "contacted_within_sla_target": ("contacted in time", "rate"),
    "sql_target": ("SQLs per month", "count"),
    "close_rate_target": ("close rate", "rate"),
    "customer_target": ("customers per month", "count"),
}


def change_label(field: str, old: object, new: object) -> str:
    """A change in a person's words: 'MQLs per month 140 → 150', 'acceptance 70.0 % →
    75.0 %' (other fields as ``change_text``)."""
    if field not in TARGET_LABELS:
        return change_text(field, old, new)
    label, kind = TARGET_LABELS[field]
    return f"{label} {formatting.figure(kind, old)} → {formatting.figure(kind, new)}"


def _actual(m: MetricResult) -> str:
    return formatting.figure(m.kind, m.actual)


def _target(m: MetricResult) -> str:
    if m.kind == "count":
        return one_decimal(m.target)
    if m.kind == "rate":
        return percent(m.target)
    return one_decimal(m.target, "h")


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
        f"agreement v{a.version} (from {a.effective_from.isoformat()})"
        if a is not None
        else "no agreement in effect (no targets)"
    )
    return (
        f"SLA {p.label()} ({p.kind.value} {p.start.isoformat()} – {p.end.isoformat()})"
        f" · as of {p.as_of.isoformat()} · elapsed {p.elapsed_days} of {p.days} days"
        f" · {agreement} · {config.timezone_name()}"
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
                    side if first else "",
                    m.label,
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
            ["side", "metric", "actual", "target", "pace", "forecast", "status"],
            rows,
            right={2, 3, 4, 5},
        ),
        "",
        "pace = actual ÷ expected to date; forecast = actual ÷ elapsed days × days "
        "(counts only); targets of counts are pro-rated to the period",
    ]
    unmeasured = [f"{m.label}: {m.reason}" for m in report.metrics if m.actual is None]
    if unmeasured:
        lines += ["", f"{NONE} not measured:", *(f"  {line}" for line in unmeasured)]
    return "\n".join(lines)


def history_text(history: list[dict]) -> str:
    """Every agreement version (as from ``agreements.agreement_history``), newest first."""
    if not history:
        return "no SLA agreement yet: propose one with `sla set`"
    blocks = []
    for i, h in enumerate(history):
        first = i == len(history) - 1
        targets = ", ".join(f"{k} {plain(h[k])}" for k in TARGET_LIMITS)
        proposed_at = h.get("proposed_at")
        when = f" at {proposed_at:%Y-%m-%d %H:%M} UTC" if proposed_at else ""
        changes = ", ".join(change_text(*c) for c in h["changes"])
        blocks.append(
            "\n".join(
                [
                    f"version {h['version']} · effective from {plain(h['effective_from'])}"
                    f" · {h['state']}",
                    f"  targets:    {targets}",
                    f"  changes:    {changes or ('first version' if first else 'none')}",
                    f"  reason:     {h['reason'] or NONE}",
                    f"  proposed:   by {h['proposed_by']}{when}",
                    f"  confirmed:  marketing {h['marketing_confirmed'] or NONE}"
                    f"; sales {h['sales_confirmed'] or NONE}",
                ]
            )
        )
    return "\n\n".join(blocks)


def target_line(m: MetricResult) -> str:
    """'target 150 · pace 93.3 % · forecast 140' for counts, 'target 70.0 %' for rates."""
    if m.target is None:
        return "no agreement in effect"
    if m.kind == "count":
        parts = [f"target {figure('count', m.target)}"]
        if m.pace is not None:
            parts.append(f"pace {percent(m.pace)}")
        if m.forecast is not None:
            parts.append(f"forecast {count(m.forecast)}")
        return " · ".join(parts)
    if m.kind == "hours":
        return f"target ≤ {hours(m.target)}"
    extra = (
        f" · {count(m.numerator)} of {count(m.denominator)}"
        if m.denominator and m.numerator is not None
        else ""
    )
    return f"target {percent(m.target)}{extra}"


def targets_text(targets: dict) -> str:
    """'150 MQLs · 70.0 % accepted · 2.0 h · 80.0 % in time · 55 SQLs · 20.0 % close ·
    8 customers'."""
    return (
        f"{count(targets['mql_target'])} MQLs · {percent(targets['acceptance_rate_target'])} "
        f"accepted · {hours(targets['response_hours'])} · "
        f"{percent(targets['contacted_within_sla_target'])} in time · "
        f"{count(targets['sql_target'])} SQLs · {percent(targets['close_rate_target'])} close · "
        f"{count(targets['customer_target'])} customers"
    )
