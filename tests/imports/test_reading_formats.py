"""Each export format from a small sample with its real header names; detection; mappings."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from smarketing.data_in.reading import FORMATS, default_mapping, detect_format, read_leads
from smarketing.data_in.records import UnreadableFile
from smarketing.errors import InvalidInput


def csv_bytes(*rows: str) -> bytes:
    return ("\r\n".join(rows) + "\r\n").encode()


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


HUBSPOT_LABELS = csv_bytes(
    "Record ID,First Name,Last Name,Email,Company Name,Job Title,Create Date,Lifecycle Stage,"
    "Lead Status,Original Source,Original Source Drill-Down 1,Became a Lead Date,"
    "Became a Marketing Qualified Lead Date,Became a Sales Qualified Lead Date,"
    "Became an Opportunity Date,Became a Customer Date,HubSpot Score,Contact owner,Persona,"
    "First Touch Converting Campaign,Last Touch Converting Campaign,First Conversion,"
    "Number of Employees,Industry",
    "5101,Ola,Nordmann,ola@acme.no,Acme AS,CFO,2026-01-15 10:00,Customer,Open Deal,"
    "Organic Search,google,2026-01-15 10:00,2026-01-16 09:30,2026-01-20 14:00,"
    "2026-02-01 08:00,2026-03-01 12:00,55,Kari Sales,Finance Fiona,Spring webinar,"
    "Spring webinar,Webinar signup,25-50,Software",
    "5102,Kari,Hansen,kari@beta.no,Beta AS,CTO,2026-01-16 11:00,Marketing Qualified Lead,"
    "Unqualified,PAID_SEARCH,,,2026-01-17 09:00,,,,12,Kari Sales,IT Ivar,,,,1000+,Retail",
    "5103,Per,Berg,,Gamma,,,Lead,New,Direct Traffic,,2026-01-18 08:00,,,,,,,,,,,,",
)


def test_hubspot_display_labels():
    parsed = read_leads(HUBSPOT_LABELS, "hubspot.csv")
    assert (parsed.format, parsed.source_system, parsed.kind) == ("hubspot", "hubspot", "leads")
    assert parsed.errors == []
    first, second, third = parsed.records
    assert first.values == {
        "external_id": "5101",
        "first_name": "Ola",
        "last_name": "Nordmann",
        "email": "ola@acme.no",
        "company": "Acme AS",
        "title": "CFO",
        "created_at": at(2026, 1, 15, 9, 0),
        "mql_at": at(2026, 1, 16, 8, 30),
        "sql_at": at(2026, 1, 20, 13, 0),
        "opportunity_at": at(2026, 2, 1, 7, 0),
        "customer_at": at(2026, 3, 1, 11, 0),
        "source": "Organic Search",
        "campaign": "Spring webinar",
        "persona": "Finance Fiona",
        "owner": "Kari Sales",
        "segment": "SMB (10-49)",
        "first_conversion": "Webinar signup",
        "score": 55,
    }
    assert not first.crm_rejected and first.crm_rejection_reason is None
    # Lead Status "Unqualified" -> rejected, the status is the reason; internal source code
    assert second.crm_rejected and second.crm_rejection_reason == "Unqualified"
    assert second.values["source"] == "Paid Search"
    assert second.values["segment"] == "Enterprise (500+)"
    # no Create Date: Became a Lead Date is used instead
    assert third.values["created_at"] == at(2026, 1, 18, 7, 0)
    assert parsed.mapping["Create Date"] == "created_at"
    assert parsed.mapping["Became a Lead Date"] == "created_at"
    assert list(parsed.mapping).index("Create Date") < list(parsed.mapping).index(
        "Became a Lead Date"
    )
    assert parsed.warnings == [
        "3 column(s) not imported (no matching field): Original Source Drill-Down 1, "
        "Last Touch Converting Campaign, Industry"
    ]


def test_hubspot_older_contact_id_labels():
    data = csv_bytes(
        "Contact ID,First Name,Last Name,Email,Create Date,Became a Marketing Qualified Lead Date",
        "901,Ola,Nordmann,ola@acme.no,01/15/2026 10:00,",
    )
    parsed = read_leads(data, "old-hubspot.csv")
    assert parsed.format == "hubspot"
    assert parsed.records[0].values["external_id"] == "901"
    assert parsed.records[0].values["created_at"] == at(2026, 1, 15, 9, 0)
    assert not any("MQL" in w for w in parsed.warnings)


def test_hubspot_internal_names_with_utc_and_unix_timestamps():
    data = csv_bytes(
        "hs_object_id,firstname,lastname,email,company,jobtitle,createdate,lifecyclestage,"
        "hs_lead_status,hs_analytics_source,hs_lifecyclestage_marketingqualifiedlead_date,"
        "hs_lifecyclestage_salesqualifiedlead_date,hs_lifecyclestage_opportunity_date,"
        "hs_lifecyclestage_customer_date,hubspotscore,hubspot_owner_id,hs_persona,numemployees",
        "301,Ola,Nordmann,ola@acme.no,Acme,CFO,2026-01-15T09:00:00.000Z,salesqualifiedlead,"
        "UNQUALIFIED,ORGANIC_SEARCH,1768554000000,2026-01-20T13:00:00Z,,,7,12345,persona_1,5-25",
    )
    assert detect_format(data.decode().splitlines()[0].split(",")) == "hubspot"
    parsed = read_leads(data, "internal.csv")
    assert parsed.errors == []
    record = parsed.records[0]
    assert record.values["created_at"] == at(2026, 1, 15, 9, 0)
    assert record.values["mql_at"] == at(2026, 1, 16, 9, 0)  # Unix milliseconds
    assert record.values["sql_at"] == at(2026, 1, 20, 13, 0)
    assert record.values["source"] == "Organic Search"
    assert record.values["owner"] == "12345"
    assert record.values["segment"] == "Micro (1-9)"
    assert record.crm_rejected and record.crm_rejection_reason == "Unqualified"


def test_lifecycle_stage_without_its_date_is_a_warning():
    data = csv_bytes(
        "Record ID,Create Date,Lifecycle Stage,Became a Marketing Qualified Lead Date,"
        "Became a Customer Date",
        "1,2026-01-15,Customer,2026-01-16,",
        "2,2026-01-15,Lead,,",
    )
    parsed = read_leads(data, "stages.csv")
    assert len(parsed.records) == 2
    assert any("1 without a customer date" in w for w in parsed.warnings)


SALESFORCE_REPORT = csv_bytes(
    '"Lead ID","First Name","Last Name","Title","Company / Account","Email","Lead Source",'
    '"Lead Status","Lead Owner","Create Date","Converted Date","Converted","Rating",'
    '"No. of Employees","Industry"',
    '"00Q5g00000AbCdE","Ola","Nordmann","CFO","Acme","ola@acme.no","Web","Closed - Converted",'
    '"Kari Sales","1/15/2026 10:00 AM","1/20/2026","1","Hot","120","Software"',
    '"00Q5g00000AbCdF","Kari","Hansen","","Beta","kari@beta.no","Partner Referral",'
    '"Closed - Not Converted","Kari Sales","1/16/2026 3:05 PM","","0","Cold","","Retail"',
    '"00Q5g00000AbCdG","Per","Berg","","Gamma","","web","Working - Contacted","Per Sales",'
    '"1/17/2026","1/25/2026","0","","","Retail"',
)


def test_salesforce_report_labels():
    parsed = read_leads(SALESFORCE_REPORT, "report.csv")
    assert (parsed.format, parsed.source_system) == ("salesforce", "salesforce")
    assert parsed.errors == []
    ola, kari, per = parsed.records
    assert ola.values["external_id"] == "00Q5g00000AbCdE"
    assert ola.values["company"] == "Acme"
    assert ola.values["title"] == "CFO"
    assert ola.values["created_at"] == at(2026, 1, 15, 9, 0)
    assert ola.values["sql_at"] == at(2026, 1, 19, 23, 0)  # converted -> SQL
    assert ola.values["owner"] == "Kari Sales"
    assert ola.values["segment"] == "Mid-market (50-499)"
    assert ola.values["source"] == "Web"
    assert per.values["source"] == "Web"  # "web" and "Web" are one source
    assert kari.values["created_at"] == at(2026, 1, 16, 14, 5)
    assert kari.crm_rejected and kari.crm_rejection_reason == "Closed - Not Converted"
    assert not ola.crm_rejected and not per.crm_rejected
    assert "sql_at" not in per.values  # a converted date without Converted = 1 is ignored
    assert "mql_at" not in ola.values
    mql_warning = "no MQL date column ('MQL Date' or 'MQL_Date__c'"
    assert any(w.startswith(mql_warning) for w in parsed.warnings)
    assert any("Rating" in w for w in parsed.warnings)


def test_salesforce_api_names():
    data = csv_bytes(
        "Id,FirstName,LastName,Company,Email,LeadSource,Status,OwnerId,CreatedDate,"
        "ConvertedDate,IsConverted,Industry,NumberOfEmployees,Rating,MQL_Date__c",
        "00Q5g00000XyZaB,Ola,Nordmann,Acme,ola@acme.no,Web,Closed - Converted,005000000000001,"
        "2026-01-15T09:00:00.000+0000,2026-01-20,true,Software,8,Hot,2026-01-16T10:00:00.000+0000",
        "00Q5g00000XyZaC,Kari,Hansen,Beta,kari@beta.no,Web,Closed - Not Converted,005000000000001,"
        "2026-01-15T09:00:00.000+0000,,false,Retail,,Cold,",
    )
    parsed = read_leads(data, "api.csv")
    assert parsed.format == "salesforce"
    assert parsed.errors == []
    ola, kari = parsed.records
    assert ola.values["created_at"] == at(2026, 1, 15, 9, 0)
    assert ola.values["mql_at"] == at(2026, 1, 16, 10, 0)
    assert ola.values["sql_at"] == at(2026, 1, 19, 23, 0)
    assert ola.values["owner"] == "005000000000001"
    assert ola.values["segment"] == "Micro (1-9)"
    assert kari.crm_rejected
    assert not any("MQL" in w for w in parsed.warnings)


PIPEDRIVE = csv_bytes(
    "Lead - ID,Lead - Title,Person - Name,Person - Email,Organization - Name,"
    "Lead - Lead created,Lead - Owner,Lead - Source,Lead - Labels,Lead - Value,Lead - Archived",
    "5a1b6f00-3f0c-11ef-9e4b-1b2c3d4e5f60,Acme lead,Ola Nordmann,ola@acme.no,Acme AS,"
    '2026-01-15 10:00:00,Kari Sales,Web forms,Hot,"12 500,00",No',
    "5a1b6f00-3f0c-11ef-9e4b-1b2c3d4e5f61,Beta lead,Cher,cher@beta.no,Beta AS,"
    "2026-01-16 10:00:00,Kari Sales,Manually created,Cold,,Yes",
)


def test_pipedrive_leads_export():
    parsed = read_leads(PIPEDRIVE, "pipedrive.csv")
    assert (parsed.format, parsed.source_system) == ("pipedrive", "pipedrive")
    assert parsed.errors == []
    ola, cher = parsed.records
    assert ola.values["external_id"] == "5a1b6f00-3f0c-11ef-9e4b-1b2c3d4e5f60"
    assert (ola.values["first_name"], ola.values["last_name"]) == ("Ola", "Nordmann")
    assert ola.values["company"] == "Acme AS"
    assert ola.values["created_at"] == at(2026, 1, 15, 9, 0)
    assert ola.values["source"] == "Web forms"
    assert ola.values["deal_value"] == 12500.0
    assert "title" not in ola.values  # the lead title is not a job title
    assert (cher.values["first_name"], "last_name" in cher.values) == ("Cher", False)
    assert cher.crm_rejected and cher.crm_rejection_reason == "Archived"
    assert not ola.crm_rejected


def test_pipedrive_short_headers_with_status():
    data = csv_bytes(
        "ID,Title,Person - Name,Organization - Name,Lead created,Owner,Source,Labels,Status",
        "77,Acme lead,Ola Nordmann,Acme,15.01.2026,Kari,Import,Warm,Lost",
    )
    parsed = read_leads(data, "pd.csv")
    assert parsed.format == "pipedrive"
    assert parsed.records[0].crm_rejected
    assert parsed.records[0].crm_rejection_reason == "Lost"


def test_generic_file_with_a_mapping():
    data = csv_bytes(
        "Kundenr;Navn;E-post;Opprettet;MQL dato;Kilde;Ansvarlig",
        "K-1;Ola Nordmann;ola@acme.no;15.01.2026 10:00;16.01.2026 10:00;LinkedIn;Kari",
    )
    mapping = {
        "Kundenr": "external_id",
        "Navn": "full_name",
        "E-post": "email",
        "Opprettet": "created_at",
        "MQL dato": "mql_at",
        "Kilde": "source",
        "Ansvarlig": "",  # explicitly ignored
    }
    parsed = read_leads(data, "eget.csv", format="generic", mapping=mapping)
    assert (parsed.format, parsed.source_system) == ("generic", "csv")
    assert parsed.errors == []
    values = parsed.records[0].values
    assert values["external_id"] == "K-1"
    assert (values["first_name"], values["last_name"]) == ("Ola", "Nordmann")
    assert values["mql_at"] == at(2026, 1, 16, 9, 0)
    assert values["source"] == "LinkedIn"
    assert "Ansvarlig" not in parsed.mapping
    assert any("Ansvarlig" in w for w in parsed.warnings)


def test_generic_default_mapping_matches_column_names_loosely():
    columns = [
        "lead_id",
        "Created At",
        "E-mail",
        "first name",
        "MQL date",
        "Lead Source",
        "Deal value",
    ]
    assert default_mapping("generic", columns) == {
        "lead_id": "external_id",
        "first name": "first_name",
        "E-mail": "email",
        "Created At": "created_at",
        "MQL date": "mql_at",
        "Lead Source": "source",
        "Deal value": "deal_value",
    }
    data = csv_bytes(",".join(columns), "L1,2026-01-15,a@b.no,Ola,2026-01-16,Google,100")
    parsed = read_leads(data, "plain.csv")
    assert parsed.format == "generic"
    assert parsed.records[0].values["deal_value"] == 100.0


def test_crm_formats_fall_back_to_generic_names_for_custom_columns():
    columns = ["Record ID", "Create Date", "Segment", "MQL Date"]
    mapping = default_mapping("hubspot", columns)
    assert mapping["Segment"] == "segment"
    assert mapping["MQL Date"] == "mql_at"
    # Pipedrive's lead "Title" is known and never read as a job title
    assert "Title" not in default_mapping("pipedrive", ["ID", "Title", "Lead created"])


@pytest.mark.parametrize(
    ("columns", "expected"),
    [
        (["Record ID", "Email"], "hubspot"),
        (["  contact id ", "EMAIL"], "hubspot"),
        (["hs_object_id", "createdate"], "hubspot"),
        (["Lead ID", "First Name", "Create Date"], "salesforce"),
        (["Id", "FirstName", "LastName", "CreatedDate"], "salesforce"),
        (["ID", "Title", "Person - Name", "Lead created"], "pipedrive"),
        (["Lead - ID", "Lead - Title"], "pipedrive"),
        (["id", "email", "created"], "generic"),
        (["ID", "Email", "Created"], "generic"),  # a plain id proves no CRM
        (["lead_id", "created_at"], "generic"),
    ],
)
def test_detect_format(columns, expected):
    assert detect_format(columns) == expected


def test_detect_format_without_an_id_column():
    with pytest.raises(UnreadableFile, match="no record id column: expected one of Record ID"):
        detect_format(["Name", "Email"])


def test_explicit_format_overrides_detection():
    parsed = read_leads(HUBSPOT_LABELS, "hubspot.csv", format="generic")
    assert (parsed.format, parsed.source_system) == ("generic", "csv")
    assert parsed.records[0].values["external_id"] == "5101"  # "Record ID" is a generic name


def test_explicit_format_whose_id_column_is_missing():
    with pytest.raises(UnreadableFile, match="no record id column: expected one of Lead ID"):
        read_leads(HUBSPOT_LABELS, "hubspot.csv", format="salesforce")


def test_unknown_format_and_timezone_are_invalid_input():
    with pytest.raises(InvalidInput, match="unknown format 'zoho'"):
        read_leads(HUBSPOT_LABELS, "hubspot.csv", format="zoho")
    with pytest.raises(InvalidInput, match="not a known timezone"):
        read_leads(HUBSPOT_LABELS, "hubspot.csv", tz="Mars/Olympus")
    assert FORMATS == ("hubspot", "salesforce", "pipedrive", "generic")


def test_a_bad_mapping_is_refused():
    with pytest.raises(UnreadableFile, match="'Nope', which the file does not have"):
        read_leads(HUBSPOT_LABELS, "h.csv", mapping={"Nope": "email"})
    with pytest.raises(UnreadableFile, match="to 'shoe_size', which is not a field"):
        read_leads(HUBSPOT_LABELS, "h.csv", mapping={"Record ID": "shoe_size"})


def test_fields_covered_tells_an_empty_cell_from_a_missing_column():
    from smarketing.data_in.reading import fields_covered

    pipedrive = read_leads(PIPEDRIVE, "pipedrive.csv")
    covered = fields_covered(pipedrive.mapping)
    assert {"external_id", "first_name", "last_name", "created_at", "deal_value"} <= covered
    assert "mql_at" not in covered and "segment" not in covered
    hubspot = read_leads(HUBSPOT_LABELS, "hubspot.csv")
    assert "segment" in fields_covered(hubspot.mapping)
