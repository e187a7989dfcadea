"""The story's time frame and the world it plays in: time units, the cast, the
personas, sources and offers by name, the season, and the calendar (:class:`Story`,
:class:`CampaignPlan`, :func:`make_story`) every other part of the demo is dated by.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from types import ModuleType
from zoneinfo import ZoneInfo

import numpy as np

from smarketing.config import business_tz
from smarketing.demo import content_en
from smarketing.demo.content import texts

HOUR = 3600
DAY = 86400
MINUTE = 60

Progress = Callable[[float, str], None]


# --- the cast ------------------------------------------------------------------------------

#: (display name, username); the first five are the account executives, then the manager.
SALES_TEAM = [
    ("Kari Nilsen", "kari.n"),
    ("Ola Hansen", "ola.h"),
    ("Nora Bakken", "nora.b"),
    ("Lars Johansen", "lars.j"),
    ("Sofie Haugen", "sofie.h"),
    ("Sam Solberg", "sam.s"),
]
SALES_MANAGER = "sam.s"
HEAD_OF_MARKETING = "maria.m"
MARKETING_OPS = "jonas.b"
CONTENT_LEAD = "ida.l"
CEO = "erik.s"
PEOPLE = {
    "maria.m": "Maria Moe",
    "jonas.b": "Jonas Berg",
    "ida.l": "Ida Lund",
    "sam.s": "Sam Solberg",
    "erik.s": "Erik Strand",
    **{u: n for n, u in SALES_TEAM},
}

# --- personas, sources and offers (their names are in content_en/_nb, their odds in leads.py) --

N_PERSONAS = 4
PAID, ORGANIC, WEBINAR, LINKEDIN, EVENTS, REFERRAL = range(6)
#: the e-book's name in English (the demo in Norwegian names it st.text.EBOOK)
EBOOK = content_en.EBOOK
O_EBOOK, O_WEBINAR, O_DEMO, O_PRICING, O_NEWSLETTER, O_EVENT = range(6)

# --- the season -----------------------------------------------------------------------------

SEASON = {
    1: 1.15,
    2: 1.15,
    3: 1.1,
    4: 0.95,
    5: 0.95,
    6: 0.85,
    7: 0.45,
    8: 0.8,
    9: 1.15,
    10: 1.2,
    11: 1.15,
    12: 0.75,
}
LEADS_PER_MONTH = 500
#: (index into the content's EVENT_NAMES, month, day, extra leads) — held on the Thursday
#: nearest the date
EVENTS_CALENDAR = [
    (0, 3, 12, 110),
    (1, 6, 4, 45),
    (2, 9, 24, 150),
    (3, 11, 5, 80),
]

# --- this month's slip --------------------------------------------------------------------

#: The account executive on parental leave this month (index into SALES_TEAM). Round-robin
#: keeps routing MQLs to his queue, where they wait for a colleague or the next triage.
ON_LEAVE = 1
#: Extra webinar sign-ups on this month's webinar day (65 %) and the day after (35 %).
WEBINAR_SPIKE = 35


# --- the story's calendar -----------------------------------------------------------------


@dataclass
class CampaignPlan:
    name: str
    channel: int
    persona: str
    offer: int
    start: date
    end: date | None
    attach: float
    target_factor: float
    active: bool = False
    leads: int = 0


@dataclass
class Story:
    tz: ZoneInfo
    now: datetime
    now_ts: int
    today: date
    start: date  # first day of the first demo month
    calendar_start: date  # meetings and campaigns reach back at least eight weeks
    months: int
    days: list[date]
    day_start: np.ndarray  # UTC epoch seconds of each day's local midnight
    day_len: np.ndarray
    base: np.ndarray  # expected leads per day (before events)
    extra: np.ndarray  # expected event leads per day
    webinar: np.ndarray  # expected leads per day from this month's webinar spike
    events: list[tuple[str, date]]
    rr_meeting: date  # the weekly meeting that agreed round-robin routing
    rr_live_ts: int  # from here on first contact is fast
    v1_from: date
    v2_from: date
    month_start: date  # first day of the current month: sales' response slips from here
    slip_ts: int  # its local midnight (epoch seconds)
    webinar_day: date | None  # this month's webinar, if it was held before today
    campaigns: list[CampaignPlan] = field(default_factory=list)
    language: str = "en"  # the language the demo's texts are written in
    text: ModuleType = content_en  # those texts (smarketing.demo.content)

    def ts(self, day: date, hour: int, minute: int = 0) -> int:
        """Epoch seconds of a local time, never after now."""
        local = datetime.combine(day, dtime(hour, minute), tzinfo=self.tz)
        return min(int(local.timestamp()), self.now_ts)

    def dt(self, day: date, hour: int, minute: int = 0) -> datetime:
        """Aware UTC datetime of a local time, never after now."""
        return _utc(self.ts(day, hour, minute))

    def day_ts(self, day: date) -> int:
        """Epoch seconds of local midnight starting the day."""
        return int(datetime.combine(day, dtime(0), tzinfo=self.tz).timestamp())

    @property
    def intensity(self) -> np.ndarray:
        """Expected leads per day, everything included."""
        return self.base + self.extra + self.webinar


def _utc(ts: int) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


def add_months(d: date, months: int) -> date:
    idx = d.year * 12 + d.month - 1 + months
    return date(idx // 12, idx % 12 + 1, 1)


def _days_in_month(d: date) -> int:
    return (add_months(d, 1) - d.replace(day=1)).days


def monday_of(d: date) -> date:
    return d - timedelta(days=d.weekday())


def make_story(now: datetime, months: int, language: str = "en") -> Story:
    """The story's calendar as of ``now`` over ``months`` months, its texts in
    ``language`` (the calendar and every figure are the same in each language)."""
    text = texts(language)
    tz = business_tz()
    now_ts = int(now.timestamp())
    now_utc = _utc(now_ts)
    today = now_utc.astimezone(tz).date()
    start = add_months(today.replace(day=1), -(months - 1))
    days = [start + timedelta(days=i) for i in range((today - start).days + 1)]
    starts = [int(datetime.combine(d, dtime(0), tzinfo=tz).timestamp()) for d in days]
    day_start = np.array(starts, dtype=np.int64)
    nxt = int(datetime.combine(today + timedelta(days=1), dtime(0), tzinfo=tz).timestamp())
    day_len = np.diff(np.append(day_start, nxt))
    base = np.array(
        [
            LEADS_PER_MONTH
            * SEASON[d.month]
            / _days_in_month(d)
            * (1.2 if d.weekday() < 5 else 0.5)
            for d in days
        ]
    )
    extra = np.zeros(len(days))
    events = []
    for year in range(start.year, today.year + 1):
        for event, month, dom, size in EVENTS_CALENDAR:
            name = text.EVENT_NAMES[event]
            d = date(year, month, dom)
            d += timedelta(days=3 - d.weekday())  # the nearest Thursday
            if start <= d <= today:
                events.append((name, d))
                i = (d - start).days
                extra[i] += 0.65 * size
                if i + 1 < len(days):
                    extra[i + 1] += 0.35 * size
    # This month's webinar (the second Thursday, else the first, if held before today)
    # brings a spike of sign-ups while one account executive is on leave.
    month_start = today.replace(day=1)
    webinar = np.zeros(len(days))
    thursdays = [
        month_start + timedelta(days=(3 - month_start.weekday()) % 7 + 7 * k) for k in (1, 0)
    ]
    webinar_day = next((d for d in thursdays if start <= d < today), None)
    if webinar_day is not None:
        i = (webinar_day - start).days
        webinar[i] += 0.65 * WEBINAR_SPIKE
        webinar[i + 1] += 0.35 * WEBINAR_SPIKE
    elapsed = (now_ts - day_start[-1]) / day_len[-1]
    base[-1] *= elapsed
    extra[-1] *= elapsed
    webinar[-1] *= elapsed

    # The weekly meeting around mid-May that agreed round-robin routing (latest one in range).
    calendar_start = min(start, monday_of(today) - timedelta(weeks=8))
    rr = None
    for year in range(today.year, calendar_start.year - 1, -1):
        monday = monday_of(date(year, 5, 15))
        if monday >= calendar_start + timedelta(days=28) and monday + timedelta(days=14) <= today:
            rr = monday
            break
    if rr is None:  # a short window: put it 40 % into the story
        rr = monday_of(calendar_start + timedelta(days=int((today - calendar_start).days * 0.4)))
    live = rr + timedelta(days=4)
    rr_live_ts = int(datetime.combine(live, dtime(8), tzinfo=tz).timestamp())

    v1_from = start
    september = date(today.year if today.month >= 9 else today.year - 1, 9, 1)
    v2_from = september if september > v1_from else month_start
    if v2_from <= v1_from:  # a one-month story: version 1 came before it
        v1_from = add_months(month_start, -1)
        v2_from = month_start

    story = Story(
        tz=tz,
        now=now_utc,
        now_ts=now_ts,
        today=today,
        start=start,
        calendar_start=calendar_start,
        months=months,
        days=days,
        day_start=day_start,
        day_len=day_len,
        base=base,
        extra=extra,
        webinar=webinar,
        events=events,
        rr_meeting=rr,
        rr_live_ts=rr_live_ts,
        v1_from=v1_from,
        v2_from=v2_from,
        month_start=month_start,
        slip_ts=int(datetime.combine(month_start, dtime(0), tzinfo=tz).timestamp()),
        webinar_day=webinar_day,
        language=language,
        text=text,
    )
    story.campaigns = _campaign_plans(story)
    return story


def _campaign_plans(st: Story) -> list[CampaignPlan]:
    span = max((st.today - st.calendar_start).days, 1)

    def at(frac: float) -> date:
        return st.calendar_start + timedelta(days=round(frac * span))

    def past(a: float, b: float) -> tuple[date, date]:
        s, e = at(a), min(at(b), st.today - timedelta(days=1))
        return s, max(s, e)

    done_events = [(n, d) for n, d in st.events if d + timedelta(days=10) < st.today]
    if done_events:
        ev_name, ev_day = done_events[-1]
        ev_start, ev_end = ev_day - timedelta(days=35), ev_day + timedelta(days=10)
        ev = (st.text.event_campaign(ev_name, ev_day.year), ev_start, ev_end)
    else:
        ev = (st.text.EVENT_FALLBACK, *past(0.52, 0.62))
    plans = [
        (ORGANIC, 0, O_EBOOK, *past(0.0, 0.28), 0.55, 1.05),
        (PAID, 1, O_DEMO, *past(0.04, 0.36), 0.7, 0.95),
        (WEBINAR, 1, O_WEBINAR, *past(0.18, 0.42), 0.8, 0.9),
        (LINKEDIN, 1, O_EBOOK, *past(0.30, 0.52), 0.6, 2.4),
        (EVENTS, 0, O_EVENT, ev[1], ev[2], 0.9, 1.0),
        (LINKEDIN, 3, O_PRICING, *past(0.50, 0.72), 0.45, 1.0),
        (WEBINAR, 0, O_WEBINAR, at(0.78), None, 0.8, 1.0),
        (PAID, 0, O_EBOOK, at(0.62), None, 0.7, 0.95),
    ]
    names = [name or ev[0] for name in st.text.CAMPAIGN_NAMES]
    out = []
    for name, (ch, persona, offer, s, e, attach, factor) in zip(names, plans, strict=True):
        plan = CampaignPlan(name, ch, st.text.PERSONA_NAMES[persona], offer, s, e, attach, factor)
        plan.active = e is None or e >= st.today
        out.append(plan)
    out[6].end = st.today + timedelta(days=27)
    return out
