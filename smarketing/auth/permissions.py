"""Who may change what. Every write function calls ``require`` before it writes.

Everyone logged in may read every page; this table only governs changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from smarketing.errors import PermissionDenied
from smarketing.i18n import N_, _, pgettext
from smarketing.store.models import Role

A, M, S, L = Role.admin, Role.marketing, Role.sales, Role.leadership


def role_label(role: str) -> str:
    """A role's name as people read it in running text, in the language speaking now
    ('admin', 'marketing'; the stored value stays the English name; an unknown role as it
    is stored)."""
    labels = {
        Role.admin.value: pgettext("role", "admin"),
        Role.marketing.value: pgettext("role", "marketing"),
        Role.sales.value: pgettext("role", "sales"),
        Role.leadership.value: pgettext("role", "leadership"),
    }
    return labels.get(str(role), str(role))


def role_labels(roles) -> str:
    """Several roles as people read them: 'admin, sales'."""
    return ", ".join(role_label(r) for r in roles)


#: action -> (roles allowed, what it means for a person). The README's table is built from this.
PERMISSIONS: dict[str, tuple[frozenset[Role], str]] = {
    "users.manage": (
        frozenset({A}),
        N_("add users, change roles, reset passwords, disable, end sessions, clear failed logins"),
    ),
    "audit.read": (frozenset({A}), N_("read the audit log")),
    "tokens.manage": (frozenset({A}), N_("add and revoke the API tokens of event senders")),
    "notify.manage": (
        frozenset({A}),
        N_("see every notification, resend one, set the team channels and anyone's preferences"),
    ),
    "demo.manage": (frozenset({A}), N_("write or clear the demo company")),
    "import.run": (frozenset({A, M}), N_("import CRM exports")),
    "sources.manage": (
        frozenset({A}),
        N_("add and change CRM data sources, their mapping and schedule; run a sync"),
    ),
    "sla.propose": (frozenset({A, L}), N_("propose a new SLA agreement version")),
    "sla.confirm_marketing": (frozenset({M}), N_("confirm an SLA version for marketing")),
    "sla.confirm_sales": (frozenset({S}), N_("confirm an SLA version for sales")),
    "sla.record_cause": (frozenset({A, M, S, L}), N_('record a "why?" for a red metric')),
    "lead.verdict": (frozenset({A, S}), N_("accept or reject an MQL")),
    "lead.contact": (frozenset({A, S}), N_("record a first contact or contact attempt")),
    "definition.edit_marketing": (frozenset({A, M}), N_("edit marketing-owned definitions")),
    "definition.edit_sales": (frozenset({A, S}), N_("edit sales-owned definitions")),
    "definition.edit_both": (frozenset({A}), N_("edit definitions owned by both teams")),
    "persona.edit": (frozenset({A, M}), N_("edit and archive personas")),
    "campaign.edit": (frozenset({A, M}), N_("write and publish campaign briefs")),
    "meeting.run": (frozenset({A, M, S, L}), N_("start meetings, write notes, decisions, actions")),
    "meeting.correct_closed": (frozenset({A}), N_("correct a closed meeting (audited)")),
    "action.update": (frozenset({A, M, S, L}), N_("update the status of agreed actions")),
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
    who = role_labels(r.value for r in Role if r in roles)
    mine = (
        role_labels(r.value for r in Role if r.value in actor.roles)
        if actor and actor.roles
        else _("none")
    )
    return _("Only {roles} may {what} (your roles: {mine}).").format(
        roles=who, what=_(meaning), mine=mine
    )


def require(actor: Actor | None, action: str) -> None:
    """Raise PermissionDenied unless the actor may perform the action."""
    reason = refusal(actor, action)
    if reason is not None:
        raise PermissionDenied(reason)


def permission_table() -> list[dict[str, str]]:
    """Rows of (what, and a yes/blank per role) for the README (in English: the message
    ids); the Admin page translates them where it shows them."""
    rows = []
    for action, (roles, meaning) in PERMISSIONS.items():
        row = {"action": action, "what": meaning}
        for role in Role:
            row[role.value] = "yes" if role in roles else ""
        rows.append(row)
    return rows
