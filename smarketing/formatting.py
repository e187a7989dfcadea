"""How figures are written for people: one place for the app, the CLI and exports."""

from __future__ import annotations

from smarketing.sla import STATUS_TEXT, MetricResult, Status


def figure(kind: str, value: float | None) -> str:
    """A metric value: counts as integers, rates as percentages, hours with one decimal."""
    if value is None:
        return "–"
    if kind == "rate":
        return f"{value:.0%}" if abs(value * 100 - round(value * 100)) < 0.05 else f"{value:.1%}"
    if kind == "hours":
        return f"{value:.1f} h"
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.1f}"


def status_label(status: Status | str) -> str:
    """Symbol and word, e.g. '✔ on track', so colour is never the only signal."""
    symbol, word = STATUS_TEXT[Status(status)]
    return f"{symbol} {word}"


def target_line(m: MetricResult) -> str:
    """'target 150 · pace 93 % · forecast 140' for counts, 'target 70 %' for rates."""
    if m.target is None:
        return "no agreement in effect"
    if m.kind == "count":
        parts = [f"target {figure('count', m.target)}"]
        if m.pace is not None:
            parts.append(f"pace {m.pace:.0%}")
        if m.forecast is not None:
            parts.append(f"forecast {figure('count', round(m.forecast))}")
        return " · ".join(parts)
    if m.kind == "hours":
        return f"target ≤ {figure('hours', m.target)}"
    extra = f" · {m.numerator} of {m.denominator}" if m.denominator else ""
    return f"target {figure('rate', m.target)}{extra}"


def targets_text(targets: dict) -> str:
    """'150 MQLs · 70 % accepted · 2 h · 80 % in time · 55 SQLs · 20 % close · 8 customers'."""
    return (
        f"{targets['mql_target']} MQLs · {figure('rate', targets['acceptance_rate_target'])} "
        f"accepted · {targets['response_hours']:g} h · "
        f"{figure('rate', targets['contacted_within_sla_target'])} in time · "
        f"{targets['sql_target']} SQLs · {figure('rate', targets['close_rate_target'])} close · "
        f"{targets['customer_target']} customers"
    )
