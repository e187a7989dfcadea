"""Argument types shared by the command-line modules: one-line errors for bad dates/times."""

from __future__ import annotations

import argparse
from datetime import date, datetime


def iso_date(text: str) -> date:
    """A YYYY-MM-DD day, or an argparse error saying so."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid date {text!r}: use YYYY-MM-DD") from None


def iso_datetime(text: str) -> datetime:
    """An ISO 8601 instant, or an argparse error with an example."""
    try:
        return datetime.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"invalid time {text!r}: use ISO 8601, e.g. 2026-11-18T12:00 or 2026-11-18T12:00Z"
        ) from None
