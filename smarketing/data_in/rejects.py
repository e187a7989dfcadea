"""The rejected rows of one import, as one table: the reader's rejects (with their original
cells) plus the rows only the database could judge (e.g. an activity for an unknown lead),
also with their original cells, so the table can be fixed and imported again; and the
rows imported with a warning, as a table of their own."""

from __future__ import annotations

from collections import defaultdict

import pandas as pd

from smarketing import safe_csv
from smarketing.data_in.records import ParsedFile, RowError, RowWarning

#: The column a rejects table adds (the readers ignore it when the file is imported again).
ERROR_COLUMN = "error"
#: The columns of the warnings table.
WARNING_COLUMNS = ["row", "column", "value", "warning"]


def all_errors(parsed: ParsedFile, unmatched: list[RowError]) -> list[RowError]:
    """Every rejected row's reason, in file order."""
    return sorted([*parsed.errors, *unmatched], key=lambda e: (e.row, e.column or ""))


def _reason(error: RowError) -> str:
    """As the readers write it into the ``error`` column: ``column: reason``."""
    return f"{error.column}: {error.reason}" if error.column else error.reason


def rejects_frame(parsed: ParsedFile, unmatched: list[RowError]) -> pd.DataFrame:
    """Rejected rows with an ``error`` column, indexed by their row number in the file.

    The reader's rejects come with their original cells (``parsed.rejected_rows``); the
    rows the upsert rejected (``unmatched``) take theirs from ``parsed.raw_rows``, so every
    row of the table can be corrected and imported again. Without ``raw_rows`` (a
    ``ParsedFile`` built by hand) such rows have the ``error`` column only.
    """
    frame = parsed.rejected_rows
    known = set(frame.index)
    reasons: dict[int, list[str]] = defaultdict(list)
    for e in unmatched:
        if e.row not in known:
            reasons[e.row].append(_reason(e))
    if not reasons:
        return frame
    rows = sorted(reasons)
    raw = parsed.raw_rows
    index = pd.Index(rows, name=raw.index.name or "row")
    more = raw.reindex(index) if len(raw.columns) else pd.DataFrame(index=index)
    more[ERROR_COLUMN] = ["; ".join(reasons[r]) for r in rows]
    if not len(frame):
        return more
    out = pd.concat([frame, more])
    columns = [c for c in out.columns if c != ERROR_COLUMN] + [ERROR_COLUMN]
    return out[columns].sort_index()


def rejects_csv(parsed: ParsedFile, unmatched: list[RowError]) -> bytes:
    """The rejects file (:func:`rejects_frame`) as UTF-8 CSV, formula-safe: a cell such as
    ``=HYPERLINK(…)`` is written ``'=HYPERLINK(…)`` (:mod:`smarketing.safe_csv`). The
    ``--rejects`` file of the command line and the Import page's download; ``b""`` when no
    row was rejected."""
    frame = rejects_frame(parsed, unmatched)
    return safe_csv.frame_csv_bytes(frame) if len(frame) else b""


def warnings_frame(warnings: list[RowWarning]) -> pd.DataFrame:
    """The rows imported with a warning (``ImportResult.warnings``): row, column, the cell
    as in the file, and the warning, in file order."""
    return pd.DataFrame(
        [(w.row, w.column or "", w.value, w.message) for w in warnings], columns=WARNING_COLUMNS
    )


def warnings_csv(warnings: list[RowWarning]) -> bytes:
    """:func:`warnings_frame` as UTF-8 CSV, formula-safe (``--warnings`` on the command line,
    the Import page's download); ``b""`` without warnings."""
    return safe_csv.frame_csv_bytes(warnings_frame(warnings)) if warnings else b""
