"""The SLA between marketing and sales: version 1 and the tighter version 2, each
confirmed by both teams."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy.engine import Connection

from smarketing.demo.inserts import insert_one
from smarketing.demo.story import HEAD_OF_MARKETING, SALES_MANAGER, Story, add_months
from smarketing.store.models import SlaAgreement, SlaConfirmation

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


def v2_decided_on(st: Story) -> date:
    """The monthly leadership meeting that adopted version 2 (a month before it took effect)."""
    target = add_months(st.v2_from, -1)
    day = target + timedelta(days=(7 - target.weekday()) % 7)  # first Monday
    return max(min(day, st.v2_from - timedelta(days=1)), st.v1_from)


def write_agreements(conn: Connection, st: Story) -> int:
    v1_agreed = st.v1_from - timedelta(days=21)
    v2_agreed = v2_decided_on(st)
    versions = [
        (
            1,
            st.v1_from,
            SLA_V1,
            v1_agreed,
            st.text.SLA_V1_REASON,
        ),
        (
            2,
            st.v2_from,
            SLA_V2,
            v2_agreed,
            st.text.SLA_V2_REASON,
        ),
    ]
    for version, effective, targets, agreed, reason in versions:
        aid = insert_one(
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
            insert_one(
                conn,
                SlaConfirmation,
                agreement_id=aid,
                team=team,
                username=user,
                confirmed_at=st.dt(agreed, hour),
                is_demo=True,
            )
    return len(versions)
