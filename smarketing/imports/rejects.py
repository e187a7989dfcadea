"""The rejected rows of one import, as one table: the reader's rejects (with their original
cells) plus the rows only the database could judge (e.g. an activity for an unknown lead)."""

from __future__ import annotations

import pandas as pd

from smarketing.imports.records import ParsedFile, RowError


def all_errors(parsed: ParsedFile, unmatched: list[RowError]) -> list[RowError]:
    """Every rejected row's reason, in file order."""
    return sorted([*parsed.errors, *unmatched], key=lambda e: (e.row, e.column or ""))


def rejects_frame(parsed: ParsedFile, unmatched: list[RowError]) -> pd.DataFrame:
    """Rejected rows with an ``error`` column, indexed by their row number in the file."""
    frame = parsed.rejected_rows
    extra = [e for e in unmatched if e.row not in set(frame.index)]
    if not extra:
        return frame
    more = pd.DataFrame({"error": [str(e) for e in extra]}, index=[e.row for e in extra])
    return pd.concat([frame, more]).sort_index()
