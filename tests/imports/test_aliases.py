"""Known header names per format (issue 13, defect 7): every alias a format's table lists
is read into its field, whatever its case, spacing or punctuation; the tables agree with
themselves; typical exports of each CRM are recognised."""

from __future__ import annotations

import pytest

from smarketing.data_in.formats import (
    GENERIC_COLUMNS,
    SPECS,
    TARGETS,
    column_uses,
    default_mapping,
    detect_format,
    loose_key,
    mapping_in_words,
    merge_mapping,
    target_of,
)
from smarketing.data_in.reading import read_leads

#: (format, header as an export writes it, field) — the ones people meet, by CRM.
ALIASES = [
    # HubSpot: today's labels, older exports' labels, internal names
    ("hubspot", "Contact owner", "owner"),
    ("hubspot", "HubSpot Owner", "owner"),  # older exports: the defect
    ("hubspot", "hubspot_owner_id", "owner"),
    ("hubspot", "HubSpot Owner Name (legacy)", "owner"),
    ("hubspot", "Kontakteier", "owner"),  # a Norwegian account
    ("hubspot", "Kontaktägare", "owner"),  # a Swedish account
    ("hubspot", "Record ID", "external_id"),
    ("hubspot", "Contact ID", "external_id"),
    ("hubspot", "hs_object_id", "external_id"),
    ("hubspot", "Create Date", "created_at"),
    ("hubspot", "Object create date/time", "created_at"),
    ("hubspot", "Became a Marketing Qualified Lead Date", "mql_at"),
    ("hubspot", "hs_lifecyclestage_marketingqualifiedlead_date", "mql_at"),
    ("hubspot", 'Date entered "Marketing Qualified Lead (Lifecycle Stage Pipeline)"', "mql_at"),
    ("hubspot", "Date entered 'Marketing Qualified Lead (Lifecycle Stage Pipeline)'", "mql_at"),
    ("hubspot", "hs_v2_date_entered_marketingqualifiedlead", "mql_at"),
    ("hubspot", "Became a Sales Qualified Lead Date", "sql_at"),
    ("hubspot", "hs_v2_date_entered_opportunity", "opportunity_at"),
    ("hubspot", "Became a Customer Date", "customer_at"),
    ("hubspot", "Date of first engagement", "first_contact_at"),
    ("hubspot", "Original Source", "source"),
    ("hubspot", "Original Traffic Source", "source"),  # today's label
    ("hubspot", "hs_analytics_source", "source"),
    ("hubspot", "First Touch Converting Campaign", "campaign"),
    ("hubspot", "Persona", "persona"),
    ("hubspot", "First Conversion", "first_conversion"),
    ("hubspot", "HubSpot Score", "score"),
    ("hubspot", "Recent Deal Amount", "deal_value"),
    ("hubspot", "Lead Status", "crm_status"),
    ("hubspot", "hs_lead_status", "crm_status"),
    ("hubspot", "Lifecycle Stage", "lifecycle_stage"),
    ("hubspot", "Number of Employees", "employees"),
    ("hubspot", "Job Title", "title"),
    ("hubspot", "Company Name", "company"),
    # Salesforce: Lead and Contact report labels, API names
    ("salesforce", "Lead ID", "external_id"),
    ("salesforce", "Contact ID", "external_id"),
    ("salesforce", "Lead Owner", "owner"),
    ("salesforce", "Contact Owner", "owner"),
    ("salesforce", "Owner: Full Name", "owner"),
    ("salesforce", "Owner.Name", "owner"),
    ("salesforce", "OwnerId", "owner"),
    ("salesforce", "Company / Account", "company"),
    ("salesforce", "Account Name", "company"),
    ("salesforce", "CreatedDate", "created_at"),
    ("salesforce", "Created Date", "created_at"),
    ("salesforce", "LeadSource", "source"),
    ("salesforce", "Lead Source", "source"),
    ("salesforce", "Status", "crm_status"),
    ("salesforce", "ConvertedDate", "sql_at"),
    ("salesforce", "IsConverted", "is_converted"),
    ("salesforce", "No. of Employees", "employees"),
    ("salesforce", "NumberOfEmployees", "employees"),
    ("salesforce", "MQL_Date__c", "mql_at"),
    # Pipedrive: leads, people and deals exports
    ("pipedrive", "Lead - ID", "external_id"),
    ("pipedrive", "Deal - ID", "external_id"),
    ("pipedrive", "Person - ID", "external_id"),
    ("pipedrive", "Lead - Owner", "owner"),
    ("pipedrive", "Deal - Owner", "owner"),
    ("pipedrive", "Person - Owner", "owner"),
    ("pipedrive", "Lead - Lead created", "created_at"),
    ("pipedrive", "Deal - Deal created", "created_at"),
    ("pipedrive", "Person - Person created", "created_at"),
    ("pipedrive", "Deal - Won time", "customer_at"),
    ("pipedrive", "Deal - Lost time", "lost_at"),
    ("pipedrive", "Deal - Value", "deal_value"),
    ("pipedrive", "Person - Name", "full_name"),
    ("pipedrive", "Person - Email - Work", "email"),
    ("pipedrive", "Organization - Name", "company"),
    ("pipedrive", "Deal - Organization", "company"),
    ("pipedrive", "Lead - Source channel", "source"),
    ("pipedrive", "Lead - Lost reason", "crm_rejection_reason"),
    # any other CSV
    ("generic", "Lead owner", "owner"),
    ("generic", "HubSpot Owner", "owner"),
    ("generic", "E-post", "email"),
    ("generic", "MQL dato", "mql_at"),
]

#: The id and creation-date columns a file of each format needs, besides the alias.
NEEDS = {
    "hubspot": ["Record ID", "Create Date"],
    "salesforce": ["Lead ID", "Created Date"],
    "pipedrive": ["Lead - ID", "Lead created"],
    "generic": ["id", "created"],
}


def _spellings(header: str) -> list[str]:
    """The header as written, and as other tools and people write it."""
    return [
        header,
        header.upper(),
        f"  {header.lower()}  ",
        header.replace(" ", "_"),
        header.replace(" - ", "-").replace(" ", ""),
    ]


@pytest.mark.parametrize(("fmt", "header", "target"), ALIASES)
def test_every_known_header_is_read_into_its_field(fmt, header, target):
    for spelled in _spellings(header):
        others = [c for c in NEEDS[fmt] if loose_key(c) != loose_key(header)]
        if target == "external_id":
            others = [c for c in others if c not in NEEDS[fmt][:1]]
        if target == "created_at":
            others = [c for c in others if c != NEEDS[fmt][1]]
        mapping = default_mapping(fmt, [*others, spelled])
        assert mapping.get(spelled) == target, (fmt, spelled)


@pytest.mark.parametrize("fmt", sorted(SPECS))
def test_a_formats_table_gives_each_spelling_one_field(fmt):
    seen: dict[str, str] = {}
    for target, headers in SPECS[fmt].columns.items():
        assert target in TARGETS
        for header in headers:
            key = loose_key(header)
            assert seen.setdefault(key, target) == target, (header, seen[key], target)
    known = {loose_key(h) for h in SPECS[fmt].known}
    assert not known & set(seen), "a header is both read and 'known, not imported'"


def test_the_generic_table_gives_each_spelling_one_field():
    seen: dict[str, str] = {}
    for target, headers in GENERIC_COLUMNS.items():
        for header in headers:
            assert seen.setdefault(loose_key(header), target) == target, header


@pytest.mark.parametrize(
    ("columns", "expected"),
    [
        # HubSpot today: "Original Traffic Source", "Date entered …" lifecycle dates
        (
            [
                "Record ID",
                "First Name",
                "Create Date",
                "Original Traffic Source",
                'Date entered "Marketing Qualified Lead (Lifecycle Stage Pipeline)"',
                "Contact owner",
            ],
            "hubspot",
        ),
        (["Contact ID", "First Name", "Email", "Create Date", "HubSpot Owner"], "hubspot"),
        # a Salesforce contacts report
        (
            [
                "Contact ID",
                "First Name",
                "Last Name",
                "Account Name",
                "Contact Owner",
                "Lead Source",
                "Created Date",
                "Mailing City",
            ],
            "salesforce",
        ),
        # Pipedrive people and deals exports
        (
            ["Person - ID", "Person - Name", "Person - Owner", "Person - Person created"],
            "pipedrive",
        ),
        (["Deal - ID", "Deal - Title", "Deal - Owner", "Deal - Deal created"], "pipedrive"),
        # a generic lead_id is no Pipedrive "Lead - ID", though both are letters "leadid"
        (["lead_id", "created_at", "owner"], "generic"),
    ],
)
def test_exports_of_each_crm_are_recognised(columns, expected):
    assert detect_format(columns) == expected


def test_a_deal_export_reads_the_deal_id_not_the_persons():
    mapping = default_mapping(
        "pipedrive", ["Deal - ID", "Person - ID", "Deal - Deal created", "Person - Name"]
    )
    assert [c for c, t in mapping.items() if t == "external_id"] == ["Deal - ID"]


def test_the_hubspot_owner_column_feeds_the_owner_of_the_leads():
    data = b"Record ID,First Name,Create Date,HubSpot Owner\n7,Kari,2026-01-15 10:00,Lars Berg\n"
    parsed = read_leads(data, "contacts.csv")
    assert parsed.format == "hubspot"
    assert parsed.records[0].values["owner"] == "Lars Berg"
    assert not any("HubSpot Owner" in w for w in parsed.warnings)


@pytest.mark.parametrize(
    ("text", "target"),
    [
        ("owner", "owner"),
        ("Owner", "owner"),
        ("mql_at", "mql_at"),
        ("Became MQL", "mql_at"),
        ("became mql (date)", "mql_at"),
        ("Record ID", "external_id"),
        ("E-mail", "email"),
        ("Boss", None),
        ("", None),
    ],
)
def test_a_field_is_named_by_its_name_or_its_label(text, target):
    assert target_of(text) == target


def test_changes_replace_what_was_detected_for_their_columns_and_fields():
    detected = {"Record ID": "external_id", "HubSpot Owner": "owner", "Phone": "score"}
    assert merge_mapping(detected, {"Team Lead": "owner", "Phone": ""}) == {
        "Team Lead": "owner",
        "Record ID": "external_id",
    }


def test_the_mapping_in_words():
    columns = ["Record ID", "Create Date", "Became a Lead Date", "Phone Number", "Shoe size"]
    mapping = default_mapping("hubspot", columns)
    imported, left = mapping_in_words(column_uses("hubspot", columns, mapping))
    assert imported == (
        "Imported: 'Record ID' → Record ID (the CRM's id); 'Create Date' → Created (date); "
        "'Became a Lead Date' → Created (date) (used where 'Create Date' is empty)."
    )
    assert left == (
        "Not imported: 'Phone Number' (a HubSpot column smarketing does not use); "
        "'Shoe size' (no matching field: choose one in the mapping if it holds one)."
    )
