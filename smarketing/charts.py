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


def weekly_stages_chart(frame: pd.DataFrame) -> alt.Chart:
    """Small multiples: one bar chart per stage over the trailing weeks (partial week lighter)."""
    data = frame.assign(
        week_start=pd.to_datetime(frame["week_start"]),
        state=frame["partial"].map({True: "so far", False: "full week"}),
    )
    order = [label for label in STAGE_COLOURS if label in set(data["label"])]
    return (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=alt.X(
                "yearweek(week_start):O",
                title=None,
                axis=alt.Axis(labelAngle=-45, format="W%W", labelFontSize=12),
            ),
            y=alt.Y("count:Q", title=None, axis=alt.Axis(labelFontSize=12)),
            color=alt.Color(
                "label:N",
                scale=alt.Scale(domain=order, range=[STAGE_COLOURS[k] for k in order]),
                legend=None,
            ),
            opacity=alt.Opacity(
                "state:N",
                scale=alt.Scale(domain=["full week", "so far"], range=[1.0, 0.45]),
                legend=alt.Legend(title=None, orient="top"),
            ),
            tooltip=[
                alt.Tooltip("week:N", title="Week"),
                alt.Tooltip("label:N", title="Stage"),
                alt.Tooltip("count:Q", title="Count"),
                alt.Tooltip("state:N", title=""),
            ],
        )
        .properties(width=230, height=160)
        .facet(
            facet=alt.Facet(
                "label:N",
                title=None,
                sort=order,
                header=alt.Header(labelFontSize=15, labelFontWeight="bold"),
            ),
            columns=4,
        )
        .resolve_scale(y="independent")
    )
