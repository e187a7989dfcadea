"""Lead quality widgets: cohort and dimension pickers, the breakdown table, the charts.
Aggregates are cached by data version; only the chosen detail section is computed."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import streamlit as st
from sqlalchemy.engine import Engine

from smarketing import charts
from smarketing.errors import SmarketingError
from smarketing.formatting import EMPTY
from smarketing.quality import cohorts as quality
from smarketing.sla import coverage
from smarketing.ui import tables
from smarketing.ui.resources import data_key, session

#: How each column of a breakdown is shown (kinds of ``tables.Col``).
COLUMN_KINDS = {
    **dict.fromkeys(quality.COUNT_COLUMNS, "count"),
    **dict.fromkeys(("lead_to_mql", "mql_to_sql", "sql_to_customer", "mql_to_accepted"), "percent"),
    "customers_per_100_leads": "decimal",
    "small_sample": "bool",
}


@st.cache_data(show_spinner=False, max_entries=64)
def _breakdowns(_engine: Engine, key, start: date, end: date, by: str):
    dims = list(dict.fromkeys([by, "first_conversion"]))
    with session(_engine) as s:
        return quality.breakdowns(s, quality.Cohort(start, end), dims)


@st.cache_data(show_spinner=False, max_entries=64)
def _reasons(_engine: Engine, key, start: date, end: date, by: str):
    with session(_engine) as s:
        return quality.rejection_reasons(s, quality.Cohort(start, end), by)


@st.cache_data(show_spinner=False, max_entries=8)
def _has_verdicts(_engine: Engine, key) -> bool:
    with session(_engine) as s:
        return coverage.has_verdicts(s)


@st.cache_data(show_spinner=False, max_entries=32)
def _heatmap(_engine: Engine, key, start: date, end: date):
    with session(_engine) as s:
        return quality.cohort_heatmap(s, start.replace(day=1), end.replace(day=1))


def pickers(as_of: date) -> tuple[quality.Cohort, str] | None:
    """Cohort days and the dimension; None (with a message) when the range is unusable."""
    default = ((as_of - timedelta(days=365)).replace(day=1), as_of)
    c1, c2 = st.columns([2, 1])
    chosen = c1.date_input(
        "Cohort: leads created from … to …", value=default, key="quality_range", format="YYYY-MM-DD"
    )
    by = c2.selectbox(
        "Break down by",
        quality.DIMENSIONS,
        key="quality_by",
        format_func=quality.DIMENSION_LABELS.get,
    )
    if not isinstance(chosen, tuple | list) or len(chosen) != 2:
        st.info("Pick the cohort's last day too.")
        return None
    try:
        return quality.Cohort(chosen[0], chosen[1]), by
    except SmarketingError as exc:
        st.error(str(exc))
        return None


def frames(engine: Engine, cohort: quality.Cohort, by: str) -> dict[str, pd.DataFrame]:
    """Cached breakdowns of the chosen dimension and of the offers."""
    return _breakdowns(engine, data_key(engine), cohort.start, cohort.end, by)


def breakdown_columns(by: str) -> dict[str, tables.Col]:
    """The breakdown table's columns: the dimension's values, then every figure with its
    label and definition."""
    columns = {"value": tables.Col(quality.DIMENSION_LABELS[by])}
    for column in quality.BREAKDOWN_COLUMNS:
        if column in quality.COLUMN_HELP:
            label, definition = quality.COLUMN_HELP[column]
            columns[column] = tables.Col(label, COLUMN_KINDS[column], definition)
    return columns


def unmeasured_note(frame: pd.DataFrame) -> None:
    """'— Accepted, Rejected and MQL → accepted: no verdicts recorded or imported yet'."""
    gaps = quality.unmeasured(frame)
    for reason in dict.fromkeys(gaps.values()):
        names = [quality.COLUMN_HELP[c][0] for c, why in gaps.items() if why == reason]
        st.caption(f"{EMPTY} {', '.join(names)}: {reason}.")


#: Breakdown columns offered under "Columns" (all of them make the table wider than a 1280
#: pixel screen); the CSV download always has every column.
MORE_COLUMNS = ("rejected", "opportunities", "mql_to_accepted", "customers_per_100_leads")


def table(frame: pd.DataFrame, cohort: quality.Cohort, by: str) -> None:
    """The breakdown table with definitions on the headings, and its CSV download."""
    columns = breakdown_columns(by)
    more = {name: columns.pop(name) for name in MORE_COLUMNS if name in columns}
    tables.show(frame, columns, more=more, key="quality_breakdown")
    unmeasured_note(frame)
    st.download_button(
        "Download as CSV",
        quality.breakdown_csv(frame).encode("utf-8"),
        file_name=f"lead-quality-{by}-{cohort.start}-{cohort.end}.csv",
        mime="text/csv",
        key="quality_csv",
    )


def funnel(frame: pd.DataFrame) -> None:
    """The cohort's funnel, next-step or cumulative conversion."""
    mode = (
        st.segmented_control(
            "Conversion", ["next", "cumulative"], default="next", key="funnel_mode"
        )
        or "next"
    )
    st.altair_chart(charts.funnel_chart(quality.funnel_from(frame), mode), width="stretch")


def conversion(frame: pd.DataFrame, by: str) -> None:
    """A conversion per value of the dimension; small samples drawn lighter."""
    metric = st.selectbox(
        "Conversion",
        quality.CONVERSION_METRICS,
        key="quality_metric",
        format_func=lambda m: quality.COLUMN_HELP[m][0],
    )
    st.altair_chart(charts.conversion_bar_chart(frame, metric), width="stretch")
    if metric in quality.unmeasured(frame):
        st.caption(
            f"{EMPTY} {quality.COLUMN_HELP[metric][0]}: {quality.unmeasured(frame)[metric]}."
        )
    st.caption(
        f"Lighter bars marked n<30: fewer than {quality.SMALL_SAMPLE} leads — too "
        "few to draw conclusions from."
    )


def reasons_figures(engine: Engine, cohort: quality.Cohort, by: str) -> pd.DataFrame:
    """Cached: why sales rejected the cohort's MQLs, per value of the dimension."""
    return _reasons(engine, data_key(engine), cohort.start, cohort.end, by)


def reasons(engine: Engine, cohort: quality.Cohort, by: str) -> None:
    """Why sales rejected the cohort's MQLs, per value of the dimension."""
    frame = reasons_figures(engine, cohort, by)
    if frame.empty:
        if not _has_verdicts(engine, data_key(engine)):
            st.info(f"{EMPTY} {coverage.NO_VERDICTS}.")
        else:
            st.info("No MQL of this cohort has been rejected.")
        return
    st.altair_chart(charts.rejection_reasons_chart(frame), width="stretch")


def heatmap(engine: Engine, cohort: quality.Cohort) -> None:
    """Monthly cohorts: the share that became customers, month by month."""
    frame = _heatmap(engine, data_key(engine), cohort.start, cohort.end)
    st.altair_chart(charts.cohort_heatmap_chart(frame), width="stretch")


def offers(frame: pd.DataFrame) -> None:
    """Which lead-generating activities convert best: offers by customers per 100 leads."""
    ranked = quality.rank_offers(frame)
    columns = {"rank": tables.Col("Rank", "count"), "value": tables.Col("Offer (first conversion)")}
    for column in quality.OFFER_COLUMNS[2:]:
        label, definition = quality.COLUMN_HELP[column]
        columns[column] = tables.Col(label, COLUMN_KINDS[column], definition)
    tables.show(ranked, columns)
    st.altair_chart(charts.conversion_bar_chart(frame, "customers_per_100_leads"), width="stretch")
