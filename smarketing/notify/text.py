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
