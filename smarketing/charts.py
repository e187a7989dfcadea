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


# --- lead quality (smarketing.quality frames) ---------------------------------------------

#: Okabe-Ito colours for the lead-quality funnel's stages (keys of quality.FUNNEL_STAGES).
FUNNEL_COLOURS = {
    "leads": "#0072B2",
    "mqls": "#E69F00",
    "accepted": "#56B4E9",
    "sqls": "#009E73",
    "opportunities": "#D55E00",
    "customers": "#CC79A7",
}
#: Funnel modes: frame column shown and the words after the percentage.
FUNNEL_MODES = {
    "next": ("next_step", "of the stage before"),
    "cumulative": ("cumulative", "of leads"),
}
#: Colours for rejection reasons (in order of frequency); "(none)" is always grey.
REASON_COLOURS = ["#D55E00", "#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#F0E442"]
NO_REASON_COLOUR = "#9E9E9E"
SAMPLE_OPACITY = {"n≥30": 1.0, "n<30": 0.35}


def _percent(value) -> str:
    return f"{value * 100:.1f} %"


def funnel_chart(frame: pd.DataFrame, mode: str = "next") -> alt.LayerChart:
    """Horizontal funnel bars (one per stage, length = count) labelled with the count and the
    conversion of ``mode``: "next" (from the stage before) or "cumulative" (from leads).
    Frame: ``quality.funnel`` (stage, label, count, next_step, cumulative)."""
    if mode not in FUNNEL_MODES:
        raise ValueError(f"unknown funnel mode {mode!r}; use one of {', '.join(FUNNEL_MODES)}")
    column, words = FUNNEL_MODES[mode]
    stages = list(frame["stage"])
    data = frame.assign(  # float columns: altair writes NaN as null, but object None as NaN
        next_step=pd.Series(frame["next_step"], dtype=float),
        cumulative=pd.Series(frame["cumulative"], dtype=float),
        shown=pd.Series(frame[column], dtype=float),
        text=[
            f"{int(c):,}" if pd.isna(r) else f"{int(c):,} · {_percent(r)}"
            for c, r in zip(frame["count"], frame[column], strict=True)
        ],
    )
    base = alt.Chart(data).encode(
        y=alt.Y(
            "label:N",
            sort=list(frame["label"]),
            title=None,
            axis=alt.Axis(**AXIS, labelLimit=200),
        )
    )
    bars = base.mark_bar().encode(
        x=alt.X("count:Q", title="leads of the cohort", axis=alt.Axis(**AXIS, tickMinStep=1)),
        color=alt.Color(
            "stage:N",
            scale=alt.Scale(
                domain=stages, range=[FUNNEL_COLOURS.get(s, "#0072B2") for s in stages]
            ),
            legend=None,
        ),
        tooltip=[
            alt.Tooltip("label:N", title="Stage"),
            alt.Tooltip("count:Q", title="Leads", format=","),
            alt.Tooltip("shown:Q", title=f"Conversion {words}", format=".1%"),
        ],
    )
    labels = base.mark_text(align="left", dx=4, fontSize=13).encode(
        x=alt.X("count:Q"), text=alt.Text("text:N")
    )
    title = f"Funnel: conversion {words}"
    return alt.layer(bars, labels).properties(
        title=alt.Title(title, fontSize=16, anchor="start"), height=40 * len(stages) + 20
    )


def conversion_bar_chart(frame: pd.DataFrame, metric: str) -> alt.LayerChart:
    """One bar per dimension value of a conversion (a column of ``quality.breakdown``: a
    fraction, or ``customers_per_100_leads``), best first; values with fewer than 30 leads
    are drawn lighter and labelled "n<30". The total row is left out."""
    from smarketing.quality import COLUMN_HELP, CONVERSION_METRICS

    if metric not in CONVERSION_METRICS:
        raise ValueError(f"unknown metric {metric!r}; use one of {', '.join(CONVERSION_METRICS)}")
    per_100 = metric == "customers_per_100_leads"
    rows = frame[~frame["is_total"]] if "is_total" in frame.columns else frame
    values = [None if pd.isna(v) else float(v) for v in rows[metric]]
    small = [bool(s) for s in rows["small_sample"]]

    def label(v: float | None, is_small: bool) -> str:
        text = "no data" if v is None else (f"{v:.1f}" if per_100 else _percent(v))
        return f"{text} · n<30" if is_small else text

    data = pd.DataFrame(
        {
            "value": list(rows["value"]),
            "metric": pd.Series(values, dtype=float),  # NaN → null (object None → NaN)
            "at": [v or 0.0 for v in values],
            "leads": [int(n) for n in rows["leads"]],
            "sample": ["n<30" if s else "n≥30" for s in small],
            "text": [label(v, s) for v, s in zip(values, small, strict=True)],
        }
    )
    order = data.assign(key=data["metric"].map(lambda v: -1.0 if v is None else v))
    order = order.sort_values(["key", "leads", "value"], ascending=[False, False, True])
    title, _ = COLUMN_HELP[metric]
    base = alt.Chart(data).encode(
        y=alt.Y("value:N", sort=list(order["value"]), title=None, axis=alt.Axis(**AXIS))
    )
    bars = base.mark_bar(color="#0072B2").encode(
        x=alt.X(
            "metric:Q",
            title=title,
            axis=alt.Axis(**AXIS, format=",.1f" if per_100 else ".0%"),
        ),
        opacity=alt.Opacity(
            "sample:N",
            scale=alt.Scale(domain=list(SAMPLE_OPACITY), range=list(SAMPLE_OPACITY.values())),
            legend=alt.Legend(title=None, orient="top", labelFontSize=13),
        ),
        tooltip=[
            alt.Tooltip("value:N", title="Value"),
            alt.Tooltip("metric:Q", title=title, format=",.2f" if per_100 else ".1%"),
            alt.Tooltip("leads:Q", title="Leads", format=","),
            alt.Tooltip("sample:N", title="Sample"),
        ],
    )
    labels = base.mark_text(align="left", dx=4, fontSize=13).encode(
        x=alt.X("at:Q"), text=alt.Text("text:N")
    )
    return alt.layer(bars, labels).properties(
        title=alt.Title(title, fontSize=16, anchor="start"), height=28 * len(data) + 40
    )


def rejection_reasons_chart(frame: pd.DataFrame) -> alt.Chart:
    """Stacked bars of rejected leads per dimension value, split by reason (frame:
    ``quality.rejection_reasons``: value, reason, count, share); commonest reason first."""
    totals = frame.groupby("reason")["count"].sum().sort_values(ascending=False, kind="stable")
    reasons = [r for r in totals.index if r != "(none)"]
    colours = [REASON_COLOURS[i % len(REASON_COLOURS)] for i in range(len(reasons))]
    if "(none)" in totals.index:
        reasons.append("(none)")
        colours.append(NO_REASON_COLOUR)
    data = frame.assign(order=frame["reason"].map({r: i for i, r in enumerate(reasons)}))
    return (
        alt.Chart(data, title=alt.Title("Rejection reasons", fontSize=16, anchor="start"))
        .mark_bar()
        .encode(
            y=alt.Y(
                "value:N",
                sort=list(dict.fromkeys(frame["value"])),
                title=None,
                axis=alt.Axis(**AXIS),
            ),
            x=alt.X("count:Q", title="rejected leads", axis=alt.Axis(**AXIS, tickMinStep=1)),
            color=alt.Color(
                "reason:N",
                scale=alt.Scale(domain=reasons, range=colours),
                legend=alt.Legend(title="Reason", orient="top", labelFontSize=13),
            ),
            order=alt.Order("order:Q"),
            tooltip=[
                alt.Tooltip("value:N", title="Value"),
                alt.Tooltip("reason:N", title="Reason"),
                alt.Tooltip("count:Q", title="Rejected"),
                alt.Tooltip("share:Q", title="Share of its rejections", format=".0%"),
            ],
        )
        .properties(height=32 * max(frame["value"].nunique(), 1) + 20)
    )


def cohort_heatmap_chart(frame: pd.DataFrame) -> alt.LayerChart:
    """Cohort months (rows) × months since creation (columns), each cell coloured and labelled
    with the share of the cohort's leads that had become customers by then (frame:
    ``quality.cohort_heatmap``)."""
    shares = [None if pd.isna(v) else float(v) for v in frame["share"]]
    top = max([s for s in shares if s is not None], default=0.0) or 1.0
    data = frame.assign(
        cohort_month=frame["cohort_month"].map(str),
        share=pd.Series(shares, index=frame.index, dtype=float),
        text=["" if s is None else f"{s * 100:.0f} %" for s in shares],
        ink=["white" if s is not None and s > top / 2 else "black" for s in shares],
    )
    cohorts = list(dict.fromkeys(frame["cohort"]))
    base = alt.Chart(data).encode(
        x=alt.X(
            "months_since:O",
            title="months since creation",
            axis=alt.Axis(**AXIS, labelAngle=0, orient="top"),
        ),
        y=alt.Y("cohort:O", sort=cohorts, title="cohort (month created)", axis=alt.Axis(**AXIS)),
    )
    cells = base.mark_rect(stroke="white", strokeWidth=1).encode(
        color=alt.Color(
            "share:Q",
            scale=alt.Scale(scheme="blues", domain=[0, top]),
            legend=alt.Legend(title="reached customer", format=".0%", orient="right"),
        ),
        tooltip=[
            alt.Tooltip("cohort:N", title="Cohort"),
            alt.Tooltip("months_since:O", title="Months since creation"),
            alt.Tooltip("leads:Q", title="Leads", format=","),
            alt.Tooltip("customers:Q", title="Customers by then", format=","),
            alt.Tooltip("share:Q", title="Share", format=".1%"),
        ],
    )
    text = base.mark_text(fontSize=12).encode(
        text=alt.Text("text:N"), color=alt.Color("ink:N", scale=None)
    )
    return alt.layer(cells, text).properties(height=26 * len(cohorts) + 30)


#: Owner-team colours for the shared language (Okabe-Ito, white text readable on each).
TEAM_COLOURS = {"marketing": "#0072B2", "sales": "#D55E00", "both": "#6A3D9A"}


def _wrapped(text: str, width: int = 12) -> list[str]:
    lines: list[str] = []
    for word in str(text).split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return lines or [""]


def stage_flow_chart(frame: pd.DataFrame) -> alt.LayerChart:
    """The funnel stages in order as boxes joined by arrows, each coloured by its owner team
    (legend on the right). Frame: term, owner_team (in stage order)."""
    count = len(frame)
    data = pd.DataFrame(
        {
            "x": [10.0 * i for i in range(count)],
            "x2": [10.0 * i + 8.4 for i in range(count)],
            "mid": [10.0 * i + 4.2 for i in range(count)],
            "bottom": [0.0] * count,
            "top": [1.0] * count,
            "name_y": [0.5] * count,
            "label": ["\n".join(_wrapped(t)) for t in frame["term"]],
            "term": list(frame["term"]),
            "team": list(frame["owner_team"]),
        }
    )
    arrows = pd.DataFrame(
        {"x": [10.0 * i + 9.2 for i in range(max(count - 1, 0))], "y": [0.5] * max(count - 1, 0)}
    )
    xs = alt.Scale(domain=[-0.2, 10 * count - 1.4], nice=False, zero=False)
    ys = alt.Scale(domain=[0, 1], nice=False)
    base = alt.Chart(data)
    boxes = base.mark_rect(cornerRadius=8).encode(
        x=alt.X("x:Q", scale=xs, axis=None),
        x2=alt.X2("x2"),
        y=alt.Y("bottom:Q", scale=ys, axis=None),
        y2=alt.Y2("top"),
        color=alt.Color(
            "team:N",
            scale=alt.Scale(domain=list(TEAM_COLOURS), range=list(TEAM_COLOURS.values())),
            legend=alt.Legend(title="Owner team", orient="right", labelFontSize=13),
        ),
        tooltip=[alt.Tooltip("term:N", title="Stage"), alt.Tooltip("team:N", title="Owner")],
    )
    names = base.mark_text(
        color="white", fontSize=14, fontWeight="bold", baseline="middle", lineBreak="\n"
    ).encode(
        x=alt.X("mid:Q", scale=xs, axis=None),
        y=alt.Y("name_y:Q", scale=ys, axis=None),
        text=alt.Text("label:N"),
    )
    arrow = (
        alt.Chart(arrows)
        .mark_text(text="▶", fontSize=18, color="#444444", baseline="middle")
        .encode(x=alt.X("x:Q", scale=xs, axis=None), y=alt.Y("y:Q", scale=ys, axis=None))
    )
    return alt.layer(boxes, names, arrow).properties(height=110, width="container")


def action_effect_chart(frame: pd.DataFrame, title: str) -> alt.LayerChart:
    """Bars of the metric per period, before (grey) and after (blue) the action was agreed,
    the period still running lighter, the target as a red tick (frame:
    ``actions.action_effect``)."""
    phases = {"before": "before the action", "after": "after the action"}
    data = frame.assign(
        when=frame["phase"].map(phases),
        counted=frame["complete"].map({True: "complete", False: "so far"}),
    )
    x = alt.X("label:N", sort=None, title=None, axis=alt.Axis(labelAngle=0, labelOverlap=True))
    bars = (
        alt.Chart(data, title=alt.Title(title, anchor="start"))
        .mark_bar()
        .encode(
            x=x,
            y=alt.Y("value:Q", title=frame.attrs["metric_label"]),
            color=alt.Color(
                "when:N",
                scale=alt.Scale(domain=list(phases.values()), range=["#8FA3B3", "#0072B2"]),
                legend=alt.Legend(title=None, orient="top"),
            ),
            opacity=alt.Opacity(
                "counted:N",
                scale=alt.Scale(domain=["complete", "so far"], range=[1.0, 0.4]),
                legend=None,
            ),
            tooltip=[
                alt.Tooltip("label:N", title="Period"),
                alt.Tooltip("value:Q", title="Value", format=",.3~f"),
                alt.Tooltip("target:Q", title="Target", format=",.3~f"),
                alt.Tooltip("status:N", title="Status"),
                alt.Tooltip("counted:N", title="Counted"),
            ],
        )
    )
    target = (
        alt.Chart(data).mark_tick(color="#C0262D", thickness=3).encode(x=x, y=alt.Y("target:Q"))
    )
    return alt.layer(bars, target).properties(height=260)
