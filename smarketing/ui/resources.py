"""The cached engine, first-start work (migrations, demo company) and cached aggregates."""

from __future__ import annotations

import sys
import threading
from datetime import date

import streamlit as st
from sqlalchemy.engine import Engine
from sqlmodel import Session

from smarketing import config, db, demo, stage_counts
from smarketing.errors import SmarketingError
from smarketing.permissions import SYSTEM_ACTOR

_first_start_lock = threading.Lock()


@st.cache_resource(show_spinner=False)
def _engine(url: str) -> Engine:
    engine = db.make_engine(url)
    db.upgrade_to_head(engine)
    return engine


def engine() -> Engine:
    """The migrated engine for the configured URL; a clear message (and stop) if unusable."""
    try:
        return _engine(config.database_url())
    except SmarketingError as exc:
        st.error(f"The database cannot be used: {exc}", icon=":material/error:")
        st.caption("Check SMARKETING_DATABASE_URL and the folder's permissions, then reload.")
        st.stop()


def session(engine: Engine) -> Session:
    """A new session (use as a context manager)."""
    return Session(engine, expire_on_commit=False)


def ensure_demo(engine: Engine) -> None:
    """On a never-used database, write the demo company with a progress bar (once)."""
    if db.env_flag("SMARKETING_NO_DEMO"):
        return
    with session(engine) as s:
        if db.get_setting(s, demo.DEMO_SETTING) is not None or stage_counts.lead_total(s):
            return
    with _first_start_lock:
        with session(engine) as s:
            if db.get_setting(s, demo.DEMO_SETTING) is not None or stage_counts.lead_total(s):
                return
        bar = st.progress(0.0, text="First start: writing the demo company…")
        summary = demo.build_demo(
            engine,
            progress=lambda f, t: bar.progress(min(f, 1.0), text=t),
            actor=SYSTEM_ACTOR,
        )
        bar.empty()
        print(
            f"Smarketing: wrote the demo company ({summary.leads} leads) in "
            f"{summary.seconds:.1f} s",
            file=sys.stderr,
            flush=True,
        )


def data_version(engine: Engine) -> int:
    """The store's data version: part of every cached aggregate's key."""
    with session(engine) as s:
        return db.data_version(s)


@st.cache_data(show_spinner=False, max_entries=64)
def overview_counts(_engine: Engine, url: str, version: int, as_of: date):
    """Cached stage counts for the week and month of ``as_of``."""
    with session(_engine) as s:
        return stage_counts.overview_counts(s, as_of)


@st.cache_data(show_spinner=False, max_entries=64)
def weekly_counts(_engine: Engine, url: str, version: int, as_of: date, weeks: int = 13):
    """Cached stage counts of the trailing weeks."""
    with session(_engine) as s:
        return stage_counts.weekly_stage_counts(s, as_of, weeks=weeks)


@st.cache_data(show_spinner=False, max_entries=16)
def store_facts(_engine: Engine, url: str, version: int) -> dict:
    """Cached facts for the frame: newest timestamp, lead count, demo flag."""
    with session(_engine) as s:
        return {
            "as_of": stage_counts.data_as_of(s),
            "leads": stage_counts.lead_total(s),
            "demo": demo.has_demo(s),
        }
