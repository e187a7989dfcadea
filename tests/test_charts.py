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
