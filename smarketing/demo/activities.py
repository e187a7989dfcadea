"""The activity trail of each lead: conversions, page views, newsletter clicks, sales
touches and the few "hot" leads that come back after weeks of silence."""

from __future__ import annotations

import numpy as np

from smarketing.demo.sampling import delay
from smarketing.demo.story import (
    DAY,
    HOUR,
    MINUTE,
    O_DEMO,
    O_EBOOK,
    O_EVENT,
    O_WEBINAR,
    ON_LEAVE,
    SALES_TEAM,
    Story,
)

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


def activity_trail(rng, st: Story, *, n, ar, **a) -> dict:
    """The chunk's activity trail (sorted by lead and time), hot leads included."""
    now = st.now_ts
    text = st.text
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
    details = np.array(text.OFFERS, dtype=object)[offer]
    camp = a["campaign"]
    names = [p.name for p in st.campaigns]
    for i in np.flatnonzero(offer == O_WEBINAR).tolist():
        what = names[camp[i]] if camp[i] >= 0 else text.MONTHLY_WEBINAR
        details[i] = text.webinar_signup(what)
    for i in np.flatnonzero(offer == O_EVENT).tolist():
        details[i] = text.badge_scan(names[camp[i]] if camp[i] >= 0 else text.MEETUP)
    add(ar, created, kinds, details)

    # browsing and newsletters
    k = rng.poisson(1.8, n)
    lead = np.repeat(ar, k)
    add(
        lead,
        created[lead] + delay(rng, len(lead), 1.5 * DAY, 1.0, MINUTE, 10 * DAY),
        np.full(len(lead), "page_view", dtype=object),
        np.array(PAGES, dtype=object)[rng.integers(0, len(PAGES), len(lead))],
    )
    k = rng.poisson(0.6, n)
    lead = np.repeat(ar, k)
    add(
        lead,
        created[lead] + rng.integers(DAY, 12 * DAY, len(lead)),
        np.full(len(lead), "email_click", dtype=object),
        np.array(text.NEWSLETTERS, dtype=object)[rng.integers(0, len(text.NEWSLETTERS), len(lead))],
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
                np.array(text.DOWNLOADS, dtype=object)[
                    rng.integers(0, len(text.DOWNLOADS), len(lead))
                ],
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
        np.where(call, text.INTRO_CALL, text.INTRO_EMAIL).astype(object),
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
        np.where(call, text.FOLLOW_UP_CALL, text.FOLLOW_UP_EMAIL).astype(object),
        owner_names[owner[lead]],
    )
    for mask, ts, kind, detail in (
        (a["sql"], a["sql_ts"], "meeting", text.DISCOVERY_MEETING),
        (a["opp"], a["opp_ts"], "meeting", text.DEMO_AND_PROPOSAL),
        (a["won"], a["close_ts"], "call", text.CONTRACT_SIGNED),
        (a["lost"], a["close_ts"], "email", text.CLOSED_LOST),
    ):
        lead = np.flatnonzero(mask)
        add(lead, ts[lead], [kind] * len(lead), [detail] * len(lead), owner_names[owner[lead]])
    lead = np.flatnonzero(a["opp"])
    half = a["opp_ts"][lead] + (a["close_ts"][lead] - a["opp_ts"][lead]) // 2
    add(
        lead,
        half,
        ["email"] * len(lead),
        [text.PROPOSAL_FOLLOW_UP] * len(lead),
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
                np.where(f_sales, text.CHECK_IN_EMAIL, text.NEWSLETTERS[0]).astype(object),
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
            ("download", text.EBOOK),
            ("form", text.OFFERS[O_DEMO]),
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
    # The AE on parental leave this month makes no calls: colleagues cover his older leads.
    away = (ts >= max(st.slip_ts, st.rr_live_ts)) & (actor == owner_names[ON_LEAVE])
    cover = np.delete(owner_names[:5], ON_LEAVE)
    actor = np.where(away, cover[lead % len(cover)], actor)
    return {"lead": lead, "ts": ts, "kind": kind, "detail": detail, "actor": actor}


def _sorted(lead, ts, kind, detail, actor):
    order = np.lexsort((ts, lead))
    return lead[order], ts[order], kind[order], detail[order], actor[order]
