"""Period arithmetic in Europe/Oslo (docs/metrics.md, "Time")."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from smarketing.errors import InvalidInput
from smarketing.periods import period_containing, previous_period


@pytest.mark.parametrize(
    ("kind", "as_of", "start", "end", "days", "elapsed"),
    [
        ("day", date(2026, 11, 18), date(2026, 11, 18), date(2026, 11, 18), 1, 1),
        ("week", date(2026, 11, 18), date(2026, 11, 16), date(2026, 11, 22), 7, 3),  # Wed
        ("week", date(2026, 1, 1), date(2025, 12, 29), date(2026, 1, 4), 7, 4),  # ISO week 1
        ("month", date(2026, 11, 15), date(2026, 11, 1), date(2026, 11, 30), 30, 15),
        ("month", date(2028, 2, 29), date(2028, 2, 1), date(2028, 2, 29), 29, 29),  # leap
        ("quarter", date(2026, 11, 18), date(2026, 10, 1), date(2026, 12, 31), 92, 49),
    ],
)
def test_bounds(kind, as_of, start, end, days, elapsed):
    p = period_containing(kind, as_of)
    assert (p.start, p.end, p.days, p.elapsed_days) == (start, end, days, elapsed)
    assert p.elapsed_fraction == pytest.approx(elapsed / days)


def test_window_is_local_midnight_in_utc():
    # 1 Nov 2026 is after the switch to winter time: Oslo = UTC+1.
    start, end = period_containing("month", date(2026, 11, 15)).window()
    assert start == datetime(2026, 10, 31, 23, 0, tzinfo=UTC)
    assert end == datetime(2026, 11, 15, 23, 0, tzinfo=UTC)


def test_window_across_daylight_saving():
    # Summer time ends on 25 Oct 2026: the day before starts at 22:00 UTC, the month at 22:00.
    start, end = period_containing("month", date(2026, 10, 31)).window()
    assert start == datetime(2026, 9, 30, 22, 0, tzinfo=UTC)
    assert end == datetime(2026, 10, 31, 23, 0, tzinfo=UTC)


def test_previous_is_like_for_like():
    prev = previous_period(period_containing("month", date(2026, 3, 31)))
    assert (prev.start, prev.as_of) == (date(2026, 2, 1), date(2026, 2, 28))  # clamped
    prev = previous_period(period_containing("week", date(2026, 11, 18)))
    assert (prev.start, prev.as_of, prev.elapsed_days) == (date(2026, 11, 9), date(2026, 11, 11), 3)


def test_unknown_kind():
    with pytest.raises(InvalidInput, match="unknown period"):
        period_containing("fortnight", date(2026, 1, 1))
