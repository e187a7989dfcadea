"""How figures are written for people: one place for the app, the CLI and exports.

The rules (docs/metrics.md, "Numbers as shown"):

- a percentage has one decimal and a space before the sign: ``43.8 %``;
- a count is a whole number with thousands separators: ``1,234``;
- hours have one decimal and the unit after a space: ``1.5 h``;
- other decimals (customers per 100 leads) have two decimals: ``3.25``;
- a figure that is empty or not measured is ``—``.

In Norwegian bokmål (``smarketing.i18n``) the same figures are written the Norwegian way,
with Babel's symbols for ``nb``: ``64,3 %``, ``1 234`` (a non-breaking space groups the
thousands and stands before ``%`` and ``t``), ``1,4 t``, ``−3`` (the minus sign); dates as
``6. des. 2026``, weeks as ``uke 49``. ``vega_locale`` gives charts the same symbols, so a
chart and the table beside it agree.

Rounding is half away from zero on the value as stored (a percentage is multiplied by 100
first), the way JavaScript's ``toFixed`` rounds — so a Vega-Lite format (``VEGA_*`` below,
d3-format) and a Streamlit column format (sprintf) write the same text as these functions.
Machine formats (the JSON reports, the numeric fields of CSV reports) stay plain numbers.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from functools import cache
from typing import TYPE_CHECKING

from smarketing import i18n
from smarketing.i18n import _

if TYPE_CHECKING:
    from datetime import date, datetime

    import pandas as pd

#: Shown for a figure that is empty or was not measured.
EMPTY = "—"
#: Decimals of a percentage, of hours, and of other decimal figures.
PERCENT_DIGITS = 1
HOURS_DIGITS = 1
DECIMAL_DIGITS = 2

#: d3-format strings (Vega-Lite ``format=``) that write what ``count`` / ``decimal`` write.
VEGA_COUNT = ",d"
VEGA_DECIMAL = f",.{DECIMAL_DIGITS}f"
#: sprintf formats (``st.column_config.NumberColumn(format=...)``) for numeric columns
#: that are never empty: counts as ``count`` writes them.
COLUMN_COUNT = "%,d"


def is_empty(value: object) -> bool:
    """None, NaN, NA or NaT: a value that is not there."""
    if value is None:
        return True
    if isinstance(value, float):  # also NumPy's float64
        return value != value
    if isinstance(value, str | int):  # also bool (NumPy's int64 is no int: pandas decides)
        return False
    import pandas as pd  # NA, NaT, NumPy and Decimal values (the CLI's reports have none)

    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


@cache
def symbols(code: str) -> dict[str, str]:
    """The number symbols of a language (Babel's CLDR data): decimal, group, minus, and the
    space between a figure and its unit ('%', 'h'/'t')."""
    if code == "en":  # the app's English way (docs/metrics.md), as before Norwegian came
        return {"decimal": ".", "group": ",", "minus": "-", "unit_space": " "}
    from babel.numbers import get_decimal_symbol, get_group_symbol, get_minus_sign_symbol

    return {
        "decimal": get_decimal_symbol(code),
        "group": get_group_symbol(code),
        "minus": get_minus_sign_symbol(code),
        "unit_space": "\u00a0",
    }


def _localized(text: str) -> str:
    """An English-written number ('-1,234.5') with the symbols of the language speaking."""
    code = i18n.current()
    if code == "en":
        return text
    sym = symbols(code)
    table = str.maketrans({".": sym["decimal"], ",": sym["group"], "-": sym["minus"]})
    return text.translate(table)


def relocalized(text: str) -> str:
    """A text with figures written the English way by this module ('64.3 % ✔', '1,234',
    '1.5 h') in the language speaking: a scorecard frozen in English, read in Norwegian."""
    import re

    if i18n.current() == "en" or not text:
        return text
    text = re.sub(r"-?\d{1,3}(?:,\d{3})*(?:\.\d+)?", lambda m: _localized(m.group()), text)
    space = _unit_space()
    text = re.sub(r"(\d) %", lambda m: f"{m.group(1)}{space}%", text)
    return re.sub(r"(\d) h\b", lambda m: f"{m.group(1)}{space}{_('h')}", text)


def _fixed(value: float, digits: int) -> str:
    """``value`` with ``digits`` decimals, half away from zero (JavaScript's toFixed), in
    the number symbols of the language speaking."""
    quantum = Decimal(1).scaleb(-digits)
    text = f"{Decimal(float(value)).quantize(quantum, rounding=ROUND_HALF_UP):,f}"
    text = "0" + text[2:] if text.startswith("-0") and not text.strip("-0.,") else text
    return _localized(text)


def _unit_space() -> str:
    return symbols(i18n.current())["unit_space"]


def _signed(text: str) -> str:
    return text if text.startswith(("-", symbols(i18n.current())["minus"])) else "+" + text


def percent(value: float | None, *, signed: bool = False, digits: int = PERCENT_DIGITS) -> str:
    """A fraction as a percentage: 0.4375 → '43.8 %' ('+12.5 %' when ``signed``)."""
    if is_empty(value):
        return EMPTY
    text = _fixed(float(value) * 100, digits)
    return f"{_signed(text) if signed else text}{_unit_space()}%"


def count(value: float | None, *, signed: bool = False) -> str:
    """A count: 1234 → '1,234' ('+12' when ``signed``)."""
    if is_empty(value):
        return EMPTY
    text = _fixed(float(value), 0)
    return _signed(text) if signed else text


def hours(value: float | None) -> str:
    """Hours: 1.46 → '1.5 h' (nb: '1,5 t')."""
    if is_empty(value):
        return EMPTY
    # Translators: the abbreviation of "hours" after a figure: 1.5 h
    unit = _("h")
    return f"{_fixed(float(value), HOURS_DIGITS)}{_unit_space()}{unit}"


def decimal(value: float | None, digits: int = DECIMAL_DIGITS) -> str:
    """A decimal figure: 3.254 → '3.25'."""
    return EMPTY if is_empty(value) else _fixed(float(value), digits)


def text(value: object) -> str:
    """A text cell: '—' when empty or blank."""
    return EMPTY if is_empty(value) or not str(value).strip() else str(value)


#: Formatter by kind of figure (the ``kind`` of an SLA metric, or a table column's).
FORMATTERS = {
    "count": count,
    "rate": percent,
    "percent": percent,
    "hours": hours,
    "decimal": decimal,
    "text": text,
}


def figure(kind: str, value: float | None) -> str:
    """A metric value: counts as whole numbers (a pro-rated target with one decimal),
    rates as percentages, hours with one decimal and 'h'."""
    if is_empty(value):
        return EMPTY
    if kind == "count" and not float(value).is_integer():
        return _fixed(float(value), 1)
    return FORMATTERS[kind](value)


def display_frame(frame: pd.DataFrame, kinds: dict[str, str]) -> pd.DataFrame:
    """A copy of ``frame`` for a table: every column of ``kinds`` written as text by its
    kind (``FORMATTERS``), '—' where empty; other columns as they are."""
    import pandas as pd

    out = frame.copy()
    for column, kind in kinds.items():
        if column in out.columns:
            out[column] = pd.Series(
                [FORMATTERS[kind](v) for v in frame[column]], index=frame.index, dtype=object
            )
    return out


def vega_percent(expression: str = "datum.value", *, trim: bool = False) -> str:
    """A Vega expression that writes a fraction like ``percent`` ('43.8 %', '—' for null);
    ``trim`` drops a trailing '.0' (axis ticks: '20 %')."""
    spec = f".{PERCENT_DIGITS}{'~' if trim else ''}%"
    space = _unit_space()
    return (
        f"isValid({expression}) && isFinite({expression}) ? "
        f"replace(format({expression}, '{spec}'), '%', '{space}%') : '{EMPTY}'"
    )


def vega_locale() -> dict:
    """The Vega-Lite format locale (``config.locale``) of the language speaking: d3-format's
    number symbols and d3-time-format's names, so an axis, a tooltip and ``format()`` in a
    chart write figures and dates as this module does."""
    code = i18n.current()
    from babel import Locale

    sym = symbols(code)
    loc = Locale.parse(code)
    months, days = loc.months["format"], loc.days["format"]
    # Babel numbers weekdays Monday = 0; d3 wants Sunday first.
    order = [6, 0, 1, 2, 3, 4, 5]
    return {
        "number": {
            "decimal": sym["decimal"],
            "thousands": sym["group"],
            "grouping": [3],
            "currency": ["", "\u00a0kr"] if code == "nb" else ["$", ""],
            "minus": sym["minus"],
        },
        "time": {
            "dateTime": "%a %e %b %Y %X" if code == "en" else "%A %e. %B %Y kl. %X",
            "date": "%d.%m.%Y" if code != "en" else "%m/%d/%Y",
            "time": "%H:%M:%S",
            "periods": ["AM", "PM"],
            "days": [days["wide"][i] for i in order],
            "shortDays": [days["abbreviated"][i] for i in order],
            "months": [months["wide"][i] for i in range(1, 13)],
            "shortMonths": [months["abbreviated"][i] for i in range(1, 13)],
        },
    }


def no_nan(values) -> list[float | None]:
    """Floats with None for every empty value (Vega-Lite reads NaN as a number)."""
    return [None if is_empty(v) else float(v) for v in values]


def local_time(moment: datetime | None, empty: str = "—") -> str:
    """An instant as 'Mon 30 Nov 2026 05:12' in the business timezone (``empty`` for None)."""
    if moment is None or is_empty(moment):
        return empty
    from smarketing import config

    local = moment.astimezone(config.business_tz())
    if i18n.current() == "en":
        return local.strftime("%a %d %b %Y %H:%M")
    from babel.dates import format_datetime

    return format_datetime(local, "EEE d. MMM y HH:mm", locale=i18n.current())


def _date(value: date, english: str, pattern: str) -> str:
    """``value`` by the strftime ``english`` in English, else by Babel's (CLDR) ``pattern``
    in the language speaking."""
    code = i18n.current()
    if code == "en":
        return value.strftime(english)
    from babel.dates import format_date

    return format_date(value, pattern, locale=code)


def day(value: date | None, *, weekday: bool = False, empty: str = EMPTY) -> str:
    """A day: '06 Dec 2026' (nb '6. des. 2026'); ``weekday``: 'Sun 06 Dec 2026'
    ('søn. 6. des. 2026')."""
    if value is None or is_empty(value):
        return empty
    if weekday:
        return _date(value, "%a %d %b %Y", "EEE d. MMM y")
    return _date(value, "%d %b %Y", "d. MMM y")


def long_day(value: date) -> str:
    """A day written out: 'Monday 7 December 2026' (nb 'mandag 7. desember 2026')."""
    return _date(value, f"%A {value.day} %B %Y", "EEEE d. MMMM y")


def weekday(value: date) -> str:
    """The day of the week, short: 'Mon' (nb 'man.')."""
    return _date(value, "%a", "EEE")


def short_day(value: date) -> str:
    """A day without the year, for axes and lists: '06 Dec' (nb '6. des.')."""
    return _date(value, "%d %b", "d. MMM")


def month(value: date, *, short: bool = False) -> str:
    """A month: 'December 2026' (nb 'desember 2026'); ``short``: 'Dec 2026' ('des. 2026')."""
    return _date(value, "%b %Y", "MMM y") if short else _date(value, "%B %Y", "LLLL y")


def week(value: date) -> str:
    """The ISO week (Monday first) a day is in: 'week 49' (nb 'uke 49')."""
    return _("week {number}").format(number=value.isocalendar().week)
