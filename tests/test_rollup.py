"""The daily rollups (smarketing.store.rollup) equal the direct count on ``lead`` after every
kind of write: an import inserting and updating leads, an activities import, a verdict
accepted and rejected, a contact, the demo company built and cleared, a lead deleted, a
restore; and the figures read through them equal the figures counted on ``lead``.

"Equal" is checked three ways: the change log is empty and the rollups are built for the
business timezone; every rollup table holds exactly the rows a count over ``lead`` gives
(``rollup.compute``); and the per-day counts equal a count of the leads by hand, in Python.
Runs on SQLite and, with SMARKETING_TEST_DATABASE=postgresql, on PostgreSQL.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta
from itertools import pairwise

import pandas as pd
import pytest
from sqlalchemy import delete, func, inspect, select, text, update
from sqlmodel import Session

from smarketing import config
from smarketing.auth.permissions import Actor
from smarketing.data_in.upsert import import_activities, import_leads
from smarketing.demo import build_demo, clear_demo
from smarketing.ops.backup import backup_sqlite
from smarketing.ops.restore import restore_sqlite
from smarketing.quality import cohorts as quality
from smarketing.quality.verdicts import record_contact, record_verdict
from smarketing.sla import first_contact as sla_detail
from smarketing.sla import metrics as sla
from smarketing.sla.periods import Period, PeriodKind, local_midnight_utc, period_containing
from smarketing.store import rollup
from smarketing.store.db import bump_data_version, make_engine, upgrade_to_head
from smarketing.store.models import Lead, RollupLog, Setting
from tests.conftest import NOW
from tests.factories import add_lead, add_sla_agreement, oslo
from tests.imports.test_upsert import ADMIN, at, leads_file, rec
from tests.imports.test_upsert_activities import act, activities_file

SAM = Actor.of("sam", {"sales"})
CLI = Actor.of("cli", {"admin"})


# --- the checks ----------------------------------------------------------------------------


def _table_rows(conn, model) -> dict:
    """{primary key: counts} of a rollup table as stored."""
    table = model.__table__
    keys = [c.name for c in table.primary_key.columns]
    counts = rollup._counts_of(model)
    return {
        tuple(row[: len(keys)]): tuple(row[len(keys) :])
        for row in conn.execute(select(*[table.c[k] for k in keys], *[table.c[c] for c in counts]))
    }


def _expected_rows(conn) -> dict:
    """{model: {primary key: counts}} counted afresh on ``lead`` (rows of zeros left out)."""
    days = sorted(_by_hand(conn))  # the days of the leads' dates, counted in Python
    computed = rollup.compute(conn, days, config.business_tz())
    out = {}
    for model, rows in rollup._rows_of(computed).items():
        keys = [c.name for c in model.__table__.primary_key.columns]
        counts = rollup._counts_of(model)
        out[model] = {
            tuple(r[k] for k in keys): tuple(r[c] for c in counts)
            for r in rows
            if any(r[c] for c in counts)
        }
    return out


def _by_hand(conn) -> dict[date, tuple]:
    """rollup_day's counts of every day, counted lead by lead in Python."""
    tz = config.business_tz()
    counts: dict[str, Counter] = {name: Counter() for name in rollup.DAY_COUNTS}
    for lead in conn.execute(select(Lead.__table__)).mappings():
        day = lambda v: rollup.local_day(rollup._aware(v), tz)  # noqa: E731
        counts["leads"][day(lead["created_at"])] += 1
        if lead["mql_at"] is not None:
            mql_day = day(lead["mql_at"])
            counts["mqls"][mql_day] += 1
            if lead["accepted_at"] is not None or lead["rejected_at"] is not None:
                counts["decided"][mql_day] += 1
            if lead["accepted_at"] is not None:
                counts["accepted"][mql_day] += 1
            contact = lead["first_contact_at"]
            if contact is not None and rollup._aware(contact) >= rollup._aware(lead["mql_at"]):
                counts["contacted"][mql_day] += 1
        if lead["sql_at"] is not None:
            counts["sqls"][day(lead["sql_at"])] += 1
        if lead["customer_at"] is not None:
            counts["customers"][day(lead["customer_at"])] += 1
    days = set().union(*(c.keys() for c in counts.values()))
    return {d: tuple(counts[name][d] for name in rollup.DAY_COUNTS) for d in days}


def assert_in_step(engine) -> None:
    """The rollups hold exactly what ``lead`` holds, with nothing left in the change log."""
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(RollupLog)).scalar_one() == 0
        built = conn.execute(select(Setting.value).where(Setting.key == rollup.STATE_KEY))
        assert built.scalar_one() == rollup.state()
        expected = _expected_rows(conn)
        for model in rollup.TABLES:
            assert _table_rows(conn, model) == expected[model], model.__tablename__
        day = rollup.RollupDay.__table__.c
        stored = {
            r[0]: tuple(r[1:])
            for r in conn.execute(select(day.day, *[day[c] for c in rollup.DAY_COUNTS]))
        }
        assert stored == _by_hand(conn)


def lead_count(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(Lead)).scalar_one()


# --- every kind of write -------------------------------------------------------------------


def test_an_empty_database_is_in_step(engine):
    assert_in_step(engine)


def test_the_triggers_and_indexes_exist_at_head(engine):
    with engine.connect() as conn:
        if engine.dialect.name == "sqlite":
            names = conn.execute(
                text("SELECT name FROM sqlite_master WHERE type IN ('trigger', 'index')")
            ).scalars()
        else:
            names = conn.execute(
                text(
                    "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal "
                    "UNION SELECT indexname FROM pg_indexes WHERE tablename = 'lead'"
                )
            ).scalars()
        names = set(names)
    assert {"lead_rollup_insert", "lead_rollup_update", "lead_rollup_delete"} <= names
    assert "ix_lead_contact_span" in names
    columns = {i["name"]: i["column_names"] for i in inspect(engine).get_indexes("lead")}
    assert columns["ix_lead_mql_at"] == ["mql_at", "first_contact_at"]


def test_import_insert_and_update(engine):
    import_leads(
        engine,
        leads_file(
            rec("101", 2, created_at=at(1), mql_at=at(2), source="google", owner="kari"),
            rec("102", 3, created_at=at(1, 10), first_name="Ola"),
            rec("103", 4, created_at=at(3), mql_at=at(4), sql_at=at(6), campaign="Spring"),
            rec("104", 5, created_at=at(3, 23), mql_at=at(4, 22), rejected=True, reason="budget"),
        ),
        actor=ADMIN,
        now=NOW,
    )
    assert lead_count(engine) == 4
    assert_in_step(engine)
    # the update moves a lead to another day, another source, and gives one a customer date
    import_leads(
        engine,
        leads_file(
            rec("101", 2, created_at=at(1), mql_at=at(5), source="linkedin", owner="kari"),
            rec("103", 3, created_at=at(3), mql_at=at(4), sql_at=at(6), customer_at=at(20)),
            rec("105", 4, created_at=at(21, 23), mql_at=at(21, 23)),
        ),
        actor=ADMIN,
        now=NOW + timedelta(days=1),
    )
    assert lead_count(engine) == 5
    assert_in_step(engine)


def test_dates_years_apart_refresh_only_their_own_days(engine, monkeypatch):
    """Issue 15: one lead with an MQL date in 2099 beside today's leads made the refresh
    count every day in between (27,000 days, two minutes inside the import's write
    transaction); it counts the days the changes fall on, and stays exact."""
    from datetime import UTC, datetime

    counted: list[int] = []
    compute = rollup._compute

    def counting(conn, source, *args, **kwargs):
        if isinstance(source, rollup._LogSource):  # a refresh (not a check's recount)
            counted.append(len(source.days))
        return compute(conn, source, *args, **kwargs)

    monkeypatch.setattr(rollup, "_compute", counting)
    far = datetime(2099, 1, 1, 9, tzinfo=UTC)
    import_leads(
        engine,
        leads_file(
            rec("101", 2, created_at=at(1), mql_at=far, source="google"),
            rec("102", 3, created_at=datetime(1970, 1, 2, tzinfo=UTC), mql_at=at(2)),
            rec("103", 4, created_at=at(3), mql_at=at(4), sql_at=far, customer_at=far),
        ),
        actor=ADMIN,
        now=NOW,
    )
    assert_in_step(engine)
    assert sum(counted) < 40, counted  # a few days around each date, not 47,000
    with engine.begin() as conn:  # a rebuild, too, counts only the days with dates
        assert rollup.rebuild(conn) < 40
    assert_in_step(engine)
    import_leads(  # and back: the 2099 dates moved to September
        engine,
        leads_file(rec("101", 2, created_at=at(1), mql_at=at(2)), rec("103", 3,
                   created_at=at(3), mql_at=at(4), sql_at=at(6), customer_at=at(20))),
        actor=ADMIN,
        now=NOW,
    )  # fmt: skip
    assert_in_step(engine)


@pytest.fixture
def mqls(engine, session):
    import_leads(
        engine,
        leads_file(
            rec("201", 2, created_at=at(7), mql_at=at(8), source="google", owner="sam"),
            rec("202", 3, created_at=at(7), mql_at=at(8, 23), source="events", owner="sam"),
        ),
        actor=ADMIN,
        now=NOW,
    )
    return {x.external_id: x for x in session.exec(select(Lead)).scalars()}


def test_verdicts_accept_then_reject(engine, session, mqls):
    lead = mqls["201"]
    record_verdict(session, actor=SAM, lead_id=lead.id, verdict="accepted", reason=None,
                   now=at(9))  # fmt: skip
    assert_in_step(engine)
    record_verdict(session, actor=SAM, lead_id=lead.id, verdict="rejected", reason="budget",
                   now=at(10))  # fmt: skip
    assert_in_step(engine)
    record_verdict(session, actor=SAM, lead_id=mqls["202"].id, verdict="rejected",
                   reason="Wrong persona", now=at(10))  # fmt: skip
    record_verdict(session, actor=SAM, lead_id=lead.id, verdict="accepted", reason=None,
                   now=at(11))  # fmt: skip
    assert_in_step(engine)


def test_contacts_by_hand_and_by_import(engine, session, mqls):
    record_contact(session, actor=SAM, lead_id=mqls["201"].id, kind="call", detail="intro",
                   attempt=False, when=at(8, 10))  # fmt: skip
    assert_in_step(engine)
    # an earlier contact replaces it: the delay moves to another bucket
    record_contact(session, actor=SAM, lead_id=mqls["201"].id, kind="email", detail="hi",
                   attempt=False, when=at(8, 9))  # fmt: skip
    assert_in_step(engine)
    import_activities(
        engine,
        activities_file(
            act(2, "202", at(9, 7), "call", "reached"), act(3, "201", at(8, 9), "meeting")
        ),
        actor=ADMIN,
        now=NOW,
    )
    assert_in_step(engine)


@pytest.mark.parametrize("recount_at", [0, 10**9], ids=["recount-the-days", "add-the-changes"])
def test_a_long_log_recounts_its_days_and_a_short_one_adds_up(
    engine, session, mqls, monkeypatch, recount_at
):
    """A bulk write (more logged changes than RECOUNT_AT) recounts the days its changes
    touch, before and after, on ``lead``; a small one adds the changes up: both in step."""
    monkeypatch.setattr(rollup, "RECOUNT_AT", recount_at)
    import_leads(
        engine,
        leads_file(  # 201 moves to other days (created, MQL), gains a customer date
            rec("201", 2, created_at=at(12, 23), mql_at=at(13), customer_at=at(30), owner="sam"),
            rec("202", 3, created_at=at(7), mql_at=at(8, 23), source="events", owner="sam"),
            rec("203", 4, created_at=at(2, 23), mql_at=at(3), sql_at=at(5)),
        ),
        actor=ADMIN,
        now=NOW + timedelta(days=1),
    )
    assert_in_step(engine)
    record_verdict(session, actor=SAM, lead_id=mqls["202"].id, verdict="rejected",
                   reason="budget", now=at(9))  # fmt: skip
    assert_in_step(engine)
    session.delete(session.exec(select(Lead).where(Lead.external_id == "203")).scalar_one())
    bump_data_version(session)
    session.commit()
    assert_in_step(engine)


def test_a_deleted_lead_leaves_the_rollups(engine, session, mqls):
    session.delete(session.get(Lead, mqls["202"].id))
    bump_data_version(session)
    session.commit()
    assert_in_step(engine)


def test_a_write_that_skips_the_bump_is_counted_live_then_caught_up(engine, session, mqls):
    """Raw SQL that never bumps the data version: the triggers log it, the figures read the
    logged days from ``lead`` (exact), and the next write applies the log."""
    cohort = quality.Cohort(date(2026, 9, 1), date(2026, 9, 30))
    before = quality.funnel(session, cohort)
    session.execute(update(Lead).where(Lead.external_id == "202").values(sql_at=at(12)))
    session.execute(delete(Lead).where(Lead.external_id == "201"))
    session.commit()
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(RollupLog)).scalar_one() == 3
    after = quality.funnel(session, cohort)
    counts = dict(zip(after["stage"], after["count"], strict=True))
    assert counts["leads"] == 1 and counts["sqls"] == 1
    assert before["count"].tolist() != after["count"].tolist()
    period = Period(PeriodKind.month, date(2026, 9, 1), date(2026, 9, 30), date(2026, 9, 30))
    report = sla.sla_report(session, period, now=NOW)
    assert {m.key: m.actual for m in report.metrics}["mqls_delivered"] == 1
    upgrade_to_head(engine)  # a start builds nothing (they are built for this timezone)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(RollupLog)).scalar_one() == 3
    bump_data_version(session)  # the next write catches up
    session.commit()
    assert_in_step(engine)


def test_the_demo_company_built_and_cleared(engine):
    build_demo(engine, leads=300, months=2, now=NOW, seed=5)
    assert lead_count(engine) >= 300
    assert_in_step(engine)
    clear_demo(engine, actor=CLI, keep_starting_point=False)
    assert lead_count(engine) == 0
    assert_in_step(engine)


@pytest.mark.sqlite_only("restore_sqlite restores SQLite files (PostgreSQL: pg_restore)")
def test_restore_brings_back_rollups_in_step(engine, db_url, tmp_path):
    build_demo(engine, leads=200, months=2, now=NOW, seed=4)
    backup_sqlite(db_url, tmp_path / "backup.db")
    clear_demo(engine, actor=CLI, keep_starting_point=False)
    assert lead_count(engine) == 0
    engine.dispose()
    restore_sqlite(tmp_path / "backup.db", db_url, now=NOW)
    restored = make_engine(db_url)
    upgrade_to_head(restored)
    assert lead_count(restored) >= 200
    assert_in_step(restored)
    restored.dispose()


def test_another_timezone_counts_live_until_the_rebuild(engine, session, monkeypatch):
    build_demo(engine, leads=200, months=2, now=NOW, seed=6)
    monkeypatch.setenv("SMARKETING_TIMEZONE", "America/New_York")
    period = period_containing("month", date(2026, 10, 1))
    live = _figures(session, period)
    assert live == _direct(session, period)
    upgrade_to_head(engine)  # the start rebuilds for the new timezone
    assert_in_step(engine)
    assert _figures(session, period) == live


# --- the figures through the rollups equal the direct counts ---------------------------------


def _figures(session: Session, period: Period) -> tuple:
    window = sla.Window(*period.window(), min(period.window()[1], NOW), 4.0)
    f = sla.window_figures(session, [window])[0]
    return (f.mqls, f.decided, f.accepted, f.due, f.on_time, f.contacted, f.sqls, f.customers,
            f.median_hours)  # fmt: skip


def _direct(session: Session, period: Period) -> tuple:
    window = sla.Window(*period.window(), min(period.window()[1], NOW), 4.0)
    f = sla._one_window(session, window)
    return (f.mqls, f.decided, f.accepted, f.due, f.on_time, f.contacted, f.sqls, f.customers,
            f.median_hours)  # fmt: skip


def _direct_cohort(session: Session, cohort: quality.Cohort, by: str) -> dict:
    t = Lead.__table__.c
    start, end = cohort.window()
    column = t[by]
    rows = session.execute(
        select(column, func.count(), *[func.count(t[c]) for _, c in quality.COUNTS if c])
        .where(t.created_at >= start, t.created_at < end)
        .group_by(column)
    ).all()
    out: dict[str, list[int]] = {}
    for value, *counts in rows:
        sums = out.setdefault(quality.shown(value), [0] * len(counts))
        for i, n in enumerate(counts):
            sums[i] += int(n)
    return {k: tuple(v) for k, v in out.items()}


@pytest.fixture
def demo(engine, session):
    build_demo(engine, leads=1500, months=6, now=NOW, seed=11)
    return session


PERIODS = [
    period_containing("day", date(2026, 10, 14)),
    period_containing("week", date(2026, 10, 14)),
    period_containing("month", date(2026, 9, 14)),
    period_containing("quarter", date(2026, 8, 14)),
    period_containing("quarter", NOW.date()),  # the current one: the deadline cuts a day
    Period(PeriodKind.quarter, date(2026, 5, 1), date(2027, 4, 30), date(2027, 4, 30)),
]


@pytest.mark.parametrize("period", PERIODS, ids=lambda p: f"{p.kind}-{p.start}")
def test_sla_figures_equal_the_direct_count(demo, period):
    assert _figures(demo, period) == _direct(demo, period)
    window = sla.Window(*period.window(), min(period.window()[1], NOW), 4.0)
    n = sla._one_window(demo, window).contacted
    for q in (0.5, 0.9, 0.25):
        assert sla.first_contact_quantile(demo, [window], q) == [sla._quantile(demo, window, q, n)]


@pytest.mark.parametrize("period", PERIODS, ids=lambda p: f"{p.kind}-{p.start}")
def test_quality_figures_equal_the_direct_count(demo, period):
    cohort = quality.Cohort(period.start, period.end)
    frames = quality.breakdowns(demo, cohort, ["source", "campaign", "first_conversion"])
    for by, frame in frames.items():
        rows = frame[~frame["is_total"].astype(bool)]
        got = {
            r["value"]: tuple(int(r[c]) for c in quality.COUNT_COLUMNS)
            for r in rows.to_dict("records")
        }
        assert got == _direct_cohort(demo, cohort, by), by


def _direct_overdue(session: Session, report, now) -> int:
    start, end = report.period.window()
    cutoff = min(end, now)
    hours = report.agreement.response_hours if report.agreement else 24.0
    t = Lead.__table__.c
    return session.execute(
        select(func.count()).where(
            t.mql_at >= start,
            t.mql_at < end,
            t.mql_at <= cutoff - timedelta(hours=hours),
            (t.first_contact_at.is_(None))
            | (t.first_contact_at > cutoff)
            | (t.first_contact_at < t.mql_at),
        )
    ).scalar_one()


def test_overdue_counts_contacts_after_the_cutoff(engine, session):
    """October 2026 in Oslo, 4 response hours. A never contacted, B in time, C contacted in
    November, D at 00:30 on 1 November (23:30 UTC on 31 October: the cutoff's UTC date,
    after it), E contacted before it became an MQL, F not due by the end, G contacted on 20
    October at 16:00 (after a cutoff at 15:00 that day)."""
    add_sla_agreement(session, 1, date(2026, 1, 1))
    add_lead(session, "A", "2026-10-05 08:00", mql_at="2026-10-05 09:00")
    add_lead(session, "B", "2026-10-05 08:00", mql_at="2026-10-05 09:00",
             first_contact_at="2026-10-05 10:00")  # fmt: skip
    add_lead(session, "C", "2026-10-20 08:00", mql_at="2026-10-20 09:00",
             first_contact_at="2026-11-03 10:00")  # fmt: skip
    add_lead(session, "D", "2026-10-30 08:00", mql_at="2026-10-30 09:00",
             first_contact_at="2026-11-01 00:30")  # fmt: skip
    add_lead(session, "E", "2026-10-09 08:00", mql_at="2026-10-10 09:00",
             first_contact_at="2026-10-09 12:00")  # fmt: skip
    add_lead(session, "F", "2026-10-31 08:00", mql_at="2026-10-31 21:00")
    add_lead(session, "G", "2026-10-12 08:00", mql_at="2026-10-12 09:00",
             first_contact_at="2026-10-20 16:00")  # fmt: skip
    bump_data_version(session)
    session.commit()
    assert_in_step(engine)
    october = Period(PeriodKind.month, date(2026, 10, 1), date(2026, 10, 31), date(2026, 10, 31))

    def overdue(now):
        report = sla.sla_report(session, october, now=now)
        frame, total = sla_detail.overdue_mqls(session, report, now=now)
        assert total == _direct_overdue(session, report, now)
        listed = sorted(session.get(Lead, int(x.lstrip("#"))).external_id for x in frame["lead"])
        return total, listed

    assert overdue(NOW) == (4, ["A", "C", "D", "E"])
    assert overdue(oslo("2026-10-20 15:00")) == (4, ["A", "C", "E", "G"])  # C: the cut day


@pytest.mark.parametrize("period", PERIODS, ids=lambda p: f"{p.kind}-{p.start}")
def test_overdue_count_equals_the_direct_count(demo, period):
    """With the cutoff at the end, at 'now', and inside the window at an odd minute (some
    contacts of the cutoff's own date come after it)."""
    start, end = period.window()
    for now in (NOW, end - timedelta(hours=10, minutes=23), start + timedelta(hours=30)):
        report = sla.sla_report(demo, period, now=now)
        assert sla_detail.overdue_mqls(demo, report, now=now)[1] == _direct_overdue(
            demo, report, now
        ), now


def test_pacing_and_distribution_equal_the_direct_count(demo):
    period = Period(PeriodKind.month, date(2026, 10, 1), date(2026, 10, 31), date(2026, 10, 31))
    t = Lead.__table__.c
    days = [period.start + timedelta(days=i) for i in range(period.days + 1)]
    edges = [local_midnight_utc(d) for d in days]
    direct = [
        demo.execute(select(func.count()).where(t.mql_at >= a, t.mql_at < b)).scalar_one()
        for a, b in pairwise(edges)
    ]
    assert sla_detail.daily_counts(demo, period, "mql_at") == direct
    report = sla.sla_report(demo, period, now=NOW)
    rolled = sla_detail.contact_distribution(demo, report)
    delay = rollup.contact_span()
    start, end = period.window()
    spans = demo.execute(
        select(delay).where(t.mql_at >= start, t.mql_at < end, rollup.contacted())
    ).scalars().all()  # fmt: skip
    assert int(rolled.bins["count"].sum()) == len(spans)
    for lower, upper, count in rolled.bins[["lower", "upper", "count"]].itertuples(index=False):
        last = upper is None or pd.isna(upper)
        expected = sum(1 for s in spans if s >= lower and (last or s < upper))
        assert int(count) == expected, lower


def test_counting_within_the_days_span_counts_the_same(demo, engine, monkeypatch):
    """PostgreSQL's rollup counts also keep the leads within the days' whole span (so the
    timestamp's index reads them): for days far apart, some with no leads, and leads
    without an MQL or contact date, the counts are those without the span."""
    tz = config.business_tz()
    days = [date(2026, 6, 3), date(2026, 6, 4), date(2026, 8, 20), date(2026, 11, 2)]
    days += [date(2025, 1, 1)]  # before the company's first lead
    counted = {}
    for span in (False, True):
        out = rollup.Computed()
        with engine.connect() as conn:
            source = rollup._LeadSource(days, tz, within_span=span)
            rollup._compute(conn, source, out, sla=True, cohorts=True, tz=tz)
        counted[span] = out
    assert counted[True] == counted[False]
    assert sum(c[0] for c in counted[True].days.values()) > 0  # leads on those days
    assert counted[True].spans and counted[True].cohorts
    # the dialect picks it: what compute counts is the same either way
    with engine.connect() as conn:
        assert rollup.compute(conn, days, tz) == counted[False]
