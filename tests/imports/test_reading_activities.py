"""Activities files: one row per activity (lead id, timestamp, kind, detail, actor)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from smarketing.data_in.reading import read_activities
from smarketing.data_in.records import ActivityRecord, UnreadableFile
from smarketing.errors import InvalidInput
from smarketing.store.models import ActivityKind


def data(*rows: str) -> bytes:
    return ("\n".join(rows) + "\n").encode()


def test_activities_with_every_kind_spelling():
    parsed = read_activities(
        data(
            "lead_id,timestamp,kind,detail,actor",
            "L1,2026-01-15 10:00,Page view,/pricing,",
            "L1,2026-01-15 10:05,download,Whitepaper,",
            "L1,2026-01-15 10:06,Form submission,Demo request,",
            "L1,2026-01-16 09:00,E-mail click,Newsletter,",
            "L1,2026-01-16 10:00,e-mail sent,Hello,kari",
            "L1,2026-01-16 11:00,CALL,,Kari",
            "L1,2026-01-17 12:00,meeting,Intro,Kari",
            "L1,2026-01-17 12:30,FORM,Contact us,",
            "L1,2026-01-17 13:00,email,Follow-up,Kari",
        ),
        "activities.csv",
    )
    assert (parsed.kind, parsed.format, parsed.source_system) == (
        "activities",
        "activities",
        "csv",
    )
    assert parsed.errors == []
    kinds = [r.kind for r in parsed.records]
    assert kinds == [
        "page_view",
        "download",
        "form",
        "email_click",
        "email",
        "call",
        "meeting",
        "form",
        "email",
    ]
    assert all(k in set(ActivityKind) for k in kinds)
    first = parsed.records[0]
    assert first == ActivityRecord(
        row=2,
        lead_external_id="L1",
        occurred_at=datetime(2026, 1, 15, 9, 0, tzinfo=UTC),
        kind="page_view",
        detail="/pricing",
        actor=None,
    )
    assert {r.actor for r in parsed.records if r.actor} == {"Kari"}
    assert parsed.records[5].detail == ""


def test_activity_rejections_name_row_column_and_allowed_kinds():
    parsed = read_activities(
        data(
            "Record ID,occurred_at,type,description",
            "1,2026-01-15T10:00:00Z,call,ok",
            ",2026-01-15T10:00:00Z,call,no id",
            "1,yesterday,call,bad date",
            "1,,call,no date",
            "1,2026-01-15T10:00:00Z,fax,unknown kind",
        ),
        "hubspot-activities.csv",
    )
    assert parsed.source_system == "hubspot"
    assert [r.row for r in parsed.records] == [2]
    errors = [(e.row, e.column, e.reason) for e in parsed.errors]
    assert errors[:3] == [
        (3, "Record ID", "no lead id"),
        (4, "occurred_at", "not a date: 'yesterday'"),
        (5, "occurred_at", "no timestamp"),
    ]
    row, column, reason = errors[3]
    assert (row, column) == (6, "type")
    assert reason.startswith("unknown activity kind 'fax': expected one of page view, download")
    assert list(parsed.rejected_rows.index) == [3, 4, 5, 6]
    assert "error" in parsed.rejected_rows.columns


def test_activity_headers_and_mapping():
    parsed = read_activities(
        data("Contact ID;date;activity type;subject;owner", "9;15.01.2026 10:00;Meeting;Demo;Per"),
        "a.csv",
        tz="UTC",
    )
    assert parsed.records[0].occurred_at == datetime(2026, 1, 15, 10, 0, tzinfo=UTC)
    assert parsed.records[0].actor == "Per"
    assert parsed.mapping == {
        "Contact ID": "lead_external_id",
        "date": "occurred_at",
        "activity type": "kind",
        "subject": "detail",
        "owner": "actor",
    }
    mapped = read_activities(
        data("Kunde,Når,Hva", "K1,2026-01-15 10:00,call"),
        "b.csv",
        mapping={"Kunde": "lead_id", "Når": "timestamp", "Hva": "kind"},
    )
    assert mapped.records[0].lead_external_id == "K1"
    assert mapped.records[0].kind == "call"


def test_activity_file_without_a_needed_column_is_unreadable():
    with pytest.raises(UnreadableFile, match=r"x\.csv: no activity kind column"):
        read_activities(data("lead_id,timestamp,detail", "1,2026-01-15,hi"), "x.csv")
    with pytest.raises(UnreadableFile, match=r"x\.csv: no lead id column"):
        read_activities(data("timestamp,kind", "2026-01-15,call"), "x.csv")
    with pytest.raises(UnreadableFile, match="Excel workbook"):
        read_activities(b"PK\x03\x04zip", "x.csv")


def test_long_detail_is_shortened_with_a_warning():
    parsed = read_activities(
        data("lead_id,timestamp,kind,detail", f"1,2026-01-15,email,{'x' * 600}"), "long.csv"
    )
    assert len(parsed.records[0].detail) == 500
    assert any("shortened" in w for w in parsed.warnings)


def test_the_crm_of_the_lead_ids_can_be_chosen():
    text = data("lead_id,timestamp,kind", "101,2026-01-15 10:00,call")
    assert read_activities(text, "a.csv").source_system == "csv"  # the header names no CRM
    chosen = read_activities(text, "a.csv", source_system="hubspot")
    assert chosen.source_system == "hubspot"
    assert chosen.records[0].lead_external_id == "101"
    record_id = data("Record ID,timestamp,kind", "101,2026-01-15 10:00,call")
    assert read_activities(record_id, "b.csv", source_system="csv").source_system == "csv"
    with pytest.raises(InvalidInput, match=r"unknown CRM 'zoho'.*hubspot, salesforce"):
        read_activities(text, "a.csv", source_system="zoho")


def test_activities_keep_the_raw_rows_for_the_rejects_file():
    parsed = read_activities(
        data("Record ID,Timestamp,Type", "101,2026-01-15 10:00,Call", "102,soon,Call"),
        "a.csv",
    )
    assert list(parsed.raw_rows.index) == [2, 3]
    assert parsed.raw_rows.loc[2, "Type"] == "Call"
