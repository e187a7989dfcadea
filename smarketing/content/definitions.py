"""The shared language: versioned definitions of the funnel stages and terms, and the check
whether a definition's rule (e.g. the MQL rule) can be measured against the leads.

Every save appends a new version (``key``, ``version`` n+1) with who and when; no row is
ever updated. Who may save depends on the team that owns the definition (see
``smarketing.permissions``). A rule is a few clauses joined by " and "; :func:`parse_rule`
says which of them the app understands and :func:`rule_count` counts this month's leads
that meet it, in one SQL aggregate.
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import and_, case, func, literal, not_, or_
from sqlalchemy import select as sa_select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.expression import ColumnElement
from sqlmodel import Session, col, select

from smarketing.auth import audit
from smarketing.auth.permissions import Actor, allowed, require
from smarketing.errors import InvalidInput, NotFound, PermissionDenied
from smarketing.quality.cohorts import Cohort
from smarketing.store.adoption import adopt_all
from smarketing.store.db import bump_data_version
from smarketing.store.models import Definition, Lead, RejectionReason, Team

TEAMS = tuple(t.value for t in Team)
CATEGORIES = ("stage", "term")
TERM_MAX = 200
BODY_MAX = 20_000
AGREED_BY_MAX = 300
RULE_MAX = 500
KEY_MAX = 64
#: The fields a version can change, compared by :func:`last_change` ("nothing changed" too).
VERSIONED_FIELDS = ("term", "owner_team", "body", "rule", "agreed_on", "agreed_by")

#: E-mail domains anyone can sign up for; an address elsewhere counts as a company e-mail.
#: (The demo's leads all use company domains, students and competitors included.)
FREE_MAIL_DOMAINS = (
    "gmail.com",
    "googlemail.com",
    "hotmail.com",
    "outlook.com",
    "live.com",
    "yahoo.com",
    "icloud.com",
    "me.com",
    "aol.com",
    "proton.me",
    "protonmail.com",
    "online.no",
    "live.no",
    "hotmail.no",
    "yahoo.no",
)
#: Lead columns a rule may compare with ``<column> is <value>``.
EQUALITY_FIELDS = ("source", "segment", "persona")


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
        raise NotFound(f"there is no definition with the key {key!r}")
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
        fromfile=f"version {old.version}",
        tofile=f"version {new.version}",
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
            raise PermissionDenied(
                f"{exc} Handing “{previous.term}” from {previous.owner_team} to {team} "
                "needs the right to edit both teams' definitions."
            ) from exc
    values = _checked(
        term=term, owner_team=team, body=body, rule=rule, agreed_on=agreed_on, agreed_by=agreed_by
    )
    if previous is None:
        row = _first_version(session, values, category)
    else:
        if base_version is not None and base_version != previous.version:
            raise InvalidInput(
                f"“{previous.term}” was changed by {previous.created_by} (version "
                f"{previous.version}) after you opened version {base_version}; reload it, "
                "then make your change again"
            )
        if all(getattr(previous, k) == v for k, v in values.items()):
            raise InvalidInput(
                f"nothing changed in “{previous.term}”: edit the text, rule, owner team or "
                "agreement before saving a new version"
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
            f"someone else saved “{row.term}” at the same moment; reload it and save again"
        ) from exc
    return row


def _team(owner_team: str) -> str:
    team = str(owner_team or "").strip().lower()
    if team not in TEAMS:
        raise InvalidInput(f"the owner team must be marketing, sales or both (got {owner_team!r})")
    return team


def _newest(session: Session, key: str) -> Definition:
    row = session.exec(
        select(Definition).where(Definition.key == key).order_by(col(Definition.version).desc())
    ).first()
    if row is None:
        raise NotFound(f"there is no definition with the key {key!r}; reload the page")
    return row


def _checked(**values) -> dict:
    """The fields of a version, trimmed, or InvalidInput saying what is wrong with them."""
    term = str(values["term"] or "").strip()
    body = str(values["body"] or "").replace("\r\n", "\n").strip()
    rule = str(values["rule"] or "").strip() or None
    agreed_by = str(values["agreed_by"] or "").strip()
    agreed_on = values["agreed_on"]
    problems = []
    if not term:
        problems.append("give the term a name")
    elif len(term) > TERM_MAX:
        problems.append(f"the term is {len(term)} characters long; keep it to {TERM_MAX}")
    if len(body) > BODY_MAX:
        problems.append(
            f"the text is {len(body):,} characters long; keep it to {BODY_MAX:,} "
            "(link to a longer document instead)"
        )
    if rule is not None and len(rule) > RULE_MAX:
        problems.append(f"the rule is {len(rule)} characters long; keep it to {RULE_MAX}")
    if len(agreed_by) > AGREED_BY_MAX:
        problems.append(
            f"“agreed by” is {len(agreed_by)} characters long; keep it to {AGREED_BY_MAX}"
        )
    if agreed_on is not None and (
        isinstance(agreed_on, datetime) or not isinstance(agreed_on, date)
    ):
        problems.append(f"“agreed on” must be a calendar date (got {agreed_on!r})")
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
        raise InvalidInput(f"the category must be stage or term (got {category!r})")
    slug = slugify(values["term"])
    if not slug:
        raise InvalidInput("the term needs at least one letter or digit")
    key = (f"stage_{slug}" if category == "stage" else slug)[:KEY_MAX].rstrip("_")
    existing = session.exec(select(Definition).where(Definition.key == key)).first()
    if existing is not None:
        raise InvalidInput(
            f"“{values['term']}” would get the key {key!r}, which “{existing.term}” already "
            "has: edit that definition instead, or name the new term differently"
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


# --- measurable rules ---------------------------------------------------------------------


@dataclass(frozen=True)
class Clause:
    """One understood clause of a rule."""

    text: str  # as written
    kind: str  # "score" | "company_email" | "not_rejected_for" | "equals"
    field: str | None = None  # the lead column compared
    op: str | None = None  # for "score": one of >=, >, <=, <, =
    value: int | str | tuple[str, ...] | None = None

    @property
    def label(self) -> str:
        """The clause in words, e.g. "score ≥ 60"."""
        if self.kind == "score":
            return f"score {_OP_LABELS[self.op]} {self.value}"
        if self.kind == "company_email":
            return "company e-mail (not a free-mail domain)"
        if self.kind == "not_rejected_for":
            return "not rejected as " + " or ".join(self.value)
        return f"{self.field} is {self.value}"


@dataclass(frozen=True)
class ParsedRule:
    """A rule split into clauses joined by " and ": the understood ones and the rest."""

    text: str
    clauses: tuple[Clause, ...] = ()
    unknown: tuple[str, ...] = ()

    @property
    def measurable(self) -> bool:
        """True when the rule has clauses and the app understands every one of them."""
        return bool(self.clauses) and not self.unknown


_OPS = {">=": ">=", "≥": ">=", "=>": ">=", ">": ">", "<=": "<=", "≤": "<=", "=<": "<="}
_OPS |= {"<": "<", "=": "=", "==": "="}
_OP_LABELS = {">=": "≥", ">": ">", "<=": "≤", "<": "<", "=": "="}
_SCORE = re.compile(r"(?:lead\s+)?score\s*(>=|≥|=>|<=|≤|=<|==|>|<|=)\s*(-?\d+)", re.I)
_COMPANY_EMAIL = re.compile(r"(?:company|business|work)\s+e-?mail(?:\s+address)?", re.I)
_NOT = re.compile(r"not\s+(.+)", re.I)
_EQUALS = re.compile(r"(" + "|".join(EQUALITY_FIELDS) + r")\s+(?:is|==|=)\s+(.+)", re.I)
_AND = re.compile(r"\s+and\s+", re.I)
_ARTICLE = re.compile(r"^(?:an?|the)\s+", re.I)


def parse_rule(text: str | None) -> ParsedRule:
    """The clauses of a rule such as "score >= 60 and company e-mail and not student/competitor"."""
    source = (text or "").strip()
    if not source:
        return ParsedRule(text="")
    clauses, unknown = [], []
    for part in _AND.split(source):
        clause = _clause(" ".join(part.split()).rstrip(".;"))
        if clause is None:
            unknown.append(part.strip())
        else:
            clauses.append(clause)
    return ParsedRule(text=source, clauses=tuple(clauses), unknown=tuple(unknown))


def _clause(text: str) -> Clause | None:
    if m := _SCORE.fullmatch(text):
        return Clause(text, "score", "score", _OPS[m.group(1)], int(m.group(2)))
    if _COMPANY_EMAIL.fullmatch(text):
        return Clause(text, "company_email", "email")
    if m := _NOT.fullmatch(text):
        reasons = [
            _ARTICLE.sub("", r.strip()).lower() for r in re.split(r"/|,|\s+or\s+", m.group(1))
        ]
        if not any(reasons):
            return None
        return Clause(
            text, "not_rejected_for", "rejection_reason", None, tuple(filter(None, reasons))
        )
    if m := _EQUALS.fullmatch(text):
        value = m.group(2).strip().strip("\"'“”‘’").strip()
        return Clause(text, "equals", m.group(1).lower(), None, value) if value else None
    return None


def rule_condition(rule: ParsedRule) -> ColumnElement[bool]:
    """The SQL condition (on ``lead``) that a lead meets the rule; never NULL, so it negates.

    Raises InvalidInput for a rule that is not measurable.
    """
    if not rule.measurable:
        what = ", ".join(f"“{u}”" for u in rule.unknown) or "it is empty"
        raise InvalidInput(f"the rule cannot be measured: not understood: {what}")
    return and_(*(_condition(c) for c in rule.clauses))


def _condition(clause: Clause) -> ColumnElement[bool]:
    t = Lead.__table__.c
    if clause.kind == "score":
        compare = {
            ">=": t.score >= clause.value,
            ">": t.score > clause.value,
            "<=": t.score <= clause.value,
            "<": t.score < clause.value,
            "=": t.score == clause.value,
        }[clause.op]
        return and_(t.score.is_not(None), compare)
    if clause.kind == "company_email":
        email = func.lower(func.trim(func.coalesce(t.email, "")))
        free = [email.like(f"%@{domain}") for domain in FREE_MAIL_DOMAINS]
        return and_(email.like("%_@_%"), not_(or_(*free)))
    if clause.kind == "not_rejected_for":
        # a lead stores the reason's key; the words match its label (or the key itself)
        stored = func.coalesce(t.rejection_reason, "")
        listed = RejectionReason.__table__.c
        matches = []
        for word in clause.value:
            pattern = func.lower(literal(f"%{_like_escaped(word)}%"))
            labelled = sa_select(listed.key).where(
                func.lower(listed.label).like(pattern, escape="/")
            )
            matches += [func.lower(stored).like(pattern, escape="/"), stored.in_(labelled)]
        return not_(or_(*matches))
    column = getattr(t, clause.field)
    return func.lower(func.trim(func.coalesce(column, ""))) == func.lower(literal(clause.value))


def _like_escaped(text: str) -> str:
    return text.replace("/", "//").replace("%", "/%").replace("_", "/_")


@dataclass(frozen=True)
class RuleCount:
    """How a rule fares against the leads created from ``month_start`` through ``as_of``.

    The counts are None when the rule is not measurable (``rule.unknown`` says why).
    """

    parsed: ParsedRule
    month_start: date
    as_of: date
    leads: int | None = None
    meeting: int | None = None  # leads that meet the rule
    mqls: int | None = None  # leads that became MQLs by the end of ``as_of``
    mqls_not_meeting: int | None = None  # MQLs that do not meet the rule

    @property
    def measurable(self) -> bool:
        """True when the rule could be counted."""
        return self.parsed.measurable

    @property
    def unknown(self) -> tuple[str, ...]:
        """The clauses of the rule the app does not understand."""
        return self.parsed.unknown

    @property
    def mqls_meeting(self) -> int | None:
        """MQLs that meet the rule."""
        if self.mqls is None or self.mqls_not_meeting is None:
            return None
        return self.mqls - self.mqls_not_meeting


def rule_count(
    session: Session, rule_text: str | None, *, month_start: date, as_of: date
) -> RuleCount:
    """Leads created in the local days ``month_start``..``as_of``, those meeting the rule,
    the MQLs among them (``mql_at`` by the end of ``as_of``) and the MQLs that do not meet it.

    One aggregate query; the rule is checked against each lead's current score, e-mail,
    rejection reason and dimensions.
    """
    cohort = Cohort(month_start, as_of)
    rule = parse_rule(rule_text)
    if not rule.measurable:
        return RuleCount(rule, month_start, as_of)
    t = Lead.__table__.c
    start, end = cohort.window()
    meets = rule_condition(rule)
    is_mql = and_(t.mql_at.is_not(None), t.mql_at < end)
    row = session.execute(
        sa_select(
            func.count().label("leads"),
            func.count(case((meets, 1))).label("meeting"),
            func.count(case((is_mql, 1))).label("mqls"),
            func.count(case((and_(is_mql, not_(meets)), 1))).label("mqls_not_meeting"),
        ).where(t.created_at >= start, t.created_at < end)
    ).one()
    return RuleCount(
        rule,
        month_start,
        as_of,
        leads=row.leads,
        meeting=row.meeting,
        mqls=row.mqls,
        mqls_not_meeting=row.mqls_not_meeting,
    )
