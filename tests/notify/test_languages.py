"""Each message in its recipient's language (issue 18): a person whose saved language is
Norwegian bokmål (``users.set_language``) reads hot leads, contact deadlines, actions and
the channels' own words (the e-mail's button and unsubscribe line) in Norwegian, with
Norwegian dates and figures, while the same rule writes to an English user in English;
team channels read the app default language. The dataset and clock are test_rules' (NOW =
Wed 18 Nov 2026 13:00 in Oslo)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import Session

from smarketing import i18n
from smarketing.auth import users
from smarketing.auth.permissions import Actor
from smarketing.notify import channels, preferences
from smarketing.notify.chat import slack_payload
from smarketing.notify.message import ChannelError
from smarketing.notify.rules_actions import action_digest_notices, action_reminder_notices
from smarketing.notify.rules_leads import hot_lead_notices
from smarketing.notify.rules_sla import contact_deadline_notices, sla_at_risk_notices
from smarketing.notify.smtp import email_html, email_text
from tests.notify.test_rules import (
    PUBLIC,
    add_dataset,
    add_people,
    by_key,
    settings,  # noqa: F401 (the clock's environment, autouse)
)

H1_KEY = "lead:{id}:hot:2026-11-18T11:55:00Z"
H5_KEY = "lead:{id}:hot:2026-11-18T11:30:00Z"


@pytest.fixture
def data(engine):
    """test_rules' people and dataset."""
    with Session(engine) as s:
        add_people(s, "http://127.0.0.1:9/sales", "http://127.0.0.1:9/marketing")
        return add_dataset(s)


def speak(engine, **languages: str) -> None:
    """Save each user's language, as they would on their own."""
    with Session(engine) as s:
        for username, code in languages.items():
            users.set_language(
                s, actor=Actor.of(username, {"sales"}), username=username, language=code
            )


def test_a_hot_lead_to_a_norwegian_user_is_norwegian_and_to_an_english_one_english(engine, data):
    speak(engine, sam="nb", sue="en")
    found = by_key(hot_lead_notices, engine)
    norsk = found[H1_KEY.format(id=data["H1"])].message
    assert norsk.language == "nb"
    assert norsk.subject == "Varm lead: Eve Example er tilbake"
    lines = norsk.text.splitlines()
    assert lines[0].startswith("**Eve Example** (Acme) er tilbake — ")
    assert lines[1].endswith(", ons. 18. nov. 2026 12:55.")
    assert lines[3] == "Siste aktiviteter:"
    assert lines[4].startswith("- ons. 18. nov. 2026 12:55 ")
    facts = dict(norsk.facts)
    assert facts["Firma"] == "Acme"
    assert facts["Når"] == "ons. 18. nov. 2026 12:55"
    assert facts["Kampanje"] == "Webinar Q4"
    assert facts["Eier"] == "Sam Seller"
    assert norsk.link_text == "Åpne leaden"
    # the same rule, to Sue who reads English
    english = found[H5_KEY.format(id=data["H5"])].message
    assert english.language == "en"
    assert english.subject == "Hot lead: Sue's Lead is back"
    assert english.text.splitlines()[1] == "Page view at Wed 18 Nov 2026 12:30."
    assert english.link_text == "Open the lead"


def test_the_email_of_a_norwegian_message_speaks_norwegian_around_it(engine, data):
    speak(engine, sam="nb")
    message = by_key(hot_lead_notices, engine)[H1_KEY.format(id=data["H1"])].message
    message = message.__class__(**{**message.__dict__, "unsubscribe": f"{PUBLIC}/notifications"})
    with i18n.language("en"):  # the job speaks the app default; the e-mail the message's
        plain = email_text(message)
        html = email_html(message)
    assert f"Åpne leaden: {PUBLIC}/leads?lead={data['H1']}" in plain
    assert f"Endre eller stopp disse varslene: {PUBLIC}/notifications" in plain
    assert "Du får dette på grunn av varselinnstillingene dine." in html
    # a message without a link text gets the channel's own button in its language
    bare = message.__class__(**{**message.__dict__, "link_text": None})
    with i18n.language("en"):
        button = slack_payload(bare)["blocks"][-1]["elements"][0]["text"]["text"]
    assert button == "Åpne i Smarketing"


def test_a_contact_deadline_to_a_norwegian_owner(engine, data):
    speak(engine, sam="nb")
    found = by_key(contact_deadline_notices, engine)
    soon = found[f"lead:{data['D1']}:deadline:2026-11-18T12:20Z:soon"].message
    assert soon.subject == "Kontakt Dora innen kl. 13:20: frist for første kontakt"
    assert soon.text == (
        "**Dora** (Due AS) ble MQL ons. 18. nov. 2026 09:20 og har ikke hatt første kontakt "
        "ennå. SLA-fristen er **ons. 18. nov. 2026 13:20** (20 minutter etter at denne "
        "påminnelsen ble skrevet, ons. 18. nov. 2026 13:00). Registrer kontakten på leaden "
        "når den er tatt."
    )
    assert dict(soon.facts)["Frist"] == "ons. 18. nov. 2026 13:20"
    # the sales team reads the app default language (English in the suite)
    passed = found[f"lead:{data['D3']}:deadline:2026-11-18T11:00Z:passed"].message
    assert passed.subject == "Overdue MQL: Ola was not contacted in time"


def test_a_team_reads_the_app_default_language(engine, data, monkeypatch):
    monkeypatch.setenv("SMARKETING_LANGUAGE", "nb")
    found = by_key(contact_deadline_notices, engine)
    passed = found[f"lead:{data['D3']}:deadline:2026-11-18T11:00Z:passed"].message
    assert passed.subject == "MQL på overtid: Ola ble ikke kontaktet i tide"
    assert "for 1,0\u00a0t siden uten første kontakt. Eier: Sam Seller." in passed.text
    assert passed.text.endswith(
        "Den står på SLA-sidens liste over MQL-er på overtid til den er kontaktet."
    )
    at_risk = by_key(sla_at_risk_notices, engine)["sla:mqls_delivered:month:2026-11-01"]
    facts = dict(at_risk.message.facts)
    assert (facts["Så langt"], facts["Mål"], facts["Prognose"]) == ("5", "12", "8,3")
    assert "For å nå målet: **0,58 per dag** de 12 dagene som er igjen." in at_risk.message.text


def test_action_reminders_and_the_digest_in_norwegian(engine, data):
    speak(engine, sam="nb")
    found = by_key(action_reminder_notices, engine)
    due = found[f"action:{data['A1']}:due:2026-11-19"].message
    assert due.subject == "Frist i morgen: Call the webinar no-shows"  # the title as typed
    assert due.text == (
        "Tiltaket ditt **Call the webinar no-shows** har frist i morgen, tor. 19. nov. 2026. "
        "Merk det som gjort på Tiltak-siden når det er gjort."
    )
    assert dict(due.facts)["Frist"] == "tor. 19. nov. 2026"
    monday = datetime(2026, 11, 23, 8, 30, tzinfo=UTC)  # 09:30 in Oslo
    with Session(engine) as s:
        [digest] = [n.message for n in action_digest_notices(s, monday)]
    assert digest.subject == "Dine åpne tiltak, uke 48 2026: 3 (3 på overtid)"
    assert digest.text.splitlines()[0] == "Du har 3 åpne tiltak, **3 på overtid**."
    assert "(frist tor. 19. nov. 2026) — **4 dager på overtid**" in digest.text


def test_the_notification_settings_speak_the_language_of_the_page():
    with i18n.language("nb"):
        assert preferences.kind_label("hot_lead") == "Varme leads (en av mine leads kom tilbake)"
        assert preferences.channel_label("email") == "E-post"
        assert preferences.address_problem("teams", "my channel") == (
            "adressen for Microsoft Teams (innkommende webhook) må være en https://-URL"
        )
        test = channels.trial_message("slack", now=datetime(2026, 12, 7, 8, 0, tzinfo=UTC))
        assert test.subject == "Test fra Smarketing"
        assert dict(test.facts) == {"Kanal": "Slack", "Sendt": "man. 7. des. 2026 09:00"}
        with pytest.raises(ChannelError, match="webhook-adressen må være en http://"):
            channels.send("slack", test, "ftp://example.com/x")
