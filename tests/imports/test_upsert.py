"""The lead upsert: insert, idempotence, updates with history, app data wins, atomicity,
dry run, the demo company, permissions and the run log. Records are built by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import func, insert, select, text
from sqlmodel import Session

from smarketing.auth.permissions import Actor
from smarketing.data_in import planning, upsert, writing
from smarketing.data_in.records import LeadRecord, ParsedFile, RowError
from smarketing.data_in.upsert import DemoDataPresent, import_leads
from smarketing.data_in.writing import import_runs
from smarketing.demo import build_demo, has_demo
from smarketing.errors import InvalidInput, PermissionDenied
from smarketing.store.db import data_version
from smarketing.store.models import AuditEntry, ImportRun, Lead, LeadChange, User, Verdict
from tests.conftest import NOW

ADMIN = Actor.of("anna", ["admin"])
MARKETING = Actor.of("mia", ["marketing"])
SALES = Actor.of("sam", ["sales"])
LATER = NOW + timedelta(days=1)
MAPPING = {
    "Record ID": "external_id",
    "Create Date": "created_at",
    "Became a Marketing Qualified Lead Date": "mql_at",
    "Became a Sales Qualified Lead Date": "sql_at",
    "Original Source": "source",
    "Contact owner": "owner",
}


def at(day: int, hour: int = 9) -> datetime:
    """An aware UTC time in September 2026."""
    return datetime(2026, 9, day, hour, tzinfo=UTC)


def rec(ext: str, row: int = 2, *, rejected: bool = False, reason: str | None = None, **values):
    return LeadRecord(
        row=row,
        values={"external_id": ext, **values},
        crm_rejected=rejected,
        crm_rejection_reason=reason,
    )


def leads_file(*records: LeadRecord, errors: tuple[RowError, ...] = (), name="contacts.csv"):
    return ParsedFile(
        file_name=name,
        kind="leads",
        format="hubspot",
        source_system="hubspot",
        mapping=dict(MAPPING),
        rows_read=len(records) + len(errors),
        records=list(records),
        errors=list(errors),
    )


def three() -> ParsedFile:
    return leads_file(
        rec("101", 2, created_at=at(1), mql_at=at(2), source="google", owner="kari"),
        rec("102", 3, created_at=at(1, 10), first_name="Ola", email="ola@example.no"),
        rec("103", 4, created_at=at(3), mql_at=at(4), sql_at=at(6), score=40, deal_value=9.5),
    )


def leads(session: Session) -> dict[str, Lead]:
    session.expire_all()
    return {x.external_id: x for x in session.exec(select(Lead)).scalars()}


def count(session: Session, model) -> int:
    return session.execute(select(func.count()).select_from(model)).scalar_one()


def test_insert_new_leads(engine, session):
    result = import_leads(engine, three(), actor=MARKETING, now=NOW)
    assert (result.inserted, result.updated, result.unchanged, result.rejected) == (3, 0, 0, 0)
    assert not result.dry_run and result.run_id is not None and result.seconds >= 0
    stored = leads(session)
    assert set(stored) == {"101", "102", "103"}
    first = stored["101"]
    assert first.source_system == "hubspot" and not first.is_demo
    assert first.mql_at == at(2) and first.source == "google" and first.owner == "kari"
    assert first.updated_at == NOW and first.first_name == ""
    assert stored["103"].score == 40 and stored["103"].deal_value == 9.5
    run = session.get(ImportRun, result.run_id)
    assert (run.status, run.actor, run.file_name, run.format, run.kind) == (
        "done",
        "mia",
        "contacts.csv",
        "hubspot",
        "leads",
    )
    assert (run.rows_read, run.created, run.updated, run.unchanged, run.rejected) == (3, 3, 0, 0, 0)
    assert run.finished_at is not None and run.finished_at >= run.started_at
    audit_rows = session.exec(select(AuditEntry).where(AuditEntry.action == "import.leads"))
    assert [a.actor for a in audit_rows.scalars()] == ["mia"]
    assert data_version(session) == 1


def test_reimport_changes_nothing(engine, session):
    import_leads(engine, three(), actor=ADMIN, now=NOW)
    again = import_leads(engine, three(), actor=ADMIN, now=LATER)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 3)
    assert again.stage_changes == 0 and again.verdicts_added == 0
    assert count(session, Lead) == 3
    assert count(session, LeadChange) == 0
    assert all(x.updated_at == NOW for x in leads(session).values())
    assert count(session, ImportRun) == 2


def test_update_writes_history_and_bumps_updated_at(engine, session):
    first = import_leads(engine, three(), actor=ADMIN, now=NOW)
    changed = leads_file(
        rec("101", created_at=at(1), mql_at=at(2, 11), sql_at=at(5), source="google", owner="per"),
        rec("102", created_at=at(1, 10), first_name="Ola", email="ola@example.no"),
    )
    result = import_leads(engine, changed, actor=MARKETING, now=LATER)
    assert (result.inserted, result.updated, result.unchanged) == (0, 1, 1)
    assert result.stage_changes == 3
    stored = leads(session)
    assert stored["101"].mql_at == at(2, 11) and stored["101"].sql_at == at(5)
    assert stored["101"].owner == "per" and stored["101"].updated_at == LATER
    assert stored["102"].updated_at == NOW
    history = {c.field: c for c in session.exec(select(LeadChange)).scalars()}
    assert set(history) == {"mql_at", "sql_at", "owner"}
    assert history["mql_at"].old_value == at(2).isoformat()
    assert history["mql_at"].new_value == at(2, 11).isoformat()
    assert history["sql_at"].old_value is None
    assert (history["owner"].old_value, history["owner"].new_value) == ("kari", "per")
    for change in history.values():
        assert change.changed_by == "mia" and change.changed_at == LATER
        assert change.import_run_id == result.run_id != first.run_id
        assert change.lead_id == stored["101"].id


def test_fields_absent_from_the_record_are_kept(engine, session):
    import_leads(engine, three(), actor=ADMIN, now=NOW)
    # An export without the MQL and source columns (and an empty owner cell).
    slim = leads_file(rec("101", created_at=at(1), owner=None), rec("103", sql_at=at(6)))
    result = import_leads(engine, slim, actor=ADMIN, now=LATER)
    assert (result.updated, result.unchanged) == (0, 2)
    stored = leads(session)["101"]
    assert (stored.mql_at, stored.source, stored.owner) == (at(2), "google", "kari")
    assert leads(session)["103"].score == 40


def test_app_made_verdict_survives_a_crm_rejection(engine, session):
    import_leads(engine, three(), actor=ADMIN, now=NOW)
    lead = leads(session)["101"]
    lead.accepted_at = at(3)
    session.add(lead)
    session.add(Verdict(lead_id=lead.id, verdict="accepted", decided_by="sam", decided_at=at(3)))
    session.commit()
    again = leads_file(
        rec("101", rejected=True, reason="Bad fit", created_at=at(1), mql_at=at(2), owner="kari")
    )
    result = import_leads(engine, again, actor=ADMIN, now=LATER)
    assert (result.verdicts_added, result.updated, result.unchanged) == (0, 0, 1)
    stored = leads(session)["101"]
    assert stored.accepted_at == at(3) and stored.rejected_at is None
    assert stored.rejection_reason is None
    verdicts = session.exec(select(Verdict)).scalars().all()
    assert [(v.verdict, v.decided_by) for v in verdicts] == [("accepted", "sam")]


def test_crm_rejection_becomes_a_verdict_when_there_is_none(engine, session):
    import_leads(engine, three(), actor=ADMIN, now=NOW)
    file = leads_file(
        rec("101", 2, rejected=True, created_at=at(1), mql_at=at(2)),
        rec("104", 3, rejected=True, reason="No budget", created_at=at(7), mql_at=at(8)),
    )
    result = import_leads(engine, file, actor=MARKETING, now=LATER)
    assert (result.inserted, result.updated, result.verdicts_added) == (1, 1, 2)
    stored = leads(session)
    verdicts = {v.lead_id: v for v in session.exec(select(Verdict)).scalars()}
    old, new = verdicts[stored["101"].id], verdicts[stored["104"].id]
    assert (old.verdict, old.reason, old.comment, old.decided_by) == (
        "rejected",
        "unspecified",
        "Rejected in HubSpot, no reason given",
        "import:mia",
    )
    assert (new.verdict, new.reason, new.comment, new.decided_at) == (
        "rejected",
        "no_budget",
        "",
        LATER,
    )
    assert stored["101"].rejected_at == LATER
    assert stored["101"].rejection_reason == "unspecified"
    assert stored["104"].rejection_reason == "no_budget"
    # The verdict is not a stage: no history rows for it.
    assert count(session, LeadChange) == 0
    # Once there is a verdict, a re-import adds none.
    again = import_leads(engine, file, actor=MARKETING, now=LATER + timedelta(days=1))
    assert (again.verdicts_added, again.updated, again.unchanged) == (0, 0, 2)
    assert count(session, Verdict) == 2


def test_first_contact_is_never_moved_later(engine, session):
    first = leads_file(rec("101", created_at=at(1), mql_at=at(2), first_contact_at=at(3)))
    import_leads(engine, first, actor=ADMIN, now=NOW)
    later = leads_file(rec("101", created_at=at(1), mql_at=at(2), first_contact_at=at(4)))
    result = import_leads(engine, later, actor=ADMIN, now=LATER)
    assert (result.updated, result.unchanged) == (0, 1)
    assert leads(session)["101"].first_contact_at == at(3)
    earlier = leads_file(rec("101", created_at=at(1), mql_at=at(2), first_contact_at=at(2, 15)))
    result = import_leads(engine, earlier, actor=ADMIN, now=LATER)
    assert result.updated == 1 and result.stage_changes == 1
    assert leads(session)["101"].first_contact_at == at(2, 15)
    change = session.exec(select(LeadChange)).scalars().one()
    assert (change.field, change.old_value) == ("first_contact_at", at(3).isoformat())


def test_a_failure_half_way_leaves_the_database_as_it_was(engine, session, monkeypatch):
    import_leads(
        engine, leads_file(rec("100", created_at=at(1), owner="kari")), actor=ADMIN, now=NOW
    )
    monkeypatch.setattr(upsert, "BATCH", 2)
    monkeypatch.setattr(upsert, "BATCH_MAX", 2)  # (no growth)
    real = writing._insert_batch
    lead_batches = []

    def flaky(conn, table, rows):
        if table is Lead.__table__:
            lead_batches.append(len(rows))
            if len(lead_batches) == 2:
                raise RuntimeError("disk on fire")
        real(conn, table, rows)

    monkeypatch.setattr(writing, "_insert_batch", flaky)
    file = leads_file(
        rec("100", 2, created_at=at(1), owner="per"),  # an update in the first batch
        *(rec(str(200 + i), 3 + i, created_at=at(2)) for i in range(5)),
        name="broken.csv",
    )
    with pytest.raises(RuntimeError, match="disk on fire"):
        import_leads(engine, file, actor=ADMIN, now=LATER)
    assert lead_batches == [1, 2]  # the first batch was written before the failure
    assert count(session, Lead) == 1
    assert leads(session)["100"].owner == "kari"
    assert count(session, LeadChange) == 0
    runs = import_runs(session)
    assert list(runs["status"]) == ["failed", "done"]
    failed = runs.iloc[0]
    assert failed["file"] == "broken.csv" and "disk on fire" in failed["message"]
    assert failed["inserted"] == 0 and failed["rows read"] == 6


def test_dry_run_writes_nothing_and_counts_right(engine, session):
    import_leads(engine, three(), actor=ADMIN, now=NOW)
    version = data_version(session)
    file = leads_file(
        rec("101", 2, created_at=at(1), mql_at=at(2, 12), source="google", owner="kari"),
        rec("102", 3, created_at=at(1, 10)),
        rec("104", 4, rejected=True, created_at=at(7)),
        rec("105", 5, created_at=at(7)),
        rec("105", 6, created_at=at(7)),
        errors=(RowError(7, "Create Date", "not a date: 'soon'"),),
    )
    dry = import_leads(engine, file, actor=ADMIN, dry_run=True, now=LATER)
    assert dry.dry_run and dry.run_id is None
    assert (dry.inserted, dry.updated, dry.unchanged, dry.rejected) == (2, 1, 1, 2)
    assert (dry.verdicts_added, dry.stage_changes) == (1, 1)
    assert count(session, Lead) == 3 and count(session, Verdict) == 0
    assert count(session, ImportRun) == 1 and count(session, LeadChange) == 0
    assert data_version(session) == version
    assert leads(session)["101"].mql_at == at(2)
    real = import_leads(engine, file, actor=ADMIN, now=LATER)
    assert (real.inserted, real.updated, real.unchanged, real.rejected) == (2, 1, 1, 2)
    assert (real.verdicts_added, real.stage_changes) == (1, 1)
    assert [str(e) for e in real.unmatched] == [
        "row 6, column 'Record ID': duplicate record id '105' (first on row 5)"
    ]


def test_rows_the_upsert_rejects_are_reported_with_row_numbers(engine, session):
    file = leads_file(
        rec("", 2, created_at=at(1)),
        rec("201", 3, created_at=datetime(2026, 9, 1, 9)),  # no timezone
        rec("202", 4, score="many", created_at=at(1)),
        rec("203", 5, owner="x" * 101, created_at=at(1)),
        rec("204", 6, source="google"),  # a new lead without any date
        rec("205", 7, mql_at=at(3), sql_at=at(4)),  # created_at falls back to mql_at
        errors=(RowError(8, "Record ID", "no record id"),),
    )
    result = import_leads(engine, file, actor=ADMIN, now=NOW)
    assert (result.inserted, result.rejected) == (1, 6)
    assert [(e.row, e.column) for e in result.unmatched] == [
        (2, "Record ID"),
        (3, "Create Date"),
        (4, None),
        (5, "Contact owner"),
        (6, "Create Date"),
    ]
    assert "timezone" in result.unmatched[1].reason
    assert leads(session)["205"].created_at == at(3)
    assert session.get(ImportRun, result.run_id).rejected == 6


def test_demo_company_must_be_removed_first(engine, session):
    build_demo(engine, leads=200, months=2, now=NOW)
    session.add(User(username="kari", name="Kari", email="kari@example.no", password_hash="x"))
    session.commit()
    with pytest.raises(DemoDataPresent, match="--remove-demo"):
        import_leads(engine, three(), actor=ADMIN, now=NOW)
    assert count(session, ImportRun) == 0
    assert session.execute(select(func.count()).where(Lead.is_demo.is_(False))).scalar() == 0
    # A dry run ignores the demo company and removes nothing.
    dry = import_leads(engine, three(), actor=ADMIN, dry_run=True, now=NOW)
    assert dry.inserted == 3 and has_demo(session)
    result = import_leads(engine, three(), actor=ADMIN, remove_demo=True, now=NOW)
    assert result.inserted == 3
    session.expire_all()
    assert not has_demo(session)
    assert count(session, Lead) == 3
    assert session.exec(select(User).where(User.username == "kari")).first() is not None


def test_removing_the_demo_needs_the_demo_permission(engine, session):
    build_demo(engine, leads=200, months=2, now=NOW)
    with pytest.raises(PermissionDenied):
        import_leads(engine, three(), actor=MARKETING, remove_demo=True, now=NOW)
    assert has_demo(session)


def test_sales_may_not_import(engine, session):
    with pytest.raises(PermissionDenied, match="import CRM exports"):
        import_leads(engine, three(), actor=SALES, now=NOW)
    with pytest.raises(PermissionDenied):
        import_leads(engine, three(), actor=SALES, dry_run=True, now=NOW)
    assert count(session, Lead) == 0 and count(session, ImportRun) == 0


def test_wrong_kind_and_naive_now_are_refused(engine):
    file = three()
    file.kind = "activities"
    with pytest.raises(InvalidInput, match="activities"):
        import_leads(engine, file, actor=ADMIN, now=NOW)
    with pytest.raises(InvalidInput, match="timezone"):
        import_leads(engine, three(), actor=ADMIN, now=datetime(2026, 9, 1))


def test_progress_is_reported_every_batch(engine, monkeypatch):
    monkeypatch.setattr(upsert, "BATCH", 1)
    monkeypatch.setattr(upsert, "BATCH_MAX", 1)  # (no growth)
    seen: list[tuple[float, str]] = []
    import_leads(engine, three(), actor=ADMIN, now=NOW, progress=lambda f, t: seen.append((f, t)))
    fractions = [f for f, _ in seen]
    assert len(seen) >= 5 and fractions == sorted(fractions) and fractions[-1] == 1.0


def test_import_runs_newest_first(engine, session):
    import_leads(engine, three(), actor=ADMIN, now=NOW)
    import_leads(engine, three(), actor=MARKETING, now=LATER)
    runs = import_runs(session)
    assert list(runs.columns) == [
        "when",
        "who",
        "file",
        "kind",
        "format",
        "rows read",
        "inserted",
        "updated",
        "unchanged",
        "rejected",
        "status",
        "message",
    ]
    assert list(runs["who"]) == ["mia", "anna"]
    assert list(runs["inserted"]) == [0, 3] and list(runs["unchanged"]) == [3, 0]
    assert "3 inserted" in runs.iloc[1]["message"]
    assert len(import_runs(session, limit=1)) == 1


def test_pandas_and_numpy_values_are_taken_as_plain_values(engine, session):
    file = leads_file(
        rec(
            "301",
            created_at=pd.Timestamp(at(1)),
            mql_at=pd.NaT,
            score=np.int64(12),
            deal_value=float("nan"),
            owner=None,
        )
    )
    first = import_leads(engine, file, actor=ADMIN, now=NOW)
    assert (first.inserted, first.rejected) == (1, 0)
    stored = leads(session)["301"]
    assert (stored.created_at, stored.mql_at, stored.score, stored.deal_value) == (
        at(1),
        None,
        12,
        None,
    )
    again = import_leads(engine, file, actor=ADMIN, now=LATER)
    assert (again.unchanged, again.updated) == (1, 0)


def test_grouping_values_take_the_spelling_stored_first(engine, session):
    first = leads_file(
        rec("101", created_at=at(1), source="Google", owner="Kari Nordmann", campaign="Q3"),
        rec("102", created_at=at(1), source="LinkedIn"),
    )
    import_leads(engine, first, actor=ADMIN, now=NOW)
    second = leads_file(
        rec("101", 2, created_at=at(1), source="google", owner="kari  nordmann", campaign="Q3"),
        rec("103", 3, created_at=at(2), source="GOOGLE", owner="KARI NORDMANN"),
        rec("104", 4, created_at=at(2), source="linkedin", campaign="q4"),
        rec("105", 5, created_at=at(2), campaign="Q4"),
    )
    dry = import_leads(engine, second, actor=ADMIN, dry_run=True, now=LATER)
    result = import_leads(engine, second, actor=ADMIN, now=LATER)
    # 101 differs only in spelling: unchanged, no history
    for counts in (dry, result):
        assert (counts.inserted, counts.updated, counts.unchanged) == (3, 0, 1)
    assert count(session, LeadChange) == 0
    stored = leads(session)
    assert {x.source for x in stored.values()} == {"Google", "LinkedIn", None}
    assert stored["103"].source == "Google" and stored["103"].owner == "Kari Nordmann"
    assert stored["104"].source == "LinkedIn"
    # a value new to the database keeps the file's spelling (q4, not Q4: 104 comes first
    # in this file and the reader already chose one spelling per file; here two records
    # built by hand keep theirs)
    assert (stored["104"].campaign, stored["105"].campaign) == ("q4", "Q4")
    third = leads_file(rec("106", created_at=at(3), campaign="Q4 "))
    import_leads(engine, third, actor=ADMIN, now=LATER)
    assert leads(session)["106"].campaign == "q4"  # the lowest lead id's spelling wins


def test_grouping_spellings_ignore_demo_leads(engine, session):
    build_demo(engine, leads=200, months=2, now=NOW)
    with Session(engine) as s:
        demo_source = s.execute(select(Lead.source).where(Lead.source.is_not(None))).scalar()
    lower = demo_source.lower()
    assert lower != demo_source
    dry = import_leads(
        engine, leads_file(rec("101", created_at=at(1), source=lower)), actor=ADMIN, dry_run=True
    )
    assert dry.inserted == 1
    import_leads(
        engine,
        leads_file(rec("101", created_at=at(1), source=lower)),
        actor=ADMIN,
        remove_demo=True,
        now=NOW,
    )
    assert leads(session)["101"].source == lower


def test_a_first_contact_before_the_mql_is_never_stored(engine, session):
    file = leads_file(
        rec("101", 2, created_at=at(1), mql_at=at(5), first_contact_at=at(4)),
        rec("102", 3, created_at=at(1), mql_at=at(5), first_contact_at=at(6)),
        rec("103", 4, created_at=at(1), first_contact_at=at(2)),  # no MQL: any touch
    )
    result = import_leads(engine, file, actor=ADMIN, now=NOW)
    assert (result.inserted, result.rejected) == (3, 0)
    stored = leads(session)
    assert stored["101"].first_contact_at is None
    assert stored["102"].first_contact_at == at(6)
    assert stored["103"].first_contact_at == at(2)
    # A file without an MQL column: the stored mql_at counts.
    slim = ParsedFile(
        file_name="contacts.csv",
        kind="leads",
        format="generic",
        source_system="hubspot",
        mapping={"id": "external_id", "first contact": "first_contact_at"},
        rows_read=2,
        records=[
            rec("101", 2, first_contact_at=at(4, 23)),  # still before the MQL (5 Sep)
            rec("102", 3, first_contact_at=at(5, 10)),  # earlier than 6 Sep, after the MQL
        ],
    )
    result = import_leads(engine, slim, actor=ADMIN, now=LATER)
    assert (result.updated, result.unchanged) == (1, 1)
    stored = leads(session)
    assert stored["101"].first_contact_at is None
    assert stored["102"].first_contact_at == at(5, 10)


def test_a_stored_first_contact_before_the_mql_is_replaced(engine, session):
    import_leads(
        engine,
        leads_file(rec("101", created_at=at(1), first_contact_at=at(2))),  # no MQL yet
        actor=ADMIN,
        now=NOW,
    )
    # the lead becomes an MQL on 3 Sep: the touch on 2 Sep is no first contact any more,
    # so the CRM's later one (normally never moved later) replaces it
    later = leads_file(rec("101", created_at=at(1), mql_at=at(3), first_contact_at=at(4)))
    result = import_leads(engine, later, actor=ADMIN, now=LATER)
    assert (result.updated, result.stage_changes) == (1, 2)
    stored = leads(session)["101"]
    assert (stored.mql_at, stored.first_contact_at) == (at(3), at(4))


def _raw_lead(engine, external_id: str) -> dict:
    """A lead's row as the database returns it untyped (SQLite: text, not Python types),
    without id and key."""
    with engine.connect() as conn:
        row = (
            conn.execute(text("SELECT * FROM lead WHERE external_id = :key"), {"key": external_id})
            .mappings()
            .one()
        )
    return {k: v for k, v in row.items() if k not in ("id", "external_id")}


@pytest.mark.sqlite_only("the compiled-once insert is SQLite's fast path; compares stored text")
def test_the_fast_insert_stores_exactly_what_core_stores(engine):
    when = datetime(2026, 9, 1, 9, 30, 15, 123456, tzinfo=UTC)
    values = dict(
        first_name="Åse",
        email="ase@example.no",
        created_at=when,
        mql_at=when + timedelta(days=1),
        sql_at=at(5),
        source="Google",
        owner="Kari",
        score=42,
        deal_value=1234.5,
    )

    def new_lead(key):
        return (rec(key, rejected=True, **values), key, {"external_id": key, **values})

    fast = writing._lead_rows([new_lead("fast")], "hubspot", NOW)
    core = writing._lead_rows([new_lead("core")], "hubspot", NOW).as_dicts()
    with engine.begin() as conn:
        assert writing._prepared_insert(Lead.__table__, tuple(fast.columns), conn.dialect)
        writing._insert_batch(conn, Lead.__table__, fast)  # compiled once, DBAPI executemany
        conn.execute(insert(Lead.__table__), core)  # SQLAlchemy Core
        # as the Core path wrote it before: only the file's fields, the rest defaults
        only = {"external_id": "only", **values, "rejected_at": NOW}
        conn.execute(
            insert(Lead.__table__),
            [{**only, "source_system": "hubspot", "rejection_reason": "unspecified"}],
        )
    stored = _raw_lead(engine, "fast")
    assert stored == _raw_lead(engine, "core")
    assert _raw_lead(engine, "only") == {
        **stored,
        "updated_at": _raw_lead(engine, "only")["updated_at"],
    }
    assert stored["created_at"] == "2026-09-01 09:30:15.123456"
    assert stored["updated_at"] == stored["rejected_at"] == "2026-11-18 12:00:00.000000"
    assert (stored["is_demo"], stored["first_name"], stored["title"]) == (0, "Åse", "")
    assert (stored["score"], stored["deal_value"], stored["accepted_at"]) == (42, 1234.5, None)
    assert stored["rejection_reason"] == "unspecified"


def test_a_timestamp_is_written_as_sqlalchemy_writes_it_on_sqlite():
    """The column-wise insert's own text for an aware timestamp (``sqlite_utc_text``) is
    exactly what UTCDateTime and SQLite's DATETIME make of it, and a naive one is refused."""
    from zoneinfo import ZoneInfo

    from sqlalchemy.dialects import sqlite
    from sqlmodel.sql.sqltypes import UTCDateTime

    dialect = sqlite.dialect()
    library = UTCDateTime().dialect_impl(dialect).bind_processor(dialect)
    oslo = ZoneInfo("Europe/Oslo")
    values = [
        datetime(2026, 9, 1, 9, 30, 15, 123456, tzinfo=UTC),
        datetime(2026, 9, 1, 9, 30, tzinfo=UTC),  # no microseconds: still six digits
        datetime(2026, 7, 1, 10, 0, tzinfo=oslo),  # a local time (summer), moved to UTC
        datetime(2026, 12, 31, 23, 59, 59, 999999, tzinfo=timezone(timedelta(hours=-5))),
        datetime(999, 1, 2, 3, 4, 5, tzinfo=UTC),  # a year below 1000: four digits
        datetime(2026, 1, 1, tzinfo=ZoneInfo("UTC")),  # UTC, but not datetime.UTC
    ]
    for value in values:
        assert writing.sqlite_utc_text(value) == library(value), value
    assert writing.sqlite_utc_text(values[2]) == "2026-07-01 08:00:00.000000"
    with pytest.raises(ValueError):
        writing.sqlite_utc_text(datetime(2026, 1, 1))
    with pytest.raises(ValueError):
        library(datetime(2026, 1, 1))


def test_the_fast_and_the_checked_path_store_the_same(engine, session, monkeypatch):
    """A batch of clean reader-like values takes the column-wise path; one odd value sends
    the batch through the record-by-record checks: both store the same leads."""

    def file(prefix):
        return leads_file(
            *(
                rec(f"{prefix}{i}", 2 + i, created_at=at(1), mql_at=at(2), score=i, owner="Kari")
                for i in range(3)
            )
        )

    import_leads(engine, file("a"), actor=ADMIN, now=NOW)
    odd = file("b")
    odd.records[1].values["score"] = np.int64(1)  # not a plain int: the checked path
    assert planning._clean_fast(odd.records) is None
    assert planning._clean_fast(file("c").records) is not None
    import_leads(engine, odd, actor=ADMIN, now=NOW)
    stored = leads(session)
    for i in range(3):
        a, b = _raw_lead(engine, f"a{i}"), _raw_lead(engine, f"b{i}")
        assert a == b
        assert stored[f"a{i}"].score == i


def test_the_core_path_is_used_when_the_insert_cannot_be_prepared(engine, session, monkeypatch):
    monkeypatch.setattr(writing, "_prepared_insert", lambda *a: None)
    result = import_leads(engine, three(), actor=ADMIN, now=NOW)
    assert result.inserted == 3
    stored = leads(session)
    assert stored["101"].mql_at == at(2) and stored["103"].score == 40


def test_crm_reasons_are_mapped_onto_the_list_of_reasons(engine, session):
    """Issue 13, defect 8: a CRM's spellings land on the list's keys, one category each;
    a status alone is "No reason given"; a reason on no reason is "Other", kept in the
    comment and reported (by the dry run too)."""
    file = leads_file(
        rec("1", 2, rejected=True, reason="student/competitor", created_at=at(1), mql_at=at(2)),
        rec("2", 3, rejected=True, reason="Student / Competitor", created_at=at(1), mql_at=at(2)),
        rec("3", 4, rejected=True, reason="Competitor", created_at=at(1), mql_at=at(2)),
        rec("4", 5, rejected=True, reason="Unqualified", created_at=at(1), mql_at=at(2)),
        rec("5", 6, rejected=True, reason="Price too high", created_at=at(1), mql_at=at(2)),
        rec("6", 7, rejected=True, reason="price too high", created_at=at(1), mql_at=at(2)),
    )
    dry = import_leads(engine, file, actor=ADMIN, dry_run=True, now=NOW)
    assert dry.unknown_reasons == {"Price too high": 1, "price too high": 1}
    assert (
        "'Price too high' (1)" in dry.reason_note
        and "would be stored as 'Other'" in dry.reason_note
    )
    result = import_leads(engine, file, actor=ADMIN, now=NOW)
    assert result.verdicts_added == 6 and result.unknown_reasons == dry.unknown_reasons
    stored = leads(session)
    verdicts = {v.lead_id: v for v in session.exec(select(Verdict)).scalars()}
    got = {k: (verdicts[lead.id].reason, verdicts[lead.id].comment) for k, lead in stored.items()}
    assert got == {
        # the label itself in another spelling: nothing to keep in the comment
        "1": ("student_competitor", ""),
        "2": ("student_competitor", ""),
        "3": ("student_competitor", "In HubSpot: Competitor"),
        "4": ("unspecified", "In HubSpot: Unqualified"),
        "5": ("other", "In HubSpot: Price too high"),
        "6": ("other", "In HubSpot: price too high"),
    }
    assert {k: lead.rejection_reason for k, lead in stored.items()} == {
        k: reason for k, (reason, _comment) in got.items()
    }
