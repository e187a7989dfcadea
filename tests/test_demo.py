"""The demo company: reproducible, tells the story of docs/demo-company.md, removable."""

from __future__ import annotations

import re
import statistics
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from itertools import pairwise

import pytest
from sqlalchemy import func
from sqlmodel import Session, SQLModel, select
from sqlmodel.sql.sqltypes import UTCDateTime

from smarketing import demo
from smarketing.auth.permissions import CLI_ACTOR, Actor
from smarketing.errors import InvalidInput, PermissionDenied
from smarketing.sla.causes import CATEGORIES
from smarketing.sla.metrics import Status, sla_report
from smarketing.sla.periods import period_containing
from smarketing.store.db import (
    data_version,
    get_setting,
    is_sqlite,
    make_engine,
    set_setting,
    upgrade_to_head,
)
from smarketing.store.models import (
    Action,
    BriefVersion,
    Campaign,
    Decision,
    Definition,
    Lead,
    LeadActivity,
    Meeting,
    MeetingNote,
    Persona,
    PersonaBase,
    PersonaVersion,
    SlaAgreement,
    SlaCause,
    SlaConfirmation,
    User,
    Verdict,
)
from tests.conftest import NOW

SMALL = 3000
TODAY = date(2026, 11, 18)  # NOW's day in Europe/Oslo
MATURE = NOW - timedelta(days=90)
TABLES_WITH_DEMO = [t for t in SQLModel.metadata.sorted_tables if "is_demo" in t.c]


def _build(engine, **kw):
    kw = {"leads": SMALL, "now": NOW, "seed": 7} | kw
    return demo.build_demo(engine, **kw)


def _count(s: Session, *where, model=Lead) -> int:
    return s.exec(select(func.count()).select_from(model).where(*where)).one()


def _lead_rows(engine) -> list[tuple]:
    cols = (
        Lead.external_id,
        Lead.created_at,
        Lead.mql_at,
        Lead.first_contact_at,
        Lead.customer_at,
        Lead.source,
        Lead.persona,
        Lead.owner,
        Lead.deal_value,
        Lead.email,
    )
    with Session(engine) as s:
        return list(s.exec(select(*cols).order_by(Lead.external_id)).all())


@pytest.fixture
def built(engine):
    """The engine with a small demo company written as of NOW."""
    summary = _build(engine)
    return engine, summary


def test_same_seed_gives_the_same_company_and_another_seed_does_not(engine, new_database_url):
    # Two fresh databases, same seed and now: identical leads and trails.
    second = make_engine(new_database_url("b", migrated=True))
    third = make_engine(new_database_url("c", migrated=True))
    for e in (second, third):
        upgrade_to_head(e)
    a = _build(engine, leads=2000)
    b = _build(second, leads=2000)
    c = _build(third, leads=2000, seed=8)
    rows_a, rows_b, rows_c = _lead_rows(engine), _lead_rows(second), _lead_rows(third)
    assert len(rows_a) == 2000
    assert rows_a == rows_b
    assert (a.activities, a.verdicts, a.actions) == (b.activities, b.verdicts, b.actions)
    assert rows_a != rows_c
    with Session(engine) as s1, Session(second) as s2:
        q = select(LeadActivity.kind, LeadActivity.detail, LeadActivity.occurred_at).order_by(
            LeadActivity.id
        )
        assert s1.exec(q).all() == s2.exec(q).all()
    assert c.leads == 2000
    second.dispose()
    third.dispose()


def test_funnel_rates_over_mature_leads_match_the_story(engine):
    _build(engine, leads=12_000)
    with Session(engine) as s:
        mature = Lead.created_at < MATURE
        leads = _count(s, mature)
        mqls = _count(s, mature, Lead.mql_at.is_not(None))
        accepted = _count(s, mature, Lead.accepted_at.is_not(None))
        rejected = _count(s, mature, Lead.rejected_at.is_not(None))
        sqls = _count(s, mature, Lead.sql_at.is_not(None))
        opps = _count(s, mature, Lead.opportunity_at.is_not(None))
        won = _count(s, mature, Lead.customer_at.is_not(None))
        lost = _count(s, mature, Lead.lost_at.is_not(None))
    assert leads > 8000
    rates = {
        "lead_to_mql": (mqls / leads, 0.30),
        "accepted_of_decided": (accepted / (accepted + rejected), 0.70),
        "sql_per_mql": (sqls / mqls, 0.40),
        "opp_per_sql": (opps / sqls, 0.60),
        "won_per_opp": (won / opps, 0.25),
    }
    for name, (actual, target) in rates.items():
        assert abs(actual - target) <= 0.05, (name, actual)
    assert 0 < lost < opps - won  # some lost, some still open


def test_volumes_are_about_500_leads_a_month_with_seasonality(built):
    engine, summary = built
    default = demo.default_leads(12, NOW)
    assert 5000 <= default <= 7000  # ~500 a month over 11.6 months, plus event spikes
    with Session(engine) as s:
        per_month = Counter(t.month for t in s.exec(select(Lead.created_at)).all())
    assert per_month[7] < 0.6 * per_month[10]  # quiet July, busy autumn
    assert sum(per_month.values()) == SMALL == summary.leads


def test_nothing_is_dated_after_now_and_stages_are_ordered(built):
    engine, _ = built
    with Session(engine) as s:
        for table in TABLES_WITH_DEMO:  # settings keep the wall clock of the write
            for col in table.c:
                if isinstance(col.type, UTCDateTime):
                    late = s.exec(select(func.count()).select_from(table).where(col > NOW)).one()
                    assert late == 0, f"{table.name}.{col.name} after now"
        violations = {
            "mql before created": Lead.mql_at < Lead.created_at,
            "verdict before mql": (Lead.accepted_at < Lead.mql_at)
            | (Lead.rejected_at < Lead.mql_at),
            "both verdicts": Lead.accepted_at.is_not(None) & Lead.rejected_at.is_not(None),
            "contact before mql": Lead.first_contact_at < Lead.mql_at,
            "sql before verdict": Lead.sql_at < Lead.accepted_at,
            "sql before contact": Lead.sql_at < Lead.first_contact_at,
            "sql not accepted": Lead.sql_at.is_not(None) & Lead.accepted_at.is_(None),
            "opp before sql": Lead.opportunity_at < Lead.sql_at,
            "opp without sql": Lead.opportunity_at.is_not(None) & Lead.sql_at.is_(None),
            "won before opp": Lead.customer_at < Lead.opportunity_at,
            "lost before opp": Lead.lost_at < Lead.opportunity_at,
            "won and lost": Lead.customer_at.is_not(None) & Lead.lost_at.is_not(None),
            "reason without rejection": Lead.rejection_reason.is_not(None)
            & Lead.rejected_at.is_(None),
            "rejection without reason": Lead.rejected_at.is_not(None)
            & Lead.rejection_reason.is_(None),
            "stage without mql": Lead.mql_at.is_(None)
            & (Lead.accepted_at.is_not(None) | Lead.first_contact_at.is_not(None)),
        }
        for name, cond in violations.items():
            assert _count(s, cond) == 0, name
        if is_sqlite(engine):  # timestamps are stored the way SQLModel writes them elsewhere
            raw = s.connection().exec_driver_sql("SELECT created_at FROM lead LIMIT 5").all()
            assert all(re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}", r[0]) for r in raw)
        # the first sales touch is the first call / e-mail / meeting of the trail
        first_sales = (
            select(LeadActivity.lead_id, func.min(LeadActivity.occurred_at).label("t"))
            .where(LeadActivity.kind.in_(["call", "email", "meeting"]))
            .group_by(LeadActivity.lead_id)
            .subquery()
        )
        rows = s.exec(
            select(Lead.first_contact_at, first_sales.c.t).join(
                first_sales, first_sales.c.lead_id == Lead.id, isouter=True
            )
        ).all()
        assert all(contact == touch for contact, touch in rows)
        assert 4 <= _count(s, model=LeadActivity) / SMALL <= 8


def test_chunks_link_activities_and_verdicts_to_their_own_leads(engine, monkeypatch):
    monkeypatch.setattr(demo, "CHUNK", 700)
    _build(engine, leads=2000)
    with Session(engine) as s:
        first = (
            select(LeadActivity.lead_id, func.min(LeadActivity.occurred_at).label("t"))
            .group_by(LeadActivity.lead_id)
            .subquery()
        )
        rows = s.exec(select(Lead.created_at, first.c.t).join(first, first.c.lead_id == Lead.id))
        pairs = rows.all()
        assert len(pairs) == 2000
        assert all(created == t for created, t in pairs)  # the trail starts with the conversion
        verdict_before_mql = s.exec(
            select(func.count())
            .select_from(Verdict)
            .join(Lead, Lead.id == Verdict.lead_id)
            .where((Lead.mql_at.is_(None)) | (Verdict.decided_at < Lead.mql_at))
        ).one()
        assert verdict_before_mql == 0


def test_every_row_is_marked_demo(built):
    engine, _ = built
    with Session(engine) as s:
        for table in TABLES_WITH_DEMO:
            total = s.exec(select(func.count()).select_from(table)).one()
            marked = s.exec(
                select(func.count()).select_from(table).where(table.c.is_demo.is_(True))
            ).one()
            assert total == marked, table.name
        assert demo.has_demo(s)
        assert get_setting(s, demo.DEMO_SETTING) == "1"
        assert data_version(s) >= 1
        assert set(s.exec(select(Lead.source_system).distinct()).all()) == {"demo"}


def _median_hours(s: Session, start: datetime, end: datetime) -> float:
    rows = s.exec(
        select(Lead.mql_at, Lead.first_contact_at).where(
            Lead.mql_at >= start, Lead.mql_at < end, Lead.first_contact_at.is_not(None)
        )
    ).all()
    return statistics.median((b - a).total_seconds() / 3600 for a, b in rows)


def test_the_story_is_in_the_data(built):
    engine, _ = built
    with Session(engine) as s:
        # spring: slow first contact; after the round-robin action: about an hour
        spring = _median_hours(
            s, datetime(2026, 2, 1, tzinfo=UTC), datetime(2026, 5, 11, tzinfo=UTC)
        )
        after = _median_hours(s, datetime(2026, 6, 1, tzinfo=UTC), NOW)
        assert spring > 1.5 and after < 1.3, (spring, after)
        rr = s.exec(select(Action).where(Action.title.contains("Round-robin"))).one()
        assert rr.status == "done" and rr.closed_at is not None
        assert date(2026, 5, 4) <= rr.created_at.date() <= date(2026, 5, 25)

        # paid search: lowest acceptance; webinar: best close rate (customers / SQLs)
        by_source = s.exec(
            select(
                Lead.source,
                func.count(Lead.accepted_at),
                func.count(Lead.rejected_at),
                func.count(Lead.sql_at),
                func.count(Lead.customer_at),
            ).group_by(Lead.source)
        ).all()
        acceptance = {src: a / (a + r) for src, a, r, _, _ in by_source}
        close = {src: c / q for src, _, _, q, c in by_source}
        assert len(acceptance) >= 5
        assert min(acceptance, key=acceptance.get) == "Paid search"
        assert max(close, key=close.get) == "Webinar"
        reasons = dict(
            s.exec(
                select(Lead.rejection_reason, func.count())
                .where(Lead.source == "Paid search", Lead.rejected_at.is_not(None))
                .group_by(Lead.rejection_reason)
            ).all()
        )
        assert max(reasons, key=reasons.get) == "student_competitor"

        # the e-book is the top first conversion; the LinkedIn campaign underdelivers
        conv = dict(
            s.exec(
                select(Lead.first_conversion, func.count()).group_by(Lead.first_conversion)
            ).all()
        )
        assert max(conv, key=conv.get) == demo.EBOOK
        campaigns = s.exec(select(Campaign)).all()
        assert len(campaigns) == 8
        active = [c for c in campaigns if c.end_date is None or c.end_date >= TODAY]
        assert len(active) == 2
        linkedin = next(c for c in campaigns if c.name.startswith("LinkedIn"))
        got = _count(s, Lead.campaign == linkedin.name)
        assert got < 0.7 * linkedin.lead_target

        # two SLA versions, both confirmed by both teams
        v1, v2 = s.exec(select(SlaAgreement).order_by(SlaAgreement.version)).all()
        assert (v1.mql_target, v1.response_hours, v1.effective_from) == (140, 4, date(2025, 12, 1))
        assert (v2.mql_target, v2.response_hours, v2.effective_from) == (150, 2, date(2026, 9, 1))
        assert v1.in_effect and v2.in_effect
        assert _count(s, model=SlaConfirmation) == 4
        assert _count(s, Decision.sla_version == 2, model=Decision) == 1

        # actions: exactly one open and overdue now; a few carried over several times
        overdue = s.exec(
            select(Action).where(Action.status == "open", Action.due_date < TODAY)
        ).all()
        assert len(overdue) == 1
        carried = s.exec(
            select(Action).where(Action.status == "open", Action.carried_over >= 2)
        ).all()
        assert len(carried) >= 2
        assert _count(s, Action.status == "done", model=Action) > 20

        # weekly meetings every Monday up to the latest one, with notes
        weekly = s.exec(
            select(Meeting).where(Meeting.kind == "weekly").order_by(Meeting.held_on)
        ).all()
        # ... and next Monday's meeting planned, ready for the meeting mode
        assert weekly[-2].held_on == date(2026, 11, 16) and weekly[-2].status == "closed"
        assert weekly[-1].held_on == date(2026, 11, 23) and weekly[-1].status == "planned"
        assert weekly[-1].title == "Weekly smarketing — week 48"
        assert all(m.held_on.weekday() == 0 for m in weekly)
        assert all((b.held_on - a.held_on).days == 7 for a, b in pairwise(weekly))
        assert _count(s, model=MeetingNote) >= 2 * len(weekly)
        assert _count(s, Meeting.kind == "monthly", model=Meeting) == 12

        # verdict history: every decided MQL has verdicts, the newest one counts
        newest = s.exec(
            select(Verdict.lead_id, Verdict.verdict, Verdict.decided_at).order_by(
                Verdict.lead_id, Verdict.decided_at
            )
        ).all()
        last = {lead_id: (verdict, at) for lead_id, verdict, at in newest}
        assert len(newest) > len(last)  # some leads were judged twice
        leads = {
            lead.id: lead for lead in s.exec(select(Lead).where(Lead.id.in_(list(last)))).all()
        }
        for lead_id, (verdict, at) in last.items():
            lead = leads[lead_id]
            assert (lead.accepted_at if verdict == "accepted" else lead.rejected_at) == at
        decided = _count(s, Lead.accepted_at.is_not(None) | Lead.rejected_at.is_not(None))
        assert decided == len(last)

        # some MQLs are waiting: past the deadline and not contacted, or without a verdict
        assert (
            _count(s, Lead.mql_at > NOW - timedelta(days=7), Lead.first_contact_at.is_(None)) >= 1
        )
        assert (
            _count(
                s, Lead.mql_at.is_not(None), Lead.accepted_at.is_(None), Lead.rejected_at.is_(None)
            )
            >= 1
        )


def test_this_month_sales_response_slips_while_the_months_before_keep_their_story(engine):
    _build(engine, leads=None)  # the default size: ~150 MQLs a month, as in the story
    month_start = TODAY.replace(day=1)
    with Session(engine) as s:
        month = sla_report(s, period_containing("month", TODAY), now=NOW)
        assert month.metric("contacted_within_sla_rate").status is Status.red
        assert month.metric("mqls_delivered").status is not Status.red
        assert 1.2 <= month.metric("median_first_contact_hours").actual <= 2.0
        october = sla_report(s, period_containing("month", month_start - timedelta(1)), now=NOW)
        assert october.metric("contacted_within_sla_rate").status is not Status.red
        assert october.metric("median_first_contact_hours").actual < 1.3
        # the AE on parental leave owns none of this month's MQLs; the red month has its why
        since = month.period.window()[0]
        assert _count(s, Lead.owner == "Ola Hansen", Lead.mql_at >= since) == 0
        cause = s.exec(
            select(SlaCause).where(
                SlaCause.metric == "contacted_within_sla_rate",
                SlaCause.period_kind == "month",
                SlaCause.period_start == month_start,
            )
        ).one()
        assert cause.category in CATEGORIES and "parental leave" in cause.text


def test_a_handful_of_hot_leads_came_back_in_the_last_two_days(built):
    engine, _ = built
    with Session(engine) as s:
        recent = select(LeadActivity.lead_id).where(
            LeadActivity.occurred_at >= NOW - timedelta(hours=48)
        )
        rows = s.exec(
            select(LeadActivity.lead_id, LeadActivity.occurred_at)
            .where(LeadActivity.lead_id.in_(recent))
            .order_by(LeadActivity.lead_id, LeadActivity.occurred_at)
        ).all()
    hot, prev = set(), {}
    for lead_id, at in rows:
        before = prev.get(lead_id)
        if at >= NOW - timedelta(hours=48) and before and at - before >= timedelta(days=14):
            hot.add(lead_id)
        prev[lead_id] = at
    assert 5 <= len(hot) <= 10


def test_reference_data_is_complete(built):
    engine, summary = built
    with Session(engine) as s:
        personas = s.exec(select(Persona)).all()
        assert len(personas) == summary.personas == 4
        for p in personas:
            for name in PersonaBase.model_fields:
                assert getattr(p, name), (p.name, name)
        assert _count(s, model=PersonaVersion) == 4
        for c in s.exec(select(Campaign)).all():
            for name in ("goal", "offer", "key_message", "talking_points", "objections"):
                assert getattr(c, name), (c.name, name)
            assert "https://example.com/" in c.links and c.sales_cta and c.timeline
            assert c.brief_status == "published" and c.brief_version >= 1
            assert c.start_date and c.persona and c.channel and c.lead_target
            versions = _count(s, BriefVersion.campaign_id == c.id, model=BriefVersion)
            assert versions == c.brief_version
        stages = s.exec(
            select(Definition).where(Definition.category == "stage").order_by(Definition.position)
        ).all()
        assert [d.position for d in stages] == list(range(1, 8))
        keys = {d.key for d in s.exec(select(Definition)).all()}
        assert {"prospect_vs_lead", "mql", "sql", "icp"} <= keys
        mql = s.exec(
            select(Definition).where(Definition.key == "mql", Definition.version == 1)
        ).one()
        assert mql.owner_team == "marketing" and "score >= 60" in mql.rule
        assert _count(s, Definition.version == 2, model=Definition) >= 1
        assert summary.meetings == _count(s, model=Meeting)
        assert summary.actions == _count(s, model=Action)
        assert summary.decisions == _count(s, model=Decision)


def test_the_demos_rejection_reasons_are_the_lists_one_category_each(built):
    """Issue 13, defect 8: the demo wrote "student/competitor" while sales picked
    "Student / competitor" — two chart categories for one reason. Now both store the key."""
    from smarketing.quality import cohorts as quality
    from smarketing.quality import reasons, verdicts

    engine, _ = built
    with Session(engine) as s:
        listed = {r.key: r.label for r in reasons.reasons(s)}
        stored = set(s.exec(select(Verdict.reason).distinct()).all()) | set(
            s.exec(select(Lead.rejection_reason).distinct()).all()
        )
        assert stored - {None} <= set(listed)
        # a verdict picked from the list today lands in the demo's category
        mql = s.exec(
            select(Lead).where(Lead.mql_at.is_not(None), Lead.rejected_at.is_(None)).limit(1)
        ).one()
        verdicts.record_verdict(
            s,
            actor=Actor.of("sam", {"sales"}),
            lead_id=mql.id,
            verdict="rejected",
            reason="Student / competitor",
            now=NOW,
        )
        cohort = quality.Cohort(date(2025, 1, 1), TODAY)
        by_source = quality.rejection_reasons(s, cohort, "source")
        totals = quality.reason_totals(s, cohort)
    # one category per reason: the labels are the list's, each key once per value
    assert set(by_source["reason"]) <= set(listed.values())
    assert not by_source.duplicated(["value", "reason"]).any()
    assert totals["reason"].is_unique and totals["reason_key"].is_unique
    assert "Student / competitor" in set(totals["reason"])
    assert "student/competitor" not in set(by_source["reason"])


def test_clear_demo_removes_the_untouched_demo_and_keeps_users_and_settings(built):
    engine, _ = built
    with Session(engine) as s:
        s.add(User(username="anna", name="Anna", email="anna@example.com", password_hash="x"))
        set_setting(s, "theme", "dark")
        s.commit()
        version = data_version(s)
    # nobody touched the demo: without the starting point nothing of it is left
    deleted = demo.clear_demo(engine, actor=CLI_ACTOR, keep_starting_point=False).removed
    assert deleted["lead"] == SMALL
    assert deleted["lead_activity"] > SMALL
    with Session(engine) as s:
        for table in TABLES_WITH_DEMO:
            assert s.exec(select(func.count()).select_from(table)).one() == 0, table.name
        assert s.exec(select(User)).one().username == "anna"
        assert get_setting(s, "theme") == "dark"
        assert get_setting(s, demo.DEMO_SETTING) == "0"
        assert data_version(s) > version
        assert not demo.has_demo(s)
    # and it can be written again afterwards
    assert _build(engine, leads=200).leads == 200


def test_building_twice_or_with_bad_sizes_raises(built):
    engine, _ = built
    with pytest.raises(InvalidInput):
        _build(engine, leads=100)
    with Session(engine) as s:
        assert _count(s) == SMALL  # nothing half-written


def test_a_failure_half_way_leaves_no_demo_behind(engine, monkeypatch):
    monkeypatch.setattr(demo, "CHUNK", 500)  # several chunks written before the failure
    seen = []

    def explode(fraction: float, text: str) -> None:
        seen.append(fraction)
        if fraction > 0.5:
            raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        demo.build_demo(engine, leads=2000, now=NOW, progress=explode)
    assert len(seen) >= 4
    with Session(engine) as s:
        for table in TABLES_WITH_DEMO:
            assert s.exec(select(func.count()).select_from(table)).one() == 0, table.name
        assert not demo.has_demo(s)
    assert _build(engine, leads=100).leads == 100


@pytest.mark.parametrize(
    "kwargs",
    [
        {"leads": 0},  # no leads
        {"months": 0},  # no months
        {"now": datetime(2026, 11, 18, 12)},  # naive now
    ],
)
def test_invalid_arguments_raise(engine, kwargs):
    with pytest.raises(InvalidInput):
        _build(engine, **kwargs)


@pytest.mark.parametrize("months", [1, 2, 5])
def test_short_stories_still_hold_together(engine, months):
    summary = _build(engine, leads=400, months=months)
    assert summary.leads == 400
    with Session(engine) as s:
        first = s.exec(select(func.min(Lead.created_at))).one()
        assert first >= NOW - timedelta(days=31 * months + 1)
        v1, v2 = s.exec(select(SlaAgreement).order_by(SlaAgreement.version)).all()
        assert v1.effective_from < v2.effective_from <= TODAY.replace(day=1)
        overdue = select(Action).where(Action.status == "open", Action.due_date < TODAY)
        assert len(s.exec(overdue).all()) == 1


def test_progress_is_reported_up_to_one(engine):
    calls: list[tuple[float, str]] = []
    _build(engine, leads=500, progress=lambda f, t: calls.append((f, t)))
    fractions = [f for f, _ in calls]
    assert len(calls) >= 4
    assert fractions == sorted(fractions)
    assert all(0.0 <= f <= 1.0 for f in fractions)
    assert fractions[-1] == 1.0
    assert all(isinstance(t, str) and t for _, t in calls)


def test_only_admin_may_clear_or_build(engine):
    with pytest.raises(PermissionDenied):
        demo.clear_demo(engine, actor=Actor.of("sam", {"sales"}))
    with pytest.raises(PermissionDenied):
        demo.build_demo(engine, leads=10, now=NOW, actor=Actor.of("mia", {"marketing"}))


# --- the demo company in Norwegian ------------------------------------------------------------


def _shape(value):
    """A content value's shape: lists and tuples by length and item shape, dicts by keys,
    callables and texts by kind (the texts themselves differ between languages)."""
    if isinstance(value, list | tuple):
        return (type(value).__name__, [_shape(v) for v in value])
    if isinstance(value, dict):
        return {k: _shape(v) for k, v in value.items()}
    if callable(value):
        return "callable"
    return type(value).__name__ if isinstance(value, str) or value is None else value


def test_both_languages_have_the_same_texts_in_the_same_shape():
    from smarketing.demo import content_en, content_nb

    def public(module):
        return {
            name: _shape(getattr(module, name))
            for name in dir(module)
            if name.isupper() and name != "LOCALE"
        }

    en, nb = public(content_en), public(content_nb)
    assert en.keys() == nb.keys()
    for name in en:
        if name != "AGENDA_TITLES":  # English keeps the built-in agenda's titles
            assert en[name] == nb[name], name
    functions = {n for n in dir(content_en) if callable(getattr(content_en, n))}
    assert functions <= set(dir(content_nb))
    # the rules are the app's rule syntax: the same in both languages
    assert [t[4] for t in content_en.TERMS] == [t[4] for t in content_nb.TERMS]
    assert content_en.MQL_V2_RULE == content_nb.MQL_V2_RULE


@pytest.fixture
def both(engine, new_database_url):
    """The same small demo company written in English (first engine) and in Norwegian."""
    nb = make_engine(new_database_url("nb", migrated=True))
    upgrade_to_head(nb)
    _build(engine, language="en")
    _build(nb, language="nb")
    yield engine, nb
    nb.dispose()


def test_the_norwegian_demo_is_written_in_norwegian(both):
    _, nb = both
    with Session(nb) as s:
        personas = s.exec(select(Persona).order_by(Persona.id)).all()
        assert [p.name for p in personas] == [
            "Markedssjef Maria",
            "Salgssjef Henrik",
            "IT-leder Ingrid",
            "Gründer Frida",
        ]
        assert personas[1].role == "Salgssjef / salgsdirektør"
        assert "SLA for responstid: hver MQL blir ringt innen få timer" in personas[1].messages
        terms = {d.key: d for d in s.exec(select(Definition).where(Definition.version == 1))}
        assert terms["mql"].term == "Markedskvalifisert lead (MQL)"
        assert terms["sql"].term == "Salgskvalifisert lead (SQL)"
        assert terms["icp"].term == "Ideell kundeprofil"
        assert terms["stage_opportunity"].term == "Salgsmulighet"
        assert terms["mql"].rule == "score >= 60 and company e-mail"  # the rule syntax stays
        campaigns = {c.name: c for c in s.exec(select(Campaign))}
        assert "Webinar: det ukentlige smarketing-møtet" in campaigns
        ebook = campaigns["Lansering av SLA-e-boka"]
        assert (ebook.persona, ebook.channel) == ("Markedssjef Maria", "Organisk søk")
        assert ebook.goal.startswith(
            "Skaffe leads fra **Markedssjef Maria** via organisk søk med tilbudet "
            "*E-boka om smarketing-SLA*."
        )
        assert ebook.timeline.startswith("- Start: ")
        assert "des." in ebook.timeline or "jan." in ebook.timeline  # dates written in nb
        v2 = s.exec(select(SlaAgreement).where(SlaAgreement.version == 2)).one()
        assert v2.reason.endswith("strammer inn responstiden til 2 timer.")
        weekly = s.exec(
            select(Meeting).where(Meeting.kind == "weekly").order_by(Meeting.held_on)
        ).all()
        assert weekly[-1].title == "Ukentlig smarketing — uke 48"
        assert '"title": "Resultattavle"' in weekly[-1].agenda
        monthly = s.exec(select(Meeting).where(Meeting.kind == "monthly")).all()
        assert "Månedlig ledermøte — november 2026" in {m.title for m in monthly}
        rr = s.exec(select(Action).where(Action.title.startswith("Round robin-fordeling"))).one()
        assert rr.title == "Round robin-fordeling av MQL-er + daglig triage"
        notes = [n.body for n in s.exec(select(MeetingNote))]
        assert any(n.startswith("Forrige uke: ") and " MQL-er mot rundt " in n for n in notes)
        assert any(
            re.search(r"^Median tid til første kontakt \d+,\d\st; \d+\s% av", n) for n in notes
        )
        decisions = {d.text for d in s.exec(select(Decision))}
        assert "SLA versjon 1 er utgangspunktet fra 1. desember 2025." in decisions
        assert (
            "Vi tar i bruk SLA versjon 2 fra 1. september 2026: 150 MQL-er i måneden og "
            "første kontakt innen 2 timer." in decisions
        )
        causes = {c.text for c in s.exec(select(SlaCause))}
        assert "Sommerferie: trafikk og konverteringer halveres hver juli." in causes
        assert {c.category for c in s.exec(select(SlaCause))} <= set(CATEGORIES)
        sources = set(s.exec(select(Lead.source).distinct()).all())
        assert {"Betalt søk", "Organisk søk", "Webinar"} <= sources
        comments = {v.comment for v in s.exec(select(Verdict))}
        assert "Student som skriver masteroppgave" in comments
        details = {a.detail for a in s.exec(select(LeadActivity).limit(2000))}
        assert "Introsamtale" in details or "Intro-e-post" in details
        # the database values stay machine values in both languages
        assert set(s.exec(select(Lead.rejection_reason).distinct()).all()) <= {
            None,
            "wrong_persona",
            "no_budget",
            "bad_data",
            "student_competitor",
            "duplicate",
            "not_reachable",
        }


def test_the_figures_are_the_same_in_both_languages(both):
    en, nb = both
    english = [tuple(row) for row in _lead_rows(en)]
    norwegian = [tuple(row) for row in _lead_rows(nb)]
    assert len(english) == len(norwegian) == SMALL
    assert english == [
        (*row[:5], _ENGLISH_SOURCE[row[5]], _ENGLISH_PERSONA.get(row[6]), *row[7:])
        for row in norwegian
    ]
    for kind, day in (("month", TODAY), ("month", date(2026, 4, 15)), ("week", TODAY)):
        with Session(en) as s:
            a = sla_report(s, period_containing(kind, day), now=NOW)
        with Session(nb) as s:
            b = sla_report(s, period_containing(kind, day), now=NOW)
        for key in (
            "mqls_delivered",
            "mql_acceptance_rate",
            "contacted_within_sla_rate",
            "median_first_contact_hours",
            "sqls",
            "close_rate",
        ):
            x, y = a.metric(key), b.metric(key)
            assert (x.actual, x.target, x.status) == (y.actual, y.target, y.status), key
    with Session(en) as s:
        en_meetings = [
            (m.kind, m.held_on, m.status)
            for m in s.exec(select(Meeting).order_by(Meeting.held_on, Meeting.kind))
        ]
        en_counts = [_count(s, model=m) for m in (Action, Decision, MeetingNote, SlaCause)]
    with Session(nb) as s:
        nb_meetings = [
            (m.kind, m.held_on, m.status)
            for m in s.exec(select(Meeting).order_by(Meeting.held_on, Meeting.kind))
        ]
        nb_counts = [_count(s, model=m) for m in (Action, Decision, MeetingNote, SlaCause)]
    assert en_meetings == nb_meetings and en_counts == nb_counts


_ENGLISH_SOURCE = {
    "Betalt søk": "Paid search",
    "Organisk søk": "Organic search",
    "Webinar": "Webinar",
    "LinkedIn": "LinkedIn",
    "Arrangementer": "Events",
    "Anbefalinger": "Referral",
}
_ENGLISH_PERSONA = {
    "Markedssjef Maria": "Marketing Manager Maria",
    "Salgssjef Henrik": "Head of Sales Henrik",
    "IT-leder Ingrid": "IT Lead Ingrid",
    "Gründer Frida": "Founder Frida",
}


def test_the_norwegian_demo_is_removed_like_the_english_one(both):
    from smarketing import i18n

    _, nb = both
    # the plan in Norwegian words (figures written the Norwegian way)
    with Session(nb) as s, i18n.language("nb"):
        planned = demo.removal_plan(s, keep_starting_point=True)
        removed = planned.removed_lines()
        text = planned.text(dry_run=True)
    assert removed[0].startswith("3\xa0000 leads fra demoen med tilhørende ")
    assert " aktiviteter og " in removed[0] and removed[0].endswith(" vurderinger")
    assert text.startswith("Ville fjernet (demodata ingen har rørt):\n")
    assert "Ville beholdt som utgangspunkt:\n" in text
    assert "  - SLA-avtalen v2 (med v1 før den)" in text
    assert text.endswith(
        "Brukere, roller, innstillinger (agendamaler, avvisningsgrunner) og revisjonsloggen "
        "endres ikke."
    )
    # and the removal itself: it finds the demo by its mark, not by its words
    plan = demo.clear_demo(nb, actor=CLI_ACTOR, keep_starting_point=True)
    assert plan.removed["lead"] == SMALL
    with Session(nb) as s:
        assert _count(s) == 0 and not demo.has_demo(s)
        assert _count(s, Meeting.is_demo == True, model=Meeting) == 0  # noqa: E712
        # the starting point stays, in Norwegian, and is no longer demo data
        kept = s.exec(select(Persona.name, Persona.is_demo)).all()
        assert ("Markedssjef Maria", False) in kept
        assert _count(s, Definition.term == "Ideell kundeprofil", model=Definition) == 2


def test_the_demo_speaks_the_app_default_language(engine, monkeypatch):
    monkeypatch.setenv("SMARKETING_LANGUAGE", "nb")
    _build(engine, leads=200)
    with Session(engine) as s:
        assert _count(s, Persona.name == "Gründer Frida", model=Persona) == 1
    with pytest.raises(InvalidInput):
        _build(engine, leads=200, language="sv")
