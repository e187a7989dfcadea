"""The cached engine, first-start work (migrations, demo company) and cached aggregates."""

from __future__ import annotations

import re
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date

import streamlit as st
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from smarketing import charts, config, demo, i18n
from smarketing.api import startup
from smarketing.auth.permissions import SYSTEM_ACTOR
from smarketing.data_in import sync
from smarketing.errors import (
    DatabaseBusy,
    DatabaseConnectionLost,
    DatabaseUnavailable,
    SmarketingError,
)
from smarketing.formatting import count
from smarketing.i18n import _, ngettext
from smarketing.quality import stage_counts
from smarketing.store import db

_first_start_lock = threading.Lock()
RETRY_KEY = "_smarketing_database_retry"
#: In a message: an existing code span, a URL or an absolute path (shown as code).
_LITERAL = re.compile(r"`[^`]*`|(?<![\w`])(?:[a-z][\w+.-]*://|/)[^\s`]*[^\s`.,;:)]", re.I)
_MARKDOWN_SIGNS = re.compile(r"([\\`*_\[\]<>$~|#!{}])")


@st.cache_resource(show_spinner=False)
def _engine(url: str) -> Engine:
    # the same start-up as the server's (schema, interrupted imports, file-mode warnings)
    return startup.ready_engine(url)


@st.cache_data(ttl=300, show_spinner=False)
def file_mode_problems(url: str) -> list[str]:
    """The private files open to group or others, each with the chmod that fixes it (checked
    again at most every 5 minutes, so a fix shows soon without a stat on every run)."""
    return [str(problem) for problem in db.mode_problems(url)]


def file_mode_warning(*, full: bool) -> None:
    """For an admin: private files open to other users of the server — one line in the
    sidebar (``full=False``), or each file with its chmod (the Users page)."""
    problems = file_mode_problems(config.database_url())
    if not problems:
        return
    if not full:
        st.sidebar.warning(
            ngettext(
                "{n} data file readable by other users of the server: see **Admin → Users**.",
                "{n} data files readable by other users of the server: see **Admin → Users**.",
                len(problems),
            ).format(n=count(len(problems))),
            icon=":material/lock_open:",
        )
        return
    listed = "\n".join(f"- {_as_markdown(p[:1].upper() + p[1:])}." for p in problems)
    st.warning(
        "**" + _("Data files readable by other users of the server") + f"**\n\n{listed}",
        icon=":material/lock_open:",
    )


def engine() -> Engine:
    """The migrated engine for the configured URL; a clear message (and stop) if unusable."""
    try:
        return _engine(config.database_url())
    except DatabaseUnavailable as exc:
        show_database_problem(exc)
        st.stop()
    except SmarketingError as exc:
        st.error(
            _("The database cannot be used: {problem}").format(problem=exc),
            icon=":material/error:",
        )
        st.caption(_("Check SMARKETING_DATABASE_URL, then reload the page."))
        st.stop()


def _as_markdown(message: str) -> str:
    """A plain-text message for st.error: paths and URLs as code, other Markdown signs inert."""
    parts, start = [], 0
    for match in _LITERAL.finditer(message):
        parts.append(_MARKDOWN_SIGNS.sub(r"\\\1", message[start : match.start()]))
        literal = match.group()
        parts.append(literal if literal.startswith("`") else f"`{literal}`")
        start = match.end()
    parts.append(_MARKDOWN_SIGNS.sub(r"\\\1", message[start:]))
    return "".join(parts)


def show_database_problem(problem: DatabaseUnavailable) -> None:
    """Say what is wrong with the database and what to do; a Retry button when it may pass."""
    text = _as_markdown(str(problem)) + "."
    if isinstance(problem, DatabaseConnectionLost):
        st.error(
            f"{text[:1].upper()}{text[1:]}\n\n"
            + _("Smarketing reconnects on the next run once the server is back: press **Retry**."),
            icon=":material/cloud_off:",
        )
    elif isinstance(problem, DatabaseBusy):
        st.warning(
            f"{text[:1].upper()}{text[1:]}\n\n" + _("Press **Retry** to try again."),
            icon=":material/hourglass_top:",
        )
    else:
        st.error(
            _("The database cannot be used: {problem}").format(problem=text),
            icon=":material/error:",
        )
        st.caption(_("Fix this, then reload the page."))
        return
    st.button(_("Retry"), key=RETRY_KEY, type="primary", icon=":material/refresh:")


@contextmanager
def database_guard() -> Iterator[None]:
    """Run the block; if the database is busy, gone or unusable, say so and stop the run
    (a Retry button when it may pass) instead of showing a traceback. Other errors raise."""
    try:
        yield
    except DBAPIError as exc:
        problem = db.unavailable(exc, config.database_url())
        if problem is None:
            raise
        print(f"Smarketing: database problem: {problem}", file=sys.stderr, flush=True)
        show_database_problem(problem)
        st.stop()
    except DatabaseUnavailable as exc:
        show_database_problem(exc)
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
        bar = st.progress(0.0, text=_("First start: writing the demo company…"))
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


def data_key(engine: Engine) -> tuple[str, int]:
    """The part of every cached aggregate's key that says which data it counts: the
    database and its data version (every write bumps it)."""
    return config.database_url(), data_version(engine)


def activity_key(engine: Engine) -> tuple[str, int, int]:
    """The key of what counts website activities (the hot leads, the newest timestamp):
    the database, its data version and its website-activity version (the event intake
    bumps only the latter: the figures stay cached while a website sends events)."""
    with session(engine) as s:
        return (config.database_url(), *db.versions(s))


@st.cache_data(show_spinner=False, max_entries=64)
def overview_counts(_engine: Engine, url: str, version: int, as_of: date, language: str):
    """Cached stage counts for the week and month of ``as_of``; ``language`` keys the cache
    (each row says what it is compared with in words)."""
    with i18n.language(language), session(_engine) as s:
        return stage_counts.overview_counts(s, as_of)


@st.cache_data(show_spinner=False, max_entries=64)
def weekly_counts(
    _engine: Engine, url: str, version: int, as_of: date, language: str, weeks: int = 13
):
    """Cached stage counts of the trailing weeks; ``language`` keys the cache (each week is
    labelled in words)."""
    with i18n.language(language), session(_engine) as s:
        return stage_counts.weekly_stage_counts(s, as_of, weeks=weeks)


@st.cache_data(show_spinner=False, max_entries=64)
def weekly_stage_specs(_engine: Engine, url: str, version: int, as_of: date, language: str):
    """The Overview's charts of the last 13 weeks, one per stage, as ready Vega-Lite specs
    (built and validated once per data and language: rebuilding them was most of a warm
    page run)."""
    weekly = weekly_counts(_engine, url, version, as_of, language)
    with i18n.language(language):
        return [charts.weekly_stage_chart(weekly, s.label).to_dict() for s in stage_counts.STAGES]


@st.cache_data(show_spinner=False, max_entries=16)
def store_facts(_engine: Engine, url: str, version: int, activities: int) -> dict:
    """Cached facts for the frame (keyed by ``activity_key``: the newest timestamp may be a
    website activity's): the newest timestamp, the demo flag and how fresh the CRM sync is
    (None without a data source; a failed sync bumps the data version too)."""
    with session(_engine) as s:
        facts = {"as_of": stage_counts.data_as_of(s), "demo": demo.has_demo(s)}
    facts["sync"] = sync.freshness(_engine)
    return facts
