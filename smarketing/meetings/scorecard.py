"""A meeting's scorecard: the day it counts up to, the SLA snapshot frozen at close, and
reading the frozen one back."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime, timedelta

import pandas as pd
from sqlmodel import Session

from smarketing import config, formatting, i18n
from smarketing.i18n import _
from smarketing.meetings.agenda import checked_kind
from smarketing.meetings.records import utc_time
from smarketing.sla.agreements import agreement_for
from smarketing.sla.metrics import (
    FALLBACK_RESPONSE_HOURS,
    SlaReport,
    Window,
    metrics_from,
    scorecard_frame,
    trailing_periods,
    window_figures,
)
from smarketing.sla.periods import Period, PeriodKind, period_containing
from smarketing.store.models import Meeting, MeetingKind, SlaAgreement

#: The SLA reports frozen at close: the period kinds around the meeting day.
REPORT_KINDS = {
    MeetingKind.weekly: (PeriodKind.week, PeriodKind.month),
    MeetingKind.monthly: (PeriodKind.month, PeriodKind.quarter),
}
#: The trailing scorecard frozen at close: 13 weeks for weekly, 13 months for monthly.
TRAILING_KIND = {MeetingKind.weekly: PeriodKind.week, MeetingKind.monthly: PeriodKind.month}
TRAILING_COUNT = 13
#: Version of the frozen scorecard's JSON layout (``Meeting.scorecard``).
SCORECARD_FORMAT = 1
SCORECARD_COLUMNS = [
    "period",
    "period_start",
    "metric",
    "metric_label",
    "text",
    "status",
    "status_text",
]


def _report_json(report: SlaReport) -> dict:
    out = report.to_json()
    out["label"] = report.period.label()
    out["so_far"] = report.period.as_of < report.period.end
    for entry, m in zip(out["metrics"], report.metrics, strict=True):
        entry |= {"label": m.label, "kind": m.kind, "better": m.better}
    return out


def scorecard_day(held_on: date) -> date:
    """The day a meeting's scorecard counts up to: the day before the meeting, so a Monday
    meeting looks at the full week just ended and the month so far (on the 1st: the month
    just ended)."""
    return held_on - timedelta(days=1)


def scorecard_snapshots(
    session: Session, wanted: Sequence[tuple[str, date, datetime]]
) -> list[dict]:
    """:func:`scorecard_snapshot` for many (kind, held_on, now) at once, computing each
    distinct period only once (the demo freezes a year of meetings this way). Frozen in
    English whoever closes the meeting: ``reader_rows`` writes it in each reader's language."""
    with i18n.language("en"):
        return _snapshots(session, wanted)


def _snapshots(session: Session, wanted: Sequence[tuple[str, date, datetime]]) -> list[dict]:
    plans = []
    needed: dict[tuple[Period, datetime], None] = {}
    for kind, held_on, now in wanted:
        kind = checked_kind(kind)
        now = utc_time(now)
        day = scorecard_day(held_on)
        main = [period_containing(k, day) for k in REPORT_KINDS[kind]]
        trailing = trailing_periods(TRAILING_KIND[kind], day, TRAILING_COUNT)
        # a period's figures depend on `now` only up to the end of its window
        keys = [(p, min(now, p.window()[1])) for p in (*main, *trailing)]
        needed.update(dict.fromkeys(keys))
        plans.append((kind, held_on, now, keys[: len(main)], keys[len(main) :]))
    reports = _reports(session, list(needed))
    # one scorecard frame for every distinct trailing period, sliced per meeting below
    distinct = list(dict.fromkeys(k for *_, trailing_keys in plans for k in trailing_keys))
    frame = scorecard_frame([reports[k] for k in distinct], short=True)
    frame["period_start"] = frame["period_start"].map(date.isoformat)
    records = frame[SCORECARD_COLUMNS].to_dict(orient="records")
    rows_of, at = {}, 0
    for key in distinct:
        n = len(reports[key].metrics)
        rows_of[key], at = records[at : at + n], at + n
    return [
        {
            "format": SCORECARD_FORMAT,
            "meeting_kind": kind,
            "as_of": scorecard_day(held_on).isoformat(),
            "computed_at": now.isoformat(),
            "timezone": config.timezone_name(),
            "reports": [_report_json(reports[k]) for k in main_keys],
            "trailing": {
                "kind": TRAILING_KIND[kind].value,
                "rows": [dict(row) for k in trailing_keys for row in rows_of[k]],
            },
        }
        for kind, held_on, now, main_keys, trailing_keys in plans
    ]


def _reports(
    session: Session, keys: list[tuple[Period, datetime]]
) -> dict[tuple[Period, datetime], SlaReport]:
    """``sla_reports(session, [period], now=cutoff)`` for every (period, cutoff), in one
    pass, looking up the agreement in effect once per distinct start day."""
    agreements: dict[date, SlaAgreement | None] = {}
    windows = []
    for period, cutoff in keys:
        if period.start not in agreements:
            agreements[period.start] = agreement_for(session, period.start)
        agreement = agreements[period.start]
        start, end = period.window()
        hours = agreement.response_hours if agreement else FALLBACK_RESPONSE_HOURS
        windows.append(Window(start, end, min(end, cutoff), hours))
    figures = window_figures(session, windows)
    return {
        (period, cutoff): SlaReport(
            period, agreements[period.start], metrics_from(f, period, agreements[period.start])
        )
        for (period, cutoff), f in zip(keys, figures, strict=True)
    }


def scorecard_snapshot(session: Session, *, kind: str, held_on: date, now: datetime) -> dict:
    """The scorecard as it stands at ``now`` for a meeting held on ``held_on``: the SLA
    reports of the week and month containing ``scorecard_day`` (monthly meetings: month and
    quarter)
    and the trailing 13 weeks (months) as scorecard rows — JSON-ready, frozen at close."""
    return scorecard_snapshots(session, [(kind, held_on, now)])[0]


def frozen_scorecard(meeting: Meeting) -> dict | None:
    """The scorecard stored when the meeting closed (None while it is open)."""
    if not meeting.scorecard:
        return None
    try:
        value = json.loads(meeting.scorecard)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def reader_rows(snapshot: dict | None) -> list[dict]:
    """The snapshot's trailing rows for the reader: a snapshot is frozen in English (every
    one made before the app spoke Norwegian is too), and its labels, period headings,
    statuses and figures are written here in the language speaking."""
    trailing = (snapshot or {}).get("trailing") or {}
    try:
        kind = PeriodKind(trailing.get("kind"))
    except ValueError:
        kind = None
    out = []
    for row in trailing.get("rows") or []:
        side, dot, metric = str(row["metric_label"]).partition(" · ")
        symbol, space, word = str(row["status_text"]).partition(" ")
        period = str(row["period"])
        if kind is not None:
            start = date.fromisoformat(row["period_start"])
            heading = period_containing(kind, start).short_label()
            period = heading + ("*" if period.endswith("*") else "")
        out.append(
            row
            | {
                "period": period,
                "metric_label": f"{_(side)} · {_(metric)}" if dot else _(str(row["metric_label"])),
                "text": formatting.relocalized(str(row["text"])),
                "status_text": f"{symbol} {_(word)}" if space else _(symbol),
            }
        )
    return out


def snapshot_frame(snapshot: dict | None) -> pd.DataFrame:
    """The snapshot's trailing scorecard as :func:`smarketing.sla.scorecard_frame` builds it
    (period, period_start, metric, metric_label, text, status, status_text), in the
    reader's language (``reader_rows``), ready for ``charts.scorecard_chart``."""
    frame = pd.DataFrame(reader_rows(snapshot), columns=SCORECARD_COLUMNS)
    frame["period_start"] = frame["period_start"].map(date.fromisoformat)
    return frame
