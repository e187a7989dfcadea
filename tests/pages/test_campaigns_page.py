"""The Campaigns page: the brief sales reads (published only), the live funnel, what's new,
the Markdown export, and publishing by marketing."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlmodel import Session

from smarketing.auth.permissions import Actor
from smarketing.content import campaigns
from smarketing.demo import build_demo
from tests.pages.conftest import PEOPLE, logged_in, texts, untranslated

NOW = datetime(2026, 11, 18, 12, tzinfo=UTC)
MIA = Actor.of("mia", {"marketing"})
SECRET = "Draft-only talking point nobody in sales may read"


@pytest.fixture
def demo(app_env):
    build_demo(app_env, leads=800, months=3, now=NOW, seed=5)
    return app_env


def open_campaigns(username):
    at = logged_in(username, PEOPLE[username], as_of=date(2026, 11, 18))
    return at.switch_page("app_pages/campaigns.py").run()


@pytest.mark.parametrize("username", list(PEOPLE))
def test_campaigns_page_for_every_role(people, demo, username):
    at = open_campaigns(username)
    assert not at.exception
    shown = texts(at)
    assert "Key message" in shown and "Call to action for sales" in shown
    assert "Live funnel" in shown and "Waiting for first contact" in shown
    editor = any(t.label == "Edit the draft" for t in at.tabs)
    assert editor == (username in ("ada", "mia"))
    download = [b for b in at.get("download_button")]
    assert download, "the brief can be downloaded as Markdown"


def test_sales_never_sees_draft_text_and_sees_what_is_new(people, demo):
    with Session(demo) as s:
        listed = campaigns.campaign_list(s, actor=MIA, as_of=date(2026, 11, 18))
        cid = int(listed.iloc[0]["id"])
        draft = campaigns.brief_for(s, cid, actor=MIA)["draft"]
        fields = {k: draft[k] for k, _ in campaigns.BRIEF_FIELDS}
        fields["talking_points"] += f"\n- {SECRET}"
        campaigns.save_draft(s, actor=MIA, campaign_id=cid, fields=fields)

    at = open_campaigns("sam")
    assert SECRET not in texts(at)
    assert "First time you open this brief" in texts(at) or "New to you" in texts(at)
    at.run()  # seen now: the marker is gone on the next run
    assert "New to you" not in texts(at)

    mia = open_campaigns("mia")
    assert SECRET in texts(mia), "marketing reads its own draft"
    assert "unpublished changes" in texts(mia)
    mia.button(key=f"cp_publish_{cid}").click().run()
    assert not mia.exception
    assert "Published" in texts(mia)
    # the same screen shows the new version at once (no reload)
    assert "unpublished changes" not in texts(mia)
    assert "The draft is the same as the published brief." in texts(mia)

    at = open_campaigns("sam")
    shown = texts(at)
    assert SECRET in shown
    assert "New since you last looked" in shown and "Talking points" in shown


def test_leadership_cannot_publish_even_without_the_button(people, demo):
    with Session(demo) as s, pytest.raises(Exception, match="marketing"):
        campaigns.publish_brief(s, actor=Actor.of("lea", {"leadership"}), campaign_id=1)


@pytest.mark.parametrize("username", list(PEOPLE))
def test_campaigns_in_norwegian_for_every_role(people, demo, username):
    at = logged_in(username, PEOPLE[username], as_of=date(2026, 11, 18), language="nb")
    at = at.switch_page("app_pages/campaigns.py").run()
    assert not at.exception
    assert untranslated(at) == []
    shown = texts(at)
    assert [t.value for t in at.title] == ["Kampanjer"]
    assert "**Hovedbudskap**" in shown and "**Oppfordring til handling for salg**" in shown
    assert "**Salgstrakten nå**" in shown and "**Venter på første kontakt**" in shown
    editor = any(t.label == "Rediger utkastet" for t in at.tabs)
    assert editor == (username in ("ada", "mia"))
    picked = at.selectbox(key="campaign_pick")
    assert any(s in picked.options[picked.index] for s in ("aktiv", "kommende", "avsluttet"))
    assert [b.label for b in at.get("download_button")] == ["Last ned briefen (Markdown)"]
