"""Hot leads at the edges: exactly 14 days of silence, exactly 48 hours ago, rejected and
lost leads, brand-new leads, sales touches, one row per lead.

Now is Wednesday 18 Nov 2026 12:00 UTC; the window is [16 Nov 12:00, 18 Nov 12:00] UTC.
"""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import create_engine, event, text
from sqlmodel import Session, select

from smarketing.errors import InvalidInput
from smarketing.quality.hot_leads import HOT_COLUMNS, hot_leads
from smarketing.store.db import make_engine, upgrade_to_head
from smarketing.store.models import Lead, LeadActivity

NOW = datetime(2026, 11, 18, 12, 0, tzinfo=UTC)
DAY, HOUR = timedelta(days=1), timedelta(hours=1)


def lead(session, ext: str, **fields) -> Lead:
    fields.setdefault("created_at", NOW - 100 * DAY)
    fields.setdefault("owner", "kari")
    row = Lead(
        external_id=ext,
        first_name=ext,
        last_name="Test",
        company=f"{ext} AS",
        **fields,
    )
    session.add(row)
    session.flush()
    return row


def act(session, row: Lead, at: datetime, kind: str = "page_view", detail: str = "/pricing"):
    session.add(LeadActivity(lead_id=row.id, kind=kind, detail=detail, occurred_at=at))


def hot(session, **kw) -> dict[str, str]:
    """External id -> reason of each hot lead."""
    session.commit()
    frame = hot_leads(session, now=kw.pop("now", NOW), **kw)
    names = dict(session.execute(select(Lead.id, Lead.external_id)).all())
    return {names[i]: reason for i, reason in zip(frame["lead_id"], frame["reason"], strict=True)}


@pytest.mark.parametrize(
    ("silence", "is_hot"),
    [
        (14 * DAY, True),  # exactly 14 days counts
        (14 * DAY - timedelta(minutes=1), False),
        (30 * DAY, True),
    ],
)
def test_silence_of_fourteen_days(session, silence, is_hot):
    row = lead(session, "L")
    trigger = NOW - 5 * HOUR
    act(session, row, trigger - silence, "email", "Follow-up")  # a sales touch is activity too
    act(session, row, trigger)
    expected = {"L": f"back after {silence.days} days"} if is_hot else {}
    assert hot(session) == expected


@pytest.mark.parametrize(
    ("ago", "is_hot"),
    [
        (48 * HOUR, True),  # exactly 48 hours ago counts
        (48 * HOUR + timedelta(seconds=1), False),
        (timedelta(0), True),  # now itself counts
        (-timedelta(seconds=1), False),  # after now: not yet
    ],
)
def test_window_of_48_hours(session, ago, is_hot):
    row = lead(session, "L")
    act(session, row, NOW - ago - 20 * DAY)
    act(session, row, NOW - ago)
    assert ("L" in hot(session)) is is_hot


def test_the_window_is_configurable(session):
    row = lead(session, "L")
    act(session, row, NOW - 40 * DAY)
    act(session, row, NOW - 60 * HOUR)
    assert hot(session) == {}
    assert hot(session, since_hours=72) == {"L": "back after 37 days"}  # 37.5 days
    assert hot(session, since_hours=0.5, now=NOW - 60 * HOUR + timedelta(minutes=20)) == {
        "L": "back after 37 days"
    }


def test_a_brand_new_lead_is_not_back(session):
    row = lead(session, "NEW", created_at=NOW - 2 * HOUR)
    act(session, row, NOW - 2 * HOUR, "form", "Demo request")
    act(session, row, NOW - HOUR)
    assert hot(session) == {}


@pytest.mark.parametrize("field", ["rejected_at", "lost_at"])
def test_first_activity_after_a_rejection_or_a_loss(session, field):
    word = "rejected" if field == "rejected_at" else "lost"
    row = lead(session, "R", mql_at=NOW - 10 * DAY, **{field: NOW - 3 * DAY})
    act(session, row, NOW - 4 * DAY)  # before: 3 days of silence only
    act(session, row, NOW - 10 * HOUR, "download", "E-book")
    frame = hot_leads(session, now=NOW)
    assert list(frame.columns) == HOT_COLUMNS
    got = frame.iloc[0]
    assert (got["reason"], got["silent_days"], got["trigger_kind"]) == (
        f"{word} lead came back",
        3,
        "download",
    )
    assert got["trigger_at"] == NOW - 10 * HOUR
    assert (got["name"], got["company"], got["owner"]) == ("R Test", "R AS", "kari")


def test_a_rejected_lead_with_no_earlier_activity(session):
    row = lead(session, "R", mql_at=NOW - 10 * DAY, rejected_at=NOW - 9 * DAY, owner=None)
    act(session, row, NOW - HOUR)
    frame = hot_leads(session, now=NOW)
    assert frame["reason"].tolist() == ["rejected lead came back"]
    assert frame["owner"].tolist() == ["(none)"]
    assert frame["silent_days"].isna().all()


def test_a_rejected_lead_already_active_since_is_not_back_again(session):
    row = lead(session, "R", mql_at=NOW - 10 * DAY, rejected_at=NOW - 5 * DAY)
    act(session, row, NOW - 4 * DAY)  # came back then (outside the window)
    act(session, row, NOW - HOUR)
    assert hot(session) == {}


def test_rejected_after_the_activity_does_not_count(session):
    row = lead(session, "R", mql_at=NOW - 10 * DAY, rejected_at=NOW - HOUR)
    act(session, row, NOW - 5 * DAY)
    act(session, row, NOW - 2 * HOUR)
    assert hot(session) == {}


def test_lost_wins_over_rejected_and_silence(session):
    row = lead(session, "X", mql_at=NOW - 90 * DAY, rejected_at=NOW - 80 * DAY)
    row.lost_at = NOW - 70 * DAY
    act(session, row, NOW - 75 * DAY)
    act(session, row, NOW - HOUR)
    assert hot(session) == {"X": "lost lead came back"}


def test_sales_touches_do_not_make_a_lead_hot(session):
    row = lead(session, "S", rejected_at=NOW - 30 * DAY, mql_at=NOW - 31 * DAY)
    act(session, row, NOW - 40 * DAY)
    act(session, row, NOW - HOUR, "call", "Checking in")
    assert hot(session) == {}
    act(session, row, NOW - HOUR / 2, "email_click", "Newsletter")  # the lead answers
    assert hot(session) == {}  # the call broke the silence and came after the rejection


def test_one_row_per_lead_with_the_activity_that_broke_the_silence(session):
    a, b = lead(session, "A"), lead(session, "B")
    act(session, a, NOW - 30 * DAY)
    act(session, a, NOW - 30 * HOUR, "page_view", "/pricing")
    act(session, a, NOW - 29 * HOUR, "form", "Demo request")
    act(session, b, NOW - 20 * DAY)
    act(session, b, NOW - 2 * HOUR, "email_click", "Newsletter")
    frame = hot_leads(session, now=NOW)
    assert frame["name"].tolist() == ["B Test", "A Test"]  # newest trigger first
    assert frame["trigger_detail"].tolist() == ["Newsletter", "/pricing"]
    assert frame["silent_days"].tolist() == [19, 28]  # whole days, rounded down


def test_no_hot_leads_is_an_empty_frame(session):
    frame = hot_leads(session, now=NOW)
    assert frame.empty and list(frame.columns) == HOT_COLUMNS


def test_one_statement_for_every_kind_of_hot_lead(session):
    """Issue 14: the hot leads are one statement, whatever makes them hot (each activity's
    previous one and its lead's rejection and loss are looked up once, in that statement)."""
    quiet, rejected, lost, busy = (lead(session, x) for x in ("Q", "R", "L", "B"))
    rejected.rejected_at, lost.lost_at = NOW - 3 * DAY, NOW - 50 * DAY
    for row, before in ((quiet, 20 * DAY), (rejected, 4 * DAY), (lost, 60 * DAY), (busy, DAY)):
        act(session, row, NOW - before)
        act(session, row, NOW - 3 * HOUR)
        act(session, row, NOW - 2 * HOUR)
    session.commit()
    sent = []
    engine = session.get_bind()

    def record(conn, cursor, statement, parameters, context, executemany):
        sent.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        frame = hot_leads(session, now=NOW)
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert len(sent) == 1
    assert dict(zip(frame["name"], frame["reason"], strict=True)) == {
        "Q Test": "back after 19 days",
        "R Test": "rejected lead came back",
        "L Test": "lost lead came back",
    }
    assert frame["trigger_at"].tolist() == [NOW - 3 * HOUR] * 3


@pytest.mark.parametrize("hours", [0, -1, float("nan")])
def test_bad_windows_are_refused(session, hours):
    with pytest.raises(InvalidInput, match="more than 0"):
        hot_leads(session, now=NOW, since_hours=hours)


def test_naive_now_is_refused(session):
    with pytest.raises(InvalidInput, match="needs a timezone"):
        hot_leads(session, now=datetime(2026, 11, 18, 12))


# --- the same on PostgreSQL -------------------------------------------------------------------

SERVER = os.environ.get("SMARKETING_TEST_POSTGRES_URL", "")


@pytest.mark.skipif(
    not SERVER and os.environ.get("SMARKETING_REQUIRE_POSTGRES") != "1",
    reason="set SMARKETING_TEST_POSTGRES_URL to a PostgreSQL server to run this",
)
def test_the_edges_on_postgresql():
    if not SERVER:
        pytest.fail("SMARKETING_REQUIRE_POSTGRES=1 but SMARKETING_TEST_POSTGRES_URL is unset")
    name = f"smk_{uuid.uuid4().hex[:12]}"
    admin = create_engine(SERVER, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(SERVER.rsplit("/", 1)[0] + f"/{name}")
    try:
        upgrade_to_head(engine)
        with Session(engine) as session:
            rows = {
                "EXACT": (None, [NOW - 5 * HOUR - 14 * DAY, NOW - 5 * HOUR]),
                "SHORT": (None, [NOW - 5 * HOUR - 14 * DAY + HOUR, NOW - 5 * HOUR]),
                "EDGE": (None, [NOW - 68 * DAY, NOW - 48 * HOUR]),
                "REJ": (NOW - 3 * DAY, [NOW - 4 * DAY, NOW - HOUR]),
                "NEW": (None, [NOW - HOUR]),
            }
            for ext, (rejected, times) in rows.items():
                row = lead(session, ext, mql_at=NOW - 50 * DAY, rejected_at=rejected)
                for at in times:
                    act(session, row, at)
            assert hot(session) == {
                "EXACT": "back after 14 days",
                "EDGE": "back after 66 days",
                "REJ": "rejected lead came back",
            }
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


def test_why_a_lead_is_hot_in_norwegian(session):
    from smarketing import i18n
    from smarketing.quality.hot_leads import definition

    back = lead(session, "B")
    act(session, back, NOW - 25 * DAY - 5 * HOUR)
    act(session, back, NOW - 5 * HOUR)
    rejected = lead(session, "R", mql_at=NOW - 10 * DAY, rejected_at=NOW - 3 * DAY)
    act(session, rejected, NOW - 10 * HOUR, "form", "Demo")
    lost = lead(session, "L", lost_at=NOW - 3 * DAY)
    act(session, lost, NOW - 10 * HOUR, "download", "E-book")
    with i18n.language("nb"):
        assert hot(session) == {
            "B": "tilbake etter 25 dager",
            "R": "avvist lead kom tilbake",
            "L": "tapt lead kom tilbake",
        }
        assert definition().startswith(
            "En lead er varm når den selv har gjort noe (sidevisning, nedlasting, skjema, "
            "klikk i e-post) de siste 48 timene etter minst 14 dager uten aktivitet"
        )
    assert hot(session)["B"] == "back after 25 days"  # English outside the block
