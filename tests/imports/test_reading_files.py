"""Reading the file itself: encodings, delimiters, unreadable files, row numbers, preview."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from smarketing.data_in.reading import preview, read_leads
from smarketing.data_in.records import UnreadableFile

HEADER = "Record ID,First Name,Last Name,Company Name,Create Date"


def lines(*rows: str) -> bytes:
    return ("\n".join(rows) + "\n").encode()


def test_utf8_with_bom_reads_the_first_header_without_the_bom():
    data = b"\xef\xbb\xbf" + lines(HEADER, "1,Åse,Ødegård,Bær AS,2026-01-15 10:00")
    parsed = read_leads(data, "bom.csv")
    assert parsed.format == "hubspot"
    assert "Record ID" in parsed.mapping
    record = parsed.records[0]
    assert record.values["first_name"] == "Åse"
    assert record.values["last_name"] == "Ødegård"
    assert record.values["company"] == "Bær AS"


def test_semicolon_cp1252_file_with_dotted_dates_and_decimal_commas():
    text = (
        "Record ID;First Name;Last Name;Company Name;Create Date;"
        "Became a Marketing Qualified Lead Date;Recent Deal Amount\r\n"
        "7;Æsa;Sørås;Blåbær AS;15.01.2026 10:00;16.01.2026;1 234,50\r\n"
        "8;Øyvind;Lærum;Ås Sag;15.07.2026 10:00;;\r\n"
    )
    data = text.encode("cp1252")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    parsed = read_leads(data, "norsk.csv")
    assert parsed.errors == []
    first, second = (r.values for r in parsed.records)
    assert (first["first_name"], first["last_name"], first["company"]) == (
        "Æsa",
        "Sørås",
        "Blåbær AS",
    )
    assert first["created_at"] == datetime(2026, 1, 15, 9, 0, tzinfo=UTC)
    assert first["mql_at"] == datetime(2026, 1, 15, 23, 0, tzinfo=UTC)  # local midnight
    assert first["deal_value"] == 1234.5
    assert second["first_name"] == "Øyvind"
    assert second["created_at"] == datetime(2026, 7, 15, 8, 0, tzinfo=UTC)
    assert "deal_value" not in second


def test_tab_separated_file():
    data = lines(HEADER.replace(",", "\t"), "1\tOla\tNordmann\tAcme, Inc.\t2026-01-15")
    parsed = read_leads(data, "export.tsv")
    assert parsed.records[0].values["company"] == "Acme, Inc."


def test_excel_sep_hint_line_sets_the_delimiter():
    data = lines("sep=;", HEADER.replace(",", ";"), "1;Ola;Nordmann;Acme, Inc.;2026-01-15")
    parsed = read_leads(data, "excel.csv")
    assert parsed.records[0].values["company"] == "Acme, Inc."
    assert parsed.records[0].row == 2  # Excel hides the hint line


def test_utf16_file_from_excel_unicode_text():
    text = HEADER.replace(",", "\t") + "\r\n1\tÅse\tBø\tAcme\t2026-01-15\r\n"
    parsed = read_leads(text.encode("utf-16"), "unicode.txt")
    assert parsed.records[0].values["first_name"] == "Åse"


def test_quoted_cells_may_hold_delimiters_and_line_breaks():
    data = lines(HEADER, '1,Ola,Nordmann,"Acme, ""the best""\nAS",2026-01-15', "2,,,,2026-01-16")
    parsed = read_leads(data, "quoted.csv")
    assert parsed.records[0].values["company"] == 'Acme, "the best" AS'
    assert [r.row for r in parsed.records] == [2, 3]  # rows as a spreadsheet counts them


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "leads.csv is empty"),
        (b"\xef\xbb\xbf\r\n  \r\n", "leads.csv is empty"),
        (
            b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00[Content_Types].xml",
            "leads.csv is an Excel workbook, not a CSV: save it as CSV (UTF-8) first",
        ),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), "leads.csv is an old Excel workbook"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(256), "leads.csv is not a text file"),
        (bytes(range(1, 32)) * 40, "leads.csv is not a text file"),
    ],
)
def test_unreadable_files_get_one_clear_message_naming_the_file(data, message):
    with pytest.raises(UnreadableFile) as caught:
        read_leads(data, "leads.csv")
    assert message in str(caught.value)


def test_no_recognisable_id_column():
    data = lines("Name,Email,Created", "Ola,ola@example.com,2026-01-15")
    with pytest.raises(UnreadableFile) as caught:
        read_leads(data, "people.csv")
    message = str(caught.value)
    assert message.startswith("people.csv: no record id column: expected one of ")
    assert "Record ID" in message and "Lead ID" in message


def test_no_creation_date_column():
    data = lines("Record ID,Email", "1,ola@example.com")
    with pytest.raises(UnreadableFile, match="no creation date column: expected one of Create"):
        read_leads(data, "ids.csv")


def test_header_only_file_is_readable_with_no_rows():
    parsed = read_leads(lines(HEADER), "header.csv")
    assert parsed.rows_read == 0
    assert parsed.records == [] and parsed.errors == []
    assert list(parsed.rejected_rows.columns) == [*HEADER.split(","), "error"]


def test_blank_lines_are_skipped_but_keep_the_row_numbers():
    data = lines(HEADER, "1,Ola,,,2026-01-15", "", ",,,,", "2,Kari,,,someday")
    parsed = read_leads(data, "gaps.csv")
    assert parsed.rows_read == 2
    assert [r.row for r in parsed.records] == [2]
    assert [(e.row, e.column) for e in parsed.errors] == [(5, "Create Date")]


def test_a_row_with_too_many_cells_is_rejected_and_the_others_are_kept():
    data = lines(
        HEADER, "1,Ola,,,2026-01-15", "2,Kari,,,2026-01-15,surprise", "3,Per,,,2026-01-15,"
    )
    parsed = read_leads(data, "ragged.csv")
    assert [r.values["external_id"] for r in parsed.records] == ["1", "3"]
    assert [str(e) for e in parsed.errors] == ["row 3: has 6 cells but the header has 5"]
    assert parsed.rejected_rows.loc[3, "error"] == "has 6 cells but the header has 5"


def test_preview_returns_raw_first_rows_the_format_and_the_mapping():
    rows = [f"{i},First{i},Last,Acme,2026-01-{i:02d}" for i in range(1, 21)]
    frame, fmt, mapping = preview(lines(HEADER, *rows), "big.csv", rows=5)
    assert fmt == "hubspot"
    assert len(frame) == 5
    assert list(frame.index) == [2, 3, 4, 5, 6]
    assert frame.loc[2, "Create Date"] == "2026-01-01"  # raw text, not parsed
    assert mapping["Create Date"] == "created_at"
    assert mapping["Record ID"] == "external_id"


def test_preview_refuses_unreadable_files():
    with pytest.raises(UnreadableFile, match="Excel workbook"):
        preview(b"PK\x03\x04rest-of-zip", "leads.csv")
    with pytest.raises(UnreadableFile, match="no record id column"):
        preview(lines("Name,Email", "Ola,ola@example.com"), "leads.csv")


@pytest.mark.parametrize(
    "text",
    [
        "a,b\n1,2\n",
        'a,b\n"x, ""y""\nz",abc"def\n',
        '"a\nb",c\n1,2\n3,4\n',
        "a,b\r\n1,2\r\n",
        "a,b\n  1 , 2 \n",
        "a,b\n1,2",
        "a,b\n",
        "a,b\n1,2\n\n3,4\n",
        "a\n1\n\n2\n",
        "a;b\n1,5;2\n",
        "a,b\n1\n",  # short row: pandas pads it
        "a,b\n1,2,3\n",  # too many cells: the tolerant reader
        "a,a\n1,2\n",  # duplicate header: pandas names it a.1
        "a,,b\n1,,2\n",  # blank header
        "a,b\r1,2\r",
    ],
)
def test_the_fast_reader_reads_what_pandas_reads_or_leaves_the_file_to_it(text):
    """pyarrow reads most files; whatever it reads must equal pandas' reading, and what
    it might read differently (short rows, odd headers…) it leaves to pandas (None)."""
    import io

    import pandas as pd

    from smarketing.data_in.reading import _read_arrow

    delimiter = ";" if ";" in text.split("\n", 1)[0] else ","
    fast = _read_arrow(text.encode("utf-8"), delimiter)
    if fast is None:
        return
    slow = pd.read_csv(
        io.StringIO(text),
        sep=delimiter,
        dtype=str,
        keep_default_na=False,
        na_filter=False,
        skip_blank_lines=False,
        engine="c",
    )
    pd.testing.assert_frame_equal(fast, slow)
