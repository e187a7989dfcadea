"""The campaigns with their published briefs (text for sales) and brief versions."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy.engine import Connection

from smarketing.demo.inserts import insert_one
from smarketing.demo.names import fold
from smarketing.demo.story import CONTENT_LEAD, OFFERS, SOURCES, CampaignPlan, Story
from smarketing.store.models import BriefVersion, Campaign


def _brief(plan: CampaignPlan) -> dict:
    offer = OFFERS[plan.offer]
    channel = SOURCES[plan.channel]
    slug = fold(plan.name).replace(":", "").replace("/", "")[:40]
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


def write_campaigns(conn: Connection, st: Story) -> int:
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
        cid = insert_one(
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
            insert_one(
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
