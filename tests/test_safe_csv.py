"""Issue 15, item 3: every CSV the app or the command line writes is formula-safe.

A text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is written
with a leading ``'``; numbers (also negative ones) stay numbers. One writer does it
(``smarketing.safe_csv``), and no other path writes a CSV.
"""

from __future__ import annotations

import csv
import io
import re
import zipfile
from decimal import Decimal
from pathlib import Path

import pandas as pd
import pytest
from sqlmodel import Session

from smarketing import safe_csv
from smarketing.cli.main import main
from smarketing.ops.export import export_zip
from smarketing.store.models import Meeting, MeetingNote
from tests.conftest import NOW
from tests.factories import add_lead

ROOT = Path(__file__).resolve().parents[1]
#: Cells a spreadsheet would run as formulas, and how they must come out.
HOSTILE = {
    "=1+1": "'=1+1",
    "+1": "'+1",
    "-1+1": "'-1+1",
    "@SUM(A1)": "'@SUM(A1)",
    "\t=1": "'\t=1",
    "\r=1": "'\r=1",
}


def parse(text: str) -> list[list[str]]:
    """A CSV's cells as a spreadsheet would get them (quotes removed)."""
    return list(csv.reader(io.StringIO(text, newline="")))


@pytest.mark.parametrize(("cell", "written"), HOSTILE.items())
def test_text_that_starts_a_formula_gets_a_quote(cell, written):
    assert safe_csv.neutralise(cell) == written


@pytest.mark.parametrize(
    "value", [-5, -1.5, Decimal("-2.50"), 0, 3, None, "Kari", "a=b", "1-2", "", "'=already"]
)
def test_numbers_and_plain_text_are_left_alone(value):
    assert safe_csv.neutralise(value) == value or value != value


def test_a_frame_keeps_its_numeric_columns_as_numbers():
    frame = pd.DataFrame(
        {
            "name": list(HOSTILE),
            "amount": [-5, -1, 0, 1, 2, -3],
            "rate": [-0.5, 0.25, None, 1.0, -1.25, 2.0],
            "mixed": [-7, "-7", Decimal("-1.5"), "=1", None, 3.5],
        }
    )
    rows = parse(safe_csv.frame_csv(frame))
    assert rows[0] == ["name", "amount", "rate", "mixed"]
    assert [r[0] for r in rows[1:]] == list(HOSTILE.values())
    assert [r[1] for r in rows[1:]] == ["-5", "-1", "0", "1", "2", "-3"]
    assert [r[2] for r in rows[1:]] == ["-0.5", "0.25", "", "1.0", "-1.25", "2.0"]
    # in a column of mixed values, the numbers stay numbers and the text is text
    assert [r[3] for r in rows[1:]] == ["-7", "'-7", "-1.5", "'=1", "", "3.5"]
    assert frame["name"].tolist() == list(HOSTILE)  # the caller's frame is not changed


def test_a_carriage_return_inside_a_cell_cannot_start_a_row():
    """With ``\\n`` line ends the csv module leaves a lone ``\\r`` unquoted; a spreadsheet
    would start a row there, with ``=HYPERLINK(…)`` as its first cell."""
    cell = 'x\r=HYPERLINK("http://evil")'
    frame = pd.DataFrame({"value": [cell], "leads": [1]})
    assert parse(safe_csv.frame_csv(frame)) == [["value", "leads"], [cell, "1"]]
    assert parse(safe_csv.rows_csv(["value"], [[cell]])) == [["value"], [cell]]
    with pytest.raises(ValueError, match="r"):
        safe_csv.writer(io.StringIO(), lineterminator="\n")


def test_column_names_are_neutralised_too():
    frame = pd.DataFrame({"=cmd|' /C calc'!A0": ["x"], "ok": [1]})
    assert parse(safe_csv.frame_csv(frame))[0] == ["'=cmd|' /C calc'!A0", "ok"]


def test_the_row_writer_neutralises_every_cell():
    text = safe_csv.rows_csv(["h", "=h"], [[*HOSTILE][:2], [-5, 2.5]])
    assert parse(text) == [["h", "'=h"], ["'=1+1", "'+1"], ["-5", "2.5"]]


# --- every CSV the app and the command line write ------------------------------------------


def test_report_quality_csv_neutralises_crm_values(capsys, session, db_url):
    """`report quality --format csv`: the source names come from the CRM."""
    for i, source in enumerate(HOSTILE):
        add_lead(session, f"F{i}", f"2026-11-0{i + 2} 09:00", source=source)
    november = ["--from", "2026-11-01", "--to", "2026-11-30", "--format", "csv"]
    code = main(["report", "quality", "--by", "source", *november, "--db", db_url])
    out, err = capsys.readouterr()
    assert (code, err) == (0, "")
    rows = parse(out)
    by_value = {r[0]: r for r in rows[1:]}
    assert set(by_value) == {*HOSTILE.values(), "total"}
    assert all(r[1] == "1" for v, r in by_value.items() if v != "total")  # leads: a number
    assert by_value["total"][1] == "6"


def test_the_rejects_file_of_the_command_line_neutralises_the_original_cells(
    capsys, db_url, tmp_path
):
    rows = [
        f'{100 + i},"{cell}",Nordmann,not a date' for i, cell in enumerate(HOSTILE)
    ]  # every row rejected: its create date is not a date
    source = tmp_path / "contacts.csv"
    source.write_text(
        "Record ID,First Name,Last Name,Create Date\n" + "\n".join(rows) + "\n", encoding="utf-8"
    )
    rejects = tmp_path / "rejects.csv"
    code = main(["import", "leads", str(source), "--rejects", str(rejects), "--db", db_url])
    capsys.readouterr()
    assert code == 0
    written = parse(rejects.read_bytes().decode("utf-8"))
    assert written[0] == ["Record ID", "First Name", "Last Name", "Create Date", "error"]
    assert [r[1] for r in written[1:]] == list(HOSTILE.values())
    assert [r[0] for r in written[1:]] == [str(100 + i) for i in range(6)]


def test_the_export_zip_uses_the_same_writer(engine, tmp_path):
    with Session(engine) as s:
        meeting = Meeting(kind="weekly", title="-Weekly", held_on=NOW.date(), created_by="sam")
        s.add(meeting)
        s.flush()
        for i, body in enumerate(HOSTILE):
            s.add(MeetingNote(meeting_id=meeting.id, step=f"Step {i}", author="sam", body=body))
        s.commit()
        export_zip(s, tmp_path / "export.zip", now=NOW)
    with zipfile.ZipFile(tmp_path / "export.zip") as z:
        text = z.read("meeting-notes.csv").decode("utf-8-sig")
    rows = parse(text)
    header = rows[0]
    notes = sorted((dict(zip(header, r, strict=True)) for r in rows[1:]), key=lambda n: n["step"])
    assert [n["note"] for n in notes] == list(HOSTILE.values())
    assert {n["meeting"] for n in notes} == {"'-Weekly"}
    assert {n["revision"] for n in notes} == {"1"}  # a number stays a number


# --- no other path --------------------------------------------------------------------------

#: Ways to write a CSV without the safe writer.
CSV_WRITERS = re.compile(
    r"\.to_csv\s*\("
    r"|\bcsv\s*\.\s*(writer|DictWriter)\b"
    r"|from\s+csv\s+import\b.*\b(writer|DictWriter)\b"
    r"|\bwrite_csv\s*\("
)
#: Where the app and the command line live.
APP_CODE = ["smarketing", "app_pages", "scripts", "app.py", "frame.py"]


def test_no_csv_is_written_by_another_path():
    """A new CSV download or command must go through smarketing.safe_csv."""
    offenders = []
    for place in APP_CODE:
        path = ROOT / place
        files = [path] if path.is_file() else sorted(path.rglob("*.py"))
        for file in files:
            if file == ROOT / "smarketing" / "safe_csv.py":
                continue
            for number, line in enumerate(file.read_text().splitlines(), 1):
                if CSV_WRITERS.search(line):
                    offenders.append(f"{file.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not offenders, "write CSV through smarketing.safe_csv:\n" + "\n".join(offenders)


def test_the_grep_would_catch_the_usual_ways():
    for line in [
        "frame.to_csv(path)",
        "w = csv.writer(fh)",
        "csv.DictWriter(fh, f)",
        "from csv import writer",
        "pa_csv.write_csv(table, out)",
    ]:
        assert CSV_WRITERS.search(line), line
    for line in ["safe_csv.frame_csv(frame)", "safe_csv.writer(text)", "from csv import reader"]:
        assert not CSV_WRITERS.search(line), line
