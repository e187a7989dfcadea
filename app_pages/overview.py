"""Overview — this week and this month at a glance."""

import streamlit as st

from smarketing import charts, config, stage_counts
from smarketing.ui import frame, resources, widgets

engine = resources.engine()
as_of = frame.as_of()
version = resources.data_version(engine)
counts = resources.overview_counts(engine, config.database_url(), version, as_of)
weekly = resources.weekly_counts(engine, config.database_url(), version, as_of)

st.title("Overview")
widgets.as_of_caption(frame.facts(engine)["as_of"], as_of)
for kind, title in (("week", "This week"), ("month", "This month")):
    rows = counts[counts["period_kind"] == kind]
    st.subheader(f"{title} · {rows['period'].iloc[0]}")
    widgets.stage_tiles(rows)
st.caption(stage_counts.COMPARISON_NOTE)

st.subheader("The last 13 weeks")
for column, stage in zip(st.columns(2) * 2, stage_counts.STAGES, strict=True):
    column.altair_chart(charts.weekly_stage_chart(weekly, stage.label), width="stretch")
st.caption("The lighter bar is the week still running.")
