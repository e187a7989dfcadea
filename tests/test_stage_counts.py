"""Overview counts against a hand-made dataset (as of Wednesday 18 Nov 2026, Oslo)."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest
from sqlalchemy import event

from smarketing.quality.stage_counts import data_as_of, overview_counts, weekly_stage_counts
from tests.factories import add_lead, oslo

AS_OF = date(2026, 11, 18)


@pytest.fixture
def dataset(session):
    add_lead(
        session, "1", "2026-11-16 00:30", mql_at="2026-11-17 10:00"
    )  # Monday just after midnight
    add_lead(session, "2", "2026-11-15 23:30")  # Sunday: previous week, this month
    add_lead(session, "3", "2026-11-18 23:59")  # last minute of the as-of day
    add_lead(session, "4", "2026-11-19 00:10")  # after the as-of day: never counted
    add_lead(session, "5", "2026-11-10 12:00", mql_at="2026-11-10 15:00", sql_at="2026-11-11 09:00")
    add_lead(
        session,
        "6",
        "2026-10-05 10:00",
        mql_at="2026-10-06 10:00",
        sql_at="2026-11-17 09:00",
        customer_at="2026-11-18 10:00",
    )
    add_lead(session, "7", "2026-10-20 10:00")  # after 18 Oct: outside last month's like-for-like
    add_lead(session, "8", "2026-11-01 00:00")  # first instant of November (Oct 31 23:00 UTC)
    return session


# (period, stage, current, previous) counted by hand from the dataset above
EXPECTED = [
    ("week", "leads", 2, 1),
    ("week", "mqls", 1, 1),
    ("week", "sqls", 1, 1),
    ("week", "customers", 1, 0),
    ("month", "leads", 5, 1),
    ("month", "mqls", 2, 1),
    ("month", "sqls", 2, 0),
    ("month", "customers", 1, 0),
]


@pytest.mark.parametrize(("kind", "stage", "current", "previous"), EXPECTED)
def test_overview_counts(dataset, kind, stage, current, previous):
    frame = overview_counts(dataset, AS_OF)
    row = frame[(frame.period_kind == kind) & (frame.stage == stage)].iloc[0]
    assert (row.current, row.previous, row.change) == (current, previous, current - previous)


def test_change_pct_is_none_without_previous(dataset):
    frame = overview_counts(dataset, AS_OF)
    row = frame[(frame.period_kind == "month") & (frame.stage == "sqls")].iloc[0]
    assert pd.isna(row.change_pct)
    row = frame[(frame.period_kind == "month") & (frame.stage == "leads")].iloc[0]
    assert row.change_pct == pytest.approx(4.0)


def test_labels(dataset):
    frame = overview_counts(dataset, AS_OF)
    assert set(frame.period) == {"week 47 2026", "November 2026"}


def test_weekly_counts(dataset):
    frame = weekly_stage_counts(dataset, AS_OF, weeks=3)
    leads = frame[frame.stage == "leads"].set_index("week_start")["count"].to_dict()
    assert leads == {date(2026, 11, 2): 0, date(2026, 11, 9): 2, date(2026, 11, 16): 2}
    assert frame[frame.week_start == date(2026, 11, 16)].partial.all()


def test_data_as_of_is_newest_timestamp(dataset):
    assert data_as_of(dataset) == oslo("2026-11-19 00:10")


def test_empty_store(session):
    assert data_as_of(session) is None
    assert overview_counts(session, AS_OF)["current"].sum() == 0


@pytest.fixture
def statements(session):
    """The SQL statements the session's engine sends while the test runs."""
    sent: list[str] = []

    def record(conn, cursor, statement, parameters, context, executemany):
        sent.append(statement)

    engine = session.get_bind()
    event.listen(engine, "before_cursor_execute", record)
    yield sent
    event.remove(engine, "before_cursor_execute", record)


def test_thirteen_weeks_in_one_statement(dataset, statements):
    """Issue 14: the Overview's 13 weeks × 4 stages were 52 statements; now one, with the
    same counts (counted by hand from the dataset, the week of 26 Oct holding lead 8 at
    local midnight of 1 Nov; lead 4 is after the as-of day)."""
    dataset.commit()
    statements.clear()
    frame = weekly_stage_counts(dataset, AS_OF)
    assert len(statements) == 1
    assert len(frame) == 13 * 4
    assert frame.week_start.min() == date(2026, 8, 24)
    assert frame[frame.partial].week_start.unique().tolist() == [date(2026, 11, 16)]
    found = {(r.week_start, r.stage): r.count for r in frame.itertuples() if r.count}
    assert found == {
        (date(2026, 10, 5), "leads"): 1,
        (date(2026, 10, 5), "mqls"): 1,
        (date(2026, 10, 19), "leads"): 1,
        (date(2026, 10, 26), "leads"): 1,
        (date(2026, 11, 9), "leads"): 2,
        (date(2026, 11, 9), "mqls"): 1,
        (date(2026, 11, 9), "sqls"): 1,
        (date(2026, 11, 16), "leads"): 2,
        (date(2026, 11, 16), "mqls"): 1,
        (date(2026, 11, 16), "sqls"): 1,
        (date(2026, 11, 16), "customers"): 1,
    }
    assert frame[frame.week_start == date(2026, 11, 16)].week.unique().tolist() == ["week 47 2026"]


@pytest.mark.parametrize(
    ("as_of", "edges", "expected"),
    [
        # summer time ends on Sunday 25 Oct 2026: Monday 26 Oct starts at 23:00 UTC on the 25th
        (
            date(2026, 10, 28),
            ["2026-10-25 23:59", "2026-10-26 00:00", "2026-10-18 23:59", "2026-10-19 00:00"],
            {date(2026, 10, 12): 1, date(2026, 10, 19): 2, date(2026, 10, 26): 1},
        ),
        # summer time starts on Sunday 29 Mar 2026: Monday 30 Mar starts at 22:00 UTC
        (
            date(2026, 3, 30),
            ["2026-03-29 23:59", "2026-03-30 00:00", "2026-03-23 00:00", "2026-03-22 23:59"],
            {date(2026, 3, 16): 1, date(2026, 3, 23): 2, date(2026, 3, 30): 1},
        ),
    ],
)
def test_weeks_start_at_local_midnight_across_summer_time(session, as_of, edges, expected):
    """A week runs from Monday 00:00 to Monday 00:00 in the business timezone, also in the
    weeks where the clocks change (the windows are the period helpers' own)."""
    for i, created in enumerate(edges):
        add_lead(session, f"E{i}", created)
    frame = weekly_stage_counts(session, as_of, weeks=3)
    leads = frame[frame.stage == "leads"].set_index("week_start")["count"].to_dict()
    assert leads == expected


def test_overview_counts_and_newest_data_in_one_statement_each(dataset, statements):
    """Issue 14: the week, the month and the periods they are compared with were 16
    statements and the newest timestamp 5; now one each."""
    dataset.commit()
    statements.clear()
    overview_counts(dataset, AS_OF)
    assert len(statements) == 1
    statements.clear()
    data_as_of(dataset)
    assert len(statements) == 1
