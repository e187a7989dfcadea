"""The meeting's pre-read: the scorecard as a picture, the red (and amber) metrics with the
causes recorded for them, the open actions the meeting reviews and the agenda — one
:class:`~smarketing.notify.message.Message` per meeting, the same for every attendee.

The picture is the scorecard chart meeting mode shows (``charts.scorecard_chart`` over
``sla.scorecard_frame`` of the meeting's week and month — month and quarter for the monthly
meeting —, counted up to the day before the meeting), drawn at a fixed e-mail size on
white and rendered to PNG by ``vl-convert`` in this process: no browser, no network (the
spec is refused if it names anything remote, and the renderer allows no external URL). A
picture that cannot be drawn leaves it out with a line saying so: the pre-read itself
always goes.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlmodel import Session

from smarketing import charts, config, formatting, i18n
from smarketing.auth.people import display_names
from smarketing.formatting import count, figure
from smarketing.i18n import N_, _, ngettext
from smarketing.meetings.actions import actions_for_review
from smarketing.meetings.agenda import planned_minutes
from smarketing.meetings.minutes import KIND_TEXT
from smarketing.meetings.records import agenda_of, attendees_of
from smarketing.meetings.scorecard import REPORT_KINDS, scorecard_day
from smarketing.notify.message import Message
from smarketing.sla.causes import causes_for
from smarketing.sla.metrics import STATUS_TEXT, SlaReport, Status, scorecard_frame, sla_reports
from smarketing.sla.periods import local_date, period_containing
from smarketing.store.models import ActionStatus, Meeting

logger = logging.getLogger("smarketing.notify")

#: The picture's size in an e-mail: the plot area's width is fixed (the e-mail's HTML
#: scales it down on a phone), wide enough that the chart keeps its desktop layout.
EMAIL_WIDTH = 760
EMAIL_FONT_SIZE = 14
EMAIL_ROW_HEIGHT = 40
EMAIL_BACKGROUND = "#ffffff"
#: The address of meeting mode under the app's public URL (``?meeting=ID`` opens one).
MEETING_PATH = "/meeting_mode"
#: The statuses the pre-read lists with their causes (the meeting's "SLA challenges").
CHALLENGED = (Status.red, Status.amber)
#: A metric's side as the pre-read names it.
SIDE_TEXT = {"marketing": N_("Marketing"), "sales": N_("Sales"), "both": N_("Both")}
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class RenderError(RuntimeError):
    """The scorecard could not be drawn (the pre-read goes without its picture)."""


# --- the meeting's time and address ------------------------------------------------------------


def meeting_start(meeting: Meeting) -> datetime:
    """When the meeting starts (UTC): its day at ``config.meeting_time()`` in the business
    timezone."""
    start = datetime.combine(meeting.held_on, config.meeting_time(), tzinfo=config.business_tz())
    return start.astimezone(UTC)


def meeting_url(meeting_id: int) -> str | None:
    """The meeting in meeting mode (its minutes once closed), when SMARKETING_PUBLIC_URL is
    set; None otherwise."""
    base = config.public_url()
    return f"{base}{MEETING_PATH}?meeting={meeting_id}" if base else None


def when_text(meeting: Meeting) -> str:
    """'Monday 7 December 2026, 09:00 (Europe/Oslo)'."""
    local = meeting_start(meeting).astimezone(config.business_tz())
    return f"{formatting.long_day(meeting.held_on)}, {local:%H:%M} ({config.timezone_name()})"


# --- the scorecard picture ---------------------------------------------------------------------


def scorecard_reports(session: Session, meeting: Meeting, *, now: datetime) -> list[SlaReport]:
    """The reports meeting mode's scorecard shows for ``meeting`` at ``now``: its period kinds
    around the day before the meeting (or today, when that is earlier)."""
    day = min(scorecard_day(meeting.held_on), local_date(now))
    periods = [period_containing(kind, day) for kind in REPORT_KINDS[meeting.kind]]
    return sla_reports(session, periods, now=now)


def email_chart_spec(reports: list[SlaReport]) -> dict:
    """The scorecard chart's Vega-Lite spec (``charts.scorecard_chart``, the page's builder)
    at the e-mail's fixed width, on white, as plain JSON."""
    chart = charts.scorecard_chart(
        scorecard_frame(reports), font_size=EMAIL_FONT_SIZE, row_height=EMAIL_ROW_HEIGHT
    )
    spec = chart.properties(width=EMAIL_WIDTH, background=EMAIL_BACKGROUND).to_dict()
    # plain JSON, as Streamlit sends it to the browser (the frame's period_start is a date)
    return json.loads(json.dumps(spec, default=_json_value))


def _json_value(value: object) -> str:
    if isinstance(value, date):  # datetime too
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} in a chart spec")


def _is_remote(text: str) -> bool:
    lowered = text.strip().lower()
    return lowered.startswith(("http://", "https://", "//", "data:", "file:", "ftp:"))


def remote_references(spec: object, path: str = "") -> list[str]:
    """Where the spec would load something (a ``url`` anywhere, a URL as a value — a remote
    font, a data file, an image); the ``$schema`` line is only a name and is left alone."""
    found: list[str] = []
    if isinstance(spec, dict):
        for key, value in spec.items():
            where = f"{path}.{key}" if path else str(key)
            if key == "$schema":
                continue
            if key == "url":
                found.append(where)
            else:
                found += remote_references(value, where)
    elif isinstance(spec, list):
        for i, value in enumerate(spec):
            found += remote_references(value, f"{path}[{i}]")
    elif isinstance(spec, str) and _is_remote(spec):
        found.append(path)
    return found


def render_png(spec: dict) -> bytes:
    """The spec drawn as a PNG by vl-convert, in this process and offline; RenderError when
    the spec names anything remote or the renderer fails."""
    remote = remote_references(spec)
    if remote:
        raise RenderError(f"the chart would load something remote ({', '.join(remote)})")
    try:
        import vl_convert

        png = vl_convert.vegalite_to_png(spec, scale=1, allowed_base_urls=[])
    except Exception as exc:  # the renderer's own errors are ValueError, an ImportError…
        raise RenderError(f"{type(exc).__name__}: {exc}") from exc
    if not png.startswith(PNG_SIGNATURE):
        raise RenderError("the renderer returned something that is not a PNG")
    return png


@dataclass(frozen=True)
class Picture:
    """The rendered scorecard (``png`` None when it failed: ``error`` says why) and the
    seconds the rendering took."""

    png: bytes | None
    alt: str
    error: str | None
    seconds: float


def scorecard_picture(
    reports: list[SlaReport], *, render: Callable[[dict], bytes] = render_png
) -> Picture:
    """The scorecard of ``reports`` as a PNG with its description in words; a failure to
    render is logged and returned as ``error``, never raised."""
    alt = scorecard_alt(reports)
    started = time.perf_counter()
    try:
        png, error = render(email_chart_spec(reports)), None
    except Exception as exc:
        logger.warning("the pre-read's scorecard could not be drawn: %s", exc)
        png, error = None, str(exc) or type(exc).__name__
    return Picture(png, alt, error, time.perf_counter() - started)


def scorecard_alt(reports: list[SlaReport]) -> str:
    """The picture in words: per period, how many metrics have each status, naming those
    off track or at risk."""
    periods = [_period_label(r) for r in reports]
    sentences = [
        _("SLA scorecard of {periods}, one row per metric.").format(
            periods=_(" and ").join(periods)
        )
    ]
    for label, report in zip(periods, reports, strict=True):
        parts = []
        for status in sorted(Status, key=_ALT_ORDER.index):
            names = [_(m.label) for m in report.metrics if m.status == status]
            if not names:
                continue
            part = f"{count(len(names))} {_(STATUS_TEXT[status][1])}"
            if status in CHALLENGED:
                part += f" ({', '.join(names)})"
            parts.append(part)
        listed = ", ".join(parts) or _("no metrics")
        sentences.append(f"{label[:1].upper()}{label[1:]}: {listed}.")
    return " ".join(sentences)


#: The order the picture's description counts the statuses in: the bad news first.
_ALT_ORDER = [Status.red, Status.amber, Status.green, Status.early, Status.no_data]


def _period_label(report: SlaReport) -> str:
    label = report.period.label()
    return label + (" " + _("(so far)") if report.period.as_of < report.period.end else "")


# --- the text ------------------------------------------------------------------------------------


def _target_text(kind: str, target: float | None) -> str:
    if target is None:
        return ""
    text = ("≤ " if kind == "hours" else "") + figure(kind, target)
    return ", " + _("target {target}").format(target=text)


def challenged_lines(session: Session, reports: list[SlaReport]) -> list[str]:
    """The metrics off track or at risk, each a paragraph with the causes recorded for its
    period as a list (or a line asking for one)."""
    blocks: list[str] = []
    for report in reports:
        challenged = [m for m in report.metrics if m.status in CHALLENGED]
        if not challenged:
            continue
        recorded = causes_for(session, report.period)
        names = display_names(session, list(recorded["author"]))
        for m in challenged:
            symbol, word = STATUS_TEXT[m.status]
            side = _(SIDE_TEXT.get(m.side, m.side.title()))
            head = (
                f"{symbol} **{side} · {_(m.label)}** · {_period_label(report)}: "
                f"{figure(m.kind, m.actual)}{_target_text(m.kind, m.target)} ({_(word)})"
            )
            mine = recorded[recorded["metric"] == m.key]
            if mine.empty:
                lines = [head, _("No cause recorded yet: bring one to the meeting.")]
            else:
                lines = [head] + [
                    f"- {row.category}: {' '.join(str(row.text).split())} "
                    f"({names.get(row.author, row.author)})"
                    for row in mine.itertuples()
                ]
            blocks.append("\n".join(lines))
    return blocks


def open_actions(session: Session, meeting: Meeting) -> list:
    """The open actions this meeting reviews, overdue first, then by due date."""
    return [
        a for a in actions_for_review(session, meeting.id) if a.status == ActionStatus.open.value
    ]


def action_lines(session: Session, meeting: Meeting, actions: list) -> list[str]:
    """'- **Overdue** · Fix the routing — Sam Seller, due 30 Nov 2026 (carried over 2×)'."""
    names = display_names(session, [a.owner for a in actions])
    lines = []
    for a in actions:
        overdue = a.due_date < meeting.held_on
        line = "- " + ("**" + _("Overdue") + "** · " if overdue else "")
        line += _("{title} — {owner}, due {day}").format(
            title=" ".join(a.title.split()),
            owner=names.get(a.owner, a.owner),
            day=formatting.day(a.due_date),
        )
        if a.carried_over:
            line += " " + _("(carried over {n}×)").format(n=count(a.carried_over))
        lines.append(line)
    return lines


def agenda_lines(meeting: Meeting) -> list[str]:
    """'- 1. Scorecard · 10 min' per step."""
    return [
        f"- {i}. {_(step['title'])} · " + _("{n} min").format(n=count(step["minutes"]))
        for i, step in enumerate(agenda_of(meeting), start=1)
    ]


def people_at(session: Session, meeting: Meeting) -> list[str]:
    """Everyone on the attendee list by name (guests too), the facilitator first."""
    rows = attendees_of(session, meeting.id)
    usernames = [meeting.facilitator] if meeting.facilitator else []
    usernames += [a.username for a in rows if a.username]
    names = display_names(session, usernames)
    listed = [names.get(u, u) for u in dict.fromkeys(usernames)]
    guest = _("{name} (guest)")
    return listed + [
        guest.format(name=a.guest_name) for a in rows if not a.username and a.guest_name
    ]


def pre_read_message(
    session: Session,
    meeting: Meeting,
    *,
    now: datetime,
    render: Callable[[dict], bytes] = render_png,
) -> Message:
    """The pre-read of ``meeting`` as it stands at ``now`` (``render``: spec → PNG), in the
    language speaking (the picture's words too)."""
    reports = scorecard_reports(session, meeting, now=now)
    picture = scorecard_picture(reports, render=render)
    challenged = challenged_lines(session, reports)
    actions = open_actions(session, meeting)
    overdue = sum(1 for a in actions if a.due_date < meeting.held_on)
    steps = agenda_of(meeting)
    kind = _(KIND_TEXT.get(meeting.kind, meeting.kind))
    facilitator = display_names(session, [meeting.facilitator]).get(meeting.facilitator, "—")
    day = min(scorecard_day(meeting.held_on), local_date(now))

    parts = [
        _("The pre-read of the **{kind}**, {when}.").format(kind=kind, when=when_text(meeting))
    ]
    if picture.png is None:
        parts.append(
            _(
                "(The scorecard picture could not be drawn this time; the metrics off track "
                "and at risk are listed below, and meeting mode shows the scorecard.)"
            )
        )
    parts.append(_("**Off track and at risk** ({n})").format(n=count(len(challenged))))
    parts += challenged or [_("Every metric is on track (or too early to judge).")]
    parts.append(
        _("**Open actions** ({n}, {overdue} overdue), overdue first").format(
            n=count(len(actions)), overdue=count(overdue)
        )
    )
    action_text = action_lines(session, meeting, actions)
    parts.append("\n".join(action_text) if action_text else _("No open actions to review."))
    parts.append(_("**Agenda** ({n} min)").format(n=count(planned_minutes(steps))))
    parts.append("\n".join(agenda_lines(meeting)) or _("No agenda steps."))
    link = meeting_url(meeting.id)
    metrics = ngettext("{n} metric", "{n} metrics", len(challenged))
    return Message(
        kind="pre_read",
        subject=_("Pre-read: {title} · {weekday} {day}").format(
            title=meeting.title,
            weekday=formatting.weekday(meeting.held_on),
            day=formatting.day(meeting.held_on),
        ),
        text="\n\n".join(parts),
        facts=(
            (_("Meeting"), meeting.title),
            (_("When"), when_text(meeting)),
            (_("Facilitator"), facilitator),
            (_("Attendees"), ", ".join(people_at(session, meeting)) or "—"),
            (
                _("Open actions"),
                _("{n} ({overdue} overdue)").format(n=count(len(actions)), overdue=count(overdue)),
            ),
            (_("Off track or at risk"), metrics.format(n=count(len(challenged)))),
            # the last fact: the e-mail shows the picture right under the facts
            (
                _("Scorecard"),
                _("counted up to and including {day}").format(day=formatting.long_day(day)),
            ),
        ),
        link=link,
        link_text=_("Open the meeting") if link else None,
        image_png=picture.png,
        image_alt=picture.alt if picture.png else "",
        language=i18n.current(),
    )


def window_start(meeting: Meeting) -> datetime:
    """When the meeting's pre-read is due: ``config.preread_lead()`` before it starts."""
    return meeting_start(meeting) - config.preread_lead()


def in_pre_read_window(meeting: Meeting, now: datetime) -> bool:
    """True from the pre-read's time until the meeting starts."""
    return window_start(meeting) <= now < meeting_start(meeting)


def days_ahead() -> timedelta:
    """How far ahead a meeting's pre-read can be due (the lead plus a day's margin)."""
    return config.preread_lead() + timedelta(days=1)
