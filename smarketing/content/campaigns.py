"""Campaigns and their briefings for sales (each campaign's live funnel is in
:mod:`smarketing.content.campaign_funnel`).

A campaign row holds the **draft** of its brief (the BriefFields), which marketing edits
freely (``save_draft``); ``publish_brief`` freezes the draft as the next
:class:`~smarketing.models.BriefVersion`, together with the campaign's name, persona and
dates. Sales and leadership only ever read published versions: ``brief_for`` decides, per
actor, what may be read, so a page cannot show draft text by mistake. ``BriefView``
remembers the newest version each person has seen ("new for you", ``changes_since``).

Leads refer to a campaign by its name (``Lead.campaign``), so a campaign whose name leads
use cannot be renamed, and the funnel figures are looked up by name.
"""

from __future__ import annotations

import json
from datetime import date, datetime

import pandas as pd
from sqlalchemy import and_, func, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from smarketing import config, formatting, i18n
from smarketing.auth import audit
from smarketing.auth.permissions import Actor, allowed, require
from smarketing.content.personas import persona_by_name
from smarketing.errors import InvalidInput, NotFound
from smarketing.formatting import count
from smarketing.i18n import N_, _, ngettext
from smarketing.store.adoption import adopt, adopt_all
from smarketing.store.db import bump_data_version
from smarketing.store.models import (
    BriefStatus,
    BriefVersion,
    BriefView,
    Campaign,
    Lead,
    utcnow,
)

#: The brief's text fields, in reading order, with their labels (English message ids,
#: ``N_``: show them as ``_(label)``; ``changes_since`` returns them untranslated too).
BRIEF_FIELDS: list[tuple[str, str]] = [
    ("goal", N_("Goal")),
    ("offer", N_("Offer")),
    ("key_message", N_("Key message")),
    ("talking_points", N_("Talking points")),
    ("objections", N_("Objections and answers")),
    ("timeline", N_("Timeline")),
    ("links", N_("Links")),
    ("sales_cta", N_("Call to action for sales")),
]
#: The campaign facts frozen with every published version, with their labels.
HEADER_FIELDS: list[tuple[str, str]] = [
    ("name", N_("Campaign name")),
    ("persona", N_("Persona")),
    ("start_date", N_("Start date")),
    ("end_date", N_("End date")),
]
#: What a published version holds (and ``changes_since`` compares), in this order.
PUBLISHED_FIELDS: list[tuple[str, str]] = HEADER_FIELDS + BRIEF_FIELDS
BRIEF_NAMES = tuple(name for name, _label in BRIEF_FIELDS)
LABELS = dict(PUBLISHED_FIELDS) | {"channel": N_("Channel"), "lead_target": N_("Lead target")}
#: A campaign's status (the stored/computed value stays English) as people read it.
STATUS_LABELS = {"active": N_("active"), "upcoming": N_("upcoming"), "ended": N_("ended")}
#: A brief's status (BriefStatus) as people read it.
BRIEF_STATUS_LABELS = {"draft": N_("Draft"), "published": N_("Published")}
#: A brief cannot be published while one of these is empty.
REQUIRED_TO_PUBLISH = ("goal", "key_message", "sales_cta")
#: Every field ``save_draft`` accepts.
EDITABLE = ("name", "channel", "persona", "start_date", "end_date", "lead_target", *BRIEF_NAMES)
TEXT_MAX = 10_000
#: Longest value per text field: the column lengths, 10,000 characters for long texts.
MAX_LENGTH = {"name": 200, "channel": 100, "persona": 100, "offer": 200, "key_message": 500} | {
    name: TEXT_MAX for name in BRIEF_NAMES if name not in ("offer", "key_message")
}
CAMPAIGN_STATUSES = ("active", "upcoming", "ended")
LIST_COLUMNS = [
    "id",
    "name",
    "channel",
    "persona",
    "offer",
    "start_date",
    "end_date",
    "status",
    "lead_target",
    "brief_status",
    "published_version",
    "published_at",
    "seen_version",
    "new_for_you",
]


# --- snapshots: the comparable content of a draft or a published version ------------------


def _iso(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _snapshot(campaign: Campaign) -> dict:
    """The draft as a published version would store it (JSON-ready)."""
    return {
        "name": campaign.name,
        "persona": campaign.persona or None,
        "start_date": _iso(campaign.start_date),
        "end_date": _iso(campaign.end_date),
        **{name: getattr(campaign, name) or "" for name in BRIEF_NAMES},
    }


def _stored(version: BriefVersion) -> dict:
    """A published version's data in the shape of ``_snapshot`` (missing keys filled)."""
    try:
        raw = json.loads(version.data or "{}")
    except ValueError:
        raw = {}
    if not isinstance(raw, dict):
        raw = {}
    out = {name: raw.get(name) or None for name in ("name", "persona", "start_date", "end_date")}
    out["name"] = out["name"] or ""
    return out | {name: raw.get(name) or "" for name in BRIEF_NAMES}


def _readable(snapshot: dict) -> dict:
    """A snapshot with its dates as ``date`` objects."""
    out = dict(snapshot)
    for key in ("start_date", "end_date"):
        try:
            out[key] = date.fromisoformat(out[key]) if out[key] else None
        except (TypeError, ValueError):
            out[key] = None
    return out


def _differences(old: dict, new: dict) -> list[str]:
    return [label for name, label in PUBLISHED_FIELDS if old.get(name) != new.get(name)]


# --- reading ------------------------------------------------------------------------------


def _campaign(session: Session, campaign_id: int) -> Campaign:
    campaign = session.get(Campaign, campaign_id)
    if campaign is None:
        raise NotFound(_("there is no campaign with id {id}").format(id=campaign_id))
    return campaign


def _latest(session: Session, campaign_id: int) -> BriefVersion | None:
    return (
        session.execute(
            select(BriefVersion)
            .where(BriefVersion.campaign_id == campaign_id)
            .order_by(col(BriefVersion.version).desc())
            .limit(1)
        )
        .scalars()
        .first()
    )


def _version(session: Session, campaign_id: int, version: int) -> BriefVersion | None:
    return (
        session.execute(
            select(BriefVersion).where(
                BriefVersion.campaign_id == campaign_id, BriefVersion.version == version
            )
        )
        .scalars()
        .first()
    )


def campaign_status(start: date | None, end: date | None, as_of: date) -> str:
    """'active' (start ≤ as_of ≤ end, or no end), 'ended' (end < as_of), else 'upcoming'
    (also a campaign without a start date)."""
    if end is not None and end < as_of:
        return "ended"
    if start is not None and start <= as_of:
        return "active"
    return "upcoming"


def _list_order(row: dict) -> tuple:
    start, end, name = row["start_date"], row["end_date"], row["name"].casefold()
    if row["status"] == "active":  # the most recently started first
        return (0, -start.toordinal(), name)
    if row["status"] == "upcoming":  # the soonest first, unscheduled last
        return (1, start.toordinal() if start else date.max.toordinal(), name)
    return (2, -end.toordinal(), name)  # ended: the most recently ended first


def campaign_list(session: Session, *, actor: Actor, as_of: date) -> pd.DataFrame:
    """One row per campaign: active ones first (most recently started first), then upcoming
    (soonest first), then ended (most recently ended first).

    Columns ``LIST_COLUMNS``: id, name, channel, persona, offer, start_date, end_date,
    status (active / upcoming / ended on ``as_of``), lead_target, brief_status (draft /
    published), published_version (0 = never published), published_at (None when never),
    seen_version (the newest version the actor has seen, 0 = none; the argument of
    ``changes_since``), new_for_you (published_version > seen_version).

    For people who may not edit campaigns (sales, leadership) only campaigns with a
    published brief are listed, and persona, offer and dates are the published version's,
    so no draft text shows; for editors they are the draft's.
    """
    username, include_drafts = actor.username, allowed(actor, "campaign.edit")
    latest_numbers = (
        select(BriefVersion.campaign_id, func.max(BriefVersion.version).label("version"))
        .group_by(BriefVersion.campaign_id)
        .subquery()
    )
    latest = {
        v.campaign_id: v
        for v in session.execute(
            select(BriefVersion).join(
                latest_numbers,
                and_(
                    BriefVersion.campaign_id == latest_numbers.c.campaign_id,
                    BriefVersion.version == latest_numbers.c.version,
                ),
            )
        ).scalars()
    }
    seen = dict(
        session.execute(
            select(BriefView.campaign_id, BriefView.seen_version).where(
                BriefView.username == username
            )
        ).all()
    )
    rows = []
    for c in session.execute(select(Campaign)).scalars():
        version = latest.get(c.id)
        if version is None and not include_drafts:
            continue
        shown = _readable(_snapshot(c) if include_drafts else _stored(version))
        published = version.version if version else 0
        rows.append(
            {
                "id": c.id,
                "name": c.name,
                "channel": c.channel,
                "persona": shown["persona"],
                "offer": shown["offer"],
                "start_date": shown["start_date"],
                "end_date": shown["end_date"],
                "status": campaign_status(shown["start_date"], shown["end_date"], as_of),
                "lead_target": c.lead_target,
                "brief_status": c.brief_status,
                "published_version": published,
                "published_at": version.published_at if version else None,
                "seen_version": int(seen.get(c.id) or 0),
                "new_for_you": published > int(seen.get(c.id) or 0),
            }
        )
    rows.sort(key=_list_order)
    frame = pd.DataFrame.from_records(rows, columns=LIST_COLUMNS)
    frame["new_for_you"] = frame["new_for_you"].astype(bool)
    frame["published_version"] = frame["published_version"].astype(int)
    frame["lead_target"] = pd.Series([r["lead_target"] for r in rows], dtype=object)
    return frame


def _published_brief(campaign: Campaign, version: BriefVersion) -> dict:
    return {
        "campaign_id": campaign.id,
        **_readable(_stored(version)),
        "channel": campaign.channel,
        "version": version.version,
        "published_by": version.published_by,
        "published_at": version.published_at,
    }


def _draft_brief(campaign: Campaign) -> dict:
    return {
        "campaign_id": campaign.id,
        **_readable(_snapshot(campaign)),
        "channel": campaign.channel,
        "version": None,
        "published_by": None,
        "published_at": None,
        "lead_target": campaign.lead_target,
        "updated_by": campaign.updated_by,
        "updated_at": campaign.updated_at,
    }


def brief_for(session: Session, campaign_id: int, *, actor: Actor | None) -> dict | None:
    """What ``actor`` may read of a campaign's brief (NotFound for an unknown campaign).

    People who may edit campaigns (``campaign.edit``) read the draft and the latest
    published version; everyone else only the latest published version — never draft
    text — and None when the brief was never published. The result:
    ``{"campaign_id", "name", "channel", "lead_target", "brief_status", "brief_version"
    (latest published, 0 = none), "can_edit", "published": brief | None, "draft": brief |
    None (None unless can_edit), "unpublished_changes": [labels of fields where the draft
    differs from the published version] (always [] unless can_edit)}``.

    A *brief* is a flat dict: campaign_id, name, persona, start_date, end_date (dates),
    the BRIEF_FIELDS texts, channel, version (None for the draft), published_by,
    published_at (None for the draft; the draft also has lead_target, updated_by,
    updated_at) — the input of ``brief_markdown``.
    """
    campaign = _campaign(session, campaign_id)
    latest = _latest(session, campaign_id)
    published = None if latest is None else _published_brief(campaign, latest)
    can_edit = allowed(actor, "campaign.edit")
    if not can_edit and published is None:
        return None
    draft = _draft_brief(campaign) if can_edit else None
    changes: list[str] = []
    if can_edit:
        changes = (
            _differences(_stored(latest), _snapshot(campaign))
            if latest is not None
            else [label for name, label in PUBLISHED_FIELDS if _snapshot(campaign)[name]]
        )
    return {
        "campaign_id": campaign.id,
        "name": (draft or published)["name"],
        "channel": campaign.channel,
        "lead_target": campaign.lead_target,
        "brief_status": campaign.brief_status if can_edit else BriefStatus.published.value,
        "brief_version": latest.version if latest else 0,
        "can_edit": can_edit,
        "published": published,
        "draft": draft,
        "unpublished_changes": changes,
    }


def brief_versions(session: Session, campaign_id: int) -> list[dict]:
    """Every published version, newest first: {"version", "published_by", "published_at",
    "data"} where data holds name, persona, start_date, end_date (dates) and the texts."""
    _campaign(session, campaign_id)
    versions = session.execute(
        select(BriefVersion)
        .where(BriefVersion.campaign_id == campaign_id)
        .order_by(col(BriefVersion.version).desc())
    ).scalars()
    return [
        {
            "version": v.version,
            "published_by": v.published_by,
            "published_at": v.published_at,
            "data": _readable(_stored(v)),
        }
        for v in versions
    ]


def changes_since(session: Session, campaign_id: int, seen_version: int) -> list[str]:
    """Labels of the fields (PUBLISHED_FIELDS order) that differ between the version the
    person saw and the latest published one: every label when they never saw one (0), none
    when they saw the latest or nothing is published."""
    _campaign(session, campaign_id)
    latest = _latest(session, campaign_id)
    if latest is None or seen_version >= latest.version:
        return []
    seen = _version(session, campaign_id, seen_version) if seen_version > 0 else None
    if seen is None:
        return [label for _name, label in PUBLISHED_FIELDS]
    return _differences(_stored(seen), _stored(latest))


def seen_version(session: Session, campaign_id: int, username: str) -> int:
    """The newest version of the brief this person has seen (0 = none)."""
    value = session.execute(
        select(BriefView.seen_version).where(
            BriefView.campaign_id == campaign_id, BriefView.username == username
        )
    ).scalar_one_or_none()
    return int(value or 0)


# --- writing ------------------------------------------------------------------------------


def _parse_date(name: str, raw) -> date | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    if isinstance(raw, str):
        try:
            return date.fromisoformat(raw.strip())
        except ValueError:
            pass
    raise InvalidInput(
        _("{field} must be a date like 2026-11-01 (got {value!r})").format(
            field=_(LABELS[name]), value=raw
        )
    )


def _parse_target(raw) -> int | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    value = raw
    if isinstance(raw, str):
        try:
            value = int(raw.strip())
        except ValueError:
            value = None
    elif isinstance(raw, float) and raw.is_integer():
        value = int(raw)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidInput(
            _("Lead target must be a whole number of leads, 0 or more (got {value!r})").format(
                value=raw
            )
        )
    return value


def _editable(campaign: Campaign | None) -> dict:
    if campaign is None:
        return dict.fromkeys(EDITABLE, "") | {
            "persona": None,
            "start_date": None,
            "end_date": None,
            "lead_target": None,
        }
    return {name: getattr(campaign, name) for name in EDITABLE} | {
        "persona": campaign.persona or None
    }


def _cleaned(session: Session, fields: dict, current: dict) -> dict:
    """``current`` with the given fields applied and checked (InvalidInput names the field)."""
    unknown = sorted(set(fields) - set(EDITABLE))
    if unknown:
        raise InvalidInput(
            _("unknown campaign field(s) {fields}; use {known}").format(
                fields=", ".join(repr(u) for u in unknown), known=", ".join(EDITABLE)
            )
        )
    values = dict(current)
    problems = []
    for name, raw in fields.items():
        if name in ("start_date", "end_date"):
            values[name] = _parse_date(name, raw)
        elif name == "lead_target":
            values[name] = _parse_target(raw)
        elif raw is not None and not isinstance(raw, str):
            problems.append(
                _("{field} must be text (got {type})").format(
                    field=_(LABELS[name]), type=type(raw).__name__
                )
            )
        else:
            values[name] = (raw or "").strip()
    values["persona"] = values["persona"] or None
    if not values["name"]:
        problems.append(_("Campaign name is empty: give the campaign a name (1–200 characters)"))
    for name, limit in MAX_LENGTH.items():
        if values[name] and len(values[name]) > limit:
            problems.append(
                _("{field} is {length} characters long; at most {limit} are allowed").format(
                    field=_(LABELS[name]), length=count(len(values[name])), limit=count(limit)
                )
            )
    start, end = values["start_date"], values["end_date"]
    if start is not None and end is not None and end < start:
        problems.append(
            _("End date {end} is before the start date {start}").format(
                end=end.isoformat(), start=start.isoformat()
            )
        )
    if problems:
        raise InvalidInput("; ".join(problems))
    if values["persona"] != current["persona"] and values["persona"] is not None:
        values["persona"] = _current_persona(session, values["persona"])
    return values


def _current_persona(session: Session, name: str) -> str:
    """The card's exact name for a chosen persona, or InvalidInput."""
    card = persona_by_name(session, name)
    if card is None:
        raise InvalidInput(
            _(
                "Persona: there is no persona card called {name!r}; choose an existing "
                "persona or leave it empty"
            ).format(name=name)
        )
    if card.archived:
        raise InvalidInput(
            _(
                "Persona: {name!r} is archived; choose a current persona or bring the card "
                "back on the Personas page"
            ).format(name=card.name)
        )
    return card.name


def _check_name(session: Session, name: str, campaign_id: int | None) -> None:
    for other_id, other in session.execute(select(Campaign.id, Campaign.name)).all():
        if other_id != campaign_id and other.casefold() == name.casefold():
            raise InvalidInput(
                _(
                    "Campaign name: there is already a campaign called {name!r} (names are "
                    "compared ignoring case); choose another name"
                ).format(name=other)
            )


def _refuse_rename(session: Session, old: str, new: str) -> None:
    leads = session.execute(
        select(func.count()).select_from(Lead).where(Lead.campaign == old)
    ).scalar_one()
    if leads:
        raise InvalidInput(
            ngettext(
                "Campaign name: {n} lead use the campaign name {old!r}, so it cannot become "
                "{new!r} (its funnel would lose them). Keep the name, or create a new campaign "
                "for the new name.",
                "Campaign name: {n} leads use the campaign name {old!r}, so it cannot become "
                "{new!r} (its funnel would lose them). Keep the name, or create a new campaign "
                "for the new name.",
                leads,
            ).format(n=count(leads), old=old, new=new)
        )


def _brief_status(session: Session, campaign: Campaign) -> str:
    latest = _latest(session, campaign.id) if campaign.id is not None else None
    if latest is not None and _stored(latest) == _snapshot(campaign):
        return BriefStatus.published.value
    return BriefStatus.draft.value


def save_draft(
    session: Session,
    *,
    actor: Actor,
    campaign_id: int | None,
    fields: dict,
    now: datetime | None = None,
) -> Campaign:
    """Create a campaign (``campaign_id`` None) or edit its draft (marketing, admin).

    ``fields`` holds any of ``EDITABLE``: name, channel, persona (an existing, not
    archived persona card, or empty), start_date, end_date (dates or 'YYYY-MM-DD'),
    lead_target and the BRIEF_FIELDS texts; an edit starts from the campaign as it is.
    Published versions are untouched: ``brief_status`` becomes 'draft' when the draft
    differs from the latest published version, else 'published'. Refused with InvalidInput
    when a field is wrong, the name is taken, nothing changed, or the campaign is renamed
    while leads use its name.
    """
    require(actor, "campaign.edit")
    at = now or utcnow()
    campaign = None if campaign_id is None else _campaign(session, campaign_id)
    current = _editable(campaign)
    values = _cleaned(session, fields, current)
    _check_name(session, values["name"], campaign_id)
    if campaign is None:
        campaign = Campaign(**values, updated_by=actor.username, updated_at=at)
        changed = [name for name in EDITABLE if values[name] not in (None, "")]
    else:
        changed = [name for name in EDITABLE if values[name] != current[name]]
        if not changed:
            raise InvalidInput(
                _("nothing changed in the draft of {name!r}").format(name=campaign.name)
            )
        if values["name"] != campaign.name:
            _refuse_rename(session, campaign.name, values["name"])
        for name in changed:
            setattr(campaign, name, values[name])
        campaign.updated_by = actor.username
        campaign.updated_at = at
        # an edit makes a demo campaign, with its published briefs, the team's own
        adopt(session, campaign)
        adopt_all(session, BriefVersion, BriefVersion.campaign_id == campaign.id)
    campaign.brief_status = _brief_status(session, campaign)
    session.add(campaign)
    try:
        session.flush()
    except IntegrityError as exc:  # a campaign of that name was saved at the same moment
        session.rollback()
        raise InvalidInput(
            _(
                "Campaign name: there is already a campaign called {name!r}; choose another name"
            ).format(name=values["name"])
        ) from exc
    audit.record(
        session,
        actor.username,
        "campaign.create" if campaign_id is None else "campaign.edit",
        "campaign",
        campaign.id,
        name=campaign.name,
        changed=changed,
        brief_status=campaign.brief_status,
    )
    bump_data_version(session)
    session.commit()
    return campaign


def publish_brief(
    session: Session, *, actor: Actor, campaign_id: int, now: datetime | None = None
) -> BriefVersion:
    """Publish the draft as version n+1 (marketing, admin): from then on sales reads it.

    Refused when goal, key message or call to action is empty, or when the draft is
    identical to the latest published version. The publisher counts as having seen it.
    """
    require(actor, "campaign.edit")
    at = now or utcnow()
    campaign = _campaign(session, campaign_id)
    missing = [
        _(LABELS[name]) for name in REQUIRED_TO_PUBLISH if not getattr(campaign, name).strip()
    ]
    if missing:
        raise InvalidInput(
            _(
                "the brief of {name!r} cannot be published without: {missing} (fill them in "
                "and save the draft first)"
            ).format(name=campaign.name, missing=", ".join(missing))
        )
    latest = _latest(session, campaign_id)
    snapshot = _snapshot(campaign)
    if latest is not None and _stored(latest) == snapshot:
        raise InvalidInput(
            _(
                "version {version} of {name!r} already says exactly this: change the draft "
                "before publishing again"
            ).format(version=latest.version, name=campaign.name)
        )
    number = (latest.version if latest else 0) + 1
    adopt(session, campaign)  # publishing makes a demo campaign and its briefs the team's own
    adopt_all(session, BriefVersion, BriefVersion.campaign_id == campaign_id)
    version = BriefVersion(
        campaign_id=campaign_id,
        version=number,
        data=json.dumps(snapshot, ensure_ascii=False),
        published_by=actor.username,
        published_at=at,
    )
    session.add(version)
    campaign.brief_status = BriefStatus.published.value
    campaign.brief_version = number
    session.add(campaign)
    _set_seen(session, campaign_id, actor.username, number, at)
    audit.record(
        session,
        actor.username,
        "campaign.publish",
        "campaign",
        campaign_id,
        name=campaign.name,
        version=number,
        changed=_differences(_stored(latest), snapshot) if latest else None,
    )
    bump_data_version(session)
    try:
        session.commit()
    except IntegrityError as exc:  # someone published the same version number just now
        session.rollback()
        raise InvalidInput(
            _("someone else has just published {name!r}: reload and check the draft").format(
                name=campaign.name
            )
        ) from exc
    return version


def _set_seen(session: Session, campaign_id: int, username: str, version: int, at: datetime):
    view = (
        session.execute(
            select(BriefView).where(
                BriefView.campaign_id == campaign_id, BriefView.username == username
            )
        )
        .scalars()
        .first()
    )
    if view is None:
        view = BriefView(campaign_id=campaign_id, username=username)
    view.seen_version = max(view.seen_version or 0, version)
    view.seen_at = at
    session.add(view)


def mark_seen(
    session: Session, *, campaign_id: int, username: str, now: datetime | None = None
) -> None:
    """Remember that ``username`` has read the latest published brief (any logged-in person;
    not audited and no data-version bump: reading changes no figure). Nothing to remember
    while the brief was never published."""
    if not (username or "").strip():
        raise InvalidInput(_("who has read the brief? the username is empty"))
    _campaign(session, campaign_id)
    latest = _latest(session, campaign_id)
    if latest is None:
        return
    at = now or utcnow()
    _set_seen(session, campaign_id, username, latest.version, at)
    try:
        session.commit()
    except IntegrityError:  # the same person in two tabs at the same moment: update theirs
        session.rollback()
        _set_seen(session, campaign_id, username, latest.version, at)
        session.commit()


# --- export -------------------------------------------------------------------------------


def _day(value) -> str:
    if value in (None, ""):
        return ""
    if isinstance(value, str):
        value = date.fromisoformat(value)
    if i18n.current() == "en":  # the brief's English way: '1 Nov 2026'
        return f"{value.day} {value:%b %Y}"
    return formatting.day(value)


def _dates(start, end) -> str:
    if not start and not end:
        return _("not scheduled")
    if not end:
        return _("from {start}, no end date").format(start=_day(start))
    if not start:
        return _("until {end}").format(end=_day(end))
    return f"{_day(start)} – {_day(end)}"


def brief_markdown(brief: dict) -> str:
    """The brief as a Markdown document to paste into an e-mail: a title with the campaign
    name; channel, persona, dates, version and who published it when (in the business
    timezone); then every BRIEF_FIELDS section in order, "(not filled in)" where empty.

    ``brief`` is a brief dict (``brief_for(...)["published"]`` or ``["draft"]``); a whole
    ``brief_for`` result exports its published version (its draft when never published).
    """
    if "published" in brief or "draft" in brief:
        brief = brief.get("published") or brief.get("draft") or {}
    tz = config.business_tz()
    if brief.get("version"):
        at, person = brief.get("published_at"), brief.get("published_by")
        if at:
            moment = (
                f"{at.astimezone(tz):%d %b %Y %H:%M}"
                if i18n.current() == "en"
                else formatting.local_time(at)
            )
            version = _("version {version}, published by {person} on {moment} ({timezone})").format(
                version=brief["version"],
                person=person,
                moment=moment,
                timezone=config.timezone_name(),
            )
        else:
            version = _("version {version}, published by {person}").format(
                version=brief["version"], person=person
            )
    else:
        version = _("draft, not published")
    none = _("(none)")
    lines = [
        _("# Campaign brief: {name}").format(name=brief.get("name") or _("(unnamed campaign)")),
        "",
        _("- **Channel:** {channel}").format(channel=brief.get("channel") or none),
        _("- **Persona:** {persona}").format(persona=brief.get("persona") or none),
        _("- **Dates:** {dates}").format(
            dates=_dates(brief.get("start_date"), brief.get("end_date"))
        ),
        _("- **Brief:** {version}").format(version=version),
    ]
    for name, label in BRIEF_FIELDS:
        text = (brief.get(name) or "").strip()
        lines += ["", f"## {_(label)}", "", text or _("_(not filled in)_")]
    return "\n".join(lines) + "\n"
