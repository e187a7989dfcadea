"""The Personas page: a card per persona beside its figures, editing by role, archiving."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlmodel import Session

from smarketing.auth.permissions import Actor
from smarketing.content import personas
from smarketing.demo import build_demo
from tests.pages.conftest import PEOPLE, logged_in, texts, untranslated

NOW = datetime(2026, 11, 18, 12, tzinfo=UTC)


@pytest.fixture
def demo(app_env):
    build_demo(app_env, leads=800, months=3, now=NOW, seed=5)
    return app_env


def open_personas(username):
    at = logged_in(username, PEOPLE[username], as_of=date(2026, 11, 18))
    return at.switch_page("app_pages/personas.py").run()


@pytest.mark.parametrize("username", list(PEOPLE))
def test_personas_page_for_every_role(people, demo, username):
    at = open_personas(username)
    assert not at.exception
    shown = texts(at)
    assert "How their leads perform" in shown
    figures = next(d.value for d in at.dataframe if "this quarter" in d.value.columns)
    assert list(figures["figure"]) == ["Leads", "MQLs", "Accepted", "MQL→SQL", "Customers"]
    assert "Objections and the answers that work" in shown
    can_edit = username in ("ada", "mia")
    archive = [b for b in at.button if b.key and b.key.startswith("persona_archive_")]
    assert archive and all(b.disabled != can_edit for b in archive)


def test_marketing_edits_a_card_as_a_new_version(people, demo):
    at = open_personas("mia")
    with Session(demo) as s:
        card = personas.persona_cards(s)[0]
    at.text_area(key=f"pn_goals_{card.id}").input("- Win the board over\n- <script>x</script>")
    at.button(key=f"FormSubmitter:persona_form_{card.id}-Save as a new version").click().run()
    assert not at.exception
    assert "Saved" in texts(at)
    with Session(demo) as s:
        versions = personas.persona_versions(s, card.id)
    assert [v.version for v in versions] == [2, 1]
    assert "<script>" not in texts(at), "user text is rendered without raw HTML"
    # the same screen shows the new version at once (no reload)
    assert "Version 2, saved by Mia" in texts(at)  # by name, not username
    assert "Win the board over" in texts(at)


def test_archiving_shows_at_once(people, demo):
    at = open_personas("mia")
    with Session(demo) as s:
        card = personas.persona_cards(s)[0]
    at.selectbox(key="personas_pick").select(card.name).run()
    at.button(key=f"persona_archive_{card.id}").click().run()
    assert not at.exception
    assert "archived; leads keep their persona" in texts(at)
    assert card.name not in at.selectbox(key="personas_pick").options


def test_archived_persona_hidden_until_asked(people, demo):
    with Session(demo, expire_on_commit=False) as s:
        card = personas.persona_cards(s)[0]
        personas.set_archived(
            s, actor=Actor.of("mia", {"marketing"}), persona_id=card.id, archived=True
        )
    at = open_personas("sam")
    assert f"{card.name}" not in [o for o in at.selectbox(key="personas_pick").options]
    at.toggle(key="personas_archived").set_value(True).run()
    assert card.name in at.selectbox(key="personas_pick").options
    assert "archived" in texts(at)


@pytest.mark.parametrize("username", list(PEOPLE))
def test_personas_in_norwegian_for_every_role(people, demo, username):
    at = logged_in(username, PEOPLE[username], as_of=date(2026, 11, 18), language="nb")
    at = at.switch_page("app_pages/personas.py").run()
    assert not at.exception
    assert untranslated(at) == []
    shown = texts(at)
    assert [t.value for t in at.title] == ["Personaer"]
    assert "(til og med 18. nov. 2026)" in shown
    assert "Slik presterer leadene deres" in shown and "Budskap som treffer" in shown
    figures = next(d.value for d in at.dataframe if "this quarter" in d.value.columns)
    assert list(figures["figure"]) == ["Leads", "MQL-er", "Godtatt", "MQL→SQL", "Kunder"]
    assert any(v.endswith("\u00a0%") and "," in v for v in figures["this quarter"]), (
        "a rate written the Norwegian way: 64,3 %"
    )
    assert at.selectbox(key="personas_pick").options[0] == "Alle personaer"
    archive = [b for b in at.button if b.key and b.key.startswith("persona_archive_")]
    assert archive and all(b.label == "Arkiver" for b in archive)
