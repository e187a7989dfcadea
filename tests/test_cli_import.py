"""The command line's `import leads|activities`: counts, rejected rows and the rejects CSV,
idempotence, dry run, unreadable files (exit 2), the demo company, mappings, activities."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import func, select
from sqlmodel import Session

from smarketing.cli import imports as cli_imports
from smarketing.cli.main import main
from smarketing.data_in import reading
from smarketing.demo import build_demo, has_demo
from smarketing.store.db import make_engine
from smarketing.store.models import ImportRun, Lead, LeadActivity, SlaAgreement
from tests.conftest import NOW

MQL = "Became a Marketing Qualified Lead Date"
HUBSPOT = (
    f"Record ID,First Name,Last Name,Email,Create Date,{MQL},Original Source,Lead Status\n"
    "101,Ola,Nordmann,ola@example.no,2026-09-01 09:00,2026-09-02 10:00,Organic Search,New\n"
    "102,Kari,Hansen,kari@example.no,2026-09-03 09:00,not a date,Paid Search,Open\n"
    "103,Per,Olsen,per@example.no,2026-09-04 09:00,,Direct Traffic,Unqualified\n"
)


def run(capsys, *argv) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def db(capsys, db_url) -> str:
    """A fresh database with the schema (``init``), its URL."""
    code, _, _ = run(capsys, "init", "--db", db_url)
    assert code == 0
    return db_url


def write(tmp_path: Path, name: str, content: str | bytes) -> Path:
    path = tmp_path / name
    if isinstance(content, str):
        path.write_text(content, encoding="utf-8")
    else:
        path.write_bytes(content)
    return path


def stored(db_url: str) -> dict[str, Lead]:
    with Session(make_engine(db_url), expire_on_commit=False) as s:
        return {lead.external_id: lead for lead in s.execute(select(Lead)).scalars()}


def count(db_url: str, model) -> int:
    with Session(make_engine(db_url)) as s:
        return s.execute(select(func.count()).select_from(model)).scalar_one()


def errors(err: str) -> list[str]:
    return [line for line in err.splitlines() if line.startswith("error:")]


def test_bad_row_is_rejected_and_the_fixed_rejects_csv_reimports(capsys, db, tmp_path):
    source = write(tmp_path, "contacts.csv", HUBSPOT)
    rejects = tmp_path / "rejects.csv"
    code, out, err = run(capsys, "import", "leads", source, "--rejects", rejects, "--db", db)
    assert code == 0
    assert (
        "contacts.csv (hubspot, 3 rows): 2 were inserted, 0 updated, 0 unchanged, 1 rejected"
    ) in out
    assert f"rejected: row 3, column '{MQL}': not a date: 'not a date'" in err
    assert sorted(stored(db)) == ["101", "103"]
    assert rejects.stat().st_mode & 0o777 == 0o600  # rows of CRM data: private

    bad = pd.read_csv(rejects, dtype=str, keep_default_na=False)
    assert list(bad.columns) == [*HUBSPOT.splitlines()[0].split(","), "error"]
    assert bad["Record ID"].tolist() == ["102"]
    assert bad.loc[0, "error"].startswith(f"{MQL}: not a date: 'not a date'")

    bad.loc[0, MQL] = "2026-09-04 10:00"  # the fix, in a spreadsheet
    fixed = write(tmp_path, "fixed.csv", bad.drop(columns="error").to_csv(index=False))
    code, out, err = run(capsys, "import", "leads", fixed, "--db", db)
    assert code == 0, err
    assert "(hubspot, 1 row): 1 were inserted, 0 updated, 0 unchanged, 0 rejected" in out
    assert "rejected:" not in err
    leads = stored(db)
    assert sorted(leads) == ["101", "102", "103"]
    assert leads["102"].mql_at == datetime(2026, 9, 4, 8, 0, tzinfo=UTC)  # 10:00 in Oslo
    assert leads["102"].source == "Paid Search"

    kept = write(tmp_path, "fixed_kept.csv", bad.to_csv(index=False))  # 'error' left in
    code, out, err = run(capsys, "import", "leads", kept, "--db", db)
    assert code == 0
    assert "0 were inserted, 0 updated, 1 unchanged, 0 rejected" in out
    assert "error" not in err  # not even a note that the column was not imported


def test_importing_the_same_file_twice_changes_nothing(capsys, db, tmp_path):
    source = write(tmp_path, "contacts.csv", HUBSPOT)
    assert run(capsys, "import", "leads", source, "--db", db)[0] == 0
    before = {k: (v.id, v.mql_at, v.updated_at) for k, v in stored(db).items()}
    code, out, _ = run(capsys, "import", "leads", source, "--db", db)
    assert code == 0
    assert "0 were inserted, 0 updated, 2 unchanged, 1 rejected" in out
    assert {k: (v.id, v.mql_at, v.updated_at) for k, v in stored(db).items()} == before
    assert count(db, ImportRun) == 2  # both runs are logged


def test_dry_run_writes_nothing(capsys, db, tmp_path):
    source = write(tmp_path, "contacts.csv", HUBSPOT)
    code, out, err = run(capsys, "import", "leads", source, "--dry-run", "--db", db)
    assert code == 0
    assert "2 would be inserted, 0 updated, 0 unchanged, 1 rejected" in out
    assert " in " not in out.split("rejected", 1)[1]  # no timing: nothing ran
    assert "rejected: row 3" in err
    assert count(db, Lead) == 0
    assert count(db, ImportRun) == 0


def _xlsx() -> bytes:
    """A minimal Excel workbook (a zip file), as a renamed .xlsx arrives."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as book:
        book.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        book.writestr("xl/workbook.xml", '<?xml version="1.0"?><workbook/>')
        book.writestr("xl/worksheets/sheet1.xml", '<?xml version="1.0"?><worksheet/>')
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (_xlsx(), "Excel workbook"),
        (b"", "is empty"),
        (b"\r\n \r\n", "is empty"),
        (bytes(range(256)) * 8, "binary"),
        ("Name,Phone\nOla Nordmann,+47 99999999\n", "contacts.csv"),
    ],
    ids=["xlsx-renamed", "empty", "blank", "binary", "no-id-column"],
)
def test_a_file_that_cannot_be_read_exits_2_with_one_error(capsys, db, tmp_path, content, message):
    source = write(tmp_path, "contacts.csv", content)
    rejects = tmp_path / "rejects.csv"
    code, out, err = run(capsys, "import", "leads", source, "--rejects", rejects, "--db", db)
    assert code == 2
    assert out == ""
    assert len(errors(err)) == 1 and errors(err) == err.strip().splitlines()
    assert message in errors(err)[0]
    assert not rejects.exists()
    assert count(db, Lead) == 0
    assert count(db, ImportRun) == 0


def test_no_id_column_names_the_expected_headers(capsys, db, tmp_path):
    source = write(tmp_path, "contacts.csv", f"First Name,Email,Create Date,{MQL}\nOla,o@x.no,,\n")
    code, _, err = run(capsys, "import", "leads", source, "--format", "hubspot", "--db", db)
    assert code == 2
    assert errors(err) == [err.strip()]
    assert "no record id column" in err and "Record ID" in err


def test_a_missing_file_exits_2(capsys, db, tmp_path):
    code, out, err = run(capsys, "import", "leads", tmp_path / "nowhere.csv", "--db", db)
    assert code == 2
    assert out == ""
    assert errors(err) == [err.strip()]
    assert "cannot read" in err and "nowhere.csv" in err


def test_the_demo_company_blocks_the_import_until_removed(capsys, db, tmp_path):
    build_demo(make_engine(db), leads=200, months=2, now=NOW)
    demo_leads = count(db, Lead)
    source = write(tmp_path, "contacts.csv", HUBSPOT)

    code, out, err = run(capsys, "import", "leads", source, "--db", db)
    assert code == 1
    assert out == ""
    assert "demo company" in errors(err)[-1] and "--remove-demo" in errors(err)[-1]
    assert count(db, Lead) == demo_leads
    with Session(make_engine(db)) as s:
        assert has_demo(s)

    code, out, err = run(
        capsys, "import", "leads", source, "--remove-demo", "--dry-run", "--db", db
    )
    assert code == 0, err
    assert out.startswith("How the columns of contacts.csv are read (hubspot):")
    assert "The demo company would be removed first.\nWould remove " in out
    assert f"  - {demo_leads} demo leads with their " in out
    assert "Would keep as your starting point:" in out and "2 would be inserted" in out
    assert count(db, Lead) == demo_leads

    code, out, err = run(capsys, "import", "leads", source, "--remove-demo", "--db", db)
    assert code == 0, err
    assert "2 were inserted" in out
    assert "The demo company was removed first.\nRemoved (demo data nobody touched):" in out
    assert "Kept as your starting point:" in out  # the default keeps the starting point
    with Session(make_engine(db)) as s:
        assert not has_demo(s)
    assert count(db, SlaAgreement) == 2
    assert sorted(stored(db)) == ["101", "103"]


def test_remove_demo_without_the_starting_point(capsys, db, tmp_path):
    build_demo(make_engine(db), leads=200, months=2, now=NOW)
    source = write(tmp_path, "contacts.csv", HUBSPOT)
    code, out, err = run(
        capsys, "import", "leads", source, "--remove-demo", "--no-starting-point", "--db", db
    )
    assert code == 0, err
    assert "the demo SLA agreement (v1 and v2)" in out and "starting point" not in out
    assert count(db, SlaAgreement) == 0


def test_no_starting_point_goes_with_remove_demo(capsys, db, tmp_path):
    source = write(tmp_path, "contacts.csv", HUBSPOT)
    code, out, err = run(capsys, "import", "leads", source, "--no-starting-point", "--db", db)
    assert code == 2 and out == ""
    assert err == "error: --no-starting-point goes with --remove-demo\n"


def test_a_demo_dry_run_needs_no_confirmation(capsys, db, tmp_path):
    build_demo(make_engine(db), leads=200, months=2, now=NOW)
    source = write(tmp_path, "contacts.csv", HUBSPOT)
    code, out, _ = run(capsys, "import", "leads", source, "--dry-run", "--db", db)
    assert code == 0 and "2 would be inserted" in out
    with Session(make_engine(db)) as s:
        assert has_demo(s)


@pytest.mark.parametrize("fmt", [["--format", "generic"], []], ids=["generic", "auto"])
def test_generic_csv_with_a_mapping_file(capsys, db, tmp_path, fmt):
    source = write(
        tmp_path,
        "eget.csv",
        "Lead Key;Signed up;Qualified;Channel;Ignored\n"
        "A-1;15.01.2026 10:00;16.01.2026 09:30;google;x\n"
        "A-2;15.01.2026 11:00;;Google;y\n",
    )
    mapping = write(
        tmp_path,
        "mapping.json",
        json.dumps(
            {
                "Lead Key": "external_id",
                "Signed up": "created_at",
                "Qualified": "mql_at",
                "Channel": "source",
                "Ignored": "",
            }
        ),
    )
    # without --format the headers name no CRM, so the mapping is read as a generic CSV's
    code, out, err = run(capsys, "import", "leads", source, *fmt, "--mapping", mapping, "--db", db)
    assert code == 0, err
    assert "eget.csv (generic, 2 rows): 2 were inserted, 0 updated, 0 unchanged, 0 rejected" in out
    leads = stored(db)
    assert sorted(leads) == ["A-1", "A-2"]
    assert {lead.source_system for lead in leads.values()} == {"csv"}
    assert leads["A-1"].created_at == datetime(2026, 1, 15, 9, 0, tzinfo=UTC)
    assert leads["A-1"].mql_at == datetime(2026, 1, 16, 8, 30, tzinfo=UTC)
    assert leads["A-2"].mql_at is None
    assert leads["A-1"].source == leads["A-2"].source  # google and Google: one source


def test_a_mapping_naming_a_missing_column_exits_2(capsys, db, tmp_path):
    source = write(tmp_path, "eget.csv", "key,created\nA-1,2026-01-15\n")
    mapping = write(tmp_path, "mapping.json", '{"Lead Key": "external_id"}')
    code, _, err = run(capsys, "import", "leads", source, "--mapping", mapping, "--db", db)
    assert code == 2
    assert errors(err) == [err.strip()] and "'Lead Key'" in err


def test_import_activities_rejects_unknown_leads_and_derives_the_first_contact(
    capsys, db, tmp_path
):
    run(capsys, "import", "leads", write(tmp_path, "contacts.csv", HUBSPOT), "--db", db)
    activities = write(
        tmp_path,
        "activities.csv",
        "Record ID,Timestamp,Type,Detail\n"
        "101,2026-09-01 12:00,Call,before the MQL: not a first contact\n"
        "101,2026-09-02 12:30,Call,first call\n"
        "101,2026-09-03 09:00,Meeting,demo\n"
        "999,2026-09-02 11:00,Call,nobody\n"
        "101,2026-09-02 10:30,Page view,marketing not sales\n",
    )
    code, out, err = run(capsys, "import", "activities", activities, "--db", db)
    assert code == 0, err
    # 1 updated: lead 101's first contact, derived from the first call after its MQL
    assert (
        "activities.csv (activities, 5 rows): 4 were inserted, 1 updated, 0 unchanged, 1 rejected"
    ) in out
    assert "rejected: row 5, column 'Record ID': no hubspot lead with id '999'" in err
    assert count(db, LeadActivity) == 4
    leads = stored(db)
    assert leads["101"].first_contact_at == datetime(2026, 9, 2, 10, 30, tzinfo=UTC)
    assert leads["103"].first_contact_at is None

    code, out, _ = run(capsys, "import", "activities", activities, "--db", db)
    assert code == 0
    assert "0 were inserted, 0 updated, 4 unchanged, 1 rejected" in out


def test_the_cli_offers_the_readers_formats():
    assert cli_imports.FORMATS == reading.FORMATS


ACTIVITIES = (
    "Record ID,Timestamp,Type,Detail\n"
    "101,2026-09-02 12:30,Call,first call\n"
    "0999,2026-09-02 11:00,Call,a lead not imported yet\n"
    "101,someday,Call,bad date\n"
)


@pytest.mark.parametrize("dry_run", [[], ["--dry-run"]], ids=["import", "dry-run"])
def test_rejects_include_rows_only_the_database_could_judge(capsys, db, tmp_path, dry_run):
    run(capsys, "import", "leads", write(tmp_path, "contacts.csv", HUBSPOT), "--db", db)
    source = write(tmp_path, "activities.csv", ACTIVITIES)
    rejects = tmp_path / "rejects.csv"
    code, out, err = run(
        capsys, "import", "activities", source, *dry_run, "--rejects", rejects, "--db", db
    )
    assert code == 0, err
    assert "1 updated, 0 unchanged, 2 rejected" in out
    bad = pd.read_csv(rejects, dtype=str, keep_default_na=False)
    assert list(bad.columns) == ["Record ID", "Timestamp", "Type", "Detail", "error"]
    # the original cells of both rows, in file order (the id keeps its leading zero)
    assert bad.drop(columns="error").values.tolist() == [
        ["0999", "2026-09-02 11:00", "Call", "a lead not imported yet"],
        ["101", "someday", "Call", "bad date"],
    ]
    assert bad["error"].tolist() == [
        "Record ID: no hubspot lead with id '0999'",
        "Timestamp: not a date: 'someday'",
    ]
    assert "hint: the lead ids were matched against hubspot leads" in err
    assert "--crm" in err


def test_the_fixed_rejects_file_of_activities_reimports_cleanly(capsys, db, tmp_path):
    run(capsys, "import", "leads", write(tmp_path, "contacts.csv", HUBSPOT), "--db", db)
    rejects = tmp_path / "rejects.csv"
    source = write(tmp_path, "activities.csv", ACTIVITIES)
    run(capsys, "import", "activities", source, "--rejects", rejects, "--db", db)
    assert count(db, LeadActivity) == 1
    # the missing lead is imported, the bad date fixed in a spreadsheet
    lead = HUBSPOT.splitlines()[0] + "\n0999,Ida,Berg,ida@example.no,2026-09-01 08:00,,,New\n"
    code, out, _ = run(capsys, "import", "leads", write(tmp_path, "ida.csv", lead), "--db", db)
    assert code == 0 and "1 were inserted" in out
    bad = pd.read_csv(rejects, dtype=str, keep_default_na=False)
    bad.loc[bad["Timestamp"] == "someday", "Timestamp"] = "2026-09-03 08:00"
    fixed = write(tmp_path, "fixed.csv", bad.drop(columns="error").to_csv(index=False))
    code, out, err = run(capsys, "import", "activities", fixed, "--db", db)
    assert code == 0, err
    assert "(activities, 2 rows): 2 were inserted, " in out and "0 rejected" in out
    assert "rejected:" not in err
    assert count(db, LeadActivity) == 3


def test_activities_crm_option_and_default(capsys, db, tmp_path):
    run(capsys, "import", "leads", write(tmp_path, "contacts.csv", HUBSPOT), "--db", db)
    plain = write(tmp_path, "calls.csv", "lead_id,timestamp,kind\n101,2026-09-02 12:30,call\n")
    # the header names no CRM; only HubSpot leads are stored: read as HubSpot ids
    code, out, err = run(capsys, "import", "activities", plain, "--dry-run", "--db", db)
    assert code == 0, err
    assert "1 would be inserted" in out and "0 rejected" in out
    assert "read as hubspot ids" in err
    # --crm overrides the default (and the guess)
    code, out, err = run(
        capsys, "import", "activities", plain, "--crm", "csv", "--dry-run", "--db", db
    )
    assert code == 0
    assert "0 would be inserted" in out and "1 rejected" in out
    assert "no csv lead with id '101'" in err and "--crm" in err
    code, out, err = run(capsys, "import", "activities", plain, "--crm", "hubspot", "--db", db)
    assert code == 0 and "1 were inserted" in out and "read as" not in err
    with pytest.raises(SystemExit) as exited:
        main(["import", "activities", str(plain), "--crm", "zoho", "--db", db])
    assert exited.value.code == 2
    assert "invalid choice: 'zoho'" in capsys.readouterr().err


def test_the_cli_offers_the_readers_crms():
    from smarketing.data_in import activities

    assert cli_imports.CRMS == activities.SOURCE_SYSTEMS


def test_spellings_of_a_second_import_follow_the_first(capsys, db, tmp_path):
    run(capsys, "import", "leads", write(tmp_path, "contacts.csv", HUBSPOT), "--db", db)
    more = (
        HUBSPOT.splitlines()[0] + "\n"
        "104,Eva,Lie,eva@example.no,2026-09-05 09:00,,organic search,New\n"
        "101,Ola,Nordmann,ola@example.no,2026-09-01 09:00,2026-09-02 10:00,ORGANIC SEARCH,New\n"
    )
    code, out, _ = run(capsys, "import", "leads", write(tmp_path, "more.csv", more), "--db", db)
    assert code == 0
    assert "1 were inserted, 0 updated, 1 unchanged" in out
    assert {lead.source for lead in stored(db).values()} == {"Organic Search", "Direct Traffic"}


OLD_HUBSPOT = (
    "Record ID,First Name,Create Date,HubSpot Owner,Team Lead,Phone Number,Lead Status\n"
    "201,Kari,2026-09-01 09:00,Lars Berg,Mia Dahl,+47 1,New\n"
    "202,Ola,2026-09-02 09:00,Lars Berg,Sam Solberg,+47 2,Unqualified\n"
)


def test_hubspot_owner_is_imported_as_the_owner(capsys, db, tmp_path):
    """Issue 13, defect 7: older HubSpot exports call the owner "HubSpot Owner"."""
    source = write(tmp_path, "contacts.csv", OLD_HUBSPOT)
    code, _, err = run(capsys, "import", "leads", source, "--db", db)
    assert code == 0, err
    assert "HubSpot Owner" not in err  # not among the columns "not imported"
    assert {k: lead.owner for k, lead in stored(db).items()} == {
        "201": "Lars Berg",
        "202": "Lars Berg",
    }


def test_show_mapping_says_in_words_what_is_imported_and_writes_nothing(capsys, db, tmp_path):
    source = write(tmp_path, "contacts.csv", OLD_HUBSPOT)
    code, out, _ = run(capsys, "import", "leads", source, "--show-mapping", "--db", db)
    assert code == 0
    assert out.splitlines() == [
        "How the columns of contacts.csv are read (hubspot):",
        "  'Record ID' → Record ID (the CRM's id)",
        "  'First Name' → First name",
        "  'Create Date' → Created (date)",
        "  'HubSpot Owner' → Owner",
        "  'Team Lead' → not imported (no matching field: choose one in the mapping if it "
        "holds one)",
        "  'Phone Number' → not imported (a HubSpot column smarketing does not use)",
        "  'Lead Status' → Lead status (a rejected status is a rejection)",
    ]
    assert stored(db) == {}


def test_a_mapping_changes_the_detected_one_of_a_hubspot_file(capsys, db, tmp_path):
    source = write(tmp_path, "contacts.csv", OLD_HUBSPOT)
    # the field by its label or its name; "" leaves a column out
    mapping = write(
        tmp_path, "mapping.json", json.dumps({"Team Lead": "Owner", "Phone Number": ""})
    )
    code, out, err = run(
        capsys, "import", "leads", source, "--mapping", mapping, "--dry-run", "--db", db
    )
    assert code == 0, err
    assert "  'Team Lead' → Owner" in out
    assert "  'HubSpot Owner' → not imported (left out in the mapping)" in out
    assert "contacts.csv (hubspot, 2 rows): 2 would be inserted" in out
    code, _, err = run(capsys, "import", "leads", source, "--mapping", mapping, "--db", db)
    assert code == 0, err
    assert {k: lead.owner for k, lead in stored(db).items()} == {
        "201": "Mia Dahl",
        "202": "Sam Solberg",
    }
    # a field that does not exist is one clear line, exit 2
    bad = write(tmp_path, "bad.json", json.dumps({"Team Lead": "Boss"}))
    code, _, err = run(capsys, "import", "leads", source, "--mapping", bad, "--db", db)
    assert code == 2 and "sends column 'Team Lead' to 'Boss', which is not a field" in err


# --- warnings (issue 15) ---------------------------------------------------------------------

FAR = (
    f"Record ID,First Name,Last Name,Create Date,{MQL}\n"
    "101,Ola,Nordmann,2026-11-01 09:00,2099-01-01 10:00\n"
    "102,Kari,Hansen,2026-11-02 09:00,2026-11-03 10:00\n"
)


def test_a_date_far_in_the_future_is_a_warning_and_the_row_is_imported(capsys, db, tmp_path):
    source = write(tmp_path, "contacts.csv", FAR)
    listed = tmp_path / "warnings.csv"
    now = ["--now", "2026-11-18T12:00Z"]
    code, out, err = run(
        capsys, "import", "leads", source, "--dry-run", "--warnings", listed, *now, "--db", db
    )
    assert code == 0
    line = (
        f"warning: row 2, column '{MQL}': a date in the future: later than 2026-11-19 13:00 "
        "(1 day after the import); the row is imported with this date — check it in the CRM"
    )
    assert line in err.splitlines()
    assert "contacts.csv (hubspot, 2 rows): 2 would be inserted, 0 updated, 0 unchanged, " in out
    assert "0 rejected, 1 with warnings\n" in out
    rows = listed.read_bytes().decode("utf-8").splitlines()
    assert rows[0] == "row,column,value,warning"
    assert rows[1].startswith(f"2,{MQL},2099-01-01 10:00,a date in the future")
    assert count(db, Lead) == 0
    code, out, err = run(capsys, "import", "leads", source, *now, "--db", db)
    assert code == 0 and line in err.splitlines()
    assert "2 were inserted, 0 updated, 0 unchanged, 0 rejected, 1 with warnings in " in out
    assert stored(db)["101"].mql_at == datetime(2099, 1, 1, 9, 0, tzinfo=UTC)


def test_the_horizon_follows_now_and_the_setting(capsys, db, tmp_path, monkeypatch):
    source = write(tmp_path, "contacts.csv", FAR)
    code, _, err = run(
        capsys, "import", "leads", source, "--dry-run", "--now", "2099-01-01T00:00Z", "--db", db
    )
    assert code == 0 and "warning:" not in err  # 2099-01-01 10:00 is within a day of that now
    monkeypatch.setenv("SMARKETING_IMPORT_FUTURE_DAYS", "0")
    code, _, err = run(
        capsys, "import", "leads", source, "--dry-run", "--now", "2099-01-01T00:00Z", "--db", db
    )
    assert code == 0 and "(0 days after the import)" in err


def test_a_misread_name_is_kept_and_reported_by_the_dry_run(capsys, db, tmp_path):
    good = write(tmp_path, "good.csv", "Record ID,First Name,Last Name,Create Date\n"
                 "7,Ærlend,Bråten,2026-11-01 09:00\n")  # fmt: skip
    assert run(capsys, "import", "leads", good, "--db", db)[0] == 0
    misread = write(tmp_path, "bad.csv", "Record ID,First Name,Last Name,Create Date\n"
                    "7,Ã†rlend,BrÃ¥ten,2026-11-01 09:00\n")  # fmt: skip
    code, out, err = run(capsys, "import", "leads", misread, "--dry-run", "--db", db)
    assert code == 0
    assert (
        "warning: row 2, column 'Last Name': lead 7 (Ærlend Bråten): 'Bråten' → 'BrÃ¥ten' looks "
        "like the stored last name misread (UTF-8 read as cp1252); the stored 'Bråten' is kept "
        "and this change is not imported — check the file's encoding"
    ) in err.splitlines()
    assert "0 would be inserted, 0 updated, 1 unchanged, 0 rejected, 1 with warnings" in out
    run(capsys, "import", "leads", misread, "--db", db)
    assert (stored(db)["7"].first_name, stored(db)["7"].last_name) == ("Ærlend", "Bråten")


# --- issue 15: files that must not exhaust the server, and mixed encodings -----------------


def cli_in_child(*argv, timeout: float = 30) -> subprocess.CompletedProcess:
    """The command in a process of its own, with a timeout: a file that blocks or never
    ends fails the test instead of hanging it."""
    root = Path(__file__).resolve().parent.parent
    return subprocess.run(
        [sys.executable, "-m", "smarketing", *map(str, argv)],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=root,
    )


@pytest.mark.parametrize("kind", ["leads", "activities"])
def test_dev_zero_a_fifo_and_a_directory_are_refused_at_once(db, tmp_path, kind):
    fifo = tmp_path / "leads.fifo"
    os.mkfifo(fifo)  # nobody writes to it: opening it for reading would wait forever
    for path, what in (
        ("/dev/zero", "not a regular file"),
        (fifo, "not a regular file"),
        (tmp_path, "a directory"),
    ):
        done = cli_in_child("import", kind, path, "--db", db)
        assert done.returncode == 2, done.stderr
        assert done.stderr.strip() == f"error: {path} is {what}: give the path of a CSV file"


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(capsys, db, tmp_path, monkeypatch):
    monkeypatch.setenv("SMARKETING_IMPORT_MAX_MB", "1")
    big = write(tmp_path, "big.csv", HUBSPOT + "x" * (1024 * 1024 - len(HUBSPOT) + 1))
    code, _, err = run(capsys, "import", "leads", big, "--db", db)
    assert code == 2
    assert err.strip() == (
        "error: big.csv is 1,048,577 bytes; the import limit is 1,048,576 bytes (1.0 MB) "
        "(raise it with SMARKETING_IMPORT_MAX_MB)"
    )
    assert count(db, Lead) == 0


def test_a_mixed_encoding_file_leaves_existing_names_alone(capsys, db, tmp_path):
    """UTF-8 with one row a cp1252 tool wrote: that row is rejected (reported, in the
    rejects file), the others are imported as UTF-8; no stored name becomes mojibake."""
    from tests.factories import add_lead

    with Session(make_engine(db)) as s:
        for external_id, first, last in (
            ("101", "Ærlend", "Bråten"),
            ("102", "Åse", "Øvrebø"),
            ("103", "Øyvind", "Ås"),
        ):
            add_lead(
                s,
                external_id,
                "2026-09-01 09:00",
                first_name=first,
                last_name=last,
                source_system="hubspot",
            )
    data = (
        b"Record ID,First Name,Last Name,Create Date\n"
        + "101,Ærlend,Bråten,2026-09-01 09:00\n".encode()
        + "102,Åse,Øvrebø,2026-09-01 09:00\n".encode("cp1252")
        + "103,Øyvind,Ås,2026-09-02 09:00\n".encode()
    )
    source = write(tmp_path, "mixed.csv", data)
    rejects = tmp_path / "rejects.csv"
    code, out, err = run(capsys, "import", "leads", source, "--rejects", rejects, "--db", db)
    assert code == 0
    # byte 43 + 37 + 4: the header, row 2 ('Ærlend Bråten' in UTF-8), "102,"
    assert "rejected: row 3: not UTF-8 at byte 84 (looks like cp1252: 'Åse')" in err
    assert "(hubspot, 3 rows): 0 were inserted, 1 updated, 1 unchanged, 1 rejected" in out
    leads = stored(db)
    names = {k: (v.first_name, v.last_name) for k, v in leads.items()}
    assert names == {
        "101": ("Ærlend", "Bråten"),
        "102": ("Åse", "Øvrebø"),
        "103": ("Øyvind", "Ås"),
    }
    bad = pd.read_csv(rejects, dtype=str, keep_default_na=False)
    assert bad[["Record ID", "First Name", "Last Name"]].values.tolist() == [
        ["102", "Åse", "Øvrebø"]
    ]
    assert bad.loc[0, "error"] == "not UTF-8 at byte 84 (looks like cp1252: 'Åse')"
