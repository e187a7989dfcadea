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


#: Status colours, with the symbol and word always drawn too (colour-blind safe, and
#: readable on a black-and-white printout).
STATUS_COLOURS = {
    "green": "#1B7A3D",
    "amber": "#F2B705",
    "red": "#C0262D",
    "early": "#8FA3B3",
    "no_data": "#D9D9D9",
}
STATUS_TEXT_COLOURS = {
    "green": "white",
    "amber": "black",
    "red": "white",
    "early": "black",
    "no_data": "black",
}
SERIES = ["actual", "expected", "target", "forecast"]


def pacing_chart(frame: pd.DataFrame, label: str) -> alt.Chart:
    """Cumulative actual per day against the expected-to-date line and the target, with the
    run-rate forecast dashed (long frame: day, series, value)."""
    colours = {
        "actual": "#0072B2",
        "expected": "#7F7F7F",
        "target": "#C0262D",
        "forecast": "#0072B2",
    }
    dashes = {"actual": [1, 0], "expected": [1, 0], "target": [6, 4], "forecast": [6, 4]}
    present = [s for s in SERIES if s in set(frame["series"])]
    data = frame.assign(day=pd.to_datetime(frame["day"]))
    return (
        alt.Chart(
            data, title=alt.Title(f"{label}: cumulative, day by day", fontSize=16, anchor="start")
        )
        .mark_line(strokeWidth=3, point=False)
        .encode(
            x=alt.X("day:T", title=None, axis=alt.Axis(format="%d %b", **AXIS)),
            y=alt.Y("value:Q", title=label, axis=alt.Axis(**AXIS)),
            color=alt.Color(
                "series:N",
                scale=alt.Scale(domain=present, range=[colours[s] for s in present]),
                legend=alt.Legend(title=None, orient="top", labelFontSize=13),
            ),
            strokeDash=alt.StrokeDash(
                "series:N",
                scale=alt.Scale(domain=present, range=[dashes[s] for s in present]),
                legend=None,
            ),
            tooltip=[
                alt.Tooltip("day:T", format="%a %d %b"),
                alt.Tooltip("series:N"),
                alt.Tooltip("value:Q", format=",.1f"),
            ],
        )
        .properties(height=300)
    )


def scorecard_chart(frame: pd.DataFrame, *, font_size: int = 12, row_height: int = 36) -> alt.Chart:
    """Rows = metrics, columns = periods, each cell coloured by status and showing the value
    with the status symbol (columns: period, metric_label, text, status, status_text)."""
    periods = list(dict.fromkeys(frame["period"]))
    metrics = list(dict.fromkeys(frame["metric_label"]))
    base = alt.Chart(frame).encode(
        x=alt.X(
            "period:O",
            sort=periods,
            title=None,
            axis=alt.Axis(orient="top", labelAngle=0, labelFontSize=font_size, labelLimit=400),
        ),
        y=alt.Y(
            "metric_label:O",
            sort=metrics,
            title=None,
            axis=alt.Axis(labelFontSize=font_size + 1, labelLimit=320),
        ),
    )
    cells = base.mark_rect(stroke="white", strokeWidth=2).encode(
        color=alt.Color(
            "status:N",
            scale=alt.Scale(domain=list(STATUS_COLOURS), range=list(STATUS_COLOURS.values())),
            legend=None,
        ),
        tooltip=[
            alt.Tooltip("period:N"),
            alt.Tooltip("metric_label:N", title="Metric"),
            alt.Tooltip("text:N", title="Actual"),
            alt.Tooltip("status_text:N", title="Status"),
        ],
    )
    text = base.mark_text(fontSize=font_size, fontWeight="bold").encode(
        text=alt.Text("text:N"),
        color=alt.Color(
            "status:N",
            scale=alt.Scale(
                domain=list(STATUS_TEXT_COLOURS), range=list(STATUS_TEXT_COLOURS.values())
            ),
            legend=None,
        ),
    )
    return (
        (cells + text)
        .properties(height=row_height * len(metrics) + 20)
        .resolve_scale(color="independent")
    )


def contact_histogram(
    bins: pd.DataFrame, *, response_hours: float, median: float | None, p90: float | None
) -> alt.Chart:
    """First-contact delays: bars per bin (late bins in red), the deadline as a rule, and the
    median and 90th percentile marked (bins: label, lower, upper, count, late)."""
    step = float(bins["upper"].dropna().diff().dropna().iloc[0]) if len(bins) > 2 else 1.0
    data = bins.assign(
        upper=bins["upper"].fillna(bins["lower"] + step),
        when=bins["late"].map({True: "after the deadline", False: "within the deadline"}),
    )
    bars = (
        alt.Chart(data)
        .mark_bar()
        .encode(
            x=alt.X("lower:Q", title="hours from MQL to first contact", axis=alt.Axis(**AXIS)),
            x2=alt.X2("upper:Q"),
            y=alt.Y("count:Q", title="MQLs", axis=alt.Axis(**AXIS)),
            y2=alt.Y2Datum(0),
            color=alt.Color(
                "when:N",
                scale=alt.Scale(
                    domain=["within the deadline", "after the deadline"],
                    range=["#0072B2", "#C0262D"],
                ),
                legend=alt.Legend(title=None, orient="top", labelFontSize=13),
            ),
            tooltip=[alt.Tooltip("label:N", title="Delay"), alt.Tooltip("count:Q", title="MQLs")],
        )
    )
    marks = [{"hours": response_hours, "what": f"deadline {response_hours:g} h"}]
    if median is not None:
        marks.append({"hours": median, "what": f"median {median:.1f} h"})
    if p90 is not None:
        marks.append(
            {"hours": min(p90, float(data["upper"].max())), "what": f"90th pct {p90:.1f} h"}
        )
    rules = (
        alt.Chart(pd.DataFrame(marks))
        .mark_rule(strokeWidth=2, strokeDash=[4, 3])
        .encode(x=alt.X("hours:Q"), tooltip=[alt.Tooltip("what:N")])
    )
    for i, mark in enumerate(marks):
        mark["y"] = 14 + 18 * i  # pixels from the top, one line per mark
    labels = (
        alt.Chart(pd.DataFrame(marks))
        .mark_text(align="left", dx=4, fontSize=13, fontWeight="bold")
        .encode(x=alt.X("hours:Q"), y=alt.Y("y:Q", scale=None, axis=None), text=alt.Text("what:N"))
    )
    return alt.layer(bars, rules, labels).properties(height=280)
