"""Chart builders produce valid Vega-Lite with explicit encodings."""

from __future__ import annotations

from datetime import date

import pandas as pd

from smarketing.charts import STAGE_COLOURS, weekly_stage_chart


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
    assert text["mark"]["fontSize"] == 17
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
