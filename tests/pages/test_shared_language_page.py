"""The Shared language page: the stage diagram, definitions with rule counts, editing by owner
team, history, and user text rendered inert."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlmodel import Session

from smarketing.content import definitions
from smarketing.demo import build_demo
from tests.pages.conftest import PEOPLE, logged_in, texts, untranslated

NOW = datetime(2026, 11, 18, 12, tzinfo=UTC)
#: who may edit: marketing-owned, sales-owned, owned by both
MAY_EDIT = {
    "ada": {"marketing", "sales", "both"},
    "mia": {"marketing"},
    "sam": {"sales"},
    "lea": set(),
}


@pytest.fixture
def demo(app_env):
    build_demo(app_env, leads=800, months=3, now=NOW, seed=5)
    return app_env


def open_language(username):
    at = logged_in(username, PEOPLE[username], as_of=date(2026, 11, 18))
    return at.switch_page("app_pages/shared_language.py").run()


def submit(at, key):
    return next(
        b for b in at.button if b.key and b.key.endswith(f"definition_{key}-Save as a new version")
    )


@pytest.mark.parametrize("username", list(PEOPLE))
def test_shared_language_for_every_role(people, demo, username):
    at = open_language(username)
    assert not at.exception
    shown = texts(at)
    assert "The funnel, stage by stage" in shown
    assert "Marketing-qualified lead (MQL)" in shown and "Sales-qualified lead (SQL)" in shown
    assert "new leads** (" in shown or "new leads**" in shown, "the MQL rule is counted"
    assert "Not measurable from CRM data" in shown, "the SQL rule names what cannot be counted"
    with Session(demo) as s:
        current = definitions.current_definitions(s)
    for d in current:
        assert submit(at, d.key).disabled == (d.owner_team not in MAY_EDIT[username])


def test_marketing_edits_mql_and_the_history_keeps_both(people, demo):
    at = open_language("mia")
    at.text_area(key="def_body_mql").input("Score 60+ <img src=x onerror=alert(1)> and more")
    submit(at, "mql").click().run()
    assert not at.exception
    assert "Saved" in texts(at)
    with Session(demo) as s:
        history = definitions.definition_history(s, "mql")
    assert history[0].version == 3 and history[0].created_by == "mia"
    assert history[1].version == 2
    shown = texts(at)
    assert "<img" not in shown and "&lt;img" in shown, "raw HTML comes out inert"
    # the same screen shows the new version at once (no reload)
    assert "version 3 · saved by Mia" in shown  # by name, not username
    assert "and more" in shown


def test_a_refused_edit_keeps_the_typed_text(people, demo):
    at = open_language("mia")
    at.text_input(key="def_term_mql").input("")
    at.text_area(key="def_body_mql").input("A long text I typed")
    submit(at, "mql").click().run()
    assert at.error, "an empty term is refused with a message"
    assert at.text_area(key="def_body_mql").value == "A long text I typed"


@pytest.mark.parametrize("username", list(PEOPLE))
def test_shared_language_in_norwegian_for_every_role(people, demo, username):
    at = logged_in(username, PEOPLE[username], as_of=date(2026, 11, 18), language="nb")
    at = at.switch_page("app_pages/shared_language.py").run()
    assert not at.exception
    assert untranslated(at) == []
    shown = texts(at)
    assert [t.value for t in at.title] == ["Felles språk"]
    assert "Salgstrakten, fase for fase" in shown
    assert [t.label for t in at.tabs] == ["Traktfaser", "Begreper"]
    assert "Denne måneden (1. nov.–18. nov.): **" in shown, "the rule count, Norwegian dates"
    assert "Kan ikke måles med CRM-data" in shown
    assert ":blue-badge[markedsføring]" in shown or ":orange-badge[salg]" in shown
    editable = [b for b in at.button if b.label == "Lagre som ny versjon"]
    assert editable and any(b.disabled for b in editable) == (username != "ada")
