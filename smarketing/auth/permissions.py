"""Who may change what. Every write function calls ``require`` before it writes.

Everyone logged in may read every page; this table only governs changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from smarketing.errors import PermissionDenied
from smarketing.store.models import Role

A, M, S, L = Role.admin, Role.marketing, Role.sales, Role.leadership

#: action -> (roles allowed, what it means for a person). The README's table is built from this.
PERMISSIONS: dict[str, tuple[frozenset[Role], str]] = {
    "users.manage": (
        frozenset({A}),
        "add users, change roles, reset passwords, disable, end sessions, clear failed logins",
    ),
    "audit.read": (frozenset({A}), "read the audit log"),
    "tokens.manage": (frozenset({A}), "add and revoke the API tokens of event senders"),
    "notify.manage": (
        frozenset({A}),
        "see every notification, resend one, set the team channels and anyone's preferences",
    ),
    "demo.manage": (frozenset({A}), "write or clear the demo company"),
    "import.run": (frozenset({A, M}), "import CRM exports"),
    "sources.manage": (
        frozenset({A}),
        "add and change CRM data sources, their mapping and schedule; run a sync",
    ),
    "sla.propose": (frozenset({A, L}), "propose a new SLA agreement version"),
    "sla.confirm_marketing": (frozenset({M}), "confirm an SLA version for marketing"),
    "sla.confirm_sales": (frozenset({S}), "confirm an SLA version for sales"),
    "sla.record_cause": (frozenset({A, M, S, L}), 'record a "why?" for a red metric'),
    "lead.verdict": (frozenset({A, S}), "accept or reject an MQL"),
    "lead.contact": (frozenset({A, S}), "record a first contact or contact attempt"),
    "definition.edit_marketing": (frozenset({A, M}), "edit marketing-owned definitions"),
    "definition.edit_sales": (frozenset({A, S}), "edit sales-owned definitions"),
    "definition.edit_both": (frozenset({A}), "edit definitions owned by both teams"),
    "persona.edit": (frozenset({A, M}), "edit and archive personas"),
    "campaign.edit": (frozenset({A, M}), "write and publish campaign briefs"),
    "meeting.run": (frozenset({A, M, S, L}), "start meetings, write notes, decisions, actions"),
    "meeting.correct_closed": (frozenset({A}), "correct a closed meeting (audited)"),
    "action.update": (frozenset({A, M, S, L}), "update the status of agreed actions"),
}


@dataclass(frozen=True)
class Actor:
    """The person (or the CLI) making a change."""

    username: str
    roles: frozenset[str] = field(default_factory=frozenset)

    @classmethod
    def of(cls, username: str, roles) -> Actor:
        """An actor from a username and an iterable of role names."""
        return cls(username=username, roles=frozenset(str(r) for r in (roles or ())))


#: The command line runs with the rights of whoever can open the database file.
CLI_ACTOR = Actor(username="cli", roles=frozenset({Role.admin.value}))
#: The app itself, writing the demo company into a never-used database at first start.
SYSTEM_ACTOR = Actor(username="system", roles=frozenset({Role.admin.value}))


def allowed(actor: Actor | None, action: str) -> bool:
    """True when one of the actor's roles may perform the action."""
    if action not in PERMISSIONS:
        raise KeyError(f"unknown action {action!r}")
    if actor is None:
        return False
    return bool(actor.roles & {r.value for r in PERMISSIONS[action][0]})


def refusal(actor: Actor | None, action: str) -> str | None:
    """Why the actor may not perform the action (None when they may): which roles may."""
    if allowed(actor, action):
        return None
    roles, meaning = PERMISSIONS[action]
    who = ", ".join(sorted(r.value for r in roles))
    mine = ", ".join(sorted(actor.roles)) if actor and actor.roles else "none"
    return f"Only {who} may {meaning} (your roles: {mine})."


def require(actor: Actor | None, action: str) -> None:
    """Raise PermissionDenied unless the actor may perform the action."""
    reason = refusal(actor, action)
    if reason is not None:
        raise PermissionDenied(reason)


def permission_table() -> list[dict[str, str]]:
    """Rows of (what, and a yes/blank per role) for the README and the Admin page."""
    rows = []
    for action, (roles, meaning) in PERMISSIONS.items():
        row = {"action": action, "what": meaning}
        for role in Role:
            row[role.value] = "yes" if role in roles else ""
        rows.append(row)
    return rows
