"""Tables for people: every column with a human label, figures in the one number style of
``smarketing.formatting``, "—" where a cell is empty (never "None")."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import streamlit as st

from smarketing import formatting, i18n
from smarketing.i18n import _
from smarketing.ui import widgets


@dataclass(frozen=True)
class Col:
    """A shown column: its label, what it holds and an optional definition on hover.

    ``label`` and ``help`` are English message ids (``N_`` in a module constant), shown in
    the language speaking; a text already translated passes unchanged. ``kind``: count,
    percent, decimal, hours (figures), text, time (an instant, shown in the
    business timezone) or bool (a tick box)."""

    label: str
    kind: str = "text"
    help: str | None = None
    #: pixels, or "small" / "medium" / "large"; None lets the table size the column
    width: int | str | None = None


def display(frame: pd.DataFrame, columns: dict[str, Col]) -> pd.DataFrame:
    """The shown columns of ``frame``, in order: figures and texts written by
    ``smarketing.formatting`` ('—' where empty). In English, counts without a gap stay
    numbers (so they sort as numbers, shown with thousands separators by ``config``); a
    table column can only group thousands the English way, so in another language counts
    are written as text like every other figure ('1 749'), as the chart beside them does."""
    out = {}
    for name, col in columns.items():
        values = frame[name]
        if col.kind == "bool":
            out[name] = values.astype(bool)
        elif col.kind == "time":
            out[name] = [widgets.local_time(v) for v in values]
        elif (
            col.kind == "count"
            and i18n.current() == "en"
            and not any(formatting.is_empty(v) for v in values)
        ):
            out[name] = values.astype("int64")
        else:
            out[name] = [formatting.FORMATTERS[col.kind](v) for v in values]
    return pd.DataFrame(out, index=frame.index)


def config(shown: pd.DataFrame, columns: dict[str, Col]) -> dict:
    """``column_config`` for a ``display`` frame: labels, definitions, the count format;
    the first column pinned so it stays in view when the table scrolls sideways."""
    out = {}
    for i, (name, col) in enumerate(columns.items()):
        label = _(col.label)
        common = {
            "help": _(col.help) if col.help else col.help,
            "pinned": True if i == 0 else None,
            "width": col.width,
        }
        if col.kind == "bool":
            out[name] = st.column_config.CheckboxColumn(label, **common)
        elif pd.api.types.is_integer_dtype(shown[name].dtype):
            out[name] = st.column_config.NumberColumn(
                label, format=formatting.COLUMN_COUNT, **common
            )
        else:
            align = "right" if col.kind in ("count", "percent", "decimal", "hours") else None
            out[name] = st.column_config.TextColumn(label, alignment=align, **common)
    return out


def _cols(columns: dict[str, Col | str]) -> dict[str, Col]:
    return {name: c if isinstance(c, Col) else Col(c) for name, c in columns.items()}


def show(
    frame: pd.DataFrame,
    columns: dict[str, Col | str],
    *,
    more: dict[str, Col | str] | None = None,
    key: str | None = None,
    **kwargs,
) -> None:
    """``st.dataframe`` of the ``columns`` of ``frame`` (see ``display`` and ``config``); a
    plain string is a text column's label.

    ``more`` are columns that would make the table wider than a 1280-pixel screen: they are
    offered in a "Columns" picker above the table (remembered for the session under ``key``),
    and a line under the table names those not shown, so no column is hidden without a
    hint."""
    columns, more = _cols(columns), _cols(more or {})
    chosen = _picked(more, key) if more else []
    shown_columns = {**columns, **{name: more[name] for name in chosen}} if more else columns
    shown = display(frame, shown_columns)
    st.dataframe(
        shown,
        column_config=config(shown, shown_columns),
        hide_index=True,
        width="stretch",
        key=key,
        **kwargs,
    )
    if more and len(chosen) < len(more):
        left = [_(col.label) for name, col in more.items() if name not in chosen]
        st.caption(_("More columns under **Columns**: {columns}.").format(columns=", ".join(left)))


def _picked(more: dict[str, Col], key: str | None) -> list[str]:
    """The extra columns chosen in the "Columns" picker (remembered for the session: a
    widget's own state is dropped on pages that do not draw it)."""
    remembered = f"_columns_{key}"
    with st.popover(_("Columns"), icon=":material/view_column:"):
        chosen = st.multiselect(
            _("Also show"),
            list(more),
            default=[c for c in st.session_state.get(remembered, []) if c in more],
            format_func=lambda name: _(more[name].label),
            key=f"{remembered}_picker",
        )
    st.session_state[remembered] = chosen
    return chosen
