"""Sales' side of the closed loop: verdicts on MQLs, first contacts and contact attempts.

Every verdict is a new :class:`~smarketing.models.Verdict` row (the history is kept);
the lead's ``accepted_at`` / ``rejected_at`` / ``rejection_reason`` mirror the newest one.
A contact is a sales :class:`~smarketing.models.LeadActivity`; a successful one at or
after ``mql_at`` may become the lead's ``first_contact_at``.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlmodel import Session, col, select

from smarketing import formatting
from smarketing.auth import audit
from smarketing.auth.permissions import Actor, require
from smarketing.errors import InvalidInput, NotFound
from smarketing.i18n import N_, _
from smarketing.quality import reasons
from smarketing.store.db import bump_data_version
from smarketing.store.models import (
    SALES_ACTIVITY_KINDS,
    Lead,
    LeadActivity,
    LeadChange,
    Verdict,
    VerdictKind,
    utcnow,
)

#: The reason that only means something with a comment saying what it was.
OTHER_REASON = reasons.OTHER
REASON_MAX = 100  # Verdict.reason / Lead.rejection_reason column length
DETAIL_MAX = 500  # LeadActivity.detail column length
ATTEMPT_PREFIX = "Attempt: "
CONTACT_KINDS = tuple(k.value for k in SALES_ACTIVITY_KINDS)
#: The verdicts as people read them (the stored values stay 'accepted' / 'rejected').
VERDICT_LABELS = {
    VerdictKind.accepted.value: N_("Accepted"),
    VerdictKind.rejected.value: N_("Rejected"),
}


def verdict_label(verdict: str | None) -> str | None:
    """A stored verdict ('accepted') as people read it ('Accepted', nb 'Godtatt'); None
    stays None, an unknown value is shown as it is."""
    if verdict is None:
        return None
    label = VERDICT_LABELS.get(verdict)
    return _(label) if label else verdict


# --- verdicts -----------------------------------------------------------------------------


def _aware(moment: datetime | None, what: str) -> datetime:
    if moment is None:
        return utcnow()
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise InvalidInput(f"the {what} needs a timezone (got {moment.isoformat()})")
    return moment.astimezone(UTC)


def _lead(session: Session, lead_id: int) -> Lead:
    lead = session.get(Lead, lead_id)
    if lead is None:
        raise NotFound(_("there is no lead with id {id}").format(id=lead_id))
    return lead


def _newest_verdict(session: Session, lead_id: int) -> Verdict | None:
    return session.exec(
        select(Verdict)
        .where(Verdict.lead_id == lead_id)
        .order_by(col(Verdict.decided_at).desc(), col(Verdict.id).desc())
    ).first()


def _reason_key(session: Session, reason: str | None) -> str:
    """The key of the reason given for a rejection: a key or a label of the list sales
    picks from, stored or as people read it (case, spaces and punctuation forgiven)."""
    allowed = reasons.choices(session)
    shown = [reasons.Reason(r.key, reasons.display_label(r.key, r.label)) for r in allowed]
    listed = ", ".join(r.label for r in shown)
    if not " ".join((reason or "").split()):
        raise InvalidInput(
            _("a rejection needs a reason: choose one of {reasons}").format(reasons=listed)
        )
    key = reasons.match(reason, allowed) or reasons.match(reason, shown)
    if key is None:
        other = reasons.match(reason, reasons.reasons(session))
        if other in reasons.NOT_PICKABLE:
            message = _(
                "{reason} is set by imports when the CRM gives no reason, not picked: "
                "choose one of {reasons}"
            )
        elif other is not None:
            message = _(
                "{reason} is no longer offered as a rejection reason: choose one of {reasons}"
            )
        else:
            message = _("{reason} is not a rejection reason: choose one of {reasons}")
        raise InvalidInput(message.format(reason=repr(reason), reasons=listed))
    return key


def record_verdict(
    session: Session,
    *,
    actor: Actor,
    lead_id: int,
    verdict: str,
    reason: str | None,
    comment: str = "",
    now: datetime | None = None,
) -> Verdict:
    """Accept or reject an MQL (sales, admin). A rejection needs a reason from the list
    (its key or label; "Other" also a comment) and stores the reason's key; an accepted
    verdict keeps no reason. Repeating the current verdict unchanged is refused; a
    different one is stored as a new row."""
    require(actor, "lead.verdict")
    try:
        kind = VerdictKind(verdict)
    except ValueError:
        raise InvalidInput(
            _("a verdict is 'accepted' or 'rejected' (got {verdict})").format(verdict=repr(verdict))
        ) from None
    lead = _lead(session, lead_id)
    if lead.mql_at is None:
        raise InvalidInput(
            _("lead {id} is not an MQL yet: sales gives a verdict on MQLs only").format(id=lead_id)
        )
    comment = (comment or "").strip()
    if kind is VerdictKind.rejected:
        reason = _reason_key(session, reason)
        if reason == OTHER_REASON and not comment:
            other = reasons.labels(session).get(OTHER_REASON, _("Other"))
            raise InvalidInput(
                _("with the reason {reason}, say in the comment what it was").format(
                    reason=repr(other)
                )
            )
    else:
        reason = None
    decided_at = _aware(now, "verdict's time")
    current = _newest_verdict(session, lead_id)
    if current is not None and current.verdict == kind.value and current.reason == reason:
        label = reasons.label_of(reason, reasons.labels(session))
        said = verdict_label(kind.value).lower() + (f" ({label})" if label else "")
        raise InvalidInput(
            _("lead {id} is already {state} by {person} on {day}: nothing to change").format(
                id=lead_id,
                state=said,
                person=current.decided_by,
                day=formatting.day(current.decided_at.date()),
            )
        )
    row = Verdict(
        lead_id=lead_id,
        verdict=kind.value,
        reason=reason,
        comment=comment,
        decided_by=actor.username,
        decided_at=decided_at,
    )  # a person's verdict, never demo data (on a demo lead it still goes with the lead)
    session.add(row)
    session.flush()
    # read again (a verdict another person committed meanwhile counts); a back-dated one
    # does not win
    newest = _newest_verdict(session, lead_id)
    accepted = newest.verdict == VerdictKind.accepted
    lead.accepted_at = newest.decided_at if accepted else None
    lead.rejected_at = None if accepted else newest.decided_at
    lead.rejection_reason = None if accepted else newest.reason
    lead.updated_at = utcnow()
    session.add(lead)
    audit.record(
        session,
        actor.username,
        "lead.verdict",
        "lead",
        lead_id,
        verdict=kind.value,
        reason=reason,
        comment=comment,
        previous=None if current is None else current.verdict,
    )
    bump_data_version(session)
    session.commit()
    return row


# --- contacts -----------------------------------------------------------------------------


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.astimezone(UTC).isoformat()


def record_contact(
    session: Session,
    *,
    actor: Actor,
    lead_id: int,
    kind: str,
    detail: str,
    attempt: bool,
    when: datetime | None = None,
) -> LeadActivity:
    """Record a call, e-mail or meeting with a lead (sales, admin). A contact that reached
    the lead (not an attempt) at or after ``mql_at`` becomes ``first_contact_at`` when
    that is empty, earlier than ``mql_at`` (no response to the MQL) or later."""
    require(actor, "lead.contact")
    if kind not in CONTACT_KINDS:
        raise InvalidInput(
            _("a contact is one of {kinds} (got {kind})").format(
                kinds=", ".join(CONTACT_KINDS), kind=repr(kind)
            )
        )
    lead = _lead(session, lead_id)
    at = _aware(when, "contact's time")
    text = " ".join((detail or "").split())
    if attempt:
        text = ATTEMPT_PREFIX + (text or "no answer")
    if len(text) > DETAIL_MAX:
        raise InvalidInput(
            _("the note may be at most {most} characters (got {length})").format(
                most=formatting.count(DETAIL_MAX), length=formatting.count(len(text))
            )
        )
    activity = LeadActivity(
        lead_id=lead_id,
        kind=kind,
        detail=text,
        occurred_at=at,
        actor=actor.username,
    )  # a person's contact, never demo data (on a demo lead it still goes with the lead)
    session.add(activity)
    old = lead.first_contact_at
    counts = not attempt and lead.mql_at is not None and at >= lead.mql_at
    if counts and (old is None or old < lead.mql_at or old > at):
        lead.first_contact_at = at
        session.add(
            LeadChange(
                lead_id=lead_id,
                field="first_contact_at",
                old_value=_iso(old),
                new_value=_iso(at),
                changed_by=actor.username,
            )
        )
    lead.updated_at = utcnow()
    session.add(lead)
    audit.record(
        session,
        actor.username,
        "lead.contact_attempt" if attempt else "lead.contact",
        "lead",
        lead_id,
        kind=kind,
        at=_iso(at),
        detail=text,
        first_contact=lead.first_contact_at != old,
    )
    bump_data_version(session)
    session.commit()
    return activity
