"""Cleaning of raw export cells: missing values, trimming, grouping values, numbers.

Every function works on a whole column (a pandas Series of strings, missing = NA) so a
100k-row export is cleaned in C/Arrow code, not cell by cell. Where a per-value rule is
needed (numbers, employee counts) it runs once per *distinct* value and is mapped back.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from smarketing import safe_csv

#: Cell texts that mean "no value" (compared case-insensitively after trimming).
PLACEHOLDERS = frozenset(
    {
        "",
        "select",
        "-",
        "--",
        "---",
        "—",
        "n/a",
        "#n/a",
        "null",
        "none",
        "(none)",
        "(no value)",
        "(blank)",
        "nan",
        "nat",
        "undefined",
    }
)

#: HubSpot "Original Source" internal values -> the labels HubSpot shows (and writes into
#: display-label exports), so an internal-name export and a label export group together.
HUBSPOT_SOURCES = {
    "ORGANIC_SEARCH": "Organic Search",
    "PAID_SEARCH": "Paid Search",
    "EMAIL_MARKETING": "Email Marketing",
    "SOCIAL_MEDIA": "Organic Social",
    "ORGANIC_SOCIAL": "Organic Social",
    "REFERRALS": "Referrals",
    "OTHER_CAMPAIGNS": "Other Campaigns",
    "DIRECT_TRAFFIC": "Direct Traffic",
    "OFFLINE": "Offline Sources",
    "PAID_SOCIAL": "Paid Social",
    "AI_REFERRALS": "AI Referrals",
}

#: Company-size buckets used as ``segment`` (lower bound of employees, label).
SEGMENTS = (
    (500, "Enterprise (500+)"),
    (50, "Mid-market (50-499)"),
    (10, "SMB (10-49)"),
    (1, "Micro (1-9)"),
)

# Written out (not \\s) so pandas can run it in pyarrow instead of Python's re.
_WHITESPACE = "[ \t\r\n\x0b\x0c\xa0\u2007\u202f]+"
_ODD_SPACE = "[\t\r\n\x0b\x0c\xa0\u2007\u202f]|  "


def clean_text(values: pd.Series) -> pd.Series:
    """Trim, collapse inner whitespace, and turn empty cells and placeholders into NA; a
    cell written formula-safe by the app (``'=…``, ``'+47…``: :mod:`smarketing.safe_csv`, as
    in a rejects file fixed to be imported again) loses its ``'``."""
    text = values.astype("str").str.strip()
    quoted = text.str.match(safe_csv.NEUTRALISED).fillna(False).astype(bool)
    if quoted.any():
        text = text.mask(quoted, text[quoted].str.slice(1).str.strip())
    odd = text.str.contains(_ODD_SPACE, regex=True).fillna(False).astype(bool)
    if odd.any():
        text = text.mask(odd, text[odd].str.replace(_WHITESPACE, " ", regex=True))
    missing = text.isna() | text.str.lower().isin(PLACEHOLDERS)
    return text.mask(missing)


def canonical_spelling(values: pd.Series) -> pd.Series:
    """One spelling per value that differs only in case: ``google``/``Google`` -> one.

    The canonical spelling of a group is the one used most often in this column, ties
    broken by the alphabetically first spelling (so "LinkedIn" stays "LinkedIn" when most
    rows write it that way). Deterministic for a given file.
    """
    counts = values.value_counts(dropna=True)
    if len(counts) <= 1:
        return values
    table = pd.DataFrame({"spelling": counts.index.astype(str), "n": counts.to_numpy()})
    table["key"] = table["spelling"].str.casefold()
    if table["key"].is_unique:
        return values
    table = table.sort_values(["key", "n", "spelling"], ascending=[True, False, True])
    best = table.drop_duplicates("key").set_index("key")["spelling"]
    canonical = dict(zip(table["spelling"], table["key"].map(best), strict=True))
    return values.map(canonical, na_action="ignore").astype("str")


def relabel(values: pd.Series, labels: dict[str, str]) -> pd.Series:
    """Replace exact codes (e.g. ``ORGANIC_SEARCH``) by their readable labels."""
    hit = values.isin(list(labels))
    if not hit.any():
        return values
    return values.mask(hit, values[hit].map(labels))


def _number(text: str, comma_groups_thousands: bool) -> float | None:
    """One number written by a person or a spreadsheet; None when it is not a number."""
    t = re.sub(r"[\s\u00a0\u202f']", "", text)
    t = re.sub(r"^(?:[A-Za-z]{3}|kr\.?|[$€£¥])|(?:[A-Za-z]{3}|kr\.?|[$€£¥])$", "", t)
    if not t:
        return None
    if "," in t and "." in t:
        # the later separator is the decimal one: 1.234,50 / 1,234.50
        if t.rfind(",") > t.rfind("."):
            t = t.replace(".", "").replace(",", ".")
        else:
            t = t.replace(",", "")
    elif t.count(",") > 1:
        t = t.replace(",", "")
    elif "," in t:
        whole, _, frac = t.partition(",")
        t = whole + frac if comma_groups_thousands and len(frac) == 3 else f"{whole}.{frac}"
    elif t.count(".") > 1:
        t = t.replace(".", "")
    if not re.fullmatch(r"[+-]?(?:\d+\.?\d*|\.\d+)", t):
        return None
    return float(t)


def parse_numbers(
    values: pd.Series, *, comma_groups_thousands: bool
) -> tuple[pd.Series, pd.Series]:
    """Numbers from text: ``1 234,50``, ``1.234,50``, ``1,234.50``, ``kr 500``.

    A single comma followed by exactly three digits (``1,234``) is a thousands separator
    when ``comma_groups_thousands`` (comma-separated files, English locale), else a decimal
    comma. Returns (float Series with NaN for missing, mask of present-but-unreadable).
    """
    present = values.notna()
    distinct = values[present].unique()
    parsed = {v: _number(str(v), comma_groups_thousands) for v in distinct}
    numbers = values.map(parsed, na_action="ignore")
    bad = present & numbers.isna()
    return numbers.astype("float64"), bad


def employees_to_segment(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Company-size segment from an employee count (``42``, ``1 200``) or a HubSpot range
    (``25-50``, ``1000+``: the lower bound counts). Returns (segment, unreadable mask)."""
    present = values.notna()

    def bucket(text: str) -> str | None:
        match = re.match(r"^\s*([\d\s\u00a0.,']+?)\s*(?:[-–+]|$)", text)
        if not match:
            return None
        n = _number(match.group(1), comma_groups_thousands=True)
        if n is None or n < 1:
            return None
        return next(label for low, label in SEGMENTS if n >= low)

    mapping = {v: bucket(str(v)) for v in values[present].unique()}
    segment = values.map(mapping, na_action="ignore").astype("str")
    return segment, present & segment.isna()


TRUE_WORDS = frozenset({"true", "yes", "y", "1", "ja", "x", "archived", "checked"})


def truthy(values: pd.Series) -> pd.Series:
    """True where a yes/no cell says yes (``true``, ``yes``, ``1``, ``ja``, ``x``)."""
    return values.str.casefold().isin(TRUE_WORDS).fillna(False).astype(bool)


def split_full_name(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """``Ola Nordmann`` -> (``Ola``, ``Nordmann``); ``Cher`` -> (``Cher``, NA).

    The last word is the last name; everything before it the first name.
    """
    parts = values.str.rpartition(" ")
    has_space = parts[1].eq(" ").fillna(False).to_numpy(dtype=bool)
    first = pd.Series(np.where(has_space, parts[0], parts[2]), index=values.index, dtype="str")
    last = pd.Series(np.where(has_space, parts[2], None), index=values.index, dtype="str")
    return first.mask(values.isna()), last.mask(values.isna())
