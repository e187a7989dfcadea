"""Reading CRM exports: bytes in, a validated ``ParsedFile`` out (no database here).

``read_leads`` and ``read_activities`` decode the file (UTF-8, UTF-8 with BOM, UTF-16 with
BOM, cp1252), sniff the delimiter (``,`` ``;`` tab), read every cell as text, clean it,
parse it column by column, and split the rows into valid records and rejected rows. A
file that cannot be read at all raises ``UnreadableFile`` with one message naming it.
docs/import-formats.md is the user-facing description of all of this.
"""

from __future__ import annotations

import csv
import gc
import io
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import pandas as pd

from smarketing.config import ImportLimits, business_tz, import_limit_variable, import_limits
from smarketing.data_in import activities as _activities
from smarketing.data_in import rawfile
from smarketing.data_in.dates import parse_datetimes
from smarketing.data_in.formats import (
    GENERIC_COLUMNS,
    GENERIC_REJECTED,
    NOT_IMPORTED,
    SPECS,
    TARGETS,
    default_mapping,
    detect_format,
    fields_covered,
    header_key,
    id_headers,
    loose_key,
    merge_mapping,
    target_label,
    target_of,
)
from smarketing.data_in.normalise import (
    HUBSPOT_SOURCES,
    canonical_spelling,
    clean_text,
    employees_to_segment,
    parse_numbers,
    relabel,
    split_full_name,
    truthy,
)
from smarketing.data_in.records import (
    LEAD_FIELDS,
    STAGE_ORDER,
    LeadRecord,
    ParsedFile,
    RowError,
    UnreadableFile,
)
from smarketing.errors import InvalidInput
from smarketing.formatting import count
from smarketing.i18n import N_, _, ngettext

__all__ = [
    "FORMATS",
    "default_mapping",
    "detect_format",
    "fields_covered",
    "preview",
    "read_activities",
    "read_leads",
]

FORMATS = ("hubspot", "salesforce", "pipedrive", "generic")

#: Max text lengths of the lead columns (smarketing.models.LeadBase).
MAX_LENGTH = {
    "external_id": 64,
    "first_name": 100,
    "last_name": 100,
    "email": 320,
    "company": 200,
    "title": 200,
    "source": 100,
    "campaign": 200,
    "persona": 100,
    "owner": 100,
    "segment": 100,
    "first_conversion": 200,
}
#: Max length of a CRM rejection reason (Verdict.reason); longer reasons are shortened.
MAX_REASON = 100
TEXT_FIELDS = tuple(MAX_LENGTH)
GROUPING_FIELDS = ("source", "campaign", "persona", "owner", "segment", "first_conversion")
DATE_FIELDS = (*STAGE_ORDER, "lost_at", "first_contact_at")
#: A later stage may be stamped up to this much before an earlier one (CRMs stamp stages
#: set in one save a few milliseconds apart) without the row being rejected.
STAGE_TOLERANCE = pd.Timedelta(minutes=1)
#: The words of the file note that lists the columns no field takes (``ParsedFile.warnings``).
UNMAPPED_NOTE = N_("column(s) not imported")
#: What the notes call the stage dates.
STAGE_WORDS = {
    "mql_at": N_("an MQL date"),
    "sql_at": N_("an SQL date"),
    "opportunity_at": N_("an opportunity date"),
    "customer_at": N_("a customer date"),
}
#: Columns a rejects file adds; ignored (not reported as unmapped) when it is re-imported.
REJECTS_COLUMN = "error"
DATE_HINT = N_("expected e.g. 2026-01-15 10:00, 15.01.2026 10:00, 1/15/2026 3:05 PM or Unix ms")
_STAGE_RANK = {
    "subscriber": 0,
    "lead": 0,
    "other": 0,
    "marketing qualified lead": 1,
    "marketingqualifiedlead": 1,
    "mql": 1,
    "sales qualified lead": 2,
    "salesqualifiedlead": 2,
    "sql": 2,
    "opportunity": 3,
    "customer": 4,
    "evangelist": 4,
}
_RANK_FIELD = {1: "mql_at", 2: "sql_at", 3: "opportunity_at", 4: "customer_at"}
_MAX_LISTED = 25


# --- the file --------------------------------------------------------------------------------


@dataclass
class _Table:
    """The raw cells of a file: every cell a string, the index the spreadsheet row number."""

    frame: pd.DataFrame
    delimiter: str
    encoding: str
    #: rows the CSV parser could not split cleanly: row number -> reason
    broken: dict[int, str] = field(default_factory=dict)
    #: file notes of the reading (``ParsedFile.warnings``)
    notes: list[str] = field(default_factory=list)


def _sniff_delimiter(sample: str) -> str:
    """``,`` ``;`` or tab: csv.Sniffer on a sample, checked against the header line."""
    header = sample.split("\n", 1)[0]
    counts = {d: header.count(d) for d in ("\t", ";", ",")}
    try:
        sniffed = csv.Sniffer().sniff(sample[:65536], delimiters=",;\t").delimiter
    except csv.Error:
        sniffed = None
    top = max(counts.values())
    if sniffed in counts and counts[sniffed] == top and top > 0:
        return sniffed
    if top == 0:
        return ","
    return next(d for d, n in counts.items() if n == top)


def _load(data: bytes, name: str, nrows: int | None = None) -> _Table:
    """The file's cells. The limits (``config.import_limits``) are checked on the bytes
    before anything is parsed (``rawfile``); a row with bytes that are not UTF-8 in an
    otherwise UTF-8 file is a broken row ("not UTF-8 at byte …")."""
    limits = import_limits()
    rawfile.check_size(len(data), name, limits)
    decoded = rawfile.decode(data, name, limits)
    payload, encoding = decoded.payload, decoded.text_encoding
    line_end = payload.find(b"\n")
    first = payload[: line_end if line_end >= 0 else len(payload)].decode(encoding, "replace")
    sep_line = first.strip().casefold().startswith("sep=") and len(first.strip()) == 5
    if sep_line:
        delimiter = first.strip()[4]  # Excel's "sep=;" hint line (Excel hides it)
        payload = payload[line_end + 1 :] if line_end >= 0 else b""
        lines = decoded.lines - 1
    else:
        delimiter = _sniff_delimiter(payload[:65536].decode(encoding, errors="ignore"))
        lines = decoded.lines
    row_count = rawfile.count_rows(payload, lines, delimiter, name, limits)
    if len(delimiter.encode("utf-8")) == 1:
        rawfile.check_columns(payload, delimiter, row_count, name, limits)
    broken = rawfile.stray_rows(decoded, delimiter, sep_line)
    frame = _read_arrow(payload, delimiter, encoding) if nrows is None else None
    try:
        if frame is None:
            frame = pd.read_csv(
                io.BytesIO(payload),
                sep=delimiter,
                dtype=str,
                keep_default_na=False,
                na_filter=False,
                skip_blank_lines=False,
                nrows=nrows,
                engine="c",
                encoding=encoding,
            )
    except pd.errors.EmptyDataError:
        raise UnreadableFile(_("{name} is empty").format(name=name)) from None
    except (pd.errors.ParserError, ValueError):
        try:
            frame, more = _load_tolerant(payload, delimiter, nrows, encoding)
        except csv.Error as exc:
            raise UnreadableFile(
                _("{name} cannot be read as CSV: {error}").format(name=name, error=exc)
            ) from None
        broken = {**more, **broken}
    frame.columns = [str(c).strip() for c in frame.columns]
    frame.index = pd.RangeIndex(2, len(frame) + 2, name="row")
    frame = frame.fillna("")
    _check_fields(frame, name, limits)
    blank_header = [c for c in frame.columns if c == "" or c.startswith("Unnamed: ")]
    empty = [c for c in blank_header if not frame[c].str.strip().astype(bool).any()]
    if empty:
        frame = frame.drop(columns=empty)
    if len(frame.columns) and len(frame):
        # a row is blank when every cell is; after the first column only the rows still
        # blank so far are looked at (in an export: hardly any)
        blank = np.ones(len(frame), dtype=bool)
        for column in frame.columns:
            rows = np.flatnonzero(blank)
            if not len(rows):
                break
            cells = frame[column] if len(rows) == len(frame) else frame[column].iloc[rows]
            blank[rows] = cells.str.strip().eq("").to_numpy(dtype=bool)
        if blank.any():
            frame = frame[~blank]
    notes = []
    if 1 in broken:  # the header: its names are read as cp1252, the rows are not rejected
        notes.append(
            _("the header (row 1) is {problem}; its names were read as cp1252").format(
                problem=broken.pop(1)
            )
        )
    return _Table(frame, delimiter, decoded.encoding, dict(sorted(broken.items())), notes)


def _check_fields(frame: pd.DataFrame, name: str, limits: ImportLimits) -> None:
    """Refuse a cell longer than the field limit (in characters), naming row and column."""
    limit = limits.max_field_bytes
    for column in frame.columns:
        lengths = frame[column].str.len()
        if len(lengths) and lengths.max() > limit:
            row = int(lengths.index[lengths.gt(limit).to_numpy(dtype=bool)][0])
            raise UnreadableFile(
                _(
                    "{name}: row {row}, column {column} holds {n} characters; the import "
                    "limit is {limit} per field (raise it with {variable})"
                ).format(
                    name=name,
                    row=count(row),
                    column=repr(str(column)[:60]),
                    n=count(int(lengths[row])),
                    limit=count(limit),
                    variable=import_limit_variable("max_field_bytes"),
                )
            )


def _read_arrow(payload: bytes, delimiter: str, encoding: str = "utf-8") -> pd.DataFrame | None:
    """The whole file read by pyarrow's CSV reader (several times faster than pandas' C
    parser), or None when the file needs the pandas path: pandas pads short rows, names
    blank and duplicate headers (``Unnamed: 3``, ``Email.1``) and keeps empty lines as rows
    (for the row numbers); pyarrow would fail on those files or read them differently, so
    any doubt means None. The result is the same frame pandas reads (every cell text)."""
    try:
        import pyarrow as pa
        import pyarrow.csv as pa_csv
    except ImportError:  # pragma: no cover - pandas 3 installs pyarrow
        return None
    head = payload[:1_000_000].decode(encoding, errors="ignore")
    try:
        names = next(csv.reader(io.StringIO(head), delimiter=delimiter))
    except (csv.Error, StopIteration):
        return None
    if not names or any(not n.strip() for n in names) or len(set(names)) != len(names):
        return None
    try:
        table = pa_csv.read_csv(
            pa.py_buffer(payload),
            # the header: checked against ``names``; a cp1252 file decoded block by block
            read_options=pa_csv.ReadOptions(encoding=encoding),
            parse_options=pa_csv.ParseOptions(
                delimiter=delimiter, newlines_in_values=True, ignore_empty_lines=False
            ),
            convert_options=pa_csv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
                null_values=[],
            ),
        )
    except (pa.ArrowInvalid, ValueError):
        return None
    if table.column_names != names or any(t != pa.string() for t in table.schema.types):
        return None
    text_dtype = pd.StringDtype("pyarrow", na_value=np.nan)
    return table.to_pandas(types_mapper={pa.string(): text_dtype}.get)


def _load_tolerant(
    payload: bytes, delimiter: str, nrows: int | None, encoding: str = "utf-8"
) -> tuple[pd.DataFrame, dict[int, str]]:
    """The csv module's reading of a file pandas refused (rows with too many cells)."""
    # a cell the csv module would refuse (over 128 K) is refused by _check_fields instead
    csv.field_size_limit(max(csv.field_size_limit(), len(payload) + 1))
    text = io.TextIOWrapper(io.BytesIO(payload), encoding=encoding, newline="")
    reader = csv.reader(text, delimiter=delimiter)
    header = [h.strip() for h in next(reader, [])]
    if not header:
        return pd.DataFrame(), {}
    width = len(header)
    broken: dict[int, str] = {}
    cells = []
    for i, row in enumerate(reader):
        if nrows is not None and i >= nrows:
            break
        if len(row) > width:
            if any(c.strip() for c in row[width:]):
                broken[i + 2] = _("has {n} cells but the header has {width}").format(
                    n=len(row), width=width
                )
            row = row[:width]
        cells.append(row + [""] * (width - len(row)))
    names: list[str] = []
    for h in header:  # "Email", "Email.1" like pandas, so both readers name columns alike
        name, n = h, 0
        while name in names:
            n += 1
            name = f"{h}.{n}"
        names.append(name)
    frame = pd.DataFrame(cells, columns=names, dtype=str)
    return frame, broken


def _zone(tz: str | ZoneInfo | None) -> ZoneInfo:
    if tz is None or tz == "":
        return business_tz()
    if isinstance(tz, ZoneInfo):
        return tz
    try:
        return ZoneInfo(str(tz))
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidInput(
            _("{tz} is not a known timezone (e.g. Europe/Oslo)").format(tz=repr(tz))
        ) from exc


def _check_mapping(
    mapping: dict[str, str],
    columns: list[str],
    name: str,
    targets: tuple[str, ...],
    *,
    keep_ignored: bool = False,
) -> dict[str, str]:
    """A mapping given by a person: known columns and targets; empty target = ignore
    (kept as "" with ``keep_ignored``). A target may be named by its label too ("Owner",
    "Became MQL"), for lead files."""
    by_key = {header_key(c): c for c in columns}
    out: dict[str, str] = {}
    for column, target in mapping.items():
        actual = column if column in columns else by_key.get(header_key(column))
        if actual is None:
            raise UnreadableFile(
                _("{name}: the mapping names column {column}, which the file does not have").format(
                    name=name, column=repr(column)
                )
            )
        if not target or loose_key(target) in {loose_key(NOT_IMPORTED), loose_key(_(NOT_IMPORTED))}:
            if keep_ignored:
                out[actual] = ""
            continue
        if target not in targets:
            named = target_of(target) if targets == TARGETS else None
            if named is None:
                raise UnreadableFile(
                    _(
                        "{name}: the mapping sends column {column} to {target}, which is not "
                        "a field; expected one of {targets}"
                    ).format(
                        name=name,
                        column=repr(column),
                        target=repr(target),
                        targets=", ".join(targets),
                    )
                )
            target = named
        out[actual] = target
    return out


def _unmapped_warning(columns: list[str], mapping: dict[str, str]) -> list[str]:
    rest = [c for c in columns if c not in mapping and c != REJECTS_COLUMN]
    if not rest:
        return []
    listed = ", ".join(rest[:_MAX_LISTED])
    if len(rest) > _MAX_LISTED:
        listed = _("{listed} and {n} more").format(listed=listed, n=len(rest) - _MAX_LISTED)
    return [
        _("{n} {note} (no matching field): {listed}").format(
            n=len(rest), note=_(UNMAPPED_NOTE), listed=listed
        )
    ]


# --- rows ------------------------------------------------------------------------------------


class _Errors:
    """Row errors collected column by column; ``rows`` are the rejected row numbers."""

    def __init__(self) -> None:
        self.items: list[RowError] = []

    def add(self, row: int, column: str | None, reason: str) -> None:
        self.items.append(RowError(int(row), column, reason))

    def add_mask(self, mask: pd.Series, column: str | None, reason) -> None:
        """Add an error for every row where ``mask``; ``reason`` is text or row -> text."""
        rows = mask.index[mask.to_numpy(dtype=bool)]
        for row in rows:
            self.add(row, column, reason(row) if callable(reason) else reason)

    @property
    def rows(self) -> set[int]:
        return {e.row for e in self.items}

    def sorted(self) -> list[RowError]:
        return sorted(self.items, key=lambda e: e.row)  # stable: column order within a row


def _rejected_frame(frame: pd.DataFrame, errors: list[RowError]) -> pd.DataFrame:
    """The rejected rows' original cells plus an ``error`` column (reasons joined by "; ")."""
    reasons: dict[int, list[str]] = defaultdict(list)
    for e in errors:
        reasons[e.row].append(f"{e.column}: {e.reason}" if e.column else e.reason)
    rows = sorted(reasons)
    out = frame.loc[rows].copy() if rows else frame.iloc[0:0].copy()
    out[REJECTS_COLUMN] = ["; ".join(reasons[r]) for r in rows]
    return out


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while building many objects that form no cycles."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _pylist(values: pd.Series) -> list:
    """Python objects with None for missing (datetimes as aware ``datetime``)."""
    if isinstance(values.dtype, pd.DatetimeTZDtype):
        return values.dt.to_pydatetime().where(values.notna(), None).tolist()
    return values.to_numpy(dtype=object, na_value=None).tolist()


def _coalesce(parts: list[tuple[str, pd.Series]]) -> pd.Series:
    """First non-missing value of several columns (the first column's value if any)."""
    value = parts[0][1]
    for _column, series in parts[1:]:
        value = value.where(value.notna(), series)
    return value


def _origin(parts: list[tuple[str, pd.Series]]) -> pd.Series:
    """Which column ``_coalesce`` took each row's value from (None when all are missing)."""
    choices = [series.notna().to_numpy(dtype=bool) for _column, series in parts]
    names = np.array([column for column, _ in parts], dtype=object)
    origin = np.select(choices, names, default=None) if len(parts) > 1 else None
    if origin is None:
        origin = np.where(choices[0], names[0], None)
    return pd.Series(origin, index=parts[0][1].index, dtype=object)


def _quote(text: object, limit: int = 60) -> str:
    text = str(text)
    return repr(text if len(text) <= limit else text[: limit - 1] + "…")


def read_leads(
    data: bytes,
    file_name: str,
    *,
    format: str = "auto",
    mapping: dict[str, str] | None = None,
    tz: str | None = None,
    changes: dict[str, str] | None = None,
) -> ParsedFile:
    """Read a lead export into valid ``LeadRecord``s and rejected rows.

    ``format`` is ``auto`` (detected from the headers) or one of ``FORMATS``; ``mapping``
    (file column -> lead field or helper target) replaces the format's default mapping;
    ``changes`` (same form, "" = not imported) are applied on top of it instead
    (``formats.merge_mapping``), for any format; ``tz`` is the timezone of times written
    without an offset (default the business timezone). Raises ``UnreadableFile`` when the
    file cannot be read at all.
    """
    table = _load(data, file_name)
    return _read_lead_table(table, file_name, format, mapping, tz, changes)


def read_lead_records(
    records: list[dict[str, str | None]],
    name: str,
    *,
    format: str,
    changes: dict[str, str] | None = None,
    tz: str | None = None,
    first_row: int = 1,
    columns: tuple[str, ...] = (),
    mapped_only: bool = False,
) -> ParsedFile:
    """Read records fetched from a CRM's API (flat dicts keyed by the API's field names,
    which the format's tables list beside the export labels) by the same rules as a file
    of the same format: one rule for every way a lead comes in. ``first_row`` numbers the
    records (a sync numbers them across its chunks); keys starting with ``_`` are the
    connector's notes, not fields (``mapped_only``: nor are the fields no lead field reads);
    ``columns`` are fields every record has, empty where
    a record leaves them out (a short record of a changed deal still reads in a "file" with
    the creation date's column; an empty cell leaves the stored value alone)."""
    seen: dict[str, None] = dict.fromkeys(columns)
    for record in records:
        seen.update(dict.fromkeys(record))
    keys = [k for k in seen if not k.startswith("_")]
    if mapped_only and format in FORMATS:  # (a sync: the fields no lead field reads stay out)
        used = default_mapping(format, keys)
        if changes:
            used = merge_mapping(used, {k: t for k, t in changes.items() if k in seen})
        keys = [k for k in keys if k in used]
    # the mapping speaks of the fields these records have: a field sent to "not imported"
    # is left out above, and one this account does not send is not in them at all
    changes = {k: t for k, t in (changes or {}).items() if k in keys} or None
    columns = {}
    for key in keys:
        values = [record.get(key) for record in records]
        columns[key] = [v if type(v) is str else _cell(v) for v in values]
    frame = pd.DataFrame(columns, index=pd.RangeIndex(first_row, first_row + len(records)))
    frame.index.name = "row"
    table = _Table(frame, ",", "utf-8")
    return _read_lead_table(table, name, format, None, tz, changes, comma_thousands=False)


def _cell(value: object) -> str:
    """An API value as a file's cell would hold it (None: empty)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _read_lead_table(
    table: _Table,
    file_name: str,
    format: str,
    mapping: dict[str, str] | None,
    tz: str | None,
    changes: dict[str, str] | None,
    *,
    comma_thousands: bool | None = None,
) -> ParsedFile:
    """``read_leads`` after the file is loaded: the mapping, then the rows."""
    zone = _zone(tz)
    frame = table.frame
    columns = list(frame.columns)
    fmt = _choose_format(format, columns, file_name)
    if mapping is not None:
        used = _check_mapping(mapping, columns, file_name, TARGETS)
    else:
        used = default_mapping(fmt, columns)
    if changes:
        mine = _check_mapping(changes, columns, file_name, TARGETS, keep_ignored=True)
        used = merge_mapping(used, mine)
    if "external_id" not in used.values():
        raise UnreadableFile(
            _("{name}: no record id column: expected one of {expected}").format(
                name=file_name, expected=", ".join(id_headers(fmt))
            )
        )
    if "created_at" not in used.values():
        expected = (
            GENERIC_COLUMNS["created_at"] if fmt == "generic" else SPECS[fmt].columns["created_at"]
        )
        raise UnreadableFile(
            _("{name}: no creation date column: expected one of {expected}").format(
                name=file_name, expected=", ".join(expected)
            )
        )
    if comma_thousands is None:
        comma_thousands = table.delimiter == ","
    parsed = _LeadRows(frame, used, fmt, zone, comma_thousands=comma_thousands)
    for row, reason in table.broken.items():
        parsed.errors.add(row, None, reason)
    result = parsed.result(file_name, columns)
    result.warnings.extend(table.notes)
    return result


def _choose_format(format: str, columns: list[str], file_name: str) -> str:
    if format == "auto":
        try:
            return detect_format(columns)
        except UnreadableFile as exc:
            raise UnreadableFile(f"{file_name}: {exc}") from None
    if format not in FORMATS:
        raise InvalidInput(
            _("unknown format {format}: expected auto or one of {formats}").format(
                format=repr(format), formats=", ".join(FORMATS)
            )
        )
    return format


class _LeadRows:
    """Cleaning, parsing and validation of the lead rows of one file, column by column."""

    def __init__(
        self,
        frame: pd.DataFrame,
        mapping: dict[str, str],
        fmt: str,
        zone: ZoneInfo,
        *,
        comma_thousands: bool,
    ) -> None:
        self.frame = frame
        self.mapping = mapping
        self.fmt = fmt
        self.zone = zone
        self.comma_thousands = comma_thousands
        self.errors = _Errors()
        self.warnings: list[str] = []
        self.by_target: dict[str, list[str]] = defaultdict(list)
        for column, target in mapping.items():
            self.by_target[target].append(column)
        self.values: dict[str, pd.Series] = {}
        self._clean: dict[str, pd.Series] = {}
        self._read()

    def clean(self, column: str) -> pd.Series:
        if column not in self._clean:
            self._clean[column] = clean_text(self.frame[column])
        return self._clean[column]

    def text(self, target: str) -> pd.Series | None:
        """The cleaned text of a target (first mapped column with a value), or None."""
        columns = self.by_target.get(target)
        if not columns:
            return None
        return _coalesce([(c, self.clean(c)) for c in columns])

    # -- the fields ---------------------------------------------------------------------------

    def _read(self) -> None:
        index = self.frame.index
        self._ids()
        for target in TEXT_FIELDS:
            if target == "external_id" or target == "segment":
                continue
            got = self.text(target)
            if got is not None:
                self.values[target] = got
        self._names()
        self._segment()
        if "source" in self.values:
            self.values["source"] = relabel(self.values["source"], HUBSPOT_SOURCES)
        for target in GROUPING_FIELDS:
            if target in self.values:
                self.values[target] = canonical_spelling(self.values[target])
        self._lengths()
        self._dates()
        self._numbers()
        self.rejected = pd.Series(False, index=index)
        self.reason = pd.Series(None, index=index, dtype="str")
        self._verdict()
        self._stage_warning()
        self._first_contact()

    def _ids(self) -> None:
        ids = self.text("external_id")
        assert ids is not None
        first_column = self.by_target["external_id"][0]
        self.errors.add_mask(ids.isna(), first_column, _("no record id"))
        too_long = ids.str.len().gt(MAX_LENGTH["external_id"]).fillna(False)
        self.errors.add_mask(
            too_long,
            first_column,
            lambda r: _("id is {n} characters long; at most {limit} fit").format(
                n=len(ids[r]), limit=MAX_LENGTH["external_id"]
            ),
        )
        present = ids[ids.notna()]
        duplicate = present.duplicated(keep="first")
        if duplicate.any():
            twice = present.isin(present[duplicate].unique()) & ~duplicate
            first_row = {v: r for r, v in present[twice].items()}
            self.errors.add_mask(
                duplicate.reindex(ids.index, fill_value=False),
                first_column,
                lambda r: _("duplicate id {id}: row {row} has the same id").format(
                    id=_quote(ids[r]), row=first_row[ids[r]]
                ),
            )
        self.values["external_id"] = ids

    def _names(self) -> None:
        got = self.text("full_name")
        if got is None:
            return
        first, last = split_full_name(got)
        have = pd.Series(False, index=self.frame.index)
        for target in ("first_name", "last_name"):
            if target in self.values:
                have |= self.values[target].notna()
        fill = ~have
        for target, part in (("first_name", first), ("last_name", last)):
            current = self.values.get(target, pd.Series(None, index=self.frame.index, dtype="str"))
            self.values[target] = current.where(~fill, part)

    def _segment(self) -> None:
        index = self.frame.index
        segment = pd.Series(None, index=index, dtype="str")
        got = self.text("segment")
        if got is not None:
            segment = got
        employees = self.text("employees")
        if employees is not None:
            bucket, unreadable = employees_to_segment(employees)
            segment = segment.fillna(bucket)
            if unreadable.any():
                column = self.by_target["employees"][0]
                n = int(unreadable.sum())
                self.warnings.append(
                    ngettext(
                        "{n} row has an employee count that is not a number or range "
                        "(column {column}); its segment is left empty",
                        "{n} rows have an employee count that is not a number or range "
                        "(column {column}); their segment is left empty",
                        n,
                    ).format(n=count(n), column=repr(column))
                )
        elif got is None:
            industry = self.text("industry")
            if industry is not None:
                segment = industry
        if got is not None or employees is not None or "industry" in self.by_target:
            self.values["segment"] = segment

    def _lengths(self) -> None:
        for target in TEXT_FIELDS:
            if target == "external_id" or target not in self.values:
                continue
            limit = MAX_LENGTH[target]
            values = self.values[target]
            long = values.str.len().gt(limit).fillna(False)
            if long.any():
                columns = (
                    self.by_target.get(target)
                    or self.by_target.get(
                        {"first_name": "full_name", "last_name": "full_name"}.get(target, "")
                    )
                    or self.by_target.get("employees")
                    or self.by_target.get("industry")
                    or [None]
                )
                self.errors.add_mask(
                    long,
                    columns[0],
                    lambda r, v=values, lim=limit, t=target: _(
                        "{field} is {n} characters long; at most {limit} fit"
                    ).format(field=t, n=len(v[r]), limit=lim),
                )

    def _dates(self) -> None:
        origins: dict[str, pd.Series] = {}
        for target in DATE_FIELDS:
            columns = self.by_target.get(target)
            if not columns:
                continue
            parts = []
            for column in columns:
                raw = self.clean(column)
                parsed, bad = parse_datetimes(raw, self.zone)
                self.errors.add_mask(
                    bad,
                    column,
                    lambda r, raw=raw: _("not a date: {value} ({hint})").format(
                        value=_quote(raw[r]), hint=_(DATE_HINT)
                    ),
                )
                parts.append((column, parsed))
            self.values[target] = _coalesce(parts)
            if target in STAGE_ORDER:
                origins[target] = _origin(parts)
        if "sql_at" in self.values and "is_converted" in self.by_target:
            converted = self.text("is_converted")
            assert converted is not None
            keep = converted.isna() | truthy(converted)
            self.values["sql_at"] = self.values["sql_at"].where(keep)
        created = self.values["created_at"]
        bad_created = {e.row for e in self.errors.items if e.column in self.by_target["created_at"]}
        missing = created.isna() & ~created.index.isin(list(bad_created))
        self.errors.add_mask(missing, self.by_target["created_at"][0], _("no creation date"))
        self._stage_order(origins)

    def _stage_order(self, origins: dict[str, pd.Series]) -> None:
        stages = [s for s in STAGE_ORDER if s in self.values]
        for k in range(1, len(stages)):
            later = self.values[stages[k]]
            flagged = pd.Series(False, index=later.index)
            for j in range(k - 1, -1, -1):
                earlier = self.values[stages[j]]
                wrong = (later + STAGE_TOLERANCE < earlier).fillna(False) & ~flagged
                if not wrong.any():
                    continue
                flagged |= wrong
                for row in wrong.index[wrong.to_numpy(dtype=bool)]:
                    later_col = origins[stages[k]][row]
                    earlier_col = origins[stages[j]][row]
                    self.errors.add(
                        row,
                        later_col,
                        _(
                            "{later} is earlier than {column} {earlier}: stage dates must go "
                            "created ≤ MQL ≤ SQL ≤ opportunity ≤ customer"
                        ).format(
                            later=_quote(self.clean(later_col)[row]),
                            column=earlier_col,
                            earlier=_quote(self.clean(earlier_col)[row]),
                        ),
                    )

    def _numbers(self) -> None:
        for target in ("score", "deal_value"):
            columns = self.by_target.get(target)
            if not columns:
                continue
            parts = []
            for column in columns:
                raw = self.clean(column)
                number, bad = parse_numbers(raw, comma_groups_thousands=self.comma_thousands)
                self.errors.add_mask(
                    bad,
                    column,
                    lambda r, raw=raw: _("not a number: {value}").format(value=_quote(raw[r])),
                )
                parts.append((column, number))
            value = _coalesce(parts)
            if target == "score":
                value = value.round()
                huge = value.abs().gt(2**31 - 1).fillna(False)
                self.errors.add_mask(huge, columns[0], _("score is too large"))
            self.values[target] = value

    def _verdict(self) -> None:
        status = self.text("crm_status")
        index = self.frame.index
        rejected = pd.Series(False, index=index)
        if status is not None:
            spec = SPECS.get(self.fmt)
            if spec is not None and spec.status_labels:
                status = relabel(status, spec.status_labels)
            words = spec.rejected_statuses if spec is not None else GENERIC_REJECTED
            rejected |= status.str.casefold().isin(words).fillna(False).astype(bool)
        archived = self.text("archived")
        if archived is not None:
            rejected |= truthy(archived)
        reason = pd.Series(None, index=index, dtype="str")
        reason_got = self.text("crm_rejection_reason")
        if reason_got is not None:
            reason = reason_got
        if status is not None:
            reason = reason.fillna(status)
        reason = reason.fillna("Archived")
        long = reason.str.len().gt(MAX_REASON).fillna(False)
        if long.any():
            reason = reason.where(~long, reason.str.slice(0, MAX_REASON - 1) + "…")
        self.rejected = rejected
        self.reason = reason.where(rejected)

    def _stage_warning(self) -> None:
        got = self.text("lifecycle_stage")
        if got is None:
            return
        rank = got.str.casefold().map(_STAGE_RANK)
        notes = []
        for level, target in _RANK_FIELD.items():
            if target not in self.values:
                continue
            gap = rank.ge(level).fillna(False) & self.values[target].isna()
            if gap.any():
                notes.append(
                    _("{n} without {stage}").format(
                        n=count(int(gap.sum())), stage=_(STAGE_WORDS[target])
                    )
                )
        if notes:
            column = self.by_target["lifecycle_stage"][0]
            self.warnings.append(
                _(
                    "{column} says some leads reached a stage whose date is empty ({notes}); "
                    "those stages are not counted for them"
                ).format(column=repr(column), notes=", ".join(notes))
            )

    def _first_contact(self) -> None:
        """A first contact before the MQL is no response to it (docs/metrics.md): such a
        value is not imported (the row is), and a warning counts the rows."""
        first, mql = self.values.get("first_contact_at"), self.values.get("mql_at")
        if first is None or mql is None:
            return
        early = (first < mql).fillna(False).astype(bool)
        if not early.any():
            return
        self.values["first_contact_at"] = first.mask(early)
        early &= ~early.index.isin(list(self.errors.rows))
        if early.any():
            column = self.by_target["first_contact_at"][0]
            n = int(early.sum())
            self.warnings.append(
                ngettext(
                    "{n} row has a first contact ({column}) earlier than its MQL date: a "
                    "touch before the MQL is not a first contact, so that date was left out "
                    "(the row itself is imported)",
                    "{n} rows have a first contact ({column}) earlier than their MQL date: a "
                    "touch before the MQL is not a first contact, so that date was left out "
                    "(the rows themselves are imported)",
                    n,
                ).format(n=count(n), column=repr(column))
            )

    # -- the result -----------------------------------------------------------------------------

    def result(self, file_name: str, columns: list[str]) -> ParsedFile:
        errors = self.errors.sorted()
        bad_rows = self.errors.rows
        index = self.frame.index
        keep = ~index.isin(list(bad_rows))
        fields = [f for f in LEAD_FIELDS if f in self.values]
        arrays = []
        for f in fields:
            series = self.values[f][keep]
            if f == "score":
                arrays.append([None if v is None else int(v) for v in _pylist(series)])
            else:
                arrays.append(_pylist(series))
        rejected = self.rejected[keep].to_numpy(dtype=bool).tolist()
        reasons = _pylist(self.reason[keep])
        records = []
        with _gc_paused():  # 100k small dicts: the cyclic GC would rescan them again and again
            for row, flag, reason, cells in zip(
                index[keep].tolist(), rejected, reasons, zip(*arrays, strict=True), strict=True
            ):
                values = {f: v for f, v in zip(fields, cells, strict=True) if v is not None}
                records.append(LeadRecord(row, values, flag, reason if flag else None))
        used = dict(self.mapping)
        if "industry" in self.by_target and (
            "segment" in self.by_target or "employees" in self.by_target
        ):
            used = {c: t for c, t in used.items() if t != "industry"}  # not read after all
        warnings = _unmapped_warning(columns, used)
        if "mql_at" not in self.by_target:
            hint = {
                "hubspot": "'Became a Marketing Qualified Lead Date'",
                "salesforce": _(
                    "'MQL Date' or 'MQL_Date__c' (Salesforce has no MQL date by default)"
                ),
                "pipedrive": _("Pipedrive leads have no MQL date; add a column 'MQL Date'"),
                "generic": _("map a column to “{field}”").format(field=target_label("mql_at")),
            }[self.fmt]
            warnings.append(
                _(
                    "no MQL date column ({hint}): the leads' MQL date stays empty, so they do "
                    "not count as MQLs"
                ).format(hint=hint)
            )
        warnings.extend(self.warnings)
        spec = SPECS.get(self.fmt)
        return ParsedFile(
            file_name=file_name,
            kind="leads",
            format=self.fmt,
            source_system=spec.source_system if spec is not None else "csv",
            mapping=used,
            rows_read=len(index),
            records=records,
            errors=errors,
            rejected_rows=_rejected_frame(self.frame, errors),
            warnings=warnings,
            raw_rows=self.frame,
        )


# --- activities and preview ------------------------------------------------------------------


def read_activities(
    data: bytes,
    file_name: str,
    *,
    tz: str | None = None,
    mapping: dict[str, str] | None = None,
    source_system: str | None = None,
) -> ParsedFile:
    """Read an activities file (one row per activity: lead id, timestamp, kind, detail,
    optional actor) into ``ActivityRecord``s and rejected rows.

    ``source_system`` is the CRM the lead ids belong to (``hubspot``, ``salesforce``,
    ``pipedrive`` or ``csv``); by default it is guessed from the lead-id header
    (``activities.source_system``), ``csv`` when the header names no CRM.
    """
    if source_system is not None and source_system not in _activities.SOURCE_SYSTEMS:
        raise InvalidInput(
            _("unknown CRM {crm}: expected one of {crms}").format(
                crm=repr(source_system), crms=", ".join(_activities.SOURCE_SYSTEMS)
            )
        )
    zone = _zone(tz)
    table = _load(data, file_name)
    columns = list(table.frame.columns)
    if mapping is not None:
        used = _check_mapping(mapping, columns, file_name, _activities.TARGETS_ACCEPTED)
        used = {c: _activities.TARGET_ALIASES.get(t, t) for c, t in used.items()}
    else:
        used = _activities.default_mapping(columns)
    _activities.require(used, file_name)
    errors = _Errors()
    for row, reason in table.broken.items():
        errors.add(row, None, reason)
    result = _activities.read_rows(table.frame, used, zone, errors.add)
    all_errors = errors.sorted()
    bad = {e.row for e in all_errors}
    return ParsedFile(
        file_name=file_name,
        kind="activities",
        format="activities",
        source_system=source_system or _activities.source_system(used),
        mapping=used,
        rows_read=len(table.frame),
        records=[r for r in result.records if r.row not in bad],
        errors=all_errors,
        rejected_rows=_rejected_frame(table.frame, all_errors),
        warnings=_unmapped_warning(columns, used) + result.warnings + table.notes,
        raw_rows=table.frame,
    )


def preview(
    data: bytes, file_name: str, *, rows: int = 10, kind: str = "leads"
) -> tuple[pd.DataFrame, str, dict[str, str]]:
    """The first ``rows`` rows as raw text (index = spreadsheet row number), the detected
    format and its default mapping. Raises ``UnreadableFile`` like ``read_leads`` (or, for
    ``kind="activities"``, like ``read_activities``)."""
    table = _load(data, file_name, nrows=max(rows, 1) + 50)
    columns = list(table.frame.columns)
    if kind == "activities":
        used = _activities.default_mapping(columns)
        _activities.require(used, file_name)
        return table.frame.head(rows), "activities", used
    fmt = _choose_format("auto", columns, file_name)
    return table.frame.head(rows), fmt, default_mapping(fmt, columns)
