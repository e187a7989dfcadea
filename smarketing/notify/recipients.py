"""Who a rule's message goes to: the person a lead's owner names, the team that owns a
metric, the app's pages to link to.

A lead stores its owner by name — a CRM sync writes the name of the user whose e-mail is
the CRM owner's (``data_in.sync``), an import writes what the file says — so the owner is
matched to one enabled user by name, else by username, else by e-mail (without case); no
owner, an unknown one, a name two users share or a disabled user's leads go to the sales
team's channel (``team:sales``).

Each message is written in its recipient's language (``language_for``): a person's saved
choice (``auth.users.language_of``), a team's the app default; a rule builds it inside
``i18n.language(...)`` and the message keeps the language (``Message.language``) for the
channel's own words around it.
"""

from __future__ import annotations

from urllib.parse import urlencode

from sqlmodel import Session, func, select

from smarketing import config
from smarketing.auth.users import language_of
from smarketing.notify.preferences import TEAM_PREFIX
from smarketing.store.models import User

SALES_TEAM = f"{TEAM_PREFIX}sales"
MARKETING_TEAM = f"{TEAM_PREFIX}marketing"
#: A metric's side (``sla.metrics.MetricDef.side``) -> the teams that own it.
TEAMS_OF_SIDE = {
    "marketing": (MARKETING_TEAM,),
    "sales": (SALES_TEAM,),
    "both": (MARKETING_TEAM, SALES_TEAM),
}
#: The pages a message links to (their address under the app's public URL).
LEADS_PATH = "/leads"
SLA_PATH = "/sla"
ACTIONS_PATH = "/actions"
#: The Leads page opens the lead named by this query parameter.
LEAD_PARAM = "lead"


def owner_username(session: Session, owner: str | None) -> str | None:
    """The enabled user a lead's ``owner`` names (by name, else username, else e-mail,
    without case), or None when none or more than one does."""
    wanted = " ".join((owner or "").split()).lower()
    if not wanted:
        return None
    for column in (User.name, User.username, User.email):
        found = session.exec(
            select(User.username).where(
                func.lower(func.trim(column)) == wanted,
                User.disabled == False,  # noqa: E712
            )
        ).all()
        if len(found) == 1:
            return found[0]
        if found:
            return None  # a name two people share: the team decides
    return None


def lead_owner(session: Session, owner: str | None) -> str:
    """Where a message about a lead goes: its owner's username, else ``team:sales``."""
    return owner_username(session, owner) or SALES_TEAM


def language_for(session: Session, recipient: str) -> str | None:
    """The language ``recipient``'s messages are written in: a person's saved choice
    (``users.language_of``), None — the app default — for a team or a person who never
    chose (build the message inside ``i18n.language(language_for(...))``)."""
    if recipient.startswith(TEAM_PREFIX):
        return None
    return language_of(session, recipient)


def page_url(path: str, **params: object) -> str | None:
    """The address of one of the app's pages (SMARKETING_PUBLIC_URL + ``path``, with the
    query ``params``), or None when the public URL is not set."""
    base = config.public_url()
    if not base:
        return None
    query = urlencode({k: str(v) for k, v in params.items() if v is not None})
    return f"{base}{path}" + (f"?{query}" if query else "")


def lead_url(lead_id: int) -> str | None:
    """The lead's profile: the Leads page with the lead opened (``/leads?lead=ID``)."""
    return page_url(LEADS_PATH, **{LEAD_PARAM: int(lead_id)})
