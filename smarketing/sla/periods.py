"""Period arithmetic in the business timezone (docs/metrics.md, "Time")."""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from smarketing import config, formatting
from smarketing.errors import InvalidInput
from smarketing.i18n import N_, _


class PeriodKind(StrEnum):
    day = "day"
    week = "week"
    month = "month"
    quarter = "quarter"


#: Each kind of period as a person reads it (translated where shown: ``kind_label``).
KIND_LABELS = {
    PeriodKind.day: N_("day"),
    PeriodKind.week: N_("week"),
    PeriodKind.month: N_("month"),
    PeriodKind.quarter: N_("quarter"),
}


def kind_label(kind: PeriodKind | str) -> str:
    """'week' (nb 'uke'): a kind of period in the language speaking."""
    return _(KIND_LABELS[PeriodKind(kind)])


def _quarter(day: date, year: str) -> str:
    # Translators: a quarter of a year, 'Q4 2026' (or 'Q4 26' in a column heading)
    return _("Q{number} {year}").format(number=(day.month - 1) // 3 + 1, year=year)


def local_midnight_utc(day: date, tz: ZoneInfo | None = None) -> datetime:
    """The UTC instant of local midnight at the start of ``day`` in the business timezone."""
    tz = tz or config.business_tz()
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


def local_date(moment: datetime, tz: ZoneInfo | None = None) -> date:
    """The local calendar day of an aware instant."""
    return moment.astimezone(tz or config.business_tz()).date()


def _bounds(kind: PeriodKind, day: date) -> tuple[date, date]:
    if kind is PeriodKind.day:
        return day, day
    if kind is PeriodKind.week:
        start = day - timedelta(days=day.weekday())
        return start, start + timedelta(days=6)
    if kind is PeriodKind.month:
        return day.replace(day=1), day.replace(day=calendar.monthrange(day.year, day.month)[1])
    first_month = 3 * ((day.month - 1) // 3) + 1
    last_month = first_month + 2
    return (
        date(day.year, first_month, 1),
        date(day.year, last_month, calendar.monthrange(day.year, last_month)[1]),
    )


@dataclass(frozen=True)
class Period:
    """The period of ``kind`` containing ``as_of``."""

    kind: PeriodKind
    start: date
    end: date
    as_of: date

    @property
    def days(self) -> int:
        """Number of days in the period."""
        return (self.end - self.start).days + 1

    @property
    def window_end_day(self) -> date:
        """The last local day inside the window: min(end, as_of)."""
        return min(self.end, self.as_of)

    @property
    def elapsed_days(self) -> int:
        """Days from start through min(end, as_of), inclusive (0 if as_of is before start)."""
        return max(0, (self.window_end_day - self.start).days + 1)

    @property
    def elapsed_fraction(self) -> float:
        """elapsed_days / days."""
        return self.elapsed_days / self.days

    @property
    def remaining_days(self) -> int:
        """Days of the period after the as-of day."""
        return self.days - self.elapsed_days

    def window(self, tz: ZoneInfo | None = None) -> tuple[datetime, datetime]:
        """UTC [from, to): local midnight at start up to local midnight after min(end, as_of)."""
        tz = tz or config.business_tz()
        return (
            local_midnight_utc(self.start, tz),
            local_midnight_utc(self.window_end_day + timedelta(days=1), tz),
        )

    def label(self) -> str:
        """A short human label in the language speaking: 'week 47 2026', 'November 2026',
        'Q4 2026', '18 Nov 2026' (nb 'uke 47 2026', 'november 2026', 'K4 2026',
        '18. nov. 2026')."""
        if self.kind is PeriodKind.day:
            return formatting.day(self.start)
        if self.kind is PeriodKind.week:
            # Translators: a week and its ISO year, 'week 47 2026'
            return _("{week} {year}").format(
                week=formatting.week(self.start), year=self.start.isocalendar().year
            )
        if self.kind is PeriodKind.month:
            return formatting.month(self.start)
        return _quarter(self.start, str(self.start.year))

    def short_label(self) -> str:
        """A column heading: '18 Nov', 'W47', 'Nov 26', 'Q4 26' (nb '18. nov.', 'U47',
        'nov. 26', 'K4 26')."""
        year = f"{self.start:%y}"
        if self.kind is PeriodKind.day:
            return formatting.short_day(self.start)
        if self.kind is PeriodKind.week:
            # Translators: a week in a narrow column heading, 'W47'
            return _("W{number}").format(number=self.start.isocalendar().week)
        if self.kind is PeriodKind.month:  # the short month with the year's last two digits
            return formatting.month(self.start, short=True).replace(str(self.start.year), year)
        return _quarter(self.start, year)


def parse_kind(kind: str) -> PeriodKind:
    """A PeriodKind from its name, or a clear InvalidInput."""
    try:
        return PeriodKind(str(kind).strip().lower())
    except ValueError as exc:
        raise InvalidInput(
            _("unknown period {kind!r}; use one of {kinds}").format(
                kind=kind, kinds=", ".join(k.value for k in PeriodKind)
            )
        ) from exc


def period_containing(kind: PeriodKind | str, as_of: date) -> Period:
    """The period of this kind that contains the as-of day."""
    kind = parse_kind(kind)
    start, end = _bounds(kind, as_of)
    return Period(kind, start, end, as_of)


def previous_period(period: Period) -> Period:
    """The period before, with its as-of at the same elapsed day (like-for-like comparison)."""
    prev_start, prev_end = _bounds(period.kind, period.start - timedelta(days=1))
    same_day = prev_start + timedelta(days=max(period.elapsed_days, 1) - 1)
    return Period(period.kind, prev_start, prev_end, min(same_day, prev_end))


def today_local(now: datetime | None = None) -> date:
    """Today's date in the business timezone."""
    return local_date(now or datetime.now(UTC))
