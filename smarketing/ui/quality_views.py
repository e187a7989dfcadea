"""Lead quality widgets: cohort and dimension pickers, the breakdown table, the charts.
Aggregates are cached by data version; only the chosen detail section is computed."""

from __future__ import annotations

from datetime import date, timedelta

import pandas as pd
import streamlit as st
from sqlalchemy.engine import Engine

from smarketing import charts, i18n
from smarketing.errors import SmarketingError
from smarketing.formatting import EMPTY
from smarketing.i18n import N_, _
from smarketing.quality import cohorts as quality
from smarketing.sla import coverage
from smarketing.ui import tables, widgets
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
def _reasons(_engine: Engine, key, start: date, end: date, by: str, language: str):
    """The rejection reasons (their labels in ``language``: part of the cache key)."""
    with session(_engine) as s, i18n.language(language):
        return quality.rejection_reasons(s, quality.Cohort(start, end), by)


@st.cache_data(show_spinner=False, max_entries=8)
def _has_verdicts(_engine: Engine, key) -> bool:
    with session(_engine) as s:
        return coverage.has_verdicts(s)


@st.cache_data(show_spinner=False, max_entries=32)
def _heatmap(_engine: Engine, key, start: date, end: date, language: str):
    """The cohort heatmap (its months written in ``language``: part of the cache key)."""
    with session(_engine) as s, i18n.language(language):
        return quality.cohort_heatmap(s, start.replace(day=1), end.replace(day=1))


def pickers(as_of: date) -> tuple[quality.Cohort, str] | None:
    """Cohort days and the dimension; None (with a message) when the range is unusable."""
    default = ((as_of - timedelta(days=365)).replace(day=1), as_of)
    c1, c2 = st.columns([2, 1])
    chosen = c1.date_input(
        _("Cohort: leads created from … to …"),
        value=default,
        key="quality_range",
        format=widgets.date_input_format(),
    )
    by = c2.selectbox(
        _("Break down by"),
        quality.DIMENSIONS,
        key="quality_by",
        format_func=quality.dimension_label,
    )
    if not isinstance(chosen, tuple | list) or len(chosen) != 2:
        st.info(_("Pick the cohort's last day too."))
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
    columns = {"value": tables.Col(quality.dimension_label(by))}
    for column in quality.BREAKDOWN_COLUMNS:
        if column in quality.COLUMN_HELP:
            label, definition = quality.column_help(column)
            columns[column] = tables.Col(label, COLUMN_KINDS[column], definition)
    return columns


def unmeasured_note(frame: pd.DataFrame) -> None:
    """'— Accepted, Rejected and MQL → accepted: no verdicts recorded or imported yet'."""
    gaps = quality.unmeasured(frame)
    for reason in dict.fromkeys(gaps.values()):
        names = [quality.column_label(c) for c, why in gaps.items() if why == reason]
        st.caption(f"{EMPTY} {', '.join(names)}: {_(reason)}.")


#: Breakdown columns offered under "Columns" (all of them make the table wider than a 1280
#: pixel screen); the CSV download always has every column.
MORE_COLUMNS = ("rejected", "opportunities", "mql_to_accepted", "customers_per_100_leads")


def table(frame: pd.DataFrame, cohort: quality.Cohort, by: str) -> None:
    """The breakdown table with definitions on the headings, and its CSV download."""
    columns = breakdown_columns(by)
    more = {name: columns.pop(name) for name in MORE_COLUMNS if name in columns}
    shown = frame.assign(value=frame["value"].map(quality.value_label))
    tables.show(shown, columns, more=more, key="quality_breakdown")
    unmeasured_note(frame)
    st.download_button(
        _("Download as CSV"),
        quality.breakdown_csv(frame).encode("utf-8"),
        file_name=f"lead-quality-{by}-{cohort.start}-{cohort.end}.csv",
        mime="text/csv",
        key="quality_csv",
    )


#: The funnel's conversions: next step or cumulative (keys; labels are message ids).
FUNNEL_MODES = {"next": N_("Next step"), "cumulative": N_("Cumulative")}


def funnel(frame: pd.DataFrame) -> None:
    """The cohort's funnel, next-step or cumulative conversion."""
    mode = (
        st.segmented_control(
            _("Conversion"),
            list(FUNNEL_MODES),
            default="next",
            format_func=lambda m: _(FUNNEL_MODES[m]),
            key="funnel_mode",
        )
        or "next"
    )
    st.altair_chart(charts.funnel_chart(quality.funnel_from(frame), mode), width="stretch")


def conversion(frame: pd.DataFrame, by: str) -> None:
    """A conversion per value of the dimension; small samples drawn lighter."""
    metric = st.selectbox(
        _("Conversion"),
        quality.CONVERSION_METRICS,
        key="quality_metric",
        format_func=quality.column_label,
    )
    shown = frame.assign(value=frame["value"].map(quality.value_label))
    st.altair_chart(charts.conversion_bar_chart(shown, metric), width="stretch")
    if metric in quality.unmeasured(frame):
        st.caption(
            f"{EMPTY} {quality.column_label(metric)}: {_(quality.unmeasured(frame)[metric])}."
        )
    st.caption(
        _(
            "Lighter bars marked n<30: fewer than {n} leads — too few to draw conclusions from."
        ).format(n=quality.SMALL_SAMPLE)
    )


def reasons_figures(engine: Engine, cohort: quality.Cohort, by: str) -> pd.DataFrame:
    """Cached: why sales rejected the cohort's MQLs, per value of the dimension."""
    return _reasons(engine, data_key(engine), cohort.start, cohort.end, by, i18n.current())


def reasons(engine: Engine, cohort: quality.Cohort, by: str) -> None:
    """Why sales rejected the cohort's MQLs, per value of the dimension."""
    frame = reasons_figures(engine, cohort, by)
    if frame.empty:
        if not _has_verdicts(engine, data_key(engine)):
            st.info(f"{EMPTY} {_(coverage.NO_VERDICTS)}.")
        else:
            st.info(_("No MQL of this cohort has been rejected."))
        return
    shown = frame.assign(
        value=frame["value"].map(quality.value_label),
        reason=frame["reason"].map(quality.shown_value),
    )
    st.altair_chart(charts.rejection_reasons_chart(shown), width="stretch")


def heatmap(engine: Engine, cohort: quality.Cohort) -> None:
    """Monthly cohorts: the share that became customers, month by month."""
    frame = _heatmap(engine, data_key(engine), cohort.start, cohort.end, i18n.current())
    st.altair_chart(charts.cohort_heatmap_chart(frame), width="stretch")


def offers(frame: pd.DataFrame) -> None:
    """Which lead-generating activities convert best: offers by customers per 100 leads."""
    ranked = quality.rank_offers(frame)
    ranked = ranked.assign(value=ranked["value"].map(quality.value_label))
    columns = {
        "rank": tables.Col(_("Rank"), "count"),
        "value": tables.Col(_("Offer (first conversion)")),
    }
    for column in quality.OFFER_COLUMNS[2:]:
        label, definition = quality.column_help(column)
        columns[column] = tables.Col(label, COLUMN_KINDS[column], definition)
    tables.show(ranked, columns)
    shown = frame.assign(value=frame["value"].map(quality.value_label))
    st.altair_chart(charts.conversion_bar_chart(shown, "customers_per_100_leads"), width="stretch")
