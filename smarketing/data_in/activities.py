"""Activities files: one row per activity (lead id, timestamp, kind, detail, actor).

The file handling (decoding, delimiter, rejected rows) is shared with the lead readers in
``smarketing.imports.reading``; this module knows the activity columns and kinds.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import pandas as pd

from smarketing.data_in.dates import parse_datetimes
from smarketing.data_in.formats import header_key, loose_key
from smarketing.data_in.normalise import canonical_spelling, clean_text
from smarketing.data_in.records import ActivityRecord, UnreadableFile
from smarketing.i18n import N_, _, ngettext
from smarketing.store.models import ActivityKind

TARGETS = ("lead_external_id", "occurred_at", "kind", "detail", "actor")
#: Other names a person may use as mapping targets.
TARGET_ALIASES = {
    "lead_id": "lead_external_id",
    "external_id": "lead_external_id",
    "timestamp": "occurred_at",
}
TARGETS_ACCEPTED = (*TARGETS, *TARGET_ALIASES)
#: What each target is called on the Import page.
TARGET_LABELS = {
    "lead_external_id": N_("Lead's record ID"),
    "occurred_at": N_("When (date and time)"),
    "kind": N_("Kind of activity"),
    "detail": N_("Detail"),
    "actor": N_("Who (the sales person)"),
}

#: Header names (compared by letters and digits only), best first.
COLUMNS: dict[str, tuple[str, ...]] = {
    "lead_external_id": (
        "lead id",
        "lead external id",
        "external id",
        "record id",
        "contact id",
        "hs_object_id",
        "Lead - ID",
        "WhoId",
        "Who ID",
        "lead",
    ),
    "occurred_at": (
        "timestamp",
        "occurred at",
        "occurred",
        "date",
        "activity date",
        "ActivityDate",
        "datetime",
        "time",
        "when",
        "created date",
        "CreatedDate",
    ),
    "kind": ("kind", "type", "activity type", "activity kind", "TaskSubtype", "event type"),
    "detail": ("detail", "details", "subject", "description", "note", "notes"),
    "actor": ("actor", "owner", "user", "assigned to", "activity owner", "sales rep"),
}
#: Lead-id headers that tell which CRM the ids belong to.
_SYSTEM_BY_ID_HEADER = {
    "record id": "hubspot",
    "contact id": "hubspot",
    "hs_object_id": "hubspot",
    "lead id": "salesforce",
    "whoid": "salesforce",
    "who id": "salesforce",
    "lead - id": "pipedrive",
}

#: The CRMs lead ids may belong to (``read_activities(source_system=…)``, ``--crm``).
SOURCE_SYSTEMS = ("hubspot", "salesforce", "pipedrive", "csv")

MAX_DETAIL = 500
MAX_ACTOR = 100
MAX_ID = 64

#: Kind spellings (letters only, lower case) -> ActivityKind.
KINDS: dict[str, ActivityKind] = {}
for _kind, _words in {
    ActivityKind.page_view: ("page view", "pageview", "page visit", "web visit", "visit"),
    ActivityKind.download: ("download", "content download", "asset download"),
    ActivityKind.form: ("form", "form submission", "form submitted", "form fill", "form fill out"),
    ActivityKind.email_click: ("email click", "e-mail click", "email clicked", "clicked email"),
    ActivityKind.email: (
        "email",
        "e-mail",
        "email sent",
        "e-mail sent",
        "sent email",
        "sales email",
    ),
    ActivityKind.call: ("call", "phone call", "logged call", "phone"),
    ActivityKind.meeting: ("meeting", "meeting booked", "meeting held", "appointment"),
}.items():
    for _word in _words:
        KINDS[re.sub(r"[^a-z]", "", _word)] = _kind
ALLOWED = "page view, download, form (form submission), email click, email (sent), call, meeting"


def default_mapping(columns: list[str]) -> dict[str, str]:
    """``{file column: target}`` by header name; the best-named column first per target."""
    ranked = []
    taken: set[str] = set()
    by_key: dict[str, str] = {}
    for column in columns:
        by_key.setdefault(loose_key(column), column)
    for t_rank, (target, names) in enumerate(COLUMNS.items()):
        for a_rank, name in enumerate(names):
            column = by_key.get(loose_key(name))
            if column is not None and column not in taken:
                ranked.append((t_rank, a_rank, column, target))
                taken.add(column)
    ranked.sort()
    return {column: target for _rank, _alias, column, target in ranked}


def require(mapping: dict[str, str], file_name: str) -> None:
    """The columns an activities file cannot do without."""
    targets = set(mapping.values())
    for target, missing in (
        ("lead_external_id", N_("{name}: no lead id column: expected one of {expected}")),
        ("occurred_at", N_("{name}: no timestamp column: expected one of {expected}")),
        ("kind", N_("{name}: no activity kind column: expected one of {expected}")),
    ):
        if target not in targets:
            expected = ", ".join(COLUMNS[target][:6])
            raise UnreadableFile(_(missing).format(name=file_name, expected=expected))


def source_system(mapping: dict[str, str]) -> str:
    """The CRM the lead ids belong to, from the lead-id header; ``csv`` when unknown."""
    for column, target in mapping.items():
        if target == "lead_external_id":
            return _SYSTEM_BY_ID_HEADER.get(header_key(column), "csv")
    return "csv"


def normalise_kind(text: str) -> ActivityKind | None:
    """``E-mail click``, ``FORM_SUBMISSION``, ``Page view`` -> the ActivityKind, else None."""
    return KINDS.get(re.sub(r"[^a-z]", "", text.casefold()))


@dataclass
class ActivityRows:
    records: list[ActivityRecord] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def _first(frame: pd.DataFrame, columns: list[str]) -> tuple[pd.Series, str]:
    value = clean_text(frame[columns[0]])
    for column in columns[1:]:
        value = value.fillna(clean_text(frame[column]))
    return value, columns[0]


def read_rows(
    frame: pd.DataFrame,
    mapping: dict[str, str],
    zone: ZoneInfo,
    add_error: Callable[[int, str | None, str], None],
) -> ActivityRows:
    """Parse and validate the rows; errors go to ``add_error(row, column, reason)``."""
    by_target: dict[str, list[str]] = {}
    for column, target in mapping.items():
        by_target.setdefault(target, []).append(column)
    out = ActivityRows()
    if frame.empty:
        return out
    ids, id_col = _first(frame, by_target["lead_external_id"])
    when_raw, when_col = _first(frame, by_target["occurred_at"])
    when, bad_when = parse_datetimes(when_raw, zone)
    kind_raw, kind_col = _first(frame, by_target["kind"])
    kinds = kind_raw.map(
        {v: normalise_kind(v) for v in kind_raw.dropna().unique()}, na_action="ignore"
    )
    detail = _first(frame, by_target["detail"])[0] if "detail" in by_target else None
    actor = _first(frame, by_target["actor"])[0] if "actor" in by_target else None
    if actor is not None:
        actor = canonical_spelling(actor)

    shortened = 0
    rows = frame.index.tolist()
    id_list = ids.astype(object).where(ids.notna(), None).tolist()
    when_list = when.dt.to_pydatetime().where(when.notna(), None).tolist()
    bad_when_list = bad_when.tolist()
    raw_when = when_raw.astype(object).where(when_raw.notna(), None).tolist()
    kind_list = kinds.astype(object).where(kinds.notna(), None).tolist()
    raw_kind = kind_raw.astype(object).where(kind_raw.notna(), None).tolist()
    detail_list = (
        detail.astype(object).where(detail.notna(), None).tolist()
        if detail is not None
        else [None] * len(rows)
    )
    actor_list = (
        actor.astype(object).where(actor.notna(), None).tolist()
        if actor is not None
        else [None] * len(rows)
    )
    for row, lead_id, at, bad, raw_at, kind, raw_k, text, who in zip(
        rows,
        id_list,
        when_list,
        bad_when_list,
        raw_when,
        kind_list,
        raw_kind,
        detail_list,
        actor_list,
        strict=True,
    ):
        ok = True
        if lead_id is None:
            add_error(row, id_col, _("no lead id"))
            ok = False
        elif len(lead_id) > MAX_ID:
            add_error(
                row,
                id_col,
                _("lead id is {n} characters long; at most {limit} fit").format(
                    n=len(lead_id), limit=MAX_ID
                ),
            )
            ok = False
        if bad:
            add_error(row, when_col, _("not a date: {value}").format(value=repr(raw_at)))
            ok = False
        elif at is None:
            add_error(row, when_col, _("no timestamp"))
            ok = False
        if kind is None:
            reason = (
                _("unknown activity kind {kind}").format(kind=repr(raw_k))
                if raw_k
                else _("no activity kind")
            )
            add_error(
                row,
                kind_col,
                _("{reason}: expected one of {allowed}").format(reason=reason, allowed=ALLOWED),
            )
            ok = False
        if not ok:
            continue
        text = text or ""
        if len(text) > MAX_DETAIL:
            text = text[: MAX_DETAIL - 1] + "…"
            shortened += 1
        if who is not None and len(who) > MAX_ACTOR:
            who = who[: MAX_ACTOR - 1] + "…"
            shortened += 1
        out.records.append(ActivityRecord(row, lead_id, at, str(kind), text, who))
    if shortened:
        out.warnings.append(
            ngettext(
                "{n} detail/actor text was longer than fits ({detail}/{actor} characters) "
                "and was shortened",
                "{n} detail/actor texts were longer than fits ({detail}/{actor} characters) "
                "and were shortened",
                shortened,
            ).format(n=shortened, detail=MAX_DETAIL, actor=MAX_ACTOR)
        )
    return out
