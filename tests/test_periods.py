"""Period arithmetic in Europe/Oslo (docs/metrics.md, "Time")."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from smarketing.errors import InvalidInput
from smarketing.sla.periods import period_containing, previous_period


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


def test_week_with_the_spring_daylight_saving_change_has_167_hours():
    # Summer time starts on Sunday 29 March 2026: that week is one hour short.
    start, end = period_containing("week", date(2026, 3, 29)).window()
    assert start == datetime(2026, 3, 22, 23, 0, tzinfo=UTC)
    assert end == datetime(2026, 3, 29, 22, 0, tzinfo=UTC)
    assert (end - start).total_seconds() / 3600 == 167


def test_week_with_the_autumn_change_has_169_hours():
    start, end = period_containing("week", date(2026, 10, 25)).window()
    assert (end - start).total_seconds() / 3600 == 169


def test_week_spanning_two_months_and_years():
    p = period_containing("week", date(2026, 12, 31))
    assert (p.start, p.end) == (date(2026, 12, 28), date(2027, 1, 3))


@pytest.mark.parametrize(
    ("as_of", "start", "end"),
    [
        (date(2026, 3, 31), date(2026, 1, 1), date(2026, 3, 31)),
        (date(2026, 4, 1), date(2026, 4, 1), date(2026, 6, 30)),
        (date(2026, 12, 31), date(2026, 10, 1), date(2026, 12, 31)),
        (date(2028, 2, 29), date(2028, 1, 1), date(2028, 3, 31)),  # leap quarter: 91 days
    ],
)
def test_quarter_boundaries(as_of, start, end):
    p = period_containing("quarter", as_of)
    assert (p.start, p.end) == (start, end)
    assert p.days == (end - start).days + 1


def test_as_of_before_and_after_the_period():
    from smarketing.sla.periods import Period, PeriodKind

    before = Period(PeriodKind.month, date(2026, 11, 1), date(2026, 11, 30), date(2026, 10, 20))
    assert (before.elapsed_days, before.elapsed_fraction, before.remaining_days) == (0, 0, 30)
    after = Period(PeriodKind.month, date(2026, 11, 1), date(2026, 11, 30), date(2026, 12, 20))
    assert (after.elapsed_days, after.elapsed_fraction, after.remaining_days) == (30, 1, 0)
    assert after.window()[1] == datetime(2026, 11, 30, 23, 0, tzinfo=UTC)  # capped at the end


def test_2330_utc_on_the_last_day_of_a_month_belongs_to_the_next_month_in_oslo():
    from smarketing.sla.periods import local_date

    assert local_date(datetime(2026, 10, 31, 23, 30, tzinfo=UTC)) == date(2026, 11, 1)
    start, _ = period_containing("month", date(2026, 11, 1)).window()
    assert datetime(2026, 10, 31, 23, 30, tzinfo=UTC) >= start


@pytest.mark.parametrize(
    ("kind", "as_of", "en", "nb", "en_short", "nb_short"),
    [
        ("day", date(2026, 11, 18), "18 Nov 2026", "18. nov. 2026", "18 Nov", "18. nov."),
        ("week", date(2026, 11, 18), "week 47 2026", "uke 47 2026", "W47", "U47"),
        ("month", date(2026, 12, 6), "December 2026", "desember 2026", "Dec 26", "des. 26"),
        ("quarter", date(2026, 11, 18), "Q4 2026", "K4 2026", "Q4 26", "K4 26"),
    ],
)
def test_period_labels_in_each_language(kind, as_of, en, nb, en_short, nb_short):
    from smarketing import i18n
    from smarketing.sla.periods import kind_label

    period = period_containing(kind, as_of)
    with i18n.language("en"):
        assert (period.label(), period.short_label()) == (en, en_short)
    with i18n.language("nb"):
        assert (period.label(), period.short_label()) == (nb, nb_short)
        assert kind_label(kind) == {"day": "dag", "week": "uke", "month": "måned"}.get(
            kind, "kvartal"
        )


def test_an_unknown_kind_is_refused_in_norwegian():
    from smarketing import i18n

    with i18n.language("nb"), pytest.raises(InvalidInput, match="ukjent periode 'fortnight'"):
        period_containing("fortnight", date(2026, 11, 18))
