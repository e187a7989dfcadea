"""Load test: N concurrent users for S seconds through the domain layer, one import running.

    python benchmarks/load_test.py [--db URL] [--users 20] [--seconds 60] [--leads N]
                                   [--import-rows 20000] [--think 1.0] [--keep DIR]

What it does
------------
1. **Prepares a database.** Without ``--db``: a fresh SQLite file (WAL, busy timeout: the
   app's own ``db.make_engine``) with the demo company of ``--leads`` leads (default: the
   normal demo size, about 6,000). With ``--db URL``: that database (migrated to head; the
   demo company is written if it holds no leads). The test WRITES to it (users, a meeting,
   notes, verdicts, actions, 20k imported leads): never point it at real data.
   The demo company is *adopted as real data* (its leads' ``is_demo`` flag and the demo
   setting cleared), because a real import refuses to run beside the demo company; pages
   ignore that flag, so they read the same rows.
2. **Creates the users** (``users.add_user``) with realistic roles: for 20 users 8 sales,
   7 marketing, 3 leadership, 2 admin. It plans one weekly meeting for the test (the
   "current meeting", ``planning.create_meeting`` + ``start_meeting``) and writes a
   HubSpot contacts export of ``--import-rows`` rows (``bench_import``'s generator, with its
   2 % bad rows, Record IDs new to the database) plus a variant of it in which 10 % of the
   job titles differ (only titles that are there: an empty cell never clears a value).
3. **Runs the users.** One thread per user, as Streamlit runs one script thread per
   browser session, all on ONE shared engine (the app's ``st.cache_resource`` engine, with
   its default connection pool), a new ``Session`` per operation. Each user logs in
   (``sessions.start``: the login session a form login opens) and then loops over a
   weighted mix of operations, pausing a random 0-2x ``--think`` seconds between them:

   * page reads: Overview, SLA, Lead quality, Leads (list + one lead's story), Campaigns,
     Personas, Meeting mode (one step of the running meeting, everyone's notes and one's
     own) and Meetings (the list, one meeting's minutes, decisions, the template). Each
     runs the domain calls that a run of that page makes, including the frame of frame.py
     (login check against the database, data version, store facts), **uncached** (every
     write bumps the data version, which empties the app's aggregate caches anyway;
     uncached is the worst case). Not included: drawing (Altair, st.dataframe, the
     websocket), about 20-40 ms per warm page run on this machine (docs/performance.md).
     Where a page has sections, the user picks one like a person would (weighted towards
     the default). The Campaigns page's "what's new" write (``campaigns.mark_seen``) is
     part of its read, as on the page;
   * note saves on the current meeting (``save_note``): each user writes on two
     agenda steps, so every step has several authors; a user re-saves their own note with
     the revision their last save returned. About 1 in 20 note saves is deliberately stale
     (a second browser tab: the revision before the last one) and must raise
     ``NoteConflict``; a conflict on a fresh revision is an error;
   * verdicts by the sales users (``verdicts.record_verdict``), each on MQLs of their own,
     always different from the lead's current verdict;
   * actions (``actions.add_action``) in the current meeting, owned by a random user.

   One more thread plays a marketing user importing the export again and again, as the
   Import page does: read the file, a dry run, the import (in short batches, each its own
   transaction), alternating between the export and its variant, until the time is up (the
   running import finishes). Each of the import's write transactions is timed from the
   write lock taken to its commit ("import: one write transaction").

   The threads share this process's interpreter lock as the server's do
   (``runtime.share_the_interpreter``, which the server calls at start).
4. **Reports** per operation: count, outcomes, p50/p95/max latency (from before opening
   the session to after closing it, so waiting for a pooled connection counts), throughput,
   every error with its message, the person writes (note, verdict, action) together;
   beside each page its median time alone (5 runs by one
   user before the load) and the SQL statements one run sends; the time spent getting a
   connection, the most connections checked out at once, and the CPU used by this process
   and by the whole machine (other jobs on a shared machine slow the figures down).
5. **Verifies** that nothing acknowledged was lost: the last body each user saved on each
   step is stored exactly (with its revision), every verdict and action is stored as written
   (and each lead mirrors its newest verdict), every brief view, every import run's counts
   are right and the imported leads hold the last imported file's titles. A write that
   raised an error is looked up too (by its unique text): if it was stored anyway, it is
   reported ("stored although it raised an error"). The data version must have moved once
   per write that bumps it (a lost bump leaves cached aggregates stale; reported, not a
   lost write). Prints ``writes lost: 0`` or the missing ones; exit status 1 if any write
   was lost or the import's counts are wrong.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import shutil
import sys
import tempfile
import threading
import time
import traceback
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
for folder in (ROOT, ROOT / "benchmarks"):
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))

from sqlalchemy import event, func, update
from sqlmodel import Session, select

from smarketing import demo, runtime
from smarketing.auth import logins, people, sessions, users
from smarketing.auth.permissions import CLI_ACTOR, Actor
from smarketing.content import campaigns, personas
from smarketing.content.campaign_funnel import campaign_funnel, waiting_for_contact
from smarketing.errors import InvalidInput
from smarketing.meetings import actions, agenda, minutes, planning, records, running, scorecard
from smarketing.meetings.notes import NoteConflict, save_note
from smarketing.quality import cohorts as quality
from smarketing.quality import hot_leads, leads, reasons, stage_counts, verdicts
from smarketing.quality.movements import movements
from smarketing.sla import agreements, causes
from smarketing.sla import first_contact as sla_detail
from smarketing.sla import metrics as sla
from smarketing.sla.periods import local_midnight_utc, period_containing, today_local
from smarketing.store import db
from smarketing.store.models import (
    Action,
    BriefView,
    Lead,
    Meeting,
    MeetingKind,
    MeetingNote,
    Setting,
    Verdict,
)

#: The rejection reasons the simulated sales people pick (keys of the managed list).
LOAD_REASONS = ("wrong_persona", "no_budget", "bad_data", "not_reachable")

PASSWORD = "load test password"
#: Roles handed out in turn (for 20 users: 8 sales, 7 marketing, 3 leadership, 2 admin).
ROLE_CYCLE = ("sales", "marketing", "sales", "marketing", "leadership") * 3 + (
    "sales",
    "marketing",
    "admin",
    "sales",
    "admin",
)
FIRST = ("Kari", "Ola", "Ingrid", "Lars", "Nora", "Jonas", "Emma", "Anders", "Sofie", "Erik")
LAST = ("Hansen", "Johansen", "Olsen", "Larsen", "Berg", "Pedersen", "Nilsen", "Haugen", "Lie")
#: Operation weights: page reads (each user), writes (sales also give verdicts).
PAGE_WEIGHTS = {
    "page: Overview": 10,
    "page: SLA": 8,
    "page: Lead quality": 6,
    "page: Leads + story": 10,
    "page: Campaigns": 6,
    "page: Personas": 4,
    "page: Meeting mode": 8,
    "page: Meetings": 3,
}
WRITE_WEIGHTS = {"write: note": 12, "write: action": 4}
VERDICT_WEIGHT = 12
STALE_SHARE = 0.05  # share of note saves sent with a stale revision (a second tab)
#: Sentences that meeting notes and action titles are made of.
SENTENCES = (
    "MQLs from the webinar were contacted late because two reps were away.",
    "Sales covers each other's queue on Fridays from now on.",
    "Marketing moves the LinkedIn budget to the partner campaign.",
    "Acceptance is down on student sign-ups: tighten the form.",
    "Leadership wants the response time on the wall screen every morning.",
    "The e-book brings many leads but few SQLs; try a demo offer instead.",
    "Rejections for 'Bad data' doubled after the trade fair import.",
)
TITLE_VARIANT = " (updated)"
#: The writes a person waits for (note, verdict, action), summed up in one line.
PERSON_WRITES = ("write: note", "write: verdict", "write: action")


# --- recording ------------------------------------------------------------------------------


@dataclass
class Sample:
    op: str
    seconds: float
    outcome: str  # ok | conflict (expected) | refused | error
    message: str = ""
    pool_wait: float = 0.0  # seconds spent waiting for a pooled connection


@dataclass
class Ledger:
    """Every write the test made and was told succeeded (and the ones that raised)."""

    notes: dict[tuple[str, str], tuple[str, int]] = field(default_factory=dict)
    note_saves: int = 0
    note_failed: dict[tuple[str, str], list[str]] = field(default_factory=lambda: defaultdict(list))
    verdicts: list[dict] = field(default_factory=list)
    verdicts_failed: list[dict] = field(default_factory=list)
    actions: list[dict] = field(default_factory=list)
    actions_failed: list[dict] = field(default_factory=list)
    brief_views: dict[tuple[int, str], int] = field(default_factory=dict)
    imports: list[dict] = field(default_factory=list)


class Recorder:
    def __init__(self) -> None:
        self.samples: list[Sample] = []
        self.lock = threading.Lock()
        self.ledger = Ledger()

    def add(self, sample: Sample) -> None:
        with self.lock:
            self.samples.append(sample)


class PoolWatch:
    """The most connections checked out of the engine's pool at once."""

    def __init__(self, engine) -> None:
        self.now = self.most = 0
        self.lock = threading.Lock()
        event.listen(engine, "checkout", self._out)
        event.listen(engine, "checkin", self._in)

    def _out(self, *_args) -> None:
        with self.lock:
            self.now += 1
            self.most = max(self.most, self.now)

    def _in(self, *_args) -> None:
        with self.lock:
            self.now -= 1


def cpu_seconds() -> tuple[float, float, float]:
    """(this process's CPU seconds, the machine's busy and total CPU seconds) so far."""
    own = os.times()
    try:
        with open("/proc/stat", encoding="ascii") as stat:
            ticks = [float(x) for x in stat.readline().split()[1:9]]
    except OSError:
        return own.user + own.system, float("nan"), float("nan")
    hz = os.sysconf("SC_CLK_TCK")
    return own.user + own.system, (sum(ticks) - ticks[3] - ticks[4]) / hz, sum(ticks) / hz


def _message(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    cut = text.find("[SQL:")  # SQLAlchemy appends the statement: keep the reason
    if cut > 0:
        text = text[:cut].strip()
    return f"{type(exc).__name__}: {text[:220]}"


# --- preparing the database -----------------------------------------------------------------


@dataclass
class LoadUser:
    username: str
    name: str
    roles: list[str]
    steps: list[str] = field(default_factory=list)
    mql_leads: list[int] = field(default_factory=list)

    @property
    def actor(self) -> Actor:
        return Actor.of(self.username, self.roles)


@dataclass
class Context:
    engine: object
    url: str
    as_of: date
    meeting_id: int
    steps: list[str]
    users: list[LoadUser]
    importer: LoadUser
    search_names: list[str]
    lead_verdicts: dict[int, tuple[str, str | None]]
    exports: list[tuple[Path, int]]  # (csv, bad rows): the export and its variant
    rows: int
    data_version_before: int = 0
    deadline: float = 0.0


def _session(engine) -> Session:
    """A session as the app opens one (``smarketing.ui.resources.session``)."""
    return Session(engine, expire_on_commit=False)


def _roles_for(count: int) -> list[str]:
    return [ROLE_CYCLE[i % len(ROLE_CYCLE)] for i in range(count)]


def _write_export(path: Path, rows: int, seed: int) -> int:
    """``bench_import.write_export`` with Record IDs of this run's own (so that a reused
    database never holds them yet); returns the number of bad rows."""
    import bench_import

    rng = np.random.default_rng(seed)
    first = (time.time_ns() // 1000) % 10**9 * 100  # Record ID = (first + i) * 7 + 1,000,001
    bad = 0
    with path.open("w", encoding="utf-8", newline="") as out:
        for lo in range(0, rows, bench_import.CHUNK):
            frame, chunk_bad = bench_import._chunk(
                rng, first + lo, min(bench_import.CHUNK, rows - lo)
            )
            bad += chunk_bad
            frame.to_csv(out, index=False, header=lo == 0, lineterminator="\r\n")
    return bad


def prepare(args, work: Path) -> Context:
    """The database, users, meeting, MQL leads per sales user and the export files."""
    url = args.db or f"sqlite:///{work / 'load.db'}"
    engine = db.make_engine(url)
    db.upgrade_to_head(engine)
    with _session(engine) as s:
        has_leads = stage_counts.lead_total(s) > 0
    if not has_leads:
        started = time.perf_counter()
        summary = demo.build_demo(engine, leads=args.leads, actor=CLI_ACTOR)
        print(
            f"demo company written: {summary.leads:,} leads, {summary.activities:,} "
            f"activities, {summary.meetings} meetings in {time.perf_counter() - started:.1f} s",
            flush=True,
        )
    with _session(engine) as s:
        if demo.has_demo(s):
            # a real import refuses to run beside the demo company: adopt it as real data
            s.execute(update(Lead).where(Lead.is_demo == True).values(is_demo=False))  # noqa: E712
            row = s.get(Setting, demo.DEMO_SETTING)
            if row is not None:
                s.delete(row)
            s.commit()
            print("demo company adopted as real data (so that the import may run)")

    stamp = datetime.now(UTC).strftime("%H%M%S")
    roles = _roles_for(args.users + 1)  # +1: the importing marketing user
    people: list[LoadUser] = []
    with _session(engine) as s:
        existing = set(users.users_table(s)["username"])
    for i, role in enumerate(roles):
        username = f"load{stamp}.{role}{i + 1:02d}"
        if i == args.users:
            role, username = "marketing", f"load{stamp}.importer"
        name = f"{FIRST[i % len(FIRST)]} {LAST[i % len(LAST)]}"
        if username not in existing:
            with _session(engine) as s:
                users.add_user(
                    s,
                    actor=CLI_ACTOR,
                    username=username,
                    name=name,
                    email=f"{username}@example.com",
                    roles=[role],
                    password=PASSWORD,
                )
        people.append(LoadUser(username, name, [role]))
    importer = people.pop()

    as_of = today_local()
    with _session(engine) as s:
        day = as_of
        while s.exec(
            select(Meeting.id).where(Meeting.kind == MeetingKind.weekly, Meeting.held_on == day)
        ).first():
            day += timedelta(days=1)
        meeting = planning.create_meeting(
            s,
            actor=people[0].actor,
            kind="weekly",
            held_on=day,
            title=f"Load test meeting {stamp}",
        )
        running.start_meeting(
            s,
            actor=people[0].actor,
            meeting_id=meeting.id,
            now=datetime.now(UTC),
            on_another_day=day != as_of,  # today's slot was taken: a later day
        )
        steps = [step["key"] for step in records.agenda_of(meeting)]
        # MQLs whose newest verdict is not in the future (a verdict written now wins)
        prep_now = datetime.now(UTC)
        newest = (
            select(Verdict.lead_id, func.max(Verdict.decided_at).label("at"))
            .group_by(Verdict.lead_id)
            .subquery()
        )
        rows = s.execute(
            select(Lead.id, Lead.accepted_at, Lead.rejected_at, Lead.rejection_reason)
            .outerjoin(newest, newest.c.lead_id == Lead.id)
            .where(Lead.mql_at != None)  # noqa: E711
            .where((newest.c.at == None) | (newest.c.at <= prep_now))  # noqa: E711
            .order_by(Lead.mql_at.desc())
            .limit(4000)
        ).all()
        names = [
            n
            for n in s.execute(
                select(Lead.last_name).where(Lead.last_name != None).limit(300)  # noqa: E711
            ).scalars()
        ]
        data_version = db.data_version(s)
    lead_verdicts = {}
    for lead_id, accepted, rejected, reason in rows:
        if accepted is not None:
            lead_verdicts[lead_id] = ("accepted", None)
        elif rejected is not None:
            lead_verdicts[lead_id] = ("rejected", reason)
        else:
            lead_verdicts[lead_id] = ("", None)
    sales = [u for u in people if "sales" in u.roles]
    ids = list(lead_verdicts)
    random.Random(args.seed).shuffle(ids)
    for i, lead_id in enumerate(ids):  # each rep gives verdicts on leads of their own
        if sales:
            sales[i % len(sales)].mql_leads.append(lead_id)
    for i, user in enumerate(people):
        user.steps = [steps[i % len(steps)], steps[(i + 3) % len(steps)]]

    base = work / f"hubspot_contacts_{args.import_rows}.csv"
    bad = _write_export(base, args.import_rows, args.seed)
    frame = pd.read_csv(base, dtype=str, keep_default_na=False)
    rng = np.random.default_rng(args.seed)
    # an empty cell never clears a stored value: change only titles that are there
    changed = (rng.random(len(frame)) < 0.10) & (frame["Job Title"] != "")
    frame.loc[changed, "Job Title"] = frame.loc[changed, "Job Title"] + TITLE_VARIANT
    variant = work / f"hubspot_contacts_{args.import_rows}_v2.csv"
    frame.to_csv(variant, index=False, lineterminator="\r\n")
    exports = [(base, bad), (variant, bad)]
    ctx = Context(
        engine=engine,
        url=url,
        as_of=as_of,
        meeting_id=meeting.id,
        steps=steps,
        users=people,
        importer=importer,
        search_names=names or ["Hansen"],
        lead_verdicts=lead_verdicts,
        exports=exports,
        rows=args.import_rows,
        data_version_before=data_version,
    )
    return ctx


# --- the pages (the domain calls of one page run, uncached) ---------------------------------


def _sla_now(as_of: date) -> datetime:
    """``smarketing.ui.sla_data._now_for``: the as-of day's end or the current minute."""
    minute = datetime.now(UTC).replace(second=0, microsecond=0)
    return min(local_midnight_utc(as_of + timedelta(days=1)), minute)


def _pick(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


def page_frame(s: Session, user: LoadUser, session_id: int | None) -> None:
    """frame.py's frame around every page: the login gate and the store facts."""
    users.user_count(s)
    logins.login_credentials(s)
    sessions.ended_why(s, session_id, user.username, datetime.now(UTC))
    db.data_version(s)
    stage_counts.data_as_of(s)
    demo.has_demo(s)


def page_overview(s: Session, ctx: Context, user: LoadUser, rng: random.Random, rec) -> None:
    as_of, now = ctx.as_of, _sla_now(ctx.as_of)
    stage_counts.overview_counts(s, as_of)
    stage_counts.weekly_stage_counts(s, as_of)
    reports = [
        sla.sla_reports(s, sla.trailing_periods(k, as_of, 1), now=now)[0] for k in ("week", "month")
    ]
    sla.scorecard_frame(reports)
    hot_leads.hot_leads(s, now=datetime.now(UTC))


def page_sla(s: Session, ctx: Context, user: LoadUser, rng: random.Random, rec) -> None:
    as_of, now = ctx.as_of, _sla_now(ctx.as_of)
    kind = _pick(rng, {"day": 1, "week": 3, "month": 6, "quarter": 1})
    report = sla.sla_reports(s, sla.trailing_periods(kind, as_of, 1), now=now)[0]
    if any(m.status is sla.Status.red for m in report.metrics):
        causes.causes_for(s, period_containing(kind, as_of))
    section = _pick(
        rng, {"Pacing": 5, "Scorecard": 2, "First contact": 2, "Overdue MQLs": 2, "Agreement": 1}
    )
    if section == "Pacing":
        again = sla.sla_report(s, period_containing(kind, as_of), now=now)
        sla_detail.pacing_frame(s, again, "mqls_delivered")
    elif section == "Scorecard":
        sla.scorecard_frame(sla.sla_reports(s, sla.trailing_periods(kind, as_of, 13), now=now))
    elif section == "First contact":
        sla_detail.contact_distribution(s, report)
    elif section == "Overdue MQLs":
        sla_detail.overdue_mqls(s, report, now=now)
    else:
        agreements.agreement_history(s)


def page_quality(s: Session, ctx: Context, user: LoadUser, rng: random.Random, rec) -> None:
    as_of = ctx.as_of
    cohort = quality.Cohort((as_of - timedelta(days=365)).replace(day=1), as_of)
    by = _pick(rng, {d: (5 if d == "source" else 1) for d in quality.DIMENSIONS})
    frames = quality.breakdowns(s, cohort, list(dict.fromkeys([by, "first_conversion"])))
    section = _pick(rng, {"Funnel": 4, "By": 1, "Rejection reasons": 2, "Cohorts": 2, "Offers": 1})
    if section == "Funnel":
        quality.funnel_from(frames[by])
    elif section == "Rejection reasons":
        quality.rejection_reasons(s, cohort, by)
    elif section == "Cohorts":
        quality.cohort_heatmap(s, cohort.start.replace(day=1), cohort.end.replace(day=1))
    elif section == "Offers":
        quality.rank_offers(frames["first_conversion"])


def page_leads(s: Session, ctx: Context, user: LoadUser, rng: random.Random, rec) -> None:
    now = datetime.now(UTC)
    hot_leads.hot_leads(s, now=now)
    options = leads.filter_options(s)
    choice = _pick(rng, {"none": 10, "stage": 3, "waiting": 3, "owner": 2, "search": 2})
    if choice == "stage":
        flt = leads.LeadFilter(stage=rng.choice(leads.LEAD_STAGES))
    elif choice == "waiting":
        flt = leads.LeadFilter(waiting_for_verdict=True)
    elif choice == "owner" and options.get("owner"):
        flt = leads.LeadFilter(owner=rng.choice(options["owner"]))
    elif choice == "search":
        flt = leads.LeadFilter(text=rng.choice(ctx.search_names))
    else:
        flt = leads.LeadFilter()
    frame, _total = leads.lead_page(s, flt, page=1, per_page=50, now=now)
    if not frame.empty:  # the page opens the first lead; people often pick another
        lead_id = int(frame["id"].iloc[0 if rng.random() < 0.5 else rng.randrange(len(frame))])
        leads.lead_detail(s, lead_id)
        leads.timeline(s, lead_id)
        reasons.choices(s)


def page_campaigns(s: Session, ctx: Context, user: LoadUser, rng: random.Random, rec) -> None:
    actor = user.actor
    listed = campaigns.campaign_list(s, actor=actor, as_of=ctx.as_of)
    if listed.empty:
        return
    cid = int(listed["id"].iloc[0 if rng.random() < 0.5 else rng.randrange(len(listed))])
    content = campaigns.brief_for(s, cid, actor=actor)
    if content is None:
        return
    if content["published"]:  # "what's new since you last looked", then mark it read
        seen = campaigns.seen_version(s, cid, actor.username)
        if seen < content["brief_version"] and campaigns.changes_since(s, cid, seen):
            campaigns.mark_seen(s, campaign_id=cid, username=actor.username)
            with rec.lock:
                rec.ledger.brief_views[(cid, actor.username)] = content["brief_version"]
    minute = datetime.now(UTC).replace(second=0, microsecond=0)
    campaign_funnel(s, content["name"], now=minute)
    waiting_for_contact(s, content["name"], now=datetime.now(UTC))
    if content["can_edit"]:
        campaigns.brief_versions(s, cid)


def page_personas(s: Session, ctx: Context, user: LoadUser, rng: random.Random, rec) -> None:
    cards = personas.persona_cards(s, include_archived=False)
    personas.persona_performance(s, as_of=ctx.as_of)
    for p in cards:  # each card's "Versions" popover runs with the page
        personas.persona_versions(s, p.id)


def page_meetings(s: Session, ctx: Context, user: LoadUser, rng: random.Random, rec) -> None:
    """app_pages/meetings.py: all four tabs run: next meetings, past meetings with the
    picked one's minutes, the decisions log, the agenda template."""
    [m for m in records.meetings(s) if not records.is_closed(m)]
    found = records.search_meetings(s, start=ctx.as_of - timedelta(days=365), end=ctx.as_of)
    if not found.empty:  # the newest is picked; people often pick an older one
        picked = int(found["id"].iloc[0 if rng.random() < 0.5 else rng.randrange(len(found))])
        meeting = records.meeting_by_id(s, picked)
        if not meeting.minutes:
            minutes.minutes_markdown(s, picked)
    records.decisions_for(s)
    agenda.agenda_template(s, "weekly")


def _reports(s: Session, kinds, day: date, count: int = 1) -> list[sla.SlaReport]:
    now = _sla_now(day)
    return [
        r for k in kinds for r in sla.sla_reports(s, sla.trailing_periods(k, day, count), now=now)
    ]


def page_meeting_mode(s: Session, ctx: Context, user: LoadUser, rng: random.Random, rec) -> None:
    """app_pages/meeting_mode.py on the test's meeting (``?meeting=ID``): one agenda step
    (half the time a step the user writes on), then everyone's notes and the user's own."""
    meeting = records.meeting_by_id(s, ctx.meeting_id)
    steps = records.agenda_of(meeting)
    keys = [x["key"] for x in steps]
    key = rng.choice(user.steps) if rng.random() < 0.5 else rng.choice(keys)
    step = steps[keys.index(key)]
    day = min(scorecard.scorecard_day(meeting.held_on), ctx.as_of)
    kinds = ("month", "quarter") if meeting.kind == "monthly" else ("week", "month")
    kind = step["kind"]
    if kind == "scorecard":
        sla.scorecard_frame(_reports(s, kinds, day))
        trailing = "month" if meeting.kind == "monthly" else "week"
        sla.scorecard_frame(_reports(s, [trailing], day, 13), short=True)
    elif kind == "sla_challenges":
        for report in _reports(s, kinds, day):
            causes.causes_for(s, period_containing(report.period.kind, day))
    elif kind == "lead_quality":
        span = 28 if meeting.kind == "monthly" else 7
        now = quality.Cohort(day - timedelta(days=span - 1), day)
        before = quality.Cohort(now.start - timedelta(days=span), now.start - timedelta(days=1))
        movements(s, now, before)
        quality.rejection_reasons(s, now, "source")
    elif kind == "campaigns":
        campaigns.campaign_list(s, actor=user.actor, as_of=meeting.held_on)
    elif kind == "actions_review":
        todo = actions.actions_for_review(s, meeting.id)
        actions.reviews_in(s, meeting.id)
        people.display_names(s, [a.owner for a in todo])
    elif kind == "new_actions":
        actions.owner_choices(s)
        actions.actions_created_in(s, meeting.id)
    elif kind in ("decisions", "wrap_up"):
        records.decisions_for(s, meeting.id)
        if kind == "wrap_up":
            records.rating_summary(s, meeting.id)
            records.rating_of(s, meeting.id, user.username)
    elif kind == "trends":
        sla.scorecard_frame(_reports(s, ["month"], day, 13), short=True)
    elif kind == "sla_history":
        agreements.agreement_history(s)
    notes = records.notes_for(s, meeting.id)  # everyone else's notes on the step
    people.display_names(s, list(notes["author"].unique()))
    records.note_of(s, meeting_id=meeting.id, step=key, author=user.username)


PAGES = {
    "page: Overview": page_overview,
    "page: SLA": page_sla,
    "page: Lead quality": page_quality,
    "page: Leads + story": page_leads,
    "page: Campaigns": page_campaigns,
    "page: Personas": page_personas,
    "page: Meeting mode": page_meeting_mode,
    "page: Meetings": page_meetings,
}


# --- the writes -----------------------------------------------------------------------------


def _body(rng: random.Random, user: LoadUser, step: str, count: int) -> str:
    words = rng.choices(SENTENCES, k=rng.randint(2, 30))
    return f"[{user.username} on {step}, save {count}] " + " ".join(words)


class Worker:
    """One user: logs in, then pages and writes until the deadline."""

    def __init__(self, ctx: Context, user: LoadUser, rec: Recorder, seed: int, think: float):
        self.ctx, self.user, self.rec = ctx, user, rec
        self.rng = random.Random(seed)
        self.think = think
        self.revisions: dict[str, int] = {}  # step -> revision of my last save
        self.saves = 0
        self.writes = 0
        self.weights = {**PAGE_WEIGHTS, **WRITE_WEIGHTS}
        if "sales" in user.roles and user.mql_leads:
            self.weights["write: verdict"] = VERDICT_WEIGHT
        self.session_id: int | None = None  # the login session (``login``)

    def timed(self, op: str, work) -> str:
        started = time.perf_counter()
        outcome, message, wait = "ok", "", 0.0
        try:
            with _session(self.ctx.engine) as s:
                s.connection()  # check out the connection first, to time the wait for it
                wait = time.perf_counter() - started
                outcome = work(s) or "ok"
        except NoteConflict as exc:
            outcome, message = "error", "unexpected NoteConflict: " + _message(exc)
        except InvalidInput as exc:
            outcome, message = "refused", _message(exc)
        except Exception as exc:
            outcome, message = "error", _message(exc)
            if os.environ.get("LOAD_TEST_TRACEBACKS"):
                traceback.print_exc()
        self.rec.add(Sample(op, time.perf_counter() - started, outcome, message, wait))
        return outcome

    def login(self, s: Session) -> None:
        now = datetime.now(UTC)
        self.session_id = sessions.start(s, username=self.user.username, now=now).id

    def run(self) -> None:
        time.sleep(self.rng.uniform(0, self.think))
        self.timed("write: login", self.login)
        while time.monotonic() < self.ctx.deadline:
            op = _pick(self.rng, self.weights)
            if op in PAGES:
                page = PAGES[op]

                def read(s: Session, page=page) -> None:
                    page_frame(s, self.user, self.session_id)
                    page(s, self.ctx, self.user, self.rng, self.rec)

                self.timed(op, read)
            elif op == "write: note":
                self.note()
            elif op == "write: verdict":
                self.verdict()
            else:
                self.action()
            time.sleep(self.rng.uniform(0, 2 * self.think))

    def note(self) -> None:
        step = self.rng.choice(self.user.steps)
        revision = self.revisions.get(step, 0)
        if revision >= 1 and self.rng.random() < STALE_SHARE:
            self.timed("write: note (stale tab)", lambda s: self._stale(s, step, revision))
            return
        self.saves += 1
        body = _body(self.rng, self.user, step, self.saves)
        key = (self.user.username, step)

        def save(s: Session) -> None:
            note = save_note(
                s,
                actor=self.user.actor,
                meeting_id=self.ctx.meeting_id,
                step=step,
                body=body,
                expected_revision=revision,
                now=datetime.now(UTC),
            )
            self.revisions[step] = note.revision
            with self.rec.lock:
                self.rec.ledger.notes[key] = (body, note.revision)
                self.rec.ledger.note_saves += 1

        if self.timed("write: note", save) != "ok":
            with self.rec.lock:
                self.rec.ledger.note_failed[key].append(body)
            self._resync(step)

    def _resync(self, step: str) -> None:
        """After a failed save the page would reload the note: take its stored revision."""
        try:
            with _session(self.ctx.engine) as s:
                note = records.note_of(
                    s, meeting_id=self.ctx.meeting_id, step=step, author=self.user.username
                )
            self.revisions[step] = note.revision if note else 0
        except Exception:
            pass

    def _stale(self, s: Session, step: str, revision: int) -> str:
        try:
            save_note(
                s,
                actor=self.user.actor,
                meeting_id=self.ctx.meeting_id,
                step=step,
                body=f"[{self.user.username} stale tab on {step}] this must not be stored",
                expected_revision=revision - 1,
                now=datetime.now(UTC),
            )
        except NoteConflict:
            return "conflict"
        raise RuntimeError(f"a save from revision {revision - 1} overwrote revision {revision}")

    def verdict(self) -> None:
        lead_id = self.rng.choice(self.user.mql_leads)
        current, reason_now = self.ctx.lead_verdicts[lead_id]
        if current == "accepted" or (current == "" and self.rng.random() < 0.4):
            verdict = "rejected"
            reason = self.rng.choice(LOAD_REASONS)
        elif current == "rejected" and self.rng.random() < 0.3:
            verdict = "rejected"
            reason = self.rng.choice([r for r in LOAD_REASONS if r != reason_now])
        else:
            verdict, reason = "accepted", None
        self.writes += 1
        comment = f"load test {self.user.username} #{self.writes}"
        wanted = dict(
            lead_id=lead_id,
            verdict=verdict,
            reason=reason,
            comment=comment,
            decided_by=self.user.username,
        )

        def write(s: Session) -> None:
            reasons.choices(s)  # the form's choices
            row = verdicts.record_verdict(
                s,
                actor=self.user.actor,
                lead_id=lead_id,
                verdict=verdict,
                reason=reason,
                comment=comment,
            )
            self.ctx.lead_verdicts[lead_id] = (verdict, reason)
            with self.rec.lock:
                self.rec.ledger.verdicts.append({**wanted, "id": row.id})

        if self.timed("write: verdict", write) != "ok":
            with self.rec.lock:
                self.rec.ledger.verdicts_failed.append(wanted)

    def action(self) -> None:
        self.writes += 1
        metric = self.rng.choice([None, *sla.METRIC_BY_KEY])
        wanted = dict(
            title=f"Load test action {self.user.username} #{self.writes}: "
            + self.rng.choice(SENTENCES),
            owner=self.rng.choice(self.ctx.users).username,
            due_date=self.ctx.as_of + timedelta(days=self.rng.randint(3, 30)),
            metric=metric,
            meeting_id=self.ctx.meeting_id,
            created_by=self.user.username,
        )

        def write(s: Session) -> None:
            row = actions.add_action(
                s,
                actor=self.user.actor,
                title=wanted["title"],
                owner=wanted["owner"],
                due_date=wanted["due_date"],
                metric=metric,
                period_kind="week" if metric else None,
                period_start=self.ctx.as_of if metric else None,
                meeting_id=self.ctx.meeting_id,
                today=self.ctx.as_of,
            )
            with self.rec.lock:
                self.rec.ledger.actions.append({**wanted, "id": row.id})

        if self.timed("write: action", write) != "ok":
            with self.rec.lock:
                self.rec.ledger.actions_failed.append(wanted)


def _time_write_transactions(rec: Recorder) -> None:
    """Record how long each of the import's write transactions (a batch, a month of rollups
    recounted, the run's start and end) holds the write lock: from ``BEGIN IMMEDIATE`` (the
    lock taken) to the commit."""
    from contextlib import contextmanager

    from smarketing.data_in import batches

    real = db.write_transaction

    @contextmanager
    def timed(engine, **options):
        with real(engine, **options) as conn:
            started = time.perf_counter()
            yield conn
        rec.add(Sample("import: one write transaction", time.perf_counter() - started, "ok"))

    batches.write_transaction = timed


def importer(ctx: Context, rec: Recorder) -> None:
    """The Import page, again and again: read, dry run, import (export and variant in turn)."""
    from smarketing.data_in.reading import read_leads
    from smarketing.data_in.upsert import import_leads

    _time_write_transactions(rec)

    actor = ctx.importer.actor
    turn = 0
    while time.monotonic() < ctx.deadline:
        path, bad = ctx.exports[turn % len(ctx.exports)]
        entry = {"file": turn % len(ctx.exports), "bad": bad, "ok": False}
        for op, work in (
            ("import: read file", None),
            ("import: dry run", True),
            ("import: write", False),
        ):
            started = time.perf_counter()
            try:
                if work is None:
                    parsed = read_leads(path.read_bytes(), path.name)
                    entry["rows_read"] = parsed.rows_read
                else:
                    result = import_leads(ctx.engine, parsed, actor=actor, dry_run=work)
                    if not work:
                        entry.update(
                            ok=True,
                            run_id=result.run_id,
                            inserted=result.inserted,
                            updated=result.updated,
                            unchanged=result.unchanged,
                            rejected=result.rejected,
                            seconds=result.seconds,
                        )
                rec.add(Sample(op, time.perf_counter() - started, "ok"))
            except Exception as exc:
                rec.add(Sample(op, time.perf_counter() - started, "error", _message(exc)))
                entry["error"] = _message(exc)
                break
        with rec.lock:
            rec.ledger.imports.append(entry)
        turn += 1


# --- the report -----------------------------------------------------------------------------


def baseline(ctx: Context, runs: int = 5) -> dict[str, tuple[float, float]]:
    """Per page: (median ms of a run alone - one user, nothing else running - and the
    median number of SQL statements a run sends)."""
    solo = Recorder()
    worker = Worker(ctx, ctx.users[0], solo, seed=0, think=0)
    worker.timed("write: login", worker.login)
    statements = [0]

    def count(*_args) -> None:
        statements[0] += 1

    event.listen(ctx.engine, "before_cursor_execute", count)
    sent: dict[str, list[int]] = defaultdict(list)
    try:
        for op, page in PAGES.items():
            for _ in range(runs):

                def read(s: Session, page=page) -> None:
                    page_frame(s, worker.user, worker.session_id)
                    page(s, ctx, worker.user, worker.rng, solo)

                before = statements[0]
                worker.timed(op, read)
                sent[op].append(statements[0] - before)
    finally:
        event.remove(ctx.engine, "before_cursor_execute", count)
    out = {}
    for op in PAGES:
        times = [x.seconds for x in solo.samples if x.op == op and x.outcome == "ok"]
        ms = float(np.median(times)) * 1000 if times else float("nan")
        out[op] = (ms, float(np.median(sent[op])))
    return out


def report(rec: Recorder, seconds: float, alone: dict[str, tuple[float, float]]) -> None:
    by_op: dict[str, list[Sample]] = defaultdict(list)
    for x in rec.samples:
        by_op[x.op].append(x)
    header = (
        f"{'operation':<26} {'count':>6} {'ok':>6} {'confl.':>6} {'refused':>7} {'errors':>6} "
        f"{'p50 ms':>8} {'p95 ms':>8} {'max ms':>8} {'per s':>6} {'alone ms':>8} {'SQL':>4}"
    )
    print("\n" + header + "\n" + "-" * len(header))
    order = [*PAGES, "write: login", "write: note", "write: note (stale tab)"]
    order += ["write: verdict", "write: action", "import: read file"]
    order += ["import: dry run", "import: write", "import: one write transaction"]
    pages: list[float] = []
    for op in order + sorted(set(by_op) - set(order)):
        xs = by_op.get(op)
        if not xs:
            continue
        times = np.array([x.seconds for x in xs]) * 1000
        outcomes = Counter(x.outcome for x in xs)
        if op.startswith("page: "):
            pages.extend(times)
        print(
            f"{op:<26} {len(xs):>6,} {outcomes['ok']:>6,} {outcomes['conflict']:>6,} "
            f"{outcomes['refused']:>7,} {outcomes['error']:>6,} "
            f"{np.percentile(times, 50):>8.0f} {np.percentile(times, 95):>8.0f} "
            f"{times.max():>8.0f} {len(xs) / seconds:>6.2f}"
            + (f" {alone[op][0]:>8.0f} {alone[op][1]:>4.0f}" if op in alone else "")
        )
    total = len(rec.samples)
    writes = [x.seconds * 1000 for x in rec.samples if x.op in PERSON_WRITES]
    if writes:
        w = np.array(writes)
        print(
            f"{'person writes':<26} {len(w):>6,} {'':>6} {'':>6} {'':>7} {'':>6} "
            f"{np.percentile(w, 50):>8.0f} {np.percentile(w, 95):>8.0f} {w.max():>8.0f} "
            f"{len(w) / seconds:>6.2f}"
        )
    if pages:
        p = np.array(pages)
        print(
            f"{'all page reads':<26} {len(p):>6,} {'':>6} {'':>6} {'':>7} {'':>6} "
            f"{np.percentile(p, 50):>8.0f} {np.percentile(p, 95):>8.0f} {p.max():>8.0f} "
            f"{len(p) / seconds:>6.2f}"
        )
    print(f"\nthroughput: {total:,} operations in {seconds:.1f} s = {total / seconds:.1f}/s")
    problems = Counter(
        (x.op, x.outcome, x.message) for x in rec.samples if x.outcome in ("error", "refused")
    )
    if problems:
        print("errors and refusals (count, operation, message):")
        for (op, outcome, message), n in problems.most_common():
            print(f"  {n:>5,}  {op} [{outcome}]  {message}")
    else:
        print("errors: none")
    waits = np.array([x.pool_wait for x in rec.samples if not x.op.startswith("import")]) * 1000
    if len(waits):
        print(
            f"getting a connection (waiting for the pool; PostgreSQL: also its pre-ping): "
            f"{int((waits > 10).sum()):,} of {len(waits):,} operations took over 10 ms; p95 "
            f"{np.percentile(waits, 95):.0f} ms, max {waits.max():.0f} ms (part of the latencies)"
        )


# --- verification ---------------------------------------------------------------------------


def verify(ctx: Context, rec: Recorder) -> tuple[list[str], list[str], list[str]]:
    """(lost writes, wrong import counts, other problems): each acknowledged write, as written."""
    lost: list[str] = []
    other: list[str] = []
    ledger = rec.ledger
    engine = ctx.engine
    with _session(engine) as s:
        stored_notes = {
            (n.author, n.step): n
            for n in s.exec(select(MeetingNote).where(MeetingNote.meeting_id == ctx.meeting_id))
        }
        for (author, step), (body, revision) in sorted(ledger.notes.items()):
            note = stored_notes.get((author, step))
            if note is None:
                lost.append(f"note of {author} on {step} (revision {revision}): missing")
            elif note.body != body:
                lost.append(
                    f"note of {author} on {step}: stored revision {note.revision} is not the "
                    f"last saved text (revision {revision})"
                )
            elif note.revision != revision:
                other.append(f"note of {author} on {step}: revision {note.revision} != {revision}")
        for (author, step), bodies in ledger.note_failed.items():
            note = stored_notes.get((author, step))
            if (
                note is not None
                and note.body in bodies
                and ledger.notes.get((author, step), ("",))[0] != note.body
            ):
                other.append(
                    f"note of {author} on {step}: stored although its save raised an error"
                )
        for key in stored_notes:
            if key not in ledger.notes and key not in ledger.note_failed:
                other.append(f"note of {key[0]} on {key[1]}: stored but never acknowledged")

        ids = [v["id"] for v in ledger.verdicts]
        stored = {}
        for part in range(0, len(ids), 500):
            for v in s.exec(select(Verdict).where(Verdict.id.in_(ids[part : part + 500]))):
                stored[v.id] = v
        last_per_lead: dict[int, Verdict] = {}
        for want in ledger.verdicts:
            v = stored.get(want["id"])
            got = (
                None
                if v is None
                else dict(
                    lead_id=v.lead_id,
                    verdict=v.verdict,
                    reason=v.reason,
                    comment=v.comment,
                    decided_by=v.decided_by,
                )
            )
            if got != {
                k: want[k] for k in ("lead_id", "verdict", "reason", "comment", "decided_by")
            }:
                lost.append(
                    f"verdict #{want['id']} on lead {want['lead_id']} ({want['comment']}): "
                    f"{got or 'missing'}"
                )
            else:
                last_per_lead[v.lead_id] = v
        for lead_id, v in last_per_lead.items():
            lead = s.get(Lead, lead_id)
            if v.verdict == "accepted":
                right = lead.accepted_at == v.decided_at and lead.rejected_at is None
            else:
                right = lead.rejected_at == v.decided_at and lead.rejection_reason == v.reason
            if not right:
                other.append(f"lead {lead_id} does not mirror its newest verdict #{v.id}")
        for want in ledger.verdicts_failed:
            if s.exec(select(Verdict.id).where(Verdict.comment == want["comment"])).first():
                other.append(f"verdict {want['comment']!r}: stored although it raised an error")

        ids = [a["id"] for a in ledger.actions]
        stored = {}
        for part in range(0, len(ids), 500):
            for a in s.exec(select(Action).where(Action.id.in_(ids[part : part + 500]))):
                stored[a.id] = a
        for want in ledger.actions:
            a = stored.get(want["id"])
            got = None if a is None else {k: getattr(a, k) for k in want if k != "id"}
            if got != {k: v for k, v in want.items() if k != "id"}:
                lost.append(f"action #{want['id']} {want['title'][:50]!r}: {got or 'missing'}")
        for want in ledger.actions_failed:
            if s.exec(select(Action.id).where(Action.title == want["title"])).first():
                other.append(f"action {want['title'][:50]!r}: stored although it raised an error")

        for (cid, username), version in ledger.brief_views.items():
            seen = s.exec(
                select(BriefView.seen_version).where(
                    BriefView.campaign_id == cid, BriefView.username == username
                )
            ).first()
            if seen is None or seen < version:
                lost.append(f"brief view of campaign {cid} by {username}: {seen}, wanted {version}")
        data_version = db.data_version(s)

    lost_import, counts_wrong = verify_import(ctx, rec)
    lost += lost_import
    bumps = len(ledger.verdicts) + len(ledger.actions) + sum(1 for i in ledger.imports if i["ok"])
    expected = ctx.data_version_before + bumps
    line = f"data version: {ctx.data_version_before} -> {data_version}, {bumps} writes that bump it"
    print(line + ("" if data_version == expected else f" (expected {expected})"))
    if data_version != expected:
        other.append(
            f"data version moved by {data_version - ctx.data_version_before}, not {bumps}: "
            "concurrent bumps were lost, so cached aggregates may stay stale"
        )
    return lost, counts_wrong, other


def verify_import(ctx: Context, rec: Recorder) -> tuple[list[str], list[str]]:
    """(lost, wrong counts): each run's counts, the imported leads and their titles."""
    lost: list[str] = []
    wrong_counts: list[str] = []
    runs = rec.ledger.imports
    done = [r for r in runs if r["ok"]]
    if not done:
        wrong_counts.append("no import finished")
        return lost, wrong_counts
    frames = [
        pd.read_csv(path, dtype=str, keep_default_na=False).drop_duplicates("Record ID")
        for path, _bad in ctx.exports
    ]
    titles = [dict(zip(f["Record ID"], f["Job Title"], strict=True)) for f in frames]
    with _session(ctx.engine) as s:
        stored = {
            key: title
            for key, title in s.execute(
                select(Lead.external_id, Lead.title).where(Lead.source_system == "hubspot")
            ).all()
            if key in titles[0]  # this run's leads only (the IDs are new)
        }
    valid = ctx.rows - done[0]["bad"]
    diff = sum(1 for key in stored if titles[0].get(key) != titles[1].get(key))
    previous = None
    for i, run in enumerate(done):
        n = run["inserted"] + run["updated"] + run["unchanged"]
        problems = []
        if n != valid or run["rejected"] != run["bad"]:
            problems.append(f"{n:,} kept and {run['rejected']:,} rejected of {ctx.rows:,} rows")
        want_ins = valid if previous is None else 0
        want_upd = 0 if previous in (None, run["file"]) else diff
        if (run["inserted"], run["updated"]) != (want_ins, want_upd):
            problems.append(
                f"{run['inserted']:,} inserted / {run['updated']:,} updated, expected "
                f"{want_ins:,} / {want_upd:,}"
            )
        if problems:
            wrong_counts.append(f"import run #{run['run_id']} (#{i + 1}): " + "; ".join(problems))
        previous = run["file"]
    if len(stored) != valid:
        wrong_counts.append(f"{len(stored):,} imported leads stored, {valid:,} expected")
    last = titles[done[-1]["file"]]
    wrong = [key for key, title in stored.items() if last.get(key) != title]
    if wrong:
        lost.append(
            f"{len(wrong):,} imported leads do not hold the last import's job title "
            f"(e.g. {wrong[:3]})"
        )
    print(
        f"imports: {len(runs)} started, {len(done)} finished; {valid:,} leads kept of "
        f"{ctx.rows:,} rows; {diff:,} titles differ between the two files; "
        + ("counts right" if not wrong_counts else "COUNTS WRONG")
    )
    return lost, wrong_counts


# --- main -----------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    import logging

    logging.getLogger("alembic").setLevel(logging.WARNING)
    runtime.share_the_interpreter()  # as the server does at start
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", help="database URL (default: a fresh SQLite file)")
    parser.add_argument("--users", type=int, default=20, help="concurrent users (default 20)")
    parser.add_argument("--seconds", type=float, default=60, help="duration (default 60)")
    parser.add_argument("--leads", type=int, help="demo company size (default: the normal demo)")
    parser.add_argument(
        "--import-rows", type=int, default=20_000, help="rows of the export (default 20,000)"
    )
    parser.add_argument(
        "--think",
        type=float,
        default=1.0,
        help="mean pause between one user's operations, s (uniform 0..2x; 0 = flat out)",
    )
    parser.add_argument("--seed", type=int, default=1, help="random seed (default 1)")
    parser.add_argument(
        "--keep", type=Path, metavar="DIR", help="keep the SQLite file and exports here"
    )
    args = parser.parse_args(argv)
    import bench_import

    bench_import.raise_import_limits(args.import_rows)  # a 100k-row export is over the default

    if args.keep:
        args.keep.mkdir(parents=True, exist_ok=True)
        work = args.keep
    else:
        work = Path(tempfile.mkdtemp(prefix="smarketing-load-"))
    try:
        started = time.perf_counter()
        ctx = prepare(args, work)
        with _session(ctx.engine) as s:
            lead_count = stage_counts.lead_total(s)
        print(
            f"prepared in {time.perf_counter() - started:.1f} s: {db.url_for_display(ctx.url)}, "
            f"{lead_count:,} leads, meeting #{ctx.meeting_id} with steps {', '.join(ctx.steps)}"
        )
        roles = Counter(u.roles[0] for u in ctx.users)
        version = ".".join(map(str, ctx.engine.dialect.server_version_info or ()))
        print(
            f"machine: {os.cpu_count()} CPUs, Python {platform.python_version()}, "
            f"{ctx.engine.dialect.name} {version}; pool: {ctx.engine.pool.status()}"
        )
        print(
            f"{len(ctx.users)} users ({', '.join(f'{n} {r}' for r, n in roles.most_common())}) "
            f"+ 1 importing ({args.import_rows:,}-row export); {args.seconds:g} s; think time "
            f"0-{2 * args.think:g} s (mean {args.think:g} s)",
            flush=True,
        )
        alone = baseline(ctx)
        watch = PoolWatch(ctx.engine)
        rec = Recorder()
        ctx.deadline = time.monotonic() + args.seconds
        threads = [
            threading.Thread(
                target=Worker(ctx, user, rec, args.seed * 1000 + i, args.think).run,
                name=user.username,
            )
            for i, user in enumerate(ctx.users)
        ]
        threads.append(threading.Thread(target=importer, args=(ctx, rec), name="importer"))
        t0, cpu0, load0 = time.perf_counter(), cpu_seconds(), os.getloadavg()[0]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed, cpu1 = time.perf_counter() - t0, cpu_seconds()
        report(rec, elapsed, alone)
        own, busy, total = (b - a for a, b in zip(cpu0, cpu1, strict=True))
        print(
            f"CPU during the load: this Python process {own / elapsed:.2f} CPU-seconds per "
            f"second; the whole machine {busy / total:.0%} busy ({os.cpu_count()} CPUs, 1-min "
            f"load average {load0:.1f} before, {os.getloadavg()[0]:.1f} after: other jobs on "
            "the machine count too)"
        )
        pool = ctx.engine.pool
        size = f"{pool.size()} + overflow {pool._max_overflow}" if hasattr(pool, "size") else "-"
        print(f"connections checked out at most: {watch.most} (pool {size})")
        lost, counts_wrong, other = verify(ctx, rec)
        led = rec.ledger
        print(
            f"writes acknowledged: {led.note_saves:,} note saves ({len(led.notes)} notes, last "
            f"bodies checked), {len(led.verdicts):,} verdicts, {len(led.actions):,} actions, "
            f"{len(led.brief_views):,} brief views, {sum(1 for i in led.imports if i['ok'])} "
            "imports"
        )
        for problem in other:
            print(f"PROBLEM: {problem}")
        for problem in counts_wrong:
            print(f"IMPORT COUNTS WRONG: {problem}")
        if lost:
            print(f"writes lost: {len(lost)}")
            for item in lost:
                print(f"  LOST: {item}")
        else:
            print("writes lost: 0")
        ctx.engine.dispose()
        return 1 if lost or counts_wrong else 0
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
