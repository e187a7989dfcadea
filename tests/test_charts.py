"""Chart builders produce valid Vega-Lite with explicit encodings."""

from __future__ import annotations

from datetime import date

import pandas as pd

from smarketing.charts import STAGE_COLOURS, weekly_stages_chart


def test_weekly_stages_chart():
    frame = pd.DataFrame(
        [
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
                "stage": "leads",
                "label": "New leads",
                "count": 40,
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
    spec = weekly_stages_chart(frame).to_dict()
    assert spec["facet"]["field"] == "label"
    assert spec["resolve"]["scale"]["y"] == "independent"
    encoding = spec["spec"]["encoding"]
    assert encoding["y"]["field"] == "count" and encoding["y"]["type"] == "quantitative"
    assert encoding["color"]["scale"]["domain"] == ["New leads", "Customers"]
    assert encoding["color"]["scale"]["range"] == [
        STAGE_COLOURS["New leads"],
        STAGE_COLOURS["Customers"],
    ]
    values = next(iter(spec["datasets"].values()))
    assert [v["state"] for v in values] == ["full week", "so far", "so far"]
