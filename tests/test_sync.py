"""The sync engine (smarketing.data_in.sync) on a connector that serves pages from a list:
checkpoints, resuming after a failure, one matching rule with the CSV import, owners by
e-mail, the run in the import list, due sources, freshness and permissions. The
connectors themselves are tested against local fakes of the vendors' APIs in
tests/connectors/."""

from __future__ import annotations

import json
import threading
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from smarketing.auth.permissions import Actor
from smarketing.connectors.base import Activity, Connector, Page, Unreachable
from smarketing.data_in import planning, sources, sync
from smarketing.data_in.reading import read_leads
from smarketing.data_in.upsert import import_leads
from smarketing.errors import InvalidInput, PermissionDenied
from smarketing.store.models import (
    AuditEntry,
    DataSource,
    ImportRun,
    Lead,
    LeadActivity,
    LeadChange,
    User,
)
from tests.conftest import NOW
from tests.test_rollup import assert_in_step

ADMIN = Actor.of("anna", ["admin"])
MARKETING = Actor.of("mia", ["marketing"])


def contact(i: int, **changes: str | None) -> dict[str, str | None]:
    """A HubSpot contact as the search API gives its properties (internal names)."""
    record = {
        "hs_object_id": str(1000 + i),
        "firstname": f"Kari{i}",
        "lastname": "Nordmann",
        "email": f"kari{i}@example.no",
        "company": "Fjord AS",
        "createdate": f"2026-09-{1 + i % 20:02d}T08:00:00.000Z",
        "hs_lifecyclestage_marketingqualifiedlead_date": (
            f"2026-09-{1 + i % 20:02d}T10:00:00.000Z" if i % 2 == 0 else None
        ),
        "hs_analytics_source": "ORGANIC_SEARCH",
        "lastmodifieddate": f"2026-10-01T{i % 24:02d}:00:00.000Z",
    }
    record.update(changes)
    return record


class ListConnector(Connector):
    """Serves ``records`` in pages of ``size``; the cursor is the index of the next record.
    ``fail_at``: raise Unreachable when asked for the page starting there."""

    kind = "hubspot"
    label = "HubSpot"
    format = "hubspot"
    default_base_url = "http://127.0.0.1:9"
    fields = ()

    def __init__(self, records, size=2, fail_at=None, activities=()):
        super().__init__("token")
        self.records, self.size, self.fail_at = records, size, fail_at
        self.activities = list(activities)
        self.asked: list[str | None] = []

    def check(self) -> str:
        return "list account"

    def pages(self, cursor):
        self.asked.append(cursor)
        start = json.loads(cursor)["next"] if cursor else 0
        for lo in range(start, len(self.records), self.size):
            if self.fail_at is not None and lo >= self.fail_at:
                raise Unreachable("HubSpot did not answer (test)")
            part = self.records[lo : lo + self.size]
            acts = [
                a
                for a in self.activities
                if a.lead_external_id in {r["hs_object_id"] for r in part}
            ]
            yield Page(
                leads=[dict(r) for r in part],
                activities=acts,
                cursor=json.dumps({"next": lo + len(part)}),
                fetched=len(part) + len(acts),
                total=len(self.records),
            )


@pytest.fixture
def source(session, monkeypatch):
    monkeypatch.setenv("HUBSPOT_TEST_TOKEN", "pat-test")
    monkeypatch.setattr(sync, "CHUNK", 4)  # two pages of two per checkpoint
    return sources.add_source(
        session, actor=ADMIN, name="hubspot", kind="hubspot", token_env="HUBSPOT_TEST_TOKEN"
    )


def lead_rows(engine):
    with Session(engine) as s:
        rows = s.exec(select(Lead).order_by(Lead.external_id)).scalars().all()
        keep = (
            "external_id",
            "first_name",
            "last_name",
            "email",
            "company",
            "created_at",
            "mql_at",
            "source",
            "owner",
            "source_system",
        )
        return [{k: getattr(r, k) for k in keep} for r in rows]


def test_a_first_sync_stores_every_record_checkpoint_by_checkpoint(engine, source):
    conn = ListConnector([contact(i) for i in range(10)])
    steps = []
    result = sync.sync_source(
        engine,
        "hubspot",
        actor=ADMIN,
        now=NOW,
        connector=conn,
        progress=lambda f, t: steps.append(f),
    )
    assert (result.fetched, result.inserted, result.updated, result.unchanged) == (10, 10, 0, 0)
    assert result.full and not result.dry_run
    with Session(engine) as s:
        assert s.exec(select(func.count()).select_from(Lead)).one()[0] == 10
        run = s.get(ImportRun, result.run_id)
        assert (run.kind, run.format, run.status, run.source_id) == ("sync", "hubspot", "done", 1)
        assert (run.fetched, run.created, run.rows_read) == (10, 10, 10)
        assert run.message == result.summary
        stored = s.get(DataSource, 1)
        assert json.loads(stored.cursor) == {"next": 10}
        assert s.exec(select(AuditEntry).where(AuditEntry.action == "source.sync")).first()
    # 10 records in pages of 2 (a fifth of the total each), three chunks: a step per batch
    # and per checkpoint, each saying how much is read so far (the next chunk is read
    # while one is stored), so the fractions only grow, to the end
    assert steps == sorted(steps) and steps[0] == 0.0 and steps[-1] == 1.0
    assert set(steps) <= {0.0, 0.2, 0.4, 0.6, 0.8, 0.99, 1.0}
    assert 0.99 in steps and len(steps) >= 5
    lead = lead_rows(engine)[0]
    assert lead["external_id"] == "1000" and lead["source_system"] == "hubspot"
    assert lead["created_at"] == datetime(2026, 9, 1, 8, tzinfo=UTC)
    assert lead["mql_at"] == datetime(2026, 9, 1, 10, tzinfo=UTC)
    assert lead["source"] == "Organic Search"  # HubSpot's code, as the CSV import reads it


class _Stop(Exception):
    pass


def test_a_sync_waiting_for_a_slow_crm_reports_progress_and_stops_when_asked(
    engine, source, monkeypatch
):
    """The next chunk is read in a thread of its own: while the sync waits for it, it
    still reports its progress (a job asked to stop raises there) and stops at once."""
    monkeypatch.setattr(sync, "WAIT_REPORT_S", 0.05)
    monkeypatch.setattr(sync, "CHUNK", 6)  # three pages of two
    release = threading.Event()
    served = []

    class Slow(ListConnector):
        def pages(self, cursor):
            for i, page in enumerate(super().pages(cursor)):
                if i == 1:
                    release.wait(30)  # the CRM takes its time with the second page
                served.append(i)
                yield page

    calls = []

    def progress(fraction, text):
        calls.append(fraction)
        if len(calls) == 4:
            raise _Stop("asked to stop")

    began = time.monotonic()
    try:
        with pytest.raises(sync.SyncFailed, match="asked to stop"):
            sync.sync_source(
                engine,
                "hubspot",
                actor=ADMIN,
                now=NOW,
                connector=Slow([contact(i) for i in range(10)]),
                progress=progress,
            )
        assert time.monotonic() - began < 10  # not after the CRM's 30 s
    finally:
        release.set()
    assert calls[0] == 0.0 and len(calls) == 4
    # the thread reading ahead asks for no page after the one it was waiting for
    deadline = time.monotonic() + 10
    while any(t.name.startswith("sync-next-chunk") for t in threading.enumerate()):
        assert time.monotonic() < deadline
        time.sleep(0.01)
    assert served == [0, 1]
    with Session(engine) as s:
        run = s.exec(select(ImportRun)).one()[0]
        assert run.status == "failed" and run.created == 0


def test_a_timeout_raised_while_reading_ahead_fails_the_sync(engine, source, monkeypatch):
    """A TimeoutError from the thread reading ahead (a connector's own, unwrapped) is the
    sync's error, not "still waiting" (Python's TimeoutError is the futures' one)."""
    monkeypatch.setattr(sync, "WAIT_REPORT_S", 0.05)

    class TimesOut(ListConnector):
        def pages(self, cursor):
            yield from super().pages(cursor)
            raise TimeoutError("the CRM timed out")

    began, calls = time.monotonic(), []
    with pytest.raises(sync.SyncFailed, match="the CRM timed out"):
        sync.sync_source(
            engine,
            "hubspot",
            actor=ADMIN,
            now=NOW,
            connector=TimesOut([contact(i) for i in range(3)]),
            progress=lambda f, t: calls.append(f),
        )
    assert time.monotonic() - began < 10 and len(calls) < 100


def test_the_next_sync_starts_at_the_cursor_and_counts_only_what_changed(engine, source):
    records = [contact(i) for i in range(6)]
    sync.sync_source(engine, "hubspot", actor=ADMIN, now=NOW, connector=ListConnector(records))
    records.append(contact(6))
    records.append(contact(2, company="Havet AS", lastmodifieddate="2026-10-02T00:00:00Z"))
    conn = ListConnector(records)
    result = sync.sync_source(engine, "hubspot", actor=ADMIN, now=NOW, connector=conn)
    assert conn.asked == [json.dumps({"next": 6})]
    assert (result.fetched, result.inserted, result.updated, result.unchanged) == (2, 1, 1, 0)
    assert not result.full
    with Session(engine) as s:
        change = s.exec(select(LeadChange)).scalars().all()
        assert change == []  # company is not a tracked field; the lead itself changed
        lead = s.exec(select(Lead).where(Lead.external_id == "1002")).scalars().one()
        assert lead.company == "Havet AS"


def test_a_sync_that_fails_half_way_keeps_its_checkpoints_and_resumes_without_duplicates(
    engine, source
):
    records = [contact(i) for i in range(10)]
    with pytest.raises(sync.SyncFailed) as failed:
        sync.sync_source(
            engine, "hubspot", actor=ADMIN, now=NOW, connector=ListConnector(records, fail_at=6)
        )
    assert "HubSpot did not answer" in str(failed.value)
    assert "the 4 leads stored before stay" in str(failed.value)
    with Session(engine) as s:
        # the first chunk (records 0-3) was checkpointed; records 4-5 were being written
        # when page 6 failed: that chunk is undone
        assert s.exec(select(func.count()).select_from(Lead)).one()[0] == 4
        run = s.exec(select(ImportRun)).scalars().one()
        assert (run.status, run.created, run.fetched) == ("failed", 4, 4)
        assert "Unreachable" in run.message and "continues from there" in run.message
        assert json.loads(s.get(DataSource, 1).cursor) == {"next": 4}
    status = sync.freshness(engine)
    assert status.synced_at is None and status.failed_source == "hubspot"
    assert "did not answer" in status.failed_why
    again = ListConnector(records)
    result = sync.sync_source(engine, "hubspot", actor=ADMIN, now=NOW, connector=again)
    assert again.asked == [json.dumps({"next": 4})]
    assert (result.inserted, result.unchanged) == (6, 0)
    ids = [r["external_id"] for r in lead_rows(engine)]
    assert ids == [str(1000 + i) for i in range(10)]  # each once
    assert_in_step(engine)  # the daily rollups count what is stored
    status = sync.freshness(engine)
    assert status.synced_at is not None and status.failed_source is None


def test_csv_import_and_sync_of_the_same_records_give_the_same_leads(engine, source, tmp_path):
    records = [contact(i) for i in range(6)]
    labels = {
        "hs_object_id": "Record ID",
        "firstname": "First Name",
        "lastname": "Last Name",
        "email": "Email",
        "company": "Company Name",
        "createdate": "Create Date",
        "hs_lifecyclestage_marketingqualifiedlead_date": "Became a Marketing Qualified Lead Date",
        "hs_analytics_source": "Original Source",
    }
    lines = [",".join(labels.values())]
    for r in records:
        lines.append(",".join(r[k] or "" for k in labels))
    parsed = read_leads(("\n".join(lines) + "\n").encode(), "contacts.csv")
    import_leads(engine, parsed, actor=ADMIN, now=NOW)
    from_csv = lead_rows(engine)
    result = sync.sync_source(
        engine, "hubspot", actor=ADMIN, now=NOW, connector=ListConnector(records)
    )
    assert (result.inserted, result.updated, result.unchanged) == (0, 0, 6)  # the same leads
    assert lead_rows(engine) == from_csv


def test_an_owner_whose_email_is_a_users_gets_the_users_name(engine, source, session):
    session.add(User(username="sara", name="Sara Salg", email="Sara@Firma.no", password_hash="x"))
    session.commit()
    records = [
        contact(0, hubspot_owner_id="7", _owner_email="sara@firma.no", _owner_name="S. Salg"),
        contact(1, hubspot_owner_id="8", _owner_email="other@firma.no", _owner_name="Ola"),
    ]
    for r in records:
        r["Contact owner"] = r.pop("hubspot_owner_id") and r["_owner_name"]
    sync.sync_source(engine, "hubspot", actor=ADMIN, now=NOW, connector=ListConnector(records))
    assert [r["owner"] for r in lead_rows(engine)] == ["Sara Salg", "Ola"]


def test_activities_from_the_crm_are_stored_once(engine, source):
    when = datetime(2026, 9, 3, 12, tzinfo=UTC)
    acts = [
        Activity("1000", when, "form", "Download e-book"),
        Activity("1001", when, "page_view", "/pricing"),
    ]
    records = [contact(0), contact(1)]
    first = sync.sync_source(
        engine, "hubspot", actor=ADMIN, now=NOW, connector=ListConnector(records, activities=acts)
    )
    assert first.activities == 2
    again = sync.sync_source(
        engine,
        "hubspot",
        actor=ADMIN,
        now=NOW,
        full=True,
        connector=ListConnector(records, activities=acts),
    )
    assert again.activities == 0 and again.unchanged == 2
    with Session(engine) as s:
        assert s.exec(select(func.count()).select_from(LeadActivity)).one()[0] == 2


def test_a_rejected_record_is_named_by_its_crm_id(engine, source):
    records = [
        contact(0),
        contact(1, createdate="not a date", hs_lifecyclestage_marketingqualifiedlead_date=None),
    ]
    result = sync.sync_source(
        engine, "hubspot", actor=ADMIN, now=NOW, connector=ListConnector(records)
    )
    assert (result.inserted, result.rejected) == (1, 1)
    assert result.rejects[0].startswith("HubSpot record 1001 (createdate): ")


def test_a_dry_run_writes_nothing_and_keeps_the_cursor(engine, source):
    result = sync.sync_source(
        engine,
        "hubspot",
        actor=ADMIN,
        now=NOW,
        dry_run=True,
        connector=ListConnector([contact(i) for i in range(5)]),
    )
    assert (result.inserted, result.run_id) == (5, None)
    with Session(engine) as s:
        assert s.exec(select(func.count()).select_from(Lead)).one()[0] == 0
        assert s.exec(select(func.count()).select_from(ImportRun)).one()[0] == 0
        assert s.get(DataSource, 1).cursor is None


def test_only_admins_sync_and_manage_sources(engine, source, session):
    with pytest.raises(PermissionDenied):
        sync.sync_source(engine, "hubspot", actor=MARKETING, connector=ListConnector([]))
    with pytest.raises(PermissionDenied):
        sources.add_source(session, actor=MARKETING, name="x", kind="hubspot", token_env="X")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": "hubspot"}, "exists already"),
        ({"kind": "zoho"}, "unknown CRM 'zoho'"),
        ({"token_env": "pat-na1-1234-abcd"}, "not the name of an environment variable"),
        ({"base_url": "ftp://x"}, "is not an http"),
        ({"every_minutes": 0}, "every 1 to 1440 minutes"),
    ],
)
def test_a_source_with_bad_settings_is_refused_with_the_reason(session, source, changes, message):
    values = dict(name="other", kind="pipedrive", token_env="PIPEDRIVE_TOKEN") | changes
    with pytest.raises(InvalidInput, match=message):
        sources.add_source(session, actor=ADMIN, **values)


def test_the_token_is_never_stored_and_a_missing_one_says_where_to_set_it(
    engine, session, source, monkeypatch
):
    monkeypatch.delenv("HUBSPOT_TEST_TOKEN")
    with pytest.raises(sync.SyncFailed, match="set the environment variable HUBSPOT_TEST_TOKEN"):
        sync.sync_source(engine, "hubspot", actor=ADMIN, now=NOW)
    with Session(engine) as s:
        texts = [a.detail for a in s.exec(select(AuditEntry)).scalars()]
    assert all("pat-test" not in t for t in texts)


def test_sources_are_due_when_asked_for_never_synced_or_older_than_their_schedule(
    engine, session, source
):
    assert sync.due_sources(engine, now=NOW) == ["hubspot"]  # never synced
    sync.sync_source(engine, "hubspot", actor=ADMIN, now=NOW, connector=ListConnector([contact(0)]))
    assert sync.due_sources(engine, now=NOW + timedelta(minutes=14)) == []
    assert sync.due_sources(engine, now=NOW + timedelta(minutes=15)) == ["hubspot"]
    sources.request_sync(session, "hubspot", actor=ADMIN, now=NOW)
    assert sync.due_sources(engine, now=NOW + timedelta(minutes=1)) == ["hubspot"]
    sources.update_source(session, "hubspot", actor=ADMIN, enabled=False)
    assert sync.due_sources(engine, now=NOW + timedelta(days=1)) == []


def test_checkpoints_between_recounts_leave_the_rollups_in_step_at_the_end(
    engine, source, monkeypatch
):
    monkeypatch.setattr(sync, "SETTLE_SECONDS", 3600.0)  # only the end recounts
    records = [contact(i) for i in range(10)]
    sync.sync_source(engine, "hubspot", actor=ADMIN, now=NOW, connector=ListConnector(records))
    assert_in_step(engine)
    with pytest.raises(sync.SyncFailed):  # changes parked at a checkpoint, then a failure
        changed = [
            contact(i, hs_lifecyclestage_marketingqualifiedlead_date="2026-09-25T10:00:00Z")
            for i in range(10)
        ]
        sync.sync_source(
            engine,
            "hubspot",
            actor=ADMIN,
            now=NOW,
            full=True,
            connector=ListConnector(changed, fail_at=8),
        )
    assert_in_step(engine)


def test_the_syncs_messages_in_norwegian(engine, source, monkeypatch):
    """Issue 18: the summary, a rejected record's reason, the failure and the missing
    token in Norwegian bokmål."""
    from smarketing import i18n

    records = [
        contact(0),
        contact(1, createdate="not a date", hs_lifecyclestage_marketingqualifiedlead_date=None),
        *(contact(i) for i in range(2, 10)),
    ]
    with i18n.language("nb"), pytest.raises(sync.SyncFailed) as failed:
        sync.sync_source(
            engine, "hubspot", actor=ADMIN, now=NOW, connector=ListConnector(records, fail_at=6)
        )
    said = str(failed.value)
    assert said.startswith("HubSpot-synkroniseringen av 'hubspot' feilet: HubSpot did not")
    assert said.endswith(
        "; de 3 leadene som ble lagret før, blir stående, og neste synkronisering fortsetter derfra"
    )
    with i18n.language("nb"):
        result = sync.sync_source(
            engine, "hubspot", actor=ADMIN, now=NOW, connector=ListConnector(records)
        )
        assert result.summary == "6 hentet, 6 nye, 0 oppdatert, 0 uendret, 0 avvist"
        monkeypatch.delenv("HUBSPOT_TEST_TOKEN")
        with pytest.raises(sync.SyncFailed) as failed:
            sync.sync_source(engine, "hubspot", actor=ADMIN, now=NOW)
    assert "hubspot: ikke noe HubSpot-token: sett " in str(failed.value)
    assert "for appen (og workeren), og prøv igjen" in str(failed.value)


def test_a_rejected_records_reason_in_norwegian(engine, source):
    from smarketing import i18n

    records = [contact(1, createdate="not a date")]
    with i18n.language("nb"):
        result = sync.sync_source(
            engine, "hubspot", actor=ADMIN, now=NOW, connector=ListConnector(records)
        )
    assert result.rejects[0].startswith("HubSpot-post 1001 (createdate): ikke en dato: ")


def test_a_field_set_to_not_imported_stays_out_and_the_sync_goes_on(engine, source, session):
    """A mapping that sends a field the connector reads to "not imported" (or names a field
    this account does not send) used to stop every sync: the field had been left out of the
    records before the mapping was checked against them."""
    records = [contact(i, jobtitle="Head of Growth") for i in range(4)]
    sources.set_mapping(
        session, "hubspot", {"jobtitle": "", "not_in_this_account": "segment"}, actor=ADMIN
    )
    result = sync.sync_source(
        engine, "hubspot", actor=ADMIN, now=NOW, connector=ListConnector(records)
    )
    assert (result.fetched, result.inserted, result.rejected) == (4, 4, 0)
    with Session(engine) as s:
        titles = s.exec(select(Lead.title)).scalars().all()
    assert titles == ["", "", "", ""]  # (the title was not imported)


def test_later_chunks_take_the_spelling_earlier_ones_stored_read_from_the_database_once(
    engine, source, monkeypatch
):
    """A grouping value is written as the spelling stored first, whichever chunk of the
    sync stored it — as a later sync would write it — and the stored spellings are read
    from the database once per sync, not once per chunk (a scan of ``lead`` per field and
    chunk, 2.2 s of a 100,000-contact sync)."""
    reads = []
    real = planning._stored_spellings
    monkeypatch.setattr(
        planning,
        "_stored_spellings",
        lambda conn, fields: reads.append(list(fields)) or real(conn, fields),
    )
    personas = ["Marketing Manager"] * 4 + ["marketing manager", "Head of Sales"] * 2
    personas += ["head of sales", "MARKETING MANAGER"]  # (chunks of four: 3 chunks)
    records = [contact(i, hs_persona=p) for i, p in enumerate(personas)]
    result = sync.sync_source(
        engine, "hubspot", actor=ADMIN, now=NOW, connector=ListConnector(records)
    )
    assert result.inserted == 10
    with Session(engine) as s:
        stored = s.exec(select(Lead.persona).order_by(Lead.external_id)).scalars().all()
    assert stored == ["Marketing Manager"] * 4 + ["Marketing Manager", "Head of Sales"] * 2 + [
        "Head of Sales",
        "Marketing Manager",
    ]
    assert len(reads) == 1, reads
