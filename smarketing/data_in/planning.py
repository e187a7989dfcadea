"""How an import decides what each row becomes: its values checked, matched to a stored lead
(``(source_system, external_id)``), respelled, and planned as an insert, an update (with its
history and verdict) or unchanged; activities matched to their lead and first contacts
derived. A dry run is exactly this plan; the rules are in :mod:`smarketing.data_in.upsert`.
"""

from __future__ import annotations

import copy
import math
import numbers
import operator
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import repeat

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.engine import Connection, Engine

from smarketing import config
from smarketing.auth.permissions import Actor
from smarketing.data_in.activities import SOURCE_SYSTEMS
from smarketing.data_in.records import (
    LEAD_FIELDS,
    STAGE_ORDER,
    UNKNOWN_LEAD,
    ActivityRecord,
    LeadRecord,
    ParsedFile,
    RowError,
    RowWarning,
)
from smarketing.formatting import count, decimal
from smarketing.i18n import _, ngettext
from smarketing.quality.reasons import DEFAULTS, OTHER, UNSPECIFIED, Reason, match, normal
from smarketing.store.models import (
    SALES_ACTIVITY_KINDS,
    ActivityKind,
    Lead,
    LeadActivity,
    LeadChange,
    RejectionReason,
    Verdict,
    VerdictKind,
)

#: Ids per ``IN (...)`` list: below SQLite's old 999-parameter limit.
IN_CHUNK = 900
#: Changed fields that get a LeadChange row ("history of stage changes").
TRACKED_FIELDS = (
    *STAGE_ORDER,
    "first_contact_at",
    "lost_at",
    "owner",
    "source",
    "campaign",
    "persona",
    "segment",
)
#: How a CRM is named in the comment of a verdict an import creates.
CRM_NAMES = {"hubspot": "HubSpot", "salesforce": "Salesforce", "pipedrive": "Pipedrive"}
#: Lead fields whose values group the reports; a file's spelling of a value the database
#: already holds (compared case-insensitively) is replaced by the stored spelling.
GROUPING_FIELDS = ("source", "campaign", "persona", "owner", "segment", "first_conversion")

_LEAD = Lead.__table__
_ACTIVITY = LeadActivity.__table__
_CHANGE = LeadChange.__table__
_VERDICT = Verdict.__table__

_TIME_FIELDS = frozenset(f for f in LEAD_FIELDS if f.endswith("_at"))
_INT_FIELDS = frozenset({"score"})
_FLOAT_FIELDS = frozenset({"deal_value"})
_TEXT_FIELDS = frozenset(LEAD_FIELDS) - _TIME_FIELDS - _INT_FIELDS - _FLOAT_FIELDS
#: Import fields a lead row stores, besides the key.
_VALUE_FIELDS = tuple(f for f in LEAD_FIELDS if f != "external_id")
#: The same, as a set (what a record may set on a lead).
IMPORT_FIELDS = frozenset(_VALUE_FIELDS)
_KNOWN_KEYS = frozenset(LEAD_FIELDS)
_ID_MAX = _LEAD.c.external_id.type.length or 64
_TZINFO = operator.attrgetter("tzinfo")
_TEXT, _TIME, _INT, _FLOAT = "text", "time", "int", "float"
#: How each import field's value is checked and normalised.
_KIND_OF = (
    {f: _TEXT for f in _VALUE_FIELDS}
    | {f: _TIME for f in _TIME_FIELDS}
    | {f: _INT for f in _INT_FIELDS}
    | {f: _FLOAT for f in _FLOAT_FIELDS}
)
_MAX_LENGTH = {
    f: _LEAD.c[f].type.length for f in _TEXT_FIELDS if getattr(_LEAD.c[f].type, "length", None)
}
_ACTIVITY_KINDS = frozenset(k.value for k in ActivityKind)
_SALES_KINDS = tuple(k.value for k in SALES_ACTIVITY_KINDS)
_DETAIL_MAX = _ACTIVITY.c.detail.type.length or 500
_CHANGE_TEXT_MAX = _CHANGE.c.new_value.type.length or 200


def chunks(items: Sequence, size: int) -> Iterator[Sequence]:
    """``items`` in consecutive slices of ``size``."""
    for lo in range(0, len(items), size):
        yield items[lo : lo + size]


def _as_text(value: object) -> str | None:
    """A value as LeadChange stores it: ISO text for times (UTC), plain text otherwise."""
    if value is None:
        return None
    if isinstance(value, datetime):
        value = value.astimezone(UTC).isoformat()
    return str(value)[:_CHANGE_TEXT_MAX]


def _missing(value: object) -> bool:
    """None, NaN or NaT: a cell without a value (never written, never compared)."""
    return value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value))


def _columns_of(parsed: ParsedFile) -> dict[str, str]:
    """Field -> the file's column it was read from (for RowError.column)."""
    out: dict[str, str] = {}
    for column, fld in (parsed.mapping or {}).items():
        out.setdefault(fld, column)
    return out


# --- warnings: rows imported with something to check --------------------------------------

#: cp1252 as browsers and most tools read it: its five undefined bytes as Latin-1 controls.
_CP1252 = tuple(bytes([b]).decode("cp1252", errors="ignore") or chr(b) for b in range(256))
#: The encodings a UTF-8 file is misread as, in the order they are named in a warning.
MISREAD_ENCODINGS = ("cp1252", "latin-1")


def _misread(text: str, encoding: str) -> str:
    """``text`` written as UTF-8 and read back as ``encoding`` (``Bråten`` -> ``BrÃ¥ten``)."""
    data = text.encode("utf-8")
    if encoding == "latin-1":
        return data.decode("latin-1")
    return "".join(map(_CP1252.__getitem__, data))


def misread_as(old: str, new: str) -> str | None:
    """The encoding (``cp1252`` or ``latin-1``) that turns ``old``, written as UTF-8, into
    ``new`` — once (``Bråten`` -> ``BrÃ¥ten``, ``Ærlend`` -> ``Ã†rlend``) or twice
    (``BrÃƒÂ¥ten``); None when ``new`` is no such misreading of ``old``. Text without
    letters beyond ASCII reads the same in every one of them, so it is never one."""
    if old.isascii() or new.isascii() or len(new) <= len(old):
        return None
    for encoding in MISREAD_ENCODINGS:
        once = _misread(old, encoding)
        if new == once or new == _misread(once, encoding):
            return encoding
    return None


def _days(days: float) -> str:
    shown = count(days) if float(days).is_integer() else decimal(days, 1)
    return ngettext("{n} day", "{n} days", 1 if days == 1 else 2).format(n=shown)


class RowWarnings:
    """The warnings of one import, row by row, each with the file's own cell: dates later
    than the horizon (``SMARKETING_IMPORT_FUTURE_DAYS`` after the import's ``now``), and
    updates that would replace a stored text with a misread form of itself."""

    def __init__(self, parsed: ParsedFile, columns: dict[str, str], now: datetime) -> None:
        self.raw = parsed.raw_rows
        self.columns = columns
        self.days = config.import_future_days()
        self.horizon = now + timedelta(days=self.days)
        self._local_horizon = self.horizon.astimezone(config.business_tz())
        self.found: list[RowWarning] = []

    def for_batch(self) -> RowWarnings:
        """An empty collector with this import's settings for one batch's plan: the plan
        keeps its warnings until :meth:`LeadPlanner.accept` takes them, so a batch planned
        again (a lead changed meanwhile) warns once."""
        batch = copy.copy(self)
        batch.found = []
        return batch

    def sorted(self) -> list[RowWarning]:
        """The warnings in file order (a row's in the order they were found)."""
        return sorted(self.found, key=lambda w: w.row)

    def _cell(self, row: int, column: str | None, value: object) -> str:
        """The cell as in the file (the value as text when the reader kept no raw rows)."""
        raw = self.raw
        if column is not None and column in raw.columns and row in raw.index:
            cell = raw.at[row, column]
            if isinstance(cell, str):
                return cell
        if isinstance(value, datetime):
            return value.astimezone(config.business_tz()).strftime("%Y-%m-%d %H:%M")
        return "" if value is None else str(value)

    def future(self, rec_row: int, values: dict, names: Sequence[str]) -> None:
        """A warning per date of ``names`` in ``values`` later than the horizon."""
        horizon = self.horizon
        for name in names:
            value = values.get(name)
            if value is None or not value > horizon:
                continue
            column = self.columns.get(name)
            self.found.append(
                RowWarning(
                    rec_row,
                    column,
                    self._cell(rec_row, column, value),
                    _(
                        "a date in the future: later than {horizon} ({days} after the "
                        "import); the row is imported with this date — check it in the CRM"
                    ).format(
                        horizon=f"{self._local_horizon:%Y-%m-%d %H:%M}", days=_days(self.days)
                    ),
                )
            )

    def misread(
        self, rec: LeadRecord, key: str, stored: dict, name: str, new: str, encoding: str
    ) -> None:
        """A warning for an update of ``name`` that is not applied: ``new`` is the stored
        value misread (UTF-8 read as ``encoding``)."""
        old = stored[name]
        person = " ".join(str(stored[f]) for f in ("first_name", "last_name") if stored.get(f))
        lead = (
            _("lead {key} ({person})").format(key=key, person=person)
            if person
            else _("lead {key}").format(key=key)
        )
        column = self.columns.get(name)
        self.found.append(
            RowWarning(
                rec.row,
                column,
                self._cell(rec.row, column, new),
                _(
                    "{lead}: {old} → {new} looks like the stored {field} misread (UTF-8 read "
                    "as {encoding}); the stored {old} is kept and this change is not imported "
                    "— check the file's encoding"
                ).format(
                    lead=lead,
                    old=repr(old),
                    new=repr(new),
                    field=_field_words(name),
                    encoding=encoding,
                ),
            )
        )


def _field_words(name: str) -> str:
    """A lead field in words, lower case ('first name'), in the language speaking."""
    from smarketing.data_in.formats import target_label

    label = target_label(name)
    return label.split(" (")[0].lower() if label != name else name.replace("_", " ")


# --- leads --------------------------------------------------------------------------------


def _clean_lead(
    rec: LeadRecord, columns: dict[str, str]
) -> tuple[str, dict[str, object]] | RowError:
    """The record's key and its typed import values (None dropped), or why it is rejected."""
    raw = rec.values
    ext = raw.get("external_id")
    ext = "" if ext is None else str(ext).strip()
    if not ext:
        return RowError(rec.row, columns.get("external_id"), _("no record id"))
    if len(ext) > 64:
        return RowError(
            rec.row, columns.get("external_id"), _("record id longer than 64 characters")
        )
    values: dict[str, object] = {}
    for name, value in raw.items():
        kind = _KIND_OF.get(name)
        if kind is None or value is None:
            continue
        if kind == _TEXT:
            if type(value) is not str:
                if _missing(value):
                    continue
                value = str(value)
            if len(value) > _MAX_LENGTH.get(name, len(value)):
                return RowError(
                    rec.row,
                    columns.get(name),
                    _("longer than {n} characters").format(n=count(_MAX_LENGTH[name])),
                )
        elif kind == _TIME:
            if type(value) is datetime and value.tzinfo is UTC:
                pass  # the readers' output: already aware UTC (the common, fast case)
            elif type(value) is not datetime:
                if value is pd.NaT:
                    continue
                if not isinstance(value, datetime):
                    return RowError(
                        rec.row,
                        columns.get(name),
                        _("not a date/time: {value}").format(value=repr(value)),
                    )
                if isinstance(value, pd.Timestamp):
                    value = value.to_pydatetime()
            if value.tzinfo is not UTC:
                if value.utcoffset() is None:
                    return RowError(rec.row, columns.get(name), _("date/time without a timezone"))
                value = value.astimezone(UTC)
        elif kind == _INT and type(value) is int:
            pass
        elif kind == _INT:
            if isinstance(value, float):
                if math.isnan(value):
                    continue
                if value.is_integer():
                    value = int(value)
            if not isinstance(value, numbers.Integral) or isinstance(value, bool):
                return RowError(
                    rec.row,
                    columns.get(name),
                    _("not a whole number: {value}").format(value=repr(value)),
                )
            value = int(value)
        elif type(value) is float:
            if value != value:  # NaN
                continue
        else:
            if isinstance(value, float) and math.isnan(value):
                continue
            if not isinstance(value, numbers.Real) or isinstance(value, bool):
                return RowError(
                    rec.row, columns.get(name), _("not a number: {value}").format(value=repr(value))
                )
            value = float(value)
        values[name] = value
    return ext, values


def _clean_fast(
    part: Sequence[LeadRecord],
) -> tuple[list[tuple[LeadRecord, str, dict]], dict[str, list]] | None:
    """The batch as ``(record, key, values)`` without a per-value loop, plus its values
    column by column (None where a record has no value); None when any value needs
    :func:`_clean_lead` (which then judges the batch record by record).

    The readers hand over clean values: ids as trimmed text, texts that fit, aware UTC
    ``datetime``s, ``int`` scores, ``float`` amounts, missing values absent (never None).
    That is checked column by column here with C-level passes; the records' own
    ``values`` dicts are then used as they are (never modified: see :func:`_own`).
    """
    vals = [r.values for r in part]
    if not vals:
        return [], {}
    keys = set().union(*vals)
    if not keys <= _KNOWN_KEYS or "external_id" not in keys:
        return None
    ids = [v.get("external_id") for v in vals]
    if set(map(type, ids)) != {str} or not all(ids) or max(map(len, ids)) > _ID_MAX:
        return None
    if any(map(str.__ne__, ids, map(str.strip, ids))):
        return None
    columns: dict[str, list] = {"external_id": ids}
    given = len(ids)  # values that are not None, over all columns
    for name in keys - {"external_id"}:
        column = list(map(dict.get, vals, repeat(name)))
        columns[name] = column
        given += len(column) - column.count(None)
        types = set(map(type, column)) - {type(None)}
        kind = _KIND_OF[name]
        if kind == _TEXT:
            limit = _MAX_LENGTH.get(name)
            ok = types <= {str} and (
                limit is None or max(map(len, filter(None, column)), default=0) <= limit
            )
        elif kind == _TIME:  # (a datetime is never false, so filter(None) drops Nones only)
            ok = types <= {datetime} and set(map(_TZINFO, filter(None, column))) <= {UTC}
        elif kind == _INT:
            ok = types <= {int}
        else:
            ok = types <= {float} and not any(map(math.isnan, filter(None, column)))
        if not ok:
            return None
    if given != sum(map(len, vals)):
        return None  # an explicit None (a missing value): the slow path drops it
    return list(zip(part, ids, vals, strict=True)), columns


def _clean_batch(
    part: Sequence[LeadRecord], columns: dict[str, str], unmatched: list[RowError]
) -> tuple[list[tuple[LeadRecord, str, dict]], dict[str, list] | None]:
    """The batch's valid records as ``(record, key, values)`` (the others go to
    ``unmatched``), and, when every value was clean, the batch's values column by column
    (``_clean_fast``) for the insert to reuse."""
    fast = _clean_fast(part)
    if fast is not None:
        return fast
    out = []
    for rec in part:
        cleaned = _clean_lead(rec, columns)
        if isinstance(cleaned, RowError):
            unmatched.append(cleaned)
        else:
            out.append((rec, *cleaned))
    return out, None


def _own(values: dict, **changes: object) -> dict:
    """A changed copy of a record's values (the record itself is never modified: a dry
    run and the real import read the same ParsedFile)."""
    out = dict(values)
    for name, value in changes.items():
        if value is None:
            out.pop(name, None)
        else:
            out[name] = value
    return out


def _spelling_key(value: str) -> str:
    """How grouping values are compared: case-folded, inner whitespace collapsed."""
    return " ".join(value.split()).casefold()


def _stored_spellings(conn: Connection, fields: Iterable[str]) -> dict[str, dict[str, str]]:
    """For each grouping field: comparison key -> the spelling stored first (lowest lead
    id) among the non-demo leads. One ``SELECT DISTINCT`` per field (the distinct values
    are few); only when two stored spellings share a key is the first one looked up."""
    out: dict[str, dict[str, str]] = {}
    for name in fields:
        column = _LEAD.c[name]
        rows = conn.execute(
            select(column, _LEAD.c.is_demo).where(column.is_not(None)).distinct()
        ).all()
        spellings: dict[str, list[str]] = defaultdict(list)
        for value, demo in rows:
            if not demo:
                spellings[_spelling_key(value)].append(value)
        table = {key: values[0] for key, values in spellings.items() if len(values) == 1}
        clashes = [v for values in spellings.values() if len(values) > 1 for v in values]
        firsts = []
        for part in chunks(clashes, IN_CHUNK):
            firsts += conn.execute(
                select(column, func.min(_LEAD.c.id))
                .where(column.in_(part), _LEAD.c.is_demo.is_(False))
                .group_by(column)
            ).all()
        for value, _first in sorted(firsts, key=lambda r: r[1]):
            table.setdefault(_spelling_key(value), value)
        if table:
            out[name] = table
    return out


class Spellings:
    """The stored spelling of each grouping value (``_stored_spellings``), kept across the
    chunks of one CRM sync: read from the database once, then told what each batch wrote.

    Read again for every chunk, they cost a scan of ``lead`` per grouping field and chunk,
    growing with the table (2.2 s of a 100,000-contact sync; a hundred times that at a
    million). What they do not see: another writer's new spellings while the sync runs, and
    a spelling whose last lead moved to another value (later values are still written as
    it). Both are seen again by the next sync."""

    def __init__(self) -> None:
        self.tables: dict[str, dict[str, str]] = {}

    def of(self, conn: Connection, fields: Iterable[str]) -> dict[str, dict[str, str]]:
        """The tables of ``fields`` (read on ``conn`` the first time a field is asked for);
        the same dicts each time, so that what a batch writes reaches the next batch."""
        fields = list(fields)
        missing = [name for name in fields if name not in self.tables]
        if missing:
            read = _stored_spellings(conn, missing)
            for name in missing:
                self.tables[name] = read.get(name, {})
        return {name: self.tables[name] for name in fields}

    def wrote(self, plan: LeadPlan) -> None:
        """Take the grouping values a written batch stored: a new one is the spelling from
        now on (the lowest lead id wins, as in ``_stored_spellings``)."""
        rows = [values for _r, _k, values in plan.inserts]
        rows += [row for group in plan.updates.values() for row in group]
        for name, table in self.tables.items():
            for row in rows:
                value = row.get(name)
                if isinstance(value, str):
                    table.setdefault(_spelling_key(value), value)


def _respell(
    batch: list[tuple[LeadRecord, str, dict]], spellings: dict[str, dict[str, str]]
) -> list[tuple[LeadRecord, str, dict]]:
    """Grouping values written as a stored spelling (``google`` -> the stored ``Google``)."""
    for name, table in spellings.items():
        distinct = {values.get(name) for _r, _k, values in batch}
        distinct.discard(None)
        changes = {}
        for value in distinct:
            stored = table.get(_spelling_key(value))
            if stored is not None and stored != value:
                changes[value] = stored
        if not changes:
            continue
        for i, (rec, key, values) in enumerate(batch):
            value = values.get(name)
            if value in changes:
                batch[i] = (rec, key, _own(values, **{name: changes[value]}))
    return batch


def _better_first_contact(
    mql_at: datetime | None, current: datetime | None, candidates: Iterable[datetime]
) -> datetime | None:
    """The first contact to store instead of ``current``, or None to keep ``current``.

    A candidate counts only at or after ``mql_at`` (a touch before the MQL is not a
    response to it; any candidate when the lead has no ``mql_at``). The earliest one is
    stored when the lead has no first contact, when the stored one is earlier than
    ``mql_at`` (so it is none), or when it is earlier than the stored one: an import never
    moves a valid first contact later.
    """
    valid = [t for t in candidates if mql_at is None or t >= mql_at]
    if not valid:
        return None
    best = min(valid)
    if current is None or (mql_at is not None and current < mql_at) or best < current:
        return best
    return None


@dataclass
class LeadPlan:
    """What one batch of lead records means for the database."""

    inserts: list[tuple[LeadRecord, str, dict]] = field(default_factory=list)
    #: external id -> (reason key, verdict comment) of new leads the CRM rejected
    new_verdicts: dict[str, tuple[str, str]] = field(default_factory=dict)
    updates: dict[frozenset, list[dict]] = field(default_factory=lambda: defaultdict(list))
    changes: list[dict] = field(default_factory=list)
    verdicts: list[dict] = field(default_factory=list)
    unchanged: int = 0
    updated: int = 0
    #: lead id -> the stored values of the fields its update changes (for the undo)
    before: dict[int, dict] = field(default_factory=dict)
    #: rows this plan rejects because of what is stored (a new lead without any time)
    rejects: list[RowError] = field(default_factory=list)
    #: records whose new verdict's CRM reason is on no reason of the list
    noted: list[LeadRecord] = field(default_factory=list)
    #: rows imported with something to check (a future date, a misread name kept out)
    warnings: list[RowWarning] = field(default_factory=list)


@dataclass
class Prepared:
    """One batch checked (values, duplicate ids, spellings), before it meets the database:
    ``batch`` as ``(record, key, values)``, ``given`` its values column by column when all
    were clean, ``size`` the records it came from."""

    batch: list[tuple[LeadRecord, str, dict]]
    given: dict[str, list] | None
    size: int


@dataclass
class Basis:
    """What the database holds that a batch's plan depends on: the stored leads of its ids
    (the compared fields), which of the CRM-rejected ones have a verdict, and the stored
    sales activities of those whose MQL date moves. Equal bases give equal plans."""

    existing: dict[str, dict]
    with_verdict: set[int]
    sales_times: dict[int, list[datetime]]


def existing_leads(
    conn: Connection,
    source_system: str,
    keys: Sequence[str],
    fields: Iterable[str],
    *,
    lock: bool = False,
) -> dict[str, dict]:
    """Stored non-demo leads of the source system for the given ids: id -> row dict (with
    ``fields``, also ``rejection_reason`` and ``updated_at``); ``lock`` locks the rows on
    PostgreSQL until the transaction ends."""
    names = ["id", "external_id", "is_demo", "accepted_at", "rejected_at"]
    if fields:  # what an update may change besides the fields (kept for its undo)
        names += ["rejection_reason", "updated_at"]
    names += [f for f in fields if f not in names]
    cols = [_LEAD.c[n] for n in names]
    out: dict[str, dict] = {}
    for part in chunks(keys, IN_CHUNK):
        # No is_demo condition in SQL: it would make SQLite scan the is_demo index
        # instead of using uq_lead_record. Demo leads are dropped here instead.
        query = select(*cols).where(
            _LEAD.c.source_system == source_system, _LEAD.c.external_id.in_(part)
        )
        if lock and conn.dialect.name == "postgresql":
            query = query.with_for_update()  # (SQLite: the write transaction's lock)
        rows = conn.execute(query)
        for row in rows:
            if not row[2]:
                out[row[1]] = dict(zip(names, row, strict=True))
    return out


def _ids_with_verdict(conn: Connection, lead_ids: Sequence[int]) -> set[int]:
    out: set[int] = set()
    for part in chunks(lead_ids, IN_CHUNK):
        out.update(
            conn.execute(select(_VERDICT.c.lead_id).where(_VERDICT.c.lead_id.in_(part)).distinct())
            .scalars()
            .all()
        )
    return out


def _sales_times(conn: Connection, lead_ids: Sequence[int]) -> dict[int, list[datetime]]:
    """The stored sales activities' times of the given leads (for the first contact)."""
    act = _ACTIVITY.c
    out: dict[int, list[datetime]] = defaultdict(list)
    for part in chunks(sorted(lead_ids), IN_CHUNK):
        rows = conn.execute(
            select(act.lead_id, act.occurred_at).where(
                act.lead_id.in_(part), act.kind.in_(_SALES_KINDS)
            )
        )
        for lead_id, occurred in rows:
            out[lead_id].append(occurred)
    return out


def verdict_row(lead_id: int, reason: tuple[str, str], actor: Actor, now: datetime) -> dict:
    """The rejected Verdict row of a lead the CRM rejected (decided by ``import:<user>``)."""
    key, comment = reason
    return {
        "lead_id": lead_id,
        "verdict": VerdictKind.rejected.value,
        "reason": key,
        "comment": comment,
        "decided_by": f"import:{actor.username}"[:64],
        "decided_at": now,
        "is_demo": False,
    }


class _ReasonMap:
    """A CRM's rejection reason (or status) -> (key of the managed list, verdict comment).

    Matched like every reason text (``smarketing.reasons.match``: case, spaces and
    punctuation ignored, built-in other spellings); a status alone ("Unqualified") is
    "No reason given"; text on no reason becomes "Other" and is counted in ``unknown``.
    The comment keeps the CRM's own text where it differs from the label."""

    def __init__(self, conn: Connection, source_system: str) -> None:
        rows = conn.execute(
            select(
                RejectionReason.__table__.c.key,
                RejectionReason.__table__.c.label,
                RejectionReason.__table__.c.retired,
            )
        ).all()
        self.listed = [Reason(k, label, bool(r)) for k, label, r in rows] or [
            Reason(k, label) for k, label in DEFAULTS
        ]
        self.labels = {r.key: r.label for r in self.listed}
        self.crm = CRM_NAMES.get(source_system, "the CRM")
        self.unknown: dict[str, int] = defaultdict(int)
        self._cache: dict[str, tuple[str, str]] = {}

    def __call__(self, rec: LeadRecord) -> tuple[str, str]:
        text = " ".join((rec.crm_rejection_reason or "").split())
        if text not in self._cache:
            key = match(text, self.listed) if text else UNSPECIFIED
            if key is None:
                key = OTHER
            if not text:
                comment = f"Rejected in {self.crm}, no reason given"
            elif normal(text) == normal(self.labels.get(key, "")):
                comment = ""
            else:
                comment = f"In {self.crm}: {text}"
            self._cache[text] = (key, comment[:2000])
        return self._cache[text]

    def note(self, rec: LeadRecord) -> None:
        """Count a new verdict whose CRM text is on no reason."""
        text = " ".join((rec.crm_rejection_reason or "").split())
        if self(rec)[0] == OTHER and match(text, self.listed) is None:
            self.unknown[text] += 1


def _plan_leads(
    batch: list[tuple[LeadRecord, str, dict]],
    existing: dict[str, dict],
    with_verdict: set[int],
    sales_times: dict[int, list[datetime]],
    actor: Actor,
    now: datetime,
    run_id: int | None,
    reasons: _ReasonMap,
    warnings: RowWarnings,
) -> LeadPlan:
    plan = LeadPlan()
    with_verdict = set(with_verdict)  # (the basis stays as it was read)
    for rec, key, values in batch:
        stored = existing.get(key)
        if stored is None:
            plan.inserts.append((rec, key, values))
            if rec.crm_rejected:
                plan.new_verdicts[key] = reasons(rec)
                plan.noted.append(rec)
            continue
        changed: dict[str, object] = {}
        for name, value in values.items():
            old = stored[name]
            if name == "first_contact_at" or old == value:
                continue  # the first contact follows its own rule (below)
            if type(value) is str and type(old) is str and not value.isascii():
                encoding = misread_as(old, value)
                if encoding is not None:  # "Bråten" -> "BrÃ¥ten": keep the stored one
                    warnings.misread(rec, key, stored, name, value, encoding)
                    continue
            changed[name] = value
        lead_id = stored["id"]
        if "first_contact_at" in stored:  # the file has a first-contact or an MQL column
            mql_at = changed.get("mql_at", stored["mql_at"])
            offered = [values["first_contact_at"]] if "first_contact_at" in values else []
            if "mql_at" in changed and mql_at is not None:
                offered += sales_times.get(lead_id, ())  # derived from stored activities
            first = _better_first_contact(mql_at, stored["first_contact_at"], offered)
            if first is not None and first != stored["first_contact_at"]:
                changed["first_contact_at"] = first
        for name in TRACKED_FIELDS:
            if name in changed:
                plan.changes.append(
                    {
                        "lead_id": lead_id,
                        "field": name,
                        "old_value": _as_text(stored[name]),
                        "new_value": _as_text(changed[name]),
                        "changed_at": now,
                        "changed_by": actor.username[:64],
                        "import_run_id": run_id,
                    }
                )
        if (
            rec.crm_rejected
            and lead_id not in with_verdict
            and stored["accepted_at"] is None
            and stored["rejected_at"] is None
        ):
            reason = reasons(rec)
            plan.noted.append(rec)
            changed["rejected_at"] = now
            changed["rejection_reason"] = reason[0]
            plan.verdicts.append(verdict_row(lead_id, reason, actor, now))
            with_verdict.add(lead_id)
        if not changed:
            plan.unchanged += 1
            continue
        changed["updated_at"] = now
        plan.before[lead_id] = {name: stored.get(name) for name in changed}
        changed["_id"] = lead_id
        plan.updates[frozenset(changed)].append(changed)
        plan.updated += 1
    return plan


def _has_leads(conn: Connection, source_system: str) -> bool:
    query = select(_LEAD.c.id).where(_LEAD.c.source_system == source_system).limit(1)
    return conn.execute(query).first() is not None


def _import_fields(records: Sequence[LeadRecord]) -> list[str]:
    """The import fields any record of the file has."""
    if not records:
        return []
    return sorted(set().union(*(r.values for r in records)) & IMPORT_FIELDS)


def _prepare_new(
    rec: LeadRecord, values: dict, columns: dict[str, str], unmatched: list[RowError]
) -> dict | None:
    """A new lead's values: ``created_at`` from the earliest stage time when the row has
    none, a first contact earlier than ``mql_at`` dropped; None (and a RowError) when the
    row has no time at all."""
    if "created_at" not in values:
        stages = [values[f] for f in STAGE_ORDER if f in values]
        if not stages:
            unmatched.append(
                RowError(
                    rec.row,
                    columns.get("created_at"),
                    _("a new lead needs a create date (or another stage date)"),
                )
            )
            return None
        values = _own(values, created_at=min(stages))
    first, mql_at = values.get("first_contact_at"), values.get("mql_at")
    if first is not None and mql_at is not None and first < mql_at:
        values = _own(values, first_contact_at=None)
    return values


class LeadPlanner:
    """Plans a lead file batch by batch: every record checked, matched to the stored lead of
    the same ``(source_system, external_id)`` and turned into an insert, an update or
    nothing (a :class:`LeadPlan`). Keeps what spans the batches: the ids seen so far, the
    stored spellings, the reason map and the rows rejected (``unmatched``)."""

    def __init__(
        self,
        conn: Connection,
        parsed: ParsedFile,
        actor: Actor,
        now: datetime,
        run_id: int | None,
        spellings: Spellings | None = None,
    ) -> None:
        self.conn = conn
        self.source_system = parsed.source_system
        self.actor, self.now, self.run_id = actor, now, run_id
        self.columns = _columns_of(parsed)
        fields = _import_fields(parsed.records)
        self.lookup = _has_leads(conn, parsed.source_system)
        # the stored lead's mql_at and first contact are needed to judge either
        wanted = list(fields)
        if {"mql_at", "first_contact_at"} & set(fields):
            wanted += [f for f in ("mql_at", "first_contact_at") if f not in fields]
        self.wanted = wanted
        # (a sync's chunk: the tables its earlier batches left; a file: read afresh)
        grouping = [f for f in GROUPING_FIELDS if f in fields]
        self.spellings = (spellings or Spellings()).of(conn, grouping)
        self.reasons = _ReasonMap(conn, parsed.source_system)
        self.seen: dict[str, int] = {}
        self.unmatched: list[RowError] = []
        self.warnings = RowWarnings(parsed, self.columns, now)
        #: the file's date fields, checked against the horizon
        self.dates = [f for f in LEAD_FIELDS if f in _TIME_FIELDS and f in fields]

    def plan(self, part: Sequence[LeadRecord]) -> tuple[LeadPlan, dict[str, list] | None]:
        """What one batch means for the database (read on the planner's connection), and
        the batch's values column by column when the insert can use them as they are
        (every record new and kept unchanged: a first import), else None."""
        prepared = self.prepare(part)
        plan, given = self.decide(prepared, self.basis(self.conn, prepared))
        self.accept(plan)
        return plan, given

    def prepare(self, part: Sequence[LeadRecord]) -> Prepared:
        """The batch's records checked, ids seen earlier in the file rejected, grouping
        values respelled: everything that needs no stored lead."""
        columns, unmatched, seen = self.columns, self.unmatched, self.seen
        cleaned, given = _clean_batch(part, columns, unmatched)
        batch = []
        for rec, key, values in cleaned:
            if key in seen:
                unmatched.append(
                    RowError(
                        rec.row,
                        columns.get("external_id"),
                        _("duplicate record id {id} (first on row {row})").format(
                            id=repr(key), row=seen[key]
                        ),
                    )
                )
                continue
            seen[key] = rec.row
            batch.append((rec, key, values))
        if self.spellings:
            batch = _respell(batch, self.spellings)
        return Prepared(batch, given, len(part))

    def basis(self, conn: Connection, prepared: Prepared, *, lock: bool = False) -> Basis:
        """What ``conn`` sees of the stored leads the batch's plan depends on (``lock``:
        locked on PostgreSQL until the transaction ends)."""
        batch = prepared.batch
        keys = [key for _r, key, _v in batch]
        existing = (
            existing_leads(conn, self.source_system, keys, self.wanted, lock=lock)
            if self.lookup
            else {}
        )
        rejected_ids = [
            existing[key]["id"] for rec, key, _v in batch if rec.crm_rejected and key in existing
        ]
        with_verdict = _ids_with_verdict(conn, rejected_ids)
        # leads whose MQL date this file sets or moves: their first contact may now
        # come from activities stored earlier (the activities import could not tell)
        new_mql = [
            existing[key]["id"]
            for _r, key, values in batch
            if key in existing
            and values.get("mql_at") is not None
            and values["mql_at"] != existing[key]["mql_at"]
        ]
        times = _sales_times(conn, new_mql) if new_mql else {}
        for found in times.values():
            found.sort()
        return Basis(existing, with_verdict, dict(times))

    def decide(self, prepared: Prepared, basis: Basis) -> tuple[LeadPlan, dict[str, list] | None]:
        """The batch's plan on ``basis`` (no database access, no change to the planner:
        :meth:`accept` takes the plan's rejected rows, warnings and reasons once it
        is written)."""
        existing, columns = basis.existing, self.columns
        rejects: list[RowError] = []
        warnings = self.warnings.for_batch()
        dates, given = self.dates, prepared.given
        if given is not None and dates:  # clean columns: look row by row only when needed
            horizon = warnings.horizon
            dates = [
                name
                for name in dates
                if name in given and max(filter(None, given[name]), default=horizon) > horizon
            ]
        kept = []
        for rec, key, values in prepared.batch:
            own = values  # the row's own dates (before a new lead's are completed)
            if key not in existing:
                values = _prepare_new(rec, values, columns, rejects)
                if values is None:
                    continue
            if dates:
                warnings.future(rec.row, own, dates)
            kept.append((rec, key, values))
        plan = _plan_leads(
            kept,
            existing,
            basis.with_verdict,
            basis.sales_times,
            self.actor,
            self.now,
            self.run_id,
            self.reasons,
            warnings,
        )
        plan.rejects, plan.warnings = rejects, warnings.found
        # the clean columns serve the insert as they are when every record of the
        # batch is new and kept unchanged (a first import)
        if given is not None and not (
            len(plan.inserts) == prepared.size and all(v is r.values for r, _k, v in plan.inserts)
        ):
            given = None
        return plan, given

    def accept(self, plan: LeadPlan) -> None:
        """Take a written (or, in a dry run, final) plan's rejected rows, warnings and reasons."""
        self.unmatched.extend(plan.rejects)
        self.warnings.found.extend(plan.warnings)
        for rec in plan.noted:
            self.reasons.note(rec)


# --- activities ---------------------------------------------------------------------------


def _lead_ids(conn: Connection, source_system: str, keys: Sequence[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for part in chunks(keys, IN_CHUNK):
        rows = conn.execute(
            select(_LEAD.c.external_id, _LEAD.c.id, _LEAD.c.is_demo).where(
                _LEAD.c.source_system == source_system, _LEAD.c.external_id.in_(part)
            )
        )
        out.update({ext: lead_id for ext, lead_id, demo in rows if not demo})
    return out


def _stored_activities(conn: Connection, lead_ids: Sequence[int]) -> set[tuple]:
    out: set[tuple] = set()
    a = _ACTIVITY.c
    for part in chunks(lead_ids, IN_CHUNK):
        rows = conn.execute(
            select(a.lead_id, a.occurred_at, a.kind, a.detail).where(a.lead_id.in_(part))
        )
        out.update((lead_id, at, kind, detail or "") for lead_id, at, kind, detail in rows)
    return out


class ActivityPlanner:
    """Plans an activities file batch by batch: every row checked and matched to the lead
    with the file's ``source_system`` and the row's lead id; an activity already stored, or
    seen earlier in the file (same lead, time, kind and detail), is *unchanged*, the rest
    are new. Remembers the leads that got a new sales activity (``touched``: their first
    contact is derived afterwards) and, with ``keep_pending`` (the dry run, which writes
    nothing), those activities' times (``pending``). An activity later than the horizon
    after ``now`` is imported with a warning (``warnings``)."""

    def __init__(
        self,
        conn: Connection,
        parsed: ParsedFile,
        *,
        keep_pending: bool,
        now: datetime | None = None,
    ) -> None:
        self.conn = conn
        self.source_system = parsed.source_system
        self.columns = _columns_of(parsed)
        self.keep_pending = keep_pending
        self.unmatched: list[RowError] = []
        self.warnings = RowWarnings(parsed, self.columns, now or datetime.now(UTC))
        self.unchanged = 0
        self.touched: set[int] = set()  # leads that got a new sales activity
        self.pending: dict[int, list[datetime]] = defaultdict(list)
        self._lead_of: dict[str, int | None] = {}
        self._stored: set[tuple] = set()
        self._loaded: set[int] = set()

    def plan(self, part: Sequence[ActivityRecord]) -> list[dict]:
        """The batch's new activities as rows to insert (rejected rows go to ``unmatched``)."""
        columns, unmatched = self.columns, self.unmatched
        lead_of, stored, loaded = self._lead_of, self._stored, self._loaded
        todo: list[tuple[ActivityRecord, str, datetime, str, str]] = []
        for rec in part:
            ext = "" if rec.lead_external_id is None else str(rec.lead_external_id).strip()
            problem = None
            if not ext:
                problem = RowError(rec.row, columns.get("lead_external_id"), _("no lead id"))
            elif _missing(rec.occurred_at) or not isinstance(rec.occurred_at, datetime):
                problem = RowError(rec.row, columns.get("occurred_at"), _("no date/time"))
            elif rec.occurred_at.utcoffset() is None:
                problem = RowError(
                    rec.row, columns.get("occurred_at"), _("date/time without a timezone")
                )
            elif str(rec.kind) not in _ACTIVITY_KINDS:
                problem = RowError(
                    rec.row,
                    columns.get("kind"),
                    _("unknown activity kind {kind} (known: {known})").format(
                        kind=repr(rec.kind), known=", ".join(sorted(_ACTIVITY_KINDS))
                    ),
                )
            if problem:
                unmatched.append(problem)
                continue
            detail = "" if _missing(rec.detail) else str(rec.detail).strip()[:_DETAIL_MAX]
            when = rec.occurred_at
            if isinstance(when, pd.Timestamp):
                when = when.to_pydatetime()
            todo.append((rec, ext, when.astimezone(UTC), str(rec.kind), detail))
        new_keys = sorted({ext for _r, ext, *_ in todo if ext not in lead_of})
        found = _lead_ids(self.conn, self.source_system, new_keys)
        for ext in new_keys:
            lead_of[ext] = found.get(ext)
        want = sorted({lead_of[ext] for _r, ext, *_ in todo if lead_of[ext] is not None})
        stored |= _stored_activities(self.conn, [i for i in want if i not in loaded])
        loaded.update(want)
        rows = []
        for rec, ext, at, kind, detail in todo:
            lead_id = lead_of[ext]
            if lead_id is None:
                unmatched.append(
                    RowError(
                        rec.row,
                        columns.get("lead_external_id"),
                        _("no {crm} lead with id {id}").format(
                            crm=self.source_system, id=repr(ext)
                        ),
                        code=UNKNOWN_LEAD,
                    )
                )
                continue
            if at > self.warnings.horizon:
                self.warnings.future(rec.row, {"occurred_at": at}, ("occurred_at",))
            key = (lead_id, at, kind, detail)
            if key in stored:
                self.unchanged += 1
                continue
            stored.add(key)
            actor_name = None if _missing(rec.actor) else str(rec.actor)[:100] or None
            rows.append(
                {
                    "lead_id": lead_id,
                    "kind": kind,
                    "detail": detail,
                    "occurred_at": at,
                    "actor": actor_name,
                    "is_demo": False,
                }
            )
            if kind in _SALES_KINDS:
                self.touched.add(lead_id)
                if self.keep_pending:
                    self.pending[lead_id].append(at)
        return rows


def first_contacts(
    conn: Connection,
    lead_ids: Sequence[int],
    pending: dict[int, list[datetime]],
) -> list[tuple[int, datetime | None, datetime]]:
    """(lead id, stored first contact, derived first contact) for the leads whose first
    contact the activities set or move earlier. The derived value is a grouped MIN over
    the stored sales activities at or after ``mql_at``; ``pending`` adds activities not
    written yet (the dry run)."""
    lead, act = _LEAD.c, _ACTIVITY.c
    out = []
    for part in chunks(sorted(lead_ids), IN_CHUNK):
        stored_min = (
            select(act.lead_id, func.min(act.occurred_at).label("first"))
            .join_from(_ACTIVITY, _LEAD, act.lead_id == lead.id)
            .where(
                act.lead_id.in_(part),
                act.kind.in_(_SALES_KINDS),
                lead.mql_at.is_not(None),
                act.occurred_at >= lead.mql_at,
            )
            .group_by(act.lead_id)
        )
        firsts = dict(conn.execute(stored_min).all())
        leads = conn.execute(
            select(lead.id, lead.mql_at, lead.first_contact_at).where(lead.id.in_(part))
        )
        for lead_id, mql_at, current in leads:
            if mql_at is None:
                continue
            candidates = [t for t in pending.get(lead_id, ()) if t >= mql_at]
            if firsts.get(lead_id) is not None:
                candidates.append(firsts[lead_id])
            if not candidates:
                continue
            first = _better_first_contact(mql_at, current, candidates)
            if first is not None:
                out.append((lead_id, current, first))
    return out


def first_contact_changes(
    derived: Sequence[tuple[int, datetime | None, datetime]],
    actor: Actor,
    now: datetime,
    run_id: int | None,
) -> list[dict]:
    """The LeadChange rows of first contacts derived from activities (:func:`first_contacts`)."""
    return [
        {
            "lead_id": i,
            "field": "first_contact_at",
            "old_value": _as_text(old),
            "new_value": _as_text(first),
            "changed_at": now,
            "changed_by": actor.username[:64],
            "import_run_id": run_id,
        }
        for i, old, first in derived
    ]


def stored_source_systems(engine: Engine) -> set[str]:
    """The CRMs (``activities.SOURCE_SYSTEMS``) whose leads are in the database (demo
    leads left out): for the default CRM of an activities file."""
    query = (
        select(_LEAD.c.source_system)
        .where(_LEAD.c.source_system.in_(SOURCE_SYSTEMS), _LEAD.c.is_demo.is_(False))
        .distinct()
    )
    with engine.connect() as conn:
        return set(conn.execute(query).scalars())


def default_source_system(guess: str, stored: set[str]) -> str:
    """The CRM of an activities file's lead ids when the person did not choose one: the
    header's guess, except that a ``csv`` guess (a header like ``lead_id`` names no CRM)
    becomes the one CRM whose leads the database holds, when there is exactly one and it
    holds no ``csv`` leads."""
    if guess == "csv" and "csv" not in stored and len(stored) == 1:
        return next(iter(stored))
    return guess
