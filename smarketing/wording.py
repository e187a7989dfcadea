"""Small pieces of wording shared by screens, minutes and the CLI."""

from __future__ import annotations


def plural(count: int, word: str, many: str | None = None) -> str:
    """'1 action', '2 actions', '0 meetings' (``many`` for irregular plurals)."""
    return f"{count:,} {word if count == 1 else (many or word + 's')}"
