"""Meeting agendas: steps of a known kind with a planned time, the default weekly and
monthly agendas, and the templates a team edits (stored in the Setting table).

A step is ``{"key": "scorecard", "title": "Scorecard", "minutes": 5, "kind": "scorecard"}``:
``kind`` tells the meeting mode what to render, ``key`` names the step for its notes (a
:class:`~smarketing.models.MeetingNote` keeps ``step = key``), so a renamed step keeps them.
"""

from __future__ import annotations

import copy
import json
import re
import unicodedata

from sqlmodel import Session

from smarketing.auth import audit
from smarketing.auth.permissions import Actor, require
from smarketing.errors import InvalidInput
from smarketing.i18n import N_, _
from smarketing.store.db import bump_data_version, get_setting, set_setting
from smarketing.store.models import MeetingKind

#: What the meeting mode renders for each kind of step.
STEP_KINDS: dict[str, str] = {
    "scorecard": N_("The two-sided SLA card for the period and the trailing periods."),
    "sla_challenges": N_(
        'Every red or amber metric with its "why?" causes; record one where missing.'
    ),
    "lead_quality": N_(
        "The period's biggest movements by source, campaign and persona; rejections."
    ),
    "campaigns": N_("New and changed campaign briefings."),
    "free_note": N_("A free note, e.g. personas and product news."),
    "actions_review": N_("Open actions from earlier meetings: done, carried over or dropped."),
    "new_actions": N_("New actions with owner, due date and the metric (and period) they address."),
    "wrap_up": N_("Decisions, then every attendee rates the meeting from 1 to 10."),
    "trends": N_("The SLA metrics month by month."),
    "sla_history": N_("The SLA agreement's versions and how the periods did against them."),
    "decisions": N_("Decisions on course changes, including proposing a new SLA version."),
}
#: A person's name for each kind of step (the template editor's "Shows" column).
STEP_KIND_TITLES: dict[str, str] = {
    "scorecard": N_("Scorecard"),
    "sla_challenges": N_("SLA challenges"),
    "lead_quality": N_("Lead quality"),
    "campaigns": N_("Campaign news"),
    "free_note": N_("Notes only"),
    "actions_review": N_("Actions review"),
    "new_actions": N_("New actions"),
    "wrap_up": N_("Wrap-up"),
    "trends": N_("Trends by month"),
    "sla_history": N_("SLA history"),
    "decisions": N_("Decisions"),
}
#: The kind of step that closes every agenda (exactly once, last).
WRAP_UP = "wrap_up"

MAX_STEPS = 15
MAX_TITLE = 80
MAX_MINUTES = 120
MAX_KEY = 64  # MeetingNote.step
#: Planned minutes of a step read from the old list-of-strings format.
OLD_FORMAT_MINUTES = 5
SETTING_PREFIX = "agenda_template."


def _step(key: str, title: str, minutes: int, kind: str) -> dict:
    return {"key": key, "title": title, "minutes": minutes, "kind": kind}


DEFAULT_AGENDAS: dict[str, list[dict]] = {
    MeetingKind.weekly: [
        _step("scorecard", N_("Scorecard"), 5, "scorecard"),
        _step("sla_challenges", N_("SLA challenges"), 8, "sla_challenges"),
        _step("lead_quality", N_("Lead quality"), 5, "lead_quality"),
        _step("campaigns", N_("Campaigns"), 4, "campaigns"),
        _step("personas_news", N_("Personas and product news"), 4, "free_note"),
        _step("actions_review", N_("Actions review"), 6, "actions_review"),
        _step("new_actions", N_("New actions"), 5, "new_actions"),
        _step("wrap_up", N_("Wrap-up"), 3, "wrap_up"),
    ],
    MeetingKind.monthly: [
        _step("trends", N_("Trends by month"), 15, "trends"),
        _step("sla_history", N_("SLA history"), 10, "sla_history"),
        _step("actions_review", N_("Actions review"), 10, "actions_review"),
        _step("decisions", N_("Decisions on course changes"), 20, "decisions"),
        _step("wrap_up", N_("Wrap-up"), 5, "wrap_up"),
    ],
}


def checked_kind(kind: str) -> str:
    """The meeting kind as stored ('weekly' or 'monthly'), or InvalidInput."""
    value = str(kind).strip().lower()
    if value not in {k.value for k in MeetingKind}:
        raise InvalidInput(
            _("unknown meeting kind {kind}: use weekly or monthly").format(kind=repr(kind))
        )
    return value


def default_agenda(kind: str) -> list[dict]:
    """A fresh copy of the built-in agenda of a weekly or monthly meeting."""
    return copy.deepcopy(DEFAULT_AGENDAS[checked_kind(kind)])


def planned_minutes(steps: list[dict]) -> int:
    """The agenda's planned minutes in total."""
    return sum(int(s.get("minutes") or 0) for s in steps)


def slug(text: str) -> str:
    """'Personas & product news' → 'personas_product_news' (a step key)."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "_", ascii_text.lower()).strip("_")[:MAX_KEY] or "step"


def _unique(key: str, taken: set[str]) -> str:
    out, n = key, 2
    while out in taken:
        suffix = f"_{n}"
        out, n = key[: MAX_KEY - len(suffix)] + suffix, n + 1
    return out


def checked_steps(steps: list[dict]) -> list[dict]:
    """The steps cleaned up (titles trimmed, keys given to new steps), or InvalidInput naming
    every problem: 1–15 steps, titles 1–80 characters and unique, 1–120 minutes each, a known
    kind, and the wrap-up exactly once, as the last step."""
    if not isinstance(steps, list | tuple) or not steps:
        raise InvalidInput(_("an agenda needs at least one step (and ends with a wrap-up)"))
    if len(steps) > MAX_STEPS:
        raise InvalidInput(
            _("an agenda has at most {most} steps (this one has {n})").format(
                most=MAX_STEPS, n=len(steps)
            )
        )
    problems: list[str] = []
    out: list[dict] = []
    titles: dict[str, int] = {}
    keys: set[str] = set()
    for n, raw in enumerate(steps, start=1):
        if not isinstance(raw, dict):
            problems.append(_("step {n} is not a step (title, minutes, kind)").format(n=n))
            continue
        title = " ".join(str(raw.get("title") or "").split())
        name = (
            _("step {n} ({title})").format(n=n, title=repr(title))
            if title
            else _("step {n}").format(n=n)
        )
        if not title:
            problems.append(_("step {n} needs a title").format(n=n))
        elif len(title) > MAX_TITLE:
            problems.append(
                _("{step}: keep the title to {most} characters ({n} now)").format(
                    step=name, most=MAX_TITLE, n=len(title)
                )
            )
        elif title.lower() in titles:
            problems.append(
                _("{step}: the title is already used by step {other}").format(
                    step=name, other=titles[title.lower()]
                )
            )
        else:
            titles[title.lower()] = n
        minutes = raw.get("minutes")
        if isinstance(minutes, float) and minutes.is_integer():
            minutes = int(minutes)
        if isinstance(minutes, str) and minutes.strip().isdigit():
            minutes = int(minutes.strip())
        if isinstance(minutes, bool) or not isinstance(minutes, int):
            problems.append(
                _("{step}: planned minutes must be a whole number, 1 to {most}").format(
                    step=name, most=MAX_MINUTES
                )
            )
        elif not 1 <= minutes <= MAX_MINUTES:
            problems.append(
                _("{step}: planned minutes must be 1 to {most} (got {minutes})").format(
                    step=name, most=MAX_MINUTES, minutes=minutes
                )
            )
        kind = str(raw.get("kind") or "").strip()
        if kind not in STEP_KINDS:
            problems.append(
                _("{step}: unknown kind {kind}; use one of {kinds}").format(
                    step=name, kind=repr(kind), kinds=", ".join(STEP_KINDS)
                )
            )
        key = str(raw.get("key") or "").strip()
        if key and (len(key) > MAX_KEY or not re.fullmatch(r"[a-z0-9_]+", key)):
            problems.append(
                _("{step}: the key {key} must be lowercase letters, digits and _").format(
                    step=name, key=repr(key)
                )
            )
        elif key and key in keys:
            problems.append(
                _("{step}: the key {key} is already used by another step").format(
                    step=name, key=repr(key)
                )
            )
        keys.add(key)
        out.append({"key": key, "title": title, "minutes": minutes, "kind": kind})
    wrap_ups = [n for n, s in enumerate(out, start=1) if s["kind"] == WRAP_UP]
    if len(wrap_ups) != 1:
        problems.append(
            _("the agenda needs exactly one wrap-up step, as the last step (it has {n})").format(
                n=len(wrap_ups)
            )
        )
    elif wrap_ups[0] != len(out):
        problems.append(_("the wrap-up must be the last step (decisions and the rating close it)"))
    if problems:
        raise InvalidInput("; ".join(problems))
    taken = {s["key"] for s in out if s["key"]}
    for s in out:
        if not s["key"]:
            s["key"] = _unique(slug(s["title"]), taken)
            taken.add(s["key"])
    return out


def parse_agenda(text: str | None) -> list[dict]:
    """The steps stored in a meeting's ``agenda`` JSON; tolerant: an old list of titles (or
    lines of text) becomes free-note steps of 5 minutes, missing fields are filled in."""
    if not text or not str(text).strip():
        return []
    try:
        raw = json.loads(text)
    except ValueError:
        raw = [line for line in str(text).splitlines() if line.strip()]
    if isinstance(raw, dict):
        raw = raw.get("steps", [])
    if not isinstance(raw, list):
        return []
    steps: list[dict] = []
    taken: set[str] = set()
    for item in raw:
        if isinstance(item, str):
            item = {"title": item}
        if not isinstance(item, dict):
            continue
        title = " ".join(str(item.get("title") or item.get("key") or "").split())
        if not title:
            continue
        kind = str(item.get("kind") or "")
        kind = kind if kind in STEP_KINDS else "free_note"
        try:
            minutes = int(item.get("minutes") or OLD_FORMAT_MINUTES)
        except (TypeError, ValueError):
            minutes = OLD_FORMAT_MINUTES
        key = str(item.get("key") or "") or slug(title)
        key = _unique(key, taken)
        taken.add(key)
        steps.append({"key": key, "title": title, "minutes": max(minutes, 1), "kind": kind})
    return steps


def agenda_json(steps: list[dict]) -> str:
    """The steps as stored in ``Meeting.agenda`` and the templates."""
    return json.dumps(steps, ensure_ascii=False)


def _setting_key(kind: str) -> str:
    return SETTING_PREFIX + checked_kind(kind)


def agenda_template(session: Session, kind: str) -> list[dict]:
    """The agenda new meetings of this kind start from: the stored template, else the default."""
    stored = parse_agenda(get_setting(session, _setting_key(kind)))
    return stored or default_agenda(kind)


def save_agenda_template(
    session: Session, *, actor: Actor, kind: str, steps: list[dict]
) -> list[dict]:
    """Store the template for new meetings of this kind (audited) and return its steps."""
    require(actor, "meeting.run")
    key = _setting_key(kind)
    checked = checked_steps(steps)
    before = agenda_template(session, kind)
    set_setting(session, key, agenda_json(checked))
    audit.record(
        session, actor.username, "meeting.agenda_template", "setting", key, old=before, new=checked
    )
    bump_data_version(session)
    session.commit()
    return checked


def step_titles(steps: list[dict]) -> dict[str, str]:
    """Step key → title as shown (:func:`step_title`), in agenda order."""
    return {s["key"]: step_title(s) for s in steps}


#: The titles of the built-in agendas: the app's own text, translated where shown.
BUILT_IN_TITLES = frozenset(s["title"] for steps in DEFAULT_AGENDAS.values() for s in steps)


def step_title(step: dict) -> str:
    """A step's title for a person: a built-in agenda's title in the language speaking
    ('Scorecard' → 'Målstyring'), a title a person typed as typed."""
    title = str(step.get("title") or "")
    return _(title) if title in BUILT_IN_TITLES else title


def kind_title(kind: str) -> str:
    """A kind of step by its name for a person ('Scorecard'), in the language speaking."""
    return _(STEP_KIND_TITLES[kind]) if kind in STEP_KIND_TITLES else kind


def kind_text(kind: str) -> str:
    """What a kind of step shows, in the language speaking."""
    return _(STEP_KINDS[kind]) if kind in STEP_KINDS else ""
