"""The audit log: who changed what and when."""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import func
from sqlmodel import Session, col, select

from smarketing.store.models import AuditEntry

if TYPE_CHECKING:
    import pandas as pd


def record(
    session: Session,
    actor: str,
    action: str,
    entity: str,
    entity_id: object = None,
    **detail: object,
) -> None:
    """Add an audit row (no commit: it lands with the change it describes)."""
    session.add(
        AuditEntry(
            actor=actor,
            action=action,
            entity=entity,
            entity_id=None if entity_id is None else str(entity_id),
            detail=json.dumps(detail, default=str, ensure_ascii=False) if detail else "",
        )
    )


def audit_log(
    session: Session,
    *,
    actor: str | None = None,
    text: str | None = None,
    since: datetime | None = None,
    limit: int = 200,
    offset: int = 0,
) -> pd.DataFrame:
    """The newest audit rows first, filtered; at most ``limit`` rows."""
    import pandas as pd  # here, not at the top: every write records, only this needs pandas

    query = select(AuditEntry)
    if actor:
        query = query.where(AuditEntry.actor == actor)
    if since:
        query = query.where(AuditEntry.at >= since)
    if text:
        # contains(autoescape=True): %, _ and \ are plain characters on every database
        # (PostgreSQL's LIKE treats \ as an escape and fails on a trailing one)
        needle = text.lower()
        query = query.where(
            func.lower(AuditEntry.action).contains(needle, autoescape=True)
            | func.lower(AuditEntry.entity).contains(needle, autoescape=True)
            | func.lower(AuditEntry.detail).contains(needle, autoescape=True)
        )
    query = query.order_by(col(AuditEntry.at).desc(), col(AuditEntry.id).desc())
    rows = session.exec(query.offset(offset).limit(limit)).all()
    return pd.DataFrame(
        [
            {
                "at": r.at,
                "who": r.actor,
                "action": r.action,
                "what": r.entity if r.entity_id is None else f"{r.entity} {r.entity_id}",
                "detail": r.detail,
            }
            for r in rows
        ],
        columns=["at", "who", "action", "what", "detail"],
    )


def audit_actors(session: Session) -> list[str]:
    """Everyone who appears in the audit log."""
    return list(session.exec(select(AuditEntry.actor).distinct().order_by(AuditEntry.actor)))
