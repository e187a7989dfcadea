"""Job locks and workers on PostgreSQL: the advisory lock refuses a second holder and is
free again at its release, or at once when its process dies; two worker processes on one
PostgreSQL database run each job once.

Runs when SMARKETING_TEST_POSTGRES_URL points at a server (`.ci/run` starts one), in the
SQLite pass (the PostgreSQL pass runs tests/test_jobs.py on PostgreSQL as a whole).
"""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine, text

from smarketing.jobs.locks import advisory_key, job_lock, job_status
from smarketing.store.db import make_engine, upgrade_to_head
from tests import job_processes

SERVER = os.environ.get("SMARKETING_TEST_POSTGRES_URL", "")
NOW = datetime(2026, 11, 18, 12, tzinfo=UTC)
MINUTE = timedelta(minutes=1)

pytestmark = [
    pytest.mark.skipif(
        not SERVER and os.environ.get("SMARKETING_REQUIRE_POSTGRES") != "1",
        reason="set SMARKETING_TEST_POSTGRES_URL to a PostgreSQL server to run these",
    ),
    pytest.mark.sqlite_only("runs PostgreSQL itself, in the SQLite pass"),
]


@pytest.fixture
def pg_url():
    """A fresh migrated database on the test server, dropped afterwards."""
    if not SERVER:
        pytest.fail("SMARKETING_REQUIRE_POSTGRES=1 but SMARKETING_TEST_POSTGRES_URL is unset")
    name = f"smk_{uuid.uuid4().hex[:12]}"
    admin = create_engine(SERVER, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = SERVER.rsplit("/", 1)[0] + f"/{name}"
    engine = make_engine(url)
    upgrade_to_head(engine)
    engine.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def pg_engine(pg_url):
    engine = make_engine(pg_url)
    yield engine
    engine.dispose()


def advisory_locks(engine) -> int:
    """The advisory locks held on the server now."""
    with engine.connect() as conn:
        return conn.execute(
            text("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'")
        ).scalar_one()


def test_the_advisory_key_is_stable_and_distinct():
    # the first 8 bytes of sha256("smarketing.job:NAME") as a signed number: the same in
    # every process and every release (a changed key would let an old and a new process
    # run one job at once during an upgrade)
    assert advisory_key("sync-sources") == -4064264615503540670
    assert advisory_key("events-intake") == 2256482291180622723
    assert advisory_key("sync:sync-sources") != advisory_key("sync-sources")


def test_an_advisory_lock_refuses_a_second_holder_until_released(pg_engine, pg_url):
    other = make_engine(pg_url)  # another process's engine: its own connections
    try:
        with job_lock(pg_engine, "j", holder="a", lease=MINUTE, now=NOW) as first:
            assert first is True
            assert advisory_locks(pg_engine) == 1
            with job_lock(other, "j", holder="b", lease=MINUTE, now=NOW) as second:
                assert second is False
            held = {s.name: s for s in job_status(pg_engine)}["j"]
            assert (held.holder, held.last_status) == ("a", "running")
            # even after the displayed lease: the advisory lock, not the lease, decides
            late = NOW + timedelta(hours=1)
            with job_lock(other, "j", holder="b", lease=MINUTE, now=late) as second:
                assert second is False
        assert advisory_locks(pg_engine) == 0
        with job_lock(other, "j", holder="b", lease=MINUTE, now=NOW) as again:
            assert again is True
        done = {s.name: s for s in job_status(pg_engine)}["j"]
        assert (done.holder, done.last_status, done.last_error) == (None, "ok", None)
    finally:
        other.dispose()


def test_a_killed_holder_loses_the_advisory_lock_at_once(pg_engine, pg_url, tmp_path):
    out = tmp_path / "hold.txt"
    holder = job_processes.spawn(pg_url, "hold", 3600, 0, out=out)  # a lease of an hour
    try:
        job_processes.wait_for(lambda: "taken" in out.read_text(), what="the lock")
        with job_lock(pg_engine, "held", holder="b", lease=MINUTE) as taken:
            assert taken is False
        holder.kill()
        holder.wait(timeout=30)
        # the server ends the dead process's session, and with it the lock
        job_processes.wait_for(lambda: advisory_locks(pg_engine) == 0, what="the lock's end")
        with job_lock(pg_engine, "held", holder="b", lease=MINUTE) as taken:
            assert taken is True
    finally:
        holder.kill()


def test_two_workers_once_on_one_postgres_database_run_the_job_once(pg_url, tmp_path):
    job_processes.two_workers_once(pg_url, tmp_path)


def test_two_workers_on_one_postgres_database_run_each_tick_once(pg_url, tmp_path):
    job_processes.two_workers_serving(pg_url, tmp_path)
