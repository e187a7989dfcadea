"""Models round-trip through the database, and the migrations build exactly the models."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlmodel import Session, SQLModel, select

from smarketing.store import models as m
from smarketing.store.db import current_revision


def test_migrations_match_models(engine):
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_object": m.compared_with_models})
        diff = compare_metadata(context, SQLModel.metadata)
    assert diff == [], f"models and migrations disagree: {diff}"
    assert current_revision(engine) is not None


def test_lead_round_trip_keeps_aware_utc(session):
    oslo = timezone(timedelta(hours=1))
    created = datetime(2026, 3, 2, 9, 30, tzinfo=oslo)
    lead = m.Lead(external_id="42", created_at=created, source="Webinar", score=70)
    session.add(lead)
    session.commit()
    session.expunge_all()
    back = session.exec(select(m.Lead)).one()
    assert back.created_at == created
    assert back.created_at.tzinfo is not None
    assert back.created_at.utcoffset() == timedelta(0)
    assert back.source == "Webinar" and back.score == 70


def test_naive_timestamp_is_refused(session):
    session.add(m.Lead(external_id="1", created_at=datetime(2026, 1, 1, 12, 0)))
    with pytest.raises(Exception, match="timezone"):
        session.commit()


@pytest.mark.parametrize(
    "row",
    [
        # one row of each table a person writes, to prove the columns exist and load back
        m.User(username="kari", name="Kari", email="k@x.no", roles="admin", password_hash="h"),
        m.Definition(key="mql", term="MQL", owner_team="marketing", body="b", created_by="kari"),
        m.Persona(name="Head of Sales Henrik", updated_by="kari"),
        m.Campaign(name="Spring webinar", updated_by="kari"),
        m.SlaAgreement(
            version=1,
            effective_from=date(2026, 1, 1),
            mql_target=140,
            acceptance_rate_target=0.7,
            response_hours=4,
            contacted_within_sla_target=0.8,
            sql_target=55,
            close_rate_target=0.2,
            customer_target=8,
            proposed_by="kari",
        ),
        m.Meeting(kind="weekly", title="Weekly", held_on=date(2026, 11, 16), created_by="kari"),
        m.Action(title="Route MQLs", owner="sam", due_date=date(2026, 12, 1), created_by="kari"),
        m.ImportRun(actor="kari", file_name="x.csv", format="hubspot"),
        m.AuditEntry(actor="kari", action="user.add", entity="user", entity_id="sam"),
    ],
    ids=lambda r: type(r).__name__,
)
def test_tables_round_trip(engine, row):
    with Session(engine) as s:
        s.add(row)
        s.commit()
        key = row.id if hasattr(row, "id") and row.id is not None else None
    with Session(engine) as s:
        back = s.get(type(row), key)
        assert back is not None


def test_verdict_history_is_kept(session):
    lead = m.Lead(external_id="7", created_at=datetime(2026, 1, 5, tzinfo=UTC))
    session.add(lead)
    session.commit()
    for kind in ("rejected", "accepted"):
        session.add(m.Verdict(lead_id=lead.id, verdict=kind, decided_by="sam"))
    session.commit()
    assert [v.verdict for v in session.exec(select(m.Verdict).order_by(m.Verdict.id))] == [
        "rejected",
        "accepted",
    ]
