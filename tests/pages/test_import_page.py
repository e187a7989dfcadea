"""Admin → Import through AppTest: preview, rejected rows, dry run, import, demo removal."""

from __future__ import annotations

import pytest
from sqlmodel import Session, func, select

from smarketing.store.db import set_setting
from smarketing.store.models import ImportRun, Lead
from tests.pages.conftest import logged_in, texts

HUBSPOT = (
    b"Record ID,First Name,Last Name,Email,Company Name,Create Date,Lead Status,Original Source,"
    b"Became a Marketing Qualified Lead Date,Contact owner\n"
    b"101,Kari,Nordmann,kari@fjord.no,Fjord AS,2026-11-02 09:00,New,PAID_SEARCH,"
    b"2026-11-03 10:00,Lars Berg\n"
    b"102,Ola,Hansen,ola@x.no,X AS,2026-11-02 10:00,Unqualified,Organic search,,Lars Berg\n"
    b"103,Per,,per@y.no,Y AS,not a date,New,Organic search,,\n"
)


def open_import(username="ada", roles=("admin",)):
    at = logged_in(username, list(roles))
    return at.switch_page("app_pages/admin_import.py").run()


def upload(at, data=HUBSPOT, name="contacts.csv"):
    at.file_uploader(key="import_file").set_value((name, data, "text/csv"))
    return at.run()


def lead_count(engine) -> int:
    with Session(engine) as s:
        return s.exec(select(func.count()).select_from(Lead)).one()


def test_preview_dry_run_and_import(people, app_env):
    at = upload(open_import())
    assert not at.exception
    page = texts(at)
    assert "Preview" in page and "1 of 3 rows are rejected" in page
    assert at.selectbox(key="import_format").value == "hubspot"
    assert "Dry run:** 2 would be inserted, 0 updated, 0 unchanged, 1 rejected" in page
    rejected = next(d.value for d in at.dataframe if "Why" in d.value.columns)
    assert rejected.iloc[0]["Row"] == 4 and rejected.iloc[0]["Column"] == "Create Date"
    assert lead_count(app_env) == 0  # the dry run wrote nothing
    at.button(key="import_go").click().run()
    assert not at.exception
    assert "Imported: 2 inserted" in texts(at)
    assert lead_count(app_env) == 2
    with Session(app_env) as s:
        run = s.exec(select(ImportRun)).one()
        assert (run.actor, run.created, run.rejected, run.status) == ("ada", 2, 1, "done")


def test_unreadable_file_says_why_and_changes_nothing(people, app_env):
    at = upload(open_import(), data=b"PK\x03\x04 not really a csv", name="leads.csv")
    assert "is an Excel workbook, not a CSV" in texts(at)
    assert lead_count(app_env) == 0


def test_demo_must_be_removed_first_and_only_by_admin(people, app_env):
    with Session(app_env) as s:
        set_setting(s, "demo_company", "1")
        s.commit()
    at = upload(open_import("mia", ("marketing",)))
    assert at.checkbox(key="import_remove_demo").disabled  # marketing may not remove the demo
    assert at.button(key="import_go").disabled
    at = upload(open_import())
    assert at.button(key="import_go").disabled
    at.checkbox(key="import_remove_demo").check().run()
    at.button(key="import_go").click().run()
    assert "Imported: 2 inserted" in texts(at)
    with Session(app_env) as s:
        from smarketing.demo import has_demo

        assert not has_demo(s)


@pytest.mark.parametrize("username", ["sam", "lea"])
def test_sales_and_leadership_have_no_import_page(people, username):
    from tests.pages.conftest import PEOPLE

    at = logged_in(username, PEOPLE[username])
    with pytest.raises(ValueError):
        at.switch_page("app_pages/admin_import.py")


ACTIVITIES = b"lead_id,timestamp,kind,detail\n101,2026-11-04 09:00,call,first call\n"


def activity_count(engine) -> int:
    from smarketing.store.models import LeadActivity

    with Session(engine) as s:
        return s.exec(select(func.count()).select_from(LeadActivity)).one()


def test_activities_choose_the_crm_of_the_lead_ids(people, app_env):
    at = upload(open_import())
    at.button(key="import_go").click().run()  # HubSpot leads 101 and 102
    at.segmented_control(key="import_kind").set_value("activities").run()
    at = upload(at, data=ACTIVITIES, name="calls.csv")
    assert not at.exception
    crm = at.selectbox(key="import_crm")
    # the header (lead_id) names no CRM; the database holds HubSpot leads only
    assert crm.value == "hubspot"
    assert list(crm.options) == [
        "HubSpot",
        "Salesforce",
        "Pipedrive",
        "A CSV of our own (no CRM)",
    ]
    assert "Dry run:** 1 would be inserted, 1 updated, 0 unchanged, 0 rejected" in texts(at)
    crm.set_value("csv").run()
    page = texts(at)
    assert "Dry run:** 0 would be inserted, 0 updated, 0 unchanged, 1 rejected" in page
    assert "choose that CRM under *CRM of the lead ids*" in page
    rejected = next(d.value for d in at.dataframe if "Why" in d.value.columns)
    assert rejected.iloc[0]["Why"] == "no csv lead with id '101'"
    at.selectbox(key="import_crm").set_value("hubspot").run()
    at.button(key="import_go").click().run()
    assert not at.exception
    assert "Imported: 1 inserted, 1 updated" in texts(at)
    assert activity_count(app_env) == 1


def test_the_first_import_shows_what_removing_the_demo_keeps_then_the_new_state(people, app_env):
    """Issue 13: the confirmation lists what goes and what stays (the team's meeting among
    it), and after the import the screen shows the new state at once: no demo banner."""
    from datetime import UTC, datetime

    from smarketing import demo
    from smarketing.auth.permissions import Actor
    from smarketing.meetings import notes, records, running
    from smarketing.store.models import Meeting
    from tests.conftest import NOW

    demo.build_demo(app_env, leads=300, months=3, now=NOW, seed=7)
    with Session(app_env, expire_on_commit=False) as s:  # the team runs the planned meeting
        planned = records.next_meeting(s, today=NOW.date(), kind="weekly")
        mia = Actor.of("mia", {"marketing"})
        at = datetime(2026, 11, 23, 8, tzinfo=UTC)
        running.start_meeting(s, actor=mia, meeting_id=planned.id, now=at)
        notes.save_note(
            s,
            actor=mia,
            meeting_id=planned.id,
            step="scorecard",
            body="Behind plan.",
            expected_revision=None,
            now=at,
        )
    at = upload(open_import())
    assert not at.exception
    page = texts(at)
    assert "Demo data" in page
    assert "Removed — demo data nobody touched" in page and "300 demo leads with their" in page
    assert "Kept — made or changed by your team" in page
    assert "your meeting of 23 Nov 2026 (“Weekly smarketing — week 48”) with 1 note" in page
    assert "Kept as your starting point" in page and "the SLA agreement v2" in page
    keep = at.checkbox(key="import_keep_start")
    assert keep.value is True
    assert keep.label == (
        "Keep the demo's definitions, personas, agenda templates and SLA agreement as a "
        "starting point"
    )
    assert at.button(key="import_go").disabled  # not before the removal is confirmed

    keep.uncheck().run()  # without the starting point the plan says the agreement goes
    page = texts(at)
    assert "Kept as your starting point" not in page
    assert "the demo SLA agreement (v1 and v2)" in page
    at.checkbox(key="import_keep_start").check().run()

    at.checkbox(key="import_remove_demo").check().run()
    at.button(key="import_go").click().run()
    assert not at.exception
    page = texts(at)
    assert "Imported: 2 inserted" in page
    assert "The demo company was removed (" in page
    assert "Demo data" not in page  # the banner is gone in the same screen
    assert "The demo company is still in the database" not in page
    assert "Dry run:** 0 would be inserted, 0 updated, 2 unchanged" in page  # the new state
    assert lead_count(app_env) == 2
    with Session(app_env) as s:
        assert s.get(Meeting, planned.id) is not None


OLD_HUBSPOT = (
    b"Record ID,First Name,Create Date,HubSpot Owner,Team Lead,Phone Number,Lead Status,"
    b"Rejection Reason\n"
    b"201,Kari,2026-11-02 09:00,Lars Berg,Mia Dahl,+47 1,New,\n"
    b"202,Ola,2026-11-02 10:00,Lars Berg,Sam Solberg,+47 2,Unqualified,Price too high\n"
)


def owners(engine) -> dict[str, str | None]:
    with Session(engine) as s:
        return {lead.external_id: lead.owner for lead in s.exec(select(Lead)).all()}


def test_hubspot_owner_is_the_owner_and_the_preview_says_so_in_words(people, app_env):
    """Issue 13, defect 7: "HubSpot Owner" (older exports' label) was "not imported"."""
    at = upload(open_import(), data=OLD_HUBSPOT)
    assert not at.exception
    assert at.selectbox(key="import_format").value == "hubspot"
    table = at.data_editor(key="import_mapping").value.set_index("File column")
    assert table.loc["HubSpot Owner", "Imported as"] == "Owner"
    assert table.loc["Phone Number", "Imported as"] == "— not imported"
    page = texts(at)
    assert "'HubSpot Owner' → Owner" in page
    assert "Not imported: 'Team Lead' (no matching field" in page
    assert "'Phone Number' (a HubSpot column smarketing does not use)" in page
    # the CRM's reason that is on no reason of the list is reported before the import
    assert "'Price too high' (1)" in page
    at.button(key="import_go").click().run()
    assert owners(app_env) == {"201": "Lars Berg", "202": "Lars Berg"}
    # the runs table speaks words: the person's name, the format's name
    run = next(d.value for d in at.dataframe if "rows read" in d.value.columns).iloc[0]
    assert (run["who"], run["format"]) == ("Ada", "HubSpot contacts")


def test_the_mapping_of_a_hubspot_file_can_be_changed(people, app_env):
    at = upload(open_import(), data=OLD_HUBSPOT)
    rows = at.data_editor(key="import_mapping").value["File column"].tolist()
    at.session_state["import_mapping"] = {
        "edited_rows": {
            rows.index("Team Lead"): {"Imported as": "Owner"},
            rows.index("HubSpot Owner"): {"Imported as": "— not imported"},
        },
        "added_rows": [],
        "deleted_rows": [],
    }
    at.run()
    assert not at.exception
    page = texts(at)
    assert "'Team Lead' → Owner" in page
    assert "'HubSpot Owner' (left out in the mapping)" in page
    assert "Dry run:** 2 would be inserted" in page
    at.button(key="import_go").click().run()
    assert not at.exception
    assert owners(app_env) == {"201": "Mia Dahl", "202": "Sam Solberg"}


def test_future_dates_are_listed_with_their_download_and_imported(
    people, app_env, monkeypatch, downloads
):
    """Issue 15, item 9: a warning per row in the dry run, its CSV beside the rejected rows,
    the count in the import's result; the rows are imported."""
    from datetime import UTC, datetime

    from smarketing.ui import widgets
    from tests.test_safe_csv import parse

    monkeypatch.setattr(widgets, "now", lambda: datetime(2026, 11, 18, 12, tzinfo=UTC))
    data = HUBSPOT.replace(b"2026-11-03 10:00", b"2099-01-01 10:00")
    at = upload(open_import(), data=data)
    assert not at.exception
    page = texts(at)
    assert "1 row has a warning: it is imported all the same" in page
    assert "Dry run:** 2 would be inserted, 0 updated, 0 unchanged, 1 rejected, 1 with warn" in page
    shown = next(d.value for d in at.dataframe if "Warning" in d.value.columns)
    assert shown.iloc[0][["Row", "Column", "Value"]].tolist() == [
        2, "Became a Marketing Qualified Lead Date", "2099-01-01 10:00"
    ]  # fmt: skip
    assert "later than 2026-11-19 13:00 (1 day after the import)" in shown.iloc[0]["Warning"]
    button = next(b for b in at.get("download_button") if b.proto.id.endswith("import_warnings"))
    rows = parse(downloads(button).decode("utf-8"))
    assert rows[0] == ["row", "column", "value", "warning"]
    assert rows[1][:3] == ["2", "Became a Marketing Qualified Lead Date", "2099-01-01 10:00"]
    at.button(key="import_go").click().run()
    assert not at.exception
    assert "Imported: 2 inserted, 0 updated, 0 unchanged, 1 rejected, 1 with warnings" in texts(at)
    assert lead_count(app_env) == 2


def test_an_upload_over_the_size_limit_is_refused_before_it_is_read(people, app_env, monkeypatch):
    """AppTest hands the page any upload (the size cap is the browser's and the server's:
    server.maxUploadSize); the page itself refuses a file over SMARKETING_IMPORT_MAX_MB
    from its size, before reading it, in one line."""
    monkeypatch.setenv("SMARKETING_IMPORT_MAX_MB", "1")
    at = open_import()
    assert at.file_uploader(key="import_file").proto.max_upload_size_mb == 1
    big = HUBSPOT + b"x" * (2 * 1024 * 1024)
    at = upload(at, data=big, name="big.csv")
    assert not at.exception
    assert [e.value for e in at.error] == [
        "big.csv is 2.0 MB; the import limit is 1.0 MB (raise it with SMARKETING_IMPORT_MAX_MB)"
    ]
    assert "Preview" not in texts(at)
    assert lead_count(app_env) == 0


def test_the_server_refuses_uploads_over_100_mb():
    import tomllib
    from pathlib import Path

    settings = tomllib.loads(
        (Path(__file__).resolve().parents[2] / ".streamlit" / "config.toml").read_text()
    )
    assert settings["server"]["maxUploadSize"] == 100


@pytest.mark.parametrize(("username", "roles"), [("ada", ["admin"]), ("mia", ["marketing"])])
def test_the_import_page_in_norwegian_with_a_rejected_row(people, app_env, username, roles):
    """Issue 18: every text of the page in Norwegian bokmål, the rejected row's reason too,
    before and after the import."""
    from smarketing import i18n
    from tests.pages.conftest import as_shown, untranslated

    # AppTest calls a selectbox's format_func in the test's thread (to send the choice
    # back): that thread speaks Norwegian too, as the page's run does
    with i18n.language("nb"):
        at = (
            logged_in(username, roles, language="nb").switch_page("app_pages/admin_import.py").run()
        )
        assert not at.exception
        assert untranslated(at) == []
        assert at.title[0].value == "Import"
        assert "Ingen import har kjørt ennå." in texts(at)
        at = upload(at)
        assert not at.exception
        assert untranslated(at) == []
        page = texts(at)
        assert "**Forhåndsvisning** — første 3 rader i *contacts.csv*, 10 kolonner som i filen" in (
            page
        )
        assert "1 av 3 rader er avvist; de andre radene kan importeres." in page
        assert "**Prøvekjøring:** 2 ville blitt lagt til, 0 oppdatert, 0 uendret, 1 avvist." in page
        assert at.selectbox(key="import_format").value == "hubspot"
        assert at.selectbox(key="import_format").options[0] == "HubSpot-kontakter"
        rejected = next(as_shown(d) for d in at.dataframe if "Why" in d.value.columns)
        assert list(rejected.columns) == ["Rad", "Kolonne", "Hvorfor"]
        assert rejected.iloc[0]["Hvorfor"].startswith("ikke en dato: 'not a date' (ventet f.eks.")
        at.button(key="import_go").click().run()
        assert not at.exception
        assert untranslated(at) == []
        assert "Importert: 2 nye, 0 oppdatert, 0 uendret, 1 avvist (" in texts(at)
        runs = as_shown(at.dataframe[-1])
        assert list(runs.columns)[:3] == ["Når", "Hvem", "Fil"]
        assert (runs.iloc[0]["Type"], runs.iloc[0]["Status"]) == ("Leads", "ferdig")
        assert lead_count(app_env) == 2


def test_activities_in_norwegian_say_which_crm_the_lead_ids_were_matched_against(people, app_env):
    from smarketing import i18n
    from tests.pages.conftest import as_shown, untranslated

    with i18n.language("nb"):  # AppTest calls a selectbox's format_func in this thread
        at = logged_in("ada", ["admin"], language="nb")
        at = upload(at.switch_page("app_pages/admin_import.py").run())
        at.button(key="import_go").click().run()
        at.segmented_control(key="import_kind").set_value("activities").run()
        at = upload(at, data=ACTIVITIES, name="calls.csv")
        assert not at.exception
        crm = at.selectbox(key="import_crm")
        assert list(crm.options)[-1] == "En egen CSV (uten CRM)"
        crm.set_value("csv").run()
        assert not at.exception
        assert untranslated(at) == []
        page = texts(at)
        assert "Lead-ID-ene ble sammenlignet med leadene fra csv." in page
        assert "**Prøvekjøring:** 0 ville blitt lagt til, 0 oppdatert, 0 uendret, 1 avvist." in page
        rejected = next(as_shown(d) for d in at.dataframe if "Why" in d.value.columns)
        assert rejected.iloc[0]["Hvorfor"] == "ingen csv-lead med ID '101'"
