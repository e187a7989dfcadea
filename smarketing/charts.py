"""Altair chart builders: DataFrame in, alt.Chart out (validated in tests via to_dict)."""

from __future__ import annotations

import altair as alt
import pandas as pd

#: Colour-blind-safe palette (Okabe-Ito) for the funnel stages, readable on a projector.
STAGE_COLOURS = {
    "New leads": "#0072B2",
    "MQLs": "#E69F00",
    "SQLs": "#009E73",
    "Customers": "#CC79A7",
}
AXIS = {"labelFontSize": 13, "titleFontSize": 14}


def weekly_stage_chart(frame: pd.DataFrame, label: str) -> alt.Chart:
    """Bars of one stage's count per week (columns week_start, week, partial, label, count);
    the week still running is drawn lighter and marked "so far"."""
    data = frame[frame["label"] == label].sort_values("week_start")
    data = data.assign(
        week_of=pd.to_datetime(data["week_start"]).dt.strftime("%d %b"),
        state=data["partial"].map({True: "so far", False: "full week"}),
    )
    return (
        alt.Chart(data, title=alt.Title(label, fontSize=16, anchor="start"))
        .mark_bar(color=STAGE_COLOURS.get(label, "#0072B2"))
        .encode(
            x=alt.X(
                "week_of:O",
                sort=None,
                title="week starting",
                axis=alt.Axis(**AXIS, labelAngle=0, labelOverlap=True),
            ),
            y=alt.Y("count:Q", title=None, axis=alt.Axis(**AXIS, tickMinStep=1)),
            opacity=alt.Opacity(
                "state:N",
                scale=alt.Scale(domain=["full week", "so far"], range=[1.0, 0.4]),
                legend=None,
            ),
            tooltip=[
                alt.Tooltip("week:N", title="Week"),
                alt.Tooltip("count:Q", title=label),
                alt.Tooltip("state:N", title="Counted"),
            ],
        )
        .properties(height=220)
    )
