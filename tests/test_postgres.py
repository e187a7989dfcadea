"""The same code on PostgreSQL: migrations, the demo's bulk writes, the SLA figures.

Runs when SMARKETING_TEST_POSTGRES_URL points at a server (`.ci/run` starts one); the
figures must equal SQLite's for the same demo company.
"""

from __future__ import annotations

import json
import os
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import create_engine, text
from sqlmodel import Session

from smarketing.demo import build_demo
from smarketing.quality import stage_counts
from smarketing.sla import first_contact as sla_detail
from smarketing.sla import metrics as sla
from smarketing.store.db import make_engine, upgrade_to_head

SERVER = os.environ.get("SMARKETING_TEST_POSTGRES_URL", "")
NOW = datetime(2026, 11, 18, 12, tzinfo=UTC)

pytestmark = [
    pytest.mark.skipif(
        not SERVER and os.environ.get("SMARKETING_REQUIRE_POSTGRES") != "1",
        reason="set SMARKETING_TEST_POSTGRES_URL to a PostgreSQL server to run these",
    ),
    pytest.mark.sqlite_only("compares SQLite with PostgreSQL itself, in the SQLite pass"),
]


@pytest.fixture
def pg_url():
    """A fresh database on the test server, dropped afterwards."""
    if not SERVER:
        pytest.fail("SMARKETING_REQUIRE_POSTGRES=1 but SMARKETING_TEST_POSTGRES_URL is unset")
    name = f"smk_{uuid.uuid4().hex[:12]}"
    admin = create_engine(SERVER, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield SERVER.rsplit("/", 1)[0] + f"/{name}"
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


def figures(url: str) -> dict:
    engine = make_engine(url)
    upgrade_to_head(engine)
    build_demo(engine, leads=2000, now=NOW)
    with Session(engine) as s:
        reports = sla.sla_reports(s, sla.trailing_periods("month", NOW.date(), 13), now=NOW)
        current = reports[-1]
        dist = sla_detail.contact_distribution(s, current)
        overdue, total = sla_detail.overdue_mqls(s, current, now=NOW)
        out = {
            "reports": json.dumps([r.to_json() for r in reports], sort_keys=True),
            "bins": dist.bins.to_json(),
            "median": round(dist.median, 6),
            "p90": round(dist.p90, 6),
            "overdue": (total, overdue["lead"].tolist()),
            "pacing": sla_detail.pacing_frame(s, current, "sqls").round(6).to_dict("records"),
            "overview": stage_counts.overview_counts(s, NOW.date()).to_dict("records"),
        }
    engine.dispose()
    return out


def test_postgres_gives_the_same_figures_as_sqlite(pg_url, tmp_path):
    on_sqlite = figures(f"sqlite:///{tmp_path / 'same.db'}")
    on_postgres = figures(pg_url)
    for key in on_sqlite:
        assert on_postgres[key] == on_sqlite[key], f"{key} differs on PostgreSQL"
