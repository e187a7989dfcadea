"""The SLA agreement: versioned, proposed by admin/leadership, in effect once both teams confirm."""

from __future__ import annotations

from datetime import date

from pydantic import ValidationError
from sqlalchemy import func
from sqlmodel import Session, col, select

from smarketing.auth import audit
from smarketing.auth.permissions import Actor, require
from smarketing.errors import InvalidInput, NotFound, PermissionDenied
from smarketing.i18n import N_, _
from smarketing.store.adoption import adopt, adopt_all
from smarketing.store.db import bump_data_version
from smarketing.store.models import SlaAgreement, SlaConfirmation, SlaTargets, Team

TARGET_LIMITS = {
    "mql_target": N_("a whole number of MQLs per month, 0 or more"),
    "acceptance_rate_target": N_("a share between 0 and 1 (0.7 = 70 %)"),
    "response_hours": N_("hours, more than 0"),
    "contacted_within_sla_target": N_("a share between 0 and 1"),
    "sql_target": N_("a whole number of SQLs per month, 0 or more"),
    "close_rate_target": N_("a share between 0 and 1"),
    "customer_target": N_("a whole number of customers per month, 0 or more"),
}
#: The states of a version (``agreement_history``'s ``state``: English, shown as ``_(state)``).
IN_EFFECT, AWAITING = N_("in effect"), N_("awaiting confirmation")
#: The two teams that confirm, as a person reads them in a sentence.
TEAM_LABELS = {"marketing": N_("marketing"), "sales": N_("sales")}


def team_label(team: str) -> str:
    """'marketing' / 'sales' in the language speaking."""
    return _(TEAM_LABELS.get(str(team), str(team)))


def checked_targets(values: dict) -> SlaTargets:
    """Validated targets, or InvalidInput naming every wrong field and what it must be."""
    try:
        return SlaTargets.model_validate(values)
    except ValidationError as exc:
        problems = []
        for error in exc.errors():
            field = str(error["loc"][0]) if error["loc"] else "?"
            got = error.get("input", values.get(field))
            limit = _(TARGET_LIMITS[field]) if field in TARGET_LIMITS else _("valid")
            problems.append(
                _("{field} must be {limit} (got {got!r})").format(field=field, limit=limit, got=got)
            )
        raise InvalidInput("; ".join(problems)) from exc


def propose_agreement(
    session: Session, *, actor: Actor, targets: dict, effective_from: date, reason: str
) -> SlaAgreement:
    """Propose a new version (admin or leadership); it takes effect once both teams confirm."""
    require(actor, "sla.propose")
    checked = checked_targets(targets)
    if not reason.strip():
        raise InvalidInput(_("say why the agreement changes (the reason is kept with the version)"))
    latest = session.exec(select(func.max(SlaAgreement.version))).one() or 0
    agreement = SlaAgreement(
        **checked.model_dump(),
        version=latest + 1,
        effective_from=effective_from,
        reason=reason.strip(),
        proposed_by=actor.username,
    )
    session.add(agreement)
    audit.record(
        session,
        actor.username,
        "sla.propose",
        "sla_agreement",
        agreement.version,
        effective_from=effective_from,
        **checked.model_dump(),
    )
    bump_data_version(session)
    session.commit()
    return agreement


def confirm_agreement(session: Session, *, actor: Actor, version: int, team: str) -> SlaAgreement:
    """Confirm a version for one team; with both teams confirmed by two people it is in effect."""
    if team not in (Team.marketing, Team.sales):
        raise InvalidInput(_("confirm for marketing or for sales"))
    require(actor, f"sla.confirm_{team}")
    agreement = session.exec(select(SlaAgreement).where(SlaAgreement.version == version)).first()
    if agreement is None:
        raise NotFound(_("there is no SLA agreement version {version}").format(version=version))
    confirmations = session.exec(
        select(SlaConfirmation).where(SlaConfirmation.agreement_id == agreement.id)
    ).all()
    if any(c.team == team for c in confirmations):
        raise InvalidInput(
            _("version {version} is already confirmed for {team}").format(
                version=version, team=team_label(team)
            )
        )
    if any(c.username == actor.username for c in confirmations):
        raise PermissionDenied(_("the two sides must be confirmed by two different people"))
    # a person's confirmation makes a demo version (and its confirmations) the team's own
    adopt(session, agreement)
    adopt_all(session, SlaConfirmation, SlaConfirmation.agreement_id == agreement.id)
    session.add(SlaConfirmation(agreement_id=agreement.id, team=team, username=actor.username))
    if len(confirmations) == 1:
        agreement.in_effect = True
        session.add(agreement)
        bump_data_version(session)
    audit.record(session, actor.username, f"sla.confirm_{team}", "sla_agreement", version)
    session.commit()
    return agreement


def agreement_for(session: Session, day: date) -> SlaAgreement | None:
    """The agreement in effect on ``day``: the confirmed version with the latest start ≤ day."""
    return session.exec(
        select(SlaAgreement)
        .where(SlaAgreement.in_effect == True, SlaAgreement.effective_from <= day)  # noqa: E712
        .order_by(col(SlaAgreement.effective_from).desc(), col(SlaAgreement.version).desc())
    ).first()


def agreements_for(session: Session, days: list[date]) -> list[SlaAgreement | None]:
    """``agreement_for`` of each day, from one query (the agreements are few)."""
    confirmed = session.exec(
        select(SlaAgreement)
        .where(SlaAgreement.in_effect == True)  # noqa: E712
        .order_by(col(SlaAgreement.effective_from).desc(), col(SlaAgreement.version).desc())
    ).all()
    return [next((a for a in confirmed if a.effective_from <= day), None) for day in days]


def agreement_history(session: Session) -> list[dict]:
    """Every version, newest first, with its targets, who proposed and confirmed it, and
    what changed from the version before."""
    rows = session.exec(select(SlaAgreement).order_by(col(SlaAgreement.version))).all()
    confirmations = session.exec(select(SlaConfirmation)).all()
    by_agreement: dict[int, dict[str, SlaConfirmation]] = {}
    for c in confirmations:
        by_agreement.setdefault(c.agreement_id, {})[c.team] = c
    history, previous = [], None
    for a in rows:
        confirmed = by_agreement.get(a.id, {})
        history.append(
            {
                "version": a.version,
                "effective_from": a.effective_from,
                "state": IN_EFFECT if a.in_effect else AWAITING,
                **{k: getattr(a, k) for k in TARGET_LIMITS},
                "reason": a.reason,
                "proposed_by": a.proposed_by,
                "proposed_at": a.proposed_at,
                "marketing_confirmed": _who(confirmed.get(Team.marketing)),
                "sales_confirmed": _who(confirmed.get(Team.sales)),
                "changes": changes_between(previous, a),
            }
        )
        previous = a
    return history[::-1]


def _who(confirmation: SlaConfirmation | None) -> str | None:
    if confirmation is None:
        return None
    return f"{confirmation.username} ({confirmation.confirmed_at:%Y-%m-%d %H:%M} UTC)"


def changes_between(
    old: SlaAgreement | None, new: SlaAgreement
) -> list[tuple[str, object, object]]:
    """(field, old value, new value) for each target or date that differs."""
    if old is None:
        return []
    fields = ("effective_from", *TARGET_LIMITS)
    return [
        (f, getattr(old, f), getattr(new, f)) for f in fields if getattr(old, f) != getattr(new, f)
    ]


def current_targets(session: Session, day: date) -> dict | None:
    """The targets in effect on ``day`` as a plain dict (a starting point for a new version)."""
    agreement = agreement_for(session, day)
    return None if agreement is None else {k: getattr(agreement, k) for k in TARGET_LIMITS}
