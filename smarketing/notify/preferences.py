"""Who gets which notification, where and when: each person's choice ("My notifications"),
the defaults of their roles until they save one, quiet hours, and the team channels an
admin sets.

A person gets only the kinds they chose (or their roles' defaults), on one channel: e-mail
(to the account's e-mail unless they give another), Slack or Teams (an incoming-webhook
URL), or a generic JSON webhook. Quiet hours (default 20:00–07:00 in the business timezone)
delay their messages to the end of the quiet hours, never drop them. Messages to a team
(``team:sales``, ``team:marketing``, ``team:leadership``) go to the channel an admin set for
it, with no quiet hours.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from urllib.parse import urlsplit

from sqlmodel import Session, select

from smarketing import config
from smarketing.auth import audit
from smarketing.auth.permissions import Actor, allowed, require
from smarketing.auth.users import EMAIL_RE
from smarketing.errors import InvalidInput, NotFound
from smarketing.i18n import N_, _
from smarketing.store.models import NotifyPreference, Role, TeamChannel, User, utcnow

#: kind -> what a person reads on "My notifications" (the kinds of ``Message``).
KINDS: dict[str, str] = {
    "hot_lead": N_("Hot leads (a lead of mine came back)"),
    "contact_deadline": N_("Contact deadlines (an MQL of mine is due for first contact)"),
    "sla_at_risk": N_("SLA at risk (my team's metric is forecast below target)"),
    "action_due": N_("Actions due tomorrow"),
    "action_overdue": N_("Actions overdue"),
    "action_digest": N_("Weekly digest of my open actions"),
    "pre_read": N_("Meeting pre-read"),
    "minutes": N_("Meeting minutes"),
}
#: The kinds everyone gets until they choose.
EVERYONE = frozenset({"action_due", "action_overdue", "action_digest", "pre_read", "minutes"})
#: role -> the kinds that role adds to EVERYONE's defaults.
ROLE_DEFAULTS: dict[str, frozenset[str]] = {
    Role.sales.value: frozenset({"hot_lead", "contact_deadline"}),
    Role.marketing.value: frozenset({"sla_at_risk"}),
    Role.leadership.value: frozenset(),
    Role.admin.value: frozenset(),
}
#: channel -> its label.
CHANNELS: dict[str, str] = {
    "email": N_("E-mail"),
    "slack": N_("Slack (incoming webhook)"),
    "teams": N_("Microsoft Teams (incoming webhook)"),
    "webhook": N_("Webhook (JSON POST)"),
}
#: The teams a message can go to (``team:NAME``).
TEAMS = ("sales", "marketing", "leadership")
TEAM_PREFIX = "team:"
#: Quiet hours until a person chooses, local time in the business timezone.
DEFAULT_QUIET = (time(20, 0), time(7, 0))
#: The address of "My notifications" under the app's public URL.
SETTINGS_PATH = "/notifications"


def kind_label(kind: str) -> str:
    """A kind as a person reads it, in the language speaking ('test' and unknown kinds as
    they are)."""
    return _(KINDS[kind]) if kind in KINDS else kind


def channel_label(channel: str) -> str:
    """A channel as a person reads it, in the language speaking."""
    return _(CHANNELS[channel]) if channel in CHANNELS else channel


def settings_url() -> str | None:
    """The link to "My notifications" (an e-mail's List-Unsubscribe), when the app's
    public URL is set (SMARKETING_PUBLIC_URL); None otherwise."""
    base = config.public_url()
    return f"{base}{SETTINGS_PATH}" if base else None


@dataclass(frozen=True)
class Preference:
    """What applies to one person now: ``saved`` False while their roles' defaults apply;
    ``address`` None with e-mail means the account's e-mail (``email``)."""

    username: str
    kinds: frozenset[str]
    channel: str
    address: str | None
    quiet_start: time | None
    quiet_end: time | None
    saved: bool
    email: str = ""
    disabled: bool = False

    @property
    def resolved_address(self) -> str | None:
        """Where a message goes: the address given, or the account's e-mail for e-mail."""
        if self.address:
            return self.address
        return self.email or None if self.channel == "email" else None

    def wants(self, kind: str) -> bool:
        """True when the person gets ``kind`` (a test always)."""
        return kind == "test" or kind in self.kinds


@dataclass(frozen=True)
class Route:
    """Where one recipient's message goes: channel and address (None: nowhere, ``why``
    says why), or ``opted_out`` when the person does not get this kind."""

    recipient: str
    channel: str
    address: str | None
    opted_out: bool = False
    why: str = ""
    quiet: tuple[time, time] | None = None


def role_defaults(roles) -> frozenset[str]:
    """The kinds a person with ``roles`` gets until they choose: everyone's, plus each
    role's (sales: hot leads and deadlines; marketing: SLA at risk)."""
    kinds = set(EVERYONE)
    for role in roles or ():
        kinds |= ROLE_DEFAULTS.get(str(role), frozenset())
    return frozenset(kinds)


def _hhmm(text: str | None) -> time | None:
    return time.fromisoformat(text) if text else None


def preference(session: Session, username: str) -> Preference:
    """What applies to ``username`` now (their saved choice, else their roles' defaults)."""
    user = session.exec(select(User).where(User.username == username)).first()
    if user is None:
        raise NotFound(_("no user named {name}").format(name=repr(username)))
    row = session.get(NotifyPreference, username)
    if row is None:
        start, end = DEFAULT_QUIET
        return Preference(
            username=username,
            kinds=role_defaults(user.role_list),
            channel="email",
            address=None,
            quiet_start=start,
            quiet_end=end,
            saved=False,
            email=user.email,
            disabled=user.disabled,
        )
    return Preference(
        username=username,
        kinds=frozenset(k for k in row.kinds.split(",") if k),
        channel=row.channel,
        address=row.address,
        quiet_start=_hhmm(row.quiet_start),
        quiet_end=_hhmm(row.quiet_end),
        saved=True,
        email=user.email,
        disabled=user.disabled,
    )


def address_problem(channel: str, address: str | None) -> str | None:
    """What is wrong with ``address`` for ``channel`` (None when fine; an empty e-mail
    address means the account's e-mail)."""
    if channel not in CHANNELS:
        return _("unknown channel {channel}: one of {channels}").format(
            channel=repr(channel), channels=", ".join(CHANNELS)
        )
    address = (address or "").strip()
    if channel == "email":
        if address and not EMAIL_RE.match(address):
            return _("{address} is not an e-mail address").format(address=repr(address))
        return None
    if not address:
        return _("give the {channel} URL").format(channel=channel_label(channel))
    parts = urlsplit(address)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return _("the {channel} address must be an https:// URL").format(
            channel=channel_label(channel)
        )
    return None


def address_label(channel: str, address: str | None) -> str:
    """An address as pages and the CLI show it: an e-mail in full, a webhook's scheme and
    host only (its path is the secret that lets anyone post)."""
    if not address:
        return "—"
    if channel == "email":
        return address
    parts = urlsplit(address)
    return f"{parts.scheme}://{parts.netloc}/…" if parts.netloc else "…"


def save_preference(
    session: Session,
    *,
    actor: Actor,
    username: str,
    kinds,
    channel: str,
    address: str | None = None,
    quiet_start: time | None = DEFAULT_QUIET[0],
    quiet_end: time | None = DEFAULT_QUIET[1],
) -> Preference:
    """Save a person's choice (their own, or anyone's for an admin); audited; commits."""
    if actor.username != username:
        require(actor, "notify.manage")
    preference(session, username)  # NotFound for an unknown user
    chosen = sorted({str(k) for k in kinds or ()})
    problems = [_("unknown kind {kind}").format(kind=repr(k)) for k in chosen if k not in KINDS]
    problem = address_problem(channel, address)
    if problem:
        problems.append(problem)
    if (quiet_start is None) != (quiet_end is None):
        problems.append(_("give both ends of the quiet hours, or neither"))
    if problems:
        raise InvalidInput(problems=problems)
    if quiet_start is not None and quiet_start == quiet_end:
        quiet_start = quiet_end = None  # an empty span: no quiet hours
    row = session.get(NotifyPreference, username) or NotifyPreference(
        username=username, updated_by=actor.username
    )
    row.kinds = ",".join(chosen)
    row.channel = channel
    row.address = (address or "").strip() or None
    row.quiet_start = quiet_start.strftime("%H:%M") if quiet_start else None
    row.quiet_end = quiet_end.strftime("%H:%M") if quiet_end else None
    row.updated_at = utcnow()
    row.updated_by = actor.username
    session.add(row)
    audit.record(
        session,
        actor.username,
        "notify.preference",
        "user",
        username,
        kinds=row.kinds,
        channel=channel,
        address=address_label(channel, row.address),
        quiet=f"{row.quiet_start}–{row.quiet_end}" if row.quiet_start else "none",
    )
    session.commit()
    return preference(session, username)


def team_channels(session: Session) -> dict[str, TeamChannel]:
    """The team channels an admin set, by team."""
    return {row.team: row for row in session.exec(select(TeamChannel)).all()}


def set_team_channel(
    session: Session, *, actor: Actor, team: str, channel: str | None, address: str | None
) -> None:
    """Set (or with ``channel`` None, clear) where ``team``'s messages go (admin only);
    audited; commits."""
    require(actor, "notify.manage")
    if team not in TEAMS:
        raise InvalidInput(
            _("unknown team {team}: one of {teams}").format(team=repr(team), teams=", ".join(TEAMS))
        )
    row = session.get(TeamChannel, team)
    if channel is None:
        if row is not None:
            session.delete(row)
            audit.record(session, actor.username, "notify.team_channel", "team", team, channel="")
            session.commit()
        return
    address = (address or "").strip()
    problem = address_problem(channel, address)
    if problem is None and not address:
        problem = _("give the team's e-mail address")
    if problem:
        raise InvalidInput(problem)
    row = row or TeamChannel(team=team, channel=channel, address=address, updated_by="")
    row.channel, row.address = channel, address
    row.updated_at, row.updated_by = utcnow(), actor.username
    session.add(row)
    audit.record(
        session,
        actor.username,
        "notify.team_channel",
        "team",
        team,
        channel=channel,
        address=address_label(channel, address),
    )
    session.commit()


def may_edit(actor: Actor, username: str) -> bool:
    """True when ``actor`` may change ``username``'s choice (their own, or an admin)."""
    return actor.username == username or allowed(actor, "notify.manage")


def route(session: Session, recipient: str, kind: str) -> Route:
    """Where ``recipient``'s message of ``kind`` goes now: a team's channel, or the person's
    channel and address with their quiet hours; opted out when they do not get ``kind``."""
    if recipient.startswith(TEAM_PREFIX):
        team = recipient.removeprefix(TEAM_PREFIX)
        row = session.get(TeamChannel, team)
        if row is None:
            return Route(
                recipient,
                "none",
                None,
                why=_(
                    "no channel is set for the {team} team: an admin sets it on "
                    "Admin → Notifications, then resends"
                ).format(team=team),
            )
        return Route(recipient, row.channel, row.address)
    try:
        pref = preference(session, recipient)
    except NotFound:
        return Route(
            recipient, "none", None, why=_("no user named {name}").format(name=repr(recipient))
        )
    quiet = (pref.quiet_start, pref.quiet_end) if pref.quiet_start and pref.quiet_end else None
    if pref.disabled:
        return Route(recipient, pref.channel, None, opted_out=True, why=_("the user is disabled"))
    if not pref.wants(kind):
        label = kind_label(kind)
        return Route(
            recipient,
            pref.channel,
            pref.resolved_address,
            opted_out=True,
            why=_("opted out of {kind}").format(kind=label),
            quiet=quiet,
        )
    address = pref.resolved_address
    why = (
        ""
        if address
        else _("no {channel} address on My notifications").format(
            channel=channel_label(pref.channel)
        )
    )
    return Route(recipient, pref.channel, address, why=why, quiet=quiet)


def quiet_until(quiet: tuple[time, time] | None, now: datetime) -> datetime | None:
    """The end of the quiet hours ``now`` falls in (UTC), or None when it is not quiet.
    Quiet hours are local times in the business timezone; they may span midnight."""
    if not quiet:
        return None
    start, end = quiet
    tz = config.business_tz()
    local = now.astimezone(tz)
    moment = local.time().replace(tzinfo=None)
    day = local.date()
    if start < end:
        inside, end_day = start <= moment < end, day
    else:  # over midnight: 20:00–07:00
        inside = moment >= start or moment < end
        end_day = day + timedelta(days=1) if moment >= start else day
    if not inside:
        return None
    return datetime.combine(end_day, end, tzinfo=tz).astimezone(now.tzinfo)
