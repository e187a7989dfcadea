"""The activities import: matching to leads, duplicates, and the derived first contact."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from smarketing.data_in.planning import default_source_system, stored_source_systems
from smarketing.data_in.records import ActivityRecord, ParsedFile, RowError
from smarketing.data_in.upsert import import_activities, import_leads
from smarketing.errors import PermissionDenied
from smarketing.store.models import ImportRun, Lead, LeadActivity, LeadChange
from tests.conftest import NOW
from tests.imports.test_upsert import ADMIN, SALES, at, count, leads, leads_file, rec

LATER = NOW + timedelta(days=1)
MAPPING = {
    "Contact ID": "lead_external_id",
    "Date": "occurred_at",
    "Type": "kind",
    "Notes": "detail",
}


def act(row: int, ext: str, when, kind: str, detail: str = "", actor: str | None = None):
    return ActivityRecord(
        row=row, lead_external_id=ext, occurred_at=when, kind=kind, detail=detail, actor=actor
    )


def activities_file(*records: ActivityRecord, errors: tuple[RowError, ...] = ()) -> ParsedFile:
    return ParsedFile(
        file_name="activities.csv",
        kind="activities",
        format="activities",
        source_system="hubspot",
        mapping=dict(MAPPING),
        rows_read=len(records) + len(errors),
        records=list(records),
        errors=list(errors),
    )


@pytest.fixture
def two_leads(engine):
    """101 became an MQL on 10 Sep at 09:00; 102 never did."""
    import_leads(
        engine,
        leads_file(rec("101", created_at=at(9), mql_at=at(10)), rec("102", created_at=at(9))),
        actor=ADMIN,
        now=NOW,
    )


def sample() -> ParsedFile:
    return activities_file(
        act(2, "101", at(9, 15), "call", "before the MQL: not a first contact"),
        act(3, "101", at(10, 10), "page_view", "/pricing"),
        act(4, "101", at(12), "meeting", "demo", actor="sam"),
        act(5, "101", at(11, 14), "email", "intro"),
        act(6, "999", at(11), "call"),
        act(7, "102", at(11), "call", "no MQL: no first contact"),
        errors=(RowError(8, "Date", "not a date: 'yesterday'"),),
    )


def activity_count(session: Session) -> int:
    return session.execute(select(func.count()).select_from(LeadActivity)).scalar_one()


def test_activities_are_matched_and_first_contact_derived(engine, session, two_leads):
    result = import_activities(engine, sample(), actor=ADMIN, now=LATER)
    assert (result.inserted, result.unchanged, result.updated, result.rejected) == (5, 0, 1, 2)
    assert [(e.row, e.column) for e in result.unmatched] == [(6, "Contact ID")]
    assert "'999'" in result.unmatched[0].reason
    stored = leads(session)
    # The call before mql_at is ignored; the page view is not a sales activity.
    assert stored["101"].first_contact_at == at(11, 14)
    assert stored["101"].updated_at == LATER
    assert stored["102"].first_contact_at is None
    change = session.exec(select(LeadChange)).scalars().one()
    assert (change.field, change.old_value, change.new_value) == (
        "first_contact_at",
        None,
        at(11, 14).isoformat(),
    )
    assert change.import_run_id == result.run_id and result.stage_changes == 1
    meeting = session.exec(select(LeadActivity).where(LeadActivity.kind == "meeting")).scalar_one()
    assert (meeting.actor, meeting.detail, meeting.is_demo) == ("sam", "demo", False)
    run = session.get(ImportRun, result.run_id)
    assert (run.kind, run.created, run.updated, run.rejected, run.status) == (
        "activities",
        5,
        1,
        2,
        "done",
    )


def test_reimporting_activities_changes_nothing(engine, session, two_leads):
    import_activities(engine, sample(), actor=ADMIN, now=LATER)
    again = import_activities(engine, sample(), actor=ADMIN, now=LATER + timedelta(hours=1))
    assert (again.inserted, again.unchanged, again.updated, again.rejected) == (0, 5, 0, 2)
    assert activity_count(session) == 5
    assert count(session, LeadChange) == 1
    # The same activity twice in one file is stored once.
    twice = activities_file(act(2, "102", at(13), "email"), act(3, "102", at(13), "email"))
    result = import_activities(engine, twice, actor=ADMIN, now=LATER)
    assert (result.inserted, result.unchanged) == (1, 1)


def test_first_contact_only_moves_earlier(engine, session, two_leads):
    import_activities(engine, sample(), actor=ADMIN, now=LATER)
    later = activities_file(act(2, "101", at(11, 18), "call"))
    result = import_activities(engine, later, actor=ADMIN, now=LATER)
    assert (result.inserted, result.updated) == (1, 0)
    assert leads(session)["101"].first_contact_at == at(11, 14)
    earlier = activities_file(act(2, "101", at(10, 11), "call", "a quick call"))
    result = import_activities(engine, earlier, actor=ADMIN, now=LATER)
    assert (result.inserted, result.updated) == (1, 1)
    assert leads(session)["101"].first_contact_at == at(10, 11)


def test_activities_dry_run_writes_nothing(engine, session, two_leads):
    dry = import_activities(engine, sample(), actor=ADMIN, dry_run=True, now=LATER)
    assert dry.dry_run and dry.run_id is None
    assert (dry.inserted, dry.unchanged, dry.updated, dry.rejected) == (5, 0, 1, 2)
    assert activity_count(session) == 0 and count(session, LeadChange) == 0
    assert count(session, ImportRun) == 1  # the leads import only
    assert leads(session)["101"].first_contact_at is None


def test_unknown_kind_is_rejected_and_sales_may_not_import(engine, session, two_leads):
    result = import_activities(
        engine, activities_file(act(2, "101", at(11), "fax")), actor=ADMIN, now=LATER
    )
    assert result.inserted == 0 and result.rejected == 1
    assert result.unmatched[0].column == "Type" and "fax" in result.unmatched[0].reason
    with pytest.raises(PermissionDenied):
        import_activities(engine, sample(), actor=SALES, now=LATER)


def test_a_later_mql_date_takes_the_first_contact_from_stored_activities(engine, session):
    # lead G arrives without an MQL date; its calls are imported; then an updated export
    # brings the MQL date: the first call after it becomes the first contact
    import_leads(engine, leads_file(rec("G", created_at=at(9))), actor=ADMIN, now=NOW)
    calls = activities_file(
        act(2, "G", at(10, 8), "call", "before the MQL"),
        act(3, "G", at(10, 12), "page_view", "marketing, not sales"),
        act(4, "G", at(10, 15), "email", "first sales touch after the MQL"),
        act(5, "G", at(11), "meeting"),
    )
    result = import_activities(engine, calls, actor=ADMIN, now=NOW)
    assert (result.inserted, result.updated) == (4, 0)  # no mql_at: no first contact yet
    assert leads(session)["G"].first_contact_at is None
    updated = leads_file(rec("G", created_at=at(9), mql_at=at(10, 10)))
    dry = import_leads(engine, updated, actor=ADMIN, dry_run=True, now=LATER)
    real = import_leads(engine, updated, actor=ADMIN, now=LATER)
    for counts in (dry, real):
        assert (counts.inserted, counts.updated, counts.unchanged) == (0, 1, 0)
        assert counts.stage_changes == 2  # mql_at and first_contact_at
    stored = leads(session)["G"]
    assert (stored.mql_at, stored.first_contact_at) == (at(10, 10), at(10, 15))
    history = {c.field: c for c in session.exec(select(LeadChange)).scalars()}
    assert set(history) == {"mql_at", "first_contact_at"}
    change = history["first_contact_at"]
    assert (change.old_value, change.new_value) == (None, at(10, 15).isoformat())
    assert change.import_run_id == real.run_id
    # the same export again: nothing to do
    again = import_leads(engine, updated, actor=ADMIN, now=LATER)
    assert (again.updated, again.unchanged, again.stage_changes) == (0, 1, 0)
    # an earlier MQL date: the earlier call now counts and is earlier still
    earlier = leads_file(rec("G", created_at=at(9), mql_at=at(10, 7)))
    result = import_leads(engine, earlier, actor=ADMIN, now=LATER)
    assert (result.updated, result.stage_changes) == (1, 2)
    assert leads(session)["G"].first_contact_at == at(10, 8)


def test_a_file_first_contact_and_stored_activities_the_earliest_wins(engine, session):
    import_leads(engine, leads_file(rec("H", created_at=at(9))), actor=ADMIN, now=NOW)
    import_activities(engine, activities_file(act(2, "H", at(11), "call")), actor=ADMIN, now=NOW)
    both = leads_file(rec("H", created_at=at(9), mql_at=at(10), first_contact_at=at(12)))
    result = import_leads(engine, both, actor=ADMIN, now=LATER)
    assert (result.updated, result.stage_changes) == (1, 2)
    assert leads(session)["H"].first_contact_at == at(11)  # the stored call is earlier


def test_activities_replace_a_stored_first_contact_before_the_mql(engine, session):
    import_leads(
        engine,
        leads_file(rec("101", created_at=at(9), mql_at=at(10), first_contact_at=at(11))),
        actor=ADMIN,
        now=NOW,
    )
    with session.begin():  # e.g. the MQL date corrected by hand later than the contact
        session.execute(
            Lead.__table__.update().where(Lead.external_id == "101").values(mql_at=at(12))
        )
    result = import_activities(
        engine, activities_file(act(2, "101", at(13), "call")), actor=ADMIN, now=LATER
    )
    assert result.updated == 1
    assert leads(session)["101"].first_contact_at == at(13)


def test_the_default_crm_of_an_activities_file(engine):
    assert stored_source_systems(engine) == set()
    assert default_source_system("csv", set()) == "csv"
    import_leads(engine, leads_file(rec("101", created_at=at(9))), actor=ADMIN, now=NOW)
    assert stored_source_systems(engine) == {"hubspot"}
    assert default_source_system("csv", {"hubspot"}) == "hubspot"
    assert default_source_system("salesforce", {"hubspot"}) == "salesforce"  # the header's
    assert default_source_system("csv", {"hubspot", "salesforce"}) == "csv"
    assert default_source_system("csv", {"hubspot", "csv"}) == "csv"


def test_rejects_frame_without_raw_rows_has_the_reasons(engine, two_leads):
    from smarketing.data_in.rejects import rejects_frame

    result = import_activities(engine, sample(), actor=ADMIN, dry_run=True, now=LATER)
    frame = rejects_frame(sample(), result.unmatched)  # built by hand: no raw rows
    assert list(frame.index) == [6]
    assert frame.loc[6, "error"] == "Contact ID: no hubspot lead with id '999'"
