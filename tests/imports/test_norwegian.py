"""The import's texts for people in Norwegian bokmål (issue 18): a rejected row's reason,
a warning, the dry run's summary, an unreadable file; the rejects file keeps its English
column names (a machine format) with the reason in Norwegian."""

from __future__ import annotations

from datetime import UTC, datetime

from smarketing import i18n
from smarketing.auth.permissions import CLI_ACTOR
from smarketing.data_in import rejects
from smarketing.data_in.activities import TARGET_LABELS
from smarketing.data_in.formats import column_uses, mapping_in_words, target_label
from smarketing.data_in.reading import read_activities, read_leads
from smarketing.data_in.records import RowError
from smarketing.data_in.upsert import import_leads
from smarketing.errors import InvalidInput

HEADER = "Record ID,First Name,Create Date,Became a Marketing Qualified Lead Date"
ROWS = [
    "1,Ola,2026-01-15,2026-01-16",
    "2,Kari,15/01/2026,",  # row 3: not a date
    "3,Per,2026-01-15,2026-01-10",  # row 4: MQL before created
    "1,Ola igjen,2026-01-15,",  # row 5: duplicate id
]


def read(rows=ROWS, header=HEADER):
    return read_leads(("\n".join([header, *rows]) + "\n").encode(), "leads.csv")


def test_a_rejected_rows_reason_is_norwegian_and_names_row_and_column():
    with i18n.language("nb"):
        parsed = read()
        reasons = {e.row: e.reason for e in parsed.errors}
        assert reasons[3] == (
            "ikke en dato: '15/01/2026' (ventet f.eks. 2026-01-15 10:00, 15.01.2026 10:00, "
            "1/15/2026 3:05 PM eller Unix-ms)"
        )
        assert reasons[4].startswith("'2026-01-10' er tidligere enn Create Date '2026-01-15'")
        assert "fasedatoene må gå opprettet ≤ MQL ≤ SQL ≤ salgsmulighet ≤ kunde" in reasons[4]
        assert reasons[5] == "dobbel ID '1': rad 2 har samme ID"
        assert str(RowError(5, "mql_date", "ikke en dato")) == (
            "rad 5, kolonne 'mql_date': ikke en dato"
        )
        assert str(RowError(7, None, "ingen post-ID")) == "rad 7: ingen post-ID"


def test_the_rejects_file_has_english_columns_and_norwegian_reasons():
    with i18n.language("nb"):
        parsed = read()
        csv = rejects.rejects_csv(parsed, []).decode("utf-8")
    header, first = csv.splitlines()[:2]
    assert header.split(",")[-1] == "error"  # the machine format stays English
    assert "Create Date: ikke en dato: '15/01/2026'" in first


def test_the_same_file_in_english_keeps_the_english_reasons():
    with i18n.language("en"):
        parsed = read()
    assert {e.row: e.reason for e in parsed.errors}[5] == "duplicate id '1': row 2 has the same id"


def test_the_dry_run_summary_and_a_future_date_warning_in_norwegian(engine):
    rows = ["1,Ola,2026-01-15,2099-01-01 10:00", "2,Kari,not a date,"]
    now = datetime(2026, 11, 18, 12, tzinfo=UTC)
    with i18n.language("nb"):
        result = import_leads(engine, read(rows), actor=CLI_ACTOR, dry_run=True, now=now)
        summary = result.summary
        warning = result.warnings[0].message
    assert summary == (
        "1 ville blitt lagt til, 0 ville blitt oppdatert, 0 uendret, 1 avvist (1 rad med advarsler)"
    )
    assert warning == (
        "en dato i fremtiden: senere enn 2026-11-19 13:00 (1 dag etter importen); raden "
        "importeres med denne datoen — sjekk den i CRM-et"
    )


def test_a_file_that_cannot_be_read_says_why_in_norwegian():
    with i18n.language("nb"):
        try:
            read_leads(b"PK\x03\x04 not a csv", "leads.csv")
        except InvalidInput as exc:
            said = str(exc)
        else:  # pragma: no cover
            raise AssertionError("an Excel file was read")
    assert said == "leads.csv er en Excel-arbeidsbok, ikke en CSV: lagre den som CSV (UTF-8) først"


def test_an_activities_files_reasons_and_the_mapping_in_words_in_norwegian():
    data = b"lead_id,timestamp,kind\n101,2026-11-02 09:00,fax\n,2026-11-02 09:00,call\n"
    with i18n.language("nb"):
        parsed = read_activities(data, "calls.csv")
        reasons = [e.reason for e in parsed.errors]
        assert reasons[0].startswith("ukjent aktivitetstype 'fax': ventet én av page view")
        assert reasons[1] == "ingen lead-ID"
        assert target_label("mql_at") == "Ble MQL (dato)"
        assert i18n._(TARGET_LABELS["occurred_at"]) == "Når (dato og tid)"
        uses = column_uses("hubspot", ["Record ID", "Fax"], {"Record ID": "external_id"})
        first, second = mapping_in_words(uses)
    assert first == "Importeres: 'Record ID' → Post-ID (CRM-ets ID)."
    assert second.startswith("Importeres ikke: 'Fax' (ikke noe passende felt")
