"""Small builders for hand-made datasets in tests."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session

from smarketing.store.models import Lead, SlaAgreement

OSLO = ZoneInfo("Europe/Oslo")


def oslo(text: str) -> datetime:
    """An aware instant from a local Oslo time written 'YYYY-MM-DD HH:MM'."""
    return datetime.fromisoformat(text).replace(tzinfo=OSLO)


def add_lead(session: Session, external_id: str, created: str, **stages: str | None) -> Lead:
    """Add a lead whose stage times are local Oslo strings; other fields pass through."""
    fields = {
        k: (oslo(v) if k.endswith("_at") and isinstance(v, str) else v) for k, v in stages.items()
    }
    lead = Lead(external_id=external_id, created_at=oslo(created), **fields)
    session.add(lead)
    session.commit()
    return lead


#: The targets of agreement v1 in the hand-made SLA dataset (tests/test_sla.py's docstring).
SLA_V1 = dict(
    mql_target=12,
    acceptance_rate_target=0.8,
    response_hours=4.0,
    contacted_within_sla_target=0.8,
    sql_target=5,
    close_rate_target=0.2,
    customer_target=2,
)


def add_sla_agreement(session: Session, version: int, effective: date, **changes) -> SlaAgreement:
    """An agreement in effect (confirmed) with SLA_V1's targets and the given changes."""
    row = SlaAgreement(
        version=version,
        effective_from=effective,
        proposed_by="lea",
        in_effect=True,
        reason="kick-off",
        **{**SLA_V1, **changes},
    )
    session.add(row)
    session.commit()
    return row


def add_sla_dataset(session: Session) -> Session:
    """The hand-made SLA dataset (L1–L9, agreement v1 from 1 Oct 2026) of tests/test_sla.py."""
    add_sla_agreement(session, 1, date(2026, 10, 1))
    add_lead(
        session,
        "L1",
        "2026-11-01 09:00",
        mql_at="2026-11-02 10:00",
        accepted_at="2026-11-02 11:00",
        first_contact_at="2026-11-02 12:00",
        sql_at="2026-11-10 10:00",
    )
    add_lead(
        session,
        "L2",
        "2026-11-03 08:00",
        mql_at="2026-11-03 09:00",
        rejected_at="2026-11-03 10:00",
        first_contact_at="2026-11-03 13:00",
    )
    add_lead(
        session,
        "L3",
        "2026-11-04 08:00",
        mql_at="2026-11-04 09:00",
        accepted_at="2026-11-04 10:00",
        first_contact_at="2026-11-04 15:00",
    )
    add_lead(session, "L4", "2026-11-05 08:00", mql_at="2026-11-05 09:00")
    add_lead(
        session, "L5", "2026-11-15 09:00", mql_at="2026-11-15 10:00", accepted_at="2026-11-15 11:00"
    )
    add_lead(session, "L6", "2026-10-31 20:00", mql_at="2026-10-31 23:30")
    add_lead(session, "L7", "2026-11-15 22:00", mql_at="2026-11-15 23:30")
    add_lead(
        session,
        "L8",
        "2026-09-01 10:00",
        mql_at="2026-09-02 10:00",
        sql_at="2026-11-12 10:00",
        customer_at="2026-11-14 10:00",
    )
    add_lead(session, "L9", "2026-10-31 20:00", mql_at=datetime(2026, 10, 31, 23, 30, tzinfo=UTC))
    return session


def add_contacts_only_dataset(session: Session) -> Session:
    """What a HubSpot contacts export leaves: agreement v1 and leads with lifecycle dates,
    but no first contact, no verdict and no sales activity anywhere in the store.

    As of Sunday 15 Nov 2026 ("now" 16 Nov 00:30, Oslo): four MQLs in November, all past
    their 4-hour deadline (C1–C4, source web/ads, campaign "Webinar"), one SQL and one
    customer (C5, created in September), and one lead that never became an MQL (C6).
    """
    add_sla_agreement(session, 1, date(2026, 10, 1))
    for i, (day, source) in enumerate((("02", "web"), ("03", "web"), ("04", "ads"), ("05", "ads"))):
        add_lead(
            session,
            f"C{i + 1}",
            f"2026-11-{day} 08:00",
            mql_at=f"2026-11-{day} 09:00",
            source=source,
            campaign="Webinar",
        )
    add_lead(
        session,
        "C5",
        "2026-09-01 10:00",
        mql_at="2026-09-02 10:00",
        sql_at="2026-11-10 10:00",
        customer_at="2026-11-14 10:00",
        source="web",
        campaign="Webinar",
    )
    add_lead(session, "C6", "2026-11-06 08:00", source="web")
    return session
