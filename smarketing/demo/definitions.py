"""The shared language: funnel stages and terms both teams agreed on, with the later
second versions of *MQL* and *Ideal customer profile*."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.engine import Connection

from smarketing.demo.inserts import insert_columns
from smarketing.demo.story import HEAD_OF_MARKETING, SALES_MANAGER, Story
from smarketing.store.models import Definition


def _definitions(st: Story) -> list[dict]:
    text = st.text
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
            "agreed_by": text.BOTH_TEAMS,
        }
        for pos, (key, term, team, body) in enumerate(text.STAGES, start=1)
    ]
    for key, term, team, body, rule in text.TERMS:
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
                "agreed_by": text.BOTH_TEAMS,
            }
        )
    later = min(st.rr_meeting + timedelta(days=14), st.today)
    v1 = {row["key"]: row for row in rows}
    rows.append(
        v1["mql"]
        | {
            "version": 2,
            "body": v1["mql"]["body"] + text.MQL_V2_LINE,
            "rule": text.MQL_V2_RULE,
            "agreed_on": later,
        }
    )
    rows.append(
        v1["icp"]
        | {
            "version": 2,
            "body": v1["icp"]["body"] + text.ICP_V2_LINE,
            "agreed_on": later,
            "agreed_by": text.LEADERSHIP,
        }
    )
    return rows


def write_definitions(conn: Connection, st: Story) -> int:
    rows = _definitions(st)
    for row in rows:
        row.update(
            created_by=HEAD_OF_MARKETING if row["owner_team"] != "sales" else SALES_MANAGER,
            created_at=st.dt(row["agreed_on"], 15),
            is_demo=True,
        )
    return insert_columns(conn, Definition.__table__, {k: [r[k] for r in rows] for k in rows[0]})
