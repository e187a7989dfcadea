"""The meetings: weekly smarketing and monthly leadership meetings with their notes,
ratings, decisions, actions and minutes, and the "why?" causes on red periods."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from random import Random

import numpy as np
from sqlalchemy.engine import Connection
from sqlmodel import Session

from smarketing.demo.inserts import insert_columns, insert_one
from smarketing.demo.sla import SLA_V1, SLA_V2, v2_decided_on
from smarketing.demo.story import (
    BOTH_TEAMS,
    CEO,
    CONTENT_LEAD,
    HEAD_OF_MARKETING,
    LEADERSHIP,
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

WEEKLY_AGENDA = default_agenda("weekly")
MONTHLY_AGENDA = default_agenda("monthly")
#: Why an action was dropped in the actions review.
DROP_REASONS = [
    "Overtaken by the new routing rule; nothing left to do.",
    "The campaign it was for has ended.",
    "Not worth the effort after all: the numbers moved without it.",
]

ACTION_POOL = [
    ("Call back all MQLs older than 4 hours before noon", "contacted_within_sla_rate", "sam.s"),
    ("Add negative keywords for students and job seekers", "mql_acceptance_rate", "jonas.b"),
    ("Share the SLA e-book talking points with the AEs", "sqls", "ida.l"),
    ("Find out why LinkedIn leads stall after the first call", "sqls", "maria.m"),
    ("Clean up duplicate contacts from the event import", "mql_acceptance_rate", "jonas.b"),
    ("Publish the webinar brief for sales", "sqls", "ida.l"),
    ("Review last month's lost deals with the AEs", "close_rate", "sam.s"),
    ("Plan next month's MQL volume by source", "mqls_delivered", "maria.m"),
    ("Follow up open proposals older than 30 days", "close_rate", "kari.n"),
    ("Tag every rejected MQL with a reason code", "mql_acceptance_rate", "lars.j"),
    ("Test a shorter demo-request form", "mqls_delivered", "jonas.b"),
    ("Book reference calls for the founder segment", "customers", "nora.b"),
    ("Report first-contact time per AE every Monday", "median_first_contact_hours", "sam.s"),
    ("Send the pipeline update before Friday", "customers", "sam.s"),
]
CARRIED = [
    ("Set up a lead-scoring review with sales", "mql_acceptance_rate", "maria.m", 3),
    (
        "Write the hand-off checklist into the shared language",
        "contacted_within_sla_rate",
        "sam.s",
        2,
    ),
    ("Start a win/loss interview routine", "close_rate", "sam.s", 4),
]
OVERDUE = ("Update the ideal customer profile with last quarter's wins", "customers", "maria.m")
RR_TITLE = "Round-robin MQL routing + a daily triage slot"
WEEKLY_DECISIONS = [
    ("Webinar leads go to the AE who hosted the webinar.", "sqls"),
    ("Rejected MQLs always get a reason code; 'other' is not allowed.", "mql_acceptance_rate"),
    (
        "Event leads are called within two days, not two hours; they are scanned, not asking.",
        "contacted_within_sla_rate",
    ),
    (
        "Marketing shares next month's campaign calendar in the last meeting of the month.",
        "mqls_delivered",
    ),
    (
        "Proposals without an answer after 30 days get a final call from the sales manager.",
        "close_rate",
    ),
    ("Leads from the pricing page skip nurturing and go straight to sales.", "sqls"),
    (
        "Duplicates are merged by marketing ops before hand-off, not by the AEs.",
        "mql_acceptance_rate",
    ),
    ("The scorecard is shown first in every meeting, before any other topic.", None),
    (
        "Not-reachable leads get three attempts over five days before rejection.",
        "contacted_within_sla_rate",
    ),
    ("Webinar recordings go to every registrant within 24 hours.", "mqls_delivered"),
]
MONTHLY_DECISIONS = [
    ("Shift 10 % of the paid search budget to webinars, which close best.", "close_rate"),
    (
        "Stop targeting IT titles on LinkedIn: too many 'wrong persona' rejections.",
        "mql_acceptance_rate",
    ),
    ("Founder deals get the sales manager as owner because of their size.", "customers"),
    ("One large event per half-year; lumpy volume makes pacing hard.", "mqls_delivered"),
    ("Add students and competitors to the paid search exclusion list.", "mql_acceptance_rate"),
    ("Keep the close-rate target at 20 % and review pipeline hygiene instead.", "close_rate"),
    ("Hire a sixth account executive after the summer if MQLs stay above 140.", "mqls_delivered"),
    ("Move the spring event budget to two webinars and one customer breakfast.", "customers"),
    ("Quarterly review of the personas with two customer interviews each.", None),
    ("Sales and marketing share one pipeline target for next year.", "customers"),
    ("Publish the SLA scorecard on the office screen every Monday.", None),
    ("Keep the founders' package; its deals are three times the average.", "customers"),
]
PRODUCT_NEWS = [
    "New pricing page live; the founders' package is now listed.",
    "HubSpot integration now syncs lifecycle stages every hour.",
    "Customer story with Fjord Data published.",
    "Release 4.2: scorecard export to PDF.",
    "The e-book got a second edition with the SLA template.",
]
CAMPAIGN_NOTES = [
    "Webinar sign-ups ahead of plan; reminder e-mail goes out Thursday.",
    "LinkedIn campaign is behind its lead target; new creative this week.",
    "Paid search: many students again, negative keywords updated.",
    "E-book still the top first conversion.",
    "Event follow-up list imported; duplicates removed first.",
]
CAUSES = [
    ("Routing / process", "All MQLs went to Kari and Lars on Mondays; the others had capacity."),
    ("Staffing / capacity", "Two AEs on holiday and one sick; nobody covered the queue."),
    ("Lead volume", "The event brought a spike of scanned leads on one day."),
    ("Routing / process", "MQLs arriving after 15:00 waited until the next morning."),
]


#: MQLs past their deadline before a red period gets a "why?" (not a Monday morning's one).
MIN_DUE = 5


def _short(day: date) -> str:
    return f"{day.day} {day:%b}"


def _slip_causes(conn: Connection, st: Story) -> list[dict]:
    """The "why?" of this month's slip (one AE on leave, a webinar spike) on the month and the
    current week, where first contact within the SLA is red."""
    on_leave = SALES_TEAM[ON_LEAVE][0].split()[0]
    month_text = (
        f"{on_leave} on parental leave since {_short(st.month_start)} but still in the "
        "round-robin: every fifth MQL waited in his queue, mostly until the next morning's triage."
    )
    if st.webinar_day is not None:
        month_text += (
            f" The webinar on {_short(st.webinar_day)} doubled the sign-ups for two days, "
            "with four AEs to follow them up."
        )
    week_text = (
        f"Still one AE short: {on_leave}'s share of the round-robin waits for the 09:00 "
        "triage; we take him out of the rotation until he is back."
    )
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


def write_meetings(conn: Connection, st: Story, rnd: Random, stats: dict) -> dict:
    """Weekly and monthly meetings up to today with their notes, ratings, decisions,
    actions and actions reviews; closed ones get a frozen scorecard and their minutes."""
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
                note = DROP_REASONS[len(reviews) % len(DROP_REASONS)]
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
    for title, metric, owner, carried in CARRIED:
        day = closed_days[max(0, len(closed_days) - 1 - carried)]
        special.setdefault(day, []).append(("carried", title, metric, owner))
    overdue_day = closed_days[max(0, len(closed_days) - 2)]
    special.setdefault(overdue_day, []).append(("overdue", *OVERDUE))

    deck: list = []  # action titles are dealt from a shuffled deck: no twin actions
    weekly_decisions = iter(WEEKLY_DECISIONS)
    monthly_decisions = iter(MONTHLY_DECISIONS)
    for day in mondays:
        week = day.isocalendar().week
        chair = HEAD_OF_MARKETING if week % 2 else SALES_MANAGER
        mid, planned = meeting(
            "weekly", day, f"Weekly smarketing — week {week}", chair, WEEKLY_AGENDA
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
        acc = "n/a" if f["acceptance"] is None else f"{f['acceptance']:.0%}"
        body = f"Last week: {f['mqls']} MQLs against about {wk_target:.0f} needed; accepted {acc}."
        note(mid, "scorecard", HEAD_OF_MARKETING, body, at)
        if reviewed:
            text = f"{done} of {reviewed} open actions done."
            if still:
                text += f" Carried over: {still[0]}" + (
                    f" and {len(still) - 1} more." if len(still) > 1 else "."
                )
            note(mid, "actions_review", chair, text, at)
        if f["median"] is not None:
            body = (
                f"Median first contact {f['median']:.1f} h; {f['within']:.0%} of the MQLs "
                f"contacted within {f['resp']:.0f} h."
            )
            spring = st.rr_meeting - timedelta(weeks=14) <= day <= st.rr_meeting
            if spring:
                body += " Queue piles up on Mondays; Kari and Lars get most of the MQLs."
                spring_weeks.append((f["within"] or 0, day))
            elif day > st.rr_meeting and f["within"] is not None and f["within"] >= 0.8:
                body += " Round-robin and the 09:00 triage keep the queue short."
            elif day > st.rr_meeting and day - timedelta(days=4) >= st.month_start:
                body += (
                    f" {SALES_TEAM[ON_LEAVE][0].split()[0]} is on parental leave but still in "
                    "the round-robin; his MQLs wait for the next morning's triage."
                )
            note(mid, "sla_challenges", SALES_MANAGER, body, at)
        if week % 2 == 0:
            note(mid, "personas_news", CONTENT_LEAD, rnd.choice(PRODUCT_NEWS), at)
        if week % 3 == 0:
            note(mid, "campaigns", MARKETING_OPS, rnd.choice(CAMPAIGN_NOTES), at)
        for user in (HEAD_OF_MARKETING, SALES_MANAGER, MARKETING_OPS):
            ratings.append({"meeting_id": mid, "username": user, "rating": rnd.randint(6, 9)})

        if day == st.rr_meeting:
            decision(
                mid,
                day,
                "Route MQLs round-robin across the five account executives and hold a daily "
                "15-minute triage slot at 09:00.",
                "median_first_contact_hours",
                BOTH_TEAMS,
            )
            action(
                mid,
                day,
                RR_TITLE,
                "median_first_contact_hours",
                SALES_MANAGER,
                fate="closed",
                due=day + timedelta(days=7),
                by=HEAD_OF_MARKETING,
                closed_at=st.dt(day + timedelta(days=4), 8),
            )
        elif week % 5 == 0 and (picked := next(weekly_decisions, None)):
            decision(mid, day, picked[0], picked[1], BOTH_TEAMS, recorder=chair)
        age = (today - day).days
        for _ in range(rnd.choice((1, 1, 2))):
            if not deck:
                deck = rnd.sample(ACTION_POOL, len(ACTION_POOL))
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
        meeting("weekly", upcoming, f"Weekly smarketing — week {week}", chair, WEEKLY_AGENDA)

    for day in monthly:
        mid, planned = meeting(
            "monthly", day, f"Leadership monthly — {day:%B %Y}", CEO, MONTHLY_AGENDA
        )
        if planned:
            continue
        last_month = add_months(day.replace(day=1), -1)
        if last_month >= st.start:
            target = (SLA_V2 if last_month >= st.v2_from else SLA_V1)["mql_target"]
            note(
                mid,
                "trends",
                HEAD_OF_MARKETING,
                f"{last_month:%B}: {_month_mqls(st, stats, day.replace(day=1))} MQLs against "
                f"a target of {target}.",
                st.dt(day, 14, 10),
            )
        for user in (CEO, HEAD_OF_MARKETING, SALES_MANAGER):
            ratings.append({"meeting_id": mid, "username": user, "rating": rnd.randint(6, 9)})
        if day == monthly[0]:
            decision(
                mid,
                day,
                f"SLA version 1 is the baseline from {st.v1_from:%d %B %Y}.",
                None,
                LEADERSHIP,
                1,
                recorder=CEO,
            )
        if picked := next(monthly_decisions, None):
            decision(mid, day, picked[0], picked[1], LEADERSHIP, recorder=CEO)
        if day == v2_day:
            decision(
                mid,
                day,
                f"Adopt SLA version 2 from {st.v2_from:%d %B %Y}: 150 MQLs a month and first "
                "contact within 2 hours.",
                "mqls_delivered",
                LEADERSHIP,
                2,
                recorder=CEO,
            )
    if v2_day not in monthly:  # the decision was taken outside the monthly rhythm
        decision(
            None,
            v2_day,
            f"Adopt SLA version 2 from {st.v2_from:%d %B %Y}: 150 MQLs a month and first "
            "contact within 2 hours.",
            "mqls_delivered",
            LEADERSHIP,
            2,
        )

    # actions finished or dropped after the last meeting were closed from the action list
    for a in actions:
        if a["_resolved"]:
            continue
        if a["_fate"] == "done":
            a["status"], a["closed_at"] = "done", st.dt(a["_complete"], 16)
        elif a["_fate"] == "dropped":
            a["status"], a["closed_at"] = "dropped", st.dt(a["due_date"], 16)
            a["drop_reason"] = DROP_REASONS[0]

    # "why?" causes on red periods
    causes = []
    spring_weeks.sort()
    for (_, day), (category, text) in zip(spring_weeks[:4], CAUSES, strict=False):
        causes.append(
            {
                "metric": "contacted_within_sla_rate",
                "period_kind": "week",
                "period_start": day - timedelta(days=7),
                "category": category,
                "text": text,
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
                    "text": "Summer holidays: traffic and conversions halve every July.",
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
                "text": "Several large deals slipped into next month; paid search SQLs close poorly.",  # noqa: E501
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
    _freeze(conn, closed)
    counts["actions"] = len(actions)
    counts["decisions"] = len(decisions)
    return counts


def _freeze(conn: Connection, closed: list[tuple[int, str, date, datetime]]) -> None:
    """Give every closed meeting its frozen scorecard (as it stood at closing time, each
    distinct period computed once) and its minutes, as closing it in the app would."""
    table = Meeting.__table__
    with Session(bind=conn) as s:
        snapshots = scorecard_snapshots(s, [(kind, day, at) for _, kind, day, at in closed])
    for (mid, *_), snapshot in zip(closed, snapshots, strict=True):
        conn.execute(
            table.update()
            .where(table.c.id == mid)
            .values(scorecard=json.dumps(snapshot, ensure_ascii=False))
        )
    with Session(bind=conn) as s:
        texts = [(mid, minutes_markdown(s, mid, people=PEOPLE)) for mid, *_ in closed]
    for mid, text in texts:
        conn.execute(table.update().where(table.c.id == mid).values(minutes=text))
