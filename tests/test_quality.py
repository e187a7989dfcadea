"""Lead quality of a cohort against a small hand-made dataset (Europe/Oslo), counted by eye.

The cohort is November 2026 (local days 1–30, UTC window 31 Oct 23:00 – 30 Nov 23:00).
A lead counts at a stage if the stage's time is set, whenever it happened (L9's stages
are all after November). Blank text counts as missing: "(none)".

lead created (Oslo)  source campaign persona owner segment offer    mql acc rej sql opp cust
L1   02 Nov          web    Spring   Maria   anna  SMB     ebook    ✓   ✓       ✓   ✓   25 Nov
L2   03 Nov          web    Spring   Maria   anna  SMB     ebook    ✓   ✓       ✓   ✓
L3   04 Nov          web    —        Henrik  anna  Mid     demo     ✓       ✓ no budget
L4   05 Nov          web    —        —       —     Mid     demo
L5   06 Nov          events Fair     Henrik  bob   Ent     demo     ✓   ✓       ✓
L6   07 Nov          events Fair     Henrik  bob   Ent     —        ✓       ✓ wrong persona
L7   08 Nov          events "  "     ""      bob   —       webinar  ✓       ✓ (no reason)
L8   09 Nov          —      —        —       —     —       —
L9   01 Nov 00:30    ads    Retarget Frida   —     SMB     webinar  Dec Dec     Dec Dec 10 Jan 27
L10  30 Nov 23:30    ads    —        —       —     —       ebook
Z1   31 Oct 23:30    web    (22:30 UTC 31 Oct: October)           ✓       ✓ bad data
Z2   01 Dec 00:30    web    (23:30 UTC 30 Nov: December)          ✓   ✓       ✓   ✓   01 Jan 00:30

L9 is 23:30 UTC on 31 Oct and L10 22:30 UTC on 30 Nov: both inside. Z1 and Z2 are outside.
Totals: 10 leads, 7 MQLs, 4 accepted, 3 rejected, 4 SQLs, 3 opportunities, 2 customers.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
from sqlmodel import select

from smarketing import i18n
from smarketing.charts import (
    FUNNEL_COLOURS,
    cohort_heatmap_chart,
    conversion_bar_chart,
    funnel_chart,
    rejection_reasons_chart,
)
from smarketing.errors import InvalidInput
from smarketing.quality.cohorts import (
    BREAKDOWN_COLUMNS,
    DIMENSIONS,
    OFFER_COLUMNS,
    Cohort,
    breakdown,
    breakdown_csv,
    breakdowns,
    cohort_heatmap,
    funnel,
    funnel_from,
    offers_ranked,
    parse_dimension,
    quality_report,
    rank_offers,
    rejection_reasons,
)
from smarketing.store.models import Lead
from tests.factories import add_lead

NOVEMBER = Cohort(date(2026, 11, 1), date(2026, 11, 30))


def seed(session) -> None:
    """The dataset of the module docstring."""
    add_lead(session, "L1", "2026-11-02 09:00", source="web", campaign="Spring", persona="Maria",
             owner="anna", segment="SMB", first_conversion="ebook", mql_at="2026-11-02 12:00",
             accepted_at="2026-11-03 09:00", sql_at="2026-11-10 10:00",
             opportunity_at="2026-11-12 10:00", customer_at="2026-11-25 10:00")  # fmt: skip
    add_lead(session, "L2", "2026-11-03 09:00", source="web", campaign="Spring", persona="Maria",
             owner="anna", segment="SMB", first_conversion="ebook", mql_at="2026-11-04 09:00",
             accepted_at="2026-11-04 12:00", sql_at="2026-11-12 10:00",
             opportunity_at="2026-11-20 10:00")  # fmt: skip
    add_lead(session, "L3", "2026-11-04 09:00", source="web", persona="Henrik", owner="anna",
             segment="Mid", first_conversion="demo", mql_at="2026-11-05 09:00",
             rejected_at="2026-11-06 09:00", rejection_reason="no_budget")  # fmt: skip
    add_lead(session, "L4", "2026-11-05 09:00", source="web", segment="Mid",
             first_conversion="demo")  # fmt: skip
    add_lead(session, "L5", "2026-11-06 09:00", source="events", campaign="Fair",
             persona="Henrik", owner="bob", segment="Ent", first_conversion="demo",
             mql_at="2026-11-07 09:00", accepted_at="2026-11-08 09:00",
             sql_at="2026-11-15 09:00")  # fmt: skip
    add_lead(session, "L6", "2026-11-07 09:00", source="events", campaign="Fair",
             persona="Henrik", owner="bob", segment="Ent", mql_at="2026-11-08 09:00",
             rejected_at="2026-11-09 09:00", rejection_reason="wrong_persona")  # fmt: skip
    add_lead(session, "L7", "2026-11-08 09:00", source="events", campaign="  ", persona="",
             owner="bob", first_conversion="webinar", mql_at="2026-11-09 09:00",
             rejected_at="2026-11-10 09:00")  # fmt: skip
    add_lead(session, "L8", "2026-11-09 09:00")
    add_lead(session, "L9", "2026-11-01 00:30", source="ads", campaign="Retarget",
             persona="Frida", segment="SMB", first_conversion="webinar",
             mql_at="2026-12-05 09:00", accepted_at="2026-12-06 09:00",
             sql_at="2026-12-20 09:00", opportunity_at="2026-12-28 09:00",
             customer_at="2027-01-10 09:00")  # fmt: skip
    add_lead(session, "L10", "2026-11-30 23:30", source="ads", first_conversion="ebook")
    add_lead(session, "Z1", "2026-10-31 23:30", source="web", mql_at="2026-11-02 09:00",
             rejected_at="2026-11-03 09:00", rejection_reason="bad_data")  # fmt: skip
    add_lead(session, "Z2", "2026-12-01 00:30", source="web", mql_at="2026-12-02 09:00",
             accepted_at="2026-12-03 09:00", sql_at="2026-12-10 09:00",
             opportunity_at="2026-12-15 09:00", customer_at="2027-01-01 00:30")  # fmt: skip


@pytest.fixture
def data(session):
    seed(session)
    return session


# (value, leads, mqls, accepted, rejected, sqls, opportunities, customers,
#  lead_to_mql, mql_to_sql, sql_to_customer), in the table's order.
TOTAL = ("total", 10, 7, 4, 3, 4, 3, 2, 0.7, 0.5714, 0.5)
EXPECTED = {
    # ties on leads go by value; "(none)" sorts before letters
    "source": [
        ("web", 4, 3, 2, 1, 2, 2, 1, 0.75, 0.6667, 0.5),
        ("events", 3, 3, 1, 2, 1, 0, 0, 1.0, 0.3333, 0.0),
        ("ads", 2, 1, 1, 0, 1, 1, 1, 0.5, 1.0, 1.0),
        ("(none)", 1, 0, 0, 0, 0, 0, 0, 0.0, None, None),  # no MQLs, no SQLs: null
    ],
    # L7's blank "  " campaign is missing like L3's, L4's, L8's and L10's NULL
    "campaign": [
        ("(none)", 5, 2, 0, 2, 0, 0, 0, 0.4, 0.0, None),
        ("Fair", 2, 2, 1, 1, 1, 0, 0, 1.0, 0.5, 0.0),
        ("Spring", 2, 2, 2, 0, 2, 2, 1, 1.0, 1.0, 0.5),
        ("Retarget", 1, 1, 1, 0, 1, 1, 1, 1.0, 1.0, 1.0),
    ],
    "persona": [
        ("(none)", 4, 1, 0, 1, 0, 0, 0, 0.25, 0.0, None),
        ("Henrik", 3, 3, 1, 2, 1, 0, 0, 1.0, 0.3333, 0.0),
        ("Maria", 2, 2, 2, 0, 2, 2, 1, 1.0, 1.0, 0.5),
        ("Frida", 1, 1, 1, 0, 1, 1, 1, 1.0, 1.0, 1.0),
    ],
    "owner": [
        ("(none)", 4, 1, 1, 0, 1, 1, 1, 0.25, 1.0, 1.0),
        ("anna", 3, 3, 2, 1, 2, 2, 1, 1.0, 0.6667, 0.5),
        ("bob", 3, 3, 1, 2, 1, 0, 0, 1.0, 0.3333, 0.0),
    ],
    "segment": [
        ("(none)", 3, 1, 0, 1, 0, 0, 0, 0.3333, 0.0, None),
        ("SMB", 3, 3, 3, 0, 3, 3, 2, 1.0, 1.0, 0.6667),
        ("Ent", 2, 2, 1, 1, 1, 0, 0, 1.0, 0.5, 0.0),
        ("Mid", 2, 1, 0, 1, 0, 0, 0, 0.5, 0.0, None),
    ],
    "first_conversion": [
        ("demo", 3, 2, 1, 1, 1, 0, 0, 0.6667, 0.5, 0.0),
        ("ebook", 3, 2, 2, 0, 2, 2, 1, 0.6667, 1.0, 0.5),
        ("(none)", 2, 1, 0, 1, 0, 0, 0, 0.5, 0.0, None),
        ("webinar", 2, 2, 1, 1, 1, 1, 1, 1.0, 0.5, 1.0),
    ],
}
CONTRACT = list(BREAKDOWN_COLUMNS[:11])


def rows(frame) -> list[tuple]:
    return [tuple(r) for r in frame[CONTRACT].itertuples(index=False)]


@pytest.mark.parametrize("by", DIMENSIONS)
def test_cohort_table_per_dimension(data, by):
    frame = breakdown(data, NOVEMBER, by)
    assert list(frame.columns) == list(BREAKDOWN_COLUMNS)
    assert rows(frame) == [*EXPECTED[by], TOTAL]
    assert frame["is_total"].tolist() == [False] * len(EXPECTED[by]) + [True]
    assert frame["small_sample"].all()  # every value has fewer than 30 leads, so has the total


def test_breakdowns_of_several_dimensions_from_one_scan(data):
    frames = breakdowns(data, NOVEMBER, ["source", "first_conversion", "Source"])
    assert list(frames) == ["source", "first_conversion"]
    for by, frame in frames.items():
        assert rows(frame) == [*EXPECTED[by], TOTAL]
        assert frame.equals(breakdown(data, NOVEMBER, by))


def test_empty_denominators_are_none_not_nan(data):
    frame = breakdown(data, NOVEMBER, "source")
    none_row = frame[frame["value"] == "(none)"].iloc[0]
    assert none_row["mql_to_sql"] is None and none_row["sql_to_customer"] is None
    assert none_row["mql_to_accepted"] is None  # no verdict at all


def test_extra_columns(data):
    frame = breakdown(data, NOVEMBER, "source").set_index("value")
    # accepted ÷ (accepted + rejected); 100 × customers ÷ leads
    assert frame["mql_to_accepted"].to_dict() == {
        "web": 0.6667,
        "events": 0.3333,
        "ads": 1.0,
        "(none)": None,
        "total": 0.5714,
    }
    assert frame["customers_per_100_leads"].to_dict() == {
        "web": 25.0,
        "events": 0.0,
        "ads": 50.0,
        "(none)": 0.0,
        "total": 20.0,
    }


def test_small_sample_flag_at_30_leads(session):
    for i in range(30):
        add_lead(session, f"B{i}", "2026-11-10 09:00", source="big")
    add_lead(session, "S1", "2026-11-10 09:00", source="small")
    frame = breakdown(session, NOVEMBER, "source").set_index("value")
    assert frame["small_sample"].to_dict() == {"big": False, "small": True, "total": False}


def test_empty_cohort_has_only_a_total_row(data):
    frame = breakdown(data, Cohort(date(2025, 1, 1), date(2025, 1, 31)), "source")
    assert rows(frame) == [("total", 0, 0, 0, 0, 0, 0, 0, None, None, None)]


def test_cohort_bounds_are_local_days(data):
    assert NOVEMBER.window() == (
        datetime(2026, 10, 31, 23, 0, tzinfo=UTC),
        datetime(2026, 11, 30, 23, 0, tzinfo=UTC),
    )
    created = dict(data.exec(select(Lead.external_id, Lead.created_at)).all())
    assert created["L9"] == datetime(2026, 10, 31, 23, 30, tzinfo=UTC)  # 1 Nov in Oslo
    assert created["Z2"] == datetime(2026, 11, 30, 23, 30, tzinfo=UTC)  # 1 Dec in Oslo

    def leads(first: date, last: date) -> int:
        return int(breakdown(data, Cohort(first, last), "source")["leads"].iloc[-1])

    assert leads(date(2026, 11, 1), date(2026, 11, 1)) == 1  # L9 only (Z1 is 31 Oct local)
    assert leads(date(2026, 10, 31), date(2026, 10, 31)) == 1  # Z1
    assert leads(date(2026, 11, 30), date(2026, 11, 30)) == 1  # L10 only
    assert leads(date(2026, 12, 1), date(2026, 12, 1)) == 1  # Z2, at 23:30 UTC on 30 Nov


def test_cohort_must_not_end_before_it_starts():
    with pytest.raises(InvalidInput, match="after its end"):
        Cohort(date(2026, 11, 30), date(2026, 11, 1))
    assert Cohort(date(2026, 11, 1), date(2026, 11, 1)).days == 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [("source", "source"), (" Persona ", "persona"), ("first-conversion", "first_conversion")],
)
def test_parse_dimension(text, expected):
    assert parse_dimension(text) == expected


def test_unknown_dimension_is_refused(data):
    with pytest.raises(InvalidInput, match="unknown dimension 'country'; use one of source"):
        breakdown(data, NOVEMBER, "country")


def test_quality_report_json_shape(data):
    report = quality_report(data, NOVEMBER, "owner")
    assert report["cohort"] == {"from": "2026-11-01", "to": "2026-11-30", "timezone": "Europe/Oslo"}
    assert report["dimension"] == "owner"
    keys = ["value", *CONTRACT[1:]]
    assert [list(r) for r in report["rows"]] == [keys] * 3
    assert [tuple(r.values()) for r in report["rows"]] == EXPECTED["owner"]
    assert tuple(report["total"].values()) == TOTAL
    assert all(type(r["leads"]) is int for r in report["rows"])


def test_breakdown_csv(data):
    text = breakdown_csv(breakdown(data, NOVEMBER, "source"))
    lines = text.splitlines()
    assert lines[0] == ",".join(c for c in BREAKDOWN_COLUMNS if c != "is_total")
    assert lines[4] == "(none),1,0,0,0,0,0,0,0.0,,,,0.0,True"
    assert lines[-1] == "total,10,7,4,3,4,3,2,0.7,0.5714,0.5,0.5714,20.0,True"


# --- funnel -------------------------------------------------------------------------------


def funnel_rows(frame) -> list[tuple]:
    return [tuple(r)[:5] for r in frame.itertuples(index=False)]  # without the reason


def test_funnel_next_step_and_cumulative(data):
    frame = funnel(data, NOVEMBER)
    assert list(frame.columns) == ["stage", "label", "count", "next_step", "cumulative", "reason"]
    assert funnel_rows(frame) == [
        ("leads", "Leads", 10, None, 1.0),
        ("mqls", "MQLs", 7, 0.7, 0.7),
        ("accepted", "Accepted", 4, 0.5714, 0.4),  # 4 of 7 MQLs
        ("sqls", "SQLs", 4, 1.0, 0.4),  # 4 SQLs from 4 accepted
        ("opportunities", "Opportunities", 3, 0.75, 0.3),
        ("customers", "Customers", 2, 0.6667, 0.2),
    ]


def test_funnel_of_one_value(data):
    events = funnel(data, NOVEMBER, by="source", value="events")
    assert funnel_rows(events) == [
        ("leads", "Leads", 3, None, 1.0),
        ("mqls", "MQLs", 3, 1.0, 1.0),
        ("accepted", "Accepted", 1, 0.3333, 0.3333),
        ("sqls", "SQLs", 1, 1.0, 0.3333),
        ("opportunities", "Opportunities", 0, 0.0, 0.0),
        ("customers", "Customers", 0, None, 0.0),  # nothing to convert from
    ]
    missing = funnel(data, NOVEMBER, by="source", value="(none)")
    assert missing["count"].tolist() == [1, 0, 0, 0, 0, 0]
    assert missing["next_step"].tolist() == [None, 0.0, None, None, None, None]
    nobody = funnel(data, NOVEMBER, by="source", value="radio")
    assert nobody["count"].tolist() == [0] * 6
    assert nobody["cumulative"].tolist() == [None] * 6
    with pytest.raises(InvalidInput):
        funnel(data, NOVEMBER, by="source")


@pytest.mark.parametrize("value", [None, "events", "(none)", "radio"])
def test_funnel_from_a_breakdown_is_the_same_without_a_query(data, value):
    by = None if value is None else "source"
    expected = funnel(data, NOVEMBER, by=by, value=value)
    frame = breakdown(data, NOVEMBER, "source")
    assert funnel_rows(funnel_from(frame, value)) == funnel_rows(expected)


# --- rejection reasons, heatmap, offers ---------------------------------------------------


def test_rejection_reasons(data):
    frame = rejection_reasons(data, NOVEMBER, "source")
    assert list(frame.columns) == ["value", "reason_key", "reason", "count", "share"]
    # Z1's "bad data" is October's; L7 has no reason; leads store keys, the frame has labels
    assert [tuple(r) for r in frame.itertuples(index=False)] == [
        ("events", "(none)", "(none)", 1, 0.5),
        ("events", "wrong_persona", "Wrong persona", 1, 0.5),
        ("web", "no_budget", "No budget", 1, 1.0),
    ]
    by_persona = rejection_reasons(data, NOVEMBER, "persona")
    assert by_persona[["value", "reason"]].values.tolist() == [
        ["Henrik", "No budget"],
        ["Henrik", "Wrong persona"],
        ["(none)", "(none)"],
    ]
    empty = rejection_reasons(data, Cohort(date(2025, 1, 1), date(2025, 1, 1)), "source")
    assert empty.empty and list(empty.columns) == [
        "value",
        "reason_key",
        "reason",
        "count",
        "share",
    ]


def test_cohort_heatmap(data):
    frame = cohort_heatmap(data, date(2026, 10, 1), date(2027, 1, 31))
    assert list(frame.columns) == [
        "cohort_month",
        "cohort",
        "months_since",
        "leads",
        "customers",
        "share",
    ]
    cells = frame[["cohort", "months_since", "leads", "customers", "share"]]
    assert [tuple(r) for r in cells.itertuples(index=False)] == [
        ("Oct 2026", 0, 1, 0, 0.0),  # Z1, never won
        ("Oct 2026", 1, 1, 0, 0.0),
        ("Oct 2026", 2, 1, 0, 0.0),
        ("Oct 2026", 3, 1, 0, 0.0),
        ("Nov 2026", 0, 10, 1, 0.1),  # L1 won in November
        ("Nov 2026", 1, 10, 1, 0.1),
        ("Nov 2026", 2, 10, 2, 0.2),  # L9 won in January
        ("Dec 2026", 0, 1, 0, 0.0),  # Z2 won at 00:30 on 1 Jan (Oslo): month 1
        ("Dec 2026", 1, 1, 1, 1.0),
        ("Jan 2027", 0, 0, 0, None),  # no leads
    ]
    assert frame["cohort_month"].iloc[0] == date(2026, 10, 1)


def test_cohort_heatmap_stops_at_the_last_month(data):
    frame = cohort_heatmap(data, date(2026, 11, 15), date(2026, 12, 3))  # days pick months
    assert frame[["cohort", "months_since", "customers", "share"]].values.tolist() == [
        ["Nov 2026", 0, 1, 0.1],
        ["Nov 2026", 1, 1, 0.1],  # L9's January win is beyond December
        ["Dec 2026", 0, 0, 0.0],
    ]
    with pytest.raises(InvalidInput, match="after its last month"):
        cohort_heatmap(data, date(2026, 12, 1), date(2026, 11, 1))


def test_offers_ranked(data):
    frame = offers_ranked(data, NOVEMBER)
    assert list(frame.columns) == list(OFFER_COLUMNS)
    assert frame.equals(rank_offers(breakdown(data, NOVEMBER, "first_conversion")))
    assert [tuple(r) for r in frame.itertuples(index=False)] == [
        (1, "webinar", 2, 2, 1, 1, 50.0, True),
        (2, "ebook", 3, 2, 2, 1, 33.33, True),
        (3, "demo", 3, 2, 1, 0, 0.0, True),  # ties: more leads first
        (4, "(none)", 2, 1, 0, 0, 0.0, True),
    ]


def test_offers_with_enough_leads_rank_before_small_samples(data):
    for i in range(30):
        add_lead(
            data,
            f"G{i}",
            "2026-11-20 09:00",
            first_conversion="guide",
            customer_at="2026-11-28 09:00" if i == 0 else None,
        )
    frame = offers_ranked(data, NOVEMBER)
    assert frame[["value", "customers_per_100_leads", "small_sample"]].values.tolist()[:2] == [
        ["guide", 3.33, False],  # 1 of 30: ranks first, as the only reliable figure
        ["webinar", 50.0, True],
    ]


# --- charts -------------------------------------------------------------------------------


def _values(spec: dict) -> list[dict]:
    json.dumps(spec, allow_nan=False)  # valid JSON: null, never NaN
    return next(iter(spec["datasets"].values()))


@pytest.mark.parametrize(
    ("mode", "texts"),
    [
        ("next", ["10", "7 · 70.0 %", "4 · 57.1 %", "4 · 100.0 %", "3 · 75.0 %", "2 · 66.7 %"]),
        (
            "cumulative",
            ["10 · 100.0 %", "7 · 70.0 %", "4 · 40.0 %", "4 · 40.0 %", "3 · 30.0 %", "2 · 20.0 %"],
        ),
    ],
)
def test_funnel_chart(data, mode, texts):
    spec = funnel_chart(funnel(data, NOVEMBER), mode).to_dict()
    bars, inside, outside = spec["layer"]
    assert bars["encoding"]["x"]["field"] == "count"
    assert bars["encoding"]["x"]["type"] == "quantitative"
    assert bars["encoding"]["y"]["type"] == "nominal"
    assert bars["encoding"]["y"]["sort"] == [
        "Leads",
        "MQLs",
        "Accepted",
        "SQLs",
        "Opportunities",
        "Customers",
    ]
    assert bars["encoding"]["color"]["scale"]["range"] == list(FUNNEL_COLOURS.values())
    for labels in (inside, outside):
        assert labels["encoding"]["text"] == {"field": "text", "type": "nominal"}
    assert [v["text"] for v in _values(spec)] == texts


def test_funnel_chart_refuses_an_unknown_mode(data):
    with pytest.raises(ValueError, match="unknown funnel mode"):
        funnel_chart(funnel(data, NOVEMBER), "sideways")


def test_conversion_bar_chart_marks_small_samples(session):
    for i in range(30):
        add_lead(session, f"B{i}", "2026-11-10 09:00", source="big", mql_at="2026-11-11 09:00")
    add_lead(session, "S1", "2026-11-10 09:00", source="small")
    frame = breakdown(session, NOVEMBER, "source")
    spec = conversion_bar_chart(frame, "lead_to_mql").to_dict()
    bars, *_ = spec["layer"]
    assert bars["encoding"]["x"] == {
        **bars["encoding"]["x"],
        "field": "metric",
        "type": "quantitative",
    }
    assert bars["encoding"]["opacity"]["scale"] == {
        "domain": ["n≥30", "n<30"],
        "range": [1.0, 0.35],
    }
    assert bars["encoding"]["y"]["sort"] == ["big", "small"]
    values = {v["value"]: (v["sample"], v["text"]) for v in _values(spec)}
    assert values == {"big": ("n≥30", "100.0 %"), "small": ("n<30", "0.0 % · n<30")}  # no total


def test_conversion_bar_chart_without_denominator(data):
    spec = conversion_bar_chart(breakdown(data, NOVEMBER, "source"), "mql_to_sql").to_dict()
    values = {v["value"]: (v["metric"], v["text"]) for v in _values(spec)}
    assert values["(none)"] == (None, "— · n<30")
    assert spec["layer"][0]["encoding"]["y"]["sort"] == ["ads", "web", "events", "(none)"]
    per_100 = conversion_bar_chart(breakdown(data, NOVEMBER, "source"), "customers_per_100_leads")
    assert {v["value"]: v["text"] for v in _values(per_100.to_dict())}["web"] == "25.00 · n<30"
    with pytest.raises(ValueError):
        conversion_bar_chart(breakdown(data, NOVEMBER, "source"), "leads")


def test_rejection_reasons_chart(data):
    spec = rejection_reasons_chart(rejection_reasons(data, NOVEMBER, "source")).to_dict()
    assert [v["reason"] for v in _values(spec)] == ["(none)", "Wrong persona", "No budget"]
    enc = spec["encoding"]
    assert enc["x"]["field"] == "count" and enc["x"]["type"] == "quantitative"
    assert enc["y"]["sort"] == ["events", "web"]
    assert enc["color"]["scale"]["domain"] == ["No budget", "Wrong persona", "(none)"]
    assert enc["color"]["scale"]["range"][-1] == "#9E9E9E"  # no reason: grey


def test_cohort_heatmap_chart(data):
    spec = cohort_heatmap_chart(cohort_heatmap(data, date(2026, 10, 1), date(2027, 1, 1))).to_dict()
    cells, _ = spec["layer"]
    assert cells["mark"]["type"] == "rect"
    assert cells["encoding"]["color"]["field"] == "share"
    assert cells["encoding"]["color"]["type"] == "quantitative"
    assert cells["encoding"]["x"]["type"] == "ordinal"
    assert cells["encoding"]["y"]["sort"] == ["Oct 2026", "Nov 2026", "Dec 2026", "Jan 2027"]
    labels = [(v["cohort"], v["months_since"], v["text"]) for v in _values(spec)]
    assert ("Nov 2026", 2, "20.0 %") in labels
    assert ("Jan 2027", 0, "") in labels


# --- in Norwegian bokmål ------------------------------------------------------------------


def test_the_cohort_months_in_norwegian(data):
    with i18n.language("nb"):
        frame = cohort_heatmap(data, date(2026, 10, 1), date(2026, 12, 31))
    assert list(dict.fromkeys(frame["cohort"])) == ["okt. 2026", "nov. 2026", "des. 2026"]


def test_the_rejection_reasons_read_in_norwegian_and_group_by_key(data):
    with i18n.language("nb"):
        frame = rejection_reasons(data, NOVEMBER, "source")
    assert frame[["value", "reason_key", "reason"]].values.tolist() == [
        ["events", "(none)", "(none)"],  # values stay values: the page writes "(ingen)"
        ["events", "wrong_persona", "Feil persona"],
        ["web", "no_budget", "Mangler budsjett"],
    ]


def test_labels_dimensions_and_funnel_stages_in_norwegian(data):
    from smarketing.quality.cohorts import column_help, dimension_label, value_label

    with i18n.language("nb"):
        assert dimension_label("source") == "Kilde"
        assert dimension_label("first_conversion") == "Første konvertering (tilbud)"
        assert column_help("small_sample") == (
            "n<30",
            "Færre enn 30 leads: for få til å trekke konklusjoner.",
        )
        assert value_label("total") == "totalt" and value_label("(none)") == "(ingen)"
        assert value_label("web") == "web"
        funnel = funnel_from(breakdown(data, NOVEMBER, "source"))
    assert funnel["label"].tolist() == [
        "Leads",
        "MQL-er",
        "Godtatt",
        "SQL-er",
        "Muligheter",
        "Kunder",
    ]
    assert funnel["stage"].tolist()[:2] == ["leads", "mqls"]  # the keys stay


def test_the_report_quality_text_in_norwegian(data):
    from smarketing.quality.cohorts import reason_totals
    from smarketing.quality.text import quality_text

    with i18n.language("nb"):
        text = quality_text(
            breakdown(data, NOVEMBER, "owner"), NOVEMBER, "owner", reason_totals(data, NOVEMBER)
        )
    lines = text.splitlines()
    assert lines[0] == (
        "Leadkvalitet per eier · leads opprettet 2026-11-01 – 2026-11-30 (30 dager) · Europe/Oslo"
    )
    assert lines[2].split() == [
        "verdi",
        "leads",
        "MQL-er",
        "godtatt",
        "avvist",
        "SQL-er",
        "muligheter",
        "kunder",
        "lead→MQL",
        "MQL→SQL",
        "SQL→kunde",
    ]
    assert lines[4].split()[:2] == ["(ingen)", "*"]
    assert lines[8].split()[:2] == ["totalt", "10"]
    assert "* færre enn 30 leads: for få til å trekke konklusjoner" in text
    assert "Hvorfor salg avviste leads (gjeldende vurdering):" in text
    assert "Mangler budsjett" in text and "Feil persona" in text
