"""The managed list of rejection reasons: matching spellings onto keys, an admin's edits,
and the migration that turned stored labels into keys (issue 13, defect 8)."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from alembic import command
from sqlmodel import select

from smarketing.auth.permissions import Actor
from smarketing.errors import InvalidInput, PermissionDenied
from smarketing.quality import reasons
from smarketing.quality.reasons import Edit
from smarketing.store.db import _alembic_config, data_version, make_engine, set_setting
from smarketing.store.models import AuditEntry, RejectionReason

ADA = Actor.of("ada", {"admin"})
SAM = Actor.of("sam", {"sales"})
DEFAULT_LIST = [reasons.Reason(k, label) for k, label in reasons.DEFAULTS]


@pytest.mark.parametrize(
    ("text", "key"),
    [
        # the same reason however it is spelled
        ("Student / competitor", "student_competitor"),
        ("student/competitor", "student_competitor"),  # the demo's old spelling
        ("STUDENT - COMPETITOR", "student_competitor"),
        ("student_competitor", "student_competitor"),  # the key itself
        ("Competitor", "student_competitor"),  # a built-in other spelling
        ("  no   budget ", "no_budget"),
        ("No-Budget", "no_budget"),
        ("Too expensive", "no_budget"),
        ("wrong persona", "wrong_persona"),
        ("Not a decision maker", "wrong_persona"),
        ("Unreachable", "not_reachable"),
        ("dupe", "duplicate"),
        ("Spam", "bad_data"),
        ("other", "other"),
        # a CRM status alone says only *that* it was rejected
        ("Unqualified", "unspecified"),  # HubSpot lead status
        ("UNQUALIFIED", "unspecified"),  # HubSpot internal value
        ("Closed - Not Converted", "unspecified"),  # Salesforce
        ("Lost", "unspecified"),  # Pipedrive
        ("rejected in CRM", "unspecified"),  # what imports stored before keys
        # no reason of the list: None (imports store these as "other" and report them)
        ("Price too high for a student", None),
        ("Bad timing", None),
        ("", None),
        ("  ", None),
        (None, None),
    ],
)
def test_spellings_map_onto_the_keys(text, key):
    assert reasons.match(text, DEFAULT_LIST) == key


def test_a_renamed_label_and_an_added_reason_match_too():
    listed = [*DEFAULT_LIST, reasons.Reason("bad_timing", "Bad timing")]
    listed[1] = reasons.Reason("no_budget", "Budget frozen")
    assert reasons.match("budget frozen", listed) == "no_budget"
    assert reasons.match("No budget", listed) == "no_budget"  # the key still matches
    assert reasons.match("bad-timing", listed) == "bad_timing"


def test_the_list_starts_with_the_defaults_and_sales_picks_from_the_active_ones(session):
    assert [(r.key, r.label) for r in reasons.reasons(session)] == list(reasons.DEFAULTS)
    picks = [r.key for r in reasons.choices(session)]
    assert "unspecified" not in picks and picks[-1] == "other"


def _rows(session, **changes) -> list[Edit]:
    """The stored list as edits, with ``key=(label, retired)`` changes."""
    out = []
    for r in reasons.reasons(session):
        label, retired = changes.get(r.key, (r.label, r.retired))
        out.append(Edit(r.key, label, retired))
    return out


def test_an_admin_renames_adds_and_retires(session):
    before = data_version(session)
    rows = _rows(session, no_budget=("Budget frozen", False), duplicate=("Duplicate", True))
    saved = reasons.save(session, actor=ADA, rows=[*rows, Edit(None, "  Bad  timing ")])
    assert data_version(session) == before + 1
    assert saved[-1] == reasons.Reason("bad_timing", "Bad timing", False, len(rows))
    listed = {r.key: r for r in reasons.reasons(session)}
    assert listed["no_budget"].label == "Budget frozen"  # the key stays, verdicts follow
    assert listed["duplicate"].retired and "duplicate" not in {
        r.key for r in reasons.choices(session)
    }
    audit = session.exec(
        select(AuditEntry).where(AuditEntry.action == "lead.rejection_reason")
    ).all()
    assert sorted(a.entity_id for a in audit) == ["bad_timing", "duplicate", "no_budget"]
    renamed = next(a for a in audit if a.entity_id == "no_budget")
    assert json.loads(renamed.detail) == {
        "old": {"label": "No budget", "retired": False},
        "new": {"label": "Budget frozen", "retired": False},
    }
    row = session.get(RejectionReason, "no_budget")
    assert row.updated_by == "ada"


def test_a_new_reason_whose_key_is_taken_gets_another(session):
    rows = _rows(session, duplicate=("Duplicate lead", False))
    saved = reasons.save(session, actor=ADA, rows=[*rows, Edit(None, "Duplicate")])
    assert saved[-1].key == "duplicate_2"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda rows: rows[1:], "cannot be deleted.*'Wrong persona'"),
        (lambda rows: [*rows, Edit(None, "student - competitor")], "spelled two ways"),
        (lambda rows: [*rows, Edit(None, "x" * 101)], "at most 100"),
        (lambda rows: [*rows, Edit(None, "!!!")], "not a usable label"),
        (lambda rows: [Edit(r.key, "", r.retired) for r in rows], "needs a label"),
        (lambda rows: [Edit(r.key, r.label, r.key == "other") for r in rows], "cannot be retired"),
        (lambda rows: [Edit(r.key, r.label, True) for r in rows], "cannot be retired"),
        (lambda rows: [*rows, Edit("nope", "Nope")], "no rejection reason with the key 'nope'"),
    ],
)
def test_bad_lists_are_refused_and_nothing_changes(session, change, message):
    before = reasons.reasons(session)
    with pytest.raises(InvalidInput, match=message):
        reasons.save(session, actor=ADA, rows=change(_rows(session)))
    session.rollback()
    assert reasons.reasons(session) == before


def test_only_other_left_is_still_a_list_sales_can_pick_from(session):
    rows = [Edit(r.key, r.label, r.key not in reasons.PERMANENT) for r in reasons.reasons(session)]
    reasons.save(session, actor=ADA, rows=rows)
    assert [r.key for r in reasons.choices(session)] == ["other"]


@pytest.mark.parametrize("actor", [SAM, Actor.of("mia", {"marketing"})])
def test_only_an_admin_changes_the_list(session, actor):
    with pytest.raises(PermissionDenied):
        reasons.save(session, actor=actor, rows=_rows(session))


# --- the migration ------------------------------------------------------------------------

#: the tables as revision 0002 has them (only the columns written here)
_LEAD = sa.table(
    "lead",
    *(
        sa.column(c)
        for c in [
            "id",
            "source_system",
            "external_id",
            "first_name",
            "last_name",
            "email",
            "company",
            "title",
            "created_at",
            "mql_at",
            "rejected_at",
            "rejection_reason",
            "is_demo",
            "updated_at",
        ]
    ),
)
_VERDICT = sa.table(
    "verdict",
    *(
        sa.column(c)
        for c in ["lead_id", "verdict", "reason", "comment", "decided_by", "decided_at", "is_demo"]
    ),
)


def test_the_migration_turns_stored_labels_into_keys_and_back(db_url):
    engine = make_engine(db_url)
    config = _alembic_config(engine)
    command.upgrade(config, "0002")
    at = "2026-11-02 09:00:00.000000" if engine.dialect.name == "sqlite" else None
    when = at or datetime(2026, 11, 2, 9, tzinfo=UTC)
    stored = [
        "student/competitor",  # the demo's spelling
        "Student / competitor",  # the form's
        "No budget",
        "rejected in CRM",  # an import without a reason
        "Unqualified",  # an import that stored the HubSpot status
        "Price too high",  # a CRM's own reason
        "Duplicate",  # removed from the admin's list, still on old verdicts
        "Competitor only",  # on the admin's list, a reason of its own
    ]
    with engine.begin() as conn:
        from smarketing.store.models import Setting

        conn.execute(
            sa.insert(Setting.__table__).values(
                key="rejection_reasons",
                value=json.dumps(["Wrong persona", "No budget", "Competitor only", "Other"]),
                updated_at=datetime(2026, 11, 1, tzinfo=UTC),
            )
        )
        for i, text in enumerate(stored, start=1):
            conn.execute(
                sa.insert(_LEAD).values(
                    id=i,
                    source_system="hubspot",
                    external_id=str(i),
                    first_name="",
                    last_name="",
                    email="",
                    company="",
                    title="",
                    created_at=when,
                    mql_at=when,
                    rejected_at=when,
                    rejection_reason=text,
                    is_demo=False,
                    updated_at=when,
                )
            )
            conn.execute(
                sa.insert(_VERDICT).values(
                    lead_id=i,
                    verdict="rejected",
                    reason=text,
                    comment="",
                    decided_by="sam",
                    decided_at=when,
                    is_demo=False,
                )
            )
    command.upgrade(config, "0004")
    with engine.connect() as conn:
        verdicts = [r for (r,) in conn.execute(sa.text("SELECT reason FROM verdict ORDER BY id"))]
        leads = [
            r for (r,) in conn.execute(sa.text("SELECT rejection_reason FROM lead ORDER BY id"))
        ]
        listed = conn.execute(
            sa.text("SELECT key, label, retired FROM rejection_reason ORDER BY position")
        ).all()
        setting = conn.execute(
            sa.text("SELECT value FROM setting WHERE key = 'rejection_reasons'")
        ).all()
    expected = [
        "student_competitor",
        "student_competitor",
        "no_budget",
        "unspecified",
        "unspecified",
        "price_too_high",
        "duplicate",
        "competitor_only",
    ]
    assert verdicts == leads == expected
    assert [(k, label, bool(r)) for k, label, r in listed] == [
        # the admin's list, in its order, then what the app needs, then what was stored
        ("wrong_persona", "Wrong persona", False),
        ("no_budget", "No budget", False),
        ("competitor_only", "Competitor only", False),
        ("other", "Other", False),
        ("unspecified", "No reason given", False),
        ("duplicate", "Duplicate", True),
        ("price_too_high", "Price too high", True),
        ("student_competitor", "Student / competitor", True),
    ]
    assert setting == []  # the table replaces it
    command.downgrade(config, "0002")
    with engine.connect() as conn:
        back = [r for (r,) in conn.execute(sa.text("SELECT reason FROM verdict ORDER BY id"))]
        setting = conn.execute(
            sa.text("SELECT value FROM setting WHERE key = 'rejection_reasons'")
        ).scalar()
    assert back == [
        "Student / competitor",
        "Student / competitor",
        "No budget",
        "No reason given",
        "No reason given",
        "Price too high",
        "Duplicate",
        "Competitor only",
    ]
    assert json.loads(setting) == ["Wrong persona", "No budget", "Competitor only", "Other"]
    engine.dispose()


def test_a_fresh_database_gets_the_default_list(engine):
    with engine.connect() as conn:
        keys = [k for (k,) in conn.execute(sa.text("SELECT key FROM rejection_reason"))]
    assert sorted(keys) == sorted(k for k, _ in reasons.DEFAULTS)


def test_a_broken_stored_list_gives_the_default_list(db_url):
    engine = make_engine(db_url)
    config = _alembic_config(engine)
    command.upgrade(config, "0002")
    from sqlmodel import Session

    with Session(engine) as s:
        set_setting(s, "rejection_reasons", "not json")
        s.commit()
    command.upgrade(config, "0004")
    with Session(engine) as s:
        assert [(r.key, r.label) for r in reasons.reasons(s)] == list(reasons.DEFAULTS)
    engine.dispose()


def test_built_in_labels_read_in_norwegian_and_an_admins_label_as_typed(session):
    from smarketing import i18n

    rows = _rows(session, no_budget=("Budsjettet er frosset", False))
    reasons.save(session, actor=ADA, rows=rows)
    with i18n.language("nb"):
        shown = reasons.labels(session)
        picks = reasons.shown_choices(session)
    assert shown["wrong_persona"] == "Feil persona"
    assert shown["student_competitor"] == "Student / konkurrent"
    assert shown["unspecified"] == "Ingen grunn oppgitt"
    assert shown["no_budget"] == "Budsjettet er frosset"  # typed by an admin: as typed
    assert "unspecified" not in picks and picks["other"] == "Annet"
    # the stored list keeps its English labels and keys
    stored = {r.key: r.label for r in reasons.reasons(session)}
    assert stored["wrong_persona"] == "Wrong persona"
    assert reasons.labels(session)["wrong_persona"] == "Wrong persona"  # English outside
