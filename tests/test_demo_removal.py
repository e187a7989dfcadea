"""Removing the demo company keeps the team's work (issue 13, defect 1).

A team runs the demo's planned weekly meeting, edits a definition and a persona, publishes a
brief, agrees a new SLA version, records a cause and a verdict — then removes the demo. What
they made or touched stays; what the demo generated and nobody touched goes; the plan shown
beforehand is exactly what happens.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, insert
from sqlmodel import Session, SQLModel, select

from smarketing import demo
from smarketing.auth import users
from smarketing.auth.permissions import CLI_ACTOR, Actor
from smarketing.content import campaigns, definitions, personas
from smarketing.demo import removal
from smarketing.errors import PermissionDenied
from smarketing.meetings import actions, attendance, closing, notes, records, running
from smarketing.quality import verdicts
from smarketing.sla import agreements, causes
from smarketing.sla.periods import period_containing
from smarketing.store.models import (
    Action,
    ActionReview,
    AuditEntry,
    BriefVersion,
    Campaign,
    Definition,
    Lead,
    Meeting,
    MeetingNote,
    Persona,
    PersonaVersion,
    SlaAgreement,
)
from tests.conftest import NOW

MIA = Actor.of("mia", {"marketing"})
SAM = Actor.of("sam", {"sales"})
LEA = Actor.of("lea", {"leadership"})
#: The demo (as of Wed 18 Nov 2026) plans the next weekly meeting on Monday 23 Nov.
MEETING_DAY = date(2026, 11, 23)
STARTED = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
EDITED_PERSONA = "Founder Frida"
#: its brief names "Head of Sales Henrik", so that persona stays with it
EDITED_CAMPAIGN = "Webinar: the weekly smarketing meeting"
EDITED_DEFINITION = "mql"
ALL_TABLES = sorted(t.name for t in SQLModel.metadata.sorted_tables)
ROLLUP_TABLES = [t.name for t in SQLModel.metadata.sorted_tables if t.name.startswith("rollup_")]
DEMO_TABLES = [t for t in SQLModel.metadata.sorted_tables if "is_demo" in t.c]


def counts(engine) -> dict[str, int]:
    """Rows per table, every table of the schema."""
    with Session(engine) as s:
        return {
            t.name: s.exec(select(func.count()).select_from(t)).one()
            for t in SQLModel.metadata.sorted_tables
        }


def demo_rows(engine) -> int:
    """Rows still marked demo, all tables together."""
    with Session(engine) as s:
        return sum(
            s.exec(select(func.count()).select_from(t).where(t.c.is_demo.is_(True))).one()
            for t in DEMO_TABLES
        )


@pytest.fixture
def built(engine):
    """A small demo company as of NOW, and the team's four users."""
    demo.build_demo(engine, leads=300, months=3, now=NOW, seed=7)
    with Session(engine) as s:
        for username, role in (("ada", "admin"), ("mia", "marketing"), ("sam", "sales")):
            users.add_user(
                s,
                actor=CLI_ACTOR,
                username=username,
                name=username.title(),
                email=f"{username}@example.com",
                roles=[role],
                password="correct horse battery",
            )
        users.add_user(
            s,
            actor=CLI_ACTOR,
            username="lea",
            name="Lea",
            email="lea@example.com",
            roles=["leadership"],
            password="correct horse battery",
        )
    return engine


def work_on_the_demo(engine) -> dict:
    """A person's write in every category, through the domain functions; returns what the
    expectations need (ids, and how many demo rows the touched things had)."""
    facts: dict = {}
    with Session(engine, expire_on_commit=False) as s:
        # the planned weekly meeting, run in meeting mode
        planned = records.next_meeting(s, today=NOW.date(), kind="weekly")
        assert planned.held_on == MEETING_DAY and planned.is_demo
        mid = facts["meeting"] = planned.id
        running.start_meeting(s, actor=MIA, meeting_id=mid, now=STARTED)
        notes.save_note(
            s,
            actor=MIA,
            meeting_id=mid,
            step="scorecard",
            body="MQLs behind plan.",
            expected_revision=None,
            now=STARTED,
        )
        notes.save_note(
            s,
            actor=SAM,
            meeting_id=mid,
            step="sla_challenges",
            body="Lars is on leave.",
            expected_revision=None,
            now=STARTED,
        )
        running.add_decision(
            s,
            actor=MIA,
            meeting_id=mid,
            text="Take Lars out of the round-robin.",
            decided_by="both teams",
            decided_on=MEETING_DAY,
        )
        new = actions.add_action(
            s,
            actor=MIA,
            title="Rebalance the round-robin",
            owner="sam",
            due_date=MEETING_DAY + timedelta(days=7),
            meeting_id=mid,
            today=MEETING_DAY,
        )
        facts["new_action"] = new.id
        up = actions.actions_for_review(s, mid)
        assert len(up) > 1 and all(a.is_demo for a in up)  # the others are carried over
        facts["reviewed_action"] = up[0].id
        facts["carried_actions"] = [a.id for a in up[1:]]
        actions.review_action(
            s, actor=SAM, action_id=up[0].id, meeting_id=mid, outcome="done", now=STARTED
        )
        attendance.rate_meeting(s, actor=MIA, meeting_id=mid, rating=8)
        attendance.rate_meeting(s, actor=SAM, meeting_id=mid, rating=7)
        closing.close_meeting(s, actor=MIA, meeting_id=mid, now=STARTED + timedelta(hours=1))

        # a definition, a persona, a campaign brief
        newest = definitions._newest(s, EDITED_DEFINITION)
        facts["definition_versions"] = newest.version + 1
        definitions.save_definition(
            s,
            actor=MIA,
            key=EDITED_DEFINITION,
            term=newest.term,
            owner_team=newest.owner_team,
            body=newest.body + " A score of 60 or more.",
            rule=newest.rule,
            agreed_on=newest.agreed_on,
            agreed_by=newest.agreed_by,
        )
        frida = personas.persona_by_name(s, EDITED_PERSONA)
        facts["persona_versions"] = len(personas.persona_versions(s, frida.id)) + 1
        personas.save_persona(
            s, actor=MIA, persona_id=frida.id, fields={"goals": frida.goals + " Fewer tools."}
        )
        webinar = s.exec(select(Campaign).where(Campaign.name == EDITED_CAMPAIGN)).one()
        facts["campaign"] = webinar.id
        facts["named_persona"] = webinar.persona
        facts["brief_versions"] = len(campaigns.brief_versions(s, webinar.id)) + 1
        campaigns.save_draft(
            s, actor=MIA, campaign_id=webinar.id, fields={"key_message": "Run it in 30 min."}
        )
        campaigns.publish_brief(s, actor=MIA, campaign_id=webinar.id)

        # a new SLA version, proposed and confirmed by both teams
        base = agreements.current_targets(s, NOW.date())
        v3 = agreements.propose_agreement(
            s,
            actor=LEA,
            targets=base | {"mql_target": 160},
            effective_from=date(2026, 12, 1),
            reason="Two more webinars a month",
        )
        facts["agreement"] = v3.version
        agreements.confirm_agreement(s, actor=MIA, version=v3.version, team="marketing")
        agreements.confirm_agreement(s, actor=SAM, version=v3.version, team="sales")

        # a "why?" and a verdict and a contact on a demo lead
        causes.record_cause(
            s,
            actor=SAM,
            metric="contacted_within_sla_rate",
            period=period_containing("week", NOW.date()),
            category="Staffing / capacity",
            text="Two AEs at a fair.",
        )
        lead = s.exec(
            select(Lead)
            .where(Lead.mql_at.is_not(None), Lead.accepted_at.is_(None), Lead.rejected_at.is_(None))
            .order_by(Lead.id)
        ).first()
        verdicts.record_verdict(s, actor=SAM, lead_id=lead.id, verdict="accepted", reason=None)
        verdicts.record_contact(
            s, actor=SAM, lead_id=lead.id, kind="call", detail="Booked a demo", attempt=False
        )
    return facts


def expected_after(before: dict, facts: dict, keep_starting_point: bool) -> dict[str, int]:
    """Rows per table after the removal, for every table of the schema."""
    start = keep_starting_point
    return {
        # demo leads are fictional: they go with every row on them, Sam's verdict and call too
        "lead": 0,
        "lead_activity": 0,
        "verdict": 0,
        "lead_change": 0,
        # no lead left: no daily rollup row, nothing in their change log
        **{name: 0 for name in ROLLUP_TABLES},
        # the meeting the team ran, with its 2 notes, decision, new action, 2 ratings and the
        # review of the demo action Sam marked done (the automatic carry-overs were demo)
        # and the next weekly meeting, planned when they closed it
        "meeting": 2,
        "meeting_note": 2,
        "decision": 1,
        "meeting_rating": 2,
        "meeting_attendee": 2,  # who rated is on the attendee list
        "action": 2,  # the new one and the reviewed demo one
        "action_review": 1,
        "sla_cause": 1,
        # the edited and republished campaign with its whole brief history, and who read it
        "campaign": 1,
        "brief_version": facts["brief_versions"],
        "brief_view": 1,
        # all of the demo's definitions, personas and agreement as the starting point, or
        # only what the team touched: MQL's whole history, Frida and the persona the kept
        # brief names, version 3 with its two confirmations
        "definition": before["definition"] if start else facts["definition_versions"],
        "persona": before["persona"] if start else 2,
        "persona_version": before["persona_version"] if start else facts["persona_versions"] + 1,
        "sla_agreement": before["sla_agreement"] if start else 1,
        "sla_confirmation": before["sla_confirmation"] if start else 2,
        # never touched: users, settings, the list of rejection reasons; the audit log gets
        # one row for the removal
        "user": before["user"],
        "setting": before["setting"],
        "rejection_reason": before["rejection_reason"],
        "audit_log": before["audit_log"] + 1,
        "import_run": before["import_run"],
        "import_undo": 0,  # only while an import runs
        # logins are people's, not demo data
        "login_session": before["login_session"],
        "login_throttle": before["login_throttle"],
        # the live-data set-up is the team's: sources, tokens, received events, job leases
        "data_source": before["data_source"],
        "api_token": before["api_token"],
        "event_inbox": before["event_inbox"],
        "job_lock": before["job_lock"],
        # notifications are about real people's work and their choices: all of them stay
        "notification": before["notification"],
        "notify_preference": before["notify_preference"],
        "team_channel": before["team_channel"],
    }


@pytest.mark.parametrize("keep_starting_point", [True, False], ids=["starting-point", "all"])
def test_removing_the_demo_keeps_what_the_team_made_or_touched(built, keep_starting_point):
    facts = work_on_the_demo(built)
    before = counts(built)
    options = {} if keep_starting_point else {"keep_starting_point": False}
    demo.clear_demo(built, actor=CLI_ACTOR, **options)
    after = counts(built)
    expected = expected_after(before, facts, keep_starting_point)
    assert sorted(expected) == ALL_TABLES  # a new table needs an expectation here
    assert after == expected
    assert demo_rows(built) == 0  # what stays is the team's: nothing is marked demo
    with Session(built) as s:
        assert not demo.has_demo(s)
        meeting = s.get(Meeting, facts["meeting"])
        assert meeting.status == "closed" and meeting.minutes
        reviewed = s.get(Action, facts["reviewed_action"])
        assert reviewed.status == "done" and reviewed.meeting_id is None  # its meeting went
        assert s.get(Action, facts["new_action"]).meeting_id == facts["meeting"]
        assert all(s.get(Action, i) is None for i in facts["carried_actions"])
        assert s.exec(select(SlaAgreement.version).order_by(SlaAgreement.version)).all() == (
            [1, 2, facts["agreement"]] if keep_starting_point else [facts["agreement"]]
        )
        names = s.exec(select(Persona.name).order_by(Persona.name)).all()
        if not keep_starting_point:
            assert names == [EDITED_PERSONA, facts["named_persona"]]


def test_a_persons_write_adopts_the_demo_rows_it_touches(built):
    facts = work_on_the_demo(built)
    with Session(built) as s:
        assert not s.get(Meeting, facts["meeting"]).is_demo
        assert not s.get(Action, facts["reviewed_action"]).is_demo
        # carrying the other open actions over is automatic: they stay demo
        assert all(s.get(Action, i).is_demo for i in facts["carried_actions"])
        carried = s.exec(
            select(ActionReview).where(ActionReview.meeting_id == facts["meeting"])
        ).all()
        assert sorted((r.outcome, r.is_demo) for r in carried) == [("carried", True)] * len(
            facts["carried_actions"]
        ) + [("done", False)]
        mql = s.exec(select(Definition).where(Definition.key == EDITED_DEFINITION)).all()
        assert [d.is_demo for d in mql] == [False] * facts["definition_versions"]
        frida = personas.persona_by_name(s, EDITED_PERSONA)
        assert not frida.is_demo
        assert not any(
            v.is_demo
            for v in s.exec(select(PersonaVersion).where(PersonaVersion.persona_id == frida.id))
        )
        assert not s.get(Campaign, facts["campaign"]).is_demo
        assert not any(
            v.is_demo
            for v in s.exec(
                select(BriefVersion).where(BriefVersion.campaign_id == facts["campaign"])
            )
        )
        # untouched demo rows stay demo
        assert s.exec(select(func.count()).select_from(Meeting).where(Meeting.is_demo)).one()
        assert personas.persona_by_name(s, "IT Lead Ingrid").is_demo


def test_the_plan_is_exactly_what_the_removal_does(built):
    work_on_the_demo(built)
    before = counts(built)
    with Session(built) as s:
        demo.removal_plan(s, keep_starting_point=False)
        plan = demo.removal_plan(s, keep_starting_point=True)
    assert counts(built) == before and demo.has_demo(Session(built))  # looking changes nothing
    done = demo.clear_demo(built, actor=CLI_ACTOR, keep_starting_point=True)
    after = counts(built)
    assert done.removed == plan.removed
    assert done.tables == plan.tables
    for table, p in plan.tables.items():
        assert before[table] - after[table] == p.remove, table
        assert after[table] == p.keep_yours + p.keep_start, table
    assert plan.removed["lead"] == 300
    assert plan.kept_start["definition"] == before["definition"] - 3  # all but MQL's 3
    with Session(built) as s:
        entry = s.exec(select(AuditEntry).where(AuditEntry.action == "demo.clear")).one()
    assert '"lead": 300' in entry.detail and '"keep_starting_point": true' in entry.detail


def test_the_plan_in_words(built):
    facts = work_on_the_demo(built)
    with Session(built) as s:
        plan = demo.removal_plan(s)
        leads = plan.count("lead")
    removed = plan.removed_lines()
    assert removed[0].startswith(f"{leads} demo leads with their ")
    assert removed[0].endswith("(including 1 verdict and 1 contact your team recorded on them)")
    assert plan.kept_lines() == [
        "your meeting of 23 Nov 2026 (“Weekly smarketing — week 48”) with 2 notes, 1 decision, "
        "1 action, 2 ratings, 2 attendees and 1 action review",
        "your meeting planned for 30 Nov 2026 (“Weekly smarketing — week 49”)",
        "1 demo action your team reviewed or closed (it stays on the action list, without the "
        "demo meeting it came from)",
        "1 definition your team wrote or edited (Marketing-qualified lead (MQL)), with all its "
        "versions",
        f"1 persona your team wrote or edited ({EDITED_PERSONA})",
        f"1 persona your campaign briefs name ({facts['named_persona']})",
        f"1 campaign your team wrote, edited or published ({EDITED_CAMPAIGN})",
        "the SLA agreement v3, proposed or confirmed by your team",
        '1 "why?" cause your team recorded',
    ]
    start = plan.starting_point_lines()
    assert start[-2] == "the SLA agreement v2 (with v1 before it)"
    assert start[1] == "2 personas (Marketing Manager Maria and IT Lead Ingrid)"
    text = plan.text(dry_run=True)
    assert "Would remove (demo data nobody touched):" in text
    assert "Would keep as your starting point:" in text


def test_rows_written_before_adoption_keep_their_demo_parents(built):
    """The safety net: a person's row that did not adopt its demo parent (written before
    adoption existed, or by a path that forgot) keeps that parent, and the parent its rows."""
    with Session(built) as s:
        old = s.exec(
            select(Meeting).where(Meeting.status == "closed").order_by(Meeting.held_on)
        ).first()
        demo_notes = len(records.notes_for(s, old.id))
        ingrid = personas.persona_by_name(s, "IT Lead Ingrid")
        icp = definitions._newest(s, "icp")
        action = s.exec(select(Action).where(Action.status == "open")).first()
        late = records.next_meeting(s, today=NOW.date(), kind="weekly")  # planned, demo
    with built.begin() as conn:  # raw rows, as an older version wrote them: not adopted
        conn.execute(
            insert(MeetingNote.__table__).values(
                meeting_id=old.id,
                step="actions_review",
                author="mia",
                body="Typed by a person.",
                revision=1,
                created_at=NOW,
                updated_at=NOW,
                is_demo=False,
            )
        )
        conn.execute(
            insert(PersonaVersion.__table__).values(
                persona_id=ingrid.id, version=2, data="{}", saved_by="mia", saved_at=NOW
            )
        )
        conn.execute(
            insert(Definition.__table__).values(
                key="icp",
                version=icp.version + 1,
                term=icp.term,
                category=icp.category,
                position=icp.position,
                owner_team=icp.owner_team,
                body="Ours now.",
                agreed_by="",
                created_by="ada",
                created_at=NOW,
                is_demo=False,
            )
        )
        conn.execute(
            insert(ActionReview.__table__).values(
                action_id=action.id,
                meeting_id=late.id,
                outcome="dropped",
                note="Not needed.",
                reviewed_by="sam",
                reviewed_at=NOW,
                is_demo=False,
            )
        )
    demo.clear_demo(built, actor=CLI_ACTOR, keep_starting_point=False)
    with Session(built) as s:
        kept = s.get(Meeting, old.id)
        assert kept is not None and len(records.notes_for(s, old.id)) == demo_notes + 1
        assert personas.persona_by_name(s, "IT Lead Ingrid") is not None
        assert len(definitions.definition_history(s, "icp")) == icp.version + 1
        assert s.get(Action, action.id) is not None and s.get(Meeting, late.id) is not None
        assert s.exec(select(func.count()).select_from(Lead)).one() == 0
    assert demo_rows(built) == 0


def test_a_failed_removal_leaves_the_database_as_it_was(built, monkeypatch):
    work_on_the_demo(built)
    before, flagged = counts(built), demo_rows(built)

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(removal.audit, "record", broken)  # after every delete and update
    with pytest.raises(RuntimeError):
        demo.clear_demo(built, actor=CLI_ACTOR)
    assert counts(built) == before
    assert demo_rows(built) == flagged
    with Session(built) as s:
        assert demo.has_demo(s)
    monkeypatch.undo()
    assert demo.clear_demo(built, actor=CLI_ACTOR).removed["lead"] == 300


def test_every_table_that_can_hang_off_a_demo_row_is_in_the_rule():
    """A new table with demo rows, or hanging off a table the removal deletes from, must be
    placed in the rule (smarketing/demo/removal.py) — else removing the demo would fail on
    a foreign key or leave demo rows behind."""
    covered = set(removal.TABLES)
    for table in SQLModel.metadata.sorted_tables:
        parents = {fk.column.table.name for fk in table.foreign_keys}
        if "is_demo" in table.c or parents & covered:
            assert table.name in covered, table.name


def test_only_an_admin_may_remove_the_demo(built):
    with pytest.raises(PermissionDenied):
        demo.clear_demo(built, actor=MIA)
    assert counts(built)["lead"] == 300


def test_a_row_added_between_plan_and_removal_stops_it(built, monkeypatch):
    """A note written on a demo meeting after the plan was made (the plan would delete the
    meeting under it): the removal stops with a message and nothing changes."""
    before = counts(built)
    planned = removal.removal_plan

    def plan_then_a_note(session, **kwargs):
        plan = planned(session, **kwargs)
        doomed = min(plan.remove_ids["meeting"])
        session.execute(
            insert(MeetingNote.__table__).values(
                meeting_id=doomed,
                step="scorecard",
                author="mia",
                body="Typed meanwhile.",
                revision=1,
                created_at=NOW,
                updated_at=NOW,
                is_demo=False,
            )
        )
        return plan

    monkeypatch.setattr(removal, "removal_plan", plan_then_a_note)
    with pytest.raises(removal.DemoChangedMeanwhile, match="nothing was removed"):
        demo.clear_demo(built, actor=CLI_ACTOR)
    assert counts(built) == before
    with Session(built) as s:
        assert demo.has_demo(s)
