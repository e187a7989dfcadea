"""The meetings: weekly smarketing and monthly leadership meetings with their notes,
ratings, decisions, actions and minutes, and the "why?" causes on red periods."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from random import Random

import numpy as np
from sqlalchemy.engine import Connection
from sqlmodel import Session

from smarketing import i18n
from smarketing.demo.inserts import insert_columns, insert_one
from smarketing.demo.sla import SLA_V1, SLA_V2, v2_decided_on
from smarketing.demo.story import (
    CEO,
    CONTENT_LEAD,
    HEAD_OF_MARKETING,
    MARKETING_OPS,
    ON_LEAVE,
    PEOPLE,
    SALES_MANAGER,
    SALES_TEAM,
    Story,
    add_months,
    monday_of,
)
from smarketing.meetings.agenda import agenda_json, default_agenda
from smarketing.meetings.minutes import minutes_markdown
from smarketing.meetings.scorecard import scorecard_snapshots
from smarketing.sla.metrics import Status, sla_report
from smarketing.sla.periods import period_containing
from smarketing.store.models import (
    Action,
    ActionReview,
    Decision,
    Meeting,
    MeetingNote,
    MeetingRating,
    SlaCause,
)

#: MQLs past their deadline before a red period gets a "why?" (not a Monday morning's one).
MIN_DUE = 5


def _slip_causes(conn: Connection, st: Story) -> list[dict]:
    """The "why?" of this month's slip (one AE on leave, a webinar spike) on the month and the
    current week, where first contact within the SLA is red."""
    on_leave = SALES_TEAM[ON_LEAVE][0].split()[0]
    month_text = st.text.slip_month_cause(on_leave, st.month_start, st.webinar_day)
    week_text = st.text.slip_week_cause(on_leave)
    causes = []
    with Session(bind=conn) as s:
        for kind, text in (("month", month_text), ("week", week_text)):
            period = period_containing(kind, st.today)
            report = sla_report(s, period, now=st.now)
            metric = report.metric("contacted_within_sla_rate")
            if metric.status is not Status.red or (metric.denominator or 0) < MIN_DUE:
                continue
            causes.append(
                {
                    "metric": "contacted_within_sla_rate",
                    "period_kind": kind,
                    "period_start": period.start,
                    "category": "Staffing / capacity",
                    "text": text,
                    "author": SALES_MANAGER,
                    "created_at": st.dt(st.today, 10),
                }
            )
    return causes


def _week_figures(st: Story, stats: dict, monday: date) -> dict:
    """Last week's figures for a meeting held on ``monday``."""
    a, b = st.day_ts(monday - timedelta(days=7)), st.day_ts(monday)
    m = (stats["mql_ts"] >= a) & (stats["mql_ts"] < b)
    hours = stats["hours"][m]
    hours = hours[~np.isnan(hours)]
    decided = int(stats["decided"][m].sum())
    resp = 2.0 if monday - timedelta(days=7) >= st.v2_from else 4.0
    return {
        "mqls": int(m.sum()),
        "acceptance": stats["accepted"][m].sum() / decided if decided else None,
        "median": float(np.median(hours)) if len(hours) else None,
        "within": float((hours <= resp).sum() / m.sum()) if m.sum() else None,
        "resp": resp,
    }


def _month_mqls(st: Story, stats: dict, month_start: date) -> int:
    """MQLs delivered in the month before ``month_start``."""
    a, b = st.day_ts(add_months(month_start, -1)), st.day_ts(month_start)
    return int(((stats["mql_ts"] >= a) & (stats["mql_ts"] < b)).sum())


def _agenda(st: Story, kind: str) -> list[dict]:
    """The built-in agenda of ``kind``, its step titles in the demo's language."""
    steps = default_agenda(kind)
    titles = st.text.AGENDA_TITLES or {}
    return [step | {"title": titles.get(step["key"], step["title"])} for step in steps]


def write_meetings(conn: Connection, st: Story, rnd: Random, stats: dict) -> dict:
    """Weekly and monthly meetings up to today with their notes, ratings, decisions,
    actions and actions reviews; closed ones get a frozen scorecard and their minutes."""
    text = st.text
    weekly_agenda, monthly_agenda = _agenda(st, "weekly"), _agenda(st, "monthly")
    today = st.today
    first = st.calendar_start + timedelta(days=(7 - st.calendar_start.weekday()) % 7)
    mondays = [first + timedelta(weeks=i) for i in range((today - first).days // 7 + 1)]
    monthly = sorted({d for d in mondays if d.day <= 7})
    counts = {"meetings": 0, "actions": 0, "decisions": 0}
    notes, ratings, actions, decisions, reviews = [], [], [], [], []
    closed: list[tuple[int, str, date, datetime]] = []  # (id, kind, day, closed at)
    v2_day = v2_decided_on(st)
    spring_weeks = []
    before_ten = st.now.astimezone(st.tz).hour < 10

    def meeting(kind: str, day: date, title: str, facilitator: str, agenda: list) -> tuple:
        # this morning's meeting is still to come, and so is next Monday's
        planned = day > today or (day == today and before_ten)
        start, end = (9, 10) if kind == "weekly" else (14, 15)
        closed_at = None if planned else st.dt(day, end)
        mid = insert_one(
            conn,
            Meeting,
            kind=kind,
            title=title,
            held_on=day,
            status="planned" if planned else "closed",
            agenda=agenda_json(agenda),
            facilitator=facilitator,
            minutes=None,
            started_at=None if planned else st.dt(day, start),
            closed_at=closed_at,
            closed_by=None if planned else facilitator,
            created_by=facilitator,
            created_at=st.dt(day - timedelta(days=5), 12),
            is_demo=True,
        )
        counts["meetings"] += 1
        if not planned:
            closed.append((mid, kind, day, closed_at))
        return mid, planned

    def action(mid, day, title, metric, owner, *, fate, due, by, complete=None, closed_at=None):
        """``fate``: open (stays open), done (finished on ``complete``), dropped (after the
        due day) or closed (done outside a meeting at ``closed_at``)."""
        actions.append(
            {
                "title": title,
                "owner": owner,
                "due_date": due,
                "metric": metric,
                "period_kind": "week",
                "period_start": monday_of(day - timedelta(days=7)),
                "status": "done" if fate == "closed" else "open",
                "meeting_id": mid,
                "carried_over": 0,
                "drop_reason": None,
                "created_by": by,
                "created_at": st.dt(day, 9, 40),
                "closed_at": closed_at,
                "is_demo": True,
                "_day": day,
                "_fate": fate,
                "_complete": complete,
                "_resolved": fate == "closed",
            }
        )

    def review(mid: int, day: date, chair: str) -> tuple[int, int, list[str]]:
        """This meeting's actions review: every open action from an earlier meeting is
        done (finished by now), dropped (past due, not worth it) or carried over.
        Returns (reviewed, done, titles still open)."""
        at, done, still = st.dt(day, 9, 20), 0, []
        for a in actions:
            if a["_resolved"] or a["_day"] >= day:
                continue
            note = ""
            if a["_fate"] == "done" and a["_complete"] <= day:
                outcome, a["status"], a["closed_at"] = "done", "done", at
                a["_resolved"], done = True, done + 1
            elif a["_fate"] == "dropped" and a["due_date"] < day:
                note = text.DROP_REASONS[len(reviews) % len(text.DROP_REASONS)]
                outcome, a["status"], a["closed_at"], a["drop_reason"] = (
                    "dropped",
                    "dropped",
                    at,
                    note,
                )
                a["_resolved"] = True
            else:
                outcome = "carried"
                a["carried_over"] += 1
                still.append(a["title"])
            reviews.append(
                {
                    "action": a,
                    "meeting_id": mid,
                    "outcome": outcome,
                    "note": note,
                    "reviewed_by": chair,
                    "reviewed_at": at if outcome != "carried" else st.dt(day, 10),
                }
            )
        return sum(1 for r in reviews if r["meeting_id"] == mid), done, still

    def decision(mid, day, text, metric, by, sla_version=None, recorder=HEAD_OF_MARKETING):
        decisions.append(
            {
                "meeting_id": mid,
                "text": text,
                "decided_by": by,
                "decided_on": day,
                "metric": metric,
                "sla_version": sla_version,
                "created_by": recorder,
                "created_at": st.dt(day, 9, 45),
                "is_demo": True,
            }
        )

    def note(mid: int, step: str, author: str, text: str, at: datetime) -> None:
        notes.append(
            {
                "meeting_id": mid,
                "step": step,
                "author": author,
                "body": text,
                "revision": 1,
                "created_at": at,
                "updated_at": at,
                "is_demo": True,
            }
        )

    # The open actions carried over several times, and the overdue one, are agreed as many
    # closed weekly meetings ago as they have been carried over since.
    closed_days = [d for d in mondays if not (d == today and before_ten)]
    special: dict = {}  # monday -> special open actions created there
    for title, metric, owner, carried in text.CARRIED:
        day = closed_days[max(0, len(closed_days) - 1 - carried)]
        special.setdefault(day, []).append(("carried", title, metric, owner))
    overdue_day = closed_days[max(0, len(closed_days) - 2)]
    special.setdefault(overdue_day, []).append(("overdue", *text.OVERDUE))

    deck: list = []  # action titles are dealt from a shuffled deck: no twin actions
    weekly_decisions = iter(text.WEEKLY_DECISIONS)
    monthly_decisions = iter(text.MONTHLY_DECISIONS)
    for day in mondays:
        week = day.isocalendar().week
        chair = HEAD_OF_MARKETING if week % 2 else SALES_MANAGER
        mid, planned = meeting(
            "weekly", day, text.meeting_title("weekly", day), chair, weekly_agenda
        )
        if planned:
            continue
        f = _week_figures(st, stats, day)
        at = st.dt(day, 9, 30)
        reviewed, done, still = review(mid, day, chair)
        for what, title, metric, owner in special.get(day, []):
            due = today + timedelta(days=rnd.randint(2, 9))
            if what == "overdue":
                due = max(today - timedelta(days=3), day + timedelta(days=1))
            action(mid, day, title, metric, owner, fate="open", due=due, by=chair)
        wk_target = (SLA_V2 if day >= st.v2_from else SLA_V1)["mql_target"] * 7 / 30.4
        body = text.scorecard_note(f["mqls"], wk_target, f["acceptance"])
        note(mid, "scorecard", HEAD_OF_MARKETING, body, at)
        if reviewed:
            note(mid, "actions_review", chair, text.actions_review_note(done, reviewed, still), at)
        if f["median"] is not None:
            body = text.response_note(f["median"], f["within"], f["resp"])
            spring = st.rr_meeting - timedelta(weeks=14) <= day <= st.rr_meeting
            if spring:
                body += text.SPRING_NOTE
                spring_weeks.append((f["within"] or 0, day))
            elif day > st.rr_meeting and f["within"] is not None and f["within"] >= 0.8:
                body += text.ROUND_ROBIN_NOTE
            elif day > st.rr_meeting and day - timedelta(days=4) >= st.month_start:
                body += text.leave_note(SALES_TEAM[ON_LEAVE][0].split()[0])
            note(mid, "sla_challenges", SALES_MANAGER, body, at)
        if week % 2 == 0:
            note(mid, "personas_news", CONTENT_LEAD, rnd.choice(text.PRODUCT_NEWS), at)
        if week % 3 == 0:
            note(mid, "campaigns", MARKETING_OPS, rnd.choice(text.CAMPAIGN_NOTES), at)
        for user in (HEAD_OF_MARKETING, SALES_MANAGER, MARKETING_OPS):
            ratings.append({"meeting_id": mid, "username": user, "rating": rnd.randint(6, 9)})

        if day == st.rr_meeting:
            decision(mid, day, text.RR_DECISION, "median_first_contact_hours", text.BOTH_TEAMS)
            action(
                mid,
                day,
                text.RR_TITLE,
                "median_first_contact_hours",
                SALES_MANAGER,
                fate="closed",
                due=day + timedelta(days=7),
                by=HEAD_OF_MARKETING,
                closed_at=st.dt(day + timedelta(days=4), 8),
            )
        elif week % 5 == 0 and (picked := next(weekly_decisions, None)):
            decision(mid, day, picked[0], picked[1], text.BOTH_TEAMS, recorder=chair)
        age = (today - day).days
        for _ in range(rnd.choice((1, 1, 2))):
            if not deck:
                deck = rnd.sample(text.ACTION_POOL, len(text.ACTION_POOL))
            title, metric, owner = deck.pop()
            due = day + timedelta(days=rnd.choice((4, 7, 7, 14)))
            if due >= today or age < 7:
                due = max(due, today)
                action(mid, day, title, metric, owner, fate="open", due=due, by=chair)
            elif rnd.random() < 0.06:
                action(mid, day, title, metric, owner, fate="dropped", due=due, by=chair)
            else:
                late = 7 if rnd.random() < 0.15 else 0
                complete = min(due + timedelta(days=late - rnd.randint(0, 3)), today)
                complete = max(complete, day)
                action(
                    mid,
                    day,
                    title,
                    metric,
                    owner,
                    fate="done",
                    due=due,
                    complete=complete,
                    by=chair,
                )

    if not (mondays[-1] == today and before_ten):  # the next weekly meeting is planned
        upcoming = mondays[-1] + timedelta(weeks=1)
        week = upcoming.isocalendar().week
        chair = HEAD_OF_MARKETING if week % 2 else SALES_MANAGER
        meeting("weekly", upcoming, text.meeting_title("weekly", upcoming), chair, weekly_agenda)

    for day in monthly:
        mid, planned = meeting(
            "monthly", day, text.meeting_title("monthly", day), CEO, monthly_agenda
        )
        if planned:
            continue
        last_month = add_months(day.replace(day=1), -1)
        if last_month >= st.start:
            target = (SLA_V2 if last_month >= st.v2_from else SLA_V1)["mql_target"]
            mqls = _month_mqls(st, stats, day.replace(day=1))
            body = text.trends_note(last_month, mqls, target)
            note(mid, "trends", HEAD_OF_MARKETING, body, st.dt(day, 14, 10))
        for user in (CEO, HEAD_OF_MARKETING, SALES_MANAGER):
            ratings.append({"meeting_id": mid, "username": user, "rating": rnd.randint(6, 9)})
        if day == monthly[0]:
            baseline = text.sla_v1_decision(st.v1_from)
            decision(mid, day, baseline, None, text.LEADERSHIP, 1, recorder=CEO)
        if picked := next(monthly_decisions, None):
            decision(mid, day, picked[0], picked[1], text.LEADERSHIP, recorder=CEO)
        if day == v2_day:
            adopt = text.sla_v2_decision(st.v2_from)
            decision(mid, day, adopt, "mqls_delivered", text.LEADERSHIP, 2, recorder=CEO)
    if v2_day not in monthly:  # the decision was taken outside the monthly rhythm
        adopt = text.sla_v2_decision(st.v2_from)
        decision(None, v2_day, adopt, "mqls_delivered", text.LEADERSHIP, 2)

    # actions finished or dropped after the last meeting were closed from the action list
    for a in actions:
        if a["_resolved"]:
            continue
        if a["_fate"] == "done":
            a["status"], a["closed_at"] = "done", st.dt(a["_complete"], 16)
        elif a["_fate"] == "dropped":
            a["status"], a["closed_at"] = "dropped", st.dt(a["due_date"], 16)
            a["drop_reason"] = text.DROP_REASONS[0]

    # "why?" causes on red periods
    causes = []
    spring_weeks.sort()
    for (_, day), (category, why) in zip(spring_weeks[:4], text.CAUSES, strict=False):
        causes.append(
            {
                "metric": "contacted_within_sla_rate",
                "period_kind": "week",
                "period_start": day - timedelta(days=7),
                "category": category,
                "text": why,
                "author": SALES_MANAGER,
                "created_at": st.dt(day, 10),
            }
        )
    for month_start in (add_months(st.start, i) for i in range(st.months)):
        if month_start.month == 7 and add_months(month_start, 1) <= today:
            causes.append(
                {
                    "metric": "mqls_delivered",
                    "period_kind": "month",
                    "period_start": month_start,
                    "category": "Seasonality / holidays",
                    "text": text.JULY_CAUSE,
                    "author": HEAD_OF_MARKETING,
                    "created_at": st.dt(add_months(month_start, 1) + timedelta(days=6), 10),
                }
            )
    last_full = add_months(today.replace(day=1), -1)
    if last_full >= st.start:
        causes.append(
            {
                "metric": "close_rate",
                "period_kind": "month",
                "period_start": last_full,
                "category": "Other",
                "text": text.CLOSE_RATE_CAUSE,
                "author": SALES_MANAGER,
                "created_at": st.dt(today.replace(day=1) + timedelta(days=2), 10),
            }
        )
    causes += _slip_causes(conn, st)
    for c in causes:
        c["is_demo"] = True
    for a in actions:
        a["id"] = insert_one(conn, Action, **{k: v for k, v in a.items() if k[0] != "_"})
    review_rows = [
        {k: v for k, v in r.items() if k != "action"} | {"action_id": r["action"]["id"]}
        for r in reviews
    ]
    for model, rows in (
        (MeetingNote, notes),
        (MeetingRating, ratings),
        (ActionReview, review_rows),
        (Decision, decisions),
        (SlaCause, causes),
    ):
        if rows:
            rows = [r | {"is_demo": True} for r in rows]
            insert_columns(conn, model.__table__, {k: [r[k] for r in rows] for k in rows[0]})
    _freeze(conn, closed, st.language)
    counts["actions"] = len(actions)
    counts["decisions"] = len(decisions)
    return counts


def _freeze(conn: Connection, closed: list[tuple[int, str, date, datetime]], language: str) -> None:
    """Give every closed meeting its frozen scorecard (as it stood at closing time, each
    distinct period computed once) and its minutes in the demo's language, as closing it in
    the app would."""
    table = Meeting.__table__
    with Session(bind=conn) as s:
        snapshots = scorecard_snapshots(s, [(kind, day, at) for _, kind, day, at in closed])
    for (mid, *_), snapshot in zip(closed, snapshots, strict=True):
        conn.execute(
            table.update()
            .where(table.c.id == mid)
            .values(scorecard=json.dumps(snapshot, ensure_ascii=False))
        )
    with Session(bind=conn) as s, i18n.language(language):
        texts = [(mid, minutes_markdown(s, mid, people=PEOPLE)) for mid, *_ in closed]
    for mid, text in texts:
        conn.execute(table.update().where(table.c.id == mid).values(minutes=text))
