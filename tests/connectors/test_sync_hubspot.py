"""A whole sync through the real HubSpot connector and the local HubSpot fake on 127.0.0.1:
the leads a CSV export gives are the leads a sync gives, an incremental sync writes only
what changed, a sync that breaks half-way (HubSpot answering 500 until the retries give up)
resumes from its checkpoint without duplicates, and a revoked token fails the sync with
HubSpot's reason and nothing written."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from smarketing.auth.permissions import Actor
from smarketing.connectors.hubspot import HubSpotConnector
from smarketing.data_in import sources, sync
from smarketing.data_in.reading import read_leads
from smarketing.data_in.upsert import import_leads
from smarketing.store.models import ImportRun, Lead, LeadActivity
from tests.conftest import NOW
from tests.fakes.hubspot import FakeHubSpot, serve
from tests.test_rollup import assert_in_step

ADMIN = Actor.of("anna", ["admin"])
TOKEN = "pat-na1-sync-test"


@pytest.fixture(scope="session")
def httpserver_listen_address():
    return ("127.0.0.1", 0)


@pytest.fixture
def fake(httpserver):
    fake = FakeHubSpot(contacts=120, token=TOKEN)
    fake.url = serve(httpserver, fake)
    return fake


@pytest.fixture
def source(session, fake, monkeypatch):
    monkeypatch.setenv("HUBSPOT_SYNC_TEST", TOKEN)
    monkeypatch.setattr(sync, "CHUNK", 50)  # 100 contacts a page: a checkpoint per page
    return sources.add_source(
        session,
        actor=ADMIN,
        name="hubspot",
        kind="hubspot",
        token_env="HUBSPOT_SYNC_TEST",
        base_url=fake.url,
    )


def no_sleep(_seconds: float) -> None:
    return None


def stored(engine) -> list[tuple]:
    keep = ("external_id", "first_name", "last_name", "email", "company", "title",
            "created_at", "mql_at", "sql_at", "opportunity_at", "customer_at", "source",
            "persona", "owner", "segment", "rejected_at", "rejection_reason")  # fmt: skip
    with Session(engine) as s:
        rows = s.exec(select(Lead).order_by(Lead.external_id)).scalars().all()
        return [tuple(getattr(r, k) for k in keep) for r in rows]


def count(engine, model) -> int:
    with Session(engine) as s:
        return s.exec(select(func.count()).select_from(model)).one()[0]


def test_a_csv_export_and_a_sync_of_the_same_contacts_give_the_same_leads(engine, fake, source):
    records = [
        lead
        for page in HubSpotConnector(TOKEN, base_url=fake.url).pages(None)
        for lead in page.leads
    ]
    columns = [c for c in HubSpotConnector.fields if any(r.get(c) for r in records)]
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    for r in records:
        writer.writerow([r.get(c) or "" for c in columns])
    import_leads(engine, read_leads(out.getvalue().encode(), "contacts.csv"), actor=ADMIN, now=NOW)
    from_csv = stored(engine)
    assert len(from_csv) == 120
    result = sync.sync_source(engine, "hubspot", actor=ADMIN, now=NOW, sleep=no_sleep)
    assert (result.fetched, result.inserted, result.updated, result.unchanged) == (120, 0, 0, 120)
    assert stored(engine) == from_csv


def test_an_incremental_sync_writes_only_what_changed_in_hubspot(engine, fake, source):
    first = sync.sync_source(engine, "hubspot", actor=ADMIN, now=NOW, sleep=no_sleep)
    assert (first.full, first.inserted) == (True, 120)
    assert first.activities == count(engine, LeadActivity) > 0
    fake.modify([3, 7, 11], jobtitle="Head of Growth")
    fake.add(2)
    fake.keep_requests = True
    fake.requests.clear()
    again = sync.sync_source(engine, "hubspot", actor=ADMIN, now=NOW, sleep=no_sleep)
    assert not again.full
    assert (again.fetched, again.inserted, again.updated) == (5, 2, 3), again.rejects
    assert all(path.endswith("/search") or "owners" in path for _m, path, _a, _b in fake.requests)
    with Session(engine) as s:
        titles = s.exec(select(Lead.title).where(Lead.external_id.in_(["3", "7", "11"]))).all()
    assert [t[0] for t in titles] == ["Head of Growth"] * 3
    assert_in_step(engine)


def test_a_sync_broken_half_way_resumes_from_its_checkpoint_without_duplicates(
    engine, fake, source
):
    fake.add(230)  # 350 contacts: four pages of the list API
    # the first page is answered; then HubSpot fails, 5 tries
    fake.slow(0.0, times=1, path="/crm/v3/objects/contacts")
    fake.fail(500, times=5, path="/crm/v3/objects/contacts")
    with pytest.raises(sync.SyncFailed, match="failed 5 times"):
        sync.sync_source(engine, "hubspot", actor=ADMIN, now=NOW, sleep=no_sleep)
    kept = count(engine, Lead)
    assert kept == 100  # the first page's checkpoint stays
    with Session(engine) as s:
        run = s.exec(select(ImportRun)).scalars().one()
        assert (run.status, run.created) == ("failed", kept)
    result = sync.sync_source(engine, "hubspot", actor=ADMIN, now=NOW, sleep=no_sleep)
    assert result.inserted == 350 - kept
    with Session(engine) as s:
        ids = [i[0] for i in s.exec(select(Lead.external_id)).all()]
    assert len(ids) == len(set(ids)) == 350
    assert_in_step(engine)


def test_a_revoked_token_fails_the_sync_with_hubspots_reason_and_writes_nothing(
    engine, fake, source
):
    fake.revoked = True
    with pytest.raises(sync.SyncFailed, match=r"(?i)revoked|expired|token"):
        sync.sync_source(engine, "hubspot", actor=ADMIN, now=NOW, sleep=no_sleep)
    assert count(engine, Lead) == 0
    status = sync.freshness(engine)
    assert status.failed_source == "hubspot" and "AuthFailed" in status.failed_why
