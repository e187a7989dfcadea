"""Markdown typed by people, made safe for ``st.markdown``: raw HTML becomes inert text."""

# How it stays safe: outside code, every ``<``, ``>`` and ``&`` is escaped, so no tag, HTML
# block or entity can form. Code is left alone only where a CommonMark/GFM renderer (with
# Streamlit's math and directive extensions) certainly sees code too; anywhere we cannot be
# sure we escape, which at worst shows ``&lt;`` inside a code span. That means:
# - fenced code blocks only when they open at column 0 (surely top level), hold no ``|`` in
#   the opening line (some renderers read it as a table header first) and close by the
#   exact top-level rule; any other fence-like line (indented, in a list or quote), a ``$$``
#   math line or a ``:::`` directive makes the rest of the text escaped throughout;
# - code spans only on one line, in a paragraph where every backtick run pairs on its own
#   line (so nothing pairs across lines), pairs the same when the line is split at every
#   ``|`` (table cells), and before anything that may swallow backticks as raw text: a link
#   destination or title, a ``$`` (math), a directive ``:name``, a bare URL (``<https://…>``
#   autolinks hold no backticks, so they may come first).
# Link and image targets (inline ``](…)`` and reference ``]: …``) whose scheme is
# javascript:, vbscript: or data: become ``#``, however written (case, spaces, control
# characters, backslashes); since ``&`` is escaped, entities cannot spell a scheme either.

from __future__ import annotations

import re
import string
import unicodedata

#: Link targets with these schemes are replaced by ``#``.
BLOCKED_SCHEMES = ("javascript", "vbscript", "data")

_PUNCTUATION = frozenset(string.punctuation)
_FENCE_OPEN = re.compile(r"(`{3,})[^`]*|(~{3,}).*")
_FENCE_LIKE = re.compile(r"[\s>*+\-0-9.)]*(?:```|~~~)")
_DIRECTIVE = re.compile(r"\s*:::")
_CUTOFF = re.compile(r"\]\(|\]:|\$|://|www\.|:[A-Za-z]", re.IGNORECASE)
_TARGET_START = re.compile(r"\]\(|\]:")
_BLOCKED = re.compile("(?:" + "|".join(BLOCKED_SCHEMES) + "):")
_AUTOLINK = re.compile(r"<(?:https?://|mailto:)[^\s<>`\"']*>", re.IGNORECASE)
_CONTAINER_PREFIX = re.compile(r"(?:[ \t]*(?:>|[-+*](?=[ \t])|\d{1,9}[.)](?=[ \t])))*")
_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}


def safe_markdown(text: str) -> str:
    """The Markdown with raw HTML escaped outside code and script link targets made ``#``."""
    lines = (text or "").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    out: list[str] = []
    paragraph: list[str] = []
    fence: tuple[str, int] | None = None
    unsure = False  # once set, nothing more is left as code

    def flush() -> None:
        if paragraph:
            out.append(_paragraph("\n".join(paragraph), code_spans=not unsure))
            paragraph.clear()

    for line in lines:
        if fence is not None:
            out.append(line)
            if _closes(line, fence):
                fence = None
            continue
        if "$$" in line or _DIRECTIVE.match(line):
            unsure = True
        if not unsure:
            opener = _FENCE_OPEN.fullmatch(line)
            if opener and "|" not in line:  # with a "|" it may head a table instead
                flush()
                out.append(line)
                run = opener.group(1) or opener.group(2)
                fence = (run[0], len(run))
                continue
            if _FENCE_LIKE.match(line):
                unsure = True
        if not line.strip():
            flush()
            out.append(line)
            continue
        paragraph.append(line)
    flush()
    return "\n".join(out)


def _closes(line: str, fence: tuple[str, int]) -> bool:
    """True when the line closes a top-level fence of ``fence`` = (character, length)."""
    char, length = fence
    return re.fullmatch(rf" {{0,3}}{re.escape(char)}{{{length},}}[ \t]*", line) is not None


def _paragraph(text: str, *, code_spans: bool) -> str:
    """One block of non-blank lines, its links neutralised and its HTML escaped."""
    text = neutralise_link_targets(text)
    spans = _sure_code_spans(text) if code_spans else []
    autolinks = {m.start() for m in _AUTOLINK.finditer(text)}
    autolink_ends = {m.end() - 1 for m in _AUTOLINK.finditer(text)}
    markers = _quote_markers(text)
    out, pos = [], 0
    for start, end in [*spans, (len(text), len(text))]:
        for i in range(pos, start):
            char = text[i]
            if (char == "<" and i in autolinks) or (
                char == ">" and (i in markers or i in autolink_ends)
            ):
                out.append(char)
            else:
                out.append(_ESCAPES.get(char, char))
        out.append(text[start:end])
        pos = end
    return "".join(out)


def _quote_markers(text: str) -> set[int]:
    """Offsets of the ``>`` that open block quotes (kept, so quotes still render)."""
    markers, offset = set(), 0
    for line in text.split("\n"):
        prefix = _CONTAINER_PREFIX.match(line)
        markers.update(offset + i for i, c in enumerate(prefix.group(0)) if c == ">")
        offset += len(line) + 1
    return markers


def _sure_code_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of the code spans that any renderer sees as code; [] when unsure."""
    spans, offset = [], 0
    for line in text.split("\n"):
        whole = _code_spans(line)
        if whole is None:
            return []
        if "|" in line:
            cells, start = [], 0
            for cell in line.split("|"):
                found = _code_spans(cell)
                if found is None:
                    return []
                cells += [(start + a, start + b) for a, b in found]
                start += len(cell) + 1
            if cells != whole:
                return []
        spans += [(offset + a, offset + b) for a, b in whole]
        offset += len(line) + 1
    masked = _AUTOLINK.sub(lambda m: "<" + "x" * (len(m.group(0)) - 2) + ">", text)
    cutoff = _CUTOFF.search(masked)
    limit = cutoff.start() if cutoff else len(text)
    return [(a, b) for a, b in spans if b <= limit]


def _code_spans(line: str) -> list[tuple[int, int]] | None:
    """(start, end) of each code span in one line; None when a backtick run is unpaired."""
    spans, i, n = [], 0, len(line)
    while i < n:
        if line[i] == "\\" and i + 1 < n and line[i + 1] in _PUNCTUATION:
            i += 2
            continue
        if line[i] != "`":
            i += 1
            continue
        j = i
        while j < n and line[j] == "`":
            j += 1
        k, close = j, None
        while k < n and close is None:
            if line[k] != "`":
                k += 1
                continue
            m = k
            while m < n and line[m] == "`":
                m += 1
            if m - k == j - i:
                close = m
            k = m
        if close is None:
            return None
        spans.append((i, close))
        i = close
    return spans


def neutralise_link_targets(text: str) -> str:
    """The text with every javascript:/vbscript:/data: link or image target replaced by ``#``."""
    out, pos = [], 0
    for match in _TARGET_START.finditer(text):
        start = match.end()
        while start < len(text) and text[start].isspace():
            start += 1
        if start < pos:
            continue
        end = _target_end(text, start)
        if _is_blocked(text[start:end]):
            out += [text[pos:start], "#"]
            pos = end
    out.append(text[pos:])
    return "".join(out)


def _target_end(text: str, start: int) -> int:
    """Where a link target starting at ``start`` ends (``<…>`` or up to space / unpaired ``)``)."""
    if text.startswith("<", start):
        close = text.find(">", start)
        line_end = text.find("\n", start)
        ends = [e for e in (close + 1 if close >= 0 else -1, line_end) if e > start]
        return min(ends) if ends else len(text)
    i, depth = start, 0
    while i < len(text):
        char = text[i]
        if char == "\\" and i + 1 < len(text):
            i += 2
            continue
        if char.isspace() or (char == ")" and depth == 0):
            break
        depth += {"(": 1, ")": -1}.get(char, 0)
        i += 1
    return i


def _is_blocked(target: str) -> bool:
    """True when a browser could read the target as a blocked scheme."""
    kept = "".join(
        c
        for c in target
        if c not in "\\<" and not c.isspace() and unicodedata.category(c)[0] not in "CZ"
    )
    return _BLOCKED.match(kept.lower()) is not None
