"""The shared language: versions, who may change which definition, validation, the last
change, and the measurable-rule checker against a hand-made set of leads and the demo."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlmodel import select

from smarketing import demo, i18n
from smarketing.auth.permissions import Actor
from smarketing.content import definitions, rules
from smarketing.content.definitions import save_definition
from smarketing.content.rules import parse_rule, rule_count
from smarketing.errors import InvalidInput, NotFound, PermissionDenied
from smarketing.store.db import data_version
from smarketing.store.models import AuditEntry, Definition
from tests.conftest import NOW
from tests.factories import add_lead

ADA = Actor.of("ada", {"admin"})
MIA = Actor.of("mia", {"marketing"})
SAM = Actor.of("sam", {"sales"})
LEA = Actor.of("lea", {"leadership"})
NOBODY = Actor.of("nils", set())
ROLES = {"admin": ADA, "marketing": MIA, "sales": SAM, "leadership": LEA, "none": NOBODY}
#: Who may edit a definition owned by each team.
EDITORS = {"marketing": {"admin", "marketing"}, "sales": {"admin", "sales"}, "both": {"admin"}}
AGREED = date(2026, 11, 2)
FIRST = dict(
    term="Webinar lead",
    owner_team="marketing",
    body="A lead who signed up for a webinar.\n\n- counted on sign-up",
    rule=None,
    agreed_on=AGREED,
    agreed_by="Maria Moe, Sam Solberg",
)


def save(session, actor=ADA, key=None, now=NOW, **changes) -> Definition:
    """Save FIRST with the changes (a new term when ``key`` is None)."""
    return save_definition(session, actor=actor, key=key, now=now, **(FIRST | changes))


def add_version(session, key, version, term, category="term", position=0, **fields):
    """A stored definition version, written directly (as the demo does)."""
    row = Definition(
        key=key,
        version=version,
        term=term,
        category=category,
        position=position,
        owner_team=fields.pop("owner_team", "both"),
        created_by="seed",
        **fields,
    )
    session.add(row)
    session.commit()
    return row


# --- versions -------------------------------------------------------------------------------


def test_an_edit_makes_a_new_version_and_keeps_the_old_one_with_who_and_when(session):
    first = save(session, actor=MIA)
    assert (first.key, first.version, first.created_by, first.created_at) == (
        "webinar_lead",
        1,
        "mia",
        NOW,
    )
    later = NOW + timedelta(hours=3)
    second = save(session, actor=ADA, key="webinar_lead", now=later, body="Signed up and came.")
    assert (second.version, second.created_by, second.created_at) == (2, "ada", later)

    history = definitions.definition_history(session, "webinar_lead")
    assert [v.version for v in history] == [2, 1]
    old = history[1]
    assert (old.body, old.created_by, old.created_at) == (FIRST["body"], "mia", NOW)
    assert history[0].body == "Signed up and came."
    assert len(session.exec(select(Definition)).all()) == 2  # appended, never updated
    assert [d.version for d in definitions.current_definitions(session)] == [2]


def test_a_save_is_audited_and_bumps_the_data_version(session):
    before = data_version(session)
    save(session, actor=MIA)
    save(session, actor=MIA, key="webinar_lead", rule="source is Webinar")
    assert data_version(session) == before + 2
    audit = session.exec(select(AuditEntry).order_by(AuditEntry.id)).all()
    assert [(a.actor, a.action, a.entity_id) for a in audit] == [
        ("mia", "definition.create", "webinar_lead"),
        ("mia", "definition.edit", "webinar_lead"),
    ]
    assert '"changed": ["rule"]' in audit[1].detail


def test_current_definitions_are_the_newest_versions_stages_first_then_terms_by_name(session):
    add_version(session, "stage_sql", 1, "SQL", "stage", 2)
    add_version(session, "stage_lead", 1, "Lead", "stage", 1)
    add_version(session, "stage_lead", 2, "Lead (new)", "stage", 1)
    add_version(session, "zeta", 1, "zeta term", position=5)
    add_version(session, "icp", 1, "Ideal customer profile")
    add_version(session, "icp", 2, "Ideal customer profile", body="v2")
    add_version(session, "abm", 1, "Account-based marketing")
    got = [(d.key, d.version) for d in definitions.current_definitions(session)]
    assert got == [("stage_lead", 2), ("stage_sql", 1), ("abm", 1), ("icp", 2), ("zeta", 1)]


def test_history_of_an_unknown_key_is_not_found(session):
    with pytest.raises(NotFound, match="no definition with the key 'nope'"):
        definitions.definition_history(session, "nope")
    with pytest.raises(NotFound, match="'nope'"):
        save(session, key="nope")


def test_a_new_stage_goes_last_and_later_versions_keep_category_and_position(session):
    add_version(session, "stage_lead", 1, "Lead", "stage", 1)
    add_version(session, "stage_mql", 1, "MQL", "stage", 2)
    stage = save(session, term="Demo booked", category="stage")
    assert (stage.key, stage.category, stage.position) == ("stage_demo_booked", "stage", 3)
    again = save(session, key=stage.key, term="Demo booked", body="changed", category="term")
    assert (again.version, again.category, again.position) == (2, "stage", 3)
    assert definitions.current_definitions(session)[-1].key == "stage_demo_booked"


@pytest.mark.parametrize(
    ("term", "key"),
    [
        ("Ideal customer profile", "ideal_customer_profile"),
        ("Marketing-qualified lead (MQL)", "marketing_qualified_lead_mql"),
        ("  Kjøpsprosess – ærlig på å  ", "kjopsprosess_aerlig_pa_a"),  # Norwegian letters
        ("Café crème", "cafe_creme"),  # accents dropped
        ("x" * 80, "x" * 64),  # cut to the column's width
    ],
)
def test_a_new_term_is_keyed_by_the_slug_of_its_name(term, key):
    assert definitions.slugify(term)[:64] == key


def test_a_second_term_with_the_same_key_is_refused(session):
    save(session)
    with pytest.raises(InvalidInput, match="key 'webinar_lead', which “Webinar lead” already"):
        save(session, term="Webinar-lead!")
    assert len(session.exec(select(Definition)).all()) == 1


def test_a_save_on_top_of_a_version_someone_else_replaced_is_refused(session):
    save(session)
    save(session, actor=MIA, key="webinar_lead", body="Mia's text")
    with pytest.raises(
        InvalidInput, match=r"changed by mia \(version 2\) after you opened version 1"
    ):
        save(session, key="webinar_lead", body="Ada's text", base_version=1)
    third = save(session, key="webinar_lead", body="Ada's text", base_version=2)
    assert third.version == 3


# --- permissions ----------------------------------------------------------------------------


@pytest.mark.parametrize("team", ["marketing", "sales", "both"])
@pytest.mark.parametrize("role", list(ROLES))
def test_who_may_create_and_edit_by_owner_team(session, role, team):
    actor, may = ROLES[role], role in EDITORS[team]
    assert definitions.can_edit(actor, team) is may
    if may:
        created = save(session, actor=actor, owner_team=team)
        edited = save(session, actor=actor, key=created.key, owner_team=team, body="edited")
        assert (created.version, edited.version) == (1, 2)
        return
    with pytest.raises(PermissionDenied, match="Only admin"):
        save(session, actor=actor, owner_team=team)
    existing = save(session, actor=ADA, owner_team=team)
    with pytest.raises(PermissionDenied, match="your roles"):
        save(session, actor=actor, key=existing.key, owner_team=team, body="edited")
    assert [v.version for v in definitions.definition_history(session, existing.key)] == [1]


@pytest.mark.parametrize(
    ("actor", "old", "new", "allowed"),
    [
        (MIA, "marketing", "sales", False),  # may edit the old team's, not the new one's
        (SAM, "marketing", "sales", False),  # may edit the new team's, not the old one's
        (MIA, "marketing", "both", False),  # "both" is the admin's
        (SAM, "both", "sales", False),
        (ADA, "marketing", "sales", True),
        (ADA, "both", "marketing", True),
        (Actor.of("max", {"marketing", "sales"}), "marketing", "sales", True),  # both rights
    ],
)
def test_changing_the_owner_team_needs_the_right_for_the_old_and_the_new_team(
    session, actor, old, new, allowed
):
    existing = save(session, actor=ADA, owner_team=old)
    if allowed:
        moved = save(session, actor=actor, key=existing.key, owner_team=new)
        assert (moved.version, moved.owner_team) == (2, new)
        return
    with pytest.raises(PermissionDenied, match="Only admin"):
        save(session, actor=actor, key=existing.key, owner_team=new)
    assert definitions.definition_history(session, existing.key)[0].owner_team == old


def test_someone_without_the_right_hears_so_before_anything_about_the_input(session):
    existing = save(session, actor=ADA, owner_team="sales")
    with pytest.raises(PermissionDenied, match="sales-owned"):
        save(session, actor=MIA, key=existing.key, owner_team="finance", term="")


def test_the_owner_change_message_says_both_teams_are_needed(session):
    existing = save(session, actor=ADA, owner_team="marketing")
    with pytest.raises(PermissionDenied, match="from marketing to sales needs the right to edit"):
        save(session, actor=MIA, key=existing.key, owner_team="sales")


def test_can_edit_is_false_for_an_unknown_team_or_no_actor():
    assert definitions.can_edit(ADA, "finance") is False
    assert definitions.can_edit(None, "marketing") is False


# --- validation -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"term": "  "}, "give the term a name"),
        ({"term": "x" * 201}, "the term is 201 characters long; keep it to 200"),
        ({"owner_team": "finance"}, "owner team must be marketing, sales or both .got 'finance'"),
        ({"body": "x" * 20_001}, "the text is 20,001 characters long; keep it to 20,000"),
        ({"agreed_by": "y" * 301}, "“agreed by” is 301 characters long; keep it to 300"),
        ({"rule": "z" * 501}, "the rule is 501 characters long; keep it to 500"),
        ({"agreed_on": NOW}, "“agreed on” must be a calendar date"),
        ({"agreed_on": "2026-11-02"}, "“agreed on” must be a calendar date"),
        ({"category": "glossary"}, "category must be stage or term"),
        ({"term": "???"}, "at least one letter or digit"),
        ({"term": "", "rule": "z" * 501}, "give the term a name; the rule is 501"),  # all at once
    ],
)
def test_invalid_input_is_refused_with_what_to_fix(session, changes, message):
    with pytest.raises(InvalidInput, match=message):
        save(session, **changes)
    assert session.exec(select(Definition)).all() == []


def test_the_limits_themselves_are_accepted_and_text_is_trimmed(session):
    row = save(
        session,
        term=" " + "t" * 200 + " ",
        body="b" * 20_000,
        agreed_by="a" * 300,
        rule="  " + "r" * 500,
        owner_team=" Sales ",
    )
    assert (len(row.term), len(row.body), len(row.agreed_by), len(row.rule)) == (
        200,
        20_000,
        300,
        500,
    )
    assert row.owner_team == "sales"
    assert save(session, key=row.key, term=row.term, owner_team="sales", rule="  ").rule is None


def test_saving_with_nothing_changed_is_refused(session):
    save(session)
    with pytest.raises(InvalidInput, match="nothing changed in “Webinar lead”"):
        save(session, key="webinar_lead")
    with pytest.raises(InvalidInput, match="nothing changed"):  # only whitespace differs
        save(session, key="webinar_lead", body="\n" + FIRST["body"] + "  \n", term=" Webinar lead")
    assert len(definitions.definition_history(session, "webinar_lead")) == 1


# --- the last change ------------------------------------------------------------------------


def test_last_change_shows_the_changed_fields_and_a_diff_of_the_text(session):
    save(session, actor=MIA)
    assert definitions.last_change(session, "webinar_lead") is None  # one version only
    later = NOW + timedelta(days=1)
    save(
        session,
        actor=ADA,
        key="webinar_lead",
        now=later,
        owner_team="both",
        body="A lead who signed up for a webinar.\n\n- counted when they attend",
        rule="source is Webinar",
        agreed_on=date(2026, 11, 16),
    )
    change = definitions.last_change(session, "webinar_lead")
    assert change["fields"] == {
        "owner_team": ("marketing", "both"),
        "rule": (None, "source is Webinar"),
        "agreed_on": (AGREED, date(2026, 11, 16)),
    }
    assert (change["version"], change["previous_version"]) == (2, 1)
    assert (change["changed_by"], change["changed_at"]) == ("ada", later)
    assert change["body_diff"].splitlines() == [
        "--- version 1",
        "+++ version 2",
        "@@ -1,3 +1,3 @@",
        " A lead who signed up for a webinar.",
        " ",
        "-- counted on sign-up",
        "+- counted when they attend",
    ]


def test_last_change_without_a_text_change_has_an_empty_diff(session):
    save(session)
    save(session, key="webinar_lead", agreed_by="Leadership")
    change = definitions.last_change(session, "webinar_lead")
    assert change["fields"] == {"agreed_by": (FIRST["agreed_by"], "Leadership")}
    assert change["body_diff"] == ""


# --- rules ----------------------------------------------------------------------------------


def _shape(rule) -> list[tuple]:
    return [(c.kind, c.field, c.op, c.value) for c in rule.clauses]


@pytest.mark.parametrize(
    ("text", "clauses", "unknown"),
    [
        ("score >= 60", [("score", "score", ">=", 60)], []),
        ("Score ≥ 60", [("score", "score", ">=", 60)], []),  # the sign and any case
        ("score>70", [("score", "score", ">", 70)], []),  # no spaces needed
        ("score <= 20", [("score", "score", "<=", 20)], []),
        ("score ≤ 20", [("score", "score", "<=", 20)], []),
        ("score < 5", [("score", "score", "<", 5)], []),
        ("score = 50", [("score", "score", "=", 50)], []),
        ("lead score == 50", [("score", "score", "=", 50)], []),
        ("company e-mail", [("company_email", "email", None, None)], []),
        ("Company email", [("company_email", "email", None, None)], []),
        ("business e-mail", [("company_email", "email", None, None)], []),
        (
            "not student/competitor",
            [("not_rejected_for", "rejection_reason", None, ("student", "competitor"))],
            [],
        ),
        (
            "NOT a Student / a competitor",  # articles and case forgiven
            [("not_rejected_for", "rejection_reason", None, ("student", "competitor"))],
            [],
        ),
        ("source is Webinar", [("equals", "source", None, "Webinar")], []),
        ('Segment is "SMB (10-49)"', [("equals", "segment", None, "SMB (10-49)")], []),
        ("persona is Maria Marketing", [("equals", "persona", None, "Maria Marketing")], []),
        (
            "score >= 60 AND company e-mail and not student/competitor",  # the demo's MQL rule
            [
                ("score", "score", ">=", 60),
                ("company_email", "email", None, None),
                ("not_rejected_for", "rejection_reason", None, ("student", "competitor")),
            ],
            [],
        ),
        (
            "need confirmed and buyer identified and time frame <= 6 months",  # the demo's SQL
            [],
            ["need confirmed", "buyer identified", "time frame <= 6 months"],
        ),
        ("score >= 60 and budget confirmed", [("score", "score", ">=", 60)], ["budget confirmed"]),
        ("score >= sixty", [], ["score >= sixty"]),
        ("source is", [], ["source is"]),
        ("score >= 60 and", [], ["score >= 60 and"]),  # a dangling "and" is not a clause
    ],
)
def test_parse_rule(text, clauses, unknown):
    rule = parse_rule(text)
    assert _shape(rule) == clauses
    assert list(rule.unknown) == unknown
    assert rule.measurable is (bool(clauses) and not unknown)


@pytest.mark.parametrize("text", ["", "   ", None])
def test_an_empty_rule_is_not_measurable(text):
    rule = parse_rule(text)
    assert (rule.clauses, rule.unknown, rule.measurable) == ((), (), False)


def test_clauses_read_as_words():
    labels = [c.label for c in parse_rule("score>=60 and company email and not a/b").clauses]
    assert labels == [
        "score ≥ 60",
        "company e-mail (not a free-mail domain)",
        "not rejected as a or b",
    ]


def test_the_free_mail_list_covers_the_usual_domains():
    assert {"gmail.com", "outlook.com", "online.no", "proton.me"} <= set(rules.FREE_MAIL_DOMAINS)


def _leads(session):
    """The hand-made leads around November 2026 (as of the 18th, Europe/Oslo).

    lead | created     | score | e-mail              | MQL   | rejected for         | source
    ------|-------------|-------|---------------------|-------|----------------------|-------------
    L1   | 11-02       | 70    | anna@acme.no        | 11-02 |                      | Webinar
    L2   | 11-03       | 80    | bob@gmail.com       | 11-03 |                      |
    L3   | 11-04       | 65    | cy@firma.no         | 11-04 | Student / competitor |
    L4   | 11-05       | 90    | di@firma.no         | 11-05 | No budget            | "webinar "
    L5   | 11-06       | 40    | ed@firma.no         |       |                      |
    L6   | 11-07       | —     | fi@firma.no         | 11-07 |                      |
    L7   | 11-08       | 75    | (none)              |       |                      |
    L8   | 11-09       | 60    | " GUS@Outlook.COM " |       |                      |
    L9   | 11-10       | 61    | hal@firma.no        | 11-19 |                      |
    L10  | 10-31 23:30 | 99    | old@firma.no        | 10-31 |                      |
    L11  | 11-18 23:30 | 70    | late@firma.no       |       |                      | Paid search
    L12  | 11-19 00:10 | 70    | next@firma.no       |       |                      |
    L13  | 11-11       | 10    | ivy@notgmail.com    |       |                      |

    In the window: L1–L9, L11, L13 (11 leads; L10 is the day before, L12 the day after).
    MQLs by the end of the 18th: L1, L2, L3, L4, L6 (L9 becomes one on the 19th).
    """
    add_lead(
        session,
        "L1",
        "2026-11-02 09:00",
        score=70,
        email="anna@acme.no",
        mql_at="2026-11-02 10:00",
        source="Webinar",
    )
    add_lead(
        session,
        "L2",
        "2026-11-03 09:00",
        score=80,
        email="bob@gmail.com",
        mql_at="2026-11-03 10:00",
    )
    add_lead(
        session,
        "L3",
        "2026-11-04 09:00",
        score=65,
        email="cy@firma.no",
        mql_at="2026-11-04 10:00",
        rejected_at="2026-11-05 10:00",
        rejection_reason="student_competitor",  # leads store the reason's key
    )
    add_lead(
        session,
        "L4",
        "2026-11-05 09:00",
        score=90,
        email="di@firma.no",
        mql_at="2026-11-05 10:00",
        rejected_at="2026-11-05 12:00",
        rejection_reason="no_budget",
        source="webinar ",
    )
    add_lead(session, "L5", "2026-11-06 09:00", score=40, email="ed@firma.no")
    add_lead(
        session,
        "L6",
        "2026-11-07 09:00",
        score=None,
        email="fi@firma.no",
        mql_at="2026-11-07 10:00",
    )
    add_lead(session, "L7", "2026-11-08 09:00", score=75, email="")
    add_lead(session, "L8", "2026-11-09 09:00", score=60, email=" GUS@Outlook.COM ")
    add_lead(
        session, "L9", "2026-11-10 09:00", score=61, email="hal@firma.no", mql_at="2026-11-19 09:00"
    )
    add_lead(
        session,
        "L10",
        "2026-10-31 23:30",
        score=99,
        email="old@firma.no",
        mql_at="2026-10-31 23:45",
    )
    add_lead(
        session, "L11", "2026-11-18 23:30", score=70, email="late@firma.no", source="Paid search"
    )
    add_lead(session, "L12", "2026-11-19 00:10", score=70, email="next@firma.no")
    add_lead(session, "L13", "2026-11-11 09:00", score=10, email="ivy@notgmail.com")


@pytest.mark.parametrize(
    ("rule", "meeting", "mqls_not_meeting"),
    [
        # leads in the window: L1–L9, L11, L13 (11); MQLs by the 18th: L1, L2, L3, L4, L6 (5)
        ("score >= 60 and company e-mail", 5, 2),  # L1 L3 L4 L9 L11; MQLs not: L2 L6
        (
            "score >= 60 and company e-mail and not student/competitor",
            4,  # L1 L4 L9 L11
            3,  # L2 L3 L6
        ),
        ("company e-mail", 8, 1),  # all but L2, L7 (none), L8; notgmail.com is a company
        ("source is webinar", 2, 3),  # L1 L4 (case and spaces forgiven); not: L2 L3 L6
        ("score > 60 and score <= 70", 4, 3),  # L1 L3 L9 L11; not: L2 L4 L6 (no score)
        ("not no budget", 10, 1),  # all but L4: the words match the reason's label
        ("not no_budget", 10, 1),  # … or its key
        ("not Budget", 10, 1),  # a part of the label, any case
        ("not wrong persona", 11, 0),  # nobody was rejected for it
        ("not 50%", 11, 0),  # "%" is a character here, not a LIKE wildcard
        ("score < 60", 2, 5),  # L5 L13; no MQL: L6 has no score, so meets neither side
    ],
)
def test_rule_count_against_hand_made_leads(session, rule, meeting, mqls_not_meeting):
    _leads(session)
    count = rule_count(session, rule, month_start=date(2026, 11, 1), as_of=date(2026, 11, 18))
    assert count.measurable
    assert (count.leads, count.meeting, count.mqls, count.mqls_not_meeting) == (
        11,
        meeting,
        5,
        mqls_not_meeting,
    )
    assert count.mqls_meeting == 5 - mqls_not_meeting
    assert count.parsed == parse_rule(rule)


def test_rule_count_of_an_unmeasurable_rule_is_empty_and_says_why(session):
    _leads(session)
    count = rule_count(
        session,
        "score >= 60 and budget confirmed",
        month_start=date(2026, 11, 1),
        as_of=date(2026, 11, 18),
    )
    assert (count.leads, count.meeting, count.mqls, count.mqls_not_meeting) == (None,) * 4
    assert count.mqls_meeting is None
    assert (count.measurable, count.unknown) == (False, ("budget confirmed",))


def test_rule_count_refuses_a_window_that_ends_before_it_starts(session):
    with pytest.raises(InvalidInput, match="after its end"):
        rule_count(session, "score >= 1", month_start=date(2026, 11, 5), as_of=date(2026, 11, 1))


def test_rule_condition_refuses_an_unmeasurable_rule():
    with pytest.raises(InvalidInput, match="not understood: “budget confirmed”"):
        rules.rule_condition(parse_rule("score >= 1 and budget confirmed"))


def test_the_demo_mql_rule_is_measurable_and_counts_a_plausible_share(engine, session):
    demo.build_demo(engine, leads=3000, now=NOW, seed=7)
    current = {d.key: d for d in definitions.current_definitions(session)}
    assert current["mql"].version == 2
    assert parse_rule(current["mql"].rule).measurable
    assert not parse_rule(current["sql"].rule).measurable

    count = rule_count(
        session, current["mql"].rule, month_start=date(2026, 11, 1), as_of=date(2026, 11, 18)
    )
    assert count.leads > 100
    assert 0.15 <= count.meeting / count.leads <= 0.5  # about the demo's 30 % lead → MQL
    assert 0 < count.mqls <= count.leads
    assert 0 <= count.mqls_not_meeting < 0.2 * count.mqls  # the rejected students and rivals
    assert count.mqls_meeting >= 0.8 * count.mqls

    change = definitions.last_change(session, "mql")
    assert change["fields"]["rule"] == (
        "score >= 60 and company e-mail",
        "score >= 60 and company e-mail and not student/competitor",
    )
    assert "+- **Not** a student or a competitor" in change["body_diff"]


def test_an_edit_of_a_demo_definition_is_a_person_s_version(engine, session):
    demo.build_demo(engine, leads=200, now=NOW, seed=7)
    row = save(
        session, actor=MIA, key="mql", term="Marketing-qualified lead (MQL)", body="Shorter."
    )
    assert (row.version, row.is_demo, row.category) == (3, False, "term")
    assert isinstance(row.created_at, datetime)


# --- in Norwegian -------------------------------------------------------------------------


def test_the_messages_in_norwegian(session):
    save(session)
    with i18n.language("nb"):
        with pytest.raises(InvalidInput) as refused:
            save(session, key="webinar_lead")
        assert str(refused.value) == (
            "ingenting er endret i «Webinar lead»: endre teksten, regelen, eierteamet eller "
            "avtalen før du lagrer en ny versjon"
        )
        with pytest.raises(InvalidInput, match="gi begrepet et navn; teksten er 20\u00a0001 tegn"):
            save(session, term=" ", body="b" * 20_001)
        assert definitions.team_label("both") == "begge team"
        assert parse_rule("score >= 60 and company e-mail").clauses[0].label == "score ≥ 60"
        assert parse_rule("company e-mail").clauses[0].label == (
            "firma-e-post (ikke et gratis e-postdomene)"
        )
    # the stored value stays English; an English run reads English
    assert definitions.team_label("both") == "both teams"
