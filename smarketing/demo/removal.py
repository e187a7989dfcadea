"""Removing the demo company without the team's work.

:func:`removal_plan` says, per table, which rows go, which stay because a person made or
touched them, and which stay as the team's starting point; :func:`clear_demo` carries out
exactly that plan in one transaction. One rule serves both, so the confirmation on the
Import page and in the CLI never promises what the removal does not do.

The rule:

* Demo **leads** are fictional and always go, with every activity, verdict and stage change
  on them, also those a person recorded (the plan counts those as the team's).
* A row that is not demo data (a person made it, or adopted a demo row by writing on it,
  see :mod:`smarketing.adoption`) is never deleted, and it keeps the demo row it hangs off
  (a safety net for writes that did not adopt, e.g. from before adoption existed): a note,
  rating, decision or action review keeps its meeting, a review its action, a confirmation
  its agreement, a persona version its persona, a published brief its campaign, any version
  of a definition the whole term with its history; a campaign keeps the persona it names,
  a decision the SLA version it refers to. A meeting someone started (running) is kept.
* A demo row that stays keeps its own demo rows: a meeting its notes, ratings, decisions
  and the actions agreed in it; a review stays when both its meeting and its action stay.
* An action's link to the meeting it was agreed in is weak: an action a person reviewed or
  closed stays on the action list; when the demo meeting it came from goes, the action
  stays without it (``meeting_id`` cleared) rather than keeping a fictional meeting alive.
  Who read which brief (``brief_view``) goes with its campaign: reading is not editing.
* With ``keep_starting_point`` the untouched demo definitions, personas (with their
  versions) and SLA agreement versions (with their confirmations) stay as the team's
  starting point. Agenda templates are settings and the demo writes none (its meetings use
  the built-in agendas), so they are never changed.
* Every demo row that stays stops being demo data: afterwards nothing is marked demo.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import delete, func, select, update
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from smarketing import formatting
from smarketing.auth import audit
from smarketing.auth.permissions import Actor, require
from smarketing.demo.build import DEMO_SETTING
from smarketing.errors import InvalidInput
from smarketing.i18n import N_, _, ngettext
from smarketing.store.db import bump_data_version, set_setting
from smarketing.store.models import (
    Action,
    ActionReview,
    BriefVersion,
    BriefView,
    Campaign,
    Decision,
    Definition,
    Lead,
    LeadActivity,
    LeadChange,
    Meeting,
    MeetingAttendee,
    MeetingNote,
    MeetingRating,
    MeetingStatus,
    Persona,
    PersonaVersion,
    SlaAgreement,
    SlaCause,
    SlaConfirmation,
    Verdict,
)

#: Ids per DELETE/UPDATE statement (well under every database's parameter limit).
ID_CHUNK = 500

#: Every model the removal touches, in the order rows are deleted (children first).
ORDER = (
    ActionReview,
    MeetingNote,
    MeetingRating,
    MeetingAttendee,
    Decision,
    Action,
    Meeting,
    SlaConfirmation,
    SlaAgreement,
    SlaCause,
    BriefView,
    BriefVersion,
    Campaign,
    PersonaVersion,
    Persona,
    Definition,
    LeadActivity,
    Verdict,
    LeadChange,
    Lead,
)
TABLES = tuple(m.__tablename__ for m in ORDER)
MODELS = {m.__tablename__: m for m in ORDER}
#: The tables that hang off a lead: they go with a demo lead, whoever wrote the row.
LEAD_TABLES = ("lead_activity", "verdict", "lead_change")
#: The tables whose untouched demo rows can stay as the team's starting point.
STARTING_POINT = ("definition", "persona", "persona_version", "sla_agreement", "sla_confirmation")


@dataclass(frozen=True)
class TablePlan:
    """One table's rows: removed, kept because they are the team's (made or touched by a
    person), kept as the team's starting point (untouched demo rows)."""

    table: str
    remove: int = 0
    keep_yours: int = 0
    keep_start: int = 0


@dataclass(frozen=True)
class KeptMeeting:
    """A meeting that stays, with what stays in it."""

    id: int
    title: str
    held_on: date
    counts: dict[str, int]
    planned: bool = False


@dataclass
class RemovalPlan:
    """What removing the demo company does, per table and in words (see the module rule)."""

    keep_starting_point: bool
    tables: dict[str, TablePlan]
    #: demo leads' rows a person recorded: verdicts and contacts (activities with an actor)
    your_verdicts: int = 0
    your_contacts: int = 0
    kept_meetings: list[KeptMeeting] = field(default_factory=list)
    #: actions that stay outside the kept meetings: from removed demo meetings (they stay
    #: without that meeting), and agreed outside any meeting
    detached_actions: int = 0
    other_actions: int = 0
    your_definitions: list[str] = field(default_factory=list)
    your_personas: list[str] = field(default_factory=list)
    #: demo personas kept only because a kept campaign brief names them
    named_personas: list[str] = field(default_factory=list)
    your_campaigns: list[str] = field(default_factory=list)
    your_agreements: list[int] = field(default_factory=list)
    start_definitions: int = 0
    start_personas: list[str] = field(default_factory=list)
    start_agreements: list[int] = field(default_factory=list)
    removed_definitions: int = 0
    removed_agreements: list[int] = field(default_factory=list)
    # what clear_demo does, by id (lead rows go by their lead)
    remove_ids: dict[str, set[int]] = field(default_factory=dict, repr=False)
    adopt_ids: dict[str, set[int]] = field(default_factory=dict, repr=False)
    detach_ids: set[int] = field(default_factory=set, repr=False)

    def count(self, table: str, what: str = "remove") -> int:
        """One table's count: ``remove``, ``keep_yours`` or ``keep_start``."""
        plan = self.tables.get(table)
        return 0 if plan is None else getattr(plan, what)

    @property
    def removed(self) -> dict[str, int]:
        """Rows removed per table (tables with none left out)."""
        return {t: p.remove for t, p in self.tables.items() if p.remove}

    @property
    def kept_start(self) -> dict[str, int]:
        """Rows kept as the team's starting point per table (tables with none left out)."""
        return {t: p.keep_start for t, p in self.tables.items() if p.keep_start}

    @property
    def kept_yours(self) -> dict[str, int]:
        """Rows kept because they are the team's, per table (tables with none left out)."""
        return {t: p.keep_yours for t, p in self.tables.items() if p.keep_yours}

    def removed_lines(self) -> list[str]:
        """What goes, in words a marketing manager understands."""
        c = self.count
        lines = []
        if c("lead"):
            on_them = [_n(c(t), t) for t in ("lead_activity", "verdict", "lead_change") if c(t)]
            line = _n(c("lead"), "demo_lead")
            if on_them:
                line = _("{leads} with their {things}").format(leads=line, things=_and(on_them))
            yours = [
                _n(n, word)
                for n, word in ((self.your_verdicts, "verdict"), (self.your_contacts, "contact"))
                if n
            ]
            if yours:
                line = _("{lines} (including {things} your team recorded on them)").format(
                    lines=line, things=_and(yours)
                )
            lines.append(line)
        inside = [_n(c(t), t) for t in MEETING_PARTS_REMOVED if c(t)]
        if c("meeting"):
            line = _n(c("meeting"), "demo_meeting")
            if inside:
                line = _("{what}, and with them {things}").format(what=line, things=_and(inside))
            lines.append(line)
        elif inside:
            lines.append(_("from the demo meetings: {things}").format(things=_and(inside)))
        if c("campaign") or c("brief_version"):
            lines.append(
                _("{what} with {briefs}").format(
                    what=_n(c("campaign"), "demo_campaign"),
                    briefs=_n(c("brief_version"), "brief_version"),
                )
            )
        if c("sla_cause"):
            lines.append(_n(c("sla_cause"), "demo_sla_cause"))
        if c("definition"):
            lines.append(
                _("{definitions} ({versions})").format(
                    definitions=_n(self.removed_definitions, "demo_definition"),
                    versions=_n(c("definition"), "version"),
                )
            )
        if c("persona"):
            lines.append(_n(c("persona"), "demo_persona"))
        if self.removed_agreements:
            lines.append(
                _("the demo SLA agreement ({versions})").format(
                    versions=_versions(self.removed_agreements)
                )
            )
        return lines

    def kept_lines(self) -> list[str]:
        """What stays because the team made or changed it, in words."""
        lines = []
        shown = self.kept_meetings[:5]
        for m in shown:
            inside = [_n(m.counts[t], t) for t in MEETING_PARTS_KEPT if m.counts.get(t)]
            when = formatting.day(m.held_on)
            if m.planned:
                line = _("your meeting planned for {day} (“{title}”)").format(
                    day=when, title=m.title
                )
            else:
                line = _("your meeting of {day} (“{title}”)").format(day=when, title=m.title)
            if inside:
                line = _("{what} with {things}").format(what=line, things=_and(inside))
            lines.append(line)
        if len(self.kept_meetings) > len(shown):
            more = len(self.kept_meetings) - len(shown)
            lines.append(
                ngettext("{n} more meeting of yours", "{n} more meetings of yours", more).format(
                    n=formatting.count(more)
                )
            )
        if self.detached_actions:
            n = self.detached_actions
            lines.append(
                ngettext(
                    "{n} demo action your team reviewed or closed (it stays on the action "
                    "list, without the demo meeting it came from)",
                    "{n} demo actions your team reviewed or closed (they stay on the action "
                    "list, without the demo meeting they came from)",
                    n,
                ).format(n=formatting.count(n))
            )
        if self.other_actions:
            n = self.other_actions
            lines.append(
                ngettext(
                    "{n} action agreed outside a meeting",
                    "{n} actions agreed outside a meeting",
                    n,
                ).format(n=formatting.count(n))
            )
        if self.your_definitions:
            n = len(self.your_definitions)
            lines.append(
                ngettext(
                    "{n} definition your team wrote or edited ({names}), with all its versions",
                    "{n} definitions your team wrote or edited ({names}), with all their versions",
                    n,
                ).format(n=formatting.count(n), names=_and(self.your_definitions))
            )
        if self.your_personas:
            n = len(self.your_personas)
            lines.append(
                ngettext(
                    "{n} persona your team wrote or edited ({names})",
                    "{n} personas your team wrote or edited ({names})",
                    n,
                ).format(n=formatting.count(n), names=_and(self.your_personas))
            )
        if self.named_personas:
            n = len(self.named_personas)
            lines.append(
                ngettext(
                    "{n} persona your campaign briefs name ({names})",
                    "{n} personas your campaign briefs name ({names})",
                    n,
                ).format(n=formatting.count(n), names=_and(self.named_personas))
            )
        if self.your_campaigns:
            n = len(self.your_campaigns)
            lines.append(
                ngettext(
                    "{n} campaign your team wrote, edited or published ({names})",
                    "{n} campaigns your team wrote, edited or published ({names})",
                    n,
                ).format(n=formatting.count(n), names=_and(self.your_campaigns))
            )
        if self.your_agreements:
            lines.append(
                _("the SLA agreement {versions}, proposed or confirmed by your team").format(
                    versions=_versions(self.your_agreements)
                )
            )
        if n := self.count("sla_cause", "keep_yours"):
            lines.append(
                ngettext(
                    '{n} "why?" cause your team recorded',
                    '{n} "why?" causes your team recorded',
                    n,
                ).format(n=formatting.count(n))
            )
        return lines

    def starting_point_lines(self) -> list[str]:
        """What stays as the team's starting point, in words."""
        lines = []
        if self.start_definitions:
            lines.append(
                _("{definitions} ({versions})").format(
                    definitions=_n(self.start_definitions, "definition"),
                    versions=_n(self.count("definition", "keep_start"), "version"),
                )
            )
        if self.start_personas:
            lines.append(
                _("{personas} ({names})").format(
                    personas=_n(len(self.start_personas), "persona"),
                    names=_and(self.start_personas),
                )
            )
        if self.start_agreements:
            newest = max(self.start_agreements)
            older = [v for v in self.start_agreements if v != newest]
            if older:
                line = _("the SLA agreement v{version} (with {versions} before it)").format(
                    version=newest, versions=_versions(older)
                )
            else:
                line = _("the SLA agreement v{version}").format(version=newest)
            lines.append(line)
        if self.keep_starting_point:
            lines.append(
                _("the agenda templates (the demo uses the built-in weekly and monthly agendas)")
            )
        return lines

    def text(self, *, dry_run: bool = False) -> str:
        """The whole plan as plain text (the CLI prints it)."""
        if dry_run:
            out = [_("Would remove (demo data nobody touched):")]
        else:
            out = [_("Removed (demo data nobody touched):")]
        out += [f"  - {line}" for line in self.removed_lines()] or ["  - " + _("nothing")]
        if dry_run:
            out.append(_("Would keep (made or changed by your team):"))
        else:
            out.append(_("Kept (made or changed by your team):"))
        out += [f"  - {line}" for line in self.kept_lines()] or [
            "  - " + _("nothing: no one has worked on the demo data")
        ]
        if self.keep_starting_point:
            out.append(_("Would keep as your starting point:") if dry_run else _(KEPT_START))
            out += [f"  - {line}" for line in self.starting_point_lines()]
        out.append(_(UNTOUCHED))
        return "\n".join(out)


#: What removing the demo never changes (translate where shown: ``_(UNTOUCHED)``).
UNTOUCHED = N_(
    "Users, roles, settings (agenda templates, rejection reasons) and the audit log are not "
    "changed."
)
KEPT_START = N_("Kept as your starting point:")

#: The rows of a meeting, in the order the plan names them (removed; kept).
MEETING_PARTS_REMOVED = (
    "meeting_note",
    "meeting_attendee",
    "meeting_rating",
    "decision",
    "action",
    "action_review",
)
MEETING_PARTS_KEPT = (
    "meeting_note",
    "decision",
    "action",
    "meeting_rating",
    "meeting_attendee",
    "action_review",
)


def _n(count: int, what: str) -> str:
    """'1 note', '2 notes', '1 activity', '1,235 verdicts' ('1 235 vurderinger' in nb):
    ``count`` rows of ``what`` (a table, or a word of the plan such as 'demo_lead')."""
    return _COUNTED[what](count).format(n=formatting.count(count))


_COUNTED = {
    "lead_activity": lambda n: ngettext("{n} activity", "{n} activities", n),
    "verdict": lambda n: ngettext("{n} verdict", "{n} verdicts", n),
    "lead_change": lambda n: ngettext("{n} stage change", "{n} stage changes", n),
    "contact": lambda n: ngettext("{n} contact", "{n} contacts", n),
    "demo_lead": lambda n: ngettext("{n} demo lead", "{n} demo leads", n),
    "meeting_note": lambda n: ngettext("{n} note", "{n} notes", n),
    "meeting_attendee": lambda n: ngettext("{n} attendee", "{n} attendees", n),
    "meeting_rating": lambda n: ngettext("{n} rating", "{n} ratings", n),
    "decision": lambda n: ngettext("{n} decision", "{n} decisions", n),
    "action": lambda n: ngettext("{n} action", "{n} actions", n),
    "action_review": lambda n: ngettext("{n} action review", "{n} action reviews", n),
    "demo_meeting": lambda n: ngettext("{n} demo meeting", "{n} demo meetings", n),
    "brief_version": lambda n: ngettext("{n} published brief", "{n} published briefs", n),
    "demo_campaign": lambda n: ngettext("{n} demo campaign", "{n} demo campaigns", n),
    "demo_sla_cause": lambda n: ngettext('{n} demo "why?" cause', '{n} demo "why?" causes', n),
    "demo_definition": lambda n: ngettext("{n} demo definition", "{n} demo definitions", n),
    "version": lambda n: ngettext("{n} version", "{n} versions", n),
    "demo_persona": lambda n: ngettext("{n} demo persona", "{n} demo personas", n),
    "definition": lambda n: ngettext("{n} definition", "{n} definitions", n),
    "persona": lambda n: ngettext("{n} persona", "{n} personas", n),
}


def _and(items: list[str]) -> str:
    """'a', 'a and b', 'a, b and c' ('a, b og c' in nb)."""
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return _("{items} and {last}").format(items=", ".join(items[:-1]), last=items[-1])


def _versions(versions: list[int]) -> str:
    """'v2', 'v1 and v2'."""
    return _and([f"v{v}" for v in sorted(versions)])


# --- the plan --------------------------------------------------------------------------------


def _rows(session: Session, model, *columns: str) -> list:
    t = model.__table__
    return session.execute(select(*(t.c[c] for c in columns)).order_by(t.c.id)).all()


def _count(session: Session, model, *where) -> int:
    t = model.__table__
    return int(session.execute(select(func.count()).select_from(t).where(*where)).scalar_one())


def _demo_lead_ids():
    t = Lead.__table__
    return select(t.c.id).where(t.c.is_demo.is_(True))


def _lead_counts(session: Session) -> dict[str, TablePlan]:
    """Demo leads and every row on them go; the rest stays (SQL counts, no rows loaded)."""
    lead = Lead.__table__.c
    plans = {
        "lead": TablePlan(
            "lead",
            remove=_count(session, Lead, lead.is_demo.is_(True)),
            keep_yours=_count(session, Lead, lead.is_demo.is_(False)),
        )
    }
    for name in LEAD_TABLES:
        t = MODELS[name].__table__.c
        on_demo = t.lead_id.in_(_demo_lead_ids())
        plans[name] = TablePlan(
            name,
            remove=_count(session, MODELS[name], on_demo),
            keep_yours=_count(session, MODELS[name], ~on_demo),
        )
    return plans


class _Graph:
    """The small tables' rows (ids, flags and links only) and the kept/start sets."""

    def __init__(self, session: Session):
        r = _rows
        self.meetings = {
            m.id: m for m in r(session, Meeting, "id", "is_demo", "status", "held_on", "title")
        }
        self.notes = r(session, MeetingNote, "id", "meeting_id", "is_demo")
        self.ratings = r(session, MeetingRating, "id", "meeting_id", "is_demo")
        self.attendees = r(session, MeetingAttendee, "id", "meeting_id", "is_demo")
        self.decisions = r(session, Decision, "id", "meeting_id", "sla_version", "is_demo")
        self.actions = r(session, Action, "id", "meeting_id", "is_demo")
        self.reviews = r(session, ActionReview, "id", "action_id", "meeting_id", "is_demo")
        self.agreements = r(session, SlaAgreement, "id", "version", "is_demo")
        self.confirmations = r(session, SlaConfirmation, "id", "agreement_id", "is_demo")
        self.causes = r(session, SlaCause, "id", "is_demo")
        self.definitions = r(session, Definition, "id", "key", "version", "term", "is_demo")
        self.personas = r(session, Persona, "id", "name", "is_demo")
        self.persona_versions = r(session, PersonaVersion, "id", "persona_id", "is_demo")
        self.campaigns = r(session, Campaign, "id", "name", "persona", "is_demo")
        self.brief_versions = r(session, BriefVersion, "id", "campaign_id", "is_demo")
        self.brief_views = r(session, BriefView, "id", "campaign_id")
        self.tables = {
            "meeting": list(self.meetings.values()),
            "meeting_note": self.notes,
            "meeting_rating": self.ratings,
            "meeting_attendee": self.attendees,
            "decision": self.decisions,
            "action": self.actions,
            "action_review": self.reviews,
            "sla_agreement": self.agreements,
            "sla_confirmation": self.confirmations,
            "sla_cause": self.causes,
            "definition": self.definitions,
            "persona": self.personas,
            "persona_version": self.persona_versions,
            "campaign": self.campaigns,
            "brief_version": self.brief_versions,
        }
        self.kept: dict[str, set[int]] = defaultdict(set)
        self._changed = False

    def keep(self, table: str, row_id: int | None) -> None:
        if row_id is not None and row_id not in self.kept[table]:
            self.kept[table].add(row_id)
            self._changed = True

    def is_kept(self, table: str, row_id: int | None) -> bool:
        return row_id is not None and row_id in self.kept[table]

    def settle(self) -> None:
        """Keep every non-demo row and what the rule says comes with it, until nothing
        more changes."""
        for table, rows in self.tables.items():
            self.kept[table] |= {row.id for row in rows if not row.is_demo}
        for m in self.meetings.values():
            if m.status == MeetingStatus.running:  # the demo never leaves one running
                self.keep("meeting", m.id)
        agreement_of_version = {a.version: a.id for a in self.agreements}
        persona_of_name = {p.name: p.id for p in self.personas}
        versions_of_key: dict[str, list[int]] = defaultdict(list)
        for d in self.definitions:
            versions_of_key[d.key].append(d.id)
        self._changed = True
        while self._changed:
            self._changed = False
            # up: a row that stays keeps the row it hangs off
            for table, rows in (
                ("meeting_note", self.notes),
                ("meeting_rating", self.ratings),
                ("meeting_attendee", self.attendees),
                ("decision", self.decisions),
            ):
                for row in rows:
                    if self.is_kept(table, row.id):
                        self.keep("meeting", row.meeting_id)
            for d in self.decisions:
                if self.is_kept("decision", d.id) and d.sla_version is not None:
                    self.keep("sla_agreement", agreement_of_version.get(d.sla_version))
            for rv in self.reviews:
                if self.is_kept("action_review", rv.id):
                    self.keep("meeting", rv.meeting_id)
                    self.keep("action", rv.action_id)
            for c in self.confirmations:
                if self.is_kept("sla_confirmation", c.id):
                    self.keep("sla_agreement", c.agreement_id)
            for v in self.persona_versions:
                if self.is_kept("persona_version", v.id):
                    self.keep("persona", v.persona_id)
            for v in self.brief_versions:
                if self.is_kept("brief_version", v.id):
                    self.keep("campaign", v.campaign_id)
            for c in self.campaigns:
                if self.is_kept("campaign", c.id) and c.persona:
                    self.keep("persona", persona_of_name.get(c.persona))
            for ids in versions_of_key.values():
                if any(self.is_kept("definition", i) for i in ids):
                    for i in ids:
                        self.keep("definition", i)
            # down: a demo row that stays keeps its own rows
            for table, rows in (
                ("meeting_note", self.notes),
                ("meeting_rating", self.ratings),
                ("meeting_attendee", self.attendees),
                ("decision", self.decisions),
                ("action", self.actions),
            ):
                for row in rows:
                    if self.is_kept("meeting", row.meeting_id):
                        self.keep(table, row.id)
            for rv in self.reviews:
                if self.is_kept("meeting", rv.meeting_id) and self.is_kept("action", rv.action_id):
                    self.keep("action_review", rv.id)
            for c in self.confirmations:
                if self.is_kept("sla_agreement", c.agreement_id):
                    self.keep("sla_confirmation", c.id)
            for v in self.persona_versions:
                if self.is_kept("persona", v.persona_id):
                    self.keep("persona_version", v.id)
            for v in self.brief_versions:
                if self.is_kept("campaign", v.campaign_id):
                    self.keep("brief_version", v.id)

    def starting_point(self) -> dict[str, set[int]]:
        """The untouched demo rows that stay as the team's starting point."""
        start: dict[str, set[int]] = {}
        for table in STARTING_POINT:
            start[table] = {row.id for row in self.tables[table] if row.id not in self.kept[table]}
        return start


def removal_plan(session: Session, *, keep_starting_point: bool = True) -> RemovalPlan:
    """What removing the demo company would remove and keep, per table and in words (the
    rule is in this module's docstring). Reads only."""
    g = _Graph(session)
    g.settle()
    start = g.starting_point() if keep_starting_point else {}
    tables = _lead_counts(session)
    remove_ids: dict[str, set[int]] = {}
    adopt_ids: dict[str, set[int]] = {}
    for table, rows in g.tables.items():
        kept, starting = g.kept[table], start.get(table, set())
        remove_ids[table] = {r.id for r in rows if r.is_demo and r.id not in kept | starting}
        adopt_ids[table] = {r.id for r in rows if r.is_demo and r.id in kept | starting}
        tables[table] = TablePlan(
            table, remove=len(remove_ids[table]), keep_yours=len(kept), keep_start=len(starting)
        )
    removed_campaigns = remove_ids["campaign"]
    remove_ids["brief_view"] = {v.id for v in g.brief_views if v.campaign_id in removed_campaigns}
    tables["brief_view"] = TablePlan(
        "brief_view",
        remove=len(remove_ids["brief_view"]),
        keep_yours=len(g.brief_views) - len(remove_ids["brief_view"]),
    )
    tables = {t: tables[t] for t in TABLES}
    removed_meetings = remove_ids["meeting"]
    detach = {
        a.id for a in g.actions if a.id in g.kept["action"] and a.meeting_id in removed_meetings
    }
    plan = RemovalPlan(
        keep_starting_point=keep_starting_point,
        tables=tables,
        remove_ids=remove_ids,
        adopt_ids=adopt_ids,
        detach_ids=detach,
    )
    _describe(session, plan, g, start)
    return plan


def _describe(session: Session, plan: RemovalPlan, g: _Graph, start: dict[str, set[int]]):
    """Fill in the names and counts the plan's sentences use."""
    on_demo = Verdict.__table__.c.lead_id.in_(_demo_lead_ids())
    plan.your_verdicts = _count(session, Verdict, on_demo, Verdict.__table__.c.is_demo.is_(False))
    a = LeadActivity.__table__.c
    plan.your_contacts = _count(
        session, LeadActivity, a.lead_id.in_(_demo_lead_ids()), a.is_demo.is_(False)
    )
    kept_meetings = sorted(
        (g.meetings[i] for i in g.kept["meeting"]), key=lambda m: (m.held_on, m.id)
    )
    counts: dict[int, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for table, rows in (
        ("meeting_note", g.notes),
        ("meeting_rating", g.ratings),
        ("meeting_attendee", g.attendees),
        ("decision", g.decisions),
        ("action", g.actions),
        ("action_review", g.reviews),
    ):
        for row in rows:
            if g.is_kept(table, row.id) and g.is_kept("meeting", row.meeting_id):
                counts[row.meeting_id][table] += 1
    plan.kept_meetings = [
        KeptMeeting(m.id, m.title, m.held_on, dict(counts[m.id]), m.status == MeetingStatus.planned)
        for m in kept_meetings
    ]
    plan.detached_actions = len(plan.detach_ids)
    plan.other_actions = sum(
        1 for x in g.actions if g.is_kept("action", x.id) and x.meeting_id is None
    )
    newest_term: dict[str, tuple[int, str]] = {}
    for d in g.definitions:
        if d.key not in newest_term or d.version > newest_term[d.key][0]:
            newest_term[d.key] = (d.version, d.term)
    kept_keys = {d.key for d in g.definitions if g.is_kept("definition", d.id)}
    plan.your_definitions = [newest_term[k][1] for k in sorted(kept_keys)]
    start_keys = {d.key for d in g.definitions if d.id in start.get("definition", set())}
    plan.start_definitions = len(start_keys)
    plan.removed_definitions = len(
        {d.key for d in g.definitions if d.id in plan.remove_ids["definition"]}
    )
    edited = {p.id for p in g.personas if not p.is_demo}
    edited |= {v.persona_id for v in g.persona_versions if not v.is_demo}
    kept_personas = [p for p in g.personas if g.is_kept("persona", p.id)]
    plan.your_personas = [p.name for p in kept_personas if p.id in edited]
    plan.named_personas = [p.name for p in kept_personas if p.id not in edited]
    plan.start_personas = [p.name for p in g.personas if p.id in start.get("persona", set())]
    plan.your_campaigns = [c.name for c in g.campaigns if g.is_kept("campaign", c.id)]
    plan.your_agreements = [x.version for x in g.agreements if g.is_kept("sla_agreement", x.id)]
    plan.start_agreements = [
        x.version for x in g.agreements if x.id in start.get("sla_agreement", set())
    ]
    plan.removed_agreements = [
        x.version for x in g.agreements if x.id in plan.remove_ids["sla_agreement"]
    ]


# --- carrying it out ---------------------------------------------------------------------------


class DemoChangedMeanwhile(InvalidInput):
    """The data changed between the plan and the removal; nothing was removed."""


CHANGED_MEANWHILE = N_(
    "someone changed the data while the demo company was being removed, so nothing was "
    "removed: look at what goes and what stays again, then confirm once more"
)


def _chunks(ids: set[int]):
    ordered = sorted(ids)
    for lo in range(0, len(ordered), ID_CHUNK):
        yield ordered[lo : lo + ID_CHUNK]


def _carry_out(conn: Connection, plan: RemovalPlan) -> dict[str, int]:
    """Detach, delete and adopt as planned; returns the rows deleted per table."""
    action = Action.__table__
    for part in _chunks(plan.detach_ids):
        conn.execute(update(action).where(action.c.id.in_(part)).values(meeting_id=None))
    deleted: dict[str, int] = {}
    for name in TABLES:
        t = MODELS[name].__table__
        if name == "lead":
            deleted[name] = conn.execute(delete(t).where(t.c.is_demo.is_(True))).rowcount or 0
        elif name in LEAD_TABLES:
            stmt = delete(t).where(t.c.lead_id.in_(_demo_lead_ids()))
            deleted[name] = conn.execute(stmt).rowcount or 0
        else:
            deleted[name] = sum(
                conn.execute(delete(t).where(t.c.id.in_(part))).rowcount or 0
                for part in _chunks(plan.remove_ids.get(name, set()))
            )
    for name, ids in plan.adopt_ids.items():
        t = MODELS[name].__table__
        for part in _chunks(ids):
            conn.execute(update(t).where(t.c.id.in_(part)).values(is_demo=False))
    return deleted


def clear_demo(engine: Engine, *, actor: Actor, keep_starting_point: bool = True) -> RemovalPlan:
    """Remove the demo company as :func:`removal_plan` describes it, in one transaction
    (a failure leaves the database as it was), audited with the counts; returns the plan
    carried out. Users, settings and the audit log are kept."""
    require(actor, "demo.manage")
    with engine.begin() as conn:
        with Session(bind=conn) as s:
            plan = removal_plan(s, keep_starting_point=keep_starting_point)
        try:
            deleted = _carry_out(conn, plan)
        except IntegrityError as exc:  # a row added meanwhile hangs off a row planned to go
            raise DemoChangedMeanwhile(_(CHANGED_MEANWHILE)) from exc
        if any(n != plan.count(t) for t, n in deleted.items()):
            raise DemoChangedMeanwhile(_(CHANGED_MEANWHILE))
        with Session(bind=conn) as s:
            set_setting(s, DEMO_SETTING, "0")
            audit.record(
                s,
                actor.username,
                "demo.clear",
                "demo",
                keep_starting_point=keep_starting_point,
                removed=plan.removed,
                kept_yours=plan.kept_yours,
                kept_starting_point=plan.kept_start,
                actions_detached=len(plan.detach_ids),
            )
            bump_data_version(s)
            s.flush()
    return plan
