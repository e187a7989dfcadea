"""User text with HTML in a brief, a meeting note and a definition comes out inert: shown as
text, never as a <script> or an <img onerror> element."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlmodel import Session

from smarketing.auth.permissions import Actor
from smarketing.content import campaigns, definitions, personas
from smarketing.meetings import notes, planning, records
from tests.pages.conftest import PEOPLE, logged_in

MIA = Actor.of("mia", {"marketing"})
SAM = Actor.of("sam", {"sales"})
NOW = datetime(2026, 11, 16, 8, tzinfo=UTC)
PAYLOAD = 'Hello <script>alert("x")</script> <img src=x onerror=alert(1)> [y](javascript:alert(2))'


def _markdown(at) -> str:
    return "\n".join(str(m.value) for m in at.markdown)


def _assert_inert(at) -> None:
    assert not at.exception
    shown = _markdown(at)
    assert "Hello" in shown, "the text itself is shown"
    assert "<script" not in shown and "<img" not in shown and "javascript:" not in shown
    assert "&lt;script&gt;" in shown and "&lt;img" in shown


def test_brief_note_and_definition_render_inert(people, app_env):
    with Session(app_env, expire_on_commit=False) as s:
        fields = {name: f"{label}: {PAYLOAD}" for name, label in campaigns.BRIEF_FIELDS}
        campaign = campaigns.save_draft(
            s,
            actor=MIA,
            campaign_id=None,
            fields={"name": "Webinar", "start_date": date(2026, 11, 1), **fields},
        )
        campaigns.publish_brief(s, actor=MIA, campaign_id=campaign.id)
        definitions.save_definition(
            s,
            actor=MIA,
            key=None,
            term="Lead score",
            owner_team="marketing",
            body=PAYLOAD,
            rule=None,
            agreed_on=date(2026, 11, 1),
            agreed_by="both teams",
        )
        meeting = planning.create_meeting(
            s, actor=MIA, kind="weekly", held_on=date(2026, 11, 16), now=NOW
        )
        step = records.agenda_of(meeting)[0]["key"]
        notes.save_note(
            s,
            actor=SAM,
            meeting_id=meeting.id,
            step=step,
            body=PAYLOAD,
            expected_revision=None,
            now=NOW,
        )

    at = logged_in("sam", PEOPLE["sam"], as_of=date(2026, 11, 16))
    _assert_inert(at.switch_page("app_pages/campaigns.py").run())
    _assert_inert(at.switch_page("app_pages/shared_language.py").run())
    at = logged_in("mia", PEOPLE["mia"], as_of=date(2026, 11, 16))
    at.session_state["meeting_mode_id"] = meeting.id
    _assert_inert(at.switch_page("app_pages/meeting_mode.py").run())


IMAGE = (
    "Look ![pixel](http://tracker.example/p.png) and ![ref][logo] "
    '<img src="http://tracker.example/raw.png">\n\n[logo]: //cdn.example/logo.png'
)


def _assert_no_image(at) -> None:
    assert not at.exception
    shown = _markdown(at) + "\n" + "\n".join(str(c.value) for c in at.caption)
    assert "![" not in shown.replace("\\![", ""), "no Markdown image is left to load"
    assert "<img" not in shown
    assert "[🖼 image: pixel (tracker.example)](http://tracker.example/p.png)" in shown
    assert "[🖼 image: ref (cdn.example)][logo]" in shown
    assert not at.get("imgs"), "no st.image element either"


def test_remote_images_in_persona_brief_definition_and_note_are_links(people, app_env):
    with Session(app_env, expire_on_commit=False) as s:
        personas.save_persona(
            s,
            actor=MIA,
            persona_id=None,
            fields={"name": "Ops Olga", "role": "Head of operations", "goals": IMAGE},
        )
        campaign = campaigns.save_draft(
            s,
            actor=MIA,
            campaign_id=None,
            fields={
                "name": "Webinar",
                "start_date": date(2026, 11, 1),
                "goal": "200 sign-ups",
                "key_message": IMAGE,
                "sales_cta": "Call within a day",
            },
        )
        campaigns.publish_brief(s, actor=MIA, campaign_id=campaign.id)
        definitions.save_definition(
            s,
            actor=MIA,
            key=None,
            term="Lead score",
            owner_team="marketing",
            body=IMAGE,
            rule=None,
            agreed_on=date(2026, 11, 1),
            agreed_by="both teams",
        )
        meeting = planning.create_meeting(
            s, actor=MIA, kind="weekly", held_on=date(2026, 11, 16), now=NOW
        )
        notes.save_note(
            s,
            actor=SAM,
            meeting_id=meeting.id,
            step=records.agenda_of(meeting)[0]["key"],
            body=IMAGE,
            expected_revision=None,
            now=NOW,
        )

    at = logged_in("sam", PEOPLE["sam"], as_of=date(2026, 11, 16))
    _assert_no_image(at.switch_page("app_pages/personas.py").run())
    _assert_no_image(at.switch_page("app_pages/campaigns.py").run())
    _assert_no_image(at.switch_page("app_pages/shared_language.py").run())
    at = logged_in("mia", PEOPLE["mia"], as_of=date(2026, 11, 16))
    at.session_state["meeting_mode_id"] = meeting.id
    _assert_no_image(at.switch_page("app_pages/meeting_mode.py").run())


def test_an_image_on_an_allowed_host_is_shown(people, app_env, monkeypatch):
    monkeypatch.setenv("SMARKETING_IMAGE_HOSTS", "cdn.example")
    with Session(app_env, expire_on_commit=False) as s:
        personas.save_persona(
            s,
            actor=MIA,
            persona_id=None,
            fields={"name": "Ops Olga", "goals": "![logo](https://cdn.example/l.png)"},
        )
    at = logged_in("sam", PEOPLE["sam"], as_of=date(2026, 11, 16))
    at.switch_page("app_pages/personas.py").run()
    assert not at.exception
    assert "![logo](https://cdn.example/l.png)" in _markdown(at)
