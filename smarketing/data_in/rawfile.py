"""A file's bytes before they are parsed: the hard limits and the encoding.

Everything here works on the bytes in bounded pieces (numpy over blocks of 4 MB, the
UTF-8 decoder over line-aligned pieces of 1 MB), so a hostile file - one row of a million
columns, a header of a million names, an endless line, ``/dev/zero`` - is refused after
one pass over its bytes, before any row or cell is made. The limits come from
``config.import_limits()``; each refusal is one ``UnreadableFile`` line that names the
limit, where it was hit and the environment variable that raises it.

The encoding is decided from the whole file's evidence (docs/import-formats.md, "The
file"): a BOM decides; valid UTF-8 is UTF-8; a file with valid UTF-8 multi-byte
sequences and some bytes that are not UTF-8 is UTF-8 with those rows rejected; only a
file without any UTF-8 multi-byte sequence is read as cp1252 (a Windows / Excel export).
"""

from __future__ import annotations

import codecs
import csv
import re
from dataclasses import dataclass, field

import numpy as np

from smarketing import formatting
from smarketing.config import ImportLimits, import_limit_variable
from smarketing.data_in.records import UnreadableFile
from smarketing.i18n import _, ngettext

#: Bytes numpy looks at in one go (its temporary arrays are a few times this).
BLOCK = 4 * 1024 * 1024
#: About how many bytes the UTF-8 check decodes at once (cut at a line end).
PIECE = 1024 * 1024
UTF8_BOM = b"\xef\xbb\xbf"
_NOT_BLANK = re.compile(rb"[^ \t\r\n\x00\xef\xbb\xbf\xff\xfe]")
#: The bytes around a stray byte that are shown as its cp1252 reading (a "word").
_WORD = re.compile(rb'[^\s,;"]{0,40}\Z')
_WORD_AFTER = re.compile(rb'[^\s,;"]{0,40}')


def _fallback(exc: UnicodeDecodeError) -> tuple[str, int]:
    """Decoding error handler: a byte that is not UTF-8 read as cp1252 (U+FFFD for the
    five bytes cp1252 leaves undefined)."""
    bad = exc.object[exc.start : exc.end]
    return bytes(bad).decode("cp1252", errors="replace"), exc.end


codecs.register_error("smarketing.cp1252", _fallback)

#: The text encoding of a UTF-8 file with stray bytes: UTF-8, a stray byte read as cp1252
#: (what the rejects file shows). A codec, so the parsers decode it a block at a time.
MIXED = "smarketing_utf8_cp1252"


class _MixedDecoder(codecs.BufferedIncrementalDecoder):
    def _buffer_decode(self, data, errors, final):
        return codecs.utf_8_decode(data, "smarketing.cp1252", final)


def _mixed_codec(name: str) -> codecs.CodecInfo | None:
    if name != MIXED:
        return None
    utf8 = codecs.lookup("utf-8")
    return codecs.CodecInfo(
        name=MIXED,
        encode=utf8.encode,
        decode=lambda data, errors="strict": codecs.utf_8_decode(data, "smarketing.cp1252", True),
        incrementalencoder=utf8.incrementalencoder,
        incrementaldecoder=_MixedDecoder,
        streamreader=utf8.streamreader,
        streamwriter=utf8.streamwriter,
    )


codecs.register(_mixed_codec)


@dataclass
class Decoded:
    """The file's bytes for the CSV parser, without a BOM (a UTF-16 file transcoded to
    UTF-8); ``text_encoding`` is what the parser decodes them with: utf-8, cp1252, or
    ``MIXED`` for a UTF-8 file with stray bytes."""

    payload: bytes
    encoding: str  # what the file is: utf-8 | utf-16 | cp1252
    lines: int  # physical lines of the payload (an upper bound of the rows + 1)
    #: stray bytes in a UTF-8 file: (offset in the file, cp1252 reading of the word)
    stray: list[tuple[int, str]] = field(default_factory=list)
    #: the file's bytes, kept when there are stray bytes (their rows are found in them)
    original: bytes = b""
    #: the encoding of ``payload``
    text_encoding: str = "utf-8"


def _raise(limits_field: str, message: str) -> None:
    raise UnreadableFile(
        _("{message} (raise it with {variable})").format(
            message=message, variable=import_limit_variable(limits_field)
        )
    )


def _n(n: int) -> str:
    return formatting.count(n)


def _bytes(n: int) -> str:
    return ngettext("{n} byte", "{n} bytes", n).format(n=_n(n))


def _size(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{formatting.decimal(n / 1024 / 1024, 1)} MB"
    if n >= 1024:
        return f"{_n(round(n / 1024))} KB"
    return _bytes(n)


def check_size(size: int, name: str, limits: ImportLimits) -> None:
    """Refuse a file larger than the import limit (call it before reading the bytes)."""
    if size > limits.max_bytes:
        got, limit = _size(size), _size(limits.max_bytes)
        if got == limit:  # just over: in bytes
            got, limit = _bytes(size), f"{_bytes(limits.max_bytes)} ({limit})"
        _raise(
            "max_bytes",
            _("{name} is {size}; the import limit is {limit}").format(
                name=name, size=got, limit=limit
            ),
        )


def line_end(data: bytes) -> int:
    """The byte that ends a line: ``\\n`` (also in ``\\r\\n``), or ``\\r`` in a file
    with no ``\\n`` in its first megabyte (Excel for Mac's "CSV (Macintosh)")."""
    if b"\n" not in data[:PIECE] and b"\r" in data[:PIECE]:
        return 13
    return 10


def scan_lines(data: bytes, name: str, limits: ImportLimits) -> int:
    """The number of lines; refuses the first line longer than the limit."""
    eol = line_end(data)
    arr = np.frombuffer(data, dtype=np.uint8)
    n = len(arr)
    last = -1  # offset of the last line end seen
    count = 0
    limit = limits.max_line_bytes
    for start in range(0, n, BLOCK):
        ends = np.flatnonzero(arr[start : start + BLOCK] == eol)
        if len(ends):
            ends += start
            lengths = np.diff(ends, prepend=last) - 1
            over = np.flatnonzero(lengths > limit)
            if len(over):
                i = int(over[0])
                begin = int(ends[i] - lengths[i])
                _line_too_long(name, count + i + 1, begin, limits)
            count += len(ends)
            last = int(ends[-1])
        if min(start + BLOCK, n) - last - 1 > limit:  # an open line already too long
            _line_too_long(name, count + 1, last + 1, limits)
    return count + (1 if n - last - 1 > 0 else 0)


def _line_too_long(name: str, line: int, begin: int, limits: ImportLimits) -> None:
    _raise(
        "max_line_bytes",
        _(
            "{name}: line {line} (from byte {begin}) is longer than the import limit of "
            "{limit} per line"
        ).format(name=name, line=_n(line), begin=_n(begin), limit=_size(limits.max_line_bytes)),
    )


def decode(data: bytes, name: str, limits: ImportLimits) -> Decoded:
    """The file's text as UTF-8 bytes, its encoding and its stray bytes; refuses empty,
    binary and spreadsheet files and lines over the limit."""
    if not _NOT_BLANK.search(data):
        raise UnreadableFile(_("{name} is empty").format(name=name))
    if data.startswith(b"PK\x03\x04"):
        raise UnreadableFile(
            _("{name} is an Excel workbook, not a CSV: save it as CSV (UTF-8) first").format(
                name=name
            )
        )
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        raise UnreadableFile(
            _(
                "{name} is an old Excel workbook (.xls), not a CSV: save it as CSV (UTF-8) first"
            ).format(name=name)
        )
    binary = UnreadableFile(
        _("{name} is not a text file (it looks binary): export it as CSV").format(name=name)
    )
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            payload = data.decode("utf-16").lstrip("\ufeff").encode("utf-8")
        except UnicodeDecodeError:
            raise binary from None
        decoded = Decoded(payload, "utf-16", scan_lines(payload, name, limits))
    elif b"\x00" in data[:65536]:
        raise binary
    else:
        lines = scan_lines(data, name, limits)
        bom = data.startswith(UTF8_BOM)
        start = len(UTF8_BOM) if bom else 0
        stray, multibyte = _utf8_evidence(data, start)
        if not stray:
            payload = data[start:] if start else data
            decoded = Decoded(payload, "utf-8", lines)
        elif bom or multibyte:
            words = [(s, _word(data, s)) for s in stray]
            payload = data[start:] if start else data  # the parser decodes it
            decoded = Decoded(payload, "utf-8", lines, words, data, text_encoding=MIXED)
        else:  # the parser decodes it (pyarrow a block at a time): no copy of the file
            if not _decodes(data, "cp1252"):
                raise binary
            decoded = Decoded(data, "cp1252", lines, text_encoding="cp1252")
    sample = decoded.payload[:65536].decode(decoded.text_encoding, errors="ignore")
    control = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\t\r\n\f")
    if control > max(2, len(sample) // 200):
        raise binary
    if not _NOT_BLANK.search(decoded.payload):
        raise UnreadableFile(_("{name} is empty").format(name=name))
    return decoded


def _decodes(data: bytes, encoding: str) -> bool:
    """Whether the whole file decodes (a piece at a time: no text of the whole file)."""
    view = memoryview(data)
    try:
        for pos in range(0, len(data), PIECE):
            codecs.decode(view[pos : pos + PIECE], encoding)
    except UnicodeDecodeError:
        return False
    return True


def _utf8_evidence(data: bytes, start: int) -> tuple[list[int], bool]:
    """The offset of the first byte that is not UTF-8 on each line that has one, and
    whether any valid UTF-8 multi-byte sequence was seen (evidence the file is UTF-8)."""
    eol = bytes([line_end(data)])
    view = memoryview(data)
    n = len(data)
    stray: list[int] = []
    multibyte = False
    pos = start
    while pos < n:
        end = data.find(eol, min(pos + PIECE, n))
        end = n if end < 0 else end + 1
        try:
            text, _ = codecs.utf_8_decode(view[pos:end], "strict", True)
            multibyte = multibyte or len(text) != end - pos
        except UnicodeDecodeError:
            p = pos
            while p < end:
                e = data.find(eol, p, end)
                e = end if e < 0 else e + 1
                try:
                    text, _ = codecs.utf_8_decode(view[p:e], "strict", True)
                    multibyte = multibyte or len(text) != e - p
                except UnicodeDecodeError as exc:
                    stray.append(p + exc.start)
                    if not multibyte:  # the valid part before the stray byte
                        text, _ = codecs.utf_8_decode(view[p : p + exc.start], "replace", True)
                        multibyte = len(text) != exc.start
                p = e
        pos = end
    return stray, multibyte


def _word(data: bytes, offset: int) -> str:
    """The word around a stray byte, read as cp1252 (``'Bråten'``)."""
    before = _WORD.search(data, max(0, offset - 40), offset)
    after = _WORD_AFTER.match(data, offset + 1, offset + 41)
    begin = before.start() if before else offset
    end = after.end() if after else offset + 1
    return data[begin:end].decode("cp1252", errors="replace")


def stray_rows(decoded: Decoded, delimiter: str, sep_line: bool) -> dict[int, str]:
    """Row number (the spreadsheet's: header row 1) -> the reason, for each row with a
    stray byte; with ``sep_line`` the file's first line (``sep=;``) is not a row. The rows
    are found in the file's own bytes: reading a stray byte as cp1252 adds no quote and no
    line end, so the file and the parser's text have the same rows."""
    if not decoded.stray:
        return {}
    starts = record_starts(decoded.original, delimiter)
    rows: dict[int, str] = {}
    for offset, word in decoded.stray:
        row = int(np.searchsorted(starts, offset, side="right")) - int(sep_line)
        rows.setdefault(
            row,
            _("not UTF-8 at byte {offset} (looks like cp1252: {word})").format(
                offset=offset, word=repr(word)
            ),
        )
    return rows


def record_starts(payload: bytes, delimiter: str, stop_after: int | None = None) -> np.ndarray:
    """The offset where each CSV record (row) starts, as the csv module splits the file
    (quotes as pandas and pyarrow read them: a ``"`` inside an unquoted cell is a
    character). A pass in Python, for the rare files that need it (more lines than the
    row limit, stray bytes); with ``stop_after`` it stops once it has found more records
    than that (time bounded by the limit)."""
    eol = b"\r" if line_end(payload) == 13 else b"\n"
    pos = 0

    def lines():
        nonlocal pos
        n = len(payload)
        while pos < n:
            end = payload.find(eol, pos)
            end = n if end < 0 else end + 1
            line = payload[pos:end].decode("latin-1")  # any byte: quotes and ends stay
            pos = end
            yield line

    csv.field_size_limit(max(csv.field_size_limit(), len(payload) + 1))
    reader = iter(csv.reader(lines(), delimiter=delimiter))
    starts: list[int] = []
    while stop_after is None or len(starts) <= stop_after:
        start = pos
        try:
            if next(reader, None) is None:
                break
        except csv.Error:  # e.g. a bare \r in an unquoted cell: the parsers' problem
            pass
        starts.append(start)
    return np.asarray(starts, dtype=np.int64)


def count_rows(payload: bytes, lines: int, delimiter: str, name: str, limits: ImportLimits) -> int:
    """The number of data rows (an upper bound: the lines but the header, unless that is
    over the limit, then counted); refuses more than the limit."""
    if lines - 1 <= limits.max_rows:
        return max(lines - 1, 0)
    starts = record_starts(payload, delimiter, stop_after=limits.max_rows + 1)
    if len(starts) - 1 > limits.max_rows:
        first_over = int(starts[limits.max_rows + 1])
        _raise(
            "max_rows",
            _(
                "{name} has more than {limit} rows, the import limit (row {row} starts at "
                "byte {begin})"
            ).format(
                name=name,
                limit=_n(limits.max_rows),
                row=_n(limits.max_rows + 2),
                begin=_n(first_over),
            ),
        )
    return len(starts) - 1


def check_columns(
    payload: bytes, delimiter: str, rows: int, name: str, limits: ImportLimits
) -> None:
    """Refuse a line with more columns than the limit, and more cells (columns of the
    header × ``rows``) than the limit. Delimiters are counted per line with numpy (a
    delimiter inside quotes counts too); a line over the limit is then split by the csv
    module to be sure."""
    eol = line_end(payload)
    arr = np.frombuffer(payload, dtype=np.uint8)
    sep = ord(delimiter)
    limit = limits.max_columns
    line = 0  # lines before the block
    last = -1
    carry = 0  # delimiters of a line that goes on in the next block
    header = None
    for start in range(0, len(arr), BLOCK):
        block = arr[start : start + BLOCK]
        ends = np.flatnonzero(block == eol) + start
        seps = np.flatnonzero(block == sep) + start
        before = np.searchsorted(seps, ends)  # delimiters before each line end
        open_line = len(seps) - (int(before[-1]) if len(before) else 0)
        per_line = np.append(np.diff(before, prepend=0), open_line)
        per_line[0] += carry
        carry = int(per_line[-1])
        if header is None:
            first_end = payload.find(bytes([eol]))
            header = _columns(payload, 0, first_end if first_end >= 0 else len(arr), delimiter)
            if header > limit:
                _raise(
                    "max_columns",
                    _(
                        "{name}: the header (line 1) has {n} columns; the import limit is {limit}"
                    ).format(name=name, n=_n(header), limit=_n(limit)),
                )
        for i in np.flatnonzero(per_line + 1 > limit):
            i = int(i)
            begin = last + 1 if i == 0 else int(ends[i - 1]) + 1
            end = int(ends[i]) if i < len(ends) else min(start + BLOCK, len(arr))
            if i == len(ends) and end < len(arr):
                continue  # the line goes on in the next block: counted there
            count = _columns(payload, begin, end, delimiter)
            if count > limit:
                _raise(
                    "max_columns",
                    _(
                        "{name}: line {line} (from byte {begin}) has {n} columns; the import "
                        "limit is {limit}"
                    ).format(
                        name=name,
                        line=_n(line + i + 1),
                        begin=_n(begin),
                        n=_n(count),
                        limit=_n(limit),
                    ),
                )
        line += len(ends)
        if len(ends):
            last = int(ends[-1])
    header = header or 0
    fit = limits.max_cells // max(header, 1)  # the rows that fit
    if rows > fit:  # ``rows`` counted lines: count the rows, up to just over what fits
        rows = len(record_starts(payload, delimiter, stop_after=fit + 1)) - 1
    if rows > fit:
        _raise(
            "max_cells",
            _(
                "{name} has {n} columns and more than {fit} rows: over the import limit of "
                "{limit} cells (columns × rows)"
            ).format(name=name, n=_n(header), fit=_n(fit), limit=_n(limits.max_cells)),
        )


def _columns(payload: bytes, begin: int, end: int, delimiter: str) -> int:
    text = payload[begin:end].decode("utf-8", errors="replace").rstrip("\r")
    try:
        return len(next(csv.reader([text], delimiter=delimiter)))
    except (csv.Error, StopIteration):
        return text.count(delimiter) + 1
