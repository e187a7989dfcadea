"""The rejects file is for fixing rows and importing them again: the ``'`` it puts before a
cell a spreadsheet would run as a formula (``smarketing.safe_csv``) is taken off again when
the file is read, so a fixed row imports the text as the CRM had it."""

from __future__ import annotations

from smarketing.data_in.reading import read_leads
from smarketing.data_in.rejects import rejects_csv

HEADER = "Record ID,First Name,Last Name,Company Name,Create Date,HubSpot Score"


def read(text: str):
    return read_leads(text.encode(), "leads.csv")


def names(lead) -> tuple:
    return tuple(lead.values.get(f) for f in ("first_name", "last_name", "company"))


def test_a_fixed_rejects_file_imports_the_cells_as_they_were():
    parsed = read(
        HEADER + "\n"
        "1,-Anna,+Berg,=Acme @ Oslo,15/01/2026,-5\n"  # rejected: the date
        "2,Ola,Nordmann,Plain,2026-01-15,7\n"
    )
    written = rejects_csv(parsed, []).decode()
    assert "'-Anna,'+Berg,'=Acme @ Oslo" in written  # formula-safe in a spreadsheet
    fixed = written.replace("15/01/2026", "2026-01-15")
    again = read(fixed)
    assert not again.errors
    [lead] = again.records
    assert names(lead) == ("-Anna", "+Berg", "=Acme @ Oslo")
    assert lead.values["score"] == -5


def test_a_quote_before_other_text_is_kept():
    parsed = read(HEADER + "\n1,'Ola,O'Neil,'t Hart,2026-01-15,\n")
    [lead] = parsed.records
    assert names(lead) == ("'Ola", "O'Neil", "'t Hart")
