"""A definition's rule (e.g. the MQL rule) made measurable: a rule is a few clauses joined by
" and "; :func:`parse_rule` says which of them the app understands, :func:`rule_condition`
turns them into SQL, and :func:`rule_count` counts this month's leads that meet it, in one
SQL aggregate."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from sqlalchemy import and_, case, func, literal, not_, or_
from sqlalchemy import select as sa_select
from sqlalchemy.sql.expression import ColumnElement
from sqlmodel import Session

from smarketing.errors import InvalidInput
from smarketing.i18n import _
from smarketing.quality.cohorts import Cohort
from smarketing.store.models import Lead, RejectionReason

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
            return _("score {op} {value}").format(op=_OP_LABELS[self.op], value=self.value)
        if self.kind == "company_email":
            return _("company e-mail (not a free-mail domain)")
        if self.kind == "not_rejected_for":
            return _("not rejected as {reasons}").format(reasons=_(" or ").join(self.value))
        return _("{field} is {value}").format(field=self.field, value=self.value)


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
        what = ", ".join(f"“{u}”" for u in rule.unknown) or _("it is empty")
        raise InvalidInput(
            _("the rule cannot be measured: not understood: {what}").format(what=what)
        )
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
