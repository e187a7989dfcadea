"""How figures are written for people: one place for the app, the CLI and exports.

The rules (docs/metrics.md, "Numbers as shown"):

- a percentage has one decimal and a space before the sign: ``43.8 %``;
- a count is a whole number with thousands separators: ``1,234``;
- hours have one decimal and the unit after a space: ``1.5 h``;
- other decimals (customers per 100 leads) have two decimals: ``3.25``;
- a figure that is empty or not measured is ``—``.

Rounding is half away from zero on the value as stored (a percentage is multiplied by 100
first), the way JavaScript's ``toFixed`` rounds — so a Vega-Lite format (``VEGA_*`` below,
d3-format) and a Streamlit column format (sprintf) write the same text as these functions.
Machine formats (the JSON reports, the numeric fields of CSV reports) stay plain numbers.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from datetime import datetime

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


def _fixed(value: float, digits: int) -> str:
    """``value`` with ``digits`` decimals, half away from zero (JavaScript's toFixed)."""
    quantum = Decimal(1).scaleb(-digits)
    text = f"{Decimal(float(value)).quantize(quantum, rounding=ROUND_HALF_UP):,f}"
    return "0" + text[2:] if text.startswith("-0") and not text.strip("-0.,") else text


def percent(value: float | None, *, signed: bool = False, digits: int = PERCENT_DIGITS) -> str:
    """A fraction as a percentage: 0.4375 → '43.8 %' ('+12.5 %' when ``signed``)."""
    if is_empty(value):
        return EMPTY
    text = _fixed(float(value) * 100, digits)
    if signed and not text.startswith("-"):
        text = "+" + text
    return f"{text} %"


def count(value: float | None, *, signed: bool = False) -> str:
    """A count: 1234 → '1,234' ('+12' when ``signed``)."""
    if is_empty(value):
        return EMPTY
    text = _fixed(float(value), 0)
    return "+" + text if signed and not text.startswith("-") else text


def hours(value: float | None) -> str:
    """Hours: 1.46 → '1.5 h'."""
    return EMPTY if is_empty(value) else f"{_fixed(float(value), HOURS_DIGITS)} h"


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


def plural(n: int, word: str, many: str | None = None) -> str:
    """'1 cause', '2 causes', '1,204 activities' (``many`` for irregular plurals)."""
    return f"{count(n)} {word if n == 1 else (many or word + 's')}"


def vega_percent(expression: str = "datum.value", *, trim: bool = False) -> str:
    """A Vega expression that writes a fraction like ``percent`` ('43.8 %', '—' for null);
    ``trim`` drops a trailing '.0' (axis ticks: '20 %')."""
    spec = f".{PERCENT_DIGITS}{'~' if trim else ''}%"
    return (
        f"isValid({expression}) && isFinite({expression}) ? "
        f"replace(format({expression}, '{spec}'), '%', ' %') : '{EMPTY}'"
    )


def no_nan(values) -> list[float | None]:
    """Floats with None for every empty value (Vega-Lite reads NaN as a number)."""
    return [None if is_empty(v) else float(v) for v in values]


def local_time(moment: datetime | None, empty: str = "—") -> str:
    """An instant as 'Mon 30 Nov 2026 05:12' in the business timezone (``empty`` for None)."""
    if moment is None or is_empty(moment):
        return empty
    from smarketing import config

    return moment.astimezone(config.business_tz()).strftime("%a %d %b %Y %H:%M")
