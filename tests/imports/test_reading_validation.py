"""Cleaning and validation: every rejection reason with its row and column, dates and
timezones, missing-value placeholders, grouping values, numbers."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from smarketing.data_in.dates import parse_datetimes
from smarketing.data_in.normalise import employees_to_segment, parse_numbers
from smarketing.data_in.reading import read_leads

HEADER = (
    "Record ID,First Name,Create Date,Became a Marketing Qualified Lead Date,"
    "Became a Sales Qualified Lead Date,HubSpot Score,Recent Deal Amount"
)


def read(*rows: str, header: str = HEADER, **kwargs):
    return read_leads(("\n".join([header, *rows]) + "\n").encode(), "leads.csv", **kwargs)


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_every_rejection_reason_with_row_and_column():
    parsed = read(
        "1,Ola,2026-01-15,2026-01-16,2026-01-17,10,100",  # row 2: valid
        ",Nobody,2026-01-15,,,,",  # row 3: no id
        "3,Kari,15/01/2026,,,,",  # row 4: unparseable date
        "4,Per,2026-01-15,2026-01-20,2026-01-18,,",  # row 5: SQL before MQL
        "1,Ola again,2026-01-15,,,,",  # row 6: duplicate of row 2
        f"6,{'x' * 101},2026-01-15,,,,",  # row 7: first name too long
        "7,Liv,2026-01-15,,,high,",  # row 8: score not a number
        "8,Eva,2026-01-15,,,,lots",  # row 9: deal value not a number
        f"{'9' * 65},Long id,2026-01-15,,,,",  # row 10: id too long
        "10,Tom,,,,,",  # row 11: no creation date
        "11,Ida,2026-01-15,2026-01-14,,,",  # row 12: MQL before created
    )
    assert [r.row for r in parsed.records] == [2]
    got = [(e.row, e.column) for e in parsed.errors]
    assert got == [
        (3, "Record ID"),
        (4, "Create Date"),
        (5, "Became a Sales Qualified Lead Date"),
        (6, "Record ID"),
        (7, "First Name"),
        (8, "HubSpot Score"),
        (9, "Recent Deal Amount"),
        (10, "Record ID"),
        (11, "Create Date"),
        (12, "Became a Marketing Qualified Lead Date"),
    ]
    reasons = {e.row: e.reason for e in parsed.errors}
    assert reasons[3] == "no record id"
    assert reasons[4].startswith("not a date: '15/01/2026'")
    assert reasons[5].startswith(
        "'2026-01-18' is earlier than Became a Marketing Qualified Lead Date '2026-01-20'"
    )
    assert reasons[6] == "duplicate id '1': row 2 has the same id"
    assert reasons[7] == "first_name is 101 characters long; at most 100 fit"
    assert reasons[8] == "not a number: 'high'"
    assert reasons[9] == "not a number: 'lots'"
    assert reasons[10] == "id is 65 characters long; at most 64 fit"
    assert reasons[11] == "no creation date"
    assert reasons[12].startswith("'2026-01-14' is earlier than Create Date '2026-01-15'")
    assert str(parsed.errors[0]) == "row 3, column 'Record ID': no record id"
    assert parsed.rows_read == 11


def test_rejected_rows_keep_their_original_cells_and_all_reasons():
    parsed = read(
        "1,Ola,2026-01-15,,,10,",
        "2, Kari ,someday,,,many,",
    )
    rejected = parsed.rejected_rows
    assert list(rejected.columns) == [*HEADER.split(","), "error"]
    assert list(rejected.index) == [3]
    assert rejected.loc[3, "First Name"] == " Kari "  # as in the file
    assert rejected.loc[3, "error"] == (
        "Create Date: not a date: 'someday' (expected e.g. 2026-01-15 10:00, "
        "15.01.2026 10:00, 1/15/2026 3:05 PM or Unix ms); HubSpot Score: not a number: 'many'"
    )


def test_the_rejects_csv_reimports_cleanly_once_fixed():
    parsed = read("1,Ola,2026-01-15,,,,", "2,Kari,someday,,,,")
    fixed = parsed.rejected_rows.copy()
    fixed.loc[3, "Create Date"] = "2026-01-16"
    again = read_leads(fixed.to_csv(index=False).encode(), "leads-rejects.csv")
    assert again.errors == []
    assert [r.values["external_id"] for r in again.records] == ["2"]
    assert not any("error" in w for w in again.warnings)  # the error column is expected


def test_stage_dates_a_few_seconds_apart_are_in_order():
    header = "hs_object_id,createdate,hs_lifecyclestage_marketingqualifiedlead_date"
    parsed = read("1,2026-01-15T10:00:00.500Z,2026-01-15T10:00:00.100Z", header=header)
    assert parsed.errors == []


def test_oslo_local_times_become_utc_winter_and_summer():
    parsed = read("1,Ola,15.01.2026 10:00,15.07.2026 10:00,,,")
    values = parsed.records[0].values
    assert values["created_at"] == at(2026, 1, 15, 9, 0)
    assert values["mql_at"] == at(2026, 7, 15, 8, 0)
    assert values["created_at"].tzinfo == UTC


def test_the_timezone_argument_changes_local_times_but_not_absolute_ones():
    parsed = read(
        "1,Ola,15.01.2026 10:00,2026-01-16T10:00:00Z,,,",
        "2,Kari,2026-01-15 10:00,1768557600000,,,",
        tz="America/New_York",
    )
    first, second = (r.values for r in parsed.records)
    assert first["created_at"] == at(2026, 1, 15, 15, 0)
    assert first["mql_at"] == at(2026, 1, 16, 10, 0)
    assert second["created_at"] == at(2026, 1, 15, 15, 0)
    assert second["mql_at"] == at(2026, 1, 16, 10, 0)


def test_business_timezone_is_the_default(monkeypatch):
    monkeypatch.setenv("SMARKETING_TIMEZONE", "UTC")
    assert read("1,Ola,15.01.2026 10:00,,,,").records[0].values["created_at"] == at(
        2026, 1, 15, 10, 0
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-01-15", at(2026, 1, 14, 23, 0)),
        ("2026-01-15 10:00", at(2026, 1, 15, 9, 0)),
        ("2026-01-15T10:00:00", at(2026, 1, 15, 9, 0)),
        ("2026-01-15T10:00:00Z", at(2026, 1, 15, 10, 0)),
        ("2026-01-15T10:00:00.123+02:00", datetime(2026, 1, 15, 8, 0, 0, 123000, tzinfo=UTC)),
        ("2026-01-15T10:00:00.000+0000", at(2026, 1, 15, 10, 0)),
        ("2026-01-15 10:00 UTC", at(2026, 1, 15, 10, 0)),
        ("15.01.2026", at(2026, 1, 14, 23, 0)),
        ("5.1.2026 9:30", at(2026, 1, 5, 8, 30)),
        ("15.01.2026 10.00", at(2026, 1, 15, 9, 0)),
        ("1/15/2026", at(2026, 1, 14, 23, 0)),
        ("1/15/2026 3:05 PM", at(2026, 1, 15, 14, 5)),
        ("1/15/2026 12:05 AM", at(2026, 1, 14, 23, 5)),
        ("01/02/2026", at(2026, 1, 1, 23, 0)),  # slash: month first -> 2 January
        ("01.02.2026", at(2026, 1, 31, 23, 0)),  # dot: day first -> 1 February
        ("1768471200000", at(2026, 1, 15, 10, 0)),  # Unix milliseconds
        ("1768471200", at(2026, 1, 15, 10, 0)),  # Unix seconds
        ("2026-10-25 02:30", at(2026, 10, 25, 0, 30)),  # DST overlap: the first (summer) one
        ("2026-03-29 02:30", at(2026, 3, 29, 1, 0)),  # DST gap: moved forward
    ],
)
def test_date_forms(text, expected):
    parsed, bad = parse_datetimes(pd.Series([text], dtype="str"), ZoneInfo("Europe/Oslo"))
    assert not bad[0]
    assert parsed[0].to_pydatetime() == expected


@pytest.mark.parametrize(
    "text", ["someday", "31.02.2026", "13/13/2026", "2026-13-01", "15/01/2026", "123456"]
)
def test_unreadable_dates(text):
    parsed, bad = parse_datetimes(pd.Series([text], dtype="str"), ZoneInfo("Europe/Oslo"))
    assert bad[0] and pd.isna(parsed[0])


def test_a_column_mixing_date_forms_is_parsed_form_by_form():
    values = pd.Series(
        [
            "2026-01-15T10:00:00Z",
            "15.01.2026 10:00",
            None,
            "x",
            "1/15/2026 3:05 PM",
            "1/15/2026 12:05 AM",
            "1/15/2026 12:05 PM",
            "1/15/2026 9:05",
        ],
        dtype="str",
    )
    parsed, bad = parse_datetimes(values, ZoneInfo("Europe/Oslo"))
    assert list(bad) == [False, False, False, True, False, False, False, False]
    expected = ["10:00", "09:00", None, None, "14:05", "23:05", "11:05", "08:05"]
    got = [None if pd.isna(v) else f"{v:%H:%M}" for v in parsed]
    assert got == expected


def test_placeholders_and_blanks_are_missing():
    header = "Record ID,Create Date,Company Name,Persona,Contact owner,Job Title,Original Source"
    rows = [
        "1,2026-01-15,Select,--,N/A,   ,(none)",
        "2,2026-01-15,n/a,null,None,-,NULL",
        "3,2026-01-15, Acme  AS ,CFO,Kari,,Referrals",
    ]
    parsed = read(*rows, header=header)
    first, second, third = (r.values for r in parsed.records)
    for values in (first, second):
        assert set(values) == {"external_id", "created_at"}
    assert third["company"] == "Acme AS"  # trimmed, inner whitespace collapsed


def test_grouping_values_that_differ_in_case_are_one_value():
    header = "Record ID,Create Date,Original Source,First Touch Converting Campaign,Contact owner"
    rows = [
        "1,2026-01-15,google,LinkedIn ads,kari",
        "2,2026-01-15,Google ,linkedin ads,Kari",
        "3,2026-01-15,Google,LinkedIn  Ads,Kari",
        "4,2026-01-15,GOOGLE,LinkedIn ads,KARI",
    ]
    parsed = read(*rows, header=header)
    assert {r.values["source"] for r in parsed.records} == {"Google"}  # most frequent spelling
    assert {r.values["campaign"] for r in parsed.records} == {"LinkedIn ads"}
    assert {r.values["owner"] for r in parsed.records} == {"Kari"}


def test_grouping_ties_take_the_alphabetically_first_spelling():
    header = "Record ID,Create Date,Original Source"
    parsed = read("1,2026-01-15,seo", "2,2026-01-15,SEO", header=header)
    assert {r.values["source"] for r in parsed.records} == {"SEO"}


def test_numbers_accept_decimal_commas_and_thousands_separators():
    comma_file = read('1,Ola,2026-01-15,,,"12,0","1,234.50"', '2,Kari,2026-01-15,,,7,"1,234"')
    assert comma_file.records[0].values["score"] == 12
    assert comma_file.records[0].values["deal_value"] == 1234.5
    assert comma_file.records[1].values["deal_value"] == 1234.0
    semicolon = read(
        "1;Ola;2026-01-15;;;;1 234,50",
        "2;Kari;2026-01-15;;;;1,234",
        "3;Per;2026-01-15;;;;kr 1.234.567,00",
        header=HEADER.replace(",", ";"),
    )
    values = [r.values["deal_value"] for r in semicolon.records]
    assert values == [1234.5, 1.234, 1234567.0]


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1 234,50", 1234.5),
        ("1\u00a0234,50", 1234.5),
        ("1.234,50", 1234.5),
        ("1,234.50", 1234.5),
        ("€ 99", 99.0),
        ("500 NOK", 500.0),
        ("-3", -3.0),
        ("abc", None),
        ("1,2,3.4.5", None),
    ],
)
def test_parse_numbers(text, value):
    numbers, bad = parse_numbers(pd.Series([text], dtype="str"), comma_groups_thousands=False)
    if value is None:
        assert bad[0]
    else:
        assert not bad[0] and numbers[0] == value


@pytest.mark.parametrize(
    ("text", "segment"),
    [
        ("1", "Micro (1-9)"),
        ("9", "Micro (1-9)"),
        ("10", "SMB (10-49)"),
        ("25-50", "SMB (10-49)"),
        ("50-100", "Mid-market (50-499)"),
        ("1 200", "Enterprise (500+)"),
        ("1000+", "Enterprise (500+)"),
        ("lots", None),
        ("0", None),
    ],
)
def test_employees_to_segment(text, segment):
    result, bad = employees_to_segment(pd.Series([text], dtype="str"))
    if segment is None:
        assert bad[0] and pd.isna(result[0])
    else:
        assert result[0] == segment


def test_unreadable_employee_counts_are_a_warning_not_a_rejection():
    header = "Record ID,Create Date,Number of Employees"
    parsed = read("1,2026-01-15,lots", "2,2026-01-15,12", header=header)
    assert len(parsed.records) == 2 and parsed.errors == []
    assert "segment" not in parsed.records[0].values
    assert any("1 row has an employee count" in w for w in parsed.warnings)


def test_a_long_crm_rejection_reason_is_shortened_not_rejected():
    header = "Record ID,Create Date,Lead Status,Rejection Reason"
    parsed = read(f"1,2026-01-15,Unqualified,{'r' * 150}", header=header)
    record = parsed.records[0]
    assert record.crm_rejected
    assert len(record.crm_rejection_reason) == 100 and record.crm_rejection_reason.endswith("…")


def test_a_row_with_errors_does_not_cost_the_valid_rows():
    rows = [f"{i},Lead {i},2026-01-{i % 28 + 1:02d},,,," for i in range(1, 200)]
    rows[50] = "51,Broken,not a date,,,,"
    parsed = read(*rows)
    assert len(parsed.records) == 198
    assert [(e.row, e.column) for e in parsed.errors] == [(52, "Create Date")]


def test_warnings_list_unmapped_columns_once():
    header = "Record ID,Create Date,Phone Number,Shoe Size,Became a Marketing Qualified Lead Date"
    parsed = read("1,2026-01-15,123,44,", "2,2026-01-15,456,45,", header=header)
    unmapped = [w for w in parsed.warnings if "not imported" in w]
    assert unmapped == ["2 column(s) not imported (no matching field): Phone Number, Shoe Size"]


def test_missing_mql_column_is_a_warning():
    parsed = read("1,2026-01-15", header="Record ID,Create Date")
    assert any(w.startswith("no MQL date column") for w in parsed.warnings)


def test_rejected_rows_frame_writes_as_csv_with_an_error_column():
    parsed = read("1,Ola,someday,,,,")
    out = io.StringIO()
    parsed.rejected_rows.to_csv(out, index=False)
    assert out.getvalue().splitlines()[0].endswith(",error")


def test_a_first_contact_before_the_mql_is_dropped_with_a_warning():
    header = "Record ID,Create Date,Became a Marketing Qualified Lead Date,Date of first engagement"
    parsed = read(
        "1,2026-01-10,2026-01-15 10:00,2026-01-12 09:00",  # a touch before the MQL
        "2,2026-01-10,2026-01-15 10:00,2026-01-15 11:00",  # after it: kept
        "3,2026-01-10,,2026-01-12 09:00",  # no MQL: nothing to compare with
        "4,2026-01-10,2026-01-15 10:00,2026-01-15 10:00",  # at the MQL: kept
        "5,2026-01-10,2026-01-15 10:00,2026-01-15 09:59",  # a minute early: dropped
        header=header,
        tz="UTC",
    )
    assert parsed.errors == []  # the rows are not rejected
    values = {r.values["external_id"]: r.values for r in parsed.records}
    assert "first_contact_at" not in values["1"] and "first_contact_at" not in values["5"]
    assert values["1"]["mql_at"] == at(2026, 1, 15, 10)
    assert values["2"]["first_contact_at"] == at(2026, 1, 15, 11)
    assert values["3"]["first_contact_at"] == at(2026, 1, 12, 9)
    assert values["4"]["first_contact_at"] == at(2026, 1, 15, 10)
    notes = [w for w in parsed.warnings if "first contact" in w]
    assert notes == [
        "2 rows have a first contact ('Date of first engagement') earlier than their MQL "
        "date: a touch before the MQL is not a first contact, so that date was left out (the "
        "rows themselves are imported)"
    ]


def test_no_first_contact_warning_when_all_are_after_the_mql():
    header = "Record ID,Create Date,Became a Marketing Qualified Lead Date,Date of first engagement"
    parsed = read("1,2026-01-10,2026-01-15,2026-01-16", header=header)
    assert not any("first contact" in w for w in parsed.warnings)
    assert "first_contact_at" in parsed.records[0].values


def test_raw_rows_hold_every_rows_original_cells():
    parsed = read("1,Ola,2026-01-15,,,10,", "2, Kari ,someday,,,many,")
    assert list(parsed.raw_rows.index) == [2, 3]
    assert list(parsed.raw_rows.columns) == HEADER.split(",")
    assert parsed.raw_rows.loc[3, "First Name"] == " Kari "
