"""Reusable widgets: demo banner, "as of" line, stage tiles."""

from __future__ import annotations

from datetime import date, datetime

import pandas as pd
import streamlit as st

from smarketing import config


def demo_banner(is_demo: bool) -> None:
    """The banner every page shows while the demo company is in the database."""
    if is_demo:
        st.warning(
            "**Demo data** — a generated company, not yours. It goes away with the first real "
            "CRM import or `python -m smarketing demo --clear`.",
            icon=":material/science:",
        )


def local_time(moment: datetime | None, empty: str = "—") -> str:
    """An instant as 'Mon 30 Nov 2026 05:12' in the business timezone (``empty`` for None)."""
    if moment is None or pd.isna(moment):
        return empty
    return moment.astimezone(config.business_tz()).strftime("%a %d %b %Y %H:%M")


def as_of_caption(data_as_of: datetime | None, as_of: date) -> None:
    """Where the figures stand: the as-of day, the newest data, the timezone."""
    st.caption(
        f"Figures up to and including **{as_of:%a %d %b %Y}** · newest data in the store: "
        f"{local_time(data_as_of, 'no data yet')} · times in {config.timezone_name()}"
    )


def stage_tiles(frame: pd.DataFrame) -> None:
    """One metric tile per stage: count, change against the like-for-like previous period."""
    columns = st.columns(len(frame))
    for column, row in zip(columns, frame.itertuples(index=False), strict=True):
        pct = (
            "" if row.change_pct is None or pd.isna(row.change_pct) else f" ({row.change_pct:+.0%})"
        )
        column.metric(
            row.label,
            f"{row.current:,}",
            delta=f"{row.change:+,}{pct} vs {row.previous:,}",
            delta_color="normal",
            help=f"{row.definition} Compared with {row.compared_with}.",
            border=True,
        )
