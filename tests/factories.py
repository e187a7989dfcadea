"""Small builders for hand-made datasets in tests."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session

from smarketing.models import Lead

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
