"""Shared fixtures: a fresh migrated SQLite database per test, a fixed as-of time."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import Session

from smarketing.db import make_engine, upgrade_to_head

#: The fixed "now" of the test suite; no test reads the wall clock.
NOW = datetime(2026, 11, 18, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def business_timezone(monkeypatch):
    """Every test runs in the default business timezone, whatever the developer's shell says."""
    monkeypatch.setenv("SMARKETING_TIMEZONE", "Europe/Oslo")


@pytest.fixture
def db_url(tmp_path, monkeypatch):
    """URL of a fresh SQLite file; also exported as SMARKETING_DATABASE_URL."""
    url = f"sqlite:///{tmp_path / 'test.db'}"
    monkeypatch.setenv("SMARKETING_DATABASE_URL", url)
    monkeypatch.setenv("SMARKETING_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("SMARKETING_TIMEZONE", "Europe/Oslo")
    monkeypatch.delenv("SMARKETING_COOKIE_KEY", raising=False)
    return url


@pytest.fixture
def engine(db_url):
    """An engine on a fresh database migrated to head."""
    eng = make_engine(db_url)
    upgrade_to_head(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def session(engine):
    """A session on the fresh database."""
    with Session(engine, expire_on_commit=False) as s:
        yield s
