"""The shared language: funnel stages and terms both teams agreed on, with the later
second versions of *MQL* and *Ideal customer profile*."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.engine import Connection

from smarketing.demo.inserts import insert_columns
from smarketing.demo.story import (
    BOTH_TEAMS,
    HEAD_OF_MARKETING,
    LEADERSHIP,
    SALES_MANAGER,
    Story,
)
from smarketing.store.models import Definition


def _definitions(st: Story) -> list[dict]:
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


def write_definitions(conn: Connection, st: Story) -> int:
    rows = _definitions(st)
    for row in rows:
        row.update(
            created_by=HEAD_OF_MARKETING if row["owner_team"] != "sales" else SALES_MANAGER,
            created_at=st.dt(row["agreed_on"], 15),
            is_demo=True,
        )
    return insert_columns(conn, Definition.__table__, {k: [r[k] for r in rows] for k in rows[0]})
