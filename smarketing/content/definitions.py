"""The shared language: versioned definitions of the funnel stages and terms (whether a
definition's rule can be measured against the leads: :mod:`smarketing.content.rules`).

Every save appends a new version (``key``, ``version`` n+1) with who and when; no row is
ever updated. Who may save depends on the team that owns the definition (see
``smarketing.auth.permissions``).
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from datetime import date, datetime

from sqlalchemy import and_, case, func
from sqlalchemy import select as sa_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from smarketing import formatting
from smarketing.auth import audit
from smarketing.auth.permissions import Actor, allowed, require
from smarketing.errors import InvalidInput, NotFound, PermissionDenied
from smarketing.i18n import _, pgettext
from smarketing.store.adoption import adopt_all
from smarketing.store.db import bump_data_version
from smarketing.store.models import Definition, Team

TEAMS = tuple(t.value for t in Team)
CATEGORIES = ("stage", "term")
TERM_MAX = 200
BODY_MAX = 20_000
AGREED_BY_MAX = 300
RULE_MAX = 500
KEY_MAX = 64
#: The fields a version can change, compared by :func:`last_change` ("nothing changed" too).
VERSIONED_FIELDS = ("term", "owner_team", "body", "rule", "agreed_on", "agreed_by")


# --- reading ------------------------------------------------------------------------------


def current_definitions(session: Session) -> list[Definition]:
    """The newest version of every key: the stages by position, then the terms by name."""
    newest = (
        sa_select(Definition.key, func.max(Definition.version).label("version"))
        .group_by(Definition.key)
        .subquery()
    )
    is_stage = Definition.category == "stage"
    query = (
        select(Definition)
        .join(
            newest,
            and_(Definition.key == newest.c.key, Definition.version == newest.c.version),
        )
        .order_by(
            case((is_stage, 0), else_=1),
            case((is_stage, Definition.position), else_=0),
            func.lower(Definition.term),
            Definition.key,
        )
    )
    return list(session.exec(query).all())


def definition_history(session: Session, key: str) -> list[Definition]:
    """Every version of a definition, newest first; NotFound for an unknown key."""
    rows = list(
        session.exec(
            select(Definition).where(Definition.key == key).order_by(col(Definition.version).desc())
        ).all()
    )
    if not rows:
        raise NotFound(_("there is no definition with the key {key!r}").format(key=key))
    return rows


def last_change(session: Session, key: str) -> dict | None:
    """What the newest version changed against the one before; None for a first version.

    ``{"key", "term", "version", "previous_version", "changed_by", "changed_at",
    "fields": {field: (old, new)}, "body_diff": unified diff text ("" if the same)}``.
    The fields compared are term, owner_team, rule, agreed_on and agreed_by.
    """
    history = definition_history(session, key)
    if len(history) < 2:
        return None
    new, old = history[0], history[1]
    fields = {
        name: (getattr(old, name), getattr(new, name))
        for name in VERSIONED_FIELDS
        if name != "body" and getattr(old, name) != getattr(new, name)
    }
    diff = difflib.unified_diff(
        old.body.splitlines(),
        new.body.splitlines(),
        fromfile=_("version {number}").format(number=old.version),
        tofile=_("version {number}").format(number=new.version),
        lineterm="",
    )
    return {
        "key": key,
        "term": new.term,
        "version": new.version,
        "previous_version": old.version,
        "changed_by": new.created_by,
        "changed_at": new.created_at,
        "fields": fields,
        "body_diff": "\n".join(diff),
    }


# --- writing ------------------------------------------------------------------------------


def can_edit(actor: Actor | None, owner_team: str) -> bool:
    """True when the actor may change a definition owned by ``owner_team``."""
    return owner_team in TEAMS and allowed(actor, f"definition.edit_{owner_team}")


def save_definition(
    session: Session,
    *,
    actor: Actor,
    key: str | None,
    term: str,
    owner_team: str,
    body: str,
    rule: str | None,
    agreed_on: date | None,
    agreed_by: str,
    category: str = "term",
    base_version: int | None = None,
    now: datetime | None = None,
) -> Definition:
    """Save a new definition (``key=None``) or a new version of one; returns the new row.

    Needs the right to edit the owner team's definitions (the old and the new team's when
    the owner changes). ``category`` only matters for a new definition; a new version keeps
    its category and position. With ``base_version`` (the version the person started from)
    a save on top of someone else's newer version is refused instead of hiding it.
    """
    previous = None if key is None else _newest(session, key)
    if previous is not None:
        require(actor, f"definition.edit_{previous.owner_team}")
    team = _team(owner_team)
    if previous is None:
        require(actor, f"definition.edit_{team}")
    elif team != previous.owner_team:
        try:
            require(actor, f"definition.edit_{team}")
        except PermissionDenied as exc:
            handing = _(
                "Handing “{term}” from {old_team} to {new_team} needs the right to edit both "
                "teams' definitions."
            ).format(
                term=previous.term,
                old_team=team_label(previous.owner_team),
                new_team=team_label(team),
            )
            raise PermissionDenied(f"{exc} {handing}") from exc
    values = _checked(
        term=term, owner_team=team, body=body, rule=rule, agreed_on=agreed_on, agreed_by=agreed_by
    )
    if previous is None:
        row = _first_version(session, values, category)
    else:
        if base_version is not None and base_version != previous.version:
            raise InvalidInput(
                _(
                    "“{term}” was changed by {person} (version {version}) after you opened "
                    "version {opened}; reload it, then make your change again"
                ).format(
                    term=previous.term,
                    person=previous.created_by,
                    version=previous.version,
                    opened=base_version,
                )
            )
        if all(getattr(previous, k) == v for k, v in values.items()):
            raise InvalidInput(
                _(
                    "nothing changed in “{term}”: edit the text, rule, owner team or agreement "
                    "before saving a new version"
                ).format(term=previous.term)
            )
        # a person's version makes the whole history of the term the team's own
        adopt_all(session, Definition, Definition.key == previous.key)
        row = Definition(
            key=previous.key,
            version=previous.version + 1,
            category=previous.category,
            position=previous.position,
            **values,
        )
    row.created_by = actor.username
    if now is not None:
        row.created_at = now
    session.add(row)
    changed = (
        list(values)
        if previous is None
        else [k for k, v in values.items() if getattr(previous, k) != v]
    )
    audit.record(
        session,
        actor.username,
        "definition.create" if previous is None else "definition.edit",
        "definition",
        row.key,
        version=row.version,
        term=row.term,
        owner_team=row.owner_team,
        changed=changed,
    )
    bump_data_version(session)
    try:
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        raise InvalidInput(
            _("someone else saved “{term}” at the same moment; reload it and save again").format(
                term=row.term
            )
        ) from exc
    return row


def team_label(team: str) -> str:
    """An owner team (a stored value, English) as people read it, in the language speaking:
    'marketing', 'sales', 'both teams' (the context tells a team from a role's name)."""
    labels = {
        "marketing": pgettext("owner team", "marketing"),
        "sales": pgettext("owner team", "sales"),
        "both": pgettext("owner team", "both teams"),
    }
    return labels.get(team, team)


def _team(owner_team: str) -> str:
    team = str(owner_team or "").strip().lower()
    if team not in TEAMS:
        raise InvalidInput(
            _("the owner team must be marketing, sales or both (got {team!r})").format(
                team=owner_team
            )
        )
    return team


def _newest(session: Session, key: str) -> Definition:
    row = session.exec(
        select(Definition).where(Definition.key == key).order_by(col(Definition.version).desc())
    ).first()
    if row is None:
        raise NotFound(
            _("there is no definition with the key {key!r}; reload the page").format(key=key)
        )
    return row


def _checked(**values) -> dict:
    """The fields of a version, trimmed, or InvalidInput saying what is wrong with them."""
    term = str(values["term"] or "").strip()
    body = str(values["body"] or "").replace("\r\n", "\n").strip()
    rule = str(values["rule"] or "").strip() or None
    agreed_by = str(values["agreed_by"] or "").strip()
    agreed_on = values["agreed_on"]
    problems = []
    count = formatting.count
    if not term:
        problems.append(_("give the term a name"))
    elif len(term) > TERM_MAX:
        problems.append(
            _("the term is {length} characters long; keep it to {limit}").format(
                length=count(len(term)), limit=count(TERM_MAX)
            )
        )
    if len(body) > BODY_MAX:
        problems.append(
            _(
                "the text is {length} characters long; keep it to {limit} (link to a longer "
                "document instead)"
            ).format(length=count(len(body)), limit=count(BODY_MAX))
        )
    if rule is not None and len(rule) > RULE_MAX:
        problems.append(
            _("the rule is {length} characters long; keep it to {limit}").format(
                length=count(len(rule)), limit=count(RULE_MAX)
            )
        )
    if len(agreed_by) > AGREED_BY_MAX:
        problems.append(
            _("“agreed by” is {length} characters long; keep it to {limit}").format(
                length=count(len(agreed_by)), limit=count(AGREED_BY_MAX)
            )
        )
    if agreed_on is not None and (
        isinstance(agreed_on, datetime) or not isinstance(agreed_on, date)
    ):
        problems.append(
            _("“agreed on” must be a calendar date (got {value!r})").format(value=agreed_on)
        )
    if problems:
        raise InvalidInput("; ".join(problems))
    return {
        "term": term,
        "owner_team": values["owner_team"],
        "body": body,
        "rule": rule,
        "agreed_on": agreed_on,
        "agreed_by": agreed_by,
    }


def _first_version(session: Session, values: dict, category: str) -> Definition:
    """Version 1 of a new definition, keyed by the slug of its term."""
    if category not in CATEGORIES:
        raise InvalidInput(
            _("the category must be stage or term (got {category!r})").format(category=category)
        )
    slug = slugify(values["term"])
    if not slug:
        raise InvalidInput(_("the term needs at least one letter or digit"))
    key = (f"stage_{slug}" if category == "stage" else slug)[:KEY_MAX].rstrip("_")
    existing = session.exec(select(Definition).where(Definition.key == key)).first()
    if existing is not None:
        raise InvalidInput(
            _(
                "“{term}” would get the key {key!r}, which “{other}” already has: edit that "
                "definition instead, or name the new term differently"
            ).format(term=values["term"], key=key, other=existing.term)
        )
    position = 0
    if category == "stage":
        last = session.execute(
            sa_select(func.max(Definition.position)).where(Definition.category == "stage")
        ).scalar()
        position = (last or 0) + 1
    return Definition(key=key, version=1, category=category, position=position, **values)


def slugify(text: str) -> str:
    """Lower-case ASCII words joined by "_": "Kjøpsprosess (B2B)" -> "kjopsprosess_b2b"."""
    folded = text.lower().translate(str.maketrans({"æ": "ae", "ø": "o", "å": "a", "ß": "ss"}))
    ascii_text = unicodedata.normalize("NFKD", folded).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "_", ascii_text).strip("_")
