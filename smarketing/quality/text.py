"""Plain-text rendering of the lead-quality table (for `report quality --format text`)."""

from __future__ import annotations

import pandas as pd

from smarketing import config
from smarketing.formatting import count, percent
from smarketing.quality.cohorts import DIMENSION_LABELS, SMALL_SAMPLE, Cohort, unmeasured
from smarketing.sla.text import NONE, table

HEADER = (
    "value",
    "leads",
    "MQLs",
    "accepted",
    "rejected",
    "SQLs",
    "opps",
    "customers",
    "lead→MQL",
    "MQL→SQL",
    "SQL→customer",
)
COUNTS = ("leads", "mqls", "accepted", "rejected", "sqls", "opportunities", "customers")
RATES = ("lead_to_mql", "mql_to_sql", "sql_to_customer")


def reasons_text(totals: pd.DataFrame) -> list[str]:
    """The lines of "why sales rejected leads" from a ``quality.reason_totals`` frame:
    each reason's label (grouped by its key), count and share; none when nothing was."""
    if totals.empty:
        return []
    rows = [
        [r["reason"], f"{int(r['count']):,}", percent(float(r["share"]))]
        for r in totals.to_dict("records")
    ]
    return [
        "Why sales rejected leads (their current verdict):",
        "",
        *table(("reason", "rejected", "share"), rows, right={1, 2}),
    ]


def quality_text(
    frame: pd.DataFrame, cohort: Cohort, by: str, reasons: pd.DataFrame | None = None
) -> str:
    """A ``quality.breakdown`` frame as a fixed-width table, total row last; values with
    fewer than 30 leads are marked with an asterisk. With ``reasons`` (``reason_totals``),
    the rejection reasons follow the table."""
    rows = []
    for r in frame.to_dict("records"):
        mark = " *" if r["small_sample"] and not r["is_total"] else ""
        rows.append(
            [
                f"{r['value']}{mark}",
                *(count(r[c]) for c in COUNTS),
                *(percent(r[c]) for c in RATES),
            ]
        )
    lines = table(HEADER, rows, right=set(range(1, len(HEADER))))
    if len(rows) > 1:
        lines.insert(len(lines) - 1, lines[1])  # a rule above the total row
    total = int(frame["leads"].iloc[-1])
    notes = [
        "A lead counts at a stage if the stage's time is set, whenever it happened; "
        "— where the denominator is 0."
    ]
    if any(row[0].endswith(" *") for row in rows):
        notes.insert(0, f"* fewer than {SMALL_SAMPLE} leads: too few to draw conclusions from")
    if total == 0:
        notes.insert(0, "No leads were created in these days.")
    gaps = unmeasured(frame)
    for reason in dict.fromkeys(gaps.values()):
        names = " and ".join(c for c in COUNTS if gaps.get(c) == reason)
        notes.append(f"{NONE} {names}: {reason}.")
    return "\n".join(
        [
            f"Lead quality by {DIMENSION_LABELS[by].lower()} · leads created "
            f"{cohort.label()} ({cohort.days} days) · {config.timezone_name()}",
            "",
            *lines,
            "",
            *notes,
            *(["", *reasons_text(reasons)] if reasons is not None and not reasons.empty else []),
        ]
    )
