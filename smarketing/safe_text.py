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
#   autolinks hold no backticks, so they may come first); such a sign inside an earlier code
#   span is code itself, except ``]:``, which may open a reference definition.
# Link and image targets (inline ``](…)`` and reference ``]: …``) whose scheme is
# javascript:, vbscript: or data: become ``#``, however written (case, spaces, control
# characters, backslashes); since ``&`` is escaped, entities cannot spell a scheme either.
#
# Images: a browser fetches every image it renders, so an image typed by a person would make
# every reader's browser request it (tracking, blind GETs into the internal network). Outside
# sure code, every ``![`` that opens an image (inline, full, collapsed or shortcut reference)
# becomes a link ``[🖼 image: alt (host)](target)`` that opens only on a click; an image is
# kept only when it is an inline image (or a reference image, rewritten inline) with a plain
# ``http(s)://`` or ``//`` address on a host of ``SMARKETING_IMAGE_HOSTS`` and an alt text and
# title simple enough that every renderer ends the image where we do. Any other ``![`` gets
# its ``!`` escaped, so no image can form where our reading and the renderer's differ.

from __future__ import annotations

import re
import string
import unicodedata
from dataclasses import dataclass
from urllib.parse import quote, urlsplit

from smarketing import config

#: Link targets with these schemes are replaced by ``#``.
BLOCKED_SCHEMES = ("javascript", "vbscript", "data")
_LONGEST_SCHEME = max(len(s) for s in BLOCKED_SCHEMES) + 1  # with its ":"

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
#: Cut-offs that a code span opened earlier on the line swallows (``]:`` may be a reference
#: definition, read before any code span, so it always cuts off).
_SWALLOWED_CUTOFFS = ("](", "$", ":", "www.")
_DEFINITION = re.compile(r"\[((?:[^\[\]\\]|\\.){1,999})\]:[ \t]*\n?[ \t]*(<[^<>\n]*>|[^\s<]\S*)")
#: What an image kept on an allowed host may look like: plain alt text, a plain address.
_PLAIN_ALT = re.compile(r"[\w \t.,;'\"?()/+#%=-]*")
_PLAIN_URL = re.compile(
    r"(?:https?:)?//([A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])(?::(\d{1,5}))?(?:[/?#][\w.~:/?#@&=+,;%-]*)?",
    re.IGNORECASE,
)
_PLAIN_TITLE = re.compile(r'"[^"\\\n<>&`$\[\]]*"')
_AUTHORITY = re.compile(r"(?:(?:https?|ftp|wss?):[/\\]*|[/\\]{2})([^/\\?#]*)", re.IGNORECASE)
#: A reference label has at most 999 characters (CommonMark); a longer one is no image here.
_MAX_LABEL = 1000
_URL_ATOM = r"(?:[^\x00-\x20\x7f()\\]|\\[!-/:-@\[-`{-~]|\\)"
_PLAIN_TARGET = re.compile(rf"(?:{_URL_ATOM}|\({_URL_ATOM}*\))*")
_ANGLE_TARGET = re.compile(r"<(?:[^<>\n\\]|\\.)*>")
_TITLE = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|\((?:[^()\\]|\\.)*\)', re.DOTALL)
_HOST_SHOWN = re.compile(r"[^a-z0-9.:-]")
#: A backslash escape in a link destination: the renderer keeps the character only.
_BACKSLASH_ESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")
#: Characters an address keeps as they are when it is written without angle brackets.
_URL_SAFE = "/:?#[]@!$&'*+,;=%~._-"


def safe_markdown(text: str, *, image_hosts: frozenset[str] | None = None) -> str:
    """The Markdown with raw HTML escaped outside code, script link targets made ``#`` and
    images from hosts not in ``image_hosts`` (default: ``SMARKETING_IMAGE_HOSTS``) made links."""
    hosts = config.image_hosts() if image_hosts is None else image_hosts
    lines = (text or "").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    out: list[str | tuple[str, bool]] = []
    paragraph: list[str] = []
    fence: tuple[str, int] | None = None
    unsure = False  # once set, nothing more is left as code

    def flush() -> None:
        if paragraph:
            out.append((neutralise_link_targets("\n".join(paragraph)), not unsure))
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
    definitions = _definitions(block[0] for block in out if isinstance(block, tuple))
    return "\n".join(
        block
        if isinstance(block, str)
        else _paragraph(block[0], code_spans=block[1], images=_Images(hosts, definitions))
        for block in out
    )


def _closes(line: str, fence: tuple[str, int]) -> bool:
    """True when the line closes a top-level fence of ``fence`` = (character, length)."""
    char, length = fence
    return re.fullmatch(rf" {{0,3}}{re.escape(char)}{{{length},}}[ \t]*", line) is not None


def _paragraph(text: str, *, code_spans: bool, images: _Images) -> str:
    """One block of non-blank lines (links already neutralised): HTML escaped, images made
    links unless allowed."""
    return _Walker(text, _sure_code_spans(text) if code_spans else [], images).run(0, len(text))


@dataclass(frozen=True)
class _Images:
    """What decides an image's fate: the allowed hosts and the text's reference definitions."""

    hosts: frozenset[str]
    definitions: dict[str, list[str]]


@dataclass(frozen=True)
class _Image:
    """An image read at ``start`` (the ``!``): its alt text is ``text[alt[0]:alt[1]]``."""

    start: int
    alt: tuple[int, int]
    end: int  # after the whole image
    target: str
    title: str | None  # the raw title with its quotes, for inline images
    reference: str | None  # the label text to refer by (full, collapsed or shortcut)
    collapsed: bool = False


class _Walker:
    """Writes a paragraph out: code spans as they are, HTML escaped, images handled."""

    def __init__(self, text: str, spans: list[tuple[int, int]], images: _Images) -> None:
        self.text, self.images = text, images
        self.spans = dict(spans)
        self.autolinks = {m.start() for m in _AUTOLINK.finditer(text)}
        self.autolink_ends = {m.end() - 1 for m in _AUTOLINK.finditer(text)}
        self.markers = _quote_markers(text)
        self.closing = _bracket_pairs(text, self.spans)

    def run(self, start: int, end: int, *, label: bool = False) -> str:
        """``text[start:end]`` written out; in a ``label`` brackets are escaped (no link or
        image can form inside), elsewhere each ``![`` is an allowed image, a link or ``\\!``."""
        text, out, i, plain_from = self.text, [], start, start
        while i < end:
            if i in self.spans:
                out.append(text[i : self.spans[i]])
                i = plain_from = self.spans[i]
                continue
            char = text[i]
            escaped = char in "[]!" and _backslashes_before(text, i, plain_from) % 2 == 1
            if label and char in "[]" and not escaped:
                out.append("\\" + char)
            elif not label and char == "!" and not escaped:
                run = i + 1
                while run < end and text[run] == "!" and run not in self.spans:
                    run += 1
                if text[run : run + 1] != "[" or run in self.spans:
                    out.append(text[i:run])  # no image follows
                    i = run
                    continue
                out.append("\\!" * (run - 1 - i))  # so the link made of the image stays one
                image = self._image(run - 1, end)
                out.append("\\!" if image is None else self._rewrite(image))
                i = run if image is None else image.end
                continue
            elif (char == "<" and i in self.autolinks) or (
                char == ">" and (i in self.markers or i in self.autolink_ends)
            ):
                out.append(char)
            else:
                out.append(_ESCAPES.get(char, char))
            i += 1
        return "".join(out)

    def _rewrite(self, image: _Image) -> str:
        """The image as written out: kept when allowed, else a link naming its host."""
        text = self.text
        alt = text[image.alt[0] : image.alt[1]]
        if self._allowed(image, alt):
            title = f" {image.title}" if image.title else ""
            return f"![{alt}]({_escape(image.target)}{title})"
        shown = self.run(*image.alt, label=True).strip()
        label = f"[🖼 image{': ' + shown if shown else ''} ({host_shown(image.target)})]"
        if image.reference is None:  # inline: keep "(target …)" as the link's
            if text[image.alt[1] + 2 :].lstrip(" \t\n").startswith("<"):
                # a <target> would be escaped into text: write it without the brackets
                title = f" {_escape(image.title)}" if image.title else ""
                return f"{label}({_escape(quote(image.target, safe=_URL_SAFE))}{title})"
            return label + self.run(image.alt[1] + 1, image.end)
        if image.collapsed or text[image.alt[1] + 1 : image.alt[1] + 2] != "[":
            return f"{label}[{self.run(*image.alt)}]"  # shortcut or collapsed: refer by alt
        return label + self.run(image.alt[1] + 1, image.end)

    def _allowed(self, image: _Image, alt: str) -> bool:
        """True when the image may load: plain, and every address it may have is allowed."""
        if not _PLAIN_ALT.fullmatch(alt) or "www." in alt.lower():
            return False
        if image.title and not _PLAIN_TITLE.fullmatch(image.title):
            return False
        if image.reference is not None and self.text[image.end : image.end + 1] == "(":
            return False  # where our inline reading failed, another renderer's may not
        targets = (
            [image.target]
            if image.reference is None
            else self.images.definitions.get(_label_key(image.reference), [])
        )
        return bool(targets) and all(_allowed_address(t, self.images.hosts) for t in targets)

    def _image(self, start: int, end: int) -> _Image | None:
        """The image whose ``!`` is at ``start``, read as CommonMark reads it; None if none."""
        text = self.text
        close = self.closing.get(start + 1)
        if close is None or close >= end:
            return None
        alt = (start + 2, close)
        after = close + 1
        if text[after : after + 1] == "(":
            inline = _inline_target(text, after + 1, end)
            if inline is not None:
                target, title, stop = inline
                return _Image(start, alt, stop, target, title or "", None)
        if text[after : after + 1] == "[":
            label_end = self.closing.get(after)
            if (
                label_end is None
                or label_end >= end
                or label_end - after > _MAX_LABEL
                or "[" in text[after + 1 : label_end]
            ):
                return None
            label = text[after + 1 : label_end]
            collapsed = not label.strip()
            reference = text[alt[0] : alt[1]] if collapsed else label
            found = self.images.definitions.get(_label_key(reference))
            if not found or (collapsed and "[" in reference):
                return None
            return _Image(start, alt, label_end + 1, found[0], None, reference, collapsed)
        reference = text[alt[0] : alt[1]]
        found = self.images.definitions.get(_label_key(reference))
        if not found or "[" in reference or "]" in reference:
            return None
        return _Image(start, alt, after, found[0], None, reference)


def _backslashes_before(text: str, i: int, start: int) -> int:
    """How many backslashes stand right before ``text[i]``, not looking before ``start``."""
    count = 0
    while i - count - 1 >= start and text[i - count - 1] == "\\":
        count += 1
    return count


def _bracket_pairs(text: str, spans: dict[int, int]) -> dict[int, int]:
    """Each ``[`` that is closed mapped to its ``]`` (balanced; code spans and backslash
    escapes skipped), found in one pass."""
    pairs, openers, i, n = {}, [], 0, len(text)
    while i < n:
        if i in spans:
            i = spans[i]
            continue
        char = text[i]
        if char == "\\" and i + 1 < n and text[i + 1] in _PUNCTUATION:
            i += 2
            continue
        if char == "[":
            openers.append(i)
        elif char == "]" and openers:
            pairs[openers.pop()] = i
        i += 1
    return pairs


def _inline_target(text: str, start: int, end: int) -> tuple[str, str | None, int] | None:
    """(target, raw title or None, end after ``)``) of an inline ``(target "title")``; read by
    regular expressions, so a text of many ``![a](`` stays fast (parentheses in a target
    nest one level here: a deeper one is not read as an image, and its "!" is escaped)."""
    i = _skip_space(text, start, end)
    angle = text.startswith("<", i)
    found = (_ANGLE_TARGET if angle else _PLAIN_TARGET).match(text, i, end)
    if found is None:
        return None
    target = found.group(0)[1:-1] if angle else found.group(0)
    i = found.end()
    spaced = _skip_space(text, i, end)
    title = None
    if spaced > i:
        quoted = _TITLE.match(text, spaced, end)
        if quoted:
            title, spaced = quoted.group(0), _skip_space(text, quoted.end(), end)
    if spaced < end and text[spaced] == ")":
        return target, title, spaced + 1
    return None


def _skip_space(text: str, i: int, end: int) -> int:
    """The first index from ``i`` that is not a space, a tab or a single line break."""
    breaks = 0
    while i < end and text[i] in " \t\n":
        breaks += text[i] == "\n"
        if breaks > 1:
            break
        i += 1
    return i


def _definitions(paragraphs) -> dict[str, list[str]]:
    """Every ``[label]: target`` that may be a reference definition, by label, in order."""
    found: dict[str, list[str]] = {}
    for paragraph in paragraphs:
        for match in _DEFINITION.finditer(paragraph):
            target = match.group(2)
            if target.startswith("<"):
                target = target[1:-1]
            found.setdefault(_label_key(match.group(1)), []).append(target)
    return found


def _label_key(label: str) -> str:
    """A reference label as CommonMark matches it: case folded, white space collapsed."""
    return " ".join(label.split()).casefold()


def _allowed_address(target: str, hosts: frozenset[str]) -> bool:
    """True when ``target`` is a plain http(s) or ``//`` address on one of ``hosts``."""
    match = _PLAIN_URL.fullmatch(target)
    if not match or not hosts:
        return False
    host = match.group(1).lower().rstrip(".")
    return host in hosts or (match.group(2) is not None and f"{host}:{match.group(2)}" in hosts)


def host_shown(target: str) -> str:
    """The host a browser would ask for ``target``, as shown in place of an image."""
    target = _BACKSLASH_ESCAPE.sub(r"\1", target.strip().strip("<>"))  # as the renderer does
    if target == "#":
        return "address removed"
    authority = _AUTHORITY.match(target)
    if authority:
        host = authority.group(1).rsplit("@", 1)[-1].lower()
        return _HOST_SHOWN.sub("", host) or "no host"
    scheme = urlsplit(target).scheme if ":" in target else ""
    return f"{scheme}: address" if scheme.isalpha() else "relative address"


def _escape(text: str) -> str:
    """``text`` with ``&``, ``<`` and ``>`` escaped."""
    return "".join(_ESCAPES.get(c, c) for c in text)


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
    limit = len(text)
    for cutoff in _CUTOFF.finditer(masked):
        inside = any(a < cutoff.start() < b for a, b in spans if a < cutoff.start())
        if not (inside and cutoff.group(0).lower().startswith(_SWALLOWED_CUTOFFS)):
            limit = cutoff.start()
            break
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
        if _blocked_at(text, start):
            out += [text[pos:start], "#"]
            pos = _target_end(text, start)
    out.append(text[pos:])
    return "".join(out)


def _target_end(text: str, start: int, *, kept_limit: int | None = None) -> int:
    """Where a link target starting at ``start`` ends (``<…>`` or up to space / unpaired ``)``);
    with ``kept_limit``, sooner: once that many characters a browser reads in a scheme
    (:func:`_kept`) are passed."""
    if text.startswith("<", start):
        if kept_limit is None:
            close = text.find(">", start)
            line_end = text.find("\n", start)
            ends = [e for e in (close + 1 if close >= 0 else -1, line_end) if e > start]
            return min(ends) if ends else len(text)
        i, kept = start, 0
        while i < len(text) and kept < kept_limit:
            char = text[i]
            if char == "\n" and i > start:
                return i
            i += 1
            if char == ">":
                return i
            kept += _kept(char)
        return i
    i, depth, kept = start, 0, 0
    while i < len(text) and (kept_limit is None or kept < kept_limit):
        char = text[i]
        if char == "\\" and i + 1 < len(text):
            kept += _kept(text[i + 1])
            i += 2
            continue
        if char.isspace() or (char == ")" and depth == 0):
            break
        depth += {"(": 1, ")": -1}.get(char, 0)
        kept += _kept(char)
        i += 1
    return i


def _blocked_at(text: str, start: int) -> bool:
    """True when the target at ``start`` is blocked (:func:`_is_blocked`), reading only as far
    as its scheme: many targets in one text cost about as much as the text once."""
    return _is_blocked(text[start : _target_end(text, start, kept_limit=_LONGEST_SCHEME)])


def _kept(char: str) -> bool:
    """True for a character a browser reads in a scheme (see :func:`_is_blocked`)."""
    return char not in "\\<" and not char.isspace() and unicodedata.category(char)[0] not in "CZ"


def _is_blocked(target: str) -> bool:
    """True when a browser could read the target as a blocked scheme."""
    kept = "".join(
        c
        for c in target
        if c not in "\\<" and not c.isspace() and unicodedata.category(c)[0] not in "CZ"
    )
    return _BLOCKED.match(kept.lower()) is not None
