"""The minutes of a meeting as Markdown, built from the stored rows and the FROZEN
scorecard (never recomputed from leads): the page, the download and
``python -m smarketing minutes MEETING_ID`` all print this text.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import and_, or_
from sqlmodel import Session, col, func, select

from smarketing import config, formatting, i18n
from smarketing.auth.people import display_names, people_in, people_text
from smarketing.errors import InvalidInput
from smarketing.formatting import figure
from smarketing.i18n import N_, _, ngettext
from smarketing.meetings import actions as action_store
from smarketing.meetings.agenda import step_title
from smarketing.meetings.records import (
    agenda_of,
    attendees_of,
    is_closed,
    meeting_by_id,
    rating_summary,
)
from smarketing.meetings.scorecard import (
    REPORT_KINDS,
    frozen_scorecard,
    reader_rows,
    scorecard_day,
    scorecard_snapshot,
)
from smarketing.sla.metrics import METRIC_BY_KEY, status_label
from smarketing.sla.periods import local_date, period_containing
from smarketing.store.models import (
    Action,
    ActionReview,
    Decision,
    Meeting,
    MeetingKind,
    MeetingNote,
    MeetingRating,
    SlaCause,
)

#: Each meeting kind in a sentence (translated where shown: ``_(KIND_TEXT[kind])``).
KIND_TEXT = {
    MeetingKind.weekly: N_("weekly smarketing meeting"),
    MeetingKind.monthly: N_("monthly leadership meeting"),
}
#: Each review outcome in the minutes (translated where shown).
OUTCOME_TEXT = {
    "done": N_("✔ Done"),
    "carried": N_("↻ Carried over"),
    "dropped": N_("✖ Dropped"),
}
#: The two sides of the SLA (a metric's ``side``), as the scorecard names them.
SIDE_TEXT = {"marketing": N_("Marketing"), "sales": N_("Sales")}


def kind_text(kind: str) -> str:
    """'weekly smarketing meeting' in the language speaking (the kind itself if unknown)."""
    return _(KIND_TEXT[kind]) if kind in KIND_TEXT else str(kind)


def _cell(text: object) -> str:
    """Text safe inside a Markdown table cell."""
    return " ".join(str(text).split()).replace("|", "\\|")


def _day(day: date) -> str:
    """'Monday 9 November 2026' (nb 'mandag 9. november 2026')."""
    if i18n.current() == "en":
        return f"{day:%A} {day.day} {day:%B %Y}"
    from babel.dates import format_date

    return format_date(day, "EEEE d. MMMM y", locale=i18n.current())


def _short_day(day: date) -> str:
    """'9 Nov 2026' (nb '9. nov. 2026', as ``formatting.day`` writes it)."""
    if i18n.current() == "en":
        return f"{day.day} {day:%b %Y}"
    return formatting.day(day)


def _local(moment: datetime) -> str:
    return f"{moment.astimezone(config.business_tz()):%Y-%m-%d %H:%M}"


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(_cell(h) for h in header) + " |"]
    lines.append("|" + "|".join("---" for _ in header) + "|")
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return lines


def _metric_cell(m: dict) -> str:
    if m.get("status") == "no_data" and m.get("actual") is None:
        return _("– no data")
    kind = m.get("kind", "count")
    actual = figure(kind, m.get("actual"))
    if m.get("target") is None:
        return _("{actual} · no agreement").format(actual=actual)
    target = figure(kind, m["target"])
    target = f"≤ {target}" if kind == "hours" else target
    return _("{actual} · target {target} · {status}").format(
        actual=actual, target=target, status=status_label(m["status"])
    )


def _side(side: str) -> str:
    return _(SIDE_TEXT[side]) if side in SIDE_TEXT else side.title()


def scorecard_markdown(snapshot: dict) -> list[str]:
    """The frozen scorecard as Markdown lines: the period reports side by side, then the
    trailing scorecard (rows = metrics, columns = periods)."""
    lines: list[str] = []
    reports = snapshot.get("reports") or []
    if reports:
        header = [_("Metric")] + [
            _("{period} (so far)").format(period=r.get("label", r["period"]["start"]))
            if r.get("so_far")
            else r.get("label", r["period"]["start"])
            for r in reports
        ]
        rows = []
        for i, m in enumerate(reports[0]["metrics"]):
            label = f"{_side(m.get('side', ''))} · {_(m.get('label', m['key']))}"
            rows.append([label] + [_metric_cell(r["metrics"][i]) for r in reports])
        lines += _table(header, rows)
        versions = sorted(
            {r["agreement"]["version"] for r in reports if r.get("agreement")}, key=int
        )
        if versions:
            lines += [
                "",
                ngettext(
                    "SLA version {versions} in effect.",
                    "SLA versions {versions} in effect.",
                    len(versions),
                ).format(versions=", ".join(str(v) for v in versions)),
            ]
    trailing = reader_rows(snapshot)
    if trailing:
        periods = list(dict.fromkeys(r["period"] for r in trailing))
        metrics = list(dict.fromkeys(r["metric_label"] for r in trailing))
        cells = {(r["metric_label"], r["period"]): r["text"] for r in trailing}
        kind = (snapshot.get("trailing") or {}).get("kind", "period")
        lines += ["", _trailing_heading(kind, len(periods)), ""]
        lines += _table(
            [_("Metric"), *periods],
            [[m] + [cells.get((m, p), "") for p in periods] for m in metrics],
        )
    return lines


def _trailing_heading(kind: str, n: int) -> str:
    """'**The last 13 weeks** (* = so far)'."""
    if kind == "month":
        text = ngettext(
            "**The last {n} month** (* = so far)", "**The last {n} months** (* = so far)", n
        )
    elif kind == "quarter":
        text = ngettext(
            "**The last {n} quarter** (* = so far)", "**The last {n} quarters** (* = so far)", n
        )
    elif kind == "week":
        text = ngettext(
            "**The last {n} week** (* = so far)", "**The last {n} weeks** (* = so far)", n
        )
    else:
        text = ngettext(
            "**The last {n} period** (* = so far)", "**The last {n} periods** (* = so far)", n
        )
    return text.format(n=formatting.count(n))


def _attendees(meeting: Meeting, notes: list[MeetingNote], raters: list[str]) -> list[str]:
    """Usernames of who was there: the facilitator, the attendee list, note writers, raters."""
    found = [meeting.facilitator] if meeting.facilitator else []
    found += [n.author for n in notes if n.body.strip()]
    return list(dict.fromkeys(p for p in [*found, *raters] if p))


def _causes(session: Session, meeting: Meeting) -> list[SlaCause]:
    """The "why?" causes recorded for the periods the meeting discussed (its scorecard's
    periods) up to its close — e.g. in its SLA challenges step."""
    day = scorecard_day(meeting.held_on)
    periods = [period_containing(k, day) for k in REPORT_KINDS[meeting.kind]]
    query = select(SlaCause).where(
        or_(
            *(
                and_(SlaCause.period_kind == p.kind.value, SlaCause.period_start == p.start)
                for p in periods
            )
        )
    )
    if is_closed(meeting) and meeting.closed_at is not None:
        query = query.where(SlaCause.created_at <= meeting.closed_at)
    order = {p.kind.value: i for i, p in enumerate(periods)}
    rows = session.exec(query.order_by(col(SlaCause.created_at), col(SlaCause.id))).all()
    return sorted(rows, key=lambda c: order.get(c.period_kind, len(order)))


def _carried_counts(session: Session, meeting: Meeting, action_ids: list[int]) -> dict[int, int]:
    """How often each action had been carried over up to and including this meeting."""
    if not action_ids:
        return {}
    rows = session.exec(
        select(ActionReview.action_id, func.count())
        .join(Meeting, Meeting.id == ActionReview.meeting_id)
        .where(
            col(ActionReview.action_id).in_(action_ids),
            ActionReview.outcome == "carried",
            Meeting.held_on <= meeting.held_on,
        )
        .group_by(ActionReview.action_id)
    ).all()
    return dict(rows)


def _period_text(kind: str | None, start: date | None) -> str:
    if not kind or start is None:
        return ""
    try:
        return period_containing(kind, start).label()
    except InvalidInput:
        return f"{kind} {start.isoformat()}"  # an unknown kind: as stored


def _metric_text(key: str | None) -> str:
    if not key:
        return ""
    metric = METRIC_BY_KEY.get(key)
    return _(metric.label) if metric else key


def minutes_markdown(
    session: Session,
    meeting_id: int,
    *,
    now: datetime | None = None,
    people: dict[str, str] | None = None,
) -> str:
    """The meeting's minutes in Markdown.

    A closed meeting shows its frozen scorecard; an open one is marked as a draft and, when
    ``now`` is given, shows the scorecard as it stands at ``now``. People are named from
    :mod:`smarketing.people`; ``people`` names usernames beyond that directory (the demo's
    cast while the demo is being written)."""
    cast = people
    meeting = meeting_by_id(session, meeting_id)
    closed = is_closed(meeting)
    steps = agenda_of(meeting)
    notes = list(
        session.exec(
            select(MeetingNote)
            .where(MeetingNote.meeting_id == meeting.id)
            .order_by(col(MeetingNote.created_at), col(MeetingNote.id))
        ).all()
    )
    raters = list(
        session.exec(
            select(MeetingRating.username)
            .where(MeetingRating.meeting_id == meeting.id)
            .order_by(col(MeetingRating.username))
        ).all()
    )
    decisions = list(
        session.exec(
            select(Decision).where(Decision.meeting_id == meeting.id).order_by(col(Decision.id))
        ).all()
    )
    reviews = action_store.reviews_in(session, meeting.id)
    reviewed = {a.id: a for a in _actions(session, [r.action_id for r in reviews])}
    to_review = []
    if not closed:
        done_ids = set(reviewed)
        to_review = [
            a for a in action_store.actions_for_review(session, meeting.id) if a.id not in done_ids
        ]
    created = action_store.actions_created_in(session, meeting.id)

    listed = attendees_of(session, meeting.id)
    attendees = _attendees(meeting, notes, [a.username for a in listed if a.username] + raters)
    guests = [a.guest_name for a in listed if not a.username and a.guest_name]
    causes = _causes(session, meeting)
    owners = [a.owner for a in (*reviewed.values(), *to_review, *created)]
    deciders = people_in(d.decided_by for d in decisions)
    names = display_names(
        session,
        [*attendees, *owners, *deciders, *(c.author for c in causes), meeting.closed_by or ""],
    )
    names = {**(cast or {}), **{u: n for u, n in names.items() if n != u}}

    def who(username: str | None) -> str:
        return names.get(username or "", username or "–")

    title = f"# {meeting.title}" if closed else _("# {title} (draft)").format(title=meeting.title)
    lines = [title, ""]
    if not closed:
        lines += [
            _(
                "> **Draft minutes**: this meeting is not closed yet, so everything below may "
                "still change; the scorecard is frozen when the meeting closes."
            ),
            "",
        ]
    everyone = sorted([*(who(p) for p in attendees), *guests], key=str.lower)
    lines += [
        _("- **Date:** {day}").format(day=_day(meeting.held_on)),
        _("- **Meeting:** {kind}").format(kind=kind_text(meeting.kind)),
        _("- **Facilitator:** {name}").format(name=who(meeting.facilitator)),
        _("- **Attendees:** {names}").format(names=", ".join(everyone) or "–"),
    ]
    if meeting.started_at is not None and local_date(meeting.started_at) != meeting.held_on:
        lines.append(
            _("- **Held:** {day}, started {time} (planned for {planned})").format(
                day=_day(local_date(meeting.started_at)),
                time=_local(meeting.started_at)[-5:],
                planned=_day(meeting.held_on),
            )
        )
    if closed and meeting.closed_at is not None:
        lines.append(
            _("- **Closed:** {time} ({timezone}) by {name}").format(
                time=_local(meeting.closed_at),
                timezone=config.timezone_name(),
                name=who(meeting.closed_by),
            )
        )

    lines += ["", _("## Scorecard"), ""]
    snapshot = frozen_scorecard(meeting)
    if closed and snapshot:
        computed = datetime.fromisoformat(snapshot["computed_at"])
        lines += [
            _("As it stood when the meeting closed ({time}).").format(time=_local(computed)),
            "",
        ]
        lines += scorecard_markdown(snapshot)
    elif closed:
        lines.append(_("_No scorecard was frozen for this meeting._"))
    elif now is not None:
        live = scorecard_snapshot(session, kind=meeting.kind, held_on=meeting.held_on, now=now)
        lines += [
            _("As it stands now ({time}); frozen when the meeting closes.").format(
                time=_local(now)
            ),
            "",
        ]
        lines += scorecard_markdown(live)
    else:
        lines.append(_("_The scorecard is frozen when the meeting closes._"))

    lines += ["", _("## Why? Causes recorded"), ""]
    if not causes:
        lines.append(_("_No causes recorded for these periods._"))
    for c in causes:
        label = _period_text(c.period_kind, c.period_start) or c.period_kind
        text = " ".join(c.text.split())
        lines.append(
            f"- **{_metric_text(c.metric)}** · {label} — {_(c.category)}: {text} ({who(c.author)})"
        )

    lines += ["", _("## Notes")]
    by_step: dict[str, list[MeetingNote]] = {}
    for n in notes:
        if n.body.strip():
            by_step.setdefault(n.step, []).append(n)
    keys = [s["key"] for s in steps]
    for number, step in enumerate(steps, start=1):
        lines += ["", f"### {number}. {step_title(step)}", ""]
        lines += _notes_lines(by_step.get(step["key"], []), who)
    for key in [k for k in by_step if k not in keys]:
        lines += ["", _("### Other notes ({step})").format(step=key), ""]
        lines += _notes_lines(by_step[key], who)

    lines += ["", _("## Decisions"), ""]
    if not decisions:
        lines.append(_("_No decisions._"))
    for number, d in enumerate(decisions, start=1):
        by = people_text(names, d.decided_by, empty="–")
        extra = [_("decided by {names} on {day}").format(names=by, day=_short_day(d.decided_on))]
        if d.metric:
            extra.append(_("metric: {metric}").format(metric=_metric_text(d.metric)))
        if d.sla_version is not None:
            extra.append(_("SLA version {version}").format(version=d.sla_version))
        text = d.text.strip().replace("\n", "\n   ")
        lines.append(f"{number}. {text} — " + " · ".join(extra))

    lines += ["", _("## Actions review"), ""]
    counts = _carried_counts(session, meeting, list(reviewed))
    if not reviews and not to_review:
        lines.append(_("_No actions to review._"))
    for r in reviews:
        a = reviewed.get(r.action_id)
        if a is None:
            continue
        label = _(OUTCOME_TEXT[r.outcome]) if r.outcome in OUTCOME_TEXT else r.outcome
        if r.outcome == "carried":
            label += f" ({counts.get(a.id, 1)}×)"
        line = _("- {outcome}: {action} — {owner}, due {day}").format(
            outcome=label, action=a.title, owner=who(a.owner), day=_short_day(a.due_date)
        )
        if r.outcome == "carried" and a.due_date < meeting.held_on:
            line += _(" (overdue)")
        if r.outcome == "dropped":
            reason = (r.note or a.drop_reason or "").strip()
            line += _(". Reason: {reason}").format(reason=reason) if reason else ""
        elif r.note.strip():
            line += f". {r.note.strip()}"
        lines.append(line)
    for a in to_review:
        line = _("- ○ To review: {action} — {owner}, due {day}").format(
            action=a.title, owner=who(a.owner), day=_short_day(a.due_date)
        )
        line += _(" (overdue)") if a.due_date < meeting.held_on else ""
        if a.carried_over:
            line += _(", carried over {n}×").format(n=a.carried_over)
        lines.append(line)

    lines += ["", _("## New actions"), ""]
    if created:
        lines += _table(
            [_("Action"), _("Owner"), _("Due"), _("Metric"), _("Period")],
            [
                [
                    a.title,
                    who(a.owner),
                    _short_day(a.due_date),
                    _metric_text(a.metric) or "–",
                    _period_text(a.period_kind, a.period_start) or "–",
                ]
                for a in created
            ],
        )
    else:
        lines.append(_("_No new actions._"))

    average, count = rating_summary(session, meeting.id)
    lines += ["", _("## Rating"), ""]
    if count:
        lines.append(
            ngettext(
                "{average} / 10 on average from {n} rating.",
                "{average} / 10 on average from {n} ratings.",
                count,
            ).format(average=formatting.decimal(average, 1), n=formatting.count(count))
        )
    else:
        lines.append(_("_No ratings._"))
    return "\n".join(lines).rstrip() + "\n"


def _actions(session: Session, ids: list[int]) -> list[Action]:
    if not ids:
        return []
    return list(session.exec(select(Action).where(col(Action.id).in_(ids))).all())


def _notes_lines(notes: list[MeetingNote], who) -> list[str]:
    if not notes:
        return [_("_No notes._")]
    out = []
    for n in notes:
        body = n.body.strip()
        if "\n" in body:
            out += [f"**{who(n.author)}:**", "", body, ""]
        else:
            out += [f"**{who(n.author)}:** {body}", ""]
    return out[:-1] if out and out[-1] == "" else out


def rewrite_minutes(session: Session, meeting: Meeting) -> None:
    """Write the meeting's minutes from the stored rows and the frozen scorecard (no commit):
    on close, and after every correction of a closed meeting."""
    session.flush()
    meeting.minutes = minutes_markdown(session, meeting.id)
    session.add(meeting)
