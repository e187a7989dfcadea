"""Chart builders produce valid Vega-Lite with explicit encodings."""

from __future__ import annotations

import json
from datetime import date, datetime

import pandas as pd
import pytest

from smarketing import charts, formatting
from smarketing.charts import (
    BAR_STEP,
    CATEGORY_LABEL_LIMIT,
    MAX_TICKS,
    STAGE_COLOURS,
    TITLE_CHARS,
    time_ticks,
    weekly_stage_chart,
)
from smarketing.quality import cohorts as quality


def test_weekly_stage_chart():
    frame = pd.DataFrame(
        [
            # given out of order, and with another stage that must be left out
            {
                "week_start": date(2026, 11, 16),
                "week": "week 47 2026",
                "partial": True,
                "stage": "leads",
                "label": "New leads",
                "count": 40,
            },
            {
                "week_start": date(2026, 11, 9),
                "week": "week 46 2026",
                "partial": False,
                "stage": "leads",
                "label": "New leads",
                "count": 120,
            },
            {
                "week_start": date(2026, 11, 16),
                "week": "week 47 2026",
                "partial": True,
                "stage": "customers",
                "label": "Customers",
                "count": 2,
            },
        ]
    )
    spec = weekly_stage_chart(frame, "New leads").to_dict()
    assert spec["mark"]["color"] == STAGE_COLOURS["New leads"]
    assert spec["encoding"]["y"] == {
        **spec["encoding"]["y"],
        "field": "count",
        "type": "quantitative",
    }
    assert spec["encoding"]["x"]["type"] == "ordinal"
    values = next(iter(spec["datasets"].values()))
    assert [(v["week_of"], v["count"], v["state"]) for v in values] == [
        ("09 Nov", 120, "full week"),
        ("16 Nov", 40, "so far"),
    ]


def test_scorecard_chart_colours_and_texts():
    from smarketing.charts import STATUS_COLOURS, scorecard_chart

    frame = pd.DataFrame(
        [
            {
                "period": "week 46 2026",
                "metric_label": "Marketing · MQLs delivered",
                "text": "31 ✔",
                "status": "green",
                "status_text": "✔ on track",
            },
            {
                "period": "week 47 2026 (so far)",
                "metric_label": "Marketing · MQLs delivered",
                "text": "12 ✖",
                "status": "red",
                "status_text": "✖ off track",
            },
        ]
    )
    spec = scorecard_chart(frame, font_size=17, row_height=48).to_dict()
    cells, text = spec["layer"]
    assert cells["mark"]["type"] == "rect"
    assert cells["encoding"]["color"]["scale"]["range"] == list(STATUS_COLOURS.values())
    assert text["encoding"]["text"]["field"] == "text"
    # 17 px on a screen; on a phone (a plot under 520 px) smaller type and "(so far)" on its
    # own line, so cells and headings cannot overlap (they did at 390 px)
    assert text["mark"]["fontSize"] == {"expr": "width < 520 ? 11 : 17"}
    x_axis = cells["encoding"]["x"]["axis"]
    assert x_axis["labelFontSize"] == {"expr": "width < 520 ? 11 : 17"}
    assert "'(so far)'" in x_axis["labelExpr"] and "width < 520" in x_axis["labelExpr"]
    assert cells["encoding"]["x"]["sort"] == ["week 46 2026", "week 47 2026 (so far)"]


def test_pacing_chart_dashes_forecast_and_target():
    from smarketing.charts import pacing_chart

    frame = pd.DataFrame(
        [
            (date(2026, 11, 1), "actual", 5),
            (date(2026, 11, 1), "expected", 4.0),
            (date(2026, 11, 1), "target", 120.0),
            (date(2026, 11, 2), "forecast", 10.0),
        ],
        columns=["day", "series", "value"],
    )
    spec = pacing_chart(frame, "MQLs delivered").to_dict()
    dash = spec["encoding"]["strokeDash"]["scale"]
    assert dash["domain"] == ["actual", "expected", "target", "forecast"]
    assert dash["range"][0] == [1, 0] and dash["range"][3] == [6, 4]


def test_contact_histogram_marks_deadline_median_and_p90():
    from smarketing.charts import contact_histogram

    bins = pd.DataFrame(
        [
            ("0–1 h", 0.0, 1.0, 10, False),
            ("1–2 h", 1.0, 2.0, 4, False),
            ("2+ h", 2.0, None, 3, True),
        ],
        columns=["label", "lower", "upper", "count", "late"],
    )
    spec = contact_histogram(bins, response_hours=2, median=0.8, p90=2.5).to_dict()
    marks = [v["what"] for v in next(d for d in spec["datasets"].values() if d and "what" in d[0])]
    assert marks == ["deadline 2.0 h", "median 0.8 h", "90th pct 2.5 h"]


def test_stage_flow_chart_draws_one_box_per_stage_coloured_by_team():
    from smarketing.charts import TEAM_COLOURS, stage_flow_chart

    frame = pd.DataFrame(
        {
            "term": ["Lead", "MQL", "SQL", "Customer"],
            "owner_team": ["marketing"] * 2 + ["sales", "both"],
        }
    )
    spec = stage_flow_chart(frame).to_dict()
    boxes = spec["layer"][0]
    assert boxes["encoding"]["color"]["scale"]["range"] == list(TEAM_COLOURS.values())
    data = spec["datasets"][boxes["data"]["name"]] if "name" in boxes.get("data", {}) else None
    rows = data or next(iter(spec["datasets"].values()))
    assert [r["term"] for r in rows] == ["Lead", "MQL", "SQL", "Customer"]
    assert all(r["x"] < r["x2"] for r in rows)


def test_action_effect_chart_colours_before_and_after():
    from smarketing.charts import action_effect_chart

    frame = pd.DataFrame(
        {
            "period_start": ["2026-11-02", "2026-11-09"],
            "label": ["W45", "W46 (so far)"],
            "value": [3.0, None],
            "target": [2.8, 2.8],
            "status": ["green", "early"],
            "phase": ["before", "after"],
            "complete": [True, False],
        }
    )
    frame.attrs["metric_label"] = "MQLs delivered"
    spec = action_effect_chart(frame, "MQLs per week").to_dict()
    bars = spec["layer"][0]
    assert bars["encoding"]["color"]["field"] == "when"
    assert bars["encoding"]["opacity"]["scale"]["domain"] == ["complete", "so far"]


# --- every builder: fits its container, titles never cut, bands that cannot collapse -------


def _funnel_frame():
    counts = dict(leads=5932, mqls=1781, accepted=1235, rejected=531, sqls=713)
    return quality.funnel_frame(counts | dict(opportunities=417, customers=89))


def _breakdown():
    """A lead-quality breakdown by source (as quality.breakdown builds it): two long
    values side by side, as in meeting mode, and a value without MQLs."""
    rows = [
        ("Organic search", 1486, 408, 302, 103, 163, 96, 17),
        ("Paid search", 1744, 453, 219, 229, 113, 61, 5),
        ("Always-on paid search: SLA e-book", 12, 0, 0, 0, 0, 0, 0),
    ]
    merged = {value: list(counts) for value, *counts in rows}
    return quality._breakdown_frame(merged)


def _reasons():
    return pd.DataFrame(
        {
            "value": ["Paid search", "Paid search", "Organic search", "Webinar"],
            "reason": ["Student / competitor", "Not reachable", "Wrong persona", "No budget"],
            "count": [3, 2, 1, 1],
            "share": [0.6, 0.4, 1.0, 1.0],
        }
    )


def _timeline(*moments: str) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "occurred_at": pd.to_datetime(list(moments), utc=True),
            "kind": ["page_view"] * len(moments),
            "label": ["Page view"] * len(moments),
            "detail": [""] * len(moments),
            "actor": [None] * len(moments),
            "sales": [False] * len(moments),
        }
    )


def _pacing(first: date, days: int) -> pd.DataFrame:
    rows = []
    for i in range(days):
        day = first + pd.Timedelta(days=i)
        rows += [(day, "actual", i), (day, "expected", 1.5 * i), (day, "target", 40.0)]
    return pd.DataFrame(rows, columns=["day", "series", "value"])


def _scorecard():
    return pd.DataFrame(
        {
            "period": ["W46", "W47*"],
            "metric_label": ["Sales · Contacted in time"] * 2,
            "text": ["63.6 % ✖", "—"],
            "status": ["red", "no_data"],
            "status_text": ["✖ off track", "– no data"],
            "reason": ["", "no first-contact data imported yet"],
        }
    )


def _weekly():
    return pd.DataFrame(
        {
            "week_start": [date(2026, 11, 9), date(2026, 11, 16)],
            "week": ["week 46 2026", "week 47 2026"],
            "partial": [False, True],
            "label": ["New leads"] * 2,
            "count": [1200, 40],
        }
    )


def _effect():
    frame = pd.DataFrame(
        {
            "label": ["W45", "W46*"],
            "value": [0.5, None],
            "target": [0.8, 0.8],
            "status": ["red", "early"],
            "phase": ["before", "after"],
            "complete": [True, False],
        }
    )
    frame.attrs.update(metric_label="Contacted in time", kind="rate")
    return frame


def _heatmap():
    return pd.DataFrame(
        {
            "cohort_month": [date(2026, 10, 1), date(2026, 10, 1), date(2026, 11, 1)],
            "cohort": ["Oct 2026", "Oct 2026", "Nov 2026"],
            "months_since": [0, 1, 0],
            "leads": [10, 10, 0],
            "customers": [0, 2, 0],
            "share": pd.Series([0.0, 0.2, None], dtype=object),
        }
    )


BUILDERS = {
    "weekly stage": lambda: charts.weekly_stage_chart(_weekly(), "New leads"),
    "pacing": lambda: charts.pacing_chart(_pacing(date(2026, 11, 1), 30), "MQLs delivered"),
    "scorecard": lambda: charts.scorecard_chart(_scorecard()),
    "histogram": lambda: charts.contact_histogram(
        pd.DataFrame(
            [("0–1 h", 0.0, 1.0, 10, False), ("1+ h", 1.0, None, 3, True)],
            columns=["label", "lower", "upper", "count", "late"],
        ),
        response_hours=1,
        median=0.5,
        p90=1.2,
    ),
    "funnel next": lambda: charts.funnel_chart(_funnel_frame(), "next"),
    "funnel cumulative": lambda: charts.funnel_chart(_funnel_frame(), "cumulative"),
    "conversion": lambda: charts.conversion_bar_chart(_breakdown(), "mql_to_sql"),
    "per 100": lambda: charts.conversion_bar_chart(_breakdown(), "customers_per_100_leads"),
    "rejection reasons": lambda: charts.rejection_reasons_chart(_reasons()),
    "cohort heatmap": lambda: charts.cohort_heatmap_chart(_heatmap()),
    "stage flow": lambda: charts.stage_flow_chart(
        pd.DataFrame({"term": ["Lead", "MQL"], "owner_team": ["marketing", "sales"]})
    ),
    "action effect": lambda: charts.action_effect_chart(
        _effect(), "Contacted in time per week, before and after 12 Nov 2026"
    ),
    "timeline": lambda: charts.timeline_chart(_timeline("2026-12-05 08:00", "2026-12-06 09:00")),
}


def _titles(spec):
    """Every chart title (a dict with text) anywhere in the spec."""
    if isinstance(spec, dict):
        if isinstance(spec.get("title"), dict) and "text" in spec["title"]:
            yield spec["title"]
        for value in spec.values():
            yield from _titles(value)
    elif isinstance(spec, list):
        for value in spec:
            yield from _titles(value)


def _views(spec):
    """The spec and its layers."""
    yield spec
    for layer in spec.get("layer", []):
        yield from _views(layer)


@pytest.mark.parametrize("name", list(BUILDERS))
def test_every_chart_fills_its_width_and_keeps_its_height(name):
    """Streamlit gives a chart autosize "fit" unless it has one: then the title, legend and
    axes are squeezed into the height too, and a short bar chart with a legend drew bars
    of zero height (meeting mode, "Why sales rejected leads")."""
    spec = BUILDERS[name]().to_dict()
    assert spec["autosize"] == {"type": "fit-x", "contains": "padding"}
    height = spec.get("height")
    assert height == {"step": BAR_STEP} or (isinstance(height, int) and height > 0)
    json.dumps(spec, allow_nan=False)  # null, never NaN


@pytest.mark.parametrize("name", list(BUILDERS))
def test_no_chart_title_can_be_cut(name):
    """Titles are lines of at most TITLE_CHARS characters (about 250 px at 16 px bold; the
    narrowest chart column, the campaign page's at 1280 px, is about 290 px wide) with no
    limit, so Vega never shortens one to "Funnel: conversion of the stage bef…"."""
    for heading in _titles(BUILDERS[name]().to_dict()):
        lines = heading["text"] if isinstance(heading["text"], list) else [heading["text"]]
        assert heading.get("limit") == 0, heading
        if heading.get("orient") != "bottom":  # a note under a chart, see missing_notes
            assert all(len(line) <= TITLE_CHARS for line in lines), lines


@pytest.mark.parametrize("name", list(BUILDERS))
def test_identity_colours_are_resolved_apart_from_the_colour_scale(name):
    """A layer coloured by a field with ``scale: null`` (the ink of a label) beside a layer
    with a colour scale broke the whole chart in the browser ("Cannot read properties of
    null"): the cohort heatmap drew nothing."""
    spec = BUILDERS[name]().to_dict()
    identity = [
        v for v in _views(spec) if v.get("encoding", {}).get("color", {}).get("scale", 0) is None
    ]
    if identity and len(spec.get("layer", [])) > 1:
        assert spec["resolve"]["scale"]["color"] == "independent"


def _band_axis(spec, channel="y"):
    for view in _views(spec):
        enc = view.get("encoding", {}).get(channel)
        if enc and enc["type"] in ("nominal", "ordinal"):
            return enc
    raise AssertionError(f"no discrete {channel} axis")


@pytest.mark.parametrize("name", ["rejection reasons", "funnel next", "conversion", "timeline"])
def test_bars_and_rows_have_their_own_band_and_room_for_their_labels(name):
    """One band of BAR_STEP pixels per value, at least two label heights, so "Organic
    search" and "Paid search" never share a line; labels up to CATEGORY_LABEL_LIMIT px
    (Streamlit's theme would cut them at 100 px)."""
    spec = BUILDERS[name]().to_dict()
    y = _band_axis(spec)
    assert spec["height"] == {"step": BAR_STEP}
    assert 2 * y["axis"]["labelFontSize"] <= BAR_STEP
    assert y["axis"]["labelLimit"] == CATEGORY_LABEL_LIMIT


def test_rejection_reasons_bars_have_length_for_every_rejection():
    spec = charts.rejection_reasons_chart(_reasons()).to_dict()
    x = spec["encoding"]["x"]
    assert (x["field"], x["type"]) == ("count", "quantitative")
    assert x["scale"] == {"zero": True} and "domain" not in x["scale"]
    values = next(iter(spec["datasets"].values()))
    assert [v["count"] for v in values] == [3, 2, 1, 1]  # each bar as long as its count
    assert spec["encoding"]["y"]["sort"] == ["Paid search", "Organic search", "Webinar"]
    assert spec["encoding"]["color"]["legend"]["columns"] == 3  # wraps, never runs off


def test_funnel_labels_sit_inside_long_bars_and_after_short_ones():
    spec = charts.funnel_chart(_funnel_frame(), "next").to_dict()
    values = next(iter(spec["datasets"].values()))
    assert [(v["stage"], v["inside"]) for v in values] == [
        ("leads", True),
        ("mqls", False),  # 1,781 of 5,932: the label goes after the bar
        ("accepted", False),
        ("sqls", False),
        ("opportunities", False),
        ("customers", False),
    ]
    _, inside, outside = spec["layer"]
    assert inside["mark"]["align"] == "right" and outside["mark"]["align"] == "left"


# --- time axes ----------------------------------------------------------------------------


def _axis_labels(spec) -> list[str]:
    """The x axis's tick labels, as Vega writes them from the spec's values and format."""
    x = spec["encoding"]["x"]
    fmt = x["axis"]["format"]
    return [
        datetime(v["year"], v["month"], v["date"], v["hours"], v["minutes"]).strftime(fmt)
        for v in x["axis"]["values"]
    ]


def test_a_timeline_within_a_day_has_hour_ticks_and_shows_the_next_day():
    """The bug: nine ticks all reading "05 Dec 2026" although an event was on 06 Dec."""
    # 19:00 and 23:30 UTC on 5 Dec = 20:00 on 5 Dec and 00:30 on 6 Dec in Oslo
    spec = charts.timeline_chart(_timeline("2026-12-05 19:00", "2026-12-05 23:30")).to_dict()
    labels = _axis_labels(spec)
    assert len(labels) == len(set(labels)) and 2 <= len(labels) <= MAX_TICKS
    assert labels[0] == "05 Dec 19:00" and "06 Dec 00:00" in labels
    assert [label[-5:] for label in labels] == [f"{h:02d}:00" for h in (19, 20, 21, 22, 23, 0, 1)]
    data = next(iter(spec["datasets"].values()))
    assert [v["when"] for v in data] == ["2026-12-05T20:00:00Z", "2026-12-06T00:30:00Z"]
    assert [v["when_text"] for v in data] == ["Sat 05 Dec 2026 20:00", "Sun 06 Dec 2026 00:30"]
    assert spec["encoding"]["x"]["scale"]["type"] == "utc"  # shown as written: Oslo time


@pytest.mark.parametrize(
    ("first", "last", "fmt", "count"),
    [
        ("2026-12-05 10:00", "2026-12-05 10:00", "%H:%M", 3),  # one event: an hour around it
        ("2026-12-05 06:00", "2026-12-05 18:00", "%H:%M", 7),  # a day: every 2 hours
        ("2026-12-01 09:00", "2026-12-06 17:00", "%d %b", 6),  # a week: every day
        ("2026-11-01 09:00", "2026-12-06 17:00", "%d %b", 6),  # five weeks: every 7 days
        ("2026-01-10 09:00", "2026-12-06 17:00", "%b %Y", 6),  # a year: every 2 months
    ],
)
def test_time_ticks_follow_the_span(first, last, fmt, count):
    ticks = time_ticks(datetime.fromisoformat(first), datetime.fromisoformat(last))
    labels = ticks.labels()
    assert ticks.format == fmt
    assert len(labels) == count and len(set(labels)) == count  # distinct
    low, high = ticks.domain
    assert low <= datetime.fromisoformat(first) and datetime.fromisoformat(last) <= high
    assert all(low <= v <= high for v in ticks.values)


@pytest.mark.parametrize("days", [1, 7, 30, 92])  # a day, a week, a month, a quarter
def test_pacing_chart_ticks_are_distinct_days(days):
    spec = charts.pacing_chart(_pacing(date(2026, 10, 1), days), "MQLs delivered").to_dict()
    labels = _axis_labels(spec)
    assert labels[0] == "01 Oct"
    assert len(labels) == len(set(labels)) <= MAX_TICKS + 1
    assert spec["encoding"]["x"]["axis"]["format"] == "%d %b"


# --- one number style: a table and its chart say the same ----------------------------------


def test_the_quality_table_and_its_chart_write_the_same_figures():
    """Today "25.24%" stood in the table beside "43.8 %" in its chart."""
    from smarketing.ui import quality_views, tables

    frame = _breakdown()
    shown = tables.display(frame, quality_views.breakdown_columns("source"))
    spec = charts.conversion_bar_chart(frame, "mql_to_sql").to_dict()
    chart = {v["value"]: v for v in next(iter(spec["datasets"].values()))}
    for value, text in zip(shown["value"], shown["mql_to_sql"], strict=True):
        if value != "total":
            assert chart[value]["metric_text"] == text
            assert chart[value]["text"].split(" · ")[0] == text
    assert chart["Organic search"]["metric_text"] == "40.0 %"  # 163 of 408
    assert shown["mql_to_sql"].iloc[-1] == "32.1 %"  # total: 276 SQLs of 861 MQLs
    assert chart["Always-on paid search: SLA e-book"]["metric_text"] == formatting.EMPTY
    funnel = charts.funnel_chart(quality.funnel_from(frame), "cumulative").to_dict()
    texts = {v["stage"]: v["text"] for v in next(iter(funnel["datasets"].values()))}
    assert texts["mqls"] == f"{shown['mqls'].iloc[-1]:,} · {shown['lead_to_mql'].iloc[-1]}"


def test_rejection_reasons_chart_writes_the_label_when_reasons_are_keys():
    """Reasons may be stored as stable keys with a label beside them: the chart shows the
    label, and one reason stays one category however it was spelled."""
    frame = _reasons().assign(
        reason=["student_competitor", "not_reachable", "wrong_persona", "no_budget"],
        reason_label=["Student / competitor", "Not reachable", "Wrong persona", "No budget"],
    )
    spec = charts.rejection_reasons_chart(frame).to_dict()
    assert spec["encoding"]["color"]["scale"]["domain"] == [
        "Student / competitor",
        "Not reachable",
        "No budget",
        "Wrong persona",
    ]


# --- languages: every chart in the language speaking, with its format locale -------------


def test_a_norwegian_chart_carries_the_norwegian_format_locale_and_texts():
    from smarketing import i18n

    with i18n.language("nb"):
        spec = charts.pacing_chart(_pacing(date(2026, 12, 1), 7), "Leverte MQL-er").to_dict()
        ticks = time_ticks(datetime(2026, 12, 1), datetime(2026, 12, 7), whole_days=True)
        assert ticks.labels()[:2] == ["1. des.", "2. des."]  # as formatting.short_day writes
    locale = spec["config"]["locale"]
    assert locale["number"]["decimal"] == "," and locale["number"]["thousands"] == "\u00a0"
    assert locale["time"]["shortMonths"][11] == "des."
    assert spec["title"]["text"] == "Leverte MQL-er, dag for dag"
    assert spec["encoding"]["x"]["axis"]["format"] == "%-d. %b"  # d3: '1. des.'
    assert [t["title"] for t in spec["encoding"]["tooltip"]] == ["Dag", "Linje", "Leverte MQL-er"]
    assert spec["encoding"]["color"]["scale"]["domain"] == ["faktisk", "forventet", "mål"]
    rows = next(iter(spec["datasets"].values()))
    assert rows[0]["day_text"] == "tir. 1. des. 2026" and rows[0]["series"] == "faktisk"
    expected = [r["value_text"] for r in rows if r["series"] == "forventet"]
    assert expected[:3] == ["0,0", "1,5", "3,0"]  # decimal(v, 1): a comma in Norwegian


def test_an_english_chart_carries_the_english_format_locale():
    from smarketing import i18n

    with i18n.language("en"):
        spec = charts.pacing_chart(_pacing(date(2026, 12, 1), 7), "MQLs delivered").to_dict()
    locale = spec["config"]["locale"]
    assert locale["number"]["decimal"] == "." and locale["number"]["thousands"] == ","
    assert locale["time"]["shortMonths"][11] == "Dec"
    assert spec["title"]["text"] == "MQLs delivered, day by day"
    assert spec["encoding"]["x"]["axis"]["format"] == "%d %b"


def test_the_norwegian_scorecard_and_histogram_speak_norwegian():
    from smarketing import i18n
    from smarketing.sla.first_contact import delay_label

    with i18n.language("nb"):
        scorecard = charts.scorecard_chart(_scorecard()).to_dict()
        bins = pd.DataFrame(
            [
                (delay_label(0, 0.5), 0.0, 0.5, 10, False),
                (delay_label(0.5, 1), 0.5, 1.0, 4, False),
                (delay_label(1, None), 1.0, None, 3, True),
            ],
            columns=["label", "lower", "upper", "count", "late"],
        )
        histogram = charts.contact_histogram(bins, response_hours=1.0, median=0.4, p90=1.2)
        histogram = histogram.to_dict()
    assert scorecard["config"]["locale"]["number"]["decimal"] == ","
    tooltip = scorecard["layer"][0]["encoding"]["tooltip"]
    assert [t["title"] for t in tooltip] == ["Periode", "Måltall", "Faktisk", "Status", "Hvorfor"]
    assert "(så langt)" in scorecard["layer"][0]["encoding"]["x"]["axis"]["labelExpr"]
    assert list(bins["label"]) == ["0–0,5 t", "0,5–1 t", "1+ t"]
    bars = histogram["layer"][0]["encoding"]
    assert bars["x"]["title"] == "timer fra MQL til første kontakt"
    assert bars["color"]["scale"]["domain"] == ["innen fristen", "etter fristen"]
    marks = next(iter(d for d in histogram["datasets"].values() if "what" in d[0]))
    assert [m["what"] for m in marks] == [
        "frist 1,0\u00a0t",
        "median 0,4\u00a0t",
        "90. pst. 1,2\u00a0t",
    ]


def test_norwegian_time_ticks_are_written_as_formatting_writes_them():
    from smarketing import i18n

    with i18n.language("nb"):
        days = time_ticks(datetime(2026, 12, 1, 9), datetime(2026, 12, 6, 17))
        months = time_ticks(datetime(2026, 1, 10, 9), datetime(2026, 12, 6, 17))
        years = time_ticks(datetime(2025, 12, 28, 9), datetime(2026, 1, 3, 17))
        assert (days.format, days.labels()[0]) == ("%-d. %b", "1. des.")
        assert (months.format, months.labels()[0]) == ("%b %Y", "jan. 2026")
        assert (years.format, years.labels()[0]) == ("%-d. %b %Y", "28. des. 2025")


def test_the_timeline_colours_each_kind_whatever_the_language():
    frame = _timeline("2026-12-05 08:00", "2026-12-05 09:00").assign(
        kind=["download", "call"], label=["Nedlasting", "Samtale"]
    )
    spec = charts.timeline_chart(frame).to_dict()
    scale = spec["encoding"]["color"]["scale"]
    assert scale == {"domain": ["Nedlasting", "Samtale"], "range": ["#0072B2", "#CC79A7"]}
