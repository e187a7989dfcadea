"""Lead quality of a cohort (docs/metrics.md, "Lead quality (cohorts)"), in SQL aggregates.

A **cohort** is the set of leads with ``created_at`` in [start, end] (local days in the
business timezone, inclusive). A lead counts at a stage if the stage's timestamp is set,
whenever it happened. Every function here runs one or two grouped queries over the
cohort's ``created_at`` range (indexed) and returns a small frame; none loads the leads.
At 1M leads (SQLite, 12-month cohort) the page's queries take about 1.5 s together:
``breakdowns`` of its dimension and the offers in one scan (~1.1 s), the rejection
reasons (~0.25 s), the heatmap (~0.1 s); the funnel comes from the table (``funnel_from``).

Portability (the same SQL on SQLite and PostgreSQL): stages are counted with
``COUNT(column)`` (rows where the timestamp is set); dimension values are grouped as
stored and the few groups that mean "missing" (NULL, empty, blank) are merged afterwards
into "(none)", which is also about a third cheaper than grouping on a trimmed expression;
computed buckets (heatmap months) are grouped in a subquery, so no bound parameter is
repeated in GROUP BY.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from sqlmodel import Session

from smarketing import config, formatting, safe_csv
from smarketing.errors import InvalidInput
from smarketing.i18n import N_, _
from smarketing.quality.leads import shown_value
from smarketing.quality.reasons import labels as reason_labels
from smarketing.sla.coverage import NO_VERDICTS, has_verdicts
from smarketing.sla.periods import local_midnight_utc
from smarketing.store import rollup

#: The breakdown dimensions (Lead columns), in the order the page offers them.
DIMENSIONS = ("source", "campaign", "persona", "owner", "segment", "first_conversion")
#: Their names (English message ids: ``dimension_label`` writes them for people).
DIMENSION_LABELS = {
    "source": N_("Source"),
    "campaign": N_("Campaign"),
    "persona": N_("Persona"),
    "owner": N_("Owner"),
    "segment": N_("Segment"),
    "first_conversion": N_("First conversion (offer)"),
}
#: The value of a missing (NULL, empty or blank) dimension value or rejection reason
#: (``value_label`` writes it for people).
NONE_VALUE = "(none)"
#: The ``value`` of the total row of a breakdown (``value_label`` translates it).
TOTAL_VALUE = "total"
#: Values with fewer leads than this are flagged ``small_sample``: too few to compare.
SMALL_SAMPLE = 30
#: Widest cohort heatmap, in months (one CASE branch per month).
MAX_HEATMAP_MONTHS = 120
RATE_DIGITS = 4
PER_100_DIGITS = 2

#: Counted per value: (column, lead timestamp that must be set; None = every lead).
COUNTS = (
    ("leads", None),
    ("mqls", "mql_at"),
    ("accepted", "accepted_at"),
    ("rejected", "rejected_at"),
    ("sqls", "sql_at"),
    ("opportunities", "opportunity_at"),
    ("customers", "customer_at"),
)
COUNT_COLUMNS = tuple(name for name, _ in COUNTS)
#: The next-step conversions of the contract: (column, numerator, denominator).
CONTRACT_RATES = (
    ("lead_to_mql", "mqls", "leads"),
    ("mql_to_sql", "sqls", "mqls"),
    ("sql_to_customer", "customers", "sqls"),
)
#: Every column of ``breakdown`` in order (the JSON report keeps only the contract's).
BREAKDOWN_COLUMNS = (
    "value",
    *COUNT_COLUMNS,
    *(name for name, _, _ in CONTRACT_RATES),
    "mql_to_accepted",
    "customers_per_100_leads",
    "small_sample",
    "is_total",
)
#: Columns that need sales' verdicts: unmeasured (None, shown "—") while the store has none.
VERDICT_COLUMNS = ("accepted", "rejected", "mql_to_accepted")
#: The keys of one row of the JSON report, in the contract's order.
REPORT_KEYS = ("value", *COUNT_COLUMNS, *(name for name, _, _ in CONTRACT_RATES))
#: Columns a conversion chart can show (all fractions, except customers per 100 leads).
CONVERSION_METRICS = (
    "lead_to_mql",
    "mql_to_sql",
    "sql_to_customer",
    "mql_to_accepted",
    "customers_per_100_leads",
)

#: Label and definition of every figure, for table headings and ``help=`` tooltips: English
#: message ids (``column_label`` / ``column_help`` write them in the language speaking; a
#: definition's ``{n}`` is ``SMALL_SAMPLE``).
COLUMN_HELP = {
    "leads": (N_("Leads"), N_("Leads created in the cohort's days (local, inclusive).")),
    "mqls": (N_("MQLs"), N_("Leads of the cohort with `mql_at` set, whenever it happened.")),
    "accepted": (
        N_("Accepted"),
        N_("Leads of the cohort that sales accepted (`accepted_at` set)."),
    ),
    "rejected": (
        N_("Rejected"),
        N_("Leads of the cohort that sales rejected (`rejected_at` set)."),
    ),
    "sqls": (N_("SQLs"), N_("Leads of the cohort with `sql_at` set, whenever it happened.")),
    "opportunities": (
        N_("Opportunities"),
        N_("Leads of the cohort with `opportunity_at` set."),
    ),
    "customers": (N_("Customers"), N_("Leads of the cohort with `customer_at` set (won).")),
    "lead_to_mql": (N_("Lead → MQL"), N_("MQLs ÷ leads; empty when there are no leads.")),
    "mql_to_sql": (N_("MQL → SQL"), N_("SQLs ÷ MQLs; empty when there are no MQLs.")),
    "sql_to_customer": (
        N_("SQL → customer"),
        N_("Customers ÷ SQLs; empty when there are no SQLs."),
    ),
    "mql_to_accepted": (
        N_("MQL → accepted"),
        N_(
            "Accepted ÷ (accepted + rejected): the share of decided MQLs sales accepted; "
            "empty when none is decided."
        ),
    ),
    "customers_per_100_leads": (N_("Customers per 100 leads"), N_("100 × customers ÷ leads.")),
    "small_sample": (
        N_("n<30"),
        N_("Fewer than {n} leads: too few to draw conclusions from."),
    ),
}

#: The funnel's stages: (key, label, lead timestamp; None = every lead of the cohort); the
#: labels are English message ids (``funnel_frame`` writes them in the language speaking).
FUNNEL_STAGES = (
    ("leads", N_("Leads"), None),
    ("mqls", N_("MQLs"), "mql_at"),
    ("accepted", N_("Accepted"), "accepted_at"),
    ("sqls", N_("SQLs"), "sql_at"),
    ("opportunities", N_("Opportunities"), "opportunity_at"),
    ("customers", N_("Customers"), "customer_at"),
)


def dimension_label(by: str) -> str:
    """The name of a dimension in the language speaking ("source" -> "Source", nb "Kilde")."""
    return _(DIMENSION_LABELS[by])


def column_label(column: str) -> str:
    """The heading of a figure of a breakdown (``COLUMN_HELP``) in the language speaking."""
    return _(COLUMN_HELP[column][0])


def column_help(column: str) -> tuple[str, str]:
    """Heading and definition of a figure (``COLUMN_HELP``) in the language speaking."""
    label, definition = COLUMN_HELP[column]
    return _(label), _(definition).format(n=SMALL_SAMPLE)


def value_label(value: object) -> object:
    """A breakdown's value as people read it: the total row "total", a missing value
    "(none)" (both in the language speaking: "totalt", "(ingen)"), any other value as it is."""
    if value == TOTAL_VALUE:
        # Translators: the value of a breakdown's total row (lower case, as in the reports)
        return _("total")
    return shown_value(value)


@dataclass(frozen=True)
class Cohort:
    """Leads created from local day ``start`` through ``end`` (inclusive)."""

    start: date
    end: date

    def __post_init__(self) -> None:
        if self.start > self.end:
            raise InvalidInput(
                _(
                    "the cohort starts on {start}, after its end {end}: the first day must "
                    "not be after the last"
                ).format(start=self.start.isoformat(), end=self.end.isoformat())
            )

    @property
    def days(self) -> int:
        """Number of local days in the cohort."""
        return (self.end - self.start).days + 1

    def window(self, tz: ZoneInfo | None = None) -> tuple[datetime, datetime]:
        """UTC [from, to): local midnight at ``start`` up to local midnight after ``end``."""
        tz = tz or config.business_tz()
        return local_midnight_utc(self.start, tz), local_midnight_utc(
            self.end + timedelta(days=1), tz
        )

    def label(self) -> str:
        """'2026-01-01 – 2026-03-31' (ISO days: the same in every language)."""
        return f"{self.start.isoformat()} – {self.end.isoformat()}"


def parse_dimension(name: str) -> str:
    """A dimension from its name (case and spaces forgiven), or a clear InvalidInput."""
    key = str(name).strip().lower().replace(" ", "_").replace("-", "_")
    if key not in DIMENSIONS:
        raise InvalidInput(
            _("unknown dimension {name}; use one of {names}").format(
                name=repr(name), names=", ".join(DIMENSIONS)
            )
        )
    return key


# --- SQL ----------------------------------------------------------------------------------


def shown(value: str | None) -> str:
    """A stored dimension value or reason as shown: trimmed, "(none)" when missing/blank."""
    text = (value or "").strip(" ")
    return text or NONE_VALUE


def _ratio(numerator: int | None, denominator: int | None, digits: int = RATE_DIGITS):
    """numerator ÷ denominator rounded; None without a denominator or an unmeasured part."""
    if numerator is None or not denominator:
        return None
    return round(numerator / denominator, digits)


def _with_rates(counts: dict) -> dict:
    row = dict(counts)
    for name, numerator, denominator in CONTRACT_RATES:
        row[name] = _ratio(counts[numerator], counts[denominator])
    decided = None if counts["accepted"] is None else counts["accepted"] + counts["rejected"]
    row["mql_to_accepted"] = _ratio(counts["accepted"], decided)
    row["customers_per_100_leads"] = (
        round(100 * counts["customers"] / counts["leads"], PER_100_DIGITS)
        if counts["leads"]
        else None
    )
    row["small_sample"] = counts["leads"] < SMALL_SAMPLE
    return row


def _objects(values: list) -> np.ndarray:
    """A column of Python objects as they are (None stays None, not NaN)."""
    column = np.empty(len(values), dtype=object)
    column[:] = values
    return column


def _frame(rows: list[dict], columns) -> pd.DataFrame:
    """A frame whose rate columns keep None (not NaN) where the denominator is 0, and whose
    verdict counts keep None where they are unmeasured (built column by column: a few
    tenths of a millisecond, a tenth of what ``from_records`` and re-typing cost)."""
    data = {}
    for name in columns:
        values = [r[name] for r in rows]
        if name in CONVERSION_METRICS:
            values = _objects([None if v is None or pd.isna(v) else float(v) for v in values])
        elif not rows or (name in ("accepted", "rejected") and None in values):
            values = _objects(values)
        data[name] = values
    return pd.DataFrame(data, columns=list(columns))


# --- the cohort table ---------------------------------------------------------------------


def _cohort_rows(session: Session, cohort: Cohort, dimensions: Sequence[str]):
    """[(dimension, stored value, counts in COUNTS order)] of the cohort: sums of its days'
    rows in ``rollup_cohort`` (days not yet rolled up are counted on ``lead``)."""
    return rollup.Reader(session).cohort_counts(cohort.start, cohort.end, dimensions)


def breakdown(session: Session, cohort: Cohort, by: str) -> pd.DataFrame:
    """Per value of the dimension: stage counts and conversions, then a ``total`` row.

    Columns ``BREAKDOWN_COLUMNS``: value, leads, mqls, accepted, rejected, sqls,
    opportunities, customers, lead_to_mql, mql_to_sql, sql_to_customer, mql_to_accepted,
    customers_per_100_leads, small_sample, is_total. Rates are fractions rounded to 4
    decimals (None where the denominator is 0); rows by leads (most first), then value.
    While the store holds no verdict at all, ``VERDICT_COLUMNS`` are None (unmeasured).
    """
    return breakdowns(session, cohort, [by])[parse_dimension(by)]


def breakdowns(
    session: Session, cohort: Cohort, dimensions: Sequence[str]
) -> dict[str, pd.DataFrame]:
    """``breakdown`` of several dimensions at once: {dimension: frame} (the page asks for
    its dimension and ``first_conversion`` for the offers)."""
    names = list(dict.fromkeys(parse_dimension(d) for d in dimensions))
    merged: dict[str, dict[str, list[int]]] = {name: {} for name in names}
    for name, stored, counts in _cohort_rows(session, cohort, names):
        sums = merged[name].setdefault(shown(stored), [0] * len(COUNT_COLUMNS))
        for i, n in enumerate(counts):
            sums[i] += n
    verdicts = has_verdicts(session)
    return {name: _breakdown_frame(merged[name], verdicts=verdicts) for name in names}


def _unmeasured(counts: dict, verdicts: bool) -> dict:
    """The counts with the verdict counts None when the store holds no verdict."""
    return counts if verdicts else counts | {"accepted": None, "rejected": None}


def _breakdown_frame(merged: dict[str, list[int]], *, verdicts: bool = True) -> pd.DataFrame:
    rows = [
        _with_rates(
            _unmeasured({"value": value, **dict(zip(COUNT_COLUMNS, sums, strict=True))}, verdicts)
        )
        | {"is_total": False}
        for value, sums in merged.items()
    ]
    rows.sort(key=lambda r: (-r["leads"], r["value"]))
    total = {name: sum(r[name] or 0 for r in rows) for name in COUNT_COLUMNS}
    rows.append(
        _with_rates(_unmeasured({"value": TOTAL_VALUE, **total}, verdicts)) | {"is_total": True}
    )
    return _frame(rows, BREAKDOWN_COLUMNS)


def unmeasured(frame: pd.DataFrame) -> dict[str, str]:
    """{column: why it is empty} for the columns of a ``breakdown`` (or funnel) frame whose
    inputs the store lacks: the verdict columns while no verdict is recorded or imported."""
    if "is_total" in frame.columns:
        total = frame[frame["is_total"].astype(bool)]
        if not total.empty and total["accepted"].iloc[0] is None:
            return {c: NO_VERDICTS for c in VERDICT_COLUMNS if c in frame.columns}
        return {}
    if "reason" in frame.columns:
        return {r.stage: r.reason for r in frame.itertuples() if r.reason}
    return {}


def _json_row(row: dict) -> dict:
    out = {}
    for key in REPORT_KEYS:
        value = row[key]
        if key in COUNT_COLUMNS:
            value = None if value is None or pd.isna(value) else int(value)
        elif key != "value":
            value = None if value is None or pd.isna(value) else float(value)
        out[key] = value
    return out


def report_from(frame: pd.DataFrame, cohort: Cohort, by: str) -> dict:
    """The JSON report object of a ``breakdown`` frame (see ``quality_report``)."""
    records = frame.to_dict("records")
    return {
        "cohort": {
            "from": cohort.start.isoformat(),
            "to": cohort.end.isoformat(),
            "timezone": config.timezone_name(),
        },
        "dimension": parse_dimension(by),
        "rows": [_json_row(r) for r in records if not r["is_total"]],
        "total": _json_row(next(r for r in records if r["is_total"])),
        "unmeasured": {k: v for k, v in unmeasured(frame).items() if k in REPORT_KEYS},
    }


def quality_report(session: Session, cohort: Cohort, by: str) -> dict:
    """The object of `report quality --format json`:

    ``{"cohort": {"from", "to", "timezone"}, "dimension": by, "rows": [row, …],
    "total": row}`` where a row is ``{"value", "leads", "mqls", "accepted", "rejected",
    "sqls", "opportunities", "customers", "lead_to_mql", "mql_to_sql", "sql_to_customer"}``
    (rows in the order of ``breakdown``; the total row's value is "total"), and
    ``"unmeasured": {key: reason}`` for the keys that are null because the store lacks their
    inputs (``accepted`` and ``rejected`` while no verdict is recorded or imported; ``{}``).
    """
    return report_from(breakdown(session, cohort, by), cohort, by)


def breakdown_csv(frame: pd.DataFrame) -> str:
    """A ``breakdown`` frame as CSV (total row last, no ``is_total``; empty = no value),
    formula-safe: a value such as a source name ``=HYPERLINK(…)`` is written as text
    (:mod:`smarketing.safe_csv`), the counts and rates as numbers."""
    return safe_csv.frame_csv(frame.drop(columns=["is_total"]))


# --- funnel -------------------------------------------------------------------------------


def funnel(
    session: Session, cohort: Cohort, *, by: str | None = None, value: str | None = None
) -> pd.DataFrame:
    """The cohort's funnel, leads → MQLs → accepted → SQLs → opportunities → customers,
    optionally for the leads whose dimension ``by`` has ``value`` ("(none)" for missing).

    Columns: stage, label, count, next_step (count ÷ the stage before; None for leads and
    where the stage before is 0), cumulative (count ÷ leads; None without leads), reason
    (why a stage's count is None: the accepted stage while the store holds no verdict).
    """
    if (by is None) != (value is None):
        raise InvalidInput("the funnel of one value needs both the dimension and the value")
    # every lead has one value of each dimension: the rows of one dimension sum to the cohort
    dimension = parse_dimension(by) if by is not None else DIMENSIONS[0]
    sums = [0] * len(COUNT_COLUMNS)
    for _dim, stored, numbers in _cohort_rows(session, cohort, [dimension]):
        if by is None or shown(stored) == value:
            for i, n in enumerate(numbers):
                sums[i] += n
    counts = dict(zip(COUNT_COLUMNS, sums, strict=True))
    return funnel_frame(_unmeasured(counts, has_verdicts(session)))


def funnel_from(frame: pd.DataFrame, value: str | None = None) -> pd.DataFrame:
    """The funnel of one value of a ``breakdown`` frame (None: its total row), the same
    frame as ``funnel`` without another query (all zeros for a value not in the frame)."""
    is_total = frame["is_total"].astype(bool)
    match = frame[is_total] if value is None else frame[~is_total & (frame["value"] == value)]
    verdicts = not unmeasured(frame)
    if match.empty:
        return funnel_frame(_unmeasured(dict.fromkeys(COUNT_COLUMNS, 0), verdicts))
    row = match.iloc[0]
    counts = {name: None if row[name] is None else int(row[name]) for name in COUNT_COLUMNS}
    return funnel_frame(counts)


def funnel_frame(counts: dict[str, int | None]) -> pd.DataFrame:
    """The funnel frame (stage, label, count, next_step, cumulative, reason) of stage
    counts; an ``accepted`` of None (no verdict in the store) is unmeasured: its count and
    conversions and the SQLs' next-step conversion are None, its reason says why (in
    English, as the JSON reports keep it). The label is in the language speaking."""
    rows, previous = [], None
    for key, label, _column in FUNNEL_STAGES:
        count = counts[key]
        rows.append(
            {
                "stage": key,
                "label": _(label),
                "count": count,
                "next_step": None if previous is None else _ratio(count, previous),
                "cumulative": _ratio(count, counts["leads"]),
                "reason": NO_VERDICTS if count is None else None,
            }
        )
        previous = count
        if previous is None:  # the stage after an unmeasured one has no next-step conversion
            previous = 0
    kept = ("next_step", "cumulative", "reason", *(("count",) if None in counts.values() else ()))
    return pd.DataFrame(
        {
            name: _objects([r[name] for r in rows]) if name in kept else [r[name] for r in rows]
            for name in rows[0]
        }
    )


# --- rejection reasons --------------------------------------------------------------------


def rejection_reasons(session: Session, cohort: Cohort, by: str) -> pd.DataFrame:
    """Rejected leads of the cohort per (value, reason): columns value, reason_key, reason
    (the label people read), count, share (of that value's rejections, 4 decimals).
    Grouped by the reason's key, so one reason is one category whatever its label; a
    rejection without a reason is "(none)". Values with the most rejections first; within
    a value the commonest reason first."""
    result = rollup.Reader(session).reason_counts(cohort.start, cohort.end, parse_dimension(by))
    known = reason_labels(session)
    merged: dict[tuple[str, str], int] = {}
    for stored, key, n in result:
        group = (shown(stored), (key or "").strip() or NONE_VALUE)
        merged[group] = merged.get(group, 0) + int(n)
    records = [(v, k, known.get(k, k), n) for (v, k), n in merged.items()]
    if records:  # sorted and shared in Python: pandas' group-by and sort cost ~10 ms here
        per_value: dict[str, int] = {}
        for v, _key, _label, n in records:
            per_value[v] = per_value.get(v, 0) + n
        records.sort(key=lambda r: (-per_value[r[0]], r[0], -r[3], r[2]))
        counts = np.array([r[3] for r in records], dtype="int64")
        totals = np.array([per_value[r[0]] for r in records], dtype="int64")
        return pd.DataFrame(
            {
                "value": [r[0] for r in records],
                "reason_key": [r[1] for r in records],
                "reason": [r[2] for r in records],
                "count": counts,
                "share": np.round(counts / totals, RATE_DIGITS),
            }
        )
    frame = pd.DataFrame.from_records(records, columns=["value", "reason_key", "reason", "count"])
    per_value = frame.groupby("value")["count"].transform("sum")
    frame["share"] = (frame["count"] / per_value).round(RATE_DIGITS)
    frame["_value_total"] = per_value
    frame = frame.sort_values(
        ["_value_total", "value", "count", "reason"], ascending=[False, True, False, True]
    )
    return frame.drop(columns=["_value_total"]).reset_index(drop=True)


def reason_totals(session: Session, cohort: Cohort) -> pd.DataFrame:
    """The cohort's rejected leads per reason, commonest first: reason_key, reason (the
    label), count, share of all rejections (4 decimals)."""
    # every rejected lead has one source value: the source rows hold every rejection
    rows = rollup.Reader(session).reason_counts(cohort.start, cohort.end, DIMENSIONS[0])
    known = reason_labels(session)
    merged: dict[str, int] = {}
    for _value, key, n in rows:
        group = (key or "").strip() or NONE_VALUE
        merged[group] = merged.get(group, 0) + int(n)
    records = [(k, known.get(k, k), n) for k, n in merged.items()]
    if records:
        records.sort(key=lambda r: (-r[2], r[1]))
        counts = np.array([r[2] for r in records], dtype="int64")
        return pd.DataFrame(
            {
                "reason_key": [r[0] for r in records],
                "reason": [r[1] for r in records],
                "count": counts,
                "share": np.round(counts / counts.sum(), RATE_DIGITS),
            }
        )
    frame = pd.DataFrame.from_records(records, columns=["reason_key", "reason", "count"])
    total = int(frame["count"].sum())
    frame["share"] = (frame["count"] / total).round(RATE_DIGITS) if total else 0.0
    return frame.sort_values(["count", "reason"], ascending=[False, True]).reset_index(drop=True)


# --- monthly cohort heatmap ---------------------------------------------------------------


def _month_starts(first: date, count: int) -> list[date]:
    months = []
    year, month = first.year, first.month
    for _month in range(count):
        months.append(date(year, month, 1))
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def cohort_heatmap(session: Session, start_month: date, end_month: date) -> pd.DataFrame:
    """Monthly cohorts × months since creation → share of the cohort's leads that had
    become customers by the end of that month.

    Cohort months run from ``start_month`` through ``end_month`` (any day of a month picks
    the month; local months in the business timezone). A cohort's customers in its own
    month are month 0; offsets run up to ``end_month``, so the table is a triangle (a win
    after ``end_month`` is not counted; nor is a ``customer_at`` before ``start_month``,
    which would be before the lead was created).
    Columns: cohort_month (first day), cohort ('Jan 2026', nb 'jan. 2026': the language
    speaking), months_since, leads,
    customers (reached customer by then, cumulative), share (4 decimals; None without leads).
    """
    first, last = start_month.replace(day=1), end_month.replace(day=1)
    if first > last:
        raise InvalidInput(
            _("the heatmap starts in {first}, after its last month {last}").format(
                first=formatting.month(first), last=formatting.month(last)
            )
        )
    count = (last.year - first.year) * 12 + last.month - first.month + 1
    if count > MAX_HEATMAP_MONTHS:
        raise InvalidInput(_("the heatmap covers at most {n} months").format(n=MAX_HEATMAP_MONTHS))
    months = _month_starts(first, count + 1)
    reader = rollup.Reader(session)
    last_day = months[-1] - timedelta(days=1)
    # leads per cohort month: the sums of its days in the daily rollup
    per_day = reader.day_counts(months[0], last_day)
    created = rollup.DAY_COUNTS.index("leads")
    leads = [
        sum(c[created] for d, c in per_day.items() if low <= d < high)
        for low, high in pairwise(months)
    ]
    # customers per (cohort month, month won), from the days' customers per month won
    index = {m: i for i, m in enumerate(months[:-1])}
    won = [[0] * count for _ in range(count)]  # won[cohort][offset]: customers in that month
    for day, month, n in reader.won_counts(months[0], last_day):
        if month in index:
            cohort_idx = index[day.replace(day=1)]
            won[cohort_idx][max(index[month] - cohort_idx, 0)] += n
    rows = []
    for i in range(count):
        reached = 0
        for offset in range(count - i):
            reached += won[i][offset]
            rows.append(
                {
                    "cohort_month": months[i],
                    "cohort": formatting.month(months[i], short=True),
                    "months_since": offset,
                    "leads": leads[i],
                    "customers": reached,
                    "share": _ratio(reached, leads[i]),
                }
            )
    columns = ("cohort_month", "cohort", "months_since", "leads", "customers", "share")
    return pd.DataFrame(
        {
            c: _objects([r[c] for r in rows]) if c == "share" else [r[c] for r in rows]
            for c in columns
        }
    )


# --- offers -------------------------------------------------------------------------------

OFFER_COLUMNS = (
    "rank",
    "value",
    "leads",
    "mqls",
    "sqls",
    "customers",
    "customers_per_100_leads",
    "small_sample",
)


def offers_ranked(session: Session, cohort: Cohort) -> pd.DataFrame:
    """First conversions (offers) of the cohort ranked by customers per 100 leads.

    Columns ``OFFER_COLUMNS``: rank, value, leads, mqls, sqls, customers,
    customers_per_100_leads, small_sample. Offers with at least 30 leads rank first;
    small samples follow, ranked the same way among themselves, so that five lucky
    leads never top the list. Ties: more leads first, then by name.
    """
    return rank_offers(breakdown(session, cohort, "first_conversion"))


def rank_offers(frame: pd.DataFrame) -> pd.DataFrame:
    """``offers_ranked`` from a ``breakdown(…, "first_conversion")`` frame (no query)."""
    frame = frame[~frame["is_total"]].copy()
    frame["_rate"] = frame["customers_per_100_leads"].astype(float)
    frame = frame.sort_values(
        ["small_sample", "_rate", "leads", "value"], ascending=[True, False, False, True]
    ).reset_index(drop=True)
    frame["rank"] = range(1, len(frame) + 1)
    return frame[list(OFFER_COLUMNS)]
