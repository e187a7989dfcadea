"""Tables for people: every column with a human label, figures in the one number style of
``smarketing.formatting``, "—" where a cell is empty (never "None")."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import streamlit as st

from smarketing import formatting
from smarketing.ui import widgets


@dataclass(frozen=True)
class Col:
    """A shown column: its label, what it holds and an optional definition on hover.

    ``kind``: count, percent, decimal, hours (figures), text, time (an instant, shown in the
    business timezone) or bool (a tick box)."""

    label: str
    kind: str = "text"
    help: str | None = None


def display(frame: pd.DataFrame, columns: dict[str, Col]) -> pd.DataFrame:
    """The shown columns of ``frame``, in order: figures and texts written by
    ``smarketing.formatting`` ('—' where empty); counts without a gap stay numbers (so
    they sort as numbers, shown with thousands separators by ``config``)."""
    out = {}
    for name, col in columns.items():
        values = frame[name]
        if col.kind == "bool":
            out[name] = values.astype(bool)
        elif col.kind == "time":
            out[name] = [widgets.local_time(v) for v in values]
        elif col.kind == "count" and not any(formatting.is_empty(v) for v in values):
            out[name] = values.astype("int64")
        else:
            out[name] = [formatting.FORMATTERS[col.kind](v) for v in values]
    return pd.DataFrame(out, index=frame.index)


def config(shown: pd.DataFrame, columns: dict[str, Col]) -> dict:
    """``column_config`` for a ``display`` frame: labels, definitions, the count format;
    the first column pinned so it stays in view when the table scrolls sideways."""
    out = {}
    for i, (name, col) in enumerate(columns.items()):
        pinned = True if i == 0 else None
        if col.kind == "bool":
            out[name] = st.column_config.CheckboxColumn(col.label, help=col.help, pinned=pinned)
        elif pd.api.types.is_integer_dtype(shown[name].dtype):
            out[name] = st.column_config.NumberColumn(
                col.label, help=col.help, format=formatting.COLUMN_COUNT, pinned=pinned
            )
        else:
            align = "right" if col.kind in ("count", "percent", "decimal", "hours") else None
            out[name] = st.column_config.TextColumn(
                col.label, help=col.help, pinned=pinned, alignment=align
            )
    return out


def show(frame: pd.DataFrame, columns: dict[str, Col], **kwargs) -> None:
    """``st.dataframe`` of the ``columns`` of ``frame`` (see ``display`` and ``config``)."""
    shown = display(frame, columns)
    st.dataframe(
        shown,
        column_config=config(shown, columns),
        hide_index=True,
        width="stretch",
        **kwargs,
    )
