"""Persona cards: versions, permissions, validation, archiving, and how their leads perform.

The performance dataset (as of Wed 18 Nov 2026; this quarter = Q4 from 1 Oct through
18 Nov, last quarter = the whole Q3, 1 Jul – 30 Sep; Oslo local times):

lead persona  created          stages                         cohort
P1   Maria    02 Oct 10:00     mql, accepted, sql, customer   this
P2   Maria    15 Oct 10:00     mql, rejected                  this
P3   Maria    18 Nov 23:00     —                              this (the as-of day counts)
P4   Maria    19 Nov 09:00     —                              neither (after as-of)
P5   Henrik   01 Nov 10:00     mql, accepted                  this
P6   Ghost    05 Oct 10:00     —  (no card for "Ghost")       this
P7   —        10 Oct 10:00     mql                            this, "(none)"
P8   "  "     11 Oct 10:00     —  (blank = "(none)")          this, "(none)"
P9   Maria    01 Jul 00:30     mql, accepted, sql             last (first minutes of Q3)
P10  Maria    30 Sep 23:30     mql                            last (still 30 Sep in Oslo)
P11  Henrik   15 Aug 10:00     mql, rejected                  last
P12  Henrik   30 Jun 23:59     mql                            neither (Q2)
"""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func
from sqlmodel import select

from smarketing import i18n
from smarketing.auth.permissions import Actor
from smarketing.content.personas import (
    PERFORMANCE_COLUMNS,
    PERSONA_FIELDS,
    persona_by_name,
    persona_cards,
    persona_performance,
    persona_versions,
    save_persona,
    set_archived,
    version_fields,
)
from smarketing.errors import InvalidInput, NotFound, PermissionDenied
from smarketing.quality.leads import lead_detail
from smarketing.store.db import data_version
from smarketing.store.models import AuditEntry, Lead, Persona, PersonaBase, PersonaVersion
from tests.factories import add_lead, oslo

AS_OF = date(2026, 11, 18)
ADA = Actor.of("ada", {"admin"})
MIA = Actor.of("mia", {"marketing"})
SAM = Actor.of("sam", {"sales"})
LEA = Actor.of("lea", {"leadership"})
T1 = oslo("2026-09-01 10:00")
T2 = oslo("2026-11-02 14:30")


def card(name: str, **fields) -> dict:
    """A complete card as the form sends it."""
    base = {
        "name": name,
        "icon": "📣",
        "role": "Marketing manager",
        "seniority": "Manager",
        "company_profile": "50–499 employees",
        "goals": "Predictable leads",
        "challenges": "Sales says the leads are junk",
        "information_sources": "LinkedIn",
        "objections": '"We have dashboards"',
        "messages": "One scorecard",
        "recognise": "Title contains marketing",
    }
    return base | fields


@pytest.fixture
def maria(session) -> Persona:
    return save_persona(session, actor=MIA, persona_id=None, fields=card("Maria"), now=T1)


@pytest.fixture
def dataset(session, maria):
    henrik = save_persona(session, actor=MIA, persona_id=None, fields=card("Henrik"), now=T1)
    add_lead(
        session,
        "P1",
        "2026-10-02 10:00",
        persona="Maria",
        mql_at="2026-10-03 10:00",
        accepted_at="2026-10-03 11:00",
        sql_at="2026-10-10 10:00",
        customer_at="2026-11-01 10:00",
    )
    add_lead(
        session,
        "P2",
        "2026-10-15 10:00",
        persona="Maria",
        mql_at="2026-10-15 11:00",
        rejected_at="2026-10-15 12:00",
        rejection_reason="No budget",
    )
    add_lead(session, "P3", "2026-11-18 23:00", persona="Maria")
    add_lead(session, "P4", "2026-11-19 09:00", persona="Maria")
    add_lead(
        session,
        "P5",
        "2026-11-01 10:00",
        persona="Henrik",
        mql_at="2026-11-01 11:00",
        accepted_at="2026-11-01 12:00",
    )
    add_lead(session, "P6", "2026-10-05 10:00", persona="Ghost")
    add_lead(session, "P7", "2026-10-10 10:00", mql_at="2026-10-10 11:00")
    add_lead(session, "P8", "2026-10-11 10:00", persona="  ")
    add_lead(
        session,
        "P9",
        "2026-07-01 00:30",
        persona="Maria",
        mql_at="2026-07-02 10:00",
        accepted_at="2026-07-02 11:00",
        sql_at="2026-07-10 10:00",
    )
    add_lead(session, "P10", "2026-09-30 23:30", persona="Maria", mql_at="2026-10-01 09:00")
    add_lead(
        session,
        "P11",
        "2026-08-15 10:00",
        persona="Henrik",
        mql_at="2026-08-15 11:00",
        rejected_at="2026-08-15 12:00",
        rejection_reason="Wrong persona",
    )
    add_lead(session, "P12", "2026-06-30 23:59", persona="Henrik", mql_at="2026-07-01 09:00")
    return {"maria": maria, "henrik": henrik}


# --- versions -----------------------------------------------------------------------------


def test_an_edit_saves_a_new_version_and_keeps_the_old_one_readable(session, maria):
    assert (maria.version, maria.updated_by, maria.updated_at) == (1, "mia", T1)
    edited = save_persona(
        session,
        actor=ADA,
        persona_id=maria.id,
        fields=card("Maria", goals="Revenue, not clicks"),
        now=T2,
    )
    assert edited.id == maria.id
    assert (edited.version, edited.goals, edited.updated_by, edited.updated_at) == (
        2,
        "Revenue, not clicks",
        "ada",
        T2,
    )
    versions = persona_versions(session, maria.id)
    assert [v.version for v in versions] == [2, 1]  # newest first
    assert [(v.saved_by, v.saved_at) for v in versions] == [("ada", T2), ("mia", T1)]
    old, new = version_fields(versions[1]), version_fields(versions[0])
    assert old == card("Maria") and new == card("Maria", goals="Revenue, not clicks")
    actions = session.exec(select(AuditEntry.action).order_by(AuditEntry.id)).all()
    assert actions == ["persona.create", "persona.edit"]


def test_a_partial_edit_keeps_the_other_fields(session, maria):
    edited = save_persona(session, actor=MIA, persona_id=maria.id, fields={"icon": "🎯"}, now=T2)
    assert edited.icon == "🎯" and edited.goals == "Predictable leads" and edited.version == 2
    assert version_fields(persona_versions(session, maria.id)[0])["goals"] == "Predictable leads"


def test_saving_an_unchanged_card_is_refused(session, maria):
    before = data_version(session)
    with pytest.raises(InvalidInput, match="nothing changed"):
        # trailing spaces are trimmed, so this is the same card
        save_persona(session, actor=MIA, persona_id=maria.id, fields=card("Maria "), now=T2)
    assert len(persona_versions(session, maria.id)) == 1
    assert data_version(session) == before


def test_writes_bump_the_data_version(session):
    before = data_version(session)
    p = save_persona(session, actor=MIA, persona_id=None, fields=card("Frida"), now=T1)
    set_archived(session, actor=MIA, persona_id=p.id, archived=True, now=T2)
    assert data_version(session) == before + 2


def test_unknown_cards_are_not_found(session):
    with pytest.raises(NotFound):
        persona_versions(session, 99)
    with pytest.raises(NotFound):
        save_persona(session, actor=MIA, persona_id=99, fields={"goals": "x"})
    with pytest.raises(NotFound):
        set_archived(session, actor=MIA, persona_id=99, archived=True)


def test_the_field_list_covers_every_card_field():
    assert [name for name, _ in PERSONA_FIELDS] == list(PersonaBase.model_fields)


# --- validation ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"name": ""}, "Name is empty"),  # a card needs a name
        ({"name": "   "}, "Name is empty"),  # blanks are no name
        ({"name": "x" * 101}, "Name is 101 characters long; at most 100"),
        ({"icon": "😀" * 17}, "Icon is 17 characters long; at most 16"),
        ({"role": "r" * 201}, "Role is 201 characters long; at most 200"),
        ({"goals": "g" * 10_001}, "Goals is 10,001 characters long; at most 10,000"),
        ({"name": "MARIA"}, "already a persona called 'Maria'"),  # case-insensitive
        ({"colour": "red"}, "unknown persona field"),  # not a card field
        ({"goals": 42}, "Goals must be text"),
    ],
)
def test_invalid_cards_are_refused_naming_the_field(session, maria, fields, message):
    with pytest.raises(InvalidInput, match=message):
        save_persona(session, actor=MIA, persona_id=None, fields=card("New") | fields)


def test_the_longest_allowed_values_are_accepted(session):
    p = save_persona(
        session,
        actor=MIA,
        persona_id=None,
        fields=card("x" * 100, icon="😀" * 16, goals="g" * 10_000),
    )
    assert len(p.name) == 100 and p.version == 1


def test_an_empty_icon_gets_the_default(session):
    p = save_persona(session, actor=MIA, persona_id=None, fields=card("Iris", icon=""))
    assert p.icon == "👤"


def test_renaming_a_persona_that_leads_use_is_refused(session, dataset):
    maria = dataset["maria"]
    # P1–P4, P9 and P10 carry the name "Maria"
    with pytest.raises(InvalidInput, match=r"6 leads use the persona name 'Maria'.*Archive"):
        save_persona(session, actor=MIA, persona_id=maria.id, fields={"name": "Maria M"})
    assert session.get(Persona, maria.id).name == "Maria"


def test_a_persona_no_lead_uses_can_be_renamed(session, maria):
    renamed = save_persona(session, actor=MIA, persona_id=maria.id, fields={"name": "Mari"})
    assert renamed.name == "Mari" and renamed.version == 2
    assert version_fields(persona_versions(session, maria.id)[1])["name"] == "Maria"


# --- permissions --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("actor", "may"),
    [(ADA, True), (MIA, True), (SAM, False), (LEA, False)],
    ids=["admin", "marketing", "sales", "leadership"],
)
def test_only_admin_and_marketing_edit_and_archive_personas(session, maria, actor, may):
    edit = {"goals": f"edited by {actor.username}"}
    if may:
        assert save_persona(session, actor=actor, persona_id=maria.id, fields=edit).version == 2
        assert set_archived(session, actor=actor, persona_id=maria.id, archived=True).archived
        new = save_persona(session, actor=actor, persona_id=None, fields=card("Other"))
        assert new.version == 1
    else:
        with pytest.raises(PermissionDenied, match="admin, marketing"):
            save_persona(session, actor=actor, persona_id=maria.id, fields=edit)
        with pytest.raises(PermissionDenied):
            save_persona(session, actor=actor, persona_id=None, fields=card("Other"))
        with pytest.raises(PermissionDenied):
            set_archived(session, actor=actor, persona_id=maria.id, archived=True)
        assert session.exec(select(func.count()).select_from(PersonaVersion)).one() == 1
        assert not session.get(Persona, maria.id).archived


# --- archiving ----------------------------------------------------------------------------


def test_archiving_keeps_the_card_readable_and_the_leads_persona(session, dataset):
    henrik = dataset["henrik"]
    archived = set_archived(session, actor=MIA, persona_id=henrik.id, archived=True, now=T2)
    assert archived.archived and archived.version == 1  # the text is unchanged
    # gone from the default list, still there with archived ones, and still readable
    assert [p.name for p in persona_cards(session)] == ["Maria"]
    assert [p.name for p in persona_cards(session, include_archived=True)] == ["Henrik", "Maria"]
    assert persona_by_name(session, "henrik").id == henrik.id
    assert version_fields(persona_versions(session, henrik.id)[0])["name"] == "Henrik"
    # its leads keep the persona: lead detail and performance still show it
    p5_lead = session.exec(select(Lead).where(Lead.external_id == "P5")).one()
    assert lead_detail(session, p5_lead.id)["persona"] == "Henrik"
    perf = persona_performance(session, as_of=AS_OF).set_index("persona")
    assert perf.loc["Henrik", "archived"] and perf.loc["Henrik", "has_card"]
    assert perf.loc["Henrik", "leads_this"] == 1
    # archiving twice says so; bringing it back works
    with pytest.raises(InvalidInput, match="already archived"):
        set_archived(session, actor=MIA, persona_id=henrik.id, archived=True)
    assert not set_archived(session, actor=MIA, persona_id=henrik.id, archived=False).archived
    actions = session.exec(
        select(AuditEntry.action).where(AuditEntry.action.like("persona.%archive"))
    ).all()
    assert actions == ["persona.archive", "persona.unarchive"]


# --- performance --------------------------------------------------------------------------


def test_persona_performance_this_quarter_against_last(session, dataset):
    perf = persona_performance(session, as_of=AS_OF)
    assert list(perf.columns) == PERFORMANCE_COLUMNS
    # Maria 3 leads this quarter; Henrik and Ghost 1 each (Henrik had 1 last quarter,
    # Ghost none, so Henrik first); "(none)" always last
    assert list(perf["persona"]) == ["Maria", "Henrik", "Ghost", "(none)"]
    rows = perf.set_index("persona").to_dict("index")
    flags = {k: (v["has_card"], v["archived"]) for k, v in rows.items()}
    assert flags == {
        "Maria": (True, False),
        "Henrik": (True, False),
        "Ghost": (False, False),
        "(none)": (False, False),
    }
    figures = ("leads", "mqls", "acceptance", "mql_to_sql", "customers")

    def this(name):
        return tuple(rows[name][f"{f}_this"] for f in figures)

    def last(name):
        return tuple(rows[name][f"{f}_last"] for f in figures)

    # Maria this: P1, P2, P3 (P4 is after as-of); 2 MQLs; 1 accepted / (1 + 1 rejected);
    # 1 SQL of 2 MQLs; 1 customer (P1)
    assert this("Maria") == (3, 2, 0.5, 0.5, 1)
    # Maria last: P9, P10 (P10 is 30 Sep in Oslo); 1 accepted, 0 rejected; 1 SQL of 2 MQLs
    assert last("Maria") == (2, 2, 1.0, 0.5, 0)
    assert this("Henrik") == (1, 1, 1.0, 0.0, 0)  # P5
    assert last("Henrik") == (1, 1, 0.0, 0.0, 0)  # P11 (P12 is in Q2)
    assert this("Ghost") == (1, 0, None, None, 0)  # no MQL: no rates
    assert last("Ghost") == (0, 0, None, None, 0)  # no leads last quarter
    assert this("(none)") == (2, 1, None, 0.0, 0)  # P7 (no persona) and P8 (blank)
    assert last("(none)") == (0, 0, None, None, 0)
    assert perf.attrs["this"].start == date(2026, 10, 1)
    assert perf.attrs["last"].end == date(2026, 9, 30)


def test_persona_performance_without_leads_is_an_empty_frame(session, maria):
    perf = persona_performance(session, as_of=AS_OF)
    assert perf.empty and list(perf.columns) == PERFORMANCE_COLUMNS


def test_the_refusals_in_norwegian(session, dataset):
    maria = dataset["maria"]
    with i18n.language("nb"):
        with pytest.raises(InvalidInput) as refused:
            save_persona(session, actor=MIA, persona_id=maria.id, fields={"name": "Maria M"})
        assert str(refused.value).startswith(
            "Navn: 6 leads bruker personanavnet 'Maria', så det kan ikke bli 'Maria M' (de "
            "ville miste kortet sitt). Arkiver 'Maria'"
        )
        with pytest.raises(InvalidInput, match=r"^Navnet er tomt: gi personaen et navn"):
            save_persona(session, actor=MIA, persona_id=None, fields={"name": " "})
        with pytest.raises(InvalidInput, match=r"^Rolle er 201 tegn langt; høyst 200 er tillatt"):
            save_persona(
                session, actor=MIA, persona_id=None, fields={"name": "Iris", "role": "r" * 201}
            )
