"""Shared fixtures: a fresh migrated database per test, a fixed as-of time.

The database is a SQLite file, or with SMARKETING_TEST_DATABASE=postgresql a PostgreSQL
database of its own on SMARKETING_TEST_POSTGRES_URL (see tests/databases.py).
"""

from __future__ import annotations

import os
from datetime import UTC, datetime

import pytest
from sqlmodel import Session

from smarketing.store.db import make_engine, upgrade_to_head
from tests.databases import BACKENDS, PostgresDatabases, backend, on_postgres, postgres_server

#: The fixed "now" of the test suite; no test reads the wall clock.
NOW = datetime(2026, 11, 18, 12, 0, tzinfo=UTC)


def pytest_configure(config):
    # The suite speaks English unless a test chooses a language (i18n.language, ?lang=):
    # the app default would be Norwegian for the Europe/Oslo business timezone.
    os.environ["SMARKETING_LANGUAGE"] = "en"
    if backend() not in BACKENDS:
        raise pytest.UsageError(
            f"SMARKETING_TEST_DATABASE={backend()!r}: use one of {', '.join(BACKENDS)}"
        )
    if on_postgres() and not postgres_server():
        raise pytest.UsageError(
            "SMARKETING_TEST_DATABASE=postgresql needs SMARKETING_TEST_POSTGRES_URL "
            "(e.g. postgresql+psycopg://postgres@127.0.0.1:5432/postgres)"
        )


def pytest_report_header(config):
    return f"test database: {backend()}"


def pytest_collection_modifyitems(config, items):
    """Tests marked sqlite_only("why") are skipped, with the why, on PostgreSQL."""
    for item in items:
        marker = item.get_closest_marker("sqlite_only")
        if marker is None:
            continue
        reason = marker.args[0] if marker.args else marker.kwargs.get("reason")
        if not reason:
            raise pytest.UsageError(f"{item.nodeid}: sqlite_only needs a reason")
        if on_postgres():
            item.add_marker(pytest.mark.skip(reason=f"SQLite only: {reason}"))


@pytest.fixture(scope="session")
def postgres_databases():
    """The per-test database maker on PostgreSQL runs; None on SQLite runs."""
    if not on_postgres():
        yield None
        return
    databases = PostgresDatabases(postgres_server())
    yield databases
    databases.close()


@pytest.fixture
def new_database_url(tmp_path, postgres_databases):
    """Factory ``new(name="test", migrated=False) -> URL`` of a fresh database on the suite's
    backend: a SQLite file ``name.db`` in tmp_path, or a PostgreSQL database dropped after the
    test (``migrated=True`` copies the migrated template; still call upgrade_to_head)."""
    created: list[str] = []

    def new(name: str = "test", migrated: bool = False) -> str:
        if postgres_databases is None:
            return f"sqlite:///{tmp_path / f'{name}.db'}"
        url = postgres_databases.create(migrated)
        created.append(url)
        return url

    yield new
    for url in created:
        postgres_databases.drop(url)


@pytest.fixture(autouse=True)
def business_timezone(monkeypatch):
    """Every test runs in the default business timezone, whatever the developer's shell says."""
    monkeypatch.setenv("SMARKETING_TIMEZONE", "Europe/Oslo")


@pytest.fixture
def db_url(request, tmp_path, monkeypatch, new_database_url):
    """URL of a fresh database (SQLite: the file test.db); also exported as
    SMARKETING_DATABASE_URL. Unmigrated unless the test also uses ``engine``."""
    url = new_database_url("test", migrated="engine" in request.fixturenames)
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
