"""The meetings: weekly smarketing and monthly leadership meetings with their notes,
ratings, decisions, actions and minutes, and the "why?" causes on red periods."""

from __future__ import annotations

import json
from datetime import date, timedelta
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
from smarketing.models import Action, Decision, Meeting, MeetingNote, MeetingRating, SlaCause
from smarketing.periods import period_containing
from smarketing.sla import Status, sla_report

WEEKLY_AGENDA = [
    "Scorecard",
    "Last week's actions",
    "Results so far",
    "Product news",
    "Personas and campaigns",
    "SLA challenges",
    "New actions",
]
MONTHLY_AGENDA = ["SLA history", "Trends", "Campaign results", "Decisions", "Next month"]

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


def write_meetings(conn: Connection, st: Story, rnd: Random, stats: dict) -> dict:
    today = st.today
    first = st.calendar_start + timedelta(days=(7 - st.calendar_start.weekday()) % 7)
    mondays = [first + timedelta(weeks=i) for i in range((today - first).days // 7 + 1)]
    monthly = sorted({d for d in mondays if d.day <= 7})
    counts = {"meetings": 0, "actions": 0, "decisions": 0}
    notes, ratings, actions, decisions = [], [], [], []
    v2_day = v2_decided_on(st)
    spring_weeks = []

    def meeting(kind: str, day: date, title: str, facilitator: str, agenda: list) -> tuple:
        planned = day == today and st.now.astimezone(st.tz).hour < 10
        mid = insert_one(
            conn,
            Meeting,
            kind=kind,
            title=title,
            held_on=day,
            status="planned" if planned else "closed",
            agenda=json.dumps(agenda, ensure_ascii=False),
            facilitator=facilitator,
            minutes=None,
            closed_at=None if planned else st.dt(day, 10 if kind == "weekly" else 15),
            closed_by=None if planned else facilitator,
            created_by=facilitator,
            created_at=st.dt(day - timedelta(days=5), 12),
            is_demo=True,
        )
        counts["meetings"] += 1
        return mid, planned

    def action(mid, day, title, metric, owner, *, status, due, closed=None, carried=0, by=None):
        actions.append(
            {
                "title": title,
                "owner": owner,
                "due_date": due,
                "metric": metric,
                "period_kind": "week",
                "period_start": monday_of(day - timedelta(days=7)),
                "status": status,
                "meeting_id": mid,
                "carried_over": carried,
                "created_by": by or HEAD_OF_MARKETING,
                "created_at": st.dt(day, 9, 40),
                "closed_at": closed,
                "is_demo": True,
            }
        )

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

    def held(day: date) -> date | None:
        """The weekly meeting on or before the day (the first one if none)."""
        earlier = [m for m in mondays if m <= day]
        return earlier[-1] if earlier else (mondays[0] if mondays else None)

    special: dict = {}  # monday -> special open actions created there
    for k, (title, metric, owner, carried) in enumerate(CARRIED):
        day = held(monday_of(today - timedelta(weeks=carried + 2 + k)))
        special.setdefault(day, []).append(("carried", title, metric, owner, carried))
    special.setdefault(held(monday_of(today - timedelta(days=17))), []).append(
        ("overdue", *OVERDUE, 1)
    )

    minutes_of: dict[int, list[str]] = {}
    deck: list = []  # action titles are dealt from a shuffled deck: no twin actions
    weekly_decisions = iter(WEEKLY_DECISIONS)
    monthly_decisions = iter(MONTHLY_DECISIONS)
    last_actions: list[dict] = []
    for day in mondays:
        week = day.isocalendar().week
        chair = HEAD_OF_MARKETING if week % 2 else SALES_MANAGER
        mid, planned = meeting(
            "weekly", day, f"Weekly smarketing — week {week}", chair, WEEKLY_AGENDA
        )
        first_action = len(actions)
        lines = [f"# Weekly smarketing — week {week}", ""]
        f = _week_figures(st, stats, day)
        for specials in special.get(day, []):
            what, title, metric, owner, carried = specials
            if what == "carried":
                due = today + timedelta(days=rnd.randint(2, 9))
            else:
                due = today - timedelta(days=3)
            action(
                mid, day, title, metric, owner, status="open", due=due, carried=carried, by=chair
            )
        if planned:
            minutes_of[mid] = []
            continue
        at = st.dt(day, 9, 30)
        wk_target = (SLA_V2 if day >= st.v2_from else SLA_V1)["mql_target"] * 7 / 30.4
        acc = "n/a" if f["acceptance"] is None else f"{f['acceptance']:.0%}"
        body = f"Last week: {f['mqls']} MQLs against about {wk_target:.0f} needed; accepted {acc}."
        step_notes = [("Scorecard", HEAD_OF_MARKETING, body)]
        if last_actions:
            done = [a["closed_at"] is not None and a["closed_at"] <= at for a in last_actions]
            text = f"{sum(done)} of {len(last_actions)} actions from last week done."
            still = [a["title"] for a, d in zip(last_actions, done, strict=True) if not d]
            if still:
                text += f" Still open: {still[0]}."
            step_notes.append(("Last week's actions", chair, text))
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
            step_notes.append(("SLA challenges", SALES_MANAGER, body))
        if week % 2 == 0:
            step_notes.append(("Product news", CONTENT_LEAD, rnd.choice(PRODUCT_NEWS)))
        if week % 3 == 0:
            step_notes.append(("Personas and campaigns", MARKETING_OPS, rnd.choice(CAMPAIGN_NOTES)))
        for step, author, text in step_notes:
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
            lines.append(f"**{step}** ({PEOPLE[author]}): {text}")
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
                status="done",
                due=day + timedelta(days=7),
                closed=st.dt(day + timedelta(days=4), 8),
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
                action(mid, day, title, metric, owner, status="open", due=due, by=chair)
            elif rnd.random() < 0.06:
                action(mid, day, title, metric, owner, status="dropped", due=due,
                       closed=st.dt(due, 16), carried=1, by=chair)  # fmt: skip
            else:
                carried = 1 if rnd.random() < 0.15 else 0
                done = min(due + timedelta(days=7 * carried - rnd.randint(0, 3)), today)
                action(mid, day, title, metric, owner, status="done", due=due,
                       closed=st.dt(max(done, day), 16), carried=carried, by=chair)  # fmt: skip
        minutes_of[mid] = lines
        last_actions = actions[first_action:]

    for day in monthly:
        mid, planned = meeting(
            "monthly", day, f"Leadership monthly — {day:%B %Y}", CEO, MONTHLY_AGENDA
        )
        if planned:
            continue
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
        minutes_of[mid] = [f"# Leadership monthly — {day:%B %Y}", ""]
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

    # minutes in Markdown
    by_meeting: dict[int, list[str]] = {}
    for d in decisions:
        by_meeting.setdefault(d["meeting_id"], []).append(f"- Decision: {d['text']}")
    for a in actions:
        by_meeting.setdefault(a["meeting_id"], []).append(
            f"- Action: {a['title']} — {PEOPLE.get(a['owner'], a['owner'])}, "
            f"due {a['due_date']:%d %b}"
        )
    for mid, lines in minutes_of.items():
        if not lines:
            continue
        text = "\n\n".join([lines[0], *lines[2:], "\n".join(by_meeting.get(mid, []))])
        conn.execute(
            Meeting.__table__.update()
            .where(Meeting.__table__.c.id == mid)
            .values(minutes=text.strip())
        )

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
    for model, rows in (
        (MeetingNote, notes),
        (MeetingRating, [r | {"is_demo": True} for r in ratings]),
        (Action, actions),
        (Decision, decisions),
        (SlaCause, causes),
    ):
        if rows:
            insert_columns(conn, model.__table__, {k: [r[k] for r in rows] for k in rows[0]})
    counts["actions"] = len(actions)
    counts["decisions"] = len(decisions)
    return counts
