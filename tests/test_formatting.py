"""The one number style (smarketing/formatting.py): percentages, counts, hours, empty."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime

import pandas as pd
import pytest

from smarketing import formatting, i18n
from smarketing import formatting as fmt
from smarketing.formatting import (
    EMPTY,
    count,
    decimal,
    display_frame,
    figure,
    hours,
    percent,
    vega_percent,
)


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (0.4375, "43.8 %"),  # one decimal, a space before the sign
        (0.2524, "25.2 %"),  # the table once said 25.24%
        (0.0625, "6.3 %"),  # a tie rounds away from zero, as JavaScript's toFixed
        (1.0, "100.0 %"),
        (0.0, "0.0 %"),
        (-0.00001, "0.0 %"),  # never "-0.0 %"
        (12.345, "1,234.5 %"),
        (None, EMPTY),
        (math.nan, EMPTY),
        (pd.NA, EMPTY),
    ],
)
def test_percent(value, text):
    assert percent(value) == text


def test_signed_percent_and_count():
    assert percent(0.125, signed=True) == "+12.5 %"
    assert percent(-0.05, signed=True) == "-5.0 %"
    assert count(12, signed=True) == "+12"
    assert count(-3, signed=True) == "-3"
    assert count(0, signed=True) == "+0"


@pytest.mark.parametrize(
    ("function", "value", "text"),
    [
        (count, 1234, "1,234"),
        (count, 1234567.0, "1,234,567"),
        (count, 2.5, "3"),  # half away from zero
        (count, None, EMPTY),
        (hours, 1.46, "1.5 h"),
        (hours, 2, "2.0 h"),
        (hours, None, EMPTY),
        (decimal, 3.254, "3.25"),
        (decimal, 1234.5, "1,234.50"),
        (decimal, None, EMPTY),
    ],
)
def test_counts_hours_decimals(function, value, text):
    assert function(value) == text


@pytest.mark.parametrize(
    ("kind", "value", "text"),
    [
        ("count", 150, "150"),
        ("count", 38.71, "38.7"),  # a pro-rated target
        ("rate", 0.8, "80.0 %"),
        ("hours", 4, "4.0 h"),
        ("rate", None, EMPTY),
    ],
)
def test_figure(kind, value, text):
    assert figure(kind, value) == text


def test_display_frame_writes_every_figure_and_dashes_the_empty_ones():
    frame = pd.DataFrame(
        {
            "value": ["web", None],
            "leads": [1234, 5],
            "rate": pd.Series([0.25, None], dtype=object),
            "hours": [1.25, float("nan")],
        }
    )
    shown = display_frame(frame, {"value": "text", "leads": "count", "rate": "percent"})
    assert shown[["value", "leads", "rate"]].to_dict("list") == {
        "value": ["web", EMPTY],
        "leads": ["1,234", "5"],
        "rate": ["25.0 %", EMPTY],
    }
    assert shown["hours"].equals(frame["hours"])  # not asked for: left alone


def test_vega_percent_writes_the_same_style():
    """The Vega expression uses d3-format's '.1%' (toFixed on value × 100, as ``percent``
    rounds) and puts the space before the sign; null becomes the dash."""
    expression = vega_percent("datum.value")
    assert "format(datum.value, '.1%')" in expression
    assert "replace(" in expression and "' %'" in expression
    assert f"'{EMPTY}'" in expression
    assert "'.1~%'" in vega_percent("datum.value", trim=True)


def test_the_count_column_format_matches_count():
    # sprintf-js "%,d" (Streamlit's NumberColumn) groups thousands with commas, like count()
    assert formatting.COLUMN_COUNT == "%,d"
    assert formatting.VEGA_COUNT == ",d"


# ---- Norwegian bokmål: the same figures, written the Norwegian way (issue 18) -------------

NBSP = "\u00a0"


@pytest.mark.parametrize(
    ("write", "value", "en", "nb"),
    [
        (fmt.percent, 0.643, "64.3 %", f"64,3{NBSP}%"),
        (fmt.percent, -0.0125, "-1.3 %", f"\u22121,3{NBSP}%"),
        (fmt.count, 1234, "1,234", f"1{NBSP}234"),
        (fmt.count, 1234567, "1,234,567", f"1{NBSP}234{NBSP}567"),
        (fmt.count, -3, "-3", "\u22123"),
        (fmt.hours, 1.44, "1.4 h", f"1,4{NBSP}t"),
        (fmt.decimal, 3.254, "3.25", "3,25"),
        (fmt.decimal, 1234.5, "1,234.50", f"1{NBSP}234,50"),
    ],
)
def test_figures_in_each_language(write, value, en, nb):
    with i18n.language("en"):
        assert write(value) == en
    with i18n.language("nb"):
        assert write(value) == nb


def test_signed_figures_in_norwegian():
    with i18n.language("nb"):
        assert fmt.percent(0.125, signed=True) == f"+12,5{NBSP}%"
        assert fmt.count(-5, signed=True) == "\u22125"
        assert fmt.count(5, signed=True) == "+5"
        assert fmt.percent(None) == "—"


def test_days_weeks_and_months_in_each_language():
    sunday = date(2026, 12, 6)
    with i18n.language("en"):
        assert fmt.day(sunday) == "06 Dec 2026"
        assert fmt.day(sunday, weekday=True) == "Sun 06 Dec 2026"
        assert fmt.short_day(sunday) == "06 Dec"
        assert fmt.week(sunday) == "week 49"
        assert fmt.month(sunday) == "December 2026"
        assert fmt.month(sunday, short=True) == "Dec 2026"
    with i18n.language("nb"):
        assert fmt.day(sunday) == "6. des. 2026"
        assert fmt.day(sunday, weekday=True) == "søn. 6. des. 2026"
        assert fmt.short_day(sunday) == "6. des."
        # Monday-first ISO weeks: Sunday 6 December is the last day of week 49,
        # Monday 7 December the first of week 50, and 1 January 2027 is in week 53 of 2026.
        assert fmt.week(sunday) == "uke 49"
        assert fmt.week(date(2026, 12, 7)) == "uke 50"
        assert fmt.week(date(2027, 1, 1)) == "uke 53"
        assert fmt.month(sunday) == "desember 2026"
        assert fmt.month(sunday, short=True) == "des. 2026"


def test_local_time_in_each_language(monkeypatch):
    monkeypatch.setenv("SMARKETING_TIMEZONE", "Europe/Oslo")
    moment = datetime(2026, 11, 30, 4, 12, tzinfo=UTC)
    with i18n.language("en"):
        assert fmt.local_time(moment) == "Mon 30 Nov 2026 05:12"
    with i18n.language("nb"):
        assert fmt.local_time(moment) == "man. 30. nov. 2026 05:12"


def test_the_vega_locale_carries_the_norwegian_symbols():
    with i18n.language("nb"):
        locale = fmt.vega_locale()
        assert locale["number"]["decimal"] == ","
        assert locale["number"]["thousands"] == NBSP
        assert locale["time"]["shortMonths"][11] == "des."
        assert locale["time"]["days"][:2] == ["søndag", "mandag"]
        assert NBSP + "%" in fmt.vega_percent()
    with i18n.language("en"):
        assert fmt.vega_locale()["number"]["decimal"] == "."


def test_long_days_and_weekdays_in_each_language():
    monday = date(2026, 12, 7)
    with i18n.language("en"):
        assert fmt.long_day(monday) == "Monday 7 December 2026"
        assert fmt.weekday(monday) == "Mon"
    with i18n.language("nb"):
        assert fmt.long_day(monday) == "mandag 7. desember 2026"
        assert fmt.weekday(monday) == "man."


def test_figures_frozen_in_english_read_in_norwegian():
    with i18n.language("nb"):
        assert fmt.relocalized("64.3 % ✔") == f"64,3{NBSP}% ✔"
        assert fmt.relocalized("1,234 ✖") == f"1{NBSP}234 ✖"
        assert fmt.relocalized("1.5 h ▲") == f"1,5{NBSP}t ▲"
        assert fmt.relocalized("—") == "—"
    with i18n.language("en"):
        assert fmt.relocalized("64.3 % ✔") == "64.3 % ✔"
