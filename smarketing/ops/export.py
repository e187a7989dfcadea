"""The export zip for people who leave the tool: notes, decisions, actions, definitions,
personas and briefs as CSV and Markdown in one zip (:func:`export_zip`)."""

from __future__ import annotations

import io
import json
import re
import time
import unicodedata
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from sqlmodel import Session, select

from smarketing import config, formatting, safe_csv
from smarketing.i18n import N_, _, ngettext
from smarketing.ops.files import BackupError, check_out, publish, remove, temp_beside
from smarketing.store import db
from smarketing.store.file_modes import open_private
from smarketing.store.models import (
    Action,
    ActionReview,
    BriefFields,
    BriefStatus,
    BriefVersion,
    Campaign,
    Decision,
    Definition,
    Meeting,
    MeetingNote,
    MeetingStatus,
    Persona,
    PersonaBase,
    PersonaVersion,
)


@dataclass
class ExportResult:
    """The zip written by :func:`export_zip`: its files, CSV row counts and size."""

    path: Path
    files: list[str] = field(default_factory=list)
    rows: dict[str, int] = field(default_factory=dict)
    size: int = 0
    seconds: float = 0.0

    @property
    def markdown_files(self) -> list[str]:
        """The Markdown files in the zip."""
        return [f for f in self.files if f.endswith(".md")]


PERSONA_FIELDS = list(PersonaBase.model_fields)
BRIEF_FIELDS = list(BriefFields.model_fields)
#: The headings of a persona card's sections (English, the message ids: translated where
#: the card is written).
PERSONA_SECTIONS = {
    "company_profile": N_("Company profile"),
    "goals": N_("Goals"),
    "challenges": N_("Challenges"),
    "information_sources": N_("Where they look for information"),
    "objections": N_("Objections"),
    "messages": N_("Messages that work"),
    "recognise": N_("How to recognise them"),
}
NOTE_HEADER = [
    "meeting_id", "meeting", "meeting_date", "meeting_kind", "step", "author", "note",
    "revision", "created_at", "updated_at",
]  # fmt: skip
DECISION_HEADER = [
    "id", "decided_on", "decision", "decided_by", "metric", "sla_version", "meeting_id",
    "meeting", "meeting_date", "recorded_by", "recorded_at",
]  # fmt: skip
ACTION_HEADER = [
    "id", "action", "owner", "due_date", "status", "metric", "period_kind", "period_start",
    "carried_over", "drop_reason", "meeting_id", "meeting", "meeting_date", "created_by",
    "created_at", "closed_at", "reviews",
]  # fmt: skip
REVIEW_HEADER = [
    "action_id", "action", "meeting_id", "meeting", "meeting_date", "outcome", "note",
    "reviewed_by", "reviewed_at",
]  # fmt: skip
DEFINITION_HEADER = [
    "key", "version", "current", "term", "category", "position", "owner_team", "definition",
    "rule", "agreed_on", "agreed_by", "created_by", "created_at",
]  # fmt: skip
PERSONA_HEADER = [
    "persona_id", "persona", "version", "current", "archived", "saved_by", "saved_at",
    *PERSONA_FIELDS,
]  # fmt: skip
BRIEF_HEADER = [
    "campaign_id", "campaign", "status", "version", "persona", "channel", "start_date",
    "end_date", "lead_target", "saved_by", "saved_at", *BRIEF_FIELDS,
]  # fmt: skip
_FOLD = str.maketrans({"æ": "ae", "Æ": "Ae", "ø": "o", "Ø": "O", "ß": "ss", "đ": "d"})


def slugify(text: str, fallback: str = "untitled") -> str:
    """A file-name part: lower-case ASCII letters, digits and dashes (æ→ae, ø→o, å→a)."""
    ascii_text = unicodedata.normalize("NFKD", text.translate(_FOLD)).encode("ascii", "ignore")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.decode().lower()).strip("-")[:60].strip("-")
    return slug or fallback


def _cell(value: object) -> object:
    """A CSV cell: ISO times in UTC, ISO dates, yes/no (the writer, :mod:`smarketing.safe_csv`,
    keeps text safe from spreadsheet formulas)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=UTC)
        return moment.astimezone(UTC).isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    return value


def _json(text: str | None) -> dict:
    try:
        data = json.loads(text or "{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _day(value: datetime | None) -> str:
    """The business-timezone calendar day of a time."""
    return value.astimezone(config.business_tz()).date().isoformat() if value else ""


class _Zip:
    """A zip being written: every entry streamed in, stamped with the export time, listed."""

    def __init__(self, fh, now: datetime):
        self.zip = zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_DEFLATED)
        local = now.astimezone(config.business_tz())
        self.stamp = (max(local.year, 1980), *local.timetuple()[1:6])
        self.listing: dict[str, str] = {}
        self.rows: dict[str, int] = {}

    def _info(self, name: str) -> zipfile.ZipInfo:
        info = zipfile.ZipInfo(name, date_time=self.stamp)
        info.compress_type = zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        return info

    def csv(self, name: str, header: list[str], rows: Iterable[Iterable], what: str) -> None:
        """Write a CSV (UTF-8 with BOM) row by row, formula-safe (:mod:`smarketing.safe_csv`)."""
        count = 0
        with self.zip.open(self._info(name), "w") as raw:
            text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
            writer = safe_csv.writer(text)
            writer.writerow(header)
            for row in rows:
                writer.writerow([_cell(v) for v in row])
                count += 1
            text.flush()
            text.detach()
        self.rows[name] = count
        rows = ngettext("{n} row", "{n} rows", count).format(n=formatting.count(count))
        self.listing[name] = f"{what} ({rows})"

    def text(self, name: str, body: str, what: str) -> None:
        """Write a UTF-8 text file; a name already used gets -2, -3 … before its extension."""
        stem, dot, ext = name.rpartition(".")
        n = 2
        while name in self.listing:
            name = f"{stem}-{n}{dot}{ext}"
            n += 1
        with self.zip.open(self._info(name), "w") as raw:
            raw.write(body.rstrip("\n").encode("utf-8") + b"\n")
        self.listing[name] = what


# CSV rows ----------------------------------------------------------------------------------


def _note_rows(session: Session) -> Iterator[tuple]:
    query = (
        select(MeetingNote, Meeting)
        .join(Meeting, MeetingNote.meeting_id == Meeting.id)
        .order_by(Meeting.held_on, Meeting.id, MeetingNote.id)
    )
    for n, m in session.exec(query):
        yield (
            m.id, m.title, m.held_on, m.kind, n.step, n.author, n.body, n.revision,
            n.created_at, n.updated_at,
        )  # fmt: skip


def _decision_rows(session: Session) -> Iterator[tuple]:
    query = (
        select(Decision, Meeting.title, Meeting.held_on)
        .outerjoin(Meeting, Decision.meeting_id == Meeting.id)
        .order_by(Decision.decided_on, Decision.id)
    )
    for d, title, held_on in session.exec(query):
        yield (
            d.id, d.decided_on, d.text, d.decided_by, d.metric, d.sla_version, d.meeting_id,
            title, held_on, d.created_by, d.created_at,
        )  # fmt: skip


def _review_rows(session: Session) -> list[tuple]:
    query = (
        select(ActionReview, Action.title, Meeting.title, Meeting.held_on)
        .join(Action, ActionReview.action_id == Action.id)
        .join(Meeting, ActionReview.meeting_id == Meeting.id)
        .order_by(ActionReview.action_id, ActionReview.reviewed_at, ActionReview.id)
    )
    return [
        (r.action_id, action, r.meeting_id, meeting, held_on, r.outcome, r.note, r.reviewed_by,
         r.reviewed_at)
        for r, action, meeting, held_on in session.exec(query)
    ]  # fmt: skip


def _action_rows(session: Session, reviews: list[tuple]) -> Iterator[tuple]:
    said: dict[int, list[str]] = {}
    for action_id, _a, _m, meeting, held_on, outcome, note, _by, _at in reviews:
        text = f"{held_on.isoformat()} {meeting}: {outcome.replace('_', ' ')}"
        said.setdefault(action_id, []).append(text + (f" — {note}" if note else ""))
    query = (
        select(Action, Meeting.title, Meeting.held_on)
        .outerjoin(Meeting, Action.meeting_id == Meeting.id)
        .order_by(Action.created_at, Action.id)
    )
    for a, title, held_on in session.exec(query):
        yield (
            a.id, a.title, a.owner, a.due_date, a.status, a.metric, a.period_kind,
            a.period_start, a.carried_over, a.drop_reason, a.meeting_id, title, held_on,
            a.created_by, a.created_at, a.closed_at, "\n".join(said.get(a.id, [])),
        )  # fmt: skip


def _definition_rows(definitions: list[Definition], current: dict[str, int]) -> Iterator[tuple]:
    for d in definitions:
        yield (
            d.key, d.version, current[d.key] == d.version, d.term, d.category, d.position,
            d.owner_team, d.body, d.rule, d.agreed_on, d.agreed_by, d.created_by, d.created_at,
        )  # fmt: skip


def _persona_rows(session: Session, personas: list[Persona]) -> Iterator[tuple]:
    by_id = {p.id: p for p in personas}
    saved: set[tuple[int, int]] = set()
    query = select(PersonaVersion).order_by(PersonaVersion.persona_id, PersonaVersion.version)
    for v in session.exec(query):
        p = by_id.get(v.persona_id)
        data = _json(v.data)
        saved.add((v.persona_id, v.version))
        yield (
            v.persona_id, p.name if p else data.get("name", ""), v.version,
            p is not None and p.version == v.version, p.archived if p else None, v.saved_by,
            v.saved_at, *(data.get(f, "") for f in PERSONA_FIELDS),
        )  # fmt: skip
    for p in personas:  # a current card without its frozen copy still belongs in the file
        if (p.id, p.version) not in saved:
            yield (
                p.id, p.name, p.version, True, p.archived, p.updated_by, p.updated_at,
                *(getattr(p, f) for f in PERSONA_FIELDS),
            )  # fmt: skip


def _brief_rows(session: Session, campaigns: dict[int, Campaign]) -> Iterator[tuple]:
    query = select(BriefVersion).order_by(BriefVersion.campaign_id, BriefVersion.version)
    for v in session.exec(query):
        c = campaigns.get(v.campaign_id)
        data = _json(v.data)
        yield (
            v.campaign_id, data.get("name") or (c.name if c else ""), "published", v.version,
            data.get("persona") or (c.persona if c else None), c.channel if c else None,
            data.get("start_date"), data.get("end_date"), c.lead_target if c else None,
            v.published_by, v.published_at, *(data.get(f, "") for f in BRIEF_FIELDS),
        )  # fmt: skip
    for c in campaigns.values():
        if c.brief_status == BriefStatus.draft:
            yield (
                c.id, c.name, "draft", None, c.persona, c.channel, c.start_date, c.end_date,
                c.lead_target, c.updated_by, c.updated_at, *(getattr(c, f) for f in BRIEF_FIELDS),
            )  # fmt: skip


# Markdown ----------------------------------------------------------------------------------


def shared_language_md(current: list[Definition], as_of: str) -> str:
    """The current definitions as one Markdown document, grouped by category."""
    lines = [
        "# " + _("Shared language"),
        "",
        _("The current version of every agreed term, as of {as_of}.").format(as_of=as_of),
    ]
    category = None
    for d in sorted(current, key=lambda d: (d.category, d.position, d.term)):
        if d.category != category:
            category = d.category
            lines += ["", f"## {category.replace('_', ' ').capitalize()}"]
        agreed = (
            _("agreed on {day}").format(day=d.agreed_on.isoformat())
            if d.agreed_on
            else _("not agreed yet")
        )
        if d.agreed_by:
            agreed += " " + _("by {who}").format(who=d.agreed_by)
        owner = _("Owner: {team} · version {version} · {agreed}").format(
            team=d.owner_team, version=d.version, agreed=agreed
        )
        lines += ["", f"### {d.term}", "", f"*{owner}*"]
        if d.body:
            lines += ["", d.body]
        if d.rule:
            lines += ["", _("**Rule:** `{rule}`").format(rule=d.rule)]
    return "\n".join(lines)


def persona_md(p: Persona) -> str:
    """A persona card as Markdown."""
    lines = [f"# {p.icon} {p.name}".strip(), ""]
    facts = [x for x in (p.role, p.seniority) if x]
    if facts:
        lines += [" · ".join(facts), ""]
    if p.archived:
        lines += ["*" + _("Archived.") + "*", ""]
    lines.append(
        _("Version {version}, last saved by {who} on {day}.").format(
            version=p.version, who=p.updated_by, day=_day(p.updated_at)
        )
    )
    for key, heading in PERSONA_SECTIONS.items():
        body = (getattr(p, key) or "").strip()
        if body:
            lines += ["", "## " + _(heading), "", body]
    return "\n".join(lines)


def minutes_md(session: Session, m: Meeting) -> str:
    """The meeting's stored minutes; for one closed without them, minutes from its rows."""
    held = _("Held on {day}.").format(day=m.held_on.isoformat())
    if m.minutes and m.minutes.strip():
        first, _nl, rest = m.minutes.strip().partition("\n")
        if not first.startswith("#"):
            first, rest = f"# {m.title}", m.minutes.strip()
        return f"{first}\n\n{held}\n\n{rest.strip()}".rstrip()
    lines = [f"# {m.title}", "", held]
    notes = select(MeetingNote).where(MeetingNote.meeting_id == m.id).order_by(MeetingNote.id)
    for n in session.exec(notes):
        lines += ["", f"**{n.step}** ({n.author}): {n.body}"]
    decisions = select(Decision).where(Decision.meeting_id == m.id).order_by(Decision.id)
    actions = select(Action).where(Action.meeting_id == m.id).order_by(Action.id)
    items = ["- " + _("Decision: {text}").format(text=d.text) for d in session.exec(decisions)]
    items += [
        "- "
        + _("Action: {title} — {owner}, due {day}").format(
            title=a.title, owner=a.owner, day=a.due_date.isoformat()
        )
        for a in session.exec(actions)
    ]
    return "\n".join([*lines, "", *items] if items else lines)


def _current_definitions(definitions: list[Definition]) -> list[Definition]:
    newest: dict[str, Definition] = {}
    for d in definitions:
        if d.key not in newest or d.version > newest[d.key].version:
            newest[d.key] = d
    return list(newest.values())


# the zip -----------------------------------------------------------------------------------


def _write_csvs(z: _Zip, session: Session, definitions, personas, campaigns) -> None:
    z.csv(
        "meeting-notes.csv",
        NOTE_HEADER,
        _note_rows(session),
        _("every meeting note, with its meeting's title and date"),
    )
    z.csv("decisions.csv", DECISION_HEADER, _decision_rows(session), _("every decision"))
    reviews = _review_rows(session)
    z.csv(
        "actions.csv",
        ACTION_HEADER,
        _action_rows(session, reviews),
        _("every action, with what the meetings' reviews said about it"),
    )
    z.csv("action-reviews.csv", REVIEW_HEADER, reviews, _("each review of an action in a meeting"))
    current = {d.key: d.version for d in _current_definitions(definitions)}
    z.csv(
        "definitions.csv",
        DEFINITION_HEADER,
        _definition_rows(definitions, current),
        _("every version of every shared-language definition"),
    )
    z.csv(
        "personas.csv",
        PERSONA_HEADER,
        _persona_rows(session, personas),
        _("every saved version of every persona card"),
    )
    z.csv(
        "campaign-briefs.csv",
        BRIEF_HEADER,
        _brief_rows(session, campaigns),
        _("every published brief version, and the current unpublished drafts"),
    )


def _write_markdown(z: _Zip, session: Session, definitions, personas, campaigns, as_of) -> None:
    if current := _current_definitions(definitions):
        z.text(
            "shared-language.md",
            shared_language_md(current, as_of),
            _("the current shared-language definitions"),
        )
    for p in personas:
        z.text(
            f"personas/{slugify(p.name)}.md",
            persona_md(p),
            _("persona card: {name}").format(name=p.name),
        )
    from smarketing.content.campaigns import (  # what sales pastes in e-mails
        brief_for,
        brief_markdown,
    )

    for c in campaigns.values():
        published = (brief_for(session, c.id, actor=None) or {}).get("published")
        if published:
            z.text(
                f"briefs/{slugify(c.name)}.md",
                brief_markdown(published),
                _("campaign brief (version {version}): {name}").format(
                    version=published["version"], name=c.name
                ),
            )
    closed = (
        select(Meeting)
        .where(Meeting.status == MeetingStatus.closed)
        .order_by(Meeting.held_on, Meeting.id)
    )
    for m in session.exec(closed):
        z.text(
            f"minutes/{m.held_on.isoformat()}-{slugify(m.title)}.md",
            minutes_md(session, m),
            _("minutes: {title}").format(title=m.title),
        )


def _readme(z: _Zip, now: datetime, as_of: str, source: str) -> str:
    title, files = _("Smarketing export"), _("Files")
    lines = [
        title,
        "=" * len(title),
        "",
        _("Exported {when} ({as_of})\nfrom {source}.").format(
            when=now.astimezone(UTC).isoformat(timespec="seconds"), as_of=as_of, source=source
        ),
        "",
        _(
            "Meeting notes, decisions, actions, shared-language definitions, personas and\n"
            "campaign briefs, to read without Smarketing. Leads are not included: they come\n"
            "from your CRM."
        ),
        "",
        _(
            "CSV files: UTF-8 with a byte-order mark (Excel opens them as they are), comma-\n"
            "separated, one header row. Times are ISO 8601 in UTC; dates are calendar days\n"
            "(YYYY-MM-DD). Text that starts with = + - or @ has a ' put in front, so that a\n"
            "spreadsheet shows it as text instead of running it as a formula; the Markdown\n"
            "files hold the texts unchanged."
        ),
        "",
        files,
        "-" * len(files),
    ]
    names = sorted(z.listing)
    width = max(len(n) for n in names)
    return "\n".join(lines + [f"{n:<{width}}  {z.listing[n]}" for n in names])


def export_zip(
    session: Session, out: Path | str, *, now: datetime, overwrite: bool = False
) -> ExportResult:
    """Write the export zip (CSV and Markdown, listed in README.txt inside) atomically."""
    started = time.perf_counter()
    out = check_out(Path(out), overwrite=overwrite, example="smarketing-export.zip")
    as_of = f"{now.astimezone(config.business_tz()):%Y-%m-%d %H:%M} {config.timezone_name()}"
    definitions = list(
        session.exec(select(Definition).order_by(Definition.key, Definition.version))
    )
    personas = list(session.exec(select(Persona).order_by(Persona.name)))
    campaigns = {c.id: c for c in session.exec(select(Campaign).order_by(Campaign.name))}
    tmp = temp_beside(out)
    try:
        with open_private(tmp) as fh:
            z = _Zip(fh, now)
            _write_csvs(z, session, definitions, personas, campaigns)
            _write_markdown(z, session, definitions, personas, campaigns, as_of)
            source = db.url_for_display(str(session.get_bind().url))
            z.text("README.txt", _readme(z, now, as_of, source), "what is in this zip")
            z.zip.close()
        publish(tmp, out, overwrite=overwrite)
    except OSError as exc:
        raise BackupError(f"cannot write the export {out}: {exc.strerror or exc}") from exc
    finally:
        remove(tmp)
    return ExportResult(
        path=out,
        files=sorted(z.listing),
        rows=dict(z.rows),
        size=out.stat().st_size,
        seconds=time.perf_counter() - started,
    )
