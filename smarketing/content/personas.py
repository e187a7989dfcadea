"""Persona cards: versioned, archivable, and how each persona's leads perform.

Every save of a card is kept as a :class:`~smarketing.models.PersonaVersion` (the full card
as JSON, who and when), so earlier versions stay readable. There is deliberately **no
delete**: leads (and campaigns) refer to a persona by its name, so a card that is no longer
wanted is archived instead (``set_archived``) — it leaves the lists but stays readable,
and its leads keep their persona. For the same reason a card whose name leads use cannot be
renamed: archive it and create a new card.
"""

from __future__ import annotations

import json
from datetime import date, datetime

import pandas as pd
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from smarketing.auth import audit
from smarketing.auth.permissions import Actor, require
from smarketing.errors import InvalidInput, NotFound
from smarketing.formatting import count
from smarketing.i18n import N_, _, ngettext
from smarketing.quality.cohorts import NONE_VALUE, Cohort, breakdown
from smarketing.sla.periods import period_containing, previous_period
from smarketing.store.adoption import adopt, adopt_all
from smarketing.store.db import bump_data_version
from smarketing.store.models import Campaign, Lead, Persona, PersonaVersion, utcnow

#: The fields of a card, in reading order, with their labels (messages, forms, exports).
#: The labels are English message ids (``N_``): show them as ``_(label)``.
PERSONA_FIELDS: list[tuple[str, str]] = [
    ("name", N_("Name")),
    ("icon", N_("Icon")),
    ("role", N_("Role")),
    ("seniority", N_("Seniority")),
    ("company_profile", N_("Company profile")),
    ("goals", N_("Goals")),
    ("challenges", N_("Challenges")),
    ("information_sources", N_("Information sources")),
    ("objections", N_("Objections")),
    ("messages", N_("Messages")),
    ("recognise", N_("How to recognise them")),
]
FIELD_NAMES = tuple(name for name, _label in PERSONA_FIELDS)
LABELS = dict(PERSONA_FIELDS)
DEFAULT_ICON = "👤"
TEXT_MAX = 10_000
#: Longest value per field: the column lengths of the table, 10,000 characters for texts.
_SHORT = {"name": 100, "icon": 16, "role": 200, "seniority": 100}
MAX_LENGTH = _SHORT | {name: TEXT_MAX for name in FIELD_NAMES if name not in _SHORT}
#: The figures of ``persona_performance`` (each twice: ``_this`` and ``_last``).
PERFORMANCE_FIGURES = ("leads", "mqls", "acceptance", "mql_to_sql", "customers")
PERFORMANCE_COLUMNS = [
    "persona",
    "has_card",
    "archived",
    *(f"{f}_{suffix}" for suffix in ("this", "last") for f in PERFORMANCE_FIGURES),
]
_RATES = {"acceptance": "mql_to_accepted", "mql_to_sql": "mql_to_sql"}


# --- reading ------------------------------------------------------------------------------


def persona_cards(session: Session, *, include_archived: bool = False) -> list[Persona]:
    """The persona cards by name (case-insensitive); archived ones only when asked for."""
    query = select(Persona)
    if not include_archived:
        query = query.where(Persona.archived == False)  # noqa: E712
    return sorted(session.exec(query).all(), key=lambda p: (p.name.casefold(), p.name))


def persona_by_name(session: Session, name: str) -> Persona | None:
    """The card with this name (archived or not; case-insensitive when no exact match)."""
    text = (name or "").strip()
    exact = session.exec(select(Persona).where(Persona.name == text)).first()
    if exact is not None or not text:
        return exact
    return next(
        (p for p in session.exec(select(Persona)).all() if p.name.casefold() == text.casefold()),
        None,
    )


def persona_versions(session: Session, persona_id: int) -> list[PersonaVersion]:
    """Every saved version of a card, newest first (NotFound for an unknown card)."""
    _persona(session, persona_id)
    return list(
        session.exec(
            select(PersonaVersion)
            .where(PersonaVersion.persona_id == persona_id)
            .order_by(col(PersonaVersion.version).desc(), col(PersonaVersion.id).desc())
        ).all()
    )


def version_fields(version: PersonaVersion) -> dict:
    """The card as it was saved in this version: every card field ("" where not stored)."""
    try:
        stored = json.loads(version.data or "{}")
    except ValueError:
        stored = {}
    if not isinstance(stored, dict):
        stored = {}
    return {name: stored.get(name) or "" for name in FIELD_NAMES}


def card_fields(persona: Persona) -> dict:
    """The card's current fields as a plain dict (the shape of ``version_fields``)."""
    return {name: getattr(persona, name) or "" for name in FIELD_NAMES}


def _persona(session: Session, persona_id: int) -> Persona:
    persona = session.get(Persona, persona_id)
    if persona is None:
        raise NotFound(_("there is no persona card with id {id}").format(id=persona_id))
    return persona


# --- writing ------------------------------------------------------------------------------


def _cleaned(fields: dict, current: dict) -> dict:
    """``current`` with the given fields applied, trimmed and checked; InvalidInput names
    every wrong field."""
    unknown = sorted(set(fields) - set(FIELD_NAMES))
    if unknown:
        raise InvalidInput(
            _("unknown persona field(s) {fields}; a card has {known}").format(
                fields=", ".join(repr(u) for u in unknown), known=", ".join(FIELD_NAMES)
            )
        )
    values = dict(current)
    problems = []
    for name, raw in fields.items():
        if raw is None:
            raw = ""
        if not isinstance(raw, str):
            problems.append(
                _("{field} must be text (got {type})").format(
                    field=_(LABELS[name]), type=type(raw).__name__
                )
            )
            continue
        values[name] = raw.strip()
    if not values["icon"]:
        values["icon"] = DEFAULT_ICON
    if not values["name"]:
        problems.append(_("Name is empty: give the persona a name (1–100 characters)"))
    for name, limit in MAX_LENGTH.items():
        if len(values[name]) > limit:
            problems.append(
                _("{field} is {length} characters long; at most {limit} are allowed").format(
                    field=_(LABELS[name]), length=count(len(values[name])), limit=count(limit)
                )
            )
    if problems:
        raise InvalidInput("; ".join(problems))
    return values


def _check_name(session: Session, name: str, persona_id: int | None) -> None:
    for other_id, other in session.exec(select(Persona.id, Persona.name)).all():
        if other_id != persona_id and other.casefold() == name.casefold():
            raise InvalidInput(
                _(
                    "Name: there is already a persona called {name!r} (names are compared "
                    "ignoring case); choose another name, or edit that card"
                ).format(name=other)
            )


def _references(session: Session, name: str) -> tuple[int, int]:
    """(leads, campaigns) whose persona is exactly this name."""
    leads = session.exec(select(func.count()).select_from(Lead).where(Lead.persona == name)).one()
    campaigns = session.exec(
        select(func.count()).select_from(Campaign).where(Campaign.persona == name)
    ).one()
    return int(leads), int(campaigns)


def _refuse_rename(session: Session, old: str, new: str) -> None:
    leads, campaigns = _references(session, old)
    if not leads and not campaigns:
        return
    used = []
    if leads:
        used.append(ngettext("{n} lead", "{n} leads", leads).format(n=count(leads)))
    if campaigns:
        used.append(ngettext("{n} campaign", "{n} campaigns", campaigns).format(n=count(campaigns)))
    raise InvalidInput(
        _(
            "Name: {used} use the persona name {old!r}, so it cannot become {new!r} (they "
            "would lose their card). Archive {old!r} and create a new card called {new!r} "
            "instead; the leads keep their persona name."
        ).format(used=_(" and ").join(used), old=old, new=new)
    )


def save_persona(
    session: Session,
    *,
    actor: Actor,
    persona_id: int | None,
    fields: dict,
    now: datetime | None = None,
) -> Persona:
    """Create a card (``persona_id`` None, version 1) or save version n+1 of one.

    ``fields`` holds any of the card fields (a new card starts from empty ones, an edit from
    the card as it is). Every save appends a PersonaVersion with the full card, who and when
    (``now``, default the current time). Refused with InvalidInput when a field is wrong,
    the name is taken, nothing changed, or the card is renamed while leads use its name.
    """
    require(actor, "persona.edit")
    saved_at = now or utcnow()
    persona = None if persona_id is None else _persona(session, persona_id)
    current = (
        card_fields(persona)
        if persona is not None
        else dict.fromkeys(FIELD_NAMES, "") | {"icon": DEFAULT_ICON}
    )
    values = _cleaned(fields, current)
    _check_name(session, values["name"], persona_id)
    if persona is None:
        persona = Persona(**values, version=1, updated_by=actor.username, updated_at=saved_at)
        changed = list(FIELD_NAMES)
    else:
        changed = [name for name in FIELD_NAMES if values[name] != current[name]]
        if not changed:
            raise InvalidInput(
                _(
                    "nothing changed on {name!r}: version {version} already says exactly this"
                ).format(name=persona.name, version=persona.version)
            )
        if values["name"] != persona.name:
            _refuse_rename(session, persona.name, values["name"])
        for name in changed:
            setattr(persona, name, values[name])
        persona.version += 1
        persona.updated_by = actor.username
        persona.updated_at = saved_at
        # an edit makes a demo card, with its earlier versions, the team's own
        adopt(session, persona)
        adopt_all(session, PersonaVersion, PersonaVersion.persona_id == persona.id)
    session.add(persona)
    try:
        session.flush()
    except IntegrityError as exc:  # a card of that name was saved at the same moment
        session.rollback()
        raise InvalidInput(
            _("Name: there is already a persona called {name!r}; choose another name").format(
                name=values["name"]
            )
        ) from exc
    session.add(
        PersonaVersion(
            persona_id=persona.id,
            version=persona.version,
            data=json.dumps(values, ensure_ascii=False),
            saved_by=actor.username,
            saved_at=saved_at,
        )
    )
    audit.record(
        session,
        actor.username,
        "persona.create" if persona.version == 1 else "persona.edit",
        "persona",
        persona.id,
        name=persona.name,
        version=persona.version,
        changed=changed,
    )
    bump_data_version(session)
    session.commit()
    return persona


def set_archived(
    session: Session,
    *,
    actor: Actor,
    persona_id: int,
    archived: bool,
    now: datetime | None = None,
) -> Persona:
    """Archive a card (it leaves the lists; its leads keep the persona) or bring it back.

    The card's text and version are unchanged; the audit log keeps who and when."""
    require(actor, "persona.edit")
    persona = _persona(session, persona_id)
    if persona.archived == bool(archived):
        message = (
            _("{name!r} is already archived: nothing to change")
            if persona.archived
            else _("{name!r} is already not archived: nothing to change")
        )
        raise InvalidInput(message.format(name=persona.name))
    persona.archived = bool(archived)
    persona.updated_by = actor.username
    persona.updated_at = now or utcnow()
    adopt(session, persona)
    adopt_all(session, PersonaVersion, PersonaVersion.persona_id == persona.id)
    session.add(persona)
    audit.record(
        session,
        actor.username,
        "persona.archive" if archived else "persona.unarchive",
        "persona",
        persona.id,
        name=persona.name,
    )
    bump_data_version(session)
    session.commit()
    return persona


# --- performance --------------------------------------------------------------------------


def performance_cohorts(as_of: date) -> tuple[Cohort, Cohort]:
    """(this quarter from its first day through ``as_of``, the whole previous quarter)."""
    quarter = period_containing("quarter", as_of)
    last = previous_period(quarter)
    return Cohort(quarter.start, as_of), Cohort(last.start, last.end)


def persona_performance(session: Session, *, as_of: date) -> pd.DataFrame:
    """How each persona's leads perform: this quarter so far against the whole last quarter.

    Both figures are **lead-created cohorts** (docs/metrics.md, "Lead quality"): the leads
    created from the quarter's first day through ``as_of`` (``_this``) and those created in
    the whole previous quarter (``_last``), each counted at every stage they have reached by
    now, whenever that happened. So a persona's quarter is judged by the leads it brought in
    that quarter, and the younger cohort has had less time to mature (its customers lag).

    One row per persona value found among those leads — also archived personas, values
    with no card and "(none)" — by leads this quarter (most first), then last quarter,
    "(none)" last. Columns ``PERFORMANCE_COLUMNS``: persona, has_card, archived, then
    leads, mqls, acceptance (accepted ÷ (accepted + rejected)), mql_to_sql (SQLs ÷ MQLs),
    customers, each suffixed ``_this`` and ``_last``. Rates are fractions (4 decimals),
    None where the denominator is 0; counts are 0 in a quarter without leads. The cohorts
    are in ``frame.attrs["this"]`` and ``frame.attrs["last"]``.
    """
    this, last = performance_cohorts(as_of)
    figures: dict[str, dict] = {}
    for suffix, cohort in (("this", this), ("last", last)):
        frame = breakdown(session, cohort, "persona")
        for row in frame[~frame["is_total"].astype(bool)].to_dict("records"):
            out = figures.setdefault(row["value"], {})
            for name in ("leads", "mqls", "customers"):
                out[f"{name}_{suffix}"] = int(row[name])
            for name, column in _RATES.items():
                value = row[column]
                out[f"{name}_{suffix}"] = None if value is None or pd.isna(value) else value
    cards = {p.name: p.archived for p in session.exec(select(Persona)).all()}
    rows = []
    for value, out in figures.items():
        row = {"persona": value, "has_card": value in cards, "archived": cards.get(value, False)}
        for suffix in ("this", "last"):
            for name in PERFORMANCE_FIGURES:
                key = f"{name}_{suffix}"
                row[key] = out.get(key, None if name in _RATES else 0)
        rows.append(row)
    rows.sort(
        key=lambda r: (r["persona"] == NONE_VALUE, -r["leads_this"], -r["leads_last"], r["persona"])
    )
    result = pd.DataFrame.from_records(rows, columns=PERFORMANCE_COLUMNS)
    for name in _RATES:
        for suffix in ("this", "last"):
            key = f"{name}_{suffix}"
            result[key] = pd.Series([r[key] for r in rows], index=result.index, dtype=object)
    for key in ("has_card", "archived"):
        result[key] = result[key].astype(bool)
    result.attrs["this"] = this
    result.attrs["last"] = last
    return result
