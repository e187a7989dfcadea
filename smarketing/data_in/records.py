"""What the readers hand to the upsert: parsed, validated rows and the rejected ones.

A reader turns one CRM export into a ``ParsedFile``: every valid row as a ``LeadRecord``
(or ``ActivityRecord``) with clean, typed values, and every invalid row as a
``RowError`` plus its original cells (for the downloadable rejects CSV). The upsert
never sees raw text; the reader never touches the database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import pandas as pd

from smarketing.errors import InvalidInput
from smarketing.i18n import _

#: ``RowError.code`` of an activity whose lead id names no stored lead of its CRM.
UNKNOWN_LEAD = "unknown_lead"

#: Lead fields an import may set (see smarketing.models.LeadBase). Timestamps are aware UTC.
LEAD_FIELDS = (
    "external_id",
    "first_name",
    "last_name",
    "email",
    "company",
    "title",
    "created_at",
    "mql_at",
    "sql_at",
    "opportunity_at",
    "customer_at",
    "lost_at",
    "first_contact_at",
    "source",
    "campaign",
    "persona",
    "owner",
    "segment",
    "first_conversion",
    "score",
    "deal_value",
)
#: Lifecycle timestamps, in the order a lead must pass them.
STAGE_ORDER = ("created_at", "mql_at", "sql_at", "opportunity_at", "customer_at")


@dataclass(frozen=True)
class RowError:
    """Why one row of the file was rejected. ``row`` is the line number in the file as a
    spreadsheet shows it (the header is row 1, the first data row is row 2)."""

    row: int
    column: str | None
    reason: str
    #: What kind of reason it is, for code (``UNKNOWN_LEAD``): the reason is for people,
    #: written in the language speaking.
    code: str | None = field(default=None, compare=False)

    def __str__(self) -> str:
        return row_text(self.row, self.column, self.reason)


@dataclass(frozen=True)
class RowWarning:
    """Something to check about one row that is imported all the same (a date far in the
    future) or imported without one of its changes (a name that is a misread form of the
    stored one). ``row`` as in :class:`RowError`; ``column`` the file's column; ``value``
    the cell as in the file; ``message`` says what was done and what to check."""

    row: int
    column: str | None
    value: str
    message: str

    def __str__(self) -> str:
        return row_text(self.row, self.column, self.message)


def row_text(row: int, column: str | None, text: str) -> str:
    """'row 5, column 'mql_date': not a date …' in the language speaking."""
    if column:
        return _("row {row}, column {column}: {reason}").format(
            row=row, column=repr(column), reason=text
        )
    return _("row {row}: {reason}").format(row=row, reason=text)


@dataclass
class LeadRecord:
    """One valid lead row. ``values`` maps LEAD_FIELDS names to clean values (missing
    fields absent, never empty strings). ``crm_rejected`` is True when the CRM marks the
    lead as rejected/unqualified (e.g. HubSpot Lead Status "Unqualified", Salesforce
    "Closed - Not Converted"), with ``crm_rejection_reason`` if the export has one; the
    upsert turns that into a rejected verdict only when the lead has no verdict yet."""

    row: int
    values: dict[str, object]
    crm_rejected: bool = False
    crm_rejection_reason: str | None = None


@dataclass
class ActivityRecord:
    """One valid activity row: the CRM's lead id, when, kind (ActivityKind value), detail."""

    row: int
    lead_external_id: str
    occurred_at: datetime
    kind: str
    detail: str = ""
    actor: str | None = None


@dataclass
class ParsedFile:
    """The result of reading one export."""

    file_name: str
    kind: str  # "leads" | "activities"
    format: str  # hubspot | salesforce | pipedrive | generic | activities
    source_system: str  # the CRM the ids belong to: hubspot | salesforce | pipedrive | csv
    mapping: dict[str, str]  # file column -> field it was read into
    rows_read: int
    records: list[LeadRecord] | list[ActivityRecord] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    rejected_rows: pd.DataFrame = field(default_factory=pd.DataFrame)  # original cells + "error"
    warnings: list[str] = field(default_factory=list)  # file-level notes (e.g. unmapped columns)
    #: The original cells of EVERY row as read (all text, untrimmed), indexed by row number:
    #: the reader's own table, not a copy. The rejects file takes the cells of rows only the
    #: database could judge (e.g. an activity for an unknown lead) from here.
    raw_rows: pd.DataFrame = field(default_factory=pd.DataFrame)


class UnreadableFile(InvalidInput):
    """The file cannot be read at all (empty, binary, a spreadsheet, no id column…): one
    message for a person, and nothing is imported."""
