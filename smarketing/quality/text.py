"""Plain-text rendering of the lead-quality table (for `report quality --format text`), in
the language speaking (the JSON and CSV reports keep English field names)."""

from __future__ import annotations

import pandas as pd

from smarketing import config
from smarketing.formatting import count, percent
from smarketing.i18n import N_, _, ngettext
from smarketing.quality.cohorts import (
    SMALL_SAMPLE,
    Cohort,
    dimension_label,
    unmeasured,
    value_label,
)
from smarketing.quality.leads import shown_value
from smarketing.sla.text import NONE, table

#: The table's headings (English message ids, translated when written).
HEADER = (
    N_("value"),
    N_("leads"),
    N_("MQLs"),
    N_("accepted"),
    N_("rejected"),
    N_("SQLs"),
    N_("opps"),
    N_("customers"),
    N_("lead→MQL"),
    N_("MQL→SQL"),
    N_("SQL→customer"),
)
COUNTS = ("leads", "mqls", "accepted", "rejected", "sqls", "opportunities", "customers")
RATES = ("lead_to_mql", "mql_to_sql", "sql_to_customer")


def reasons_text(totals: pd.DataFrame) -> list[str]:
    """The lines of "why sales rejected leads" from a ``quality.reason_totals`` frame:
    each reason's label (grouped by its key), count and share; none when nothing was."""
    if totals.empty:
        return []
    rows = [
        [shown_value(r["reason"]), count(int(r["count"])), percent(float(r["share"]))]
        for r in totals.to_dict("records")
    ]
    return [
        _("Why sales rejected leads (their current verdict):"),
        "",
        *table((_("reason"), _("rejected"), _("share")), rows, right={1, 2}),
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
        value = value_label(r["value"]) if r["is_total"] else shown_value(r["value"])
        rows.append(
            [
                f"{value}{mark}",
                *(count(r[c]) for c in COUNTS),
                *(percent(r[c]) for c in RATES),
            ]
        )
    lines = table([_(h) for h in HEADER], rows, right=set(range(1, len(HEADER))))
    if len(rows) > 1:
        lines.insert(len(lines) - 1, lines[1])  # a rule above the total row
    total = int(frame["leads"].iloc[-1])
    notes = [
        _(
            "A lead counts at a stage if the stage's time is set, whenever it happened; "
            "{empty} where the denominator is 0."
        ).format(empty=NONE)
    ]
    if any(row[0].endswith(" *") for row in rows):
        notes.insert(
            0,
            _("* fewer than {n} leads: too few to draw conclusions from").format(n=SMALL_SAMPLE),
        )
    if total == 0:
        notes.insert(0, _("No leads were created in these days."))
    gaps = unmeasured(frame)
    for reason in dict.fromkeys(gaps.values()):
        names = [_(HEADER[i + 1]) for i, c in enumerate(COUNTS) if gaps.get(c) == reason]
        if len(names) > 1:
            names = [_("{items} and {last}").format(items=", ".join(names[:-1]), last=names[-1])]
        if names:
            notes.append(f"{NONE} {names[0]}: {_(reason)}.")
    days = ngettext("{n} day", "{n} days", cohort.days).format(n=count(cohort.days))
    return "\n".join(
        [
            _("Lead quality by {dimension} · leads created {cohort} ({days}) · {timezone}").format(
                dimension=dimension_label(by).lower(),
                cohort=cohort.label(),
                days=days,
                timezone=config.timezone_name(),
            ),
            "",
            *lines,
            "",
            *notes,
            *(["", *reasons_text(reasons)] if reasons is not None and not reasons.empty else []),
        ]
    )
