"""Cached SLA aggregates, keyed by the data version (every write bumps it)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import streamlit as st
from sqlalchemy.engine import Engine

from smarketing import charts, i18n
from smarketing.sla import agreements, causes
from smarketing.sla import first_contact as sla_detail
from smarketing.sla import metrics as sla
from smarketing.sla.periods import local_midnight_utc, period_containing
from smarketing.ui.resources import data_key, session


def now_minute() -> datetime:
    """The current time, cut to the minute so cached figures are reused within a minute."""
    return datetime.now(UTC).replace(second=0, microsecond=0)


def _now_for(as_of: date) -> datetime:
    """The "now" that bounds deadlines: for a past as-of day its window end (so the cache
    key never changes), for today the current minute."""
    end = local_midnight_utc(as_of + timedelta(days=1))
    return min(end, now_minute())


@st.cache_data(show_spinner=False, max_entries=256)
def _reports(_engine: Engine, key, kind: str, as_of: date, count: int, now: datetime):
    with session(_engine) as s:
        return sla.sla_reports(s, sla.trailing_periods(kind, as_of, count), now=now)


def report(engine: Engine, kind: str, as_of: date, key=None) -> sla.SlaReport:
    """The SLA report of the period of ``kind`` containing ``as_of`` (``key``: the data key,
    when the page has read it already)."""
    return _reports(engine, key or data_key(engine), kind, as_of, 1, _now_for(as_of))[0]


def trailing(engine: Engine, kind: str, as_of: date, count: int = 13) -> list[sla.SlaReport]:
    """Reports of the ``count`` periods up to the one containing ``as_of``."""
    return _reports(engine, data_key(engine), kind, as_of, count, _now_for(as_of))


@st.cache_data(show_spinner=False, max_entries=64)
def _scorecard_spec(
    _engine: Engine, key, kinds: tuple[str, ...], as_of: date, now, language: str, size: tuple
) -> dict:
    reports = [_reports(_engine, key, kind, as_of, 1, now)[0] for kind in kinds]
    with i18n.language(language):
        frame = sla.scorecard_frame(reports)
        return charts.scorecard_chart(frame, font_size=size[0], row_height=size[1]).to_dict()


def scorecard_spec(
    engine: Engine, kinds: tuple[str, ...], as_of: date, key=None, *, font_size: int,
    row_height: int,
) -> dict:  # fmt: skip
    """The scorecard of the periods of ``kinds`` containing ``as_of`` as a ready Vega-Lite
    spec (built and validated once per data and language, as ``pacing_spec``)."""
    return _scorecard_spec(
        engine,
        key or data_key(engine),
        kinds,
        as_of,
        _now_for(as_of),
        i18n.current(),
        (font_size, row_height),
    )


@st.cache_data(show_spinner=False, max_entries=128)
def _pacing(_engine: Engine, key, kind: str, as_of: date, metric: str, now: datetime):
    with session(_engine) as s:
        rep = sla.sla_report(s, period_containing(kind, as_of), now=now)
        return sla_detail.pacing_frame(s, rep, metric)


def pacing(engine: Engine, kind: str, as_of: date, metric: str):
    """Daily cumulative actual, expected, target and forecast of a count metric."""
    return _pacing(engine, data_key(engine), kind, as_of, metric, _now_for(as_of))


@st.cache_data(show_spinner=False, max_entries=128)
def _pacing_spec(
    _engine: Engine, key, kind: str, as_of: date, metric: str, label: str, now, language: str
):
    frame = _pacing(_engine, key, kind, as_of, metric, now)
    with i18n.language(language):
        return charts.pacing_chart(frame, label).to_dict()


def pacing_spec(engine: Engine, kind: str, as_of: date, metric: str, label: str) -> dict:
    """The pacing chart as a ready Vega-Lite spec (built and validated once per data and
    language: its texts and number format are the language's)."""
    return _pacing_spec(
        engine, data_key(engine), kind, as_of, metric, label, _now_for(as_of), i18n.current()
    )


@st.cache_data(show_spinner=False, max_entries=128)
def _distribution(_engine: Engine, key, kind: str, as_of: date, now: datetime, language: str):
    with session(_engine) as s, i18n.language(language):
        rep = sla.sla_report(s, period_containing(kind, as_of), now=now)
        return sla_detail.contact_distribution(s, rep)


def distribution(engine: Engine, kind: str, as_of: date) -> sla_detail.ContactDistribution:
    """First-contact delays of the period's MQLs, binned, with median and 90th percentile
    (the bins labelled in the language speaking: one cache entry per language)."""
    return _distribution(engine, data_key(engine), kind, as_of, _now_for(as_of), i18n.current())


@st.cache_data(show_spinner=False, max_entries=128)
def _overdue(_engine: Engine, key, kind: str, as_of: date, now: datetime):
    with session(_engine) as s:
        rep = sla.sla_report(s, period_containing(kind, as_of), now=now)
        return sla_detail.overdue_mqls(s, rep, now=now)


def overdue(engine: Engine, kind: str, as_of: date):
    """(the most overdue uncontacted MQLs, how many in all)."""
    return _overdue(engine, data_key(engine), kind, as_of, _now_for(as_of))


def period_causes(engine: Engine, kind: str, as_of: date):
    """Causes recorded for the period (small; read fresh so a new one shows at once)."""
    with session(engine) as s:
        return causes.causes_for(s, period_containing(kind, as_of))


def history(engine: Engine) -> list[dict]:
    """Every agreement version with its changes (small; read fresh)."""
    with session(engine) as s:
        return agreements.agreement_history(s)
