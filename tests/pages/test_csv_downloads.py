"""Issue 15, item 3: the CSV downloads of the pages are formula-safe — the bytes the download
buttons hand the browser, read from AppTest's run (``downloads`` in conftest)."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session

from tests.factories import add_lead
from tests.pages.conftest import PEOPLE, logged_in
from tests.test_safe_csv import HOSTILE, parse


def button(at, key):
    return next(b for b in at.get("download_button") if b.proto.id.endswith(key))


def test_the_lead_quality_download_neutralises_crm_values(people, app_env, downloads):
    with Session(app_env) as s:
        for i, source in enumerate(HOSTILE):
            add_lead(s, f"F{i}", f"2026-11-0{i + 2} 09:00", source=source)
    at = logged_in("mia", PEOPLE["mia"], as_of=date(2026, 11, 30))
    at.switch_page("app_pages/quality.py").run()
    assert not at.exception
    rows = parse(downloads(button(at, "quality_csv")).decode("utf-8"))
    by_value = {r[0]: r for r in rows[1:]}
    assert set(by_value) == {*HOSTILE.values(), "total"}
    assert rows[0][1] == "leads"
    assert [by_value[v][1] for v in HOSTILE.values()] == ["1"] * 6  # numbers stay numbers
    assert by_value["total"][1] == "6"


def test_the_rejected_rows_download_neutralises_the_original_cells(people, downloads):
    lines = [f'{100 + i},"{cell}",Nordmann,not a date' for i, cell in enumerate(HOSTILE)]
    data = ("Record ID,First Name,Last Name,Create Date\n" + "\n".join(lines) + "\n").encode()
    at = logged_in("ada", PEOPLE["ada"])
    at.switch_page("app_pages/admin_import.py").run()
    at.file_uploader(key="import_file").set_value(("contacts.csv", data, "text/csv"))
    at.run()
    assert not at.exception
    rows = parse(downloads(button(at, "import_rejects")).decode("utf-8"))
    assert rows[0] == ["Record ID", "First Name", "Last Name", "Create Date", "error"]
    assert [r[1] for r in rows[1:]] == list(HOSTILE.values())
    assert [r[0] for r in rows[1:]] == [str(100 + i) for i in range(6)]  # ids as in the file
