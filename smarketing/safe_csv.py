"""CSV written for people's spreadsheets: the ONE way the app and the command line write a
CSV (the Lead-quality download, ``report quality --format csv``, the rejects and warnings
files of an import, the export zip). ``tests/test_safe_csv.py`` fails on any other
``to_csv`` or ``csv.writer`` in the code base.

A spreadsheet runs a cell that starts with ``=``, ``+``, ``-`` or ``@`` as a formula (and
one that starts with a tab or a carriage return after trimming it), so text taken from CRM
data could call ``HYPERLINK`` or ``cmd``. Following OWASP's advice on CSV injection, such a
*text* cell is written with a leading ``'`` (a spreadsheet shows the text as it was, the
``'`` only marks it as text). Numbers stay numbers: ``int``, ``float`` and ``Decimal``
values and the numeric columns of a DataFrame are written as they are, so ``-5`` is ``-5``.

Rows end with ``\r\n`` (RFC 4180), so a cell holding a carriage return or a line break is
always quoted: with ``\n`` line ends the csv module leaves a lone ``\r`` unquoted, and a
spreadsheet would start a new row there, whose first cell escapes the ``'``.
"""

from __future__ import annotations

import csv
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collections.abc import Iterable

    import pandas as pd

#: Text that a spreadsheet would run as a formula starts with one of these.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: A cell as :func:`neutralise` wrote it (a regular expression): ``'`` then a formula start.
#: Readers of files the app wrote (the rejects file, fixed and imported again) take the
#: ``'`` off such a cell (``smarketing.data_in.normalise.clean_text``).
NEUTRALISED = "'[" + "".join("\\" + c if c in "-\\]^" else c for c in FORMULA_START) + "]"
#: The line end of every CSV written (see the module docstring).
LINE_END = "\r\n"


def neutralise(value: object) -> object:
    """A cell as written: text that a spreadsheet would run as a formula gets a leading
    ``'``; everything else (numbers, dates, None) is returned as it is."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


class SafeWriter:
    """``csv.writer`` (``\r\n`` line ends) whose every cell passes :func:`neutralise`."""

    def __init__(self, fh: Any, **fmtparams: Any) -> None:
        if fmtparams.get("lineterminator", LINE_END) != LINE_END:
            raise ValueError("a safe CSV ends its rows with \\r\\n (see smarketing.safe_csv)")
        self._writer = csv.writer(fh, **{**fmtparams, "lineterminator": LINE_END})

    def writerow(self, row: Iterable[object]) -> Any:
        return self._writer.writerow([neutralise(v) for v in row])

    def writerows(self, rows: Iterable[Iterable[object]]) -> None:
        for row in rows:
            self.writerow(row)


def writer(fh: Any, **fmtparams: Any) -> SafeWriter:
    """A CSV writer on the text stream ``fh`` (``csv.writer``'s dialect options)."""
    return SafeWriter(fh, **fmtparams)


def _text_like(series: pd.Series) -> bool:
    """Whether a column may hold text (object, string or categorical); numeric, boolean,
    date and duration columns cannot."""
    import pandas as pd

    dtype = series.dtype
    return (
        pd.api.types.is_object_dtype(dtype)
        or pd.api.types.is_string_dtype(dtype)
        or isinstance(dtype, pd.CategoricalDtype)
    )


def safe_frame(frame: pd.DataFrame, *, index: bool = False) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells and column names (and, with ``index``, index
    values) are neutralised; numeric columns are left as they are."""
    out = frame.copy()
    for position in range(out.shape[1]):
        column = out.iloc[:, position]
        if _text_like(column):
            out.isetitem(position, column.astype(object).map(neutralise))
    out.columns = out.columns.map(neutralise)
    if index and _text_like(out.index.to_series()):
        out.index = out.index.map(neutralise)
    return out


def frame_csv(frame: pd.DataFrame, path: Any = None, *, index: bool = False) -> str | None:
    """``frame.to_csv(path, index=index)`` with its cells neutralised and ``\\r\\n`` line
    ends: the text when ``path`` is None, else None (the file written)."""
    return safe_frame(frame, index=index).to_csv(path, index=index, lineterminator=LINE_END)


def frame_csv_bytes(frame: pd.DataFrame, *, index: bool = False) -> bytes:
    """The neutralised CSV of ``frame`` as UTF-8 bytes (for a download button)."""
    return frame_csv(frame, index=index).encode("utf-8")


def rows_csv(header: Iterable[object], rows: Iterable[Iterable[object]]) -> str:
    """A CSV of ``header`` and ``rows``, every cell neutralised."""
    import io

    text = io.StringIO()
    out = writer(text)
    out.writerow(header)
    out.writerows(rows)
    return text.getvalue()
