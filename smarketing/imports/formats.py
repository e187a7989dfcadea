"""The lead-export formats: which header feeds which lead field, and how a format is
recognised from its headers. docs/import-formats.md documents these tables for people.

A mapping is ``{file column: target}``; a target is a ``LEAD_FIELDS`` name or one of the
``HELPER_TARGETS`` that feed derived values (rejected verdict, segment, names). When
several columns map to the same target, the first one in the mapping with a value wins
(e.g. HubSpot "Create Date" before "Became a Lead Date").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from smarketing.imports.records import LEAD_FIELDS, UnreadableFile

#: Targets that are not lead fields but feed derived values.
HELPER_TARGETS = (
    "full_name",  # split into first_name / last_name where those are empty
    "crm_status",  # lead status; a rejected/unqualified status -> crm_rejected
    "crm_rejection_reason",  # why the CRM rejected it
    "lifecycle_stage",  # current stage; only checked against the stage dates (warning)
    "employees",  # employee count -> segment bucket
    "industry",  # -> segment when the file has no segment and no employee count column
    "is_converted",  # Salesforce IsConverted: ConvertedDate counts only when true
    "archived",  # Pipedrive: an archived lead is rejected
)
TARGETS = (*LEAD_FIELDS, *HELPER_TARGETS)


def header_key(name: str) -> str:
    """How a header is compared with the format tables: trimmed, case-insensitive, inner
    whitespace collapsed (``"  Record  ID"`` == ``"record id"``)."""
    return " ".join(str(name).replace("\ufeff", "").strip().strip('"').split()).casefold()


def loose_key(name: str) -> str:
    """How a header is compared with the generic names: letters and digits only
    (``Lead_ID``, ``lead id`` and ``LeadId`` are all ``leadid``)."""
    return re.sub(r"[^0-9a-z]", "", header_key(name))


@dataclass(frozen=True)
class FormatSpec:
    name: str
    source_system: str
    #: target -> header names, best first
    columns: dict[str, tuple[str, ...]]
    #: lead-status values (case-insensitive) that mean the CRM rejected the lead
    rejected_statuses: frozenset[str] = frozenset()
    #: headers of the format that are recognised but not imported (they help detection
    #: and are kept out of the generic fallback, e.g. Pipedrive's lead "Title")
    known: tuple[str, ...] = ()
    #: status code -> label (HubSpot internal values)
    status_labels: dict[str, str] = field(default_factory=dict)


_REASON_HEADERS = (
    "Rejection Reason",
    "Disqualification Reason",
    "Disqualified Reason",
    "Unqualified Reason",
    "Lost Reason",
)

HUBSPOT = FormatSpec(
    name="hubspot",
    source_system="hubspot",
    columns={
        "external_id": ("Record ID", "Contact ID", "hs_object_id", "vid"),
        "first_name": ("First Name", "firstname"),
        "last_name": ("Last Name", "lastname"),
        "email": ("Email", "email"),
        "company": ("Company Name", "company"),
        "title": ("Job Title", "jobtitle"),
        "created_at": (
            "Create Date",
            "createdate",
            "Became a Lead Date",
            "hs_lifecyclestage_lead_date",
        ),
        "mql_at": (
            "Became a Marketing Qualified Lead Date",
            "hs_lifecyclestage_marketingqualifiedlead_date",
        ),
        "sql_at": (
            "Became a Sales Qualified Lead Date",
            "hs_lifecyclestage_salesqualifiedlead_date",
        ),
        "opportunity_at": ("Became an Opportunity Date", "hs_lifecyclestage_opportunity_date"),
        "customer_at": ("Became a Customer Date", "hs_lifecyclestage_customer_date"),
        "first_contact_at": ("Date of first engagement", "hs_sa_first_engagement_date"),
        "source": ("Original Source", "hs_analytics_source"),
        "campaign": (
            "First Touch Converting Campaign",
            "hs_analytics_first_touch_converting_campaign",
        ),
        "persona": ("Persona", "hs_persona"),
        "owner": ("Contact owner", "hubspot_owner_id"),
        "first_conversion": ("First Conversion", "first_conversion_event_name"),
        "score": ("HubSpot Score", "hubspotscore"),
        "deal_value": ("Recent Deal Amount", "recent_deal_amount"),
        "crm_status": ("Lead Status", "hs_lead_status"),
        "crm_rejection_reason": _REASON_HEADERS,
        "lifecycle_stage": ("Lifecycle Stage", "lifecyclestage"),
        "employees": ("Number of Employees", "numemployees"),
        "industry": ("Industry", "industry"),
    },
    rejected_statuses=frozenset({"unqualified"}),
    known=(
        "Original Source Drill-Down 1",
        "Original Source Drill-Down 2",
        "hs_analytics_source_data_1",
        "hs_analytics_source_data_2",
        "Last Touch Converting Campaign",
        "hs_analytics_last_touch_converting_campaign",
        "Recent Conversion",
        "recent_conversion_event_name",
        "Last Contacted",
        "notes_last_contacted",
        "Number of times contacted",
        "num_contacted_notes",
        "Owner Assigned Date",
        "hubspot_owner_assigneddate",
        "Phone Number",
        "phone",
        "Lastmodifieddate",
        "Last Modified Date",
        "Last Activity Date",
        "Associated Company",
        "Associated Company ID",
    ),
    status_labels={
        "NEW": "New",
        "OPEN": "Open",
        "IN_PROGRESS": "In Progress",
        "OPEN_DEAL": "Open Deal",
        "UNQUALIFIED": "Unqualified",
        "ATTEMPTED_TO_CONTACT": "Attempted to Contact",
        "CONNECTED": "Connected",
        "BAD_TIMING": "Bad Timing",
    },
)

SALESFORCE = FormatSpec(
    name="salesforce",
    source_system="salesforce",
    columns={
        "external_id": ("Lead ID", "Id", "Lead ID (18)"),
        "first_name": ("First Name", "FirstName"),
        "last_name": ("Last Name", "LastName"),
        "full_name": ("Name", "Full Name"),
        "email": ("Email",),
        "company": ("Company / Account", "Company"),
        "title": ("Title",),
        "created_at": ("Create Date", "Created Date", "CreatedDate"),
        "mql_at": ("MQL Date", "MQL_Date__c"),
        "sql_at": ("Converted Date", "ConvertedDate"),
        "is_converted": ("Converted", "IsConverted"),
        "source": ("Lead Source", "LeadSource"),
        "campaign": ("Campaign", "Campaign Name"),
        "persona": ("Persona", "Persona__c"),
        "owner": ("Lead Owner", "Owner Name", "Owner.Name", "OwnerId"),
        "score": ("Lead Score", "Lead_Score__c"),
        "crm_status": ("Lead Status", "Status"),
        "crm_rejection_reason": (*_REASON_HEADERS, "Unqualified_Reason__c"),
        "employees": ("No. of Employees", "Employees", "Number of Employees", "NumberOfEmployees"),
        "industry": ("Industry",),
    },
    rejected_statuses=frozenset({"closed - not converted", "unqualified", "disqualified"}),
    known=(
        "Rating",
        "Phone",
        "Mobile",
        "Street",
        "City",
        "State/Province",
        "Zip/Postal Code",
        "Country",
        "Website",
        "Annual Revenue",
        "AnnualRevenue",
        "Salutation",
        "Converted Account ID",
        "ConvertedAccountId",
        "Converted Contact ID",
        "ConvertedContactId",
        "Converted Opportunity ID",
        "ConvertedOpportunityId",
        "Last Activity",
        "LastActivityDate",
        "Last Modified Date",
        "LastModifiedDate",
        "IsDeleted",
        "Unread By Owner",
        "IsUnreadByOwner",
    ),
)

PIPEDRIVE = FormatSpec(
    name="pipedrive",
    source_system="pipedrive",
    columns={
        "external_id": ("Lead - ID", "ID"),
        "first_name": ("Person - First name",),
        "last_name": ("Person - Last name",),
        "full_name": ("Person - Name",),
        "email": (
            "Person - Email",
            "Person - Email - Work",
            "Person - Email - Home",
            "Person - Email - Other",
        ),
        "company": ("Organization - Name", "Organisation - Name"),
        "title": ("Person - Job title",),
        "created_at": ("Lead - Lead created", "Lead created", "Lead - Created"),
        "owner": ("Lead - Owner", "Owner"),
        "source": ("Lead - Source channel", "Source channel", "Lead - Source", "Source"),
        "deal_value": ("Lead - Value", "Value"),
        "crm_status": ("Lead - Status", "Status"),
        "archived": ("Lead - Archived", "Archived"),
        "crm_rejection_reason": ("Lead - Lost reason", "Lost reason", *_REASON_HEADERS),
    },
    rejected_statuses=frozenset({"archived", "lost"}),
    known=(
        "Lead - Title",
        "Title",
        "Lead - Labels",
        "Labels",
        "Lead - Currency",
        "Currency",
        "Lead - Expected close date",
        "Expected close date",
        "Lead - Source origin",
        "Source origin",
        "Lead - Next activity date",
        "Lead - Last activity date",
        "Lead - Was seen",
        "Person - Phone",
        "Person - Phone - Work",
        "Person - Phone - Mobile",
        "Person - ID",
        "Organization - ID",
        "Organization - Address",
    ),
)

#: Generic CSV: header names (compared by ``loose_key``) for each target. Every target's
#: own name (``created_at``, ``mql_at``…) is accepted as well.
GENERIC_COLUMNS: dict[str, tuple[str, ...]] = {
    "external_id": ("id", "lead id", "external id", "record id", "crm id", "contact id"),
    "first_name": ("first name", "firstname", "given name", "fornavn"),
    "last_name": ("last name", "lastname", "surname", "family name", "etternavn"),
    "full_name": ("name", "full name", "navn"),
    "email": ("email", "e-mail", "email address", "e-post", "epost"),
    "company": ("company", "company name", "organisation", "organization", "account", "firma"),
    "title": ("title", "job title", "stilling"),
    "created_at": (
        "created",
        "created at",
        "create date",
        "created date",
        "creation date",
        "opprettet",
    ),
    # (bare "MQL", "Customer", "Won"… are left out: they are often yes/no columns)
    "mql_at": ("mql date", "mql at", "became mql", "mql dato"),
    "sql_at": ("sql date", "sql at", "became sql", "sql dato"),
    "opportunity_at": ("opportunity date", "opportunity at"),
    "customer_at": ("customer date", "customer at", "won date", "closed won date"),
    "lost_at": ("lost date", "lost at"),
    "first_contact_at": ("first contact", "first contact date", "first contacted"),
    "source": ("source", "lead source", "original source", "channel"),
    "campaign": ("campaign", "campaign name"),
    "persona": ("persona",),
    "owner": ("owner", "lead owner", "sales owner", "contact owner", "assigned to"),
    "segment": ("segment",),
    "first_conversion": ("first conversion", "conversion"),
    "score": ("score", "lead score"),
    "deal_value": ("deal value", "value", "amount", "deal amount"),
    "crm_status": ("status", "lead status"),
    "crm_rejection_reason": (
        "rejection reason",
        "reject reason",
        "lost reason",
        "disqualification reason",
    ),
    "lifecycle_stage": ("lifecycle stage", "stage"),
    "employees": ("employees", "number of employees", "no of employees", "company size"),
    "industry": ("industry",),
    "is_converted": ("is converted", "converted"),
    "archived": ("archived",),
}
#: Generic statuses that mean the lead was rejected (any CRM's wording).
GENERIC_REJECTED = frozenset(
    {"unqualified", "disqualified", "rejected", "closed - not converted", "lost", "archived"}
)

SPECS = {spec.name: spec for spec in (HUBSPOT, SALESFORCE, PIPEDRIVE)}
SOURCE_SYSTEMS = {"hubspot": "hubspot", "salesforce": "salesforce", "pipedrive": "pipedrive"}

#: Headers too common to prove a format on their own (a generic file may have them).
_COMMON = frozenset(
    header_key(h)
    for h in (
        "id",
        "email",
        "title",
        "status",
        "owner",
        "source",
        "labels",
        "company",
        "industry",
        "rating",
        "name",
        "full name",
        "value",
        "archived",
        "persona",
        "first name",
        "last name",
        "create date",
        "created date",
        "campaign",
        "campaign name",
        "job title",
        "lead status",
        "lead source",
        "employees",
        "number of employees",
        "lead score",
        "mql date",
        "phone",
        "converted",
        "currency",
        "country",
        "city",
        "website",
        "vid",
    )
)


def _aliases(spec: FormatSpec) -> dict[str, str]:
    """header key -> target, best alias first."""
    out: dict[str, str] = {}
    for target, headers in spec.columns.items():
        for header in headers:
            out.setdefault(header_key(header), target)
    return out


def _generic_aliases() -> dict[str, str]:
    out: dict[str, str] = {}
    for target in TARGETS:
        out.setdefault(loose_key(target), target)
    for target, headers in GENERIC_COLUMNS.items():
        for header in headers:
            out.setdefault(loose_key(header), target)
    return out


_GENERIC = _generic_aliases()


def id_headers(format: str) -> tuple[str, ...]:
    """The record-id headers a format accepts (for messages)."""
    if format == "generic":
        return GENERIC_COLUMNS["external_id"]
    return SPECS[format].columns["external_id"]


def default_mapping(format: str, columns: list[str]) -> dict[str, str]:
    """``{file column: target}`` for the columns the format knows, best source first.

    For a CRM format the format's own headers come first; columns it does not know are
    then matched against the generic names (so a custom HubSpot property named "Segment"
    is read into ``segment``), except the format's known-but-not-imported headers and the
    record id (which must be the CRM's own id column). For
    ``generic`` only the generic names are used.
    """
    if format != "generic" and format not in SPECS:
        raise UnreadableFile(f"unknown format {format!r}: expected auto or one of {_formats()}")
    columns = [c for c in columns if isinstance(c, str)]
    ranked: list[tuple[int, int, str, str]] = []  # (target rank, alias rank, column, target)
    taken: set[str] = set()
    if format in SPECS:
        spec = SPECS[format]
        known = {header_key(h) for h in spec.known}
        by_key: dict[str, str] = {}
        for column in columns:
            by_key.setdefault(header_key(column), column)
        for t_rank, (target, headers) in enumerate(spec.columns.items()):
            for a_rank, header in enumerate(headers):
                column = by_key.get(header_key(header))
                if column is not None and column not in taken:
                    ranked.append((t_rank, a_rank, column, target))
                    taken.add(column)
        # the id column defines whose ids they are: never borrowed from the generic names
        taken_targets = {target for *_, target in ranked} | {"external_id"}
        rest = [c for c in columns if c not in taken and header_key(c) not in known]
        extra = _generic_matches(rest, exclude=taken_targets)
    else:
        extra = _generic_matches(columns, exclude=set())
    ranked.extend((100 + TARGETS.index(t), i, c, t) for i, (c, t) in enumerate(extra))
    ranked.sort(key=lambda r: (r[0], r[1]))
    return {column: target for _, _, column, target in ranked}


def _generic_matches(columns: list[str], exclude: set[str]) -> list[tuple[str, str]]:
    out = []
    for column in columns:
        target = _GENERIC.get(loose_key(column))
        if target is not None and target not in exclude:
            out.append((column, target))
    return out


def fields_covered(mapping: dict[str, str]) -> set[str]:
    """The lead fields a file with this mapping can set: a field missing from a record of
    such a file had an empty cell; any other field is not in the file at all."""
    targets = set(mapping.values())
    covered = targets & set(LEAD_FIELDS)
    if "full_name" in targets:
        covered |= {"first_name", "last_name"}
    if targets & {"employees", "industry"}:
        covered.add("segment")
    return covered


def _formats() -> str:
    return ", ".join(("hubspot", "salesforce", "pipedrive", "generic"))


def detect_format(columns: list[str]) -> str:
    """The format of a lead export, from its headers (case-insensitive, trimmed).

    A CRM format qualifies when one of its record-id headers is present and either that
    header is distinctive (``Record ID``, ``Lead ID``, ``Lead - ID``…) or at least one
    other header only that CRM writes is (``FirstName``, ``Person - Name``…): a plain
    ``id`` alone proves nothing. Of the qualifying formats the one recognising the most
    headers wins (ties: hubspot, salesforce, pipedrive). Otherwise ``generic`` when a
    generic id column exists; otherwise ``UnreadableFile``.
    """
    keys = {header_key(c) for c in columns if isinstance(c, str)}
    best: tuple[int, str] | None = None
    for spec in SPECS.values():
        aliases = _aliases(spec)
        ids = {header_key(h) for h in spec.columns["external_id"]}
        if not keys & ids:
            continue
        recognised = keys & (set(aliases) | {header_key(h) for h in spec.known})
        if not recognised - _COMMON:
            continue
        if best is None or len(recognised) > best[0]:
            best = (len(recognised), spec.name)
    if best is not None:
        return best[1]
    if any(_GENERIC.get(loose_key(c)) == "external_id" for c in columns if isinstance(c, str)):
        return "generic"
    expected = [*HUBSPOT.columns["external_id"][:3], *SALESFORCE.columns["external_id"][:2]]
    expected += [PIPEDRIVE.columns["external_id"][0], "id", "lead_id", "external_id"]
    raise UnreadableFile(
        "no record id column: expected one of " + ", ".join(dict.fromkeys(expected))
    )
