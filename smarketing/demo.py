"""The demo company: a reproducible, generated data set that tells the story of
``docs/demo-company.md`` (a Norwegian B2B software firm, its SLA, meetings and leads).

Every row written here has ``is_demo=True``; :func:`clear_demo` removes them again.
Leads, activities and verdicts are generated with numpy and written with SQLAlchemy Core
in chunks, inside one transaction, so a failure leaves no half demo behind.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from random import Random
from zoneinfo import ZoneInfo

import numpy as np
from sqlalchemy import delete, insert, select
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session
from sqlmodel import select as sm_select

from smarketing.config import business_tz
from smarketing.db import bump_data_version, get_setting, set_setting
from smarketing.errors import InvalidInput
from smarketing.models import (
    Action,
    BriefVersion,
    BriefView,
    Campaign,
    Decision,
    Definition,
    Lead,
    LeadActivity,
    LeadChange,
    Meeting,
    MeetingNote,
    MeetingRating,
    Persona,
    PersonaVersion,
    SlaAgreement,
    SlaCause,
    SlaConfirmation,
    Verdict,
)

#: Setting key; its value is "1" while the demo company is in the database.
DEMO_SETTING = "demo_company"
SOURCE_SYSTEM = "demo"

CHUNK = 50_000  # leads generated and written per step
BATCH = 10_000  # rows per executemany
HOT_LEADS = 7  # leads that come back in the last 48 hours after 14+ silent days

HOUR = 3600
DAY = 86400
MINUTE = 60

Progress = Callable[[float, str], None]


@dataclass
class DemoSummary:
    """Counts of what :func:`build_demo` wrote."""

    leads: int
    activities: int
    verdicts: int
    campaigns: int
    personas: int
    definitions: int
    agreements: int
    meetings: int
    actions: int
    decisions: int
    seconds: float


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
LEADERSHIP = "Erik Strand (CEO), Maria Moe (marketing), Sam Solberg (sales)"
BOTH_TEAMS = "Maria Moe (marketing), Sam Solberg (sales)"

# Before round-robin routing MQLs piled up on a few AEs, and some answered slowly.
OWNER_WEIGHT_BEFORE = np.array([0.28, 0.22, 0.17, 0.21, 0.08, 0.04])
OWNER_WEIGHT_AFTER = np.array([0.19, 0.19, 0.19, 0.19, 0.19, 0.05])
OWNER_SLOWNESS_BEFORE = np.array([1.25, 0.85, 0.85, 1.3, 0.9, 1.0])

PERSONA_NAMES = [
    "Marketing Manager Maria",
    "Head of Sales Henrik",
    "IT Lead Ingrid",
    "Founder Frida",
]
PERSONA_P = np.array([0.37, 0.22, 0.26, 0.10, 0.05])  # last: no persona
SEGMENTS = ["SMB (10-49)", "Mid-market (50-499)", "Enterprise (500+)"]
SEGMENT_P = np.array(
    [
        [0.25, 0.60, 0.15],  # Maria
        [0.20, 0.55, 0.25],  # Henrik
        [0.20, 0.50, 0.30],  # Ingrid
        [0.80, 0.20, 0.00],  # Frida
        [0.50, 0.40, 0.10],  # none
    ]
)
TITLES = [
    ["Marketing Manager", "Head of Marketing", "Markedssjef", "Digital Marketing Manager"],
    ["Head of Sales", "Salgssjef", "Sales Director", "VP Sales"],
    ["IT Manager", "Head of IT", "IT-sjef", "Operations Manager"],
    ["CEO", "Founder", "Daglig leder", "Co-founder & CEO"],
    ["Consultant", "Project Manager", "Analyst", "Advisor"],
]

SOURCES = ["Paid search", "Organic search", "Webinar", "LinkedIn", "Events", "Referral"]
PAID, ORGANIC, WEBINAR, LINKEDIN, EVENTS, REFERRAL = range(6)
SOURCE_P = np.array([0.33, 0.26, 0.12, 0.16, 0.02, 0.11])  # events come mostly in spikes

EBOOK = "The Smarketing SLA e-book"
OFFERS = [
    EBOOK,
    "Webinar sign-up",
    "Demo request",
    "Pricing page",
    "Newsletter sign-up",
    "Event badge scan",
]
O_EBOOK, O_WEBINAR, O_DEMO, O_PRICING, O_NEWSLETTER, O_EVENT = range(6)
#: first conversion by source for leads without a campaign
OFFER_BY_SOURCE = np.array(
    [
        [0.35, 0.00, 0.35, 0.30, 0.00, 0.00],  # paid search
        [0.45, 0.00, 0.15, 0.15, 0.25, 0.00],  # organic
        [0.00, 1.00, 0.00, 0.00, 0.00, 0.00],  # webinar
        [0.60, 0.00, 0.20, 0.00, 0.20, 0.00],  # linkedin
        [0.00, 0.00, 0.15, 0.00, 0.00, 0.85],  # events
        [0.00, 0.00, 0.80, 0.20, 0.00, 0.00],  # referral
    ]
)

REASONS = [
    "wrong persona",
    "no budget",
    "bad data",
    "student/competitor",
    "duplicate",
    "not reachable",
]
R_WRONG, R_BUDGET, R_BAD, R_STUDENT, R_DUP, R_UNREACHABLE = range(6)
REASON_W = np.array([0.18, 0.22, 0.12, 0.10, 0.13, 0.25])
REJECT_COMMENTS = {
    R_WRONG: ["IT contact, no say over sales tooling", "Works in IT support, passed on to no one"],
    R_BUDGET: ["Budget frozen until next year", "Interested, but no budget this quarter"],
    R_BAD: ["Phone number and company do not match", "Fake name in the form"],
    R_STUDENT: ["Student writing a thesis", "Works for a competitor"],
    R_DUP: ["Already in the pipeline with a colleague", "Same person as an open lead"],
    R_UNREACHABLE: ["Three calls, two e-mails, no answer", "No answer; voicemail full"],
}
ACCEPT_COMMENTS = ["", "", "Good fit, intro call booked", "Knows our category, wants a demo"]

# Logit effects (persona rows incl. "none" last; source rows in SOURCES order).
MQL_PERSONA = np.array([0.15, 0.35, 0.0, 0.2, -1.2])
MQL_SOURCE = np.array([-0.25, 0.0, 0.55, -0.1, -0.1, 0.45])
ACC_PERSONA = np.array([0.2, 0.5, -1.0, 0.2, -0.5])
ACC_SOURCE = np.array([-1.1, 0.3, 0.7, 0.1, 0.0, 0.6])
SQL_PERSONA = np.array([0.0, 0.6, -0.3, 0.2, -0.3])
SQL_SOURCE = np.array([-0.1, 0.0, 0.3, 0.0, -0.1, 0.2])
OPP_PERSONA = np.array([0.0, 0.2, -0.1, 0.3, 0.0])
WON_PERSONA = np.array([0.0, 0.35, -0.25, 0.0, -0.2])
WON_SOURCE = np.array([-0.3, 0.0, 1.7, -0.1, 0.0, 0.1])
DEAL_BASE = np.array([48_000.0, 144_000.0, 420_000.0])  # NOK a year, by segment
DEAL_PERSONA = np.array([1.0, 1.1, 0.9, 4.0, 0.8])

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
#: (name, month, day, extra leads) — held on the Thursday nearest the date
EVENTS_CALENDAR = [
    ("Nordic Marketing Forum", 3, 12, 110),
    ("Bergen Smarketing Breakfast", 6, 4, 45),
    ("Oslo Sales Summit", 9, 24, 150),
    ("HubSpot User Group Oslo", 11, 5, 80),
]

FIRST_NAMES = [
    "Anne",
    "Kari",
    "Marit",
    "Liv",
    "Hilde",
    "Silje",
    "Ida",
    "Emma",
    "Sara",
    "Thea",
    "Maja",
    "Ingeborg",
    "Tone",
    "Hanne",
    "Camilla",
    "Marte",
    "Julie",
    "Kristin",
    "Solveig",
    "Astrid",
    "Jan",
    "Per",
    "Bjørn",
    "Ole",
    "Lars",
    "Kjell",
    "Knut",
    "Arne",
    "Svein",
    "Thomas",
    "Hans",
    "Geir",
    "Tor",
    "Morten",
    "Terje",
    "Erik",
    "Andreas",
    "Martin",
    "Jonas",
    "Magnus",
    "Sindre",
    "Eirik",
    "Håkon",
    "Øyvind",
    "Vegard",
    "Mathias",
    "Sander",
    "Jørgen",
    "Fatima",
    "Amir",
]
LAST_NAMES = [
    "Hansen",
    "Johansen",
    "Olsen",
    "Larsen",
    "Andersen",
    "Pedersen",
    "Nilsen",
    "Kristiansen",
    "Jensen",
    "Karlsen",
    "Johnsen",
    "Pettersen",
    "Eriksen",
    "Berg",
    "Haugen",
    "Hagen",
    "Johannessen",
    "Andreassen",
    "Jacobsen",
    "Dahl",
    "Jørgensen",
    "Halvorsen",
    "Henriksen",
    "Lund",
    "Sørensen",
    "Jakobsen",
    "Moen",
    "Gundersen",
    "Iversen",
    "Strand",
    "Solberg",
    "Svendsen",
    "Eide",
    "Knutsen",
    "Martinsen",
    "Paulsen",
    "Bakken",
    "Kristoffersen",
    "Mathisen",
    "Lie",
    "Amundsen",
    "Nguyen",
    "Rasmussen",
    "Ali",
    "Lunde",
    "Solheim",
    "Berge",
    "Nygård",
    "Bakke",
    "Aasen",
]
COMPANY_PREFIX = [
    "Fjord",
    "Nordlys",
    "Vik",
    "Berg",
    "Havn",
    "Polar",
    "Skog",
    "Fjell",
    "Bølge",
    "Kyst",
    "Nord",
    "Vest",
    "Sol",
    "Elv",
    "Tind",
    "Lyng",
    "Stein",
    "Bjørke",
    "Furu",
    "Ask",
]
COMPANY_SUFFIX = [
    "Data",
    "Logistikk",
    "Regnskap",
    "Eiendom",
    "Media",
    "Energi",
    "Bygg",
    "Helse",
    "Finans",
    "Marin",
    "Tech",
    "Consulting",
    "Handel",
    "Analyse",
    "Systemer",
    "Reiser",
    "Mat",
    "Design",
    "Transport",
    "Solutions",
]
STUDENT_DOMAINS = [("student.uio.no", "Universitetet i Oslo"), ("stud.ntnu.no", "NTNU")]
COMPETITOR = ("pipelinepro.no", "PipelinePro AS")

PAGES = [
    "/",
    "/pricing",
    "/product",
    "/product/sla-scorecard",
    "/customers",
    "/integrations/hubspot",
    "/blog/what-is-an-mql",
    "/blog/sla-between-marketing-and-sales",
    "/blog/lead-scoring-101",
    "/blog/the-weekly-smarketing-meeting",
    "/blog/why-sales-rejects-leads",
    "/about",
]
NEWSLETTERS = [
    "Newsletter: five SLA mistakes",
    "Newsletter: the weekly meeting agenda",
    "Newsletter: lead scoring in practice",
    "Newsletter: customer story Fjord Data",
]
DOWNLOADS = [
    "Lead scoring checklist",
    "The weekly smarketing meeting agenda template",
    "Buyer persona workbook",
]


def _fold(text: str) -> str:
    """Lower-case ASCII for e-mail addresses."""
    table = str.maketrans({"æ": "ae", "ø": "o", "å": "a", " ": "", "&": ""})
    return text.lower().translate(table)


FIRST_FOLD = [_fold(n) for n in FIRST_NAMES]
LAST_FOLD = [_fold(n) for n in LAST_NAMES]


# --- the story's calendar -----------------------------------------------------------------


@dataclass
class _CampaignPlan:
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
class _Story:
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
    events: list[tuple[str, date]]
    rr_meeting: date  # the weekly meeting that agreed round-robin routing
    rr_live_ts: int  # from here on first contact is fast
    v1_from: date
    v2_from: date
    campaigns: list[_CampaignPlan] = field(default_factory=list)

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


def _utc(ts: int) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


def _add_months(d: date, months: int) -> date:
    idx = d.year * 12 + d.month - 1 + months
    return date(idx // 12, idx % 12 + 1, 1)


def _days_in_month(d: date) -> int:
    return (_add_months(d, 1) - d.replace(day=1)).days


def _monday(d: date) -> date:
    return d - timedelta(days=d.weekday())


def _story(now: datetime, months: int) -> _Story:
    tz = business_tz()
    now_ts = int(now.timestamp())
    now_utc = _utc(now_ts)
    today = now_utc.astimezone(tz).date()
    start = _add_months(today.replace(day=1), -(months - 1))
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
        for name, month, dom, size in EVENTS_CALENDAR:
            d = date(year, month, dom)
            d += timedelta(days=3 - d.weekday())  # the nearest Thursday
            if start <= d <= today:
                events.append((name, d))
                i = (d - start).days
                extra[i] += 0.65 * size
                if i + 1 < len(days):
                    extra[i + 1] += 0.35 * size
    elapsed = (now_ts - day_start[-1]) / day_len[-1]
    base[-1] *= elapsed
    extra[-1] *= elapsed

    # The weekly meeting around mid-May that agreed round-robin routing (latest one in range).
    calendar_start = min(start, _monday(today) - timedelta(weeks=8))
    rr = None
    for year in range(today.year, calendar_start.year - 1, -1):
        monday = _monday(date(year, 5, 15))
        if monday >= calendar_start + timedelta(days=28) and monday + timedelta(days=14) <= today:
            rr = monday
            break
    if rr is None:  # a short window: put it 40 % into the story
        rr = _monday(calendar_start + timedelta(days=int((today - calendar_start).days * 0.4)))
    live = rr + timedelta(days=4)
    rr_live_ts = int(datetime.combine(live, dtime(8), tzinfo=tz).timestamp())

    month_start = today.replace(day=1)
    v1_from = start
    september = date(today.year if today.month >= 9 else today.year - 1, 9, 1)
    v2_from = september if september > v1_from else month_start
    if v2_from <= v1_from:  # a one-month story: version 1 came before it
        v1_from = _add_months(month_start, -1)
        v2_from = month_start

    story = _Story(
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
        events=events,
        rr_meeting=rr,
        rr_live_ts=rr_live_ts,
        v1_from=v1_from,
        v2_from=v2_from,
    )
    story.campaigns = _campaign_plans(story)
    return story


def _campaign_plans(st: _Story) -> list[_CampaignPlan]:
    span = max((st.today - st.calendar_start).days, 1)

    def at(frac: float) -> date:
        return st.calendar_start + timedelta(days=round(frac * span))

    def past(a: float, b: float) -> tuple[date, date]:
        s, e = at(a), min(at(b), st.today - timedelta(days=1))
        return s, max(s, e)

    done_events = [(n, d) for n, d in st.events if d + timedelta(days=10) < st.today]
    if done_events:
        ev_name, ev_day = done_events[-1]
        ev = (f"{ev_name} {ev_day.year}", ev_day - timedelta(days=35), ev_day + timedelta(days=10))
    else:
        ev = ("Smarketing breakfast seminars", *past(0.52, 0.62))
    plans = [
        ("SLA e-book launch", ORGANIC, 0, O_EBOOK, *past(0.0, 0.28), 0.55, 1.05),
        ("Paid search: book a demo", PAID, 1, O_DEMO, *past(0.04, 0.36), 0.7, 0.95),
        (
            "Webinar: the weekly smarketing meeting",
            WEBINAR,
            1,
            O_WEBINAR,
            *past(0.18, 0.42),
            0.8,
            0.9,
        ),
        ("LinkedIn: heads of sales", LINKEDIN, 1, O_EBOOK, *past(0.30, 0.52), 0.6, 2.4),
        (ev[0], EVENTS, 0, O_EVENT, ev[1], ev[2], 0.9, 1.0),
        ("Founders: pricing made simple", LINKEDIN, 3, O_PRICING, *past(0.50, 0.72), 0.45, 1.0),
        ("Webinar series: lead quality", WEBINAR, 0, O_WEBINAR, at(0.78), None, 0.8, 1.0),
        ("Always-on paid search: SLA e-book", PAID, 0, O_EBOOK, at(0.62), None, 0.7, 0.95),
    ]
    out = []
    for name, ch, persona, offer, s, e, attach, factor in plans:
        plan = _CampaignPlan(name, ch, PERSONA_NAMES[persona], offer, s, e, attach, factor)
        plan.active = e is None or e >= st.today
        out.append(plan)
    out[6].end = st.today + timedelta(days=27)
    return out


# --- random helpers -----------------------------------------------------------------------


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _calibrated(logits: np.ndarray, rate: float) -> np.ndarray:
    """Probabilities sigmoid(logit + shift), the shift chosen so that their mean is ``rate``."""
    if logits.size == 0:
        return logits.astype(float)
    lo, hi = -20.0, 20.0
    for _ in range(50):
        mid = (lo + hi) / 2
        if _sigmoid(logits + mid).mean() < rate:
            lo = mid
        else:
            hi = mid
    return _sigmoid(logits + (lo + hi) / 2)


def _uniform(rng: np.random.Generator, n: int) -> np.ndarray:
    """Stratified uniforms in random order: stage rates land close to their targets."""
    return (rng.permutation(n) + rng.random(n)) / max(n, 1)


def _choice(rng: np.random.Generator, p: np.ndarray, n: int) -> np.ndarray:
    cum = np.cumsum(p)
    return np.minimum(np.searchsorted(cum, rng.random(n) * cum[-1], side="right"), len(p) - 1)


def _row_choice(rng: np.random.Generator, probs: np.ndarray) -> np.ndarray:
    """One index per row of a (n, k) probability table."""
    cum = probs.cumsum(axis=1)
    u = rng.random(len(probs))[:, None] * cum[:, -1:]
    return np.minimum((cum <= u).sum(axis=1), probs.shape[1] - 1)


def _delay(rng, n: int, median: float | np.ndarray, sigma, lo: float, hi: float) -> np.ndarray:
    """Log-normal delays in whole seconds, clipped to [lo, hi]."""
    x = median * np.exp(sigma * rng.standard_normal(n))
    return np.clip(x, lo, hi).astype(np.int64)


# --- leads ----------------------------------------------------------------------------------


@dataclass
class _Chunk:
    """One chunk of generated leads (arrays of length n) and their activities."""

    n: int
    cols: dict  # lead columns ready for insert (lists)
    # for verdicts / activities (indices are local to the chunk)
    verdicts: dict
    acts: dict
    # for the meetings' figures
    mql_ts: np.ndarray
    contact_hours: np.ndarray
    accepted: np.ndarray
    decided: np.ndarray
    campaign_counts: np.ndarray


def _created_times(rng: np.random.Generator, st: _Story, leads: int):
    """Creation times (sorted epoch seconds) and whether each lead came from an event spike."""
    intensity = st.base + st.extra
    counts = rng.multinomial(leads, intensity / intensity.sum())
    day = np.repeat(np.arange(len(st.days)), counts)
    business = rng.random(leads) < 0.8
    tod = np.where(
        business,
        np.clip(rng.normal(11.5, 2.6, leads), 6.0, 22.0) / 24.0,
        rng.random(leads),
    )
    last = day == len(st.days) - 1
    tod[last] *= (st.now_ts - st.day_start[-1] - 60) / st.day_len[-1]
    created = st.day_start[day] + (tod * st.day_len[day]).astype(np.int64)
    created = np.clip(created, st.day_start[0], st.now_ts - 60)
    share = np.divide(st.extra, intensity, out=np.zeros_like(intensity), where=intensity > 0)
    from_event = rng.random(leads) < share[day]
    order = np.argsort(created, kind="stable")
    return created[order], from_event[order]


def _lead_chunk(
    rng: np.random.Generator,
    st: _Story,
    created: np.ndarray,
    from_event: np.ndarray,
    offset: int,
    hot_wanted: int,
) -> _Chunk:
    n = len(created)
    now = st.now_ts
    ar = np.arange(n)

    persona = _choice(rng, PERSONA_P, n)
    source = _choice(rng, SOURCE_P, n)
    source[from_event] = EVENTS
    segment = _row_choice(rng, SEGMENT_P[persona])

    # campaigns and first conversions
    campaign = np.full(n, -1)
    for c, plan in enumerate(st.campaigns):
        s = st.day_ts(plan.start)
        e = st.day_ts((plan.end or st.today) + timedelta(days=1))
        hit = (campaign < 0) & (source == plan.channel) & (created >= s) & (created < e)
        campaign[hit & (rng.random(n) < plan.attach)] = c
    offer = _row_choice(rng, OFFER_BY_SOURCE[source])
    camp_offer = np.array([p.offer for p in st.campaigns])
    offer = np.where(campaign >= 0, camp_offer[np.maximum(campaign, 0)], offer)
    campaign_counts = np.bincount(campaign[campaign >= 0], minlength=len(st.campaigns))

    # marketing qualification
    mql_i = _uniform(rng, n) < _calibrated(MQL_PERSONA[persona] + MQL_SOURCE[source], 0.30)
    mql_ts = created + _delay(rng, n, 20 * HOUR, 1.0, 10 * MINUTE, 6 * DAY)

    # sales' verdict
    acc_p = _calibrated((ACC_PERSONA[persona] + ACC_SOURCE[source])[mql_i], 0.70)
    accepted_i = np.zeros(n, dtype=bool)
    accepted_i[mql_i] = _uniform(rng, int(mql_i.sum())) < acc_p
    rejected_i = mql_i & ~accepted_i
    verdict_ts = mql_ts + _delay(rng, n, 5 * HOUR, 0.8, 15 * MINUTE, 48 * HOUR)
    w = np.tile(REASON_W, (n, 1))
    w[source == PAID, R_STUDENT] *= 5.0
    w[persona == 2, R_WRONG] *= 5.0
    w[persona == 4, R_WRONG] *= 2.0
    w[persona == 4, R_STUDENT] *= 2.0
    reason = _row_choice(rng, w)

    # owner and first contact
    before = mql_ts < st.rr_live_ts
    owner = np.where(
        before,
        _choice(rng, OWNER_WEIGHT_BEFORE, n),
        _choice(rng, OWNER_WEIGHT_AFTER, n),
    )
    median = np.where(before, 2.0 * HOUR * OWNER_SLOWNESS_BEFORE[owner], 1.0 * HOUR)
    sigma = np.where(before, 1.2, 0.8)
    contact_ts = mql_ts + _delay(rng, n, median, sigma, 5 * MINUTE, 72 * HOUR)
    u = rng.random(n)
    junk = np.isin(reason, [R_BAD, R_DUP, R_STUDENT])
    never = (rejected_i & junk & (u < 0.4)) | (rejected_i & ~junk & (u > 0.99))
    recent_never = (mql_ts > now - 3 * DAY) & (rng.random(n) < 0.12)

    # sales qualification, opportunity, close
    n_mql, n_acc = int(mql_i.sum()), int(accepted_i.sum())
    sql_rate = min(0.95, 0.40 * n_mql / n_acc) if n_acc else 0.0
    sql_p = _calibrated((SQL_PERSONA[persona] + SQL_SOURCE[source])[accepted_i], sql_rate)
    sql_i = np.zeros(n, dtype=bool)
    sql_i[accepted_i] = _uniform(rng, n_acc) < sql_p
    sql_ts = np.maximum(verdict_ts, contact_ts) + _delay(rng, n, 4 * DAY, 0.6, HOUR, 14 * DAY)
    opp_i = np.zeros(n, dtype=bool)
    opp_i[sql_i] = _uniform(rng, int(sql_i.sum())) < _calibrated(OPP_PERSONA[persona][sql_i], 0.60)
    opp_ts = sql_ts + _delay(rng, n, 7 * DAY, 0.6, DAY, 21 * DAY)
    won_i = np.zeros(n, dtype=bool)
    won_p = _calibrated((WON_PERSONA[persona] + WON_SOURCE[source])[opp_i], 0.25)
    won_i[opp_i] = _uniform(rng, int(opp_i.sum())) < won_p
    lost_i = opp_i & ~won_i & (rng.random(n) < 0.85)
    close_ts = opp_ts + _delay(rng, n, 21 * DAY, 0.4, 5 * DAY, 42 * DAY)
    deal = (
        DEAL_BASE[segment] * DEAL_PERSONA[persona] * np.exp(0.35 * rng.standard_normal(n)) / 1000.0
    ).round() * 1000.0

    # what has happened by now
    mql = mql_i & (mql_ts <= now)
    undecided = mql & ((verdict_ts > now) | ((mql_ts > now - 10 * DAY) & (rng.random(n) < 0.15)))
    accepted = accepted_i & mql & ~undecided
    rejected = rejected_i & mql & ~undecided
    contacted = mql & ~never & ~recent_never & (contact_ts <= now)
    sql = sql_i & accepted & contacted & (sql_ts <= now)
    opp = opp_i & sql & (opp_ts <= now)
    won = won_i & opp & (close_ts <= now)
    lost = lost_i & opp & (close_ts <= now)

    # identity
    first = rng.integers(0, len(FIRST_NAMES), n)
    last = rng.integers(0, len(LAST_NAMES), n)
    comp = rng.integers(0, len(COMPANY_PREFIX) * len(COMPANY_SUFFIX), n)
    title = rng.integers(0, 4, n)
    student = rng.random(n) < 0.6
    score = np.where(mql_i, rng.integers(60, 101, n), rng.integers(5, 60, n))
    first_l = first.tolist()
    last_l = last.tolist()
    rows_first = [FIRST_NAMES[i] for i in first_l]
    rows_last = [LAST_NAMES[i] for i in last_l]
    companies, domains = [], []
    for c in comp.tolist():
        pre, suf = COMPANY_PREFIX[c % 20], COMPANY_SUFFIX[c // 20]
        companies.append(f"{pre} {suf} AS")
        domains.append(f"{_fold(pre)}{_fold(suf)}.no")
    emails = [
        f"{FIRST_FOLD[f]}.{LAST_FOLD[g]}@{d}"
        for f, g, d in zip(first_l, last_l, domains, strict=True)
    ]
    titles = [TITLES[p][t] for p, t in zip(persona.tolist(), title.tolist(), strict=True)]
    for i in np.flatnonzero(rejected_i & (reason == R_STUDENT)).tolist():
        dom, company = STUDENT_DOMAINS[i % 2] if student[i] else COMPETITOR
        companies[i], titles[i] = company, "Student" if student[i] else "Product Marketing Manager"
        emails[i] = f"{FIRST_FOLD[first_l[i]]}.{LAST_FOLD[last_l[i]]}@{dom}"
    for i in np.flatnonzero(rejected_i & (reason == R_BAD)).tolist():
        emails[i] = f"test@{domains[i]}"

    owner_l = owner.tolist()
    cols = {
        "source_system": [SOURCE_SYSTEM] * n,
        "external_id": [f"DEMO-{offset + i + 1:06d}" for i in range(n)],
        "first_name": rows_first,
        "last_name": rows_last,
        "email": emails,
        "company": companies,
        "title": titles,
        "created_at": _dts(created),
        "mql_at": _dts(mql_ts, mql),
        "accepted_at": _dts(verdict_ts, accepted),
        "rejected_at": _dts(verdict_ts, rejected),
        "rejection_reason": _labels(REASONS, reason, rejected),
        "first_contact_at": _dts(contact_ts, contacted),
        "sql_at": _dts(sql_ts, sql),
        "opportunity_at": _dts(opp_ts, opp),
        "customer_at": _dts(close_ts, won),
        "lost_at": _dts(close_ts, lost),
        "source": [SOURCES[s] for s in source.tolist()],
        "campaign": [st.campaigns[c].name if c >= 0 else None for c in campaign.tolist()],
        "persona": [PERSONA_NAMES[p] if p < 4 else None for p in persona.tolist()],
        "owner": [
            SALES_TEAM[o][0] if m else None for o, m in zip(owner_l, mql.tolist(), strict=True)
        ],
        "segment": [SEGMENTS[s] for s in segment.tolist()],
        "first_conversion": [OFFERS[o] for o in offer.tolist()],
        "score": score.tolist(),
        "deal_value": [
            float(d) if o else None for d, o in zip(deal.tolist(), opp.tolist(), strict=True)
        ],
        "is_demo": [True] * n,
    }
    latest = created.copy()
    for ts, mask in (
        (mql_ts, mql),
        (verdict_ts, accepted | rejected),
        (contact_ts, contacted),
        (sql_ts, sql),
        (opp_ts, opp),
        (close_ts, won | lost),
    ):
        latest = np.where(mask, np.maximum(latest, ts), latest)
    cols["updated_at"] = _dts(latest)

    verdicts = _verdicts(rng, accepted, rejected, reason, mql_ts, verdict_ts, owner)
    acts = _activities(
        rng,
        st,
        n=n,
        ar=ar,
        created=created,
        offer=offer,
        campaign=campaign,
        mql=mql,
        mql_ts=mql_ts,
        contacted=contacted,
        contact_ts=contact_ts,
        sql_i=sql_i,
        sql=sql,
        sql_ts=sql_ts,
        opp=opp,
        opp_ts=opp_ts,
        won=won,
        lost=lost,
        close_ts=close_ts,
        owner=owner,
        returnable=(rejected | lost | ~mql) & (created <= now - 30 * DAY),
        hot_wanted=hot_wanted,
    )
    hours = np.where(contacted, (contact_ts - mql_ts) / HOUR, np.nan)
    return _Chunk(
        n=n,
        cols=cols,
        verdicts=verdicts,
        acts=acts,
        mql_ts=mql_ts[mql],
        contact_hours=hours[mql],
        accepted=accepted[mql],
        decided=(accepted | rejected)[mql],
        campaign_counts=campaign_counts,
    )


def _dts(ts: np.ndarray, mask: np.ndarray | None = None) -> list:
    """Aware UTC datetimes (None where the mask is False)."""
    fromts = datetime.fromtimestamp
    if mask is None:
        return [fromts(v, UTC) for v in ts.tolist()]
    return [fromts(v, UTC) if m else None for v, m in zip(ts.tolist(), mask.tolist(), strict=True)]


def _labels(names: list[str], idx: np.ndarray, mask: np.ndarray) -> list:
    return [names[i] if m else None for i, m in zip(idx.tolist(), mask.tolist(), strict=True)]


def _verdicts(rng, accepted, rejected, reason, mql_ts, verdict_ts, owner) -> dict:
    """Verdict rows (local lead index); a few leads first got another verdict, later replaced."""
    decided = np.flatnonzero(accepted | rejected)
    k = len(decided)
    redo = decided[rng.random(k) < 0.03]
    pick = rng.integers(0, 4, k)
    comments = []
    for i, p in zip(decided.tolist(), pick.tolist(), strict=True):
        if accepted[i]:
            comments.append(ACCEPT_COMMENTS[p])
        else:
            comments.append(REJECT_COMMENTS[int(reason[i])][p % 2])
    earlier = mql_ts[redo] + (verdict_ts[redo] - mql_ts[redo]) * 2 // 5
    lead = np.concatenate([redo, decided])
    ts = np.concatenate([earlier, verdict_ts[decided]])
    verdict = ["rejected" if accepted[i] else "accepted" for i in redo.tolist()] + [
        "accepted" if accepted[i] else "rejected" for i in decided.tolist()
    ]
    reasons = [REASONS[R_UNREACHABLE] if accepted[i] else None for i in redo.tolist()] + [
        None if accepted[i] else REASONS[int(reason[i])] for i in decided.tolist()
    ]
    comments = [
        "No answer on the first two calls" if accepted[i] else "Looked fine at first"
        for i in redo.tolist()
    ] + comments
    return {
        "lead": lead,
        "verdict": verdict,
        "reason": reasons,
        "comment": comments,
        "decided_by": [SALES_TEAM[o][1] for o in owner[lead].tolist()],
        "decided_at": _dts(ts),
    }


def _activities(rng, st: _Story, *, n, ar, **a) -> dict:
    """The chunk's activity trail (sorted by lead and time), hot leads included."""
    now = st.now_ts
    created, mql, mql_ts = a["created"], a["mql"], a["mql_ts"]
    contacted, contact_ts = a["contacted"], a["contact_ts"]
    owner_names = np.array([name for name, _ in SALES_TEAM], dtype=object)
    parts = []

    def add(lead, ts, kind, detail, actor=None):
        m = ts <= now
        if actor is None:
            actor = np.full(len(lead), None, dtype=object)
        parts.append(
            (
                lead[m],
                ts[m],
                np.asarray(kind, dtype=object)[m],
                np.asarray(detail, dtype=object)[m],
                actor[m],
            )
        )

    # the conversion that made them a lead
    offer = a["offer"]
    kinds = np.where(offer == O_EBOOK, "download", "form").astype(object)
    details = np.array(OFFERS, dtype=object)[offer]
    camp = a["campaign"]
    names = [p.name for p in st.campaigns]
    for i in np.flatnonzero(offer == O_WEBINAR).tolist():
        what = names[camp[i]] if camp[i] >= 0 else "Monthly smarketing webinar"
        details[i] = f"Webinar sign-up: {what}"
    for i in np.flatnonzero(offer == O_EVENT).tolist():
        details[i] = f"Event badge scan: {names[camp[i]] if camp[i] >= 0 else 'Meetup'}"
    add(ar, created, kinds, details)

    # browsing and newsletters
    k = rng.poisson(1.8, n)
    lead = np.repeat(ar, k)
    add(
        lead,
        created[lead] + _delay(rng, len(lead), 1.5 * DAY, 1.0, MINUTE, 10 * DAY),
        np.full(len(lead), "page_view", dtype=object),
        np.array(PAGES, dtype=object)[rng.integers(0, len(PAGES), len(lead))],
    )
    k = rng.poisson(0.6, n)
    lead = np.repeat(ar, k)
    add(
        lead,
        created[lead] + rng.integers(DAY, 12 * DAY, len(lead)),
        np.full(len(lead), "email_click", dtype=object),
        np.array(NEWSLETTERS, dtype=object)[rng.integers(0, len(NEWSLETTERS), len(lead))],
    )

    # what tipped them over to MQL
    lead = np.flatnonzero(mql)
    r = rng.random(len(lead))
    add(
        lead,
        mql_ts[lead],
        np.where(r < 0.65, "page_view", "download").astype(object),
        np.where(
            r < 0.45,
            "/pricing",
            np.where(
                r < 0.65,
                "/demo",
                np.array(DOWNLOADS, dtype=object)[rng.integers(0, len(DOWNLOADS), len(lead))],
            ),
        ),
    )

    # sales: the first contact, follow-ups, meetings, the close
    owner = a["owner"]
    lead = np.flatnonzero(contacted)
    call = rng.random(len(lead)) < 0.6
    add(
        lead,
        contact_ts[lead],
        np.where(call, "call", "email").astype(object),
        np.where(call, "Intro call", "Intro e-mail").astype(object),
        owner_names[owner[lead]],
    )
    k = rng.poisson(0.7, len(lead))
    lead = np.repeat(lead, k)
    span = np.where(a["sql_i"][lead], a["sql_ts"][lead] - contact_ts[lead], 10 * DAY)
    call = rng.random(len(lead)) < 0.5
    add(
        lead,
        contact_ts[lead] + (span * rng.uniform(0.1, 0.95, len(lead))).astype(np.int64),
        np.where(call, "call", "email").astype(object),
        np.where(call, "Follow-up call", "Follow-up e-mail").astype(object),
        owner_names[owner[lead]],
    )
    for mask, ts, kind, detail in (
        (a["sql"], a["sql_ts"], "meeting", "Discovery meeting"),
        (a["opp"], a["opp_ts"], "meeting", "Demo and proposal"),
        (a["won"], a["close_ts"], "call", "Contract signed"),
        (a["lost"], a["close_ts"], "email", "Closed lost: thanks for your time"),
    ):
        lead = np.flatnonzero(mask)
        add(lead, ts[lead], [kind] * len(lead), [detail] * len(lead), owner_names[owner[lead]])
    lead = np.flatnonzero(a["opp"])
    half = a["opp_ts"][lead] + (a["close_ts"][lead] - a["opp_ts"][lead]) // 2
    add(
        lead,
        half,
        ["email"] * len(lead),
        ["Proposal follow-up"] * len(lead),
        owner_names[owner[lead]],
    )

    lead, ts, kind, detail, actor = (np.concatenate(x) for x in zip(*parts, strict=True))
    lead, ts, kind, detail, actor = _sorted(lead, ts, kind, detail, actor)

    # Nobody but the chosen few may look "hot": fill long silences before recent activity.
    recent = np.flatnonzero(
        (ts[1:] >= now - 48 * HOUR) & (lead[1:] == lead[:-1]) & (ts[1:] - ts[:-1] >= 14 * DAY)
    )
    if len(recent):
        prev_t, next_t, who = ts[recent], ts[recent + 1], lead[recent]
        sales = np.isin(kind[recent], ["call", "email", "meeting"])
        gaps = (next_t - prev_t + 7 * DAY - 1) // (7 * DAY) - 1  # fillers so no gap > 7 days
        fl = np.repeat(np.arange(len(recent)), gaps)
        step = np.concatenate([np.arange(1, g + 1) for g in gaps.tolist()])
        f_ts = prev_t[fl] + (next_t[fl] - prev_t[fl]) * step // (gaps[fl] + 1)
        f_sales = sales[fl]
        parts = [
            (lead, ts, kind, detail, actor),
            (
                who[fl],
                f_ts,
                np.where(f_sales, "email", "email_click").astype(object),
                np.where(f_sales, "Check-in e-mail", NEWSLETTERS[0]).astype(object),
                np.where(f_sales, owner_names[owner[who[fl]]], None).astype(object),
            ),
        ]
        lead, ts, kind, detail, actor = _sorted(
            *(np.concatenate(x) for x in zip(*parts, strict=True))
        )

    # The chosen few: old, rejected or lost leads, silent for weeks, back in the last two days.
    if a["hot_wanted"]:
        last_of_lead = np.full(n, np.iinfo(np.int64).max)
        ends = np.flatnonzero(np.append(lead[1:] != lead[:-1], True))
        last_of_lead[lead[ends]] = ts[ends]
        ok = a["returnable"] & (last_of_lead <= now - 16 * DAY)
        preferred = np.flatnonzero(ok & a["mql"])  # rejected or lost
        pool = np.concatenate([rng.permutation(preferred), rng.permutation(np.flatnonzero(ok))])
        _, first = np.unique(pool, return_index=True)
        hot = pool[np.sort(first)][: a["hot_wanted"]].astype(np.int64)
        back = [
            ("page_view", "/pricing"),
            ("download", EBOOK),
            ("form", "Demo request"),
            ("page_view", "/customers"),
        ]
        pick = rng.integers(0, len(back), len(hot))
        h_ts = now - rng.integers(HOUR, 46 * HOUR, len(hot))
        parts = [
            (lead, ts, kind, detail, actor),
            (
                hot,
                h_ts,
                np.array([back[p][0] for p in pick.tolist()], dtype=object),
                np.array([back[p][1] for p in pick.tolist()], dtype=object),
                np.full(len(hot), None, dtype=object),
            ),
        ]
        lead, ts, kind, detail, actor = _sorted(
            *(np.concatenate(x) for x in zip(*parts, strict=True))
        )
    return {"lead": lead, "ts": ts, "kind": kind, "detail": detail, "actor": actor}


def _sorted(lead, ts, kind, detail, actor):
    order = np.lexsort((ts, lead))
    return lead[order], ts[order], kind[order], detail[order], actor[order]


# --- writing ----------------------------------------------------------------------------


def _insert_columns(conn: Connection, table, cols: dict[str, list]) -> int:
    """Insert column lists with Core executemany in batches; returns the row count."""
    keys = list(cols)
    n = len(cols[keys[0]]) if keys else 0
    stmt = insert(table)
    for lo in range(0, n, BATCH):
        part = [cols[k][lo : lo + BATCH] for k in keys]
        conn.execute(stmt, [dict(zip(keys, row, strict=True)) for row in zip(*part, strict=True)])
    return n


def _insert_one(conn: Connection, model, **values) -> int:
    """Insert one row and return its id."""
    table = model.__table__
    return int(conn.execute(insert(table).values(**values).returning(table.c.id)).scalar_one())


def _write_leads(
    conn: Connection, rng: np.random.Generator, st: _Story, leads: int, report: Progress
) -> tuple[int, int, dict]:
    """Generate and insert all leads, their verdicts and activities; returns counts and stats."""
    created, from_event = _created_times(rng, st, leads)
    n_old = int(np.searchsorted(created, st.now_ts - 30 * DAY, side="right"))
    hot_at = rng.choice(n_old, size=min(HOT_LEADS, n_old), replace=False) if n_old else []
    lead_t = Lead.__table__
    n_acts = n_verdicts = 0
    stats = {"mql_ts": [], "hours": [], "accepted": [], "decided": []}
    camp_counts = np.zeros(len(st.campaigns), dtype=np.int64)
    for offset in range(0, leads, CHUNK):
        end = min(offset + CHUNK, leads)
        hot_wanted = int(np.sum((np.asarray(hot_at) >= offset) & (np.asarray(hot_at) < end)))
        ch = _lead_chunk(rng, st, created[offset:end], from_event[offset:end], offset, hot_wanted)
        base = conn.execute(select(lead_t.c.id).order_by(lead_t.c.id.desc()).limit(1)).scalar()
        _insert_columns(conn, lead_t, ch.cols)
        ids = np.zeros(ch.n, dtype=np.int64)
        q = select(lead_t.c.id, lead_t.c.external_id).where(
            lead_t.c.source_system == SOURCE_SYSTEM, lead_t.c.id > (base or 0)
        )
        for lead_id, ext in conn.execute(q):
            ids[int(ext[5:]) - 1 - offset] = lead_id
        v = ch.verdicts
        n_verdicts += _insert_columns(
            conn,
            Verdict.__table__,
            {
                "lead_id": ids[v["lead"]].tolist(),
                "verdict": v["verdict"],
                "reason": v["reason"],
                "comment": v["comment"],
                "decided_by": v["decided_by"],
                "decided_at": v["decided_at"],
                "is_demo": [True] * len(v["verdict"]),
            },
        )
        ac = ch.acts
        n_acts += _insert_columns(
            conn,
            LeadActivity.__table__,
            {
                "lead_id": ids[ac["lead"]].tolist(),
                "kind": ac["kind"].tolist(),
                "detail": ac["detail"].tolist(),
                "occurred_at": _dts(ac["ts"]),
                "actor": ac["actor"].tolist(),
                "is_demo": [True] * len(ac["lead"]),
            },
        )
        stats["mql_ts"].append(ch.mql_ts)
        stats["hours"].append(ch.contact_hours)
        stats["accepted"].append(ch.accepted)
        stats["decided"].append(ch.decided)
        camp_counts += ch.campaign_counts
        report(0.03 + 0.85 * end / leads, f"Leads {end:,} of {leads:,}")
    for plan, count in zip(st.campaigns, camp_counts.tolist(), strict=True):
        plan.leads = count
    return n_acts, n_verdicts, {k: np.concatenate(v) for k, v in stats.items()}


# --- the public API ------------------------------------------------------------------------


def has_demo(session: Session) -> bool:
    """True while the demo company is in the database."""
    if get_setting(session, DEMO_SETTING) == "1":
        return True
    query = sm_select(Lead.id).where(Lead.is_demo == True).limit(1)  # noqa: E712
    return session.exec(query).first() is not None


def default_leads(months: int = 12, now: datetime | None = None) -> int:
    """The number of leads :func:`build_demo` writes by default (~500 a month, seasonal)."""
    st = _story(_check_now(now), months)
    return max(1, round(float((st.base + st.extra).sum())))


def _check_now(now: datetime | None) -> datetime:
    if now is None:
        return datetime.now(UTC)
    if now.utcoffset() is None:
        raise InvalidInput("now must be timezone-aware (UTC)")
    return now.astimezone(UTC)


def build_demo(
    engine: Engine,
    *,
    leads: int | None = None,
    months: int = 12,
    seed: int = 7,
    now: datetime | None = None,
    progress: Progress | None = None,
) -> DemoSummary:
    """Write the demo company (one transaction) and return what was written.

    ``leads`` is the total number of leads (default ~500 a month with seasonality),
    ``now`` the story's "now" (nothing is dated after it). Raises InvalidInput when the
    demo company is already there or the sizes are not positive.
    """
    started = time.perf_counter()
    if months < 1 or months > 120:
        raise InvalidInput("months must be between 1 and 120")
    if leads is not None and leads < 1:
        raise InvalidInput("leads must be at least 1")
    report: Progress = progress or (lambda _f, _t: None)
    report(0.0, "Planning the demo company…")
    st = _story(_check_now(now), months)
    if leads is None:
        leads = max(1, round(float((st.base + st.extra).sum())))
    rng = np.random.default_rng(seed)
    rnd = Random(seed)

    with engine.begin() as conn:
        with Session(bind=conn) as s:
            if has_demo(s):
                raise InvalidInput(
                    "the demo company is already in the database; clear it first "
                    "(python -m smarketing demo --clear)"
                )
        report(0.02, "Writing leads…")
        n_acts, n_verdicts, stats = _write_leads(conn, rng, st, leads, report)
        report(0.9, "Writing personas, definitions and campaigns…")
        n_personas = _write_personas(conn, st)
        n_defs = _write_definitions(conn, st)
        n_campaigns = _write_campaigns(conn, st)
        report(0.94, "Writing the SLA and meetings…")
        n_agreements = _write_agreements(conn, st)
        counts = _write_meetings(conn, st, rnd, stats)
        with Session(bind=conn) as s:
            set_setting(s, DEMO_SETTING, "1")
            bump_data_version(s)
            s.flush()
    report(1.0, "Demo company ready")
    return DemoSummary(
        leads=leads,
        activities=n_acts,
        verdicts=n_verdicts,
        campaigns=n_campaigns,
        personas=n_personas,
        definitions=n_defs,
        agreements=n_agreements,
        meetings=counts["meetings"],
        actions=counts["actions"],
        decisions=counts["decisions"],
        seconds=round(time.perf_counter() - started, 3),
    )


def clear_demo(engine: Engine) -> dict[str, int]:
    """Delete every demo row (and rows hanging off demo rows), children before parents;
    keeps users, the audit log and settings. Returns rows deleted per table."""

    def ids(model):
        t = model.__table__
        return select(t.c.id).where(t.c.is_demo.is_(True))

    plan = [
        (LeadActivity, "lead_id", Lead),
        (Verdict, "lead_id", Lead),
        (LeadChange, "lead_id", Lead),
        (PersonaVersion, "persona_id", Persona),
        (BriefVersion, "campaign_id", Campaign),
        (BriefView, "campaign_id", Campaign),
        (SlaConfirmation, "agreement_id", SlaAgreement),
        (SlaCause, None, None),
        (MeetingNote, "meeting_id", Meeting),
        (MeetingRating, "meeting_id", Meeting),
        (Decision, "meeting_id", Meeting),
        (Action, "meeting_id", Meeting),
        (Meeting, None, None),
        (SlaAgreement, None, None),
        (Campaign, None, None),
        (Persona, None, None),
        (Definition, None, None),
        (Lead, None, None),
    ]
    deleted: dict[str, int] = {}
    with engine.begin() as conn:
        for model, fk, parent in plan:
            t = model.__table__
            cond = t.c.is_demo.is_(True) if "is_demo" in t.c else None
            if fk is not None:
                by_parent = t.c[fk].in_(ids(parent))
                cond = by_parent if cond is None else cond | by_parent
            deleted[t.name] = conn.execute(delete(t).where(cond)).rowcount or 0
        with Session(bind=conn) as s:
            set_setting(s, DEMO_SETTING, "0")
            bump_data_version(s)
            s.flush()
    return deleted


# --- personas -------------------------------------------------------------------------------

PERSONA_CARDS = [
    {
        "name": "Marketing Manager Maria",
        "icon": "📣",
        "role": "Marketing manager",
        "seniority": "Manager; reports to the CEO or a CMO",
        "company_profile": (
            "- Norwegian B2B company with **50–499 employees**\n"
            "- A marketing team of 2–6 people running HubSpot or a similar tool\n"
            "- An inside sales team of 3–10 reps who live in the CRM"
        ),
        "goals": (
            "- Deliver a predictable number of qualified leads every month\n"
            "- Prove marketing's share of revenue, not just clicks and downloads\n"
            "- Get sales to follow up the leads marketing pays for"
        ),
        "challenges": (
            "- Sales says the leads are junk, but nobody says *why*\n"
            "- Monday reporting is stitched together from three tools\n"
            "- The budget is questioned every time the pipeline dips"
        ),
        "information_sources": (
            "- LinkedIn, Kampanje and the HubSpot blog\n"
            "- Webinars and e-books from vendors she trusts\n"
            "- Peers in the local marketing association (ANFO, DMA)"
        ),
        "objections": (
            '- "We already have dashboards in the CRM."\n'
            '- "Sales will never open another tool."\n'
            '- "We have no time to write an SLA."'
        ),
        "messages": (
            "- One scorecard both teams trust, shown in the weekly meeting\n"
            "- Rejection reasons flow back to marketing automatically\n"
            "- See revenue per campaign and offer, not just lead counts"
        ),
        "recognise": (
            "- Title contains *marketing manager*, *markedssjef* or *head of marketing*\n"
            "- Downloads e-books and joins webinars; reads the blog\n"
            "- Asks about reporting and CRM integration on the first call"
        ),
    },
    {
        "name": "Head of Sales Henrik",
        "icon": "🤝",
        "role": "Head of sales / sales director",
        "seniority": "Director; member of the management team",
        "company_profile": (
            "- B2B company with **50–500 employees** and a sales team of 5–20\n"
            "- Sells subscriptions or services with a 1–3 month sales cycle\n"
            "- Has a CRM, but forecasting is still a spreadsheet"
        ),
        "goals": (
            "- Hit the quarterly number without heroics in the last week\n"
            "- Spend the reps' time on leads that can actually buy\n"
            "- A forecast the CEO believes"
        ),
        "challenges": (
            "- Reps cherry-pick leads and let the rest go cold\n"
            "- Marketing counts leads; he counts revenue\n"
            "- No shared view of what happens after hand-off"
        ),
        "information_sources": (
            "- Sales leaders' networks and LinkedIn\n"
            "- Podcasts and books on sales management\n"
            "- Peers at events such as the Oslo Sales Summit"
        ),
        "objections": (
            '- "My reps do not need more reports."\n'
            '- "Marketing should fix lead quality first."\n'
            '- "Show me it works for a team like mine."'
        ),
        "messages": (
            "- Response-time SLA: every MQL called within hours, visible to all\n"
            "- Accept or reject in one click, with the reason going back to marketing\n"
            "- Close rate and pipeline per source, so budget follows revenue"
        ),
        "recognise": (
            "- Title: *head of sales*, *salgssjef*, *sales director*, *VP sales*\n"
            "- Joins webinars about meetings and pipeline; books demos quickly\n"
            "- Converts best of all personas: treat as priority"
        ),
    },
    {
        "name": "IT Lead Ingrid",
        "icon": "🛠️",
        "role": "IT / operations lead",
        "seniority": "Manager; owns systems and integrations",
        "company_profile": (
            "- Mid-sized or large company (**200+ employees**) with an IT department\n"
            "- Owns the CRM integration, single sign-on and data security\n"
            "- Often asked by marketing or sales to 'look at a tool'"
        ),
        "goals": (
            "- Fewer tools, fewer integrations to maintain\n"
            "- Data that is secure, in the EU and GDPR-compliant\n"
            "- Projects that do not land on her desk unannounced"
        ),
        "challenges": (
            "- Shadow IT bought by business teams\n"
            "- Vendors that cannot answer a security questionnaire\n"
            "- Being approached as the buyer when she is not the budget owner"
        ),
        "information_sources": (
            "- Technical documentation and integration pages\n"
            "- Computerworld Norge and Digi.no\n"
            "- Peer recommendations in IT forums"
        ),
        "objections": (
            '- "Where is the data stored, and who can see it?"\n'
            '- "Does it integrate with our CRM and SSO?"\n'
            '- "This is a sales decision, not mine."'
        ),
        "messages": (
            "- Runs on your own database, SQLite or PostgreSQL; data stays with you\n"
            "- Imports standard CRM exports: no custom integration needed\n"
            "- Role-based access; every change is logged"
        ),
        "recognise": (
            "- Title: *IT manager*, *head of IT*, *IT-sjef*, *operations*\n"
            "- Visits integration and security pages, rarely pricing\n"
            "- Often rejected as **wrong persona**: find the business owner instead"
        ),
    },
    {
        "name": "Founder Frida",
        "icon": "🚀",
        "role": "CEO / founder",
        "seniority": "Owner and CEO; decides alone",
        "company_profile": (
            "- Small, fast-growing company with **10–49 employees**\n"
            "- Marketing and sales are a handful of people, often new hires\n"
            "- Buys for the whole company at once and expects to grow into it"
        ),
        "goals": (
            "- Build a repeatable growth engine before the next funding round\n"
            "- Get marketing and sales to work as one team from day one\n"
            "- Numbers she can show the board"
        ),
        "challenges": (
            "- No time: she is CEO, head of sales and product owner\n"
            "- New hires with different ideas of what a lead is\n"
            "- Growth stalls when she stops selling herself"
        ),
        "information_sources": (
            "- Founder networks, StartupLab and investors\n"
            "- LinkedIn posts by other founders\n"
            "- Pricing pages and customer stories"
        ),
        "objections": (
            '- "We are too small for an SLA."\n'
            '- "Can I get a price without a sales call?"\n'
            '- "We will build it in a spreadsheet."'
        ),
        "messages": (
            "- Start with the SLA template and one weekly meeting\n"
            "- Transparent pricing; up and running in a day\n"
            "- Few leads, but **large deals**: she buys the full package"
        ),
        "recognise": (
            "- Title: *CEO*, *founder*, *daglig leder*\n"
            "- Goes straight to the pricing page\n"
            "- Few leads, largest deal values of all personas"
        ),
    },
]


def _write_personas(conn: Connection, st: _Story) -> int:
    saved = st.dt(st.start - timedelta(days=20), 14)
    for card in PERSONA_CARDS:
        pid = _insert_one(
            conn,
            Persona,
            **card,
            version=1,
            archived=False,
            updated_by=HEAD_OF_MARKETING,
            updated_at=saved,
            is_demo=True,
        )
        _insert_one(
            conn,
            PersonaVersion,
            persona_id=pid,
            version=1,
            data=json.dumps(card, ensure_ascii=False),
            saved_by=HEAD_OF_MARKETING,
            saved_at=saved,
            is_demo=True,
        )
    return len(PERSONA_CARDS)


# --- shared language ------------------------------------------------------------------------


def _definitions(st: _Story) -> list[dict]:
    stages = [
        (
            "stage_subscriber",
            "Subscriber / prospect",
            "marketing",
            "Someone who follows us (newsletter, blog) but has not shown buying interest.\n\n"
            "- Known: e-mail address, sometimes company\n"
            "- **Not** counted as a lead; not handed to sales",
        ),
        (
            "stage_lead",
            "Lead",
            "marketing",
            "A person who has converted on an offer that signals interest in the problem we "
            "solve (e-book, webinar, demo request, pricing page).\n\n"
            "- Recorded with source, campaign and first conversion\n"
            "- Nurtured by marketing until qualified",
        ),
        (
            "stage_mql",
            "MQL",
            "marketing",
            "A lead that meets the MQL rule (see *MQL*). Marketing's promise in the SLA is "
            "counted here.\n\n- Handed to sales automatically with an owner\n"
            "- The response-time clock starts at `mql_at`",
        ),
        (
            "stage_sal",
            "SAL (accepted)",
            "sales",
            "An MQL that sales has **accepted** as worth working. A rejected MQL gets one of "
            "the agreed reason codes so marketing can learn from it.",
        ),
        (
            "stage_sql",
            "SQL",
            "sales",
            "A lead that sales has qualified in conversation (see *SQL*): a real need, a "
            "buyer and a time frame.",
        ),
        (
            "stage_opportunity",
            "Opportunity",
            "sales",
            "A deal is open in the CRM with a value and an expected close date.",
        ),
        (
            "stage_customer",
            "Customer",
            "both",
            "The contract is signed. Marketing and sales share the credit; the customer "
            "story goes back into marketing.",
        ),
    ]
    agreed = st.start - timedelta(days=30)
    rows = [
        {
            "key": key,
            "version": 1,
            "term": term,
            "category": "stage",
            "position": pos,
            "owner_team": team,
            "body": body,
            "rule": None,
            "agreed_on": agreed,
            "agreed_by": BOTH_TEAMS,
        }
        for pos, (key, term, team, body) in enumerate(stages, start=1)
    ]
    terms = [
        (
            "prospect_vs_lead",
            "Prospect vs lead",
            "both",
            "A **prospect** is a company that fits our ideal customer profile but has not "
            "raised its hand. A **lead** is a person who has converted on one of our offers.\n\n"
            "- Prospects are sales' outbound territory\n"
            "- Leads are marketing's until they become MQLs",
            None,
        ),
        (
            "mql",
            "Marketing-qualified lead (MQL)",
            "marketing",
            "A lead that marketing vouches for: the right kind of person at the right kind "
            "of company, showing buying interest.\n\n"
            "- Lead score at least 60 (fit + behaviour)\n"
            "- A company e-mail address\n"
            "- Handed over to sales within minutes",
            "score >= 60 and company e-mail",
        ),
        (
            "sql",
            "Sales-qualified lead (SQL)",
            "sales",
            "An accepted MQL where the account executive has confirmed, in a conversation:\n\n"
            "1. a problem we solve,\n2. a person who can buy (or leads to them),\n"
            "3. a time frame within two quarters.",
            "need confirmed and buyer identified and time frame <= 6 months",
        ),
        (
            "icp",
            "Ideal customer profile",
            "both",
            "Companies we want as customers:\n\n"
            "- Norwegian or Nordic B2B companies with **50–499 employees**\n"
            "- A marketing team and an inside sales team that hand leads over\n"
            "- A CRM in daily use (HubSpot, Salesforce, Pipedrive)",
            None,
        ),
    ]
    for key, term, team, body, rule in terms:
        rows.append(
            {
                "key": key,
                "version": 1,
                "term": term,
                "category": "term",
                "position": 0,
                "owner_team": team,
                "body": body,
                "rule": rule,
                "agreed_on": agreed,
                "agreed_by": BOTH_TEAMS,
            }
        )
    later = min(st.rr_meeting + timedelta(days=14), st.today)
    v1 = {row["key"]: row for row in rows}
    rows.append(
        v1["mql"]
        | {
            "version": 2,
            "body": v1["mql"]["body"]
            + "\n- **Not** a student or a competitor (checked by marketing ops)",
            "rule": "score >= 60 and company e-mail and not student/competitor",
            "agreed_on": later,
        }
    )
    rows.append(
        v1["icp"]
        | {
            "version": 2,
            "body": v1["icp"]["body"]
            + "\n- Founder-led companies with 10–49 employees are in, when they buy for growth",
            "agreed_on": later,
            "agreed_by": LEADERSHIP,
        }
    )
    return rows


def _write_definitions(conn: Connection, st: _Story) -> int:
    rows = _definitions(st)
    for row in rows:
        row.update(
            created_by=HEAD_OF_MARKETING if row["owner_team"] != "sales" else SALES_MANAGER,
            created_at=st.dt(row["agreed_on"], 15),
            is_demo=True,
        )
    return _insert_columns(conn, Definition.__table__, {k: [r[k] for r in rows] for k in rows[0]})


# --- campaigns ------------------------------------------------------------------------------


def _brief(plan: _CampaignPlan) -> dict:
    offer = OFFERS[plan.offer]
    channel = SOURCES[plan.channel]
    slug = _fold(plan.name).replace(":", "").replace("/", "")[:40]
    timeline = f"- Start: {plan.start:%d %b %Y}\n" + (
        f"- End: {plan.end:%d %b %Y}\n" if plan.end else "- End: always on (reviewed monthly)\n"
    )
    timeline += "- Weekly check of volume and acceptance in the smarketing meeting"
    return {
        "goal": (
            f"Generate leads from **{plan.persona}** through {channel.lower()} with the offer "
            f"*{offer}*.\n\n- Lead target: see the campaign's lead target\n"
            "- At least 70 % of the MQLs accepted by sales\n"
            "- Pipeline: SQLs within four weeks of the lead"
        ),
        "offer": offer,
        "key_message": (
            "Marketing and sales as one team: one SLA, one scorecard, one weekly meeting — "
            "and every lead followed up within hours."
        ),
        "talking_points": (
            f"- They came in through *{offer}*; ask what made them look now\n"
            "- Ask how marketing and sales agree on what a good lead is today\n"
            "- Ask how quickly leads are called back, and who checks\n"
            "- Share the customer story of Fjord Data: response time from 9 h to 1 h"
        ),
        "objections": (
            '- **"We already have a CRM dashboard."** — We read your CRM exports; the value '
            "is the agreement and the meeting, not another chart.\n"
            '- **"No time."** — The weekly meeting takes 30 minutes and replaces two others.\n'
            '- **"Too expensive."** — Compare with one lost deal a quarter from a lead '
            "nobody called."
        ),
        "timeline": timeline,
        "links": (
            f"- [Landing page](https://example.com/campaigns/{slug})\n"
            "- [The Smarketing SLA e-book](https://example.com/ebooks/smarketing-sla)\n"
            "- [Customer story: Fjord Data](https://example.com/customers/fjord-data)\n"
            "- [Pricing](https://example.com/pricing)"
        ),
        "sales_cta": (
            "Call within the SLA deadline, offer a 30-minute call about their lead hand-off, "
            "and book a demo with both their marketing and sales leads in the room."
        ),
    }


def _write_campaigns(conn: Connection, st: _Story) -> int:
    for i, plan in enumerate(st.campaigns):
        elapsed = 1.0
        if plan.active:
            total = ((plan.end or st.today + timedelta(days=60)) - plan.start).days or 1
            elapsed = max(0.1, min(1.0, (st.today - plan.start).days / total))
        target = max(10, round(plan.leads / elapsed * plan.target_factor / 10) * 10)
        briefs = [(_brief(plan), st.dt(plan.start - timedelta(days=7), 10))]
        second = plan.start + timedelta(days=21)
        if i in (2, 6, 7) and second < st.today:
            revised = dict(briefs[0][0])
            revised["talking_points"] += "\n- New: tell the round-robin story (9 h to 1 h)"
            briefs.append((revised, st.dt(second, 11)))
        cid = _insert_one(
            conn,
            Campaign,
            **briefs[-1][0],
            name=plan.name,
            channel=SOURCES[plan.channel],
            persona=plan.persona,
            start_date=plan.start,
            end_date=plan.end,
            lead_target=target,
            brief_status="published",
            brief_version=len(briefs),
            updated_by=CONTENT_LEAD,
            updated_at=briefs[-1][1],
            is_demo=True,
        )
        for version, (brief, at) in enumerate(briefs, start=1):
            data = brief | {
                "name": plan.name,
                "persona": plan.persona,
                "start_date": plan.start.isoformat(),
                "end_date": plan.end.isoformat() if plan.end else None,
            }
            _insert_one(
                conn,
                BriefVersion,
                campaign_id=cid,
                version=version,
                data=json.dumps(data, ensure_ascii=False),
                published_by=CONTENT_LEAD,
                published_at=at,
                is_demo=True,
            )
    return len(st.campaigns)


# --- the SLA --------------------------------------------------------------------------------

SLA_V1 = {
    "mql_target": 140,
    "acceptance_rate_target": 0.70,
    "response_hours": 4.0,
    "contacted_within_sla_target": 0.80,
    "sql_target": 55,
    "close_rate_target": 0.20,
    "customer_target": 8,
}
SLA_V2 = {**SLA_V1, "mql_target": 150, "response_hours": 2.0}


def _v2_decided_on(st: _Story) -> date:
    """The monthly leadership meeting that adopted version 2 (a month before it took effect)."""
    target = _add_months(st.v2_from, -1)
    day = target + timedelta(days=(7 - target.weekday()) % 7)  # first Monday
    return max(min(day, st.v2_from - timedelta(days=1)), st.v1_from)


def _write_agreements(conn: Connection, st: _Story) -> int:
    v1_agreed = st.v1_from - timedelta(days=21)
    v2_agreed = _v2_decided_on(st)
    versions = [
        (
            1,
            st.v1_from,
            SLA_V1,
            v1_agreed,
            "First agreement after the kick-off workshop: marketing promises volume and "
            "quality, sales promises fast follow-up. Targets from last year's averages.",
        ),
        (
            2,
            st.v2_from,
            SLA_V2,
            v2_agreed,
            "Volume is steady above 140 MQLs a month, and since round-robin routing the "
            "median first contact is about an hour. We raise the MQL target to 150 and "
            "tighten the response time to 2 hours.",
        ),
    ]
    for version, effective, targets, agreed, reason in versions:
        aid = _insert_one(
            conn,
            SlaAgreement,
            **targets,
            version=version,
            effective_from=effective,
            reason=reason,
            proposed_by=HEAD_OF_MARKETING,
            proposed_at=st.dt(agreed, 10),
            in_effect=True,
            is_demo=True,
        )
        for team, user, hour in (
            ("marketing", HEAD_OF_MARKETING, 12),
            ("sales", SALES_MANAGER, 15),
        ):
            _insert_one(
                conn,
                SlaConfirmation,
                agreement_id=aid,
                team=team,
                username=user,
                confirmed_at=st.dt(agreed, hour),
                is_demo=True,
            )
    return len(versions)


# --- meetings -------------------------------------------------------------------------------

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
    ("Routing", "All MQLs went to Kari and Lars on Mondays; the others had capacity."),
    ("Staffing", "Two AEs on holiday and one sick; nobody covered the queue."),
    ("Lead volume spike", "The event brought a spike of scanned leads on one day."),
    ("Routing", "MQLs arriving after 15:00 waited until the next morning."),
]


def _week_figures(st: _Story, stats: dict, monday: date) -> dict:
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


def _write_meetings(conn: Connection, st: _Story, rnd: Random, stats: dict) -> dict:
    today = st.today
    first = st.calendar_start + timedelta(days=(7 - st.calendar_start.weekday()) % 7)
    mondays = [first + timedelta(weeks=i) for i in range((today - first).days // 7 + 1)]
    monthly = sorted({d for d in mondays if d.day <= 7})
    counts = {"meetings": 0, "actions": 0, "decisions": 0}
    notes, ratings, actions, decisions = [], [], [], []
    v2_day = _v2_decided_on(st)
    spring_weeks = []

    def meeting(kind: str, day: date, title: str, facilitator: str, agenda: list) -> tuple:
        planned = day == today and st.now.astimezone(st.tz).hour < 10
        mid = _insert_one(
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
                "period_start": _monday(day - timedelta(days=7)),
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
        day = held(_monday(today - timedelta(weeks=carried + 2 + k)))
        special.setdefault(day, []).append(("carried", title, metric, owner, carried))
    special.setdefault(held(_monday(today - timedelta(days=17))), []).append(
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
    for month_start in (_add_months(st.start, i) for i in range(st.months)):
        if month_start.month == 7 and _add_months(month_start, 1) <= today:
            causes.append(
                {
                    "metric": "mqls_delivered",
                    "period_kind": "month",
                    "period_start": month_start,
                    "category": "Seasonality",
                    "text": "Summer holidays: traffic and conversions halve every July.",
                    "author": HEAD_OF_MARKETING,
                    "created_at": st.dt(_add_months(month_start, 1) + timedelta(days=6), 10),
                }
            )
    last_full = _add_months(today.replace(day=1), -1)
    if last_full >= st.start:
        causes.append(
            {
                "metric": "close_rate",
                "period_kind": "month",
                "period_start": last_full,
                "category": "Pipeline",
                "text": "Several large deals slipped into next month; paid search SQLs close poorly.",  # noqa: E501
                "author": SALES_MANAGER,
                "created_at": st.dt(today.replace(day=1) + timedelta(days=2), 10),
            }
        )
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
            _insert_columns(conn, model.__table__, {k: [r[k] for r in rows] for k in rows[0]})
    counts["actions"] = len(actions)
    counts["decisions"] = len(decisions)
    return counts
