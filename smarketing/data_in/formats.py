"""The lead-export formats: which header feeds which lead field, and how a format is
recognised from its headers. docs/import-formats.md documents these tables for people.

A mapping is ``{file column: target}``; a target is a ``LEAD_FIELDS`` name or one of the
``HELPER_TARGETS`` that feed derived values (rejected verdict, segment, names). When
several columns map to the same target, the first one in the mapping with a value wins
(e.g. HubSpot "Create Date" before "Became a Lead Date"); the record id is the one
exception: it comes from one column only.

Each format has ONE table of known header names per target (``FormatSpec.columns``): the
CRM's display labels — today's, older exports' and, where HubSpot's own documentation
shows them, other account languages' — and its internal/API names, best first. Headers
are compared ignoring case, spaces and punctuation (``loose_key``: "HubSpot Owner",
"hubspot_owner" and "Hubspot-Owner" are one), so a table lists each name once.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field

from smarketing.data_in.records import LEAD_FIELDS, UnreadableFile
from smarketing.i18n import N_, _

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
    """How a header is compared with the tables: letters and digits only, case and accents
    folded (``Lead_ID``, ``lead id`` and ``LeadId`` are all ``leadid``; ``Kontaktägare``
    is ``kontaktagare``)."""
    folded = unicodedata.normalize("NFKD", header_key(name))
    return "".join(ch for ch in folded if ch.isalnum() and not unicodedata.combining(ch))


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
    # HubSpot's contact properties: label (today's, then older exports'), internal name.
    # Since 2024 the lifecycle dates are also "Date entered "<stage> (Lifecycle Stage
    # Pipeline)"" (hs_v2_date_entered_*, before that hs_date_entered_*).
    columns={
        "external_id": ("Record ID", "Contact ID", "hs_object_id", "vid"),
        "first_name": ("First Name", "firstname"),
        "last_name": ("Last Name", "lastname"),
        "email": ("Email", "E-mail", "email"),
        "company": ("Company Name", "company"),
        "title": ("Job Title", "jobtitle"),
        "created_at": (
            "Create Date",
            "createdate",
            "Object create date/time",
            "hs_createdate",
            "Opprettelsesdato",  # Norwegian accounts
            "Became a Lead Date",
            "hs_lifecyclestage_lead_date",
            'Date entered "Lead (Lifecycle Stage Pipeline)"',
            "hs_v2_date_entered_lead",
            "hs_date_entered_lead",
        ),
        "mql_at": (
            "Became a Marketing Qualified Lead Date",
            "hs_lifecyclestage_marketingqualifiedlead_date",
            'Date entered "Marketing Qualified Lead (Lifecycle Stage Pipeline)"',
            "hs_v2_date_entered_marketingqualifiedlead",
            "hs_date_entered_marketingqualifiedlead",
        ),
        "sql_at": (
            "Became a Sales Qualified Lead Date",
            "hs_lifecyclestage_salesqualifiedlead_date",
            'Date entered "Sales Qualified Lead (Lifecycle Stage Pipeline)"',
            "hs_v2_date_entered_salesqualifiedlead",
            "hs_date_entered_salesqualifiedlead",
        ),
        "opportunity_at": (
            "Became an Opportunity Date",
            "hs_lifecyclestage_opportunity_date",
            'Date entered "Opportunity (Lifecycle Stage Pipeline)"',
            "hs_v2_date_entered_opportunity",
            "hs_date_entered_opportunity",
        ),
        "customer_at": (
            "Became a Customer Date",
            "hs_lifecyclestage_customer_date",
            'Date entered "Customer (Lifecycle Stage Pipeline)"',
            "hs_v2_date_entered_customer",
            "hs_date_entered_customer",
        ),
        "first_contact_at": ("Date of first engagement", "hs_sa_first_engagement_date"),
        "source": ("Original Source", "Original Traffic Source", "hs_analytics_source"),
        "campaign": (
            "First Touch Converting Campaign",
            "hs_analytics_first_touch_converting_campaign",
        ),
        "persona": ("Persona", "hs_persona"),
        # "Contact owner" today, "HubSpot Owner" in older exports; the legacy name/e-mail
        # properties; the label in Norwegian, Swedish and (older) German accounts
        "owner": (
            "Contact owner",
            "HubSpot Owner",
            "hubspot_owner_id",
            "HubSpot Owner Name (legacy)",
            "ownername",
            "HubSpot Owner Email (legacy)",
            "owneremail",
            "Kontakteier",
            "Kontaktägare",
            "Zuständiger Mitarbeiter in HubSpot",
        ),
        "first_conversion": ("First Conversion", "first_conversion_event_name"),
        "score": ("HubSpot Score", "hubspotscore"),
        "deal_value": ("Recent Deal Amount", "recent_deal_amount"),
        "crm_status": ("Lead Status", "hs_lead_status"),
        "crm_rejection_reason": _REASON_HEADERS,
        "lifecycle_stage": ("Lifecycle Stage", "lifecyclestage"),
        "employees": ("Number of Employees", "numemployees", "Company size", "company_size"),
        "industry": ("Industry", "industry"),
    },
    rejected_statuses=frozenset({"unqualified"}),
    known=(
        "Original Source Drill-Down 1",
        "Original Source Drill-Down 2",
        "Original Traffic Source Drill-Down 1",
        "Original Traffic Source Drill-Down 2",
        "hs_analytics_source_data_1",
        "hs_analytics_source_data_2",
        "Latest Traffic Source",
        "hs_latest_source",
        "Last Touch Converting Campaign",
        "hs_analytics_last_touch_converting_campaign",
        "Recent Conversion",
        "recent_conversion_event_name",
        "First Conversion Date",
        "first_conversion_date",
        "Recent Conversion Date",
        "recent_conversion_date",
        "Last Contacted",
        "notes_last_contacted",
        "Number of times contacted",
        "num_contacted_notes",
        "Owner Assigned Date",
        "hubspot_owner_assigneddate",
        "Lead response time",
        "hs_time_to_first_engagement",
        "Phone Number",
        "phone",
        "Mobile Phone Number",
        "mobilephone",
        "Lastmodifieddate",
        "Last Modified Date",
        "Object last modified date/time",
        "Last Activity Date",
        "notes_last_updated",
        "Last Engagement Date",
        "Associated Company",
        "Associated Company ID",
        "Primary Associated Company ID",
        "associatedcompanyid",
        "HubSpot Team",
        "hubspot_team_id",
        "Country/Region",
        "City",
        "Website URL",
        "Marketing contact status",
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
    # Lead and Contact: report column labels, then API names (Data Loader, Workbench,
    # `sf data export`); a relationship column as the API writes it (Owner.Name). The
    # connector (smarketing.connectors.salesforce) adds its lead's or contact's first
    # opportunity as Opportunity.CreatedDate, .WonDate / .LostDate (its CloseDate when won /
    # lost) and .Amount.
    columns={
        "external_id": ("Lead ID", "Id", "Lead ID (18)", "Contact ID", "Contact ID (18)"),
        "first_name": ("First Name", "FirstName"),
        "last_name": ("Last Name", "LastName"),
        "full_name": ("Name", "Full Name", "Lead Name", "Contact Name"),
        "email": ("Email",),
        "company": ("Company / Account", "Company", "Account Name", "Account.Name"),
        "title": ("Title",),
        "created_at": ("Create Date", "Created Date", "CreatedDate"),
        "mql_at": ("MQL Date", "MQL_Date__c"),
        "sql_at": ("Converted Date", "ConvertedDate"),
        "opportunity_at": ("Opportunity.CreatedDate",),
        "customer_at": ("Opportunity.WonDate",),
        "lost_at": ("Opportunity.LostDate",),
        "is_converted": ("Converted", "IsConverted"),
        "source": ("Lead Source", "LeadSource"),
        "campaign": ("Campaign", "Campaign Name"),
        "persona": ("Persona", "Persona__c"),
        "owner": (
            "Lead Owner",
            "Contact Owner",
            "Owner Name",
            "Owner: Full Name",
            "Owner.Name",
            "OwnerId",
        ),
        "score": ("Lead Score", "Lead_Score__c"),
        "deal_value": ("Opportunity.Amount",),
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
        "Mailing Street",
        "Mailing City",
        "Mailing State/Province",
        "Mailing Zip/Postal Code",
        "Mailing Country",
        "Website",
        "Annual Revenue",
        "AnnualRevenue",
        "Salutation",
        "Account ID",
        "AccountId",
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
        "Lead Currency",
        "CurrencyIsoCode",
    ),
)

PIPEDRIVE = FormatSpec(
    name="pipedrive",
    source_system="pipedrive",
    # "Entity - Field" headers of the leads, people and deals exports (some exports write
    # the lead fields without the prefix). A deal export's row is one deal: its id is the
    # record; won and lost times are the customer and lost dates. A lost *deal* is no
    # rejected MQL, so the deal status and lost reason are not read as a verdict.
    # Then the API names the connector (smarketing.connectors.pipedrive) reads: a person's
    # fields, its organization's name, its owner's name and its first deal's fields as
    # "deal.<field>".
    columns={
        "external_id": ("Lead - ID", "Deal - ID", "Person - ID", "ID"),
        "first_name": ("Person - First name", "first_name"),
        "last_name": ("Person - Last name", "last_name"),
        "full_name": ("Person - Name", "Deal - Contact person", "name"),
        "email": (
            "Person - Email",
            "Person - Email - Work",
            "Person - Email - Home",
            "Person - Email - Other",
            "email",
        ),
        "company": (
            "Organization - Name",
            "Organisation - Name",
            "Person - Organization",
            "Deal - Organization",
            "org_name",
        ),
        "title": ("Person - Job title",),
        "created_at": (
            "Lead - Lead created",
            "Lead created",
            "Lead - Created",
            "Deal - Deal created",
            "Deal created",
            "Person - Person created",
            "Person created",
            "add_time",
        ),
        "opportunity_at": ("deal.add_time",),
        "customer_at": ("Deal - Won time", "Won time", "deal.won_time"),
        "lost_at": ("Deal - Lost time", "Lost time", "deal.lost_time"),
        "owner": ("Lead - Owner", "Deal - Owner", "Person - Owner", "Owner", "owner_name"),
        "source": (
            "Lead - Source channel",
            "Deal - Source channel",
            "Person - Source channel",
            "Source channel",
            "Lead - Source",
            "Source",
        ),
        "deal_value": ("Lead - Value", "Deal - Value", "Value", "deal.value"),
        "crm_status": ("Lead - Status", "Status"),
        "archived": ("Lead - Archived", "Archived"),
        "crm_rejection_reason": ("Lead - Lost reason", "Lost reason", *_REASON_HEADERS),
    },
    rejected_statuses=frozenset({"archived", "lost"}),
    known=(
        "Lead - Title",
        "Title",
        "Deal - Title",
        "Lead - Labels",
        "Labels",
        "Person - Label",
        "Person - Labels",
        "Deal - Label",
        "Lead - Currency",
        "Currency",
        "Deal - Currency",
        "Lead - Expected close date",
        "Expected close date",
        "Deal - Expected close date",
        "Lead - Source origin",
        "Source origin",
        "Deal - Source origin",
        "Lead - Next activity date",
        "Lead - Last activity date",
        "Deal - Next activity date",
        "Deal - Last activity date",
        "Lead - Was seen",
        "Deal - Status",
        "Deal - Lost reason",
        "Deal - Stage",
        "Deal - Pipeline",
        "Deal - Probability",
        "Deal - Update time",
        "Person - Phone",
        "Person - Phone - Work",
        "Person - Phone - Mobile",
        "Person - Update time",
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
    "owner": (
        "owner",
        "lead owner",
        "sales owner",
        "contact owner",
        "hubspot owner",
        "account owner",
        "deal owner",
        "sales rep",
        "assigned to",
        "eier",
    ),
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
        "first_name",
        "last_name",
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
        "company size",
    )
)

#: What each target is called on the Import page and by the command line.
TARGET_LABELS: dict[str, str] = {
    "external_id": N_("Record ID (the CRM's id)"),
    "first_name": N_("First name"),
    "last_name": N_("Last name"),
    "full_name": N_("Full name (split into first and last)"),
    "email": N_("E-mail"),
    "company": N_("Company"),
    "title": N_("Job title"),
    "created_at": N_("Created (date)"),
    "mql_at": N_("Became MQL (date)"),
    "sql_at": N_("Became SQL (date)"),
    "opportunity_at": N_("Became opportunity (date)"),
    "customer_at": N_("Became customer (date)"),
    "lost_at": N_("Lost (date)"),
    "first_contact_at": N_("First sales contact (date)"),
    "source": N_("Source"),
    "campaign": N_("Campaign"),
    "persona": N_("Persona"),
    "owner": N_("Owner"),
    "segment": N_("Segment"),
    "first_conversion": N_("First conversion (offer)"),
    "score": N_("Lead score"),
    "deal_value": N_("Deal value"),
    "crm_status": N_("Lead status (a rejected status is a rejection)"),
    "crm_rejection_reason": N_("Rejection reason"),
    "lifecycle_stage": N_("Lifecycle stage (checked against the dates)"),
    "employees": N_("Number of employees (gives the segment)"),
    "industry": N_("Industry (the segment when there is no size)"),
    "is_converted": N_("Converted? (yes/no)"),
    "archived": N_("Archived? (yes/no)"),
}
#: The Import page's and the command line's word for a column that is left out.
NOT_IMPORTED = N_("not imported")


def target_label(target: str) -> str:
    """A target in words, in the language speaking (the name itself for an unknown one)."""
    return _(TARGET_LABELS[target]) if target in TARGET_LABELS else target


def target_of(text: str) -> str | None:
    """The target a person named, by its name (``mql_at``) or its label ("Became MQL
    (date)", "became mql"), ignoring case, spaces and punctuation; None when none."""
    wanted = loose_key(text)
    if not wanted:
        return None
    for target in TARGETS:
        if wanted == loose_key(target):
            return target
    for target, label in TARGET_LABELS.items():
        for words in dict.fromkeys((label, _(label))):  # English, and the language speaking
            short = words.split(" (")[0]
            if wanted in (loose_key(words), loose_key(short)):
                return target
    return None


def _aliases(spec: FormatSpec) -> dict[str, str]:
    """loose header key -> target, best alias first."""
    out: dict[str, str] = {}
    for target, headers in spec.columns.items():
        for header in headers:
            out.setdefault(loose_key(header), target)
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


def known_headers(format: str) -> dict[str, str]:
    """loose header key -> target of every header name a format's table lists (the
    generic names for ``generic``): the table the Import page documents."""
    if format == "generic":
        return dict(_GENERIC)
    return _aliases(SPECS[format])


def default_mapping(format: str, columns: list[str]) -> dict[str, str]:
    """``{file column: target}`` for the columns the format knows, best source first.

    For a CRM format the format's own headers come first, compared by ``loose_key``
    (case, spaces and punctuation ignored); columns it does not know are then matched
    against the generic names (so a custom HubSpot property named "Segment" is read into
    ``segment``), except the format's known-but-not-imported headers and the record id
    (which must be the CRM's own id column). The record id is read from ONE column, the
    best-named one. For ``generic`` only the generic names are used.
    """
    if format != "generic" and format not in SPECS:
        raise UnreadableFile(
            _("unknown format {format}: expected auto or one of {formats}").format(
                format=repr(format), formats=_formats()
            )
        )
    columns = [c for c in columns if isinstance(c, str)]
    ranked: list[tuple[int, int, str, str]] = []  # (target rank, alias rank, column, target)
    taken: set[str] = set()
    if format in SPECS:
        spec = SPECS[format]
        known = {loose_key(h) for h in spec.known}
        by_key: dict[str, str] = {}
        for column in columns:
            by_key.setdefault(loose_key(column), column)
        for t_rank, (target, headers) in enumerate(spec.columns.items()):
            for a_rank, header in enumerate(headers):
                column = by_key.get(loose_key(header))
                if column is None or column in taken:
                    continue
                if target == "external_id" and any(t == target for *_, t in ranked):
                    continue  # one id column: another one is an id of something else
                ranked.append((t_rank, a_rank, column, target))
                taken.add(column)
        # the id column defines whose ids they are: never borrowed from the generic names
        taken_targets = {target for *_, target in ranked} | {"external_id"}
        rest = [c for c in columns if c not in taken and loose_key(c) not in known]
        extra = _generic_matches(rest, exclude=taken_targets)
    else:
        extra = _generic_matches(columns, exclude=set())
        ids = [c for c, t in extra if t == "external_id"]
        extra = [(c, t) for c, t in extra if t != "external_id" or c == ids[0]]
    ranked.extend((100 + TARGETS.index(t), i, c, t) for i, (c, t) in enumerate(extra))
    ranked.sort(key=lambda r: (r[0], r[1]))
    return {column: target for _rank, _alias, column, target in ranked}


def merge_mapping(detected: dict[str, str], changes: dict[str, str]) -> dict[str, str]:
    """A person's changes on top of the detected mapping: each column named in
    ``changes`` is read into its target ("" = not imported); a target given to a column
    there is taken from the person's column(s) only (the detected ones for it are
    dropped); every other column keeps what detection found. The person's columns come
    first, so they win where several feed one target."""
    chosen = {column: target for column, target in changes.items() if target}
    mine = set(chosen.values())
    rest = {
        column: target
        for column, target in detected.items()
        if column not in changes and target not in mine
    }
    return {**chosen, **rest}


@dataclass(frozen=True)
class ColumnUse:
    """How one file column is read, in words."""

    column: str
    target: str | None  # None: not imported
    note: str  # why not, or "if … is empty" for a fallback column

    @property
    def field(self) -> str:
        """The target's label, or "not imported"."""
        return _(NOT_IMPORTED) if self.target is None else target_label(self.target)


def column_uses(format: str, columns: list[str], mapping: dict[str, str]) -> list[ColumnUse]:
    """Every file column in file order: the field it is imported into (with a note when it
    only fills in for an earlier column of the same field), or why it is not imported."""
    spec = SPECS.get(format)
    known = {loose_key(h) for h in spec.known} if spec is not None else set()
    listed = known_headers(format)
    first: dict[str, str] = {}
    out = []
    for column in columns:
        target = mapping.get(column)
        if target is not None:
            earlier = first.setdefault(target, column)
            note = (
                _("used where {column} is empty").format(column=repr(earlier))
                if earlier != column
                else ""
            )
            if target == "external_id" and earlier != column:
                note = _("the record id comes from {column}").format(column=repr(earlier))
            out.append(ColumnUse(column, target, note))
            continue
        if column == "error":
            note = _("the reason a row was rejected before (a rejects file)")
        elif loose_key(column) in known:
            crm = format.capitalize() if format != "hubspot" else "HubSpot"
            note = _("a {crm} column smarketing does not use").format(crm=crm)
        elif loose_key(column) in listed or _GENERIC.get(loose_key(column)):
            note = _("left out in the mapping")
        else:
            note = _("no matching field: choose one in the mapping if it holds one")
        out.append(ColumnUse(column, None, note))
    return out


def mapping_in_words(uses: list[ColumnUse]) -> tuple[str, str]:
    """Two sentences: which columns are imported into which field, and which are not."""
    imported = [u for u in uses if u.target is not None]
    left = [u for u in uses if u.target is None]
    first = (
        _("Imported: {columns}.").format(
            columns="; ".join(
                f"{u.column!r} → {u.field}" + (f" ({u.note})" if u.note else "") for u in imported
            )
        )
        if imported
        else _("No column is imported.")
    )
    second = (
        _("Not imported: {columns}.").format(
            columns="; ".join(f"{u.column!r} ({u.note})" for u in left)
        )
        if left
        else _("Every column is imported.")
    )
    return first, second


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
    """The format of a lead export, from its headers.

    A CRM format qualifies when one of its record-id headers is present (compared
    trimmed and case-insensitively, so a generic ``lead_id`` is not Pipedrive's ``Lead -
    ID``) and either that header is distinctive (``Record ID``, ``Lead ID``, ``Lead -
    ID``…) or at least one other header only that CRM writes is (``FirstName``, ``Person -
    Name``…, compared ignoring punctuation): a plain ``id`` alone proves nothing. Of the
    qualifying formats the one recognising the most headers wins (ties: hubspot,
    salesforce, pipedrive). Otherwise ``generic`` when a generic id column exists;
    otherwise ``UnreadableFile``.
    """
    names = [c for c in columns if isinstance(c, str)]
    strict = {header_key(c) for c in names}
    best: tuple[int, str] | None = None
    for spec in SPECS.values():
        ids = {header_key(h) for h in spec.columns["external_id"]}
        if not strict & ids:
            continue
        listed = set(_aliases(spec)) | {loose_key(h) for h in spec.known}
        recognised = [c for c in names if loose_key(c) in listed]
        # a header proves the CRM only when it is not one any spreadsheet may have, as
        # written ("FirstName" is Salesforce's, "First Name" anybody's)
        if all(header_key(c) in _COMMON for c in recognised):
            continue
        count = len({loose_key(c) for c in recognised})
        if best is None or count > best[0]:
            best = (count, spec.name)
    if best is not None:
        return best[1]
    if any(_GENERIC.get(loose_key(c)) == "external_id" for c in columns if isinstance(c, str)):
        return "generic"
    expected = [*HUBSPOT.columns["external_id"][:3], *SALESFORCE.columns["external_id"][:2]]
    expected += [PIPEDRIVE.columns["external_id"][0], "id", "lead_id", "external_id"]
    raise UnreadableFile(
        _("no record id column: expected one of {expected}").format(
            expected=", ".join(dict.fromkeys(expected))
        )
    )
