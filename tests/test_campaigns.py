"""Campaigns: drafts and published briefs, what each role may read, "new for you", the
Markdown export, the live funnel and the MQLs waiting for contact.

The funnel dataset ("Webinar", now = Wed 18 Nov 2026 13:00 Oslo). Agreement v1 from 1 Oct
(4 response hours), v2 from 10 Nov (8 response hours, contacted-in-time target 80 %):

lead mql_at (Oslo)   hours  first contact        verdict   later     due? in time?
C1   02 Nov 10:00    4      02 Nov 12:00 (+2 h)  accepted  sql, won  due  yes
C2   03 Nov 09:00    4      03 Nov 15:00 (+6 h)  accepted  sql       due  no (late)
C3   04 Nov 09:00    4      —                    rejected            due  no
C4   12 Nov 09:00    8      12 Nov 16:00 (+7 h)  accepted            due  yes (v2's 8 h)
C5   18 Nov 08:00    8      —                    —                   not yet (16:00 > 13:00)
C6   (no MQL)
C7   16 Nov 09:00    8      —                    —                   due  no
C8   20 Oct 10:00    4      20 Oct 09:00 (before the MQL: not a response)  due  no
X1   another campaign's MQL (not counted)

leads 8, MQLs 7, accepted 3, rejected 1 → acceptance 3/4 = 0.75; SQLs 2 → MQL→SQL 2/7;
customers 1; due 6 (C1 C2 C3 C4 C7 C8), in time 2 (C1 C4) → 1/3, red against 0.8.
Waiting (MQL, no contact, not rejected), oldest first: C8 (20 Oct 10:00 CEST → 18 Nov
13:00 CET = 29 days + 4 h = 700 h, past 4 h), C7 (52 h, past 8 h), C5 (5 h, not past 8 h).
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from smarketing import demo, i18n
from smarketing.auth.permissions import Actor
from smarketing.content.campaign_funnel import WAITING_COLUMNS, campaign_funnel, waiting_for_contact
from smarketing.content.campaigns import (
    BRIEF_FIELDS,
    LIST_COLUMNS,
    PUBLISHED_FIELDS,
    brief_for,
    brief_markdown,
    brief_versions,
    campaign_list,
    changes_since,
    mark_seen,
    publish_brief,
    save_draft,
    seen_version,
)
from smarketing.content.personas import persona_by_name, save_persona, set_archived
from smarketing.errors import InvalidInput, NotFound, PermissionDenied
from smarketing.sla.metrics import Status
from smarketing.store.db import data_version
from smarketing.store.models import AuditEntry, BriefVersion, BriefView, Campaign
from tests.conftest import NOW as DEMO_NOW
from tests.factories import add_lead, add_sla_agreement, oslo

NOW = oslo("2026-11-18 13:00")
AS_OF = date(2026, 11, 18)
ADA = Actor.of("ada", {"admin"})
MIA = Actor.of("mia", {"marketing"})
SAM = Actor.of("sam", {"sales"})
LEA = Actor.of("lea", {"leadership"})
T1 = oslo("2026-11-02 09:00")
T2 = oslo("2026-11-09 15:45")

BRIEF = {
    "goal": "Fill the pipeline with marketing managers",
    "offer": "The SLA e-book",
    "key_message": "One SLA, one scorecard, one meeting",
    "talking_points": "- Ask how leads are followed up today",
    "objections": '- **"No time."** — 30 minutes a week',
    "timeline": "- Start: 1 Nov 2026",
    "links": "- [Landing page](https://example.com/sla)",
    "sales_cta": "Call within the deadline and book a demo",
}


def draft(name: str = "Webinar", **changes) -> dict:
    return {
        "name": name,
        "channel": "Webinar",
        "persona": "Maria",
        "start_date": "2026-11-01",
        "end_date": "2026-12-15",
        "lead_target": 40,
        **BRIEF,
        **changes,
    }


@pytest.fixture
def personas(session):
    for name in ("Maria", "Henrik"):
        save_persona(
            session, actor=MIA, persona_id=None, fields={"name": name, "goals": "x"}, now=T1
        )


@pytest.fixture
def campaign(session, personas) -> Campaign:
    return save_draft(session, actor=MIA, campaign_id=None, fields=draft(), now=T1)


@pytest.fixture
def published(session, campaign) -> Campaign:
    publish_brief(session, actor=MIA, campaign_id=campaign.id, now=T1)
    return campaign


# --- drafts -------------------------------------------------------------------------------


def test_a_new_campaign_is_a_draft_with_every_field(session, campaign):
    assert campaign.brief_status == "draft" and campaign.brief_version == 0
    assert (campaign.start_date, campaign.end_date) == (date(2026, 11, 1), date(2026, 12, 15))
    assert campaign.lead_target == 40 and campaign.persona == "Maria"
    assert all(getattr(campaign, name) == text for name, text in BRIEF.items())
    assert (campaign.updated_by, campaign.updated_at) == ("mia", T1)
    audit = session.exec(select(AuditEntry).where(AuditEntry.entity == "campaign")).one()
    assert audit.action == "campaign.create" and audit.entity_id == str(campaign.id)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": ""}, "Campaign name is empty"),
        ({"name": "WEBINAR"}, "already a campaign called 'Webinar'"),  # case-insensitive
        ({"name": "n" * 201}, "Campaign name is 201 characters long; at most 200"),
        ({"key_message": "k" * 501}, "Key message is 501 characters long; at most 500"),
        ({"offer": "o" * 201}, "Offer is 201 characters long; at most 200"),
        ({"goal": "g" * 10_001}, "Goal is 10,001 characters long; at most 10,000"),
        ({"end_date": "2026-10-31"}, "End date 2026-10-31 is before the start date 2026-11-01"),
        ({"start_date": "1 Nov"}, "Start date must be a date like 2026-11-01"),
        ({"lead_target": -1}, "Lead target must be a whole number"),
        ({"lead_target": "many"}, "Lead target must be a whole number"),
        ({"persona": "Nobody"}, "no persona card called 'Nobody'"),
        ({"persona": "Henrik"}, "'Henrik' is archived"),  # archived in the test
        ({"budget": 10}, "unknown campaign field"),
    ],
)
def test_invalid_drafts_are_refused_naming_the_field(session, campaign, fields, message):
    set_archived(
        session, actor=MIA, persona_id=persona_by_name(session, "Henrik").id, archived=True
    )
    with pytest.raises(InvalidInput, match=message):
        save_draft(session, actor=MIA, campaign_id=None, fields=draft("Other") | fields)


def test_persona_is_matched_to_its_card_and_may_be_empty(session, personas):
    c = save_draft(session, actor=MIA, campaign_id=None, fields=draft(persona="maria"))
    assert c.persona == "Maria"  # the card's spelling
    c = save_draft(session, actor=MIA, campaign_id=c.id, fields={"persona": ""})
    assert c.persona is None


def test_a_campaign_keeps_a_persona_that_was_archived_later(session, campaign):
    set_archived(session, actor=MIA, persona_id=persona_by_name(session, "Maria").id, archived=True)
    edited = save_draft(session, actor=MIA, campaign_id=campaign.id, fields={"goal": "New goal"})
    assert edited.persona == "Maria" and edited.goal == "New goal"


def test_an_unchanged_draft_is_refused(session, campaign):
    with pytest.raises(InvalidInput, match="nothing changed"):
        save_draft(session, actor=MIA, campaign_id=campaign.id, fields=draft())


def test_renaming_a_campaign_that_leads_use_is_refused(session, campaign):
    add_lead(session, "C1", "2026-11-02 08:00", campaign="Webinar")
    with pytest.raises(InvalidInput, match="1 lead use the campaign name 'Webinar'"):
        save_draft(session, actor=MIA, campaign_id=campaign.id, fields={"name": "Webinar 2"})


def test_unknown_campaigns_are_not_found(session):
    for call in (
        lambda: save_draft(session, actor=MIA, campaign_id=9, fields={"goal": "x"}),
        lambda: publish_brief(session, actor=MIA, campaign_id=9),
        lambda: brief_for(session, 9, actor=SAM),
        lambda: brief_versions(session, 9),
        lambda: changes_since(session, 9, 0),
        lambda: mark_seen(session, campaign_id=9, username="sam"),
    ):
        with pytest.raises(NotFound, match="no campaign with id 9"):
            call()


# --- permissions --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("actor", "may"),
    [(ADA, True), (MIA, True), (SAM, False), (LEA, False)],
    ids=["admin", "marketing", "sales", "leadership"],
)
def test_only_admin_and_marketing_write_and_publish_briefs(session, campaign, actor, may):
    if may:
        save_draft(session, actor=actor, campaign_id=campaign.id, fields={"goal": "Changed"})
        assert publish_brief(session, actor=actor, campaign_id=campaign.id).version == 1
        assert save_draft(session, actor=actor, campaign_id=None, fields=draft("New")).id
        assert brief_for(session, campaign.id, actor=actor)["can_edit"]
    else:
        with pytest.raises(PermissionDenied, match="admin, marketing"):
            save_draft(session, actor=actor, campaign_id=campaign.id, fields={"goal": "Changed"})
        with pytest.raises(PermissionDenied):
            save_draft(session, actor=actor, campaign_id=None, fields=draft("New"))
        with pytest.raises(PermissionDenied):
            publish_brief(session, actor=actor, campaign_id=campaign.id)
        assert session.exec(select(func.count()).select_from(BriefVersion)).one() == 0
        assert brief_for(session, campaign.id, actor=actor) is None  # nothing published


# --- publishing ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("empty", "named"),
    [
        (["goal"], "Goal"),
        (["key_message"], "Key message"),
        (["sales_cta"], "Call to action for sales"),
        (["goal", "sales_cta"], "Goal, Call to action for sales"),
    ],
)
def test_a_brief_without_goal_message_or_call_to_action_is_not_published(
    session, campaign, empty, named
):
    save_draft(session, actor=MIA, campaign_id=campaign.id, fields=dict.fromkeys(empty, ""))
    with pytest.raises(InvalidInput, match=f"cannot be published without: {named} "):
        publish_brief(session, actor=MIA, campaign_id=campaign.id)


def test_publishing_freezes_the_draft_as_the_next_version(session, published):
    c = session.get(Campaign, published.id)
    assert (c.brief_status, c.brief_version) == ("published", 1)
    with pytest.raises(InvalidInput, match="version 1 of 'Webinar' already says exactly this"):
        publish_brief(session, actor=MIA, campaign_id=c.id)
    # an edit makes it a draft again; undoing the edit makes it "published" again
    save_draft(session, actor=MIA, campaign_id=c.id, fields={"offer": "A webinar seat"})
    assert session.get(Campaign, c.id).brief_status == "draft"
    save_draft(session, actor=MIA, campaign_id=c.id, fields={"offer": BRIEF["offer"]})
    assert session.get(Campaign, c.id).brief_status == "published"
    save_draft(session, actor=ADA, campaign_id=c.id, fields={"offer": "A webinar seat"})
    v2 = publish_brief(session, actor=ADA, campaign_id=c.id, now=T2)
    assert (v2.version, v2.published_by, v2.published_at) == (2, "ada", T2)
    versions = brief_versions(session, c.id)
    assert [v["version"] for v in versions] == [2, 1]
    assert [(v["published_by"], v["published_at"]) for v in versions] == [
        ("ada", T2),
        ("mia", T1),
    ]
    assert versions[1]["data"]["offer"] == "The SLA e-book"  # the old version is kept
    assert versions[0]["data"]["offer"] == "A webinar seat"
    assert versions[0]["data"]["start_date"] == date(2026, 11, 1)
    assert session.get(Campaign, c.id).brief_version == 2


# --- who reads what -----------------------------------------------------------------------


@pytest.mark.parametrize("reader", [SAM, LEA, None], ids=["sales", "leadership", "nobody"])
def test_readers_see_only_the_published_brief_never_the_draft(session, campaign, reader):
    save_draft(session, actor=MIA, campaign_id=campaign.id, fields={"goal": "Draft zero"})
    assert brief_for(session, campaign.id, actor=reader) is None  # never published
    publish_brief(session, actor=MIA, campaign_id=campaign.id, now=T1)
    save_draft(
        session,
        actor=MIA,
        campaign_id=campaign.id,
        fields={"goal": "SECRET DRAFT goal", "offer": "SECRET offer", "end_date": "2027-01-31"},
    )
    brief = brief_for(session, campaign.id, actor=reader)
    assert brief["draft"] is None and brief["can_edit"] is False
    assert brief["unpublished_changes"] == [] and brief["brief_status"] == "published"
    assert brief["published"]["goal"] == "Draft zero"
    assert brief["published"]["end_date"] == date(2026, 12, 15)
    assert "SECRET" not in repr(brief) and "2027" not in repr(brief)
    listed = campaign_list(session, actor=SAM, as_of=AS_OF)
    assert listed.loc[0, "offer"] == "The SLA e-book" and listed.loc[0, "end_date"] == date(
        2026, 12, 15
    )


def test_editors_see_the_draft_beside_the_published_brief(session, published):
    save_draft(
        session, actor=MIA, campaign_id=published.id, fields={"goal": "New goal", "persona": ""}
    )
    brief = brief_for(session, published.id, actor=MIA)
    assert brief["can_edit"] and brief["brief_status"] == "draft" and brief["brief_version"] == 1
    assert brief["draft"]["goal"] == "New goal" and brief["published"]["goal"] == BRIEF["goal"]
    assert brief["draft"]["version"] is None and brief["published"]["version"] == 1
    assert brief["draft"]["lead_target"] == 40 and "lead_target" not in brief["published"]
    assert brief["unpublished_changes"] == ["Persona", "Goal"]
    assert brief["published"]["published_by"] == "mia" and brief["published"]["channel"]


def test_campaign_list_hides_unpublished_campaigns_from_readers(session, published):
    save_draft(session, actor=MIA, campaign_id=None, fields=draft("Not yet"))
    for_sales = campaign_list(session, actor=SAM, as_of=AS_OF)
    assert list(for_sales.columns) == LIST_COLUMNS
    assert list(for_sales["name"]) == ["Webinar"]
    for_marketing = campaign_list(session, actor=MIA, as_of=AS_OF)
    assert sorted(for_marketing["name"]) == ["Not yet", "Webinar"]
    row = for_marketing.set_index("name").loc["Not yet"]
    assert row["published_version"] == 0 and not row["new_for_you"]


def test_campaign_list_puts_active_first_then_upcoming_then_ended(session, personas):
    plans = [  # name, start, end
        ("Ended long ago", "2026-01-01", "2026-02-01"),
        ("Ended lately", "2026-10-01", "2026-11-17"),
        ("Active, old", "2026-06-01", None),
        ("Active, new", "2026-11-10", "2026-11-18"),  # ends today: still active
        ("Next week", "2026-11-25", None),
        ("Tomorrow", "2026-11-19", "2026-12-01"),
        ("Unscheduled", "", ""),
    ]
    for name, start, end in plans:
        c = save_draft(
            session,
            actor=MIA,
            campaign_id=None,
            fields=draft(name, start_date=start, end_date=end),
        )
        publish_brief(session, actor=MIA, campaign_id=c.id)
    frame = campaign_list(session, actor=SAM, as_of=AS_OF)
    assert list(zip(frame["name"], frame["status"], strict=True)) == [
        ("Active, new", "active"),
        ("Active, old", "active"),
        ("Tomorrow", "upcoming"),
        ("Next week", "upcoming"),
        ("Unscheduled", "upcoming"),
        ("Ended lately", "ended"),
        ("Ended long ago", "ended"),
    ]


# --- what's new ---------------------------------------------------------------------------


def _new_for(session, username: str) -> bool:
    frame = campaign_list(session, actor=Actor.of(username, {"sales"}), as_of=AS_OF)
    return bool(frame.set_index("name").loc["Webinar", "new_for_you"])


def test_the_new_marker_flips_on_publication_and_resets_when_seen(session, published):
    cid = published.id
    assert _new_for(session, "sam")  # never looked
    assert not _new_for(session, "mia")  # the publisher has seen what she published
    assert changes_since(session, cid, 0) == [label for _, label in PUBLISHED_FIELDS]
    before, audits = data_version(session), session.exec(select(func.count(AuditEntry.id))).one()
    mark_seen(session, campaign_id=cid, username="sam", now=T1)
    assert not _new_for(session, "sam") and seen_version(session, cid, "sam") == 1
    listed = campaign_list(session, actor=SAM, as_of=AS_OF)
    assert listed.loc[0, "seen_version"] == 1
    # reading is no audited write and changes no figure
    assert data_version(session) == before
    assert session.exec(select(func.count(AuditEntry.id))).one() == audits
    assert changes_since(session, cid, 1) == []
    save_draft(
        session,
        actor=MIA,
        campaign_id=cid,
        fields={"talking_points": BRIEF["talking_points"] + "\n- New story", "end_date": ""},
    )
    assert not _new_for(session, "sam")  # a draft is nothing new for sales
    publish_brief(session, actor=MIA, campaign_id=cid, now=T2)
    assert _new_for(session, "sam")
    assert changes_since(session, cid, 1) == ["End date", "Talking points"]
    mark_seen(session, campaign_id=cid, username="sam", now=T2)
    mark_seen(session, campaign_id=cid, username="sam", now=T2)  # twice is fine (upsert)
    assert not _new_for(session, "sam")
    view = session.exec(select(BriefView).where(BriefView.username == "sam")).one()
    assert (view.seen_version, view.seen_at) == (2, T2)


def test_mark_seen_before_publication_remembers_nothing(session, campaign):
    mark_seen(session, campaign_id=campaign.id, username="sam")
    assert seen_version(session, campaign.id, "sam") == 0
    assert changes_since(session, campaign.id, 0) == []


# --- the Markdown export ------------------------------------------------------------------


def test_the_markdown_export_contains_every_field(session, published):
    brief = brief_for(session, published.id, actor=SAM)
    text = brief_markdown(brief["published"])
    assert text.startswith("# Campaign brief: Webinar\n")
    for expected in (
        "**Channel:** Webinar",
        "**Persona:** Maria",
        "**Dates:** 1 Nov 2026 – 15 Dec 2026",
        # T1 = 2 Nov 09:00 Oslo
        "**Brief:** version 1, published by mia on 02 Nov 2026 09:00 (Europe/Oslo)",
    ):
        assert expected in text
    for name, label in BRIEF_FIELDS:
        assert f"\n## {label}\n\n{BRIEF[name]}\n" in text
    assert text.index("## Goal") < text.index("## Offer") < text.index("## Call to action")
    assert brief_markdown(brief) == text  # the whole brief_for result exports the same


def test_the_markdown_export_marks_empty_fields_and_drafts(session, campaign):
    save_draft(session, actor=MIA, campaign_id=campaign.id, fields={"links": "", "end_date": ""})
    text = brief_markdown(brief_for(session, campaign.id, actor=MIA)["draft"])
    assert "## Links\n\n_(not filled in)_" in text
    assert "**Dates:** from 1 Nov 2026, no end date" in text
    assert "**Brief:** draft, not published" in text


# --- the live funnel ----------------------------------------------------------------------


@pytest.fixture
def funnel_leads(session, published):
    add_sla_agreement(session, 1, date(2026, 10, 1))
    add_sla_agreement(
        session, 2, date(2026, 11, 10), response_hours=8.0, contacted_within_sla_target=0.8
    )
    w = {"campaign": "Webinar"}
    add_lead(
        session,
        "C1",
        "2026-11-02 08:00",
        **w,
        first_name="Ola",
        last_name="Nordmann",
        mql_at="2026-11-02 10:00",
        first_contact_at="2026-11-02 12:00",
        accepted_at="2026-11-02 12:30",
        sql_at="2026-11-05 10:00",
        customer_at="2026-11-15 10:00",
    )
    add_lead(
        session,
        "C2",
        "2026-11-03 08:00",
        **w,
        mql_at="2026-11-03 09:00",
        first_contact_at="2026-11-03 15:00",
        accepted_at="2026-11-03 16:00",
        sql_at="2026-11-06 10:00",
    )
    add_lead(
        session,
        "C3",
        "2026-11-04 08:00",
        **w,
        mql_at="2026-11-04 09:00",
        rejected_at="2026-11-04 10:00",
        rejection_reason="No budget",
    )
    add_lead(
        session,
        "C4",
        "2026-11-12 08:00",
        **w,
        mql_at="2026-11-12 09:00",
        first_contact_at="2026-11-12 16:00",
        accepted_at="2026-11-12 17:00",
    )
    add_lead(
        session,
        "C5",
        "2026-11-18 07:00",
        **w,
        mql_at="2026-11-18 08:00",
        first_name="Kari",
        company="Fjord AS",
        owner="per",
    )
    add_lead(session, "C6", "2026-11-05 08:00", **w)
    add_lead(
        session,
        "C7",
        "2026-11-16 08:00",
        **w,
        mql_at="2026-11-16 09:00",
        first_name="Per",
        last_name="Hansen",
        owner="kari",
    )
    add_lead(
        session,
        "C8",
        "2026-10-20 08:00",
        **w,
        mql_at="2026-10-20 10:00",
        first_contact_at="2026-10-20 09:00",
    )
    add_lead(session, "X1", "2026-11-02 08:00", campaign="Other", mql_at="2026-11-02 09:00")


def test_campaign_funnel_counts_and_follow_up(session, funnel_leads):
    f = campaign_funnel(session, "Webinar", now=NOW)
    counts = {k: f[k] for k in ("leads", "mqls", "accepted", "rejected", "sqls", "customers")}
    assert counts == {
        "leads": 8,
        "mqls": 7,
        "accepted": 3,
        "rejected": 1,
        "sqls": 2,
        "customers": 1,
    }
    assert f["opportunities"] == 0
    assert (f["acceptance"], f["mql_to_sql"]) == (0.75, round(2 / 7, 4))
    # due: C1 C2 C3 C4 C7 C8; in time: C1 (2 h of 4) and C4 (7 h of v2's 8)
    follow = f["follow_up"]
    assert (follow["due"], follow["in_time"], follow["rate"]) == (6, 2, 0.3333)
    assert (follow["target"], follow["status"], follow["hours"]) == (0.8, Status.red, 8.0)
    assert f["lead_target"] == 40 and f["campaign"] == "Webinar"


def test_campaign_funnel_moves_with_now(session, funnel_leads):
    # at 16:00 C5's deadline (08:00 + 8 h) has passed too: 7 due
    later = campaign_funnel(session, "Webinar", now=oslo("2026-11-18 16:00"))
    assert later["follow_up"]["due"] == 7


def test_campaign_funnel_without_leads_or_agreement(session, personas):
    f = campaign_funnel(session, "Nothing", now=NOW)
    follow = f["follow_up"]
    assert (f["leads"], f["mqls"], follow["due"]) == (0, 0, 0)
    assert f["acceptance"] is None and follow["rate"] is None
    assert (follow["target"], follow["status"], follow["hours"]) == (None, Status.no_data, 24.0)
    assert f["lead_target"] is None


def test_campaign_funnel_falls_back_to_24_hours_before_any_agreement(session, personas):
    add_lead(session, "Z1", "2026-11-01 08:00", campaign="Z", mql_at="2026-11-01 09:00")
    add_lead(
        session,
        "Z2",
        "2026-11-01 08:00",
        campaign="Z",
        mql_at="2026-11-01 09:00",
        first_contact_at="2026-11-02 08:00",  # 23 h: within the fallback's 24 h
    )
    follow = campaign_funnel(session, "Z", now=NOW)["follow_up"]
    assert (follow["due"], follow["in_time"], follow["status"]) == (2, 1, Status.no_data)


def test_waiting_for_contact_lists_uncontacted_mqls_oldest_first(session, funnel_leads):
    frame = waiting(session)
    assert list(frame.columns) == WAITING_COLUMNS
    rows = frame[["name", "owner", "hours_waiting", "response_hours", "past_deadline"]]
    got = [tuple(r) for r in rows.itertuples(index=False)]
    assert got[1:] == [("Per Hansen", "kari", 52.0, 8.0, True), ("Kari", "per", 5.0, 8.0, False)]
    # C8 (no name: shown by its id): its touch before the MQL is no response to it
    assert got[0][0].startswith("#") and got[0][1:] == ("(none)", 700.0, 4.0, True)
    assert frame.loc[2, "company"] == "Fjord AS"
    assert str(frame["mql_at"].dt.tz) == "UTC"
    assert len(waiting(session, limit=1)) == 1
    with pytest.raises(InvalidInput, match="1 to 500"):
        waiting(session, limit=0)


def waiting(session, limit: int = 50):
    return waiting_for_contact(session, "Webinar", now=NOW, limit=limit)


# --- the demo company ---------------------------------------------------------------------


def test_the_demo_company_lists_its_two_active_campaigns_first(engine):
    demo.build_demo(engine, leads=3000, now=DEMO_NOW, seed=7)
    today = date(2026, 11, 18)  # DEMO_NOW's day in Oslo
    with Session(engine) as s:
        frame = campaign_list(s, actor=SAM, as_of=today)
        assert len(frame) == 8 and (frame["published_version"] >= 1).all()
        assert list(frame["status"][:2]) == ["active", "active"]
        assert (frame["status"][2:] != "active").all()
        assert frame["new_for_you"].all()  # sam has never looked
        first = brief_for(s, int(frame.loc[0, "id"]), actor=SAM)["published"]
        assert all(first[name] for name, _ in BRIEF_FIELDS)
        text = brief_markdown(first)
        assert all(f"## {label}" in text for _, label in BRIEF_FIELDS)
        funnel = campaign_funnel(s, str(frame.loc[0, "name"]), now=DEMO_NOW)
        assert funnel["leads"] > 0 and funnel["follow_up"]["due"] >= funnel["follow_up"]["in_time"]
        assert len(waiting_for_contact(s, str(frame.loc[0, "name"]), now=DEMO_NOW)) <= 50
        # a campaign edited by nobody yet: the draft equals the published version
        assert all(frame["brief_status"] == "published")


# --- in Norwegian -------------------------------------------------------------------------


def test_the_export_and_the_refusals_in_norwegian(session, published):
    brief = brief_for(session, published.id, actor=SAM)
    with i18n.language("nb"):
        text = brief_markdown(brief["published"])
        with pytest.raises(InvalidInput) as refused:
            publish_brief(session, actor=MIA, campaign_id=published.id)
        assert str(refused.value) == (
            "versjon 1 av 'Webinar' sier allerede akkurat dette: endre utkastet før du "
            "publiserer igjen"
        )
        with pytest.raises(InvalidInput, match=r"^Sluttdatoen 2026-10-01 er før startdatoen"):
            save_draft(
                session, actor=MIA, campaign_id=published.id, fields={"end_date": "2026-10-01"}
            )
    assert text.startswith("# Kampanjebrief: Webinar\n")
    for expected in (
        "- **Kanal:** Webinar",
        "- **Datoer:** 1. nov. 2026 – 15. des. 2026",
        "- **Brief:** versjon 1, publisert av mia man. 2. nov. 2026 09:00 (Europe/Oslo)",
        "\n## Hovedbudskap\n",
        "\n## Oppfordring til handling for salg\n",
    ):
        assert expected in text, expected
    # what people typed keeps its language
    assert f"\n{BRIEF['key_message']}\n" in text
