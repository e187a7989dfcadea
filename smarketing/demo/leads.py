"""The leads: their funnel (who converts, qualifies, is accepted, contacted, buys, and
when), identities and verdicts, generated with numpy chunk by chunk, and their bulk write
together with the activity trail."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
from sqlalchemy import select
from sqlalchemy.engine import Connection

from smarketing import formatting
from smarketing.demo.activities import activity_trail
from smarketing.demo.inserts import insert_columns
from smarketing.demo.names import (
    COMPANY_PREFIX,
    COMPANY_SUFFIX,
    COMPETITOR,
    FIRST_FOLD,
    FIRST_NAMES,
    LAST_FOLD,
    LAST_NAMES,
    STUDENT_DOMAINS,
    fold,
)
from smarketing.demo.sampling import calibrated, choice, delay, normal, row_choice, uniform
from smarketing.demo.story import (
    DAY,
    EVENTS,
    HOUR,
    MINUTE,
    N_PERSONAS,
    ON_LEAVE,
    PAID,
    SALES_TEAM,
    WEBINAR,
    Progress,
    Story,
)
from smarketing.i18n import _
from smarketing.store.models import Lead, LeadActivity, Verdict

SOURCE_SYSTEM = "demo"
HOT_LEADS = 7  # leads that come back in the last 48 hours after 14+ silent days

# --- the odds of the funnel -------------------------------------------------------------------

# Before round-robin routing MQLs piled up on a few AEs, and some answered slowly.
OWNER_WEIGHT_BEFORE = np.array([0.28, 0.22, 0.17, 0.21, 0.08, 0.04])
OWNER_WEIGHT_AFTER = np.array([0.19, 0.19, 0.19, 0.19, 0.19, 0.05])
OWNER_SLOWNESS_BEFORE = np.array([1.25, 0.85, 0.85, 1.3, 0.9, 1.0])
#: The account executives who cover for the one on leave.
COVER = np.array([i for i in range(5) if i != ON_LEAVE])
# This month (one AE on leave, a webinar spike): (median hours, sigma) of the first contact.
SLIP_TEAM = (1.25, 0.5)  # the four AEs left cover the webinar spike between them
SLIP_STRANDED = (10.0, 0.8)  # routed to the queue of the AE on leave: wait for the triage

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

SOURCE_P = np.array([0.33, 0.26, 0.12, 0.16, 0.02, 0.11])  # events come mostly in spikes

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

#: Keys of the managed rejection-reason list (smarketing.reasons.DEFAULTS), never labels:
#: the demo's verdicts group with the reasons sales picks from.
REASONS = [
    "wrong_persona",
    "no_budget",
    "bad_data",
    "student_competitor",
    "duplicate",
    "not_reachable",
]
R_WRONG, R_BUDGET, R_BAD, R_STUDENT, R_DUP, R_UNREACHABLE = range(6)
REASON_W = np.array([0.18, 0.22, 0.12, 0.10, 0.13, 0.25])
# Logit effects (persona rows incl. "none" last; source rows in the content's SOURCES order).
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


def _created_times(rng: np.random.Generator, st: Story, leads: int):
    """Creation times (sorted epoch seconds) and the spike each lead came from (the source
    index, EVENTS or WEBINAR, or -1 for none)."""
    intensity = st.intensity
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
    positive = intensity > 0
    ev_share = np.divide(st.extra, intensity, out=np.zeros_like(intensity), where=positive)
    web_share = np.divide(st.webinar, intensity, out=np.zeros_like(intensity), where=positive)
    u = rng.random(leads)
    spike = np.where(
        u < ev_share[day], EVENTS, np.where(u < ev_share[day] + web_share[day], WEBINAR, -1)
    )
    order = np.argsort(created, kind="stable")
    return created[order], spike[order]


def _lead_chunk(
    rng: np.random.Generator,
    st: Story,
    created: np.ndarray,
    spike: np.ndarray,
    offset: int,
    hot_wanted: int,
) -> _Chunk:
    n = len(created)
    now = st.now_ts
    ar = np.arange(n)

    persona = choice(rng, PERSONA_P, n)
    source = choice(rng, SOURCE_P, n)
    source = np.where(spike >= 0, spike, source)
    segment = row_choice(rng, SEGMENT_P[persona])

    # campaigns and first conversions
    campaign = np.full(n, -1)
    for c, plan in enumerate(st.campaigns):
        s = st.day_ts(plan.start)
        e = st.day_ts((plan.end or st.today) + timedelta(days=1))
        hit = (campaign < 0) & (source == plan.channel) & (created >= s) & (created < e)
        campaign[hit & (rng.random(n) < plan.attach)] = c
    offer = row_choice(rng, OFFER_BY_SOURCE[source])
    camp_offer = np.array([p.offer for p in st.campaigns])
    offer = np.where(campaign >= 0, camp_offer[np.maximum(campaign, 0)], offer)
    campaign_counts = np.bincount(campaign[campaign >= 0], minlength=len(st.campaigns))

    # marketing qualification
    mql_i = uniform(rng, n) < calibrated(MQL_PERSONA[persona] + MQL_SOURCE[source], 0.30)
    mql_ts = created + delay(rng, n, 20 * HOUR, 1.0, 10 * MINUTE, 6 * DAY)

    # sales' verdict
    acc_p = calibrated((ACC_PERSONA[persona] + ACC_SOURCE[source])[mql_i], 0.70)
    accepted_i = np.zeros(n, dtype=bool)
    accepted_i[mql_i] = uniform(rng, int(mql_i.sum())) < acc_p
    rejected_i = mql_i & ~accepted_i
    verdict_ts = mql_ts + delay(rng, n, 5 * HOUR, 0.8, 15 * MINUTE, 48 * HOUR)
    w = np.tile(REASON_W, (n, 1))
    w[source == PAID, R_STUDENT] *= 5.0
    w[persona == 2, R_WRONG] *= 5.0
    w[persona == 4, R_WRONG] *= 2.0
    w[persona == 4, R_STUDENT] *= 2.0
    reason = row_choice(rng, w)

    # owner and first contact
    before = mql_ts < st.rr_live_ts
    owner = np.where(
        before,
        choice(rng, OWNER_WEIGHT_BEFORE, n),
        choice(rng, OWNER_WEIGHT_AFTER, n),
    )
    median = np.where(before, 2.0 * HOUR * OWNER_SLOWNESS_BEFORE[owner], 1.0 * HOUR)
    sigma = np.where(before, 1.2, 0.8)
    contact_ts = mql_ts + delay(rng, n, median, sigma, 5 * MINUTE, 72 * HOUR)
    slip = mql_i & ~before & (mql_ts >= st.slip_ts) & (mql_ts <= now)
    owner, contact_ts = _slipped(rng, slip, mql_ts, owner, contact_ts)
    u = rng.random(n)
    junk = np.isin(reason, [R_BAD, R_DUP, R_STUDENT])
    never = (rejected_i & junk & (u < 0.4)) | (rejected_i & ~junk & (u > 0.99))
    recent_never = (mql_ts > now - 3 * DAY) & (rng.random(n) < 0.12)

    # sales qualification, opportunity, close
    n_mql, n_acc = int(mql_i.sum()), int(accepted_i.sum())
    sql_rate = min(0.95, 0.40 * n_mql / n_acc) if n_acc else 0.0
    sql_p = calibrated((SQL_PERSONA[persona] + SQL_SOURCE[source])[accepted_i], sql_rate)
    sql_i = np.zeros(n, dtype=bool)
    sql_i[accepted_i] = uniform(rng, n_acc) < sql_p
    sql_ts = np.maximum(verdict_ts, contact_ts) + delay(rng, n, 4 * DAY, 0.6, HOUR, 14 * DAY)
    opp_i = np.zeros(n, dtype=bool)
    opp_i[sql_i] = uniform(rng, int(sql_i.sum())) < calibrated(OPP_PERSONA[persona][sql_i], 0.60)
    opp_ts = sql_ts + delay(rng, n, 7 * DAY, 0.6, DAY, 21 * DAY)
    won_i = np.zeros(n, dtype=bool)
    won_p = calibrated((WON_PERSONA[persona] + WON_SOURCE[source])[opp_i], 0.25)
    won_i[opp_i] = uniform(rng, int(opp_i.sum())) < won_p
    lost_i = opp_i & ~won_i & (rng.random(n) < 0.85)
    close_ts = opp_ts + delay(rng, n, 21 * DAY, 0.4, 5 * DAY, 42 * DAY)
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
        domains.append(f"{fold(pre)}{fold(suf)}.no")
    emails = [
        f"{FIRST_FOLD[f]}.{LAST_FOLD[g]}@{d}"
        for f, g, d in zip(first_l, last_l, domains, strict=True)
    ]
    titles_by_persona = st.text.TITLES
    titles = [
        titles_by_persona[p][t] for p, t in zip(persona.tolist(), title.tolist(), strict=True)
    ]
    for i in np.flatnonzero(rejected_i & (reason == R_STUDENT)).tolist():
        dom, company = STUDENT_DOMAINS[i % 2] if student[i] else COMPETITOR
        companies[i] = company
        titles[i] = st.text.STUDENT_TITLE if student[i] else st.text.COMPETITOR_TITLE
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
        "source": [st.text.SOURCES[s] for s in source.tolist()],
        "campaign": [st.campaigns[c].name if c >= 0 else None for c in campaign.tolist()],
        "persona": [st.text.PERSONA_NAMES[p] if p < N_PERSONAS else None for p in persona.tolist()],
        "owner": [
            SALES_TEAM[o][0] if m else None for o, m in zip(owner_l, mql.tolist(), strict=True)
        ],
        "segment": [SEGMENTS[s] for s in segment.tolist()],
        "first_conversion": [st.text.OFFERS[o] for o in offer.tolist()],
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

    away_from = max(st.slip_ts, st.rr_live_ts)  # the AE on leave judges no MQLs from here
    verdicts = _verdicts(rng, st, accepted, rejected, reason, mql_ts, verdict_ts, owner, away_from)
    acts = activity_trail(
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


def _slipped(rng, slip, mql_ts, owner, contact_ts):
    """This month sales' response slips: the AE on parental leave is still in the round-robin,
    so every fifth MQL waits in his queue until a colleague picks it up (mostly at the next
    morning's triage), and the four others cover a webinar spike. The median first contact
    stays under two hours; the share past two hours grows. Returns (owner, contact_ts)."""
    idx = np.flatnonzero(slip)
    if not len(idx):
        return owner, contact_ts
    idx = idx[np.argsort(mql_ts[idx], kind="stable")]
    owner, contact_ts = owner.copy(), contact_ts.copy()
    owner[idx] = np.arange(len(idx)) % 5  # round-robin across the five AEs
    stranded = idx[owner[idx] == ON_LEAVE]
    team = idx[owner[idx] != ON_LEAVE]
    owner[stranded] = COVER[np.arange(len(stranded)) % len(COVER)]  # who picked it up
    for group, (median, sigma) in ((team, SLIP_TEAM), (stranded, SLIP_STRANDED)):
        hours = median * np.exp(sigma * normal(rng, len(group)))
        wait = np.clip(hours * HOUR, 5 * MINUTE, 72 * HOUR).astype(np.int64)
        contact_ts[group] = mql_ts[group] + wait
    return owner, contact_ts


def _dts(ts: np.ndarray, mask: np.ndarray | None = None) -> list:
    """Aware UTC datetimes (None where the mask is False)."""
    fromts = datetime.fromtimestamp
    if mask is None:
        return [fromts(v, UTC) for v in ts.tolist()]
    return [fromts(v, UTC) if m else None for v, m in zip(ts.tolist(), mask.tolist(), strict=True)]


def _labels(names: list[str], idx: np.ndarray, mask: np.ndarray) -> list:
    return [names[i] if m else None for i, m in zip(idx.tolist(), mask.tolist(), strict=True)]


def _verdicts(rng, st, accepted, rejected, reason, mql_ts, verdict_ts, owner, away_from) -> dict:
    """Verdict rows (local lead index); a few leads first got another verdict, later replaced."""
    decided = np.flatnonzero(accepted | rejected)
    k = len(decided)
    redo = decided[rng.random(k) < 0.03]
    pick = rng.integers(0, 4, k)
    comments = []
    for i, p in zip(decided.tolist(), pick.tolist(), strict=True):
        if accepted[i]:
            comments.append(st.text.ACCEPT_COMMENTS[p])
        else:
            comments.append(st.text.REJECT_COMMENTS[int(reason[i])][p % 2])
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
        st.text.REDO_REJECTED if accepted[i] else st.text.REDO_ACCEPTED for i in redo.tolist()
    ] + comments
    return {
        "lead": lead,
        "verdict": verdict,
        "reason": reasons,
        "comment": comments,
        "decided_by": [
            SALES_TEAM[COVER[i % len(COVER)] if o == ON_LEAVE and t >= away_from else o][1]
            for i, o, t in zip(lead.tolist(), owner[lead].tolist(), ts.tolist(), strict=True)
        ],
        "decided_at": _dts(ts),
    }


def write_leads(
    conn: Connection,
    rng: np.random.Generator,
    st: Story,
    leads: int,
    report: Progress,
    *,
    chunk: int,
) -> tuple[int, int, dict]:
    """Generate and insert all leads, their verdicts and activities, ``chunk`` leads per step;
    returns counts and stats."""
    created, spike = _created_times(rng, st, leads)
    n_old = int(np.searchsorted(created, st.now_ts - 30 * DAY, side="right"))
    hot_at = rng.choice(n_old, size=min(HOT_LEADS, n_old), replace=False) if n_old else []
    lead_t = Lead.__table__
    n_acts = n_verdicts = 0
    stats = {"mql_ts": [], "hours": [], "accepted": [], "decided": []}
    camp_counts = np.zeros(len(st.campaigns), dtype=np.int64)
    for offset in range(0, leads, chunk):
        end = min(offset + chunk, leads)
        hot_wanted = int(np.sum((np.asarray(hot_at) >= offset) & (np.asarray(hot_at) < end)))
        ch = _lead_chunk(rng, st, created[offset:end], spike[offset:end], offset, hot_wanted)
        base = conn.execute(select(lead_t.c.id).order_by(lead_t.c.id.desc()).limit(1)).scalar()
        insert_columns(conn, lead_t, ch.cols)
        ids = np.zeros(ch.n, dtype=np.int64)
        q = select(lead_t.c.id, lead_t.c.external_id).where(
            lead_t.c.source_system == SOURCE_SYSTEM, lead_t.c.id > (base or 0)
        )
        for lead_id, ext in conn.execute(q):
            ids[int(ext[5:]) - 1 - offset] = lead_id
        v = ch.verdicts
        n_verdicts += insert_columns(
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
        n_acts += insert_columns(
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
        done = _("Leads {done} of {total}").format(
            done=formatting.count(end), total=formatting.count(leads)
        )
        report(0.03 + 0.85 * end / leads, done)
    for plan, count in zip(st.campaigns, camp_counts.tolist(), strict=True):
        plan.leads = count
    return n_acts, n_verdicts, {k: np.concatenate(v) for k, v in stats.items()}
