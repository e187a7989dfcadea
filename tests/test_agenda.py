"""Agendas: the default weekly and monthly steps, templates in the Setting table, the
validation messages, and reading the old list-of-titles format."""

from __future__ import annotations

import json

import pytest
from sqlmodel import select

from smarketing.auth.permissions import Actor
from smarketing.errors import InvalidInput, PermissionDenied
from smarketing.meetings import agenda
from smarketing.store.db import get_setting
from smarketing.store.models import AuditEntry

MIA = Actor.of("mia", {"marketing"})


def step(title: str, kind: str = "free_note", minutes=5, **extra) -> dict:
    return {"title": title, "kind": kind, "minutes": minutes, **extra}


def wrap() -> dict:
    return step("Wrap-up", "wrap_up", 3)


def test_the_default_weekly_agenda_follows_the_issue():
    steps = agenda.default_agenda("weekly")
    assert [s["kind"] for s in steps] == [
        "scorecard",
        "sla_challenges",
        "lead_quality",
        "campaigns",
        "free_note",
        "actions_review",
        "new_actions",
        "wrap_up",
    ]
    assert steps[4]["title"] == "Personas and product news"
    assert 30 <= agenda.planned_minutes(steps) <= 45
    assert agenda.checked_steps(steps) == steps  # the default passes its own validation


def test_the_default_monthly_agenda_is_for_leadership():
    steps = agenda.default_agenda("monthly")
    assert [s["kind"] for s in steps] == [
        "trends",
        "sla_history",
        "actions_review",
        "decisions",
        "wrap_up",
    ]
    assert agenda.checked_steps(steps) == steps


def test_every_step_kind_is_described_and_defaults_are_copies():
    kinds = {s["kind"] for k in ("weekly", "monthly") for s in agenda.default_agenda(k)}
    assert kinds <= set(agenda.STEP_KINDS)
    assert len(agenda.STEP_KINDS) == 11
    assert all(text.strip() and "\n" not in text for text in agenda.STEP_KINDS.values())
    agenda.default_agenda("weekly")[0]["title"] = "changed"
    assert agenda.default_agenda("weekly")[0]["title"] == "Scorecard"


def test_a_saved_template_is_used_for_its_kind_only(session):
    assert agenda.agenda_template(session, "weekly") == agenda.default_agenda("weekly")
    steps = [step("Scorecard", "scorecard", 10), step("Numbers & news"), wrap()]
    saved = agenda.save_agenda_template(session, actor=MIA, kind="weekly", steps=steps)
    assert [s["key"] for s in saved] == ["scorecard", "numbers_news", "wrap_up"]
    assert agenda.agenda_template(session, "weekly") == saved
    assert json.loads(get_setting(session, "agenda_template.weekly")) == saved
    assert agenda.agenda_template(session, "monthly") == agenda.default_agenda("monthly")
    entry = session.exec(select(AuditEntry)).one()
    assert (entry.actor, entry.action) == ("mia", "meeting.agenda_template")
    detail = json.loads(entry.detail)
    assert detail["old"] == agenda.default_agenda("weekly") and detail["new"] == saved


def test_saving_a_template_needs_the_right_to_run_meetings(session):
    with pytest.raises(PermissionDenied):
        agenda.save_agenda_template(session, actor=Actor.of("x", set()), kind="weekly", steps=[])


def test_unknown_meeting_kind_is_refused(session):
    with pytest.raises(InvalidInput, match="use weekly or monthly"):
        agenda.agenda_template(session, "daily")


@pytest.mark.parametrize(
    "steps, message",
    [
        ([], "at least one step"),  # nothing at all
        ([step(f"Step {i}") for i in range(15)] + [wrap()], "at most 15 steps"),  # 16 steps
        ([step(""), wrap()], "step 1 needs a title"),  # blank title
        ([step("x" * 81), wrap()], "keep the title to 80 characters"),  # too long
        ([step("News"), step("news"), wrap()], "already used by step 1"),  # titles unique
        ([step("News", minutes=0), wrap()], "1 to 120 (got 0)"),  # no time
        ([step("News", minutes=121), wrap()], "1 to 120 (got 121)"),  # too long a step
        ([step("News", minutes="ten"), wrap()], "whole number"),  # not a number
        ([step("News", minutes=True), wrap()], "whole number"),  # a bool is not a number
        ([step("News", kind="party"), wrap()], "unknown kind 'party'"),  # unknown kind
        ([step("News")], "exactly one wrap-up step, as the last step (it has 0)"),
        ([wrap(), step("Again", "wrap_up")], "(it has 2)"),  # two wrap-ups
        ([wrap(), step("News")], "the wrap-up must be the last step"),
        ([step("News", key="Bad Key"), wrap()], "must be lowercase letters"),
        ([step("A", key="a"), step("B", key="a"), wrap()], "key 'a' is already used"),
        (["News", wrap()], "step 1 is not a step"),  # a bare string
    ],
)
def test_agenda_validation_says_what_to_fix(session, steps, message):
    with pytest.raises(InvalidInput, match=message.replace("(", r"\(").replace(")", r"\)")):
        agenda.save_agenda_template(session, actor=MIA, kind="weekly", steps=steps)
    assert get_setting(session, "agenda_template.weekly") is None  # nothing stored


def test_every_problem_is_named_at_once():
    with pytest.raises(InvalidInput) as err:
        agenda.checked_steps([step("", minutes=0, kind="?")])
    text = str(err.value)
    for part in ("needs a title", "1 to 120", "unknown kind", "wrap-up"):
        assert part in text


def test_new_steps_get_unique_keys_and_old_keys_are_kept():
    steps = agenda.checked_steps(
        [
            step("Scorecard", "scorecard", key="score"),
            step("Produkt & nyheter"),
            step("Produkt  nyheter!"),
            wrap(),
        ]
    )
    assert [s["key"] for s in steps] == [
        "score",
        "produkt_nyheter",
        "produkt_nyheter_2",
        "wrap_up",
    ]
    assert steps[2]["title"] == "Produkt nyheter!"  # whitespace tidied


@pytest.mark.parametrize(
    "text, expected",
    [
        (None, []),  # no agenda yet
        ("", []),
        ("[]", []),
        # the old format: a list of titles becomes free notes of five minutes
        (
            json.dumps(["Scorecard", "Last week's actions"]),
            [
                {"key": "scorecard", "title": "Scorecard", "minutes": 5, "kind": "free_note"},
                {
                    "key": "last_week_s_actions",
                    "title": "Last week's actions",
                    "minutes": 5,
                    "kind": "free_note",
                },
            ],
        ),
        # not JSON at all: one step per line
        (
            "Scorecard\n\nNews",
            [
                {"key": "scorecard", "title": "Scorecard", "minutes": 5, "kind": "free_note"},
                {"key": "news", "title": "News", "minutes": 5, "kind": "free_note"},
            ],
        ),
        # steps with gaps: key from the title, unknown kind → free note, bad minutes → 5
        (
            json.dumps(
                [{"title": "Trends", "kind": "trends"}, {"title": "X", "kind": "?", "minutes": "a"}]
            ),
            [
                {"key": "trends", "title": "Trends", "minutes": 5, "kind": "trends"},
                {"key": "x", "title": "X", "minutes": 5, "kind": "free_note"},
            ],
        ),
        # the same title twice still gets two keys
        (
            json.dumps(["News", "News"]),
            [
                {"key": "news", "title": "News", "minutes": 5, "kind": "free_note"},
                {"key": "news_2", "title": "News", "minutes": 5, "kind": "free_note"},
            ],
        ),
    ],
)
def test_parse_agenda_is_tolerant(text, expected):
    assert agenda.parse_agenda(text) == expected


def test_parse_agenda_reads_what_was_stored():
    steps = agenda.default_agenda("monthly")
    assert agenda.parse_agenda(agenda.agenda_json(steps)) == steps
