"""The message's Markdown-like text read once for every channel: paragraphs of lines and
``- `` lists, each channel writing them in its own markup."""

from __future__ import annotations

import re

_LIST_ITEM = re.compile(r"^\s*[-*] +")
#: ``**bold**`` in a message's text.
BOLD = re.compile(r"\*\*(.+?)\*\*")


def text_blocks(text: str) -> list[tuple[str, list[str], bool]]:
    """The text as ``("p", lines, first)`` and ``("ul", items, first)`` runs in order:
    paragraphs split at blank lines, consecutive ``- ``/``* `` lines a list, lines
    stripped; ``first`` is True for a run that opens a paragraph (False for a list right
    under its lead-in line)."""
    runs: list[tuple[str, list[str], bool]] = []
    for block in re.split(r"\n\s*\n", (text or "").strip()):
        block_runs: list[tuple[str, list[str]]] = []
        for line in block.splitlines():
            if not line.strip():
                continue
            if _LIST_ITEM.match(line):
                kind, content = "ul", _LIST_ITEM.sub("", line, count=1).strip()
            else:
                kind, content = "p", line.strip()
            if block_runs and block_runs[-1][0] == kind:
                block_runs[-1][1].append(content)
            else:
                block_runs.append((kind, [content]))
        runs.extend((kind, lines, i == 0) for i, (kind, lines) in enumerate(block_runs))
    return runs


def web_url(url: str | None) -> str | None:
    """``url`` when it is an http(s) address a reader may open, else None."""
    url = (url or "").strip()
    lowered = url.lower()
    if lowered.startswith(("http://", "https://")) and not any(
        ch.isspace() or ord(ch) < 32 for ch in url
    ):
        return url
    return None


def one_line(text: str) -> str:
    """Text for a header: whitespace (line breaks too) collapsed to single spaces."""
    return " ".join((text or "").split())


#: What Markdown could read as markup inside a line: links and images (``[]()``, ``<>``),
#: emphasis (``*``, ``_``, ``~``), code, tables, headings, and the escape itself.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]()<>~|#!])")
#: What Markdown reads as markup at the start of a line: a list item or a numbered one.
_MD_LINE_START = re.compile(r"^(\s*)([-+]|\d+\.)(?=\s|$)")
_MD_ESCAPED = re.compile(r"\\([\\`*_\[\]()<>~|#!+\-.])")


def md_escape(value: object) -> str:
    """A value from the data made literal inside a message's Markdown text: one line
    (line breaks cannot start a paragraph or a list), every character Markdown reads as
    markup inside a line backslash-escaped, and a leading ``-``, ``+`` or ``1.`` too. A
    lead named ``[x](http://evil)`` then shows as that text in Teams, never as a link."""
    line = _MD_SPECIAL.sub(r"\\\1", one_line(str(value)))
    return _MD_LINE_START.sub(lambda m: m.group(1) + "\\" + m.group(2), line)


def md_unescape(text: str) -> str:
    """The text as a reader sees it where Markdown is not rendered (e-mail, Slack's
    mrkdwn): the backslash escapes of ``md_escape`` removed."""
    return _MD_ESCAPED.sub(r"\1", text or "")


def inline(line: str, *, escape, bold) -> str:
    """One line of a message's text in a channel's markup: ``**bold**`` through ``bold``,
    everything else made literal by ``escape`` (after ``md_unescape``), so an escaped
    ``\\*\\*`` from the data never turns bold."""
    out, pos = [], 0
    for match in BOLD.finditer(line):
        out.append(escape(md_unescape(line[pos : match.start()])))
        out.append(bold(escape(md_unescape(match.group(1)))))
        pos = match.end()
    out.append(escape(md_unescape(line[pos:])))
    return "".join(out)
