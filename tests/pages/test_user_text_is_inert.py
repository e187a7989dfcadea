"""User text with HTML in a brief, a meeting note and a definition comes out inert: shown as
text, never as a <script> or an <img onerror> element."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlmodel import Session

from smarketing.auth.permissions import Actor
from smarketing.content import campaigns, definitions
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
