"""Issue 15: rows imported with something to check.

Item 9 — a date far in the future (an MQL date in 2099) is imported with a warning per row
(row, column, the cell as in the file), in the dry run and in the import's result; the
horizon is ``SMARKETING_IMPORT_FUTURE_DAYS`` (default 1) after the import's ``now``.

Item 2, planning half — an update that would replace a stored name with a misread form of
itself (the stored text written as UTF-8 and read as cp1252 or Latin-1: "Bråten" ->
"BrÃ¥ten") is not applied: the stored value stays, and the dry run and the import name the
lead, the column and old -> new.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select
from sqlmodel import Session

from smarketing.auth.permissions import Actor
from smarketing.data_in.planning import misread_as
from smarketing.data_in.reading import read_activities, read_leads
from smarketing.data_in.records import RowWarning
from smarketing.data_in.rejects import warnings_csv
from smarketing.data_in.upsert import import_activities, import_leads
from smarketing.errors import InvalidInput
from smarketing.store.models import AuditEntry, ImportRun, Lead, LeadActivity, LeadChange
from tests.conftest import NOW
from tests.factories import add_lead

ADMIN = Actor.of("anna", ["admin"])
MQL = "Became a Marketing Qualified Lead Date"
#: NOW is 2026-11-18 12:00 UTC (13:00 in Oslo): the horizon is 2026-11-19 13:00 in Oslo.
FUTURE = (
    f"Record ID,First Name,Last Name,Create Date,{MQL}\n"
    "101,Kari,Nordmann,2026-11-01 09:00,2099-01-01 10:00\n"  # MQL in 2099
    "102,Ola,Hansen,2026-11-19 12:59,\n"  # created within the day after the import
    "103,Per,Olsen,2026-11-19 13:01,\n"  # a minute past the horizon
    "104,Liv,Berg,2026-11-02 09:00,2026-11-03 10:00\n"
).encode()
LATER = (
    "a date in the future: later than 2026-11-19 13:00 (1 day after the import); the row is "
    "imported with this date — check it in the CRM"
)


def leads(engine) -> dict[str, Lead]:
    with Session(engine, expire_on_commit=False) as s:
        return {lead.external_id: lead for lead in s.exec(select(Lead)).scalars()}


def test_future_dates_are_warned_about_per_row_and_imported(engine):
    parsed = read_leads(FUTURE, "contacts.csv", tz="Europe/Oslo")
    expected = [
        RowWarning(2, MQL, "2099-01-01 10:00", LATER),
        RowWarning(4, "Create Date", "2026-11-19 13:01", LATER),
    ]
    dry = import_leads(engine, parsed, actor=ADMIN, dry_run=True, now=NOW)
    assert dry.warnings == expected
    assert (dry.inserted, dry.rejected, dry.warned_rows) == (4, 0, 2)
    assert "2 rows with warnings" in dry.summary
    assert leads(engine) == {}  # the dry run wrote nothing
    done = import_leads(engine, parsed, actor=ADMIN, now=NOW)
    assert done.warnings == expected
    assert (done.inserted, done.rejected) == (4, 0)
    stored = leads(engine)
    assert stored["101"].mql_at == datetime(2099, 1, 1, 9, 0, tzinfo=UTC)  # imported as it is
    assert stored["103"].created_at == datetime(2026, 11, 19, 12, 1, tzinfo=UTC)
    assert str(done.warnings[0]) == f"row 2, column '{MQL}': {LATER}"
    with Session(engine) as s:  # the run log and the audit entry count them
        assert s.exec(select(ImportRun)).scalars().one().message.endswith("(2 rows with warnings)")
        entry = s.exec(select(AuditEntry).where(AuditEntry.action == "import.leads")).scalars()
        assert '"rows_with_warnings": 2' in entry.one().detail


def test_a_file_built_by_hand_shows_the_value_in_local_time(engine):
    """Without the reader's raw rows (a ParsedFile built by a connector) the warning's value
    is the date in the business timezone."""
    from tests.imports.test_upsert import leads_file, rec

    far = datetime(2099, 1, 1, 9, tzinfo=UTC)
    result = import_leads(engine, leads_file(rec("9", 2, created_at=far)), actor=ADMIN, now=NOW)
    assert result.warnings == [RowWarning(2, "Create Date", "2099-01-01 10:00", LATER)]


def test_the_horizon_is_configurable(engine, monkeypatch):
    parsed = read_leads(FUTURE, "contacts.csv", tz="Europe/Oslo")
    monkeypatch.setenv("SMARKETING_IMPORT_FUTURE_DAYS", "0")
    now = import_leads(engine, parsed, actor=ADMIN, dry_run=True, now=NOW).warnings
    assert [(w.row, w.column) for w in now] == [(2, MQL), (3, "Create Date"), (4, "Create Date")]
    assert "later than 2026-11-18 13:00 (0 days after the import)" in now[0].message
    monkeypatch.setenv("SMARKETING_IMPORT_FUTURE_DAYS", "30")
    month = import_leads(engine, parsed, actor=ADMIN, dry_run=True, now=NOW).warnings
    assert [(w.row, w.column) for w in month] == [(2, MQL)]
    assert "(30 days after the import)" in month[0].message


@pytest.mark.parametrize("value", ["soon", "-1", "nan", "1e9"])
def test_a_bad_horizon_says_what_to_write(engine, monkeypatch, value):
    monkeypatch.setenv("SMARKETING_IMPORT_FUTURE_DAYS", value)
    parsed = read_leads(FUTURE, "contacts.csv", tz="Europe/Oslo")
    with pytest.raises(InvalidInput, match=r"SMARKETING_IMPORT_FUTURE_DAYS=.* from 0 to 36500"):
        import_leads(engine, parsed, actor=ADMIN, dry_run=True, now=NOW)


def test_every_date_column_is_checked_and_a_rejected_row_gets_no_warning(engine):
    data = (
        b"Record ID,Create Date,Became a Marketing Qualified Lead Date,"
        b"Became a Sales Qualified Lead Date,Became a Customer Date\n"
        b"201,2026-11-01 09:00,2026-11-02 09:00,2030-05-05 10:00,2031-06-06 10:00\n"
        b"201,2026-11-01 09:00,2099-01-01 10:00,,\n"  # a duplicate id: rejected, no warning
    )
    parsed = read_leads(data, "contacts.csv", tz="Europe/Oslo")
    result = import_leads(engine, parsed, actor=ADMIN, dry_run=True, now=NOW)
    assert [(w.row, w.column, w.value) for w in result.warnings] == [
        (2, "Became a Sales Qualified Lead Date", "2030-05-05 10:00"),
        (2, "Became a Customer Date", "2031-06-06 10:00"),
    ]
    assert result.rejected == 1 and result.warned_rows == 1


def test_an_update_to_a_future_date_is_warned_about_too(engine, session):
    add_lead(session, "101", "2026-11-01 09:00", source_system="hubspot")
    parsed = read_leads(FUTURE, "contacts.csv", tz="Europe/Oslo")
    result = import_leads(engine, parsed, actor=ADMIN, now=NOW)
    assert (result.inserted, result.updated) == (3, 1)
    assert [(w.row, w.column) for w in result.warnings] == [(2, MQL), (4, "Create Date")]


def test_future_activities_are_warned_about_and_imported(engine, session):
    add_lead(session, "L1", "2026-11-01 09:00", source_system="csv")
    data = (
        b"lead_id,occurred_at,kind,detail\n"
        b"L1,2026-11-10 10:00,call,first call\n"
        b"L1,2099-12-24 10:00,email,a typo\n"
    )
    parsed = read_activities(data, "activities.csv", tz="Europe/Oslo")
    dry = import_activities(engine, parsed, actor=ADMIN, dry_run=True, now=NOW)
    assert dry.warnings == [RowWarning(3, "occurred_at", "2099-12-24 10:00", LATER)]
    done = import_activities(engine, parsed, actor=ADMIN, now=NOW)
    assert (done.inserted, done.warnings) == (2, dry.warnings)
    with Session(engine) as s:
        assert len(s.exec(select(LeadActivity)).all()) == 2


def test_the_warnings_file_is_formula_safe():
    warnings = [RowWarning(2, "=Col", "=1+1", "check"), RowWarning(3, None, "-5", "check")]
    text = warnings_csv(warnings).decode("utf-8")
    assert text.splitlines() == ["row,column,value,warning", "2,'=Col,'=1+1,check", "3,,'-5,check"]
    assert warnings_csv([]) == b""


# --- names misread (item 2) -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "encoding"),
    [
        ("Bråten", "BrÃ¥ten", "cp1252"),
        ("Ærlend", "Ã†rlend", "cp1252"),
        ("Søren", "SÃ¸ren", "cp1252"),
        ("Ærlend", "Ã\x86rlend", "latin-1"),  # 0x86 read as Latin-1 (a control character)
        ("Ýr", "Ã\x9dr", "cp1252"),  # 0x9d is undefined in cp1252: read as Latin-1
        ("Bråten", "BrÃƒÂ¥ten", "cp1252"),  # misread twice
        ("Bråten", "Braten", None),
        ("Bråten", "Bråten-Hansen", None),
        ("BrÃ¥ten", "Bråten", None),  # the repair of a misread name is a real change
        ("Olsen", "Olsén", None),
    ],
)
def test_misread_as(old, new, encoding):
    assert misread_as(old, new) == encoding


def test_a_misread_name_does_not_replace_the_stored_one(engine, session):
    """A file whose names are the stored ones misread (UTF-8 read as cp1252): the stored
    names stay, the dry run and the import say so per row, the other changes are made."""
    add_lead(session, "1", "2026-11-01 09:00", source_system="hubspot", first_name="Ærlend",
             last_name="Bråten", company="Fjord AS")  # fmt: skip
    add_lead(session, "2", "2026-11-01 09:00", source_system="hubspot", first_name="Søren",
             last_name="Dahl", company="Øst AS")  # fmt: skip
    add_lead(
        session,
        "3",
        "2026-11-01 09:00",
        source_system="hubspot",
        first_name="Kari",
        last_name="BrÃ¥ten",
        company="Vest AS",
    )  # fmt: skip  (stored misread: repaired)
    data = (
        "Record ID,First Name,Last Name,Company Name,Create Date\n"
        "1,Ã†rlend,BrÃ¥ten,Fjord Group AS,2026-11-01 09:00\n"
        "2,SÃ¸ren,Dahl,Ã˜st AS,2026-11-01 09:00\n"
        "3,Kari,Bråten,Vest AS,2026-11-01 09:00\n"
    ).encode()
    parsed = read_leads(data, "contacts.csv", tz="Europe/Oslo")
    dry = import_leads(engine, parsed, actor=ADMIN, dry_run=True, now=NOW)
    assert [(w.row, w.column, w.value) for w in dry.warnings] == [
        (2, "First Name", "Ã†rlend"),
        (2, "Last Name", "BrÃ¥ten"),
        (3, "First Name", "SÃ¸ren"),
        (3, "Company Name", "Ã˜st AS"),
    ]
    assert dry.warnings[1].message == (
        "lead 1 (Ærlend Bråten): 'Bråten' → 'BrÃ¥ten' looks like the stored last name misread "
        "(UTF-8 read as cp1252); the stored 'Bråten' is kept and this change is not imported "
        "— check the file's encoding"
    )
    # lead 1: its company changes; lead 2: nothing else; lead 3: the repair is applied
    assert (dry.updated, dry.unchanged, dry.warned_rows) == (2, 1, 2)
    done = import_leads(engine, parsed, actor=ADMIN, now=NOW)
    assert done.warnings == dry.warnings
    assert (done.updated, done.unchanged) == (2, 1)
    stored = leads(engine)
    assert (stored["1"].first_name, stored["1"].last_name) == ("Ærlend", "Bråten")
    assert stored["1"].company == "Fjord Group AS"
    assert (stored["2"].first_name, stored["2"].company) == ("Søren", "Øst AS")
    assert stored["3"].last_name == "Bråten"
    with Session(engine) as s:
        assert s.exec(select(LeadChange)).all() == []  # names and companies have no history


def test_a_misread_grouping_value_keeps_the_stored_one_and_its_history(engine, session):
    add_lead(session, "1", "2026-11-01 09:00", source_system="hubspot", owner="Åse Ødegård")
    data = "Record ID,Contact owner,Create Date\n1,Ã…se Ã˜degÃ¥rd,2026-11-01 09:00\n"
    parsed = read_leads(data.encode(), "contacts.csv", tz="Europe/Oslo")
    result = import_leads(engine, parsed, actor=ADMIN, now=NOW)
    assert [(w.row, w.column) for w in result.warnings] == [(2, "Contact owner")]
    assert (result.updated, result.unchanged) == (0, 1)
    assert leads(engine)["1"].owner == "Åse Ødegård"
    with Session(engine) as s:
        assert s.exec(select(LeadChange)).all() == []  # no owner change in the history
