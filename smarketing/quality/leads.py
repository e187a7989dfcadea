"""The Leads page's data: a filtered, paginated lead list, one lead's detail and timeline.

The list never loads more than one page: filters, ordering, LIMIT/OFFSET and the total
(a separate COUNT) all run in SQL, the same statements on SQLite and PostgreSQL.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import pandas as pd
from sqlalchemy import and_, case, func, not_, or_, select
from sqlmodel import Session

from smarketing.errors import InvalidInput, NotFound
from smarketing.i18n import N_, _
from smarketing.quality.reasons import label_of
from smarketing.quality.reasons import labels as reason_labels
from smarketing.sla.agreements import agreement_for
from smarketing.sla.metrics import FALLBACK_RESPONSE_HOURS
from smarketing.sla.periods import today_local
from smarketing.store import rollup
from smarketing.store.models import (
    SALES_ACTIVITY_KINDS,
    ActivityKind,
    Lead,
    LeadActivity,
    LeadChange,
    Verdict,
)

#: Stages, earliest first; a lead's stage is the furthest one it reached. A verdict
#: (accepted or rejected) sits between MQL and SQL.
LEAD_STAGES = ("lead", "mql", "accepted", "rejected", "sql", "opportunity", "customer")
#: Human names of the stages (LEAD_STAGES) and of the lifecycle fields (LIFECYCLE_FIELDS),
#: in English (the message ids): shown through ``stage_label`` / ``lifecycle_label``.
STAGE_LABELS: dict[str, str] = {
    "lead": N_("Lead"),
    "mql": N_("MQL"),
    "accepted": N_("Accepted by sales"),
    "rejected": N_("Rejected by sales"),
    "sql": N_("SQL"),
    "opportunity": N_("Opportunity"),
    "customer": N_("Customer"),
}
LIFECYCLE_LABELS: dict[str, str] = {
    "created_at": N_("Became a lead"),
    "mql_at": N_("MQL"),
    "accepted_at": N_("Accepted by sales"),
    "rejected_at": N_("Rejected by sales"),
    "first_contact_at": N_("First contact"),
    "sql_at": N_("SQL"),
    "opportunity_at": N_("Opportunity"),
    "customer_at": N_("Customer"),
    "lost_at": N_("Lost"),
}
#: A missing owner/source/campaign/persona, as stored in a frame and chosen in a filter
#: (a value, not a text: ``shown_value`` writes it for people).
NONE_LABEL = "(none)"
#: The breakdown dimensions the list can be filtered by.
FILTER_DIMENSIONS = ("owner", "source", "campaign", "persona")
#: Human names of the activity kinds (English message ids; ``activity_label`` translates).
ACTIVITY_LABELS: dict[str, str] = {
    ActivityKind.page_view: N_("Page view"),
    ActivityKind.download: N_("Download"),
    ActivityKind.form: N_("Form"),
    ActivityKind.email_click: N_("E-mail click"),
    ActivityKind.email: N_("E-mail"),
    ActivityKind.call: N_("Call"),
    ActivityKind.meeting: N_("Meeting"),
}
SALES_KINDS = tuple(k.value for k in SALES_ACTIVITY_KINDS)
MAX_PER_PAGE = 500
#: Lifecycle timestamps of a lead, in lifecycle order.
LIFECYCLE_FIELDS = (
    "created_at",
    "mql_at",
    "accepted_at",
    "rejected_at",
    "first_contact_at",
    "sql_at",
    "opportunity_at",
    "customer_at",
    "lost_at",
)
PAGE_COLUMNS = [
    "id",
    "name",
    "company",
    "email",
    "stage",
    "owner",
    "source",
    "campaign",
    "persona",
    "created_at",
    "mql_at",
    "verdict",
    "first_contact_at",
]
TIMELINE_COLUMNS = ["occurred_at", "kind", "label", "detail", "actor", "sales"]

_T = Lead.__table__.c


def activity_label(kind: str) -> str:
    """The human name of an activity kind in the language speaking ("email_click" ->
    "E-mail click", nb "Klikk i e-post"); an unknown kind as it is, made readable."""
    label = ACTIVITY_LABELS.get(kind)
    return _(label) if label else kind.replace("_", " ").capitalize()


def stage_label(stage: str) -> str:
    """The human name of a stage (LEAD_STAGES) in the language speaking ("accepted" ->
    "Accepted by sales"); an unknown value as it is."""
    label = STAGE_LABELS.get(stage)
    return _(label) if label else stage


def lifecycle_label(field: str) -> str:
    """The human name of a lifecycle field (LIFECYCLE_FIELDS) in the language speaking."""
    label = LIFECYCLE_LABELS.get(field)
    return _(label) if label else field


def shown_value(value: object) -> object:
    """A dimension value (owner, source, campaign, persona) as people read it: "(none)"
    (``NONE_LABEL``) in the language speaking, any other value as it is."""
    # Translators: a missing owner, source, campaign or persona
    return _("(none)") if value == NONE_LABEL else value


def display_name(first_name: str | None, last_name: str | None, lead_id: int | None) -> str:
    """ "First Last", or "#id" for a lead without a name."""
    return f"{first_name or ''} {last_name or ''}".strip() or f"#{lead_id}"


@dataclass(frozen=True)
class LeadFilter:
    """What the lead list shows; None (or False) means "any".

    ``owner``/``source``/``campaign``/``persona`` match exactly; "(none)" matches a lead
    without a value. ``response_hours`` sets the deadline for ``past_contact_deadline``
    (default: the agreement in effect today, else 24 h).
    """

    stage: str | None = None
    owner: str | None = None
    source: str | None = None
    campaign: str | None = None
    persona: str | None = None
    waiting_for_verdict: bool = False
    past_contact_deadline: bool = False
    text: str | None = None
    response_hours: float | None = None


def _verdict_expr():
    """'accepted' / 'rejected' / NULL: the newest verdict's field (the later one if both)."""
    return case(
        (
            and_(
                _T.accepted_at.is_not(None),
                or_(_T.rejected_at.is_(None), _T.accepted_at >= _T.rejected_at),
            ),
            "accepted",
        ),
        (_T.rejected_at.is_not(None), "rejected"),
        else_=None,
    )


def stage_expr():
    """The furthest stage a lead reached, as a SQL expression (LEAD_STAGES)."""
    return case(
        (_T.customer_at.is_not(None), "customer"),
        (_T.opportunity_at.is_not(None), "opportunity"),
        (_T.sql_at.is_not(None), "sql"),
        (_T.accepted_at.is_not(None) | _T.rejected_at.is_not(None), _verdict_expr()),
        (_T.mql_at.is_not(None), "mql"),
        else_="lead",
    )


def _stage_condition(stage: str):
    later = {
        "customer": [],
        "opportunity": [_T.customer_at],
        "sql": [_T.opportunity_at, _T.customer_at],
    }
    after_verdict = [_T.sql_at, _T.opportunity_at, _T.customer_at]
    no_verdict = [_T.accepted_at, _T.rejected_at]
    nothing = [c.is_(None) for c in after_verdict]
    if stage in later:
        own = getattr(_T, f"{stage}_at")
        return and_(own.is_not(None), *[c.is_(None) for c in later[stage]])
    if stage in ("accepted", "rejected"):
        return and_(_verdict_expr() == stage, *nothing)
    if stage == "mql":
        return and_(_T.mql_at.is_not(None), *nothing, *[c.is_(None) for c in no_verdict])
    return and_(_T.mql_at.is_(None), *nothing, *[c.is_(None) for c in no_verdict])


def _dimension_condition(column, value: str):
    if value == NONE_LABEL:
        return or_(column.is_(None), column == "")
    return column == value


def _contacted_by(now: datetime):
    """A first contact at or after ``mql_at`` that had happened by ``now``."""
    return and_(
        _T.first_contact_at.is_not(None),
        _T.first_contact_at >= _T.mql_at,
        _T.first_contact_at <= now,
    )


def response_hours_for(session: Session, now: datetime, hours: float | None = None) -> float:
    """The deadline in hours: ``hours`` if given, else today's agreement's, else 24."""
    if hours is not None:
        if hours <= 0:
            raise InvalidInput(
                _("response hours must be more than 0 (got {hours})").format(hours=repr(hours))
            )
        return float(hours)
    agreement = agreement_for(session, today_local(now))
    return agreement.response_hours if agreement else FALLBACK_RESPONSE_HOURS


#: Between the searched fields, so that a match cannot run from one field into the next.
_SEPARATOR = "\x1f"


def _search_text():
    """ "first last<sep>company<sep>email": one string, one LIKE per row."""
    c = func.coalesce
    return (
        c(_T.first_name, "")
        + " "
        + c(_T.last_name, "")
        + _SEPARATOR
        + c(_T.company, "")
        + _SEPARATOR
        + c(_T.email, "")
    )


def _conditions(session: Session, flt: LeadFilter, now: datetime) -> list:
    out = []
    if flt.stage:
        if flt.stage not in LEAD_STAGES:
            raise InvalidInput(
                _("unknown stage {stage}: use one of {stages}").format(
                    stage=repr(flt.stage), stages=", ".join(LEAD_STAGES)
                )
            )
        out.append(_stage_condition(flt.stage))
    for name in FILTER_DIMENSIONS:
        value = getattr(flt, name)
        if value is not None and value != "":
            out.append(_dimension_condition(getattr(_T, name), value))
    if flt.waiting_for_verdict:
        out += [_T.mql_at.is_not(None), _T.accepted_at.is_(None), _T.rejected_at.is_(None)]
    if flt.past_contact_deadline:
        hours = response_hours_for(session, now, flt.response_hours)
        out += [_T.mql_at.is_not(None), _T.mql_at <= now - timedelta(hours=hours)]
        out.append(not_(_contacted_by(now)))
    text = (flt.text or "").strip()
    if text:
        match = func.lower(_search_text()).contains(text.lower(), autoescape=True)
        if not text.isascii():  # SQLite's lower() folds ASCII only: also match as typed
            match = or_(match, _search_text().contains(text, autoescape=True))
        out.append(match)
    return out


def lead_page(
    session: Session, flt: LeadFilter, *, page: int, per_page: int = 50, now: datetime
) -> tuple[pd.DataFrame, int]:
    """One page (1-based) of the filtered leads, newest first, and how many match in all."""
    if page < 1:
        raise InvalidInput(_("page numbers start at 1 (got {page})").format(page=page))
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise InvalidInput(
            _("rows per page must be 1 to {most} (got {per_page})").format(
                most=MAX_PER_PAGE, per_page=per_page
            )
        )
    where = _conditions(session, flt, now)
    total = session.execute(select(func.count()).select_from(Lead).where(*where)).scalar_one()
    rows = session.execute(
        select(
            _T.id,
            _T.first_name,
            _T.last_name,
            _T.company,
            _T.email,
            stage_expr().label("stage"),
            _T.owner,
            _T.source,
            _T.campaign,
            _T.persona,
            _T.created_at,
            _T.mql_at,
            _verdict_expr().label("verdict"),
            _T.first_contact_at,
        )
        .where(*where)
        .order_by(_T.created_at.desc(), _T.id.desc())
        .limit(per_page)
        .offset((page - 1) * per_page)
    ).all()
    frame = pd.DataFrame(
        [
            {
                "id": r.id,
                "name": display_name(r.first_name, r.last_name, r.id),
                "company": r.company,
                "email": r.email,
                "stage": r.stage,
                **{d: getattr(r, d) or NONE_LABEL for d in FILTER_DIMENSIONS},
                "created_at": r.created_at,
                "mql_at": r.mql_at,
                "verdict": r.verdict,
                "first_contact_at": r.first_contact_at,
            }
            for r in rows
        ],
        columns=PAGE_COLUMNS,
    )
    for column in ("created_at", "mql_at", "first_contact_at"):
        frame[column] = pd.to_datetime(frame[column], utc=True)
    return frame, int(total)


def filter_options(session: Session) -> dict[str, list[str]]:
    """The values to choose from per dimension, sorted, "(none)" last when some lead lacks
    one: read from the rollups where they are built (``rollup.dimension_values``: a DISTINCT
    on ``lead`` read every lead, 45 ms a dimension at 100k leads on PostgreSQL)."""
    out = {}
    for name in FILTER_DIMENSIONS:
        values = rollup.dimension_values(session.connection(), name)
        if values is None:
            values = session.execute(select(getattr(_T, name)).distinct()).scalars().all()
        present = sorted({v for v in values if v}, key=str.lower)
        out[name] = present + ([NONE_LABEL] if any(not v for v in values) else [])
    return out


def lead_detail(session: Session, lead_id: int) -> dict:
    """Profile, lifecycle timestamps, stage and verdict, the verdict history and the
    stage-change history (both newest first) of one lead. Reasons are their labels."""
    lead = session.get(Lead, lead_id)
    if lead is None:
        raise NotFound(_("there is no lead with id {id}").format(id=lead_id))
    stage, verdict = session.execute(
        select(stage_expr(), _verdict_expr()).where(_T.id == lead_id)
    ).one()
    verdicts = session.execute(
        select(Verdict)
        .where(Verdict.lead_id == lead_id)
        .order_by(Verdict.decided_at.desc(), Verdict.id.desc())
    ).scalars()
    known = reason_labels(session)
    changes = session.execute(
        select(LeadChange)
        .where(LeadChange.lead_id == lead_id)
        .order_by(LeadChange.changed_at.desc(), LeadChange.id.desc())
    ).scalars()
    return {
        "id": lead.id,
        "name": display_name(lead.first_name, lead.last_name, lead.id),
        "first_name": lead.first_name,
        "last_name": lead.last_name,
        "email": lead.email,
        "company": lead.company,
        "title": lead.title,
        "owner": lead.owner or NONE_LABEL,
        "source": lead.source or NONE_LABEL,
        "campaign": lead.campaign or NONE_LABEL,
        "persona": lead.persona or NONE_LABEL,
        "segment": lead.segment or NONE_LABEL,
        "first_conversion": lead.first_conversion or NONE_LABEL,
        "score": lead.score,
        "deal_value": lead.deal_value,
        "source_system": lead.source_system,
        "external_id": lead.external_id,
        "is_demo": lead.is_demo,
        "stage": stage,
        "verdict": verdict,
        "rejection_reason": label_of(lead.rejection_reason, known)
        if verdict == "rejected"
        else None,
        "is_mql": lead.mql_at is not None,
        "lifecycle": {f: getattr(lead, f) for f in LIFECYCLE_FIELDS},
        "verdicts": [
            {
                "verdict": v.verdict,
                "reason": label_of(v.reason, known),
                "comment": v.comment,
                "decided_by": v.decided_by,
                "decided_at": v.decided_at,
            }
            for v in verdicts
        ],
        "changes": [
            {
                "field": c.field,
                "old_value": c.old_value,
                "new_value": c.new_value,
                "changed_at": c.changed_at,
                "changed_by": c.changed_by,
            }
            for c in changes
        ],
    }


def timeline(session: Session, lead_id: int, *, limit: int = 500) -> pd.DataFrame:
    """The lead's newest ``limit`` activities, oldest first (one indexed range read)."""
    if session.get(Lead, lead_id) is None:
        raise NotFound(_("there is no lead with id {id}").format(id=lead_id))
    a = LeadActivity.__table__.c
    rows = session.execute(
        select(a.occurred_at, a.kind, a.detail, a.actor)
        .where(a.lead_id == lead_id)
        .order_by(a.occurred_at.desc(), a.id.desc())
        .limit(limit)
    ).all()
    frame = pd.DataFrame(
        [
            {
                "occurred_at": r.occurred_at,
                "kind": r.kind,
                "label": activity_label(r.kind),
                "detail": r.detail,
                "actor": r.actor,
                "sales": r.kind in SALES_KINDS,
            }
            for r in reversed(rows)
        ],
        columns=TIMELINE_COLUMNS,
    )
    frame["occurred_at"] = pd.to_datetime(frame["occurred_at"], utc=True)
    frame["sales"] = frame["sales"].astype(bool)
    return frame
