"""Reusable widgets: demo banner, "as of" line, stage tiles, safe user text, saving."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pandas as pd
import streamlit as st
from sqlalchemy.engine import Engine

from smarketing import config, i18n
from smarketing.auth import people
from smarketing.errors import SmarketingError
from smarketing.formatting import count, day, is_empty, local_time, percent
from smarketing.i18n import _
from smarketing.safe_text import safe_markdown
from smarketing.ui.resources import session


def demo_banner(is_demo: bool, *, compact: bool = False) -> None:
    """The one-line banner every page shows while the demo company is in the database
    (``compact``: a badge, for the wall screen)."""
    if is_demo and compact:
        st.markdown(
            ":orange-badge[:material/science: " + _("**Demo data** — a generated company") + "]"
        )
    elif is_demo:
        st.warning(
            _("**Demo data** — a generated company, not yours, until your first CRM import."),
            icon=":material/science:",
        )


def date_input_format() -> str:
    """The ``format=`` of every ``st.date_input``, in the language speaking: '2026-12-06'
    in English (ISO, as in ``?as_of=``), '06.12.2026' in Norwegian."""
    return "YYYY-MM-DD" if i18n.current() == "en" else "DD.MM.YYYY"


def person(engine: Engine, username: str | None) -> str:
    """A person's name (a user's, or the demo cast's) for their username."""
    with session(engine) as s:
        return people.display_name(s, username)


def local_day(moment: datetime | None, empty: str | None = None) -> str | None:
    """An instant's day as '07 Dec 2026' (nb '7. des. 2026') in the business timezone
    (``empty`` for None)."""
    if moment is None or pd.isna(moment):
        return empty
    return day(moment.astimezone(config.business_tz()).date())


def as_of_caption(facts: dict, as_of: date) -> None:
    """Where the figures stand: the as-of day, the newest data, the timezone and, with a
    CRM source, when it last synced and whether a later sync failed (and why)."""
    fresh = facts.get("sync")
    synced = ""
    if fresh is not None:
        synced = " · " + _("CRM synced {moment}").format(
            moment=local_time(fresh.synced_at, _("never"))
        )
    st.caption(
        _(
            "Figures up to and including **{day}** · newest data in the store: {newest}"
            "{synced} · times in {timezone}"
        ).format(
            day=day(as_of, weekday=True),
            newest=local_time(facts.get("as_of"), _("no data yet")),
            synced=synced,
            timezone=config.timezone_name(),
        )
    )
    if fresh is not None and fresh.failed_at is not None:
        st.caption(
            _(
                ":red[:material/sync_problem: **Last sync failed**] at {moment} ({source}): {why}"
            ).format(
                moment=local_time(fresh.failed_at),
                source=safe_markdown(fresh.failed_source or ""),
                why=safe_markdown((fresh.failed_why or "")[:300]),
            )
        )


def stage_tiles(frame: pd.DataFrame) -> None:
    """One metric tile per stage: count, change against the like-for-like previous period."""
    columns = st.columns(len(frame))
    for column, row in zip(columns, frame.itertuples(index=False), strict=True):
        pct = "" if is_empty(row.change_pct) else f" ({percent(row.change_pct, signed=True)})"
        column.metric(
            _(row.label),
            count(row.current),
            delta=_("{change}{percent} vs {previous}").format(
                change=count(row.change, signed=True), percent=pct, previous=count(row.previous)
            ),
            delta_color="normal",
            help=_("{definition} Compared with {period}.").format(
                definition=_(row.definition), period=row.compared_with
            ),
            border=True,
        )


def user_markdown(text: str | None, empty: str = "") -> None:
    """Render text a person typed as Markdown with any raw HTML made inert."""
    if text and text.strip():
        st.markdown(safe_markdown(text))
    elif empty:
        st.caption(empty)


FLASH_KEY = "_flash"


def save(
    engine: Engine, done: str, write, *, rerun: bool = True, clear: tuple[str, ...] = ()
) -> bool:
    """Run ``write(session)``; show ``done`` or the domain's message. True when it saved.

    A refused save shows the domain's message and keeps every widget as the person left
    it, so nothing typed is lost. A successful save empties the widgets named in ``clear``
    and reruns the page, so everything on it shows the new data (every write bumps the data
    version that keys the cached aggregates); ``done`` is shown at the top of that run.
    ``rerun=False`` is for a save whose caller reruns or stops itself.
    """
    try:
        with session(engine) as s:
            write(s)
    except SmarketingError as exc:
        st.error(str(exc), icon=":material/error:")
        return False
    for key in clear:
        st.session_state.pop(key, None)
    if rerun:
        st.session_state[FLASH_KEY] = done
        st.rerun()
    st.success(done, icon=":material/check_circle:")
    return True


def flash(*, toast: bool = False) -> None:
    """Show (once) the message a save left before it reran the page (as a toast, which takes
    no room, with ``toast``)."""
    message = st.session_state.pop(FLASH_KEY, None)
    if message and toast:
        st.toast(message, icon=":material/check_circle:")
    elif message:
        st.success(message, icon=":material/check_circle:")


def now() -> datetime:
    """The current time (UTC). The one clock of the meeting screens: page tests pin it."""
    return datetime.now(UTC)


def today() -> date:
    """Today in the business timezone, by :func:`now`."""
    return now().astimezone(config.business_tz()).date()
