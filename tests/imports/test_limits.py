"""The import's hard limits (size, line, columns, rows, cells, field) and the encoding
decided from the whole file: each hostile probe of issue 15 is refused at once, in one
line naming the limit, where it was hit and the variable that raises it.

The probes that used to run for minutes at gigabytes run in a child process with a
timeout, which also reports its peak memory (VmHWM): a regression fails, it cannot hang.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import pytest

from smarketing import config
from smarketing.data_in.reading import preview, read_activities, read_leads
from smarketing.data_in.records import UnreadableFile
from smarketing.errors import InvalidInput

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HEADER = b"Record ID,First Name,Last Name,Create Date\n"
#: The issue's bound for any input.
PEAK_MB = 500


def probe(body: str, env: dict[str, str] | None = None, timeout: float = 60):
    """Run ``body`` (which has ``data`` and may raise) in a child; (its output, peak MB)."""
    code = textwrap.dedent(
        """
        import sys
        from smarketing.data_in.reading import read_leads
        from smarketing.data_in.records import UnreadableFile
        try:
        {body}
            print("read")
        except UnreadableFile as exc:
            print(exc)
        for line in open("/proc/self/status"):
            if line.startswith("VmHWM:"):
                print("PEAK", int(line.split()[1]) // 1024)
        """
    ).format(body=textwrap.indent(textwrap.dedent(body), "    "))
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    return lines[0], int(lines[-1].split()[1])


def test_a_row_of_a_million_columns_is_refused_at_once():
    message, peak = probe(
        """
        data = b"Record ID,Create Date\\n1,2026-01-01" + b"," * 999_998 + b"\\n"
        read_leads(data, "wide.csv")
        """
    )
    assert message == (
        "wide.csv: line 2 (from byte 22) has 1,000,000 columns; the import limit is 500 "
        "(raise it with SMARKETING_IMPORT_MAX_COLUMNS)"
    )
    assert peak < PEAK_MB


def test_a_header_of_a_million_columns_is_refused_at_once():
    body = """
        data = ",".join(f"c{i}" for i in range(1_000_000)).encode() + b"\\n1,2\\n"
        read_leads(data, "wide.csv")
        """
    message, peak = probe(body)  # 6.9 MB on one line: the line limit first
    assert message == (
        "wide.csv: line 1 (from byte 0) is longer than the import limit of 1.0 MB per line "
        "(raise it with SMARKETING_IMPORT_MAX_LINE_KB)"
    )
    assert peak < PEAK_MB
    message, peak = probe(body, {"SMARKETING_IMPORT_MAX_LINE_KB": "16384"})
    assert message == (
        "wide.csv: the header (line 1) has 1,000,000 columns; the import limit is 500 "
        "(raise it with SMARKETING_IMPORT_MAX_COLUMNS)"
    )
    assert peak < PEAK_MB


def test_a_file_over_the_size_limit_is_refused(monkeypatch):
    monkeypatch.setenv("SMARKETING_IMPORT_MAX_MB", "1")
    data = HEADER + b"1,Ola,Nordmann,2026-01-01\n" * 45_000  # 43 + 26 × 45,000 bytes = 1.1 MB
    with pytest.raises(UnreadableFile) as info:
        read_leads(data, "big.csv")
    assert str(info.value) == (
        "big.csv is 1.1 MB; the import limit is 1.0 MB (raise it with SMARKETING_IMPORT_MAX_MB)"
    )


def test_a_field_over_the_limit_is_refused_with_row_and_column(monkeypatch):
    monkeypatch.setenv("SMARKETING_IMPORT_MAX_FIELD_KB", "1")
    note = "\n".join(["x" * 99] * 20)  # 1,999 characters on 20 short lines
    data = b'Record ID,Create Date,Notes\n1,2026-01-01,ok\n2,2026-01-01,"' + note.encode() + b'"\n'
    with pytest.raises(UnreadableFile) as info:
        read_leads(data, "notes.csv")
    assert str(info.value) == (
        "notes.csv: row 3, column 'Notes' holds 1,999 characters; the import limit is 1,024 "
        "per field (raise it with SMARKETING_IMPORT_MAX_FIELD_KB)"
    )


def test_a_line_over_the_limit_is_refused(monkeypatch):
    monkeypatch.setenv("SMARKETING_IMPORT_MAX_LINE_KB", "1")
    data = HEADER + b"1,Ola,Nordmann,2026-01-01\n" + b"2," + b"x" * 2000 + b",y,2026-01-01\n"
    with pytest.raises(UnreadableFile) as info:
        read_leads(data, "long.csv")
    assert str(info.value) == (
        "long.csv: line 3 (from byte 69) is longer than the import limit of 1 KB per line "
        "(raise it with SMARKETING_IMPORT_MAX_LINE_KB)"
    )
    with pytest.raises(UnreadableFile, match="line 3"):
        preview(data, "long.csv")  # the page's first look refuses it too


def test_rows_over_the_limit_are_refused_and_line_breaks_in_cells_are_not_rows(monkeypatch):
    monkeypatch.setenv("SMARKETING_IMPORT_MAX_ROWS", "3")
    rows = b"".join(b"%d,Ola,Nordmann,2026-01-01\n" % i for i in range(1, 5))
    with pytest.raises(UnreadableFile) as info:  # row 5 starts at 43 + 3 × 26 bytes
        read_leads(HEADER + rows, "many.csv")
    assert str(info.value) == (
        "many.csv has more than 3 rows, the import limit (row 5 starts at byte 121) "
        "(raise it with SMARKETING_IMPORT_MAX_ROWS)"
    )
    # three rows on six lines: the line breaks inside quotes are no rows
    data = HEADER + b'1,"Ola\nOla",N,2026-01-01\n2,"Kari\nK",H,2026-01-01\n3,"P\nP",O,2026-01-01\n'
    assert read_leads(data, "notes.csv").rows_read == 3


def test_cells_over_the_limit_are_refused(monkeypatch):
    monkeypatch.setenv("SMARKETING_IMPORT_MAX_CELLS", "10")
    data = HEADER + b"1,Ola,Nordmann,2026-01-01\n2,Kari,Hansen,2026-01-01\n3,P,O,2026-01-01\n"
    with pytest.raises(UnreadableFile) as info:
        read_leads(data, "cells.csv")
    assert str(info.value) == (
        "cells.csv has 4 columns and more than 2 rows: over the import limit of 10 cells "
        "(columns × rows) "
        "(raise it with SMARKETING_IMPORT_MAX_CELLS)"
    )


def test_activities_files_have_the_same_limits(monkeypatch):
    monkeypatch.setenv("SMARKETING_IMPORT_MAX_COLUMNS", "3")
    data = b"lead_id,timestamp,kind\n1,2026-01-01,call,x,y\n"
    with pytest.raises(UnreadableFile, match=r"line 2 .* has 5 columns; the import limit is 3"):
        read_activities(data, "activities.csv")


def test_quoted_delimiters_do_not_count_as_columns(monkeypatch):
    monkeypatch.setenv("SMARKETING_IMPORT_MAX_COLUMNS", "4")
    data = HEADER + b'1,"Ola, Jr., the 3rd, of Oslo",Nordmann,2026-01-01\n'
    parsed = read_leads(data, "quoted.csv")
    assert parsed.records[0].values["first_name"] == "Ola, Jr., the 3rd, of Oslo"


def test_limits_come_from_the_environment(monkeypatch):
    assert config.import_limits() == config.ImportLimits(
        max_bytes=100 * 1024 * 1024,
        max_columns=500,
        max_field_bytes=64 * 1024,
        max_line_bytes=1024 * 1024,
        max_rows=80_000,
        max_cells=4_000_000,
    )
    monkeypatch.setenv("SMARKETING_IMPORT_MAX_ROWS", "1_000_000")
    assert config.import_limits().max_rows == 1_000_000
    monkeypatch.setenv("SMARKETING_IMPORT_MAX_MB", "lots")
    with pytest.raises(InvalidInput, match="SMARKETING_IMPORT_MAX_MB='lots' must be a positive"):
        config.import_limits()


# --- the encoding ----------------------------------------------------------------------------

MIXED_HEADER = "Record ID,First Name,Last Name,Create Date\n"


def mixed_file() -> bytes:
    """UTF-8, except row 3, which a cp1252 tool wrote ('Bråten' as b'Br\\xe5ten')."""
    return (
        MIXED_HEADER.encode()
        + "101,Ærlend,Bråten,2026-01-01\n".encode()
        + "102,Åse,Bråten,2026-01-02\n".encode("cp1252")
        + "103,Øyvind,Ås,2026-01-03\n".encode()
    )


def test_a_mostly_utf8_file_rejects_the_rows_that_are_not():
    data = mixed_file()
    parsed = read_leads(data, "mixed.csv")
    byte = data.index(b"\xc5se")  # 'Å' of row 3, in cp1252: after 43 + 31 + 4 bytes
    assert byte == 78
    assert [str(e) for e in parsed.errors] == [
        "row 3: not UTF-8 at byte 78 (looks like cp1252: 'Åse')"
    ]
    names = {r.values["external_id"]: r.values["first_name"] for r in parsed.records}
    assert names == {"101": "Ærlend", "103": "Øyvind"}
    # the rejects file holds the cp1252 reading, so once checked it imports as it is
    assert parsed.rejected_rows.loc[3, "First Name"] == "Åse"
    assert parsed.rejected_rows.loc[3, "Last Name"] == "Bråten"


def test_a_cp1252_file_with_a_bom_or_line_breaks_in_cells_rejects_the_right_rows():
    data = (
        b"\xef\xbb\xbf"
        + MIXED_HEADER.encode()
        + '101,"Ærlend\nÆ",Bråten,2026-01-01\n'.encode()
        + "102,Per,Br\xe5ten,2026-01-02\n".encode("latin-1")
    )
    parsed = read_leads(data, "bom.csv")  # 'å' of row 3 after 3 + 43 + 36 + 10 bytes
    assert [str(e) for e in parsed.errors] == [
        "row 3: not UTF-8 at byte 92 (looks like cp1252: 'Bråten')"
    ]


def test_a_genuine_cp1252_file_is_still_read_as_cp1252():
    data = (MIXED_HEADER + "101,Ærlend,Bråten,2026-01-01\n102,Åse,Øvrebø,2026-01-02\n").encode(
        "cp1252"
    )
    parsed = read_leads(data, "excel.csv")
    assert not parsed.errors
    assert [r.values["last_name"] for r in parsed.records] == ["Bråten", "Øvrebø"]


def test_a_header_with_a_cp1252_name_is_read_and_noted_not_rejected():
    """'ø' of 'Første' is byte 11 (after "Record ID,F"); the header is no data row."""
    data = "Record ID,Første navn,Create Date\n".encode("cp1252") + "1,Ærlend,2026-01-01\n".encode()
    parsed = read_leads(data, "header.csv", format="generic", changes={"Første navn": "first_name"})
    assert not parsed.errors
    assert parsed.records[0].values["first_name"] == "Ærlend"
    assert (
        "the header (row 1) is not UTF-8 at byte 11 (looks like cp1252: 'Første'); its names "
        "were read as cp1252"
    ) in parsed.warnings


def test_a_ragged_file_with_a_long_cell_gets_the_field_limit_message(monkeypatch):
    monkeypatch.setenv("SMARKETING_IMPORT_MAX_FIELD_KB", "128")
    # 199,999 characters on short lines: over the limit (131,072) and the csv module's own
    long = '"' + "\n".join(["x" * 999] * 200) + '"'
    data = f"Record ID,Create Date,Notes\n1,2026-01-01,a\n2,2026-01-01,{long},extra\n".encode()
    with pytest.raises(UnreadableFile, match="row 3, column 'Notes' holds 199,999 characters"):
        read_leads(data, "ragged.csv")


def test_rows_are_numbered_as_excel_shows_them_after_a_sep_line():
    """Excel hides its 'sep=;' line, so the header is row 1 and the stray row row 3."""
    data = (
        b"sep=;\n"
        + "Record ID;First Name;Create Date\n101;Ærlend;2026-01-01\n".encode()
        + "102;Bråten;2026-01-02\n".encode("cp1252")
    )
    parsed = read_leads(data, "excel.csv")
    assert [str(e) for e in parsed.errors] == [
        "row 3: not UTF-8 at byte 68 (looks like cp1252: 'Bråten')"  # 6 + 33 + 23 + 6 bytes
    ]


def test_old_mac_line_ends_count_as_lines(monkeypatch):
    monkeypatch.setenv("SMARKETING_IMPORT_MAX_ROWS", "1")
    data = b"Record ID,Create Date\r1,2026-01-01\r2,2026-01-02\r"
    with pytest.raises(UnreadableFile, match="more than 1 rows, the import limit"):
        read_leads(data, "mac.csv")


def test_a_quote_inside_a_cell_does_not_shift_rows_or_hide_them(monkeypatch):
    """'27" screen' is a character, not a quoted cell, for pandas and pyarrow: so for the
    row numbers of stray bytes and for the row count too."""
    data = (
        b"Record ID,Title,Create Date\n"
        + b'101,27" screen buyer,2026-01-01\n'
        + "102,Ærlend,2026-01-01\n".encode()
        + "103,Bråten,2026-01-01\n".encode("cp1252")
    )
    parsed = read_leads(data, "quote.csv")
    assert [e.row for e in parsed.errors] == [4]
    monkeypatch.setenv("SMARKETING_IMPORT_MAX_ROWS", "2")
    with pytest.raises(UnreadableFile, match="more than 2 rows"):
        read_leads(data, "quote.csv")
