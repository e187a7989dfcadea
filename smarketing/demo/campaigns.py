"""The campaigns with their published briefs (text for sales) and brief versions."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy.engine import Connection

from smarketing.demo.inserts import insert_one
from smarketing.demo.names import fold
from smarketing.demo.story import CONTENT_LEAD, CampaignPlan, Story
from smarketing.store.models import BriefVersion, Campaign


def _brief(st: Story, plan: CampaignPlan) -> dict:
    slug = fold(plan.name).replace(":", "").replace("/", "")[:40]
    return st.text.brief(
        persona=plan.persona,
        channel=st.text.SOURCES[plan.channel],
        offer=st.text.OFFERS[plan.offer],
        start=plan.start,
        end=plan.end,
        slug=slug,
    )


def write_campaigns(conn: Connection, st: Story) -> int:
    for i, plan in enumerate(st.campaigns):
        elapsed = 1.0
        if plan.active:
            total = ((plan.end or st.today + timedelta(days=60)) - plan.start).days or 1
            elapsed = max(0.1, min(1.0, (st.today - plan.start).days / total))
        target = max(10, round(plan.leads / elapsed * plan.target_factor / 10) * 10)
        briefs = [(_brief(st, plan), st.dt(plan.start - timedelta(days=7), 10))]
        second = plan.start + timedelta(days=21)
        if i in (2, 6, 7) and second < st.today:
            revised = dict(briefs[0][0])
            revised["talking_points"] += st.text.BRIEF_REVISION
            briefs.append((revised, st.dt(second, 11)))
        cid = insert_one(
            conn,
            Campaign,
            **briefs[-1][0],
            name=plan.name,
            channel=st.text.SOURCES[plan.channel],
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
