"""The directory of people: users by name, the demo's cast (stored by the demo build and kept
after the demo is removed), the app's own actors; lists of people in one text field
(issue 13, defect 9: people shown by name, never "sam.s")."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from smarketing.auth import people
from smarketing.auth.permissions import CLI_ACTOR
from smarketing.demo import build_demo, clear_demo
from smarketing.demo.story import PEOPLE as CAST
from smarketing.errors import InvalidInput
from smarketing.store.models import User
from tests.conftest import NOW


@pytest.fixture
def users(session):
    for username, name in (("sam", "Sam Sales"), ("maria.m", "Maria M. (user)")):
        session.add(User(username=username, name=name, email="x@x.no", password_hash="x"))
    session.commit()
    return session


def test_users_the_cast_and_the_app_are_named(users):
    people.store_cast(users, {"maria.m": "Maria Moe", "erik.s": "Erik Strand"})
    users.commit()
    names = people.display_names(users, ["sam", "erik.s", "maria.m", "cli", "ghost", None, ""])
    assert names == {
        "sam": "Sam Sales",
        "erik.s": "Erik Strand",  # the cast
        "maria.m": "Maria M. (user)",  # a user's own name wins over the cast's
        "cli": "Command line",
        "ghost": "ghost",  # nobody the app knows: as it was written
    }
    assert people.display_name(users, "erik.s") == "Erik Strand"
    assert people.display_name(users, None) == "—"
    assert people.name_in(names, None) == "—" and people.name_in(names, "sam") == "Sam Sales"
    assert people.directory(users)["erik.s"] == "Erik Strand"


def test_the_cast_only_grows(users):
    people.store_cast(users, {"erik.s": "Erik Strand"})
    people.store_cast(users, {"ida.l": "Ida Lund"})
    assert people.cast(users) == {"erik.s": "Erik Strand", "ida.l": "Ida Lund"}


def test_the_demo_stores_its_cast_and_the_names_stay_after_it_is_removed(engine):
    build_demo(engine, leads=300, months=2, now=NOW, seed=3)
    with Session(engine) as s:
        assert people.cast(s) == CAST
        assert people.display_name(s, "sam.s") == "Sam Solberg"
    clear_demo(engine, actor=CLI_ACTOR)
    with Session(engine) as s:  # notes and actions people made may still name the cast
        assert people.display_name(s, "sam.s") == "Sam Solberg"


@pytest.mark.parametrize(
    "picked, stored",
    [
        (["sam", "maria.m"], "sam, maria.m"),
        (["sam", " Ole  Guest ", "sam", ""], "sam, Ole Guest"),  # each once, spaces tidied
    ],
)
def test_picked_people_are_one_text(picked, stored):
    assert people.join_people(picked) == stored


@pytest.mark.parametrize(
    "picked, message",
    [
        ([], "at least one person"),
        (["", "  "], "at least one person"),
        (["Tom, the intern"], "without a comma"),
        (["x" * 30] * 1 + ["y" * 30], "at most 40 characters"),
    ],
)
def test_bad_picks_are_refused(picked, message):
    with pytest.raises(InvalidInput, match=message):
        people.join_people(picked, limit=40)


def test_stored_people_read_as_names_and_old_free_text_as_written(users):
    names = people.display_names(users, people.people_in(["sam, maria.m, Ole Guest"]))
    assert people.people_text(names, "sam, maria.m, Ole Guest") == (
        "Sam Sales, Maria M. (user), Ole Guest"
    )
    old = "Maria Moe (marketing), Sam Solberg (sales)"  # typed before people were picked
    assert people.people_text(names, old) == old
    assert people.people_text(names, "") == "—"


def test_a_demo_written_before_the_cast_was_stored_gets_it_at_the_next_start(session):
    """people (auth) no longer reads the demo's story itself (auth sits below demo): the app's
    start stores the cast of an older demo once."""
    from smarketing.demo import ensure_cast
    from smarketing.store.db import set_setting

    set_setting(session, "demo_company", "1")  # the demo's own flag, no cast setting
    assert people.display_name(session, "erik.s") == "erik.s"
    assert ensure_cast(session) is True
    assert people.display_name(session, "erik.s") == "Erik Strand"
    assert ensure_cast(session) is False  # once
    set_setting(session, "demo_company", "0")  # removed: the cast stays for what people wrote
    assert people.display_name(session, "erik.s") == "Erik Strand"
