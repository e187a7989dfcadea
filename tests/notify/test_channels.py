"""The channels against local fakes on 127.0.0.1: an aiosmtpd server (plain, STARTTLS with
a login, implicit TLS, each with a certificate made in the test) and pytest-httpserver
answering as Slack, Teams and a JSON webhook receiver answer; the payloads checked against
the vendors' documented shapes and limits and against one recorded payload per kind."""

from __future__ import annotations

import email
import hashlib
import hmac
import json
import socket
import ssl
import struct
import time
import zlib
from datetime import UTC, datetime
from email import policy
from pathlib import Path

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from werkzeug import Response

from smarketing.errors import InvalidInput
from smarketing.notify import channels
from smarketing.notify.chat import slack_payload, teams_payload
from smarketing.notify.message import ChannelError, Message
from smarketing.notify.posting import retry_after_seconds
from smarketing.notify.webhook import webhook_payload
from tests.conftest import NOW

FIXTURES = Path(__file__).parent / "fixtures"
SENDER = "Smarketing <noreply@smarketing.example.com>"
UNSUBSCRIBE = "https://smarketing.example.com/my_notifications"
LEAD_LINK = "https://smarketing.example.com/lead_profile?lead=42"


def png(width: int = 3, height: int = 2) -> bytes:
    """A real PNG (RGB, red pixels) written by hand."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    rows = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


HOT_LEAD = Message(
    kind="hot_lead",
    subject="Hot lead: Eve <script>alert(1)</script> came back",
    text=(
        "**Eve <script>alert(1)</script>** (Acme & Co) downloaded an e-book.\n\n"
        "Last activities:\n"
        "- 18 Nov 12:55 download: <b>Pricing guide</b>\n"
        "- 17 Nov 09:10 visit: /pricing"
    ),
    facts=(("Campaign", "Webinar <Q4>"), ("Owner", "Sam Seller"), ("Score", "87")),
    link=LEAD_LINK,
    link_text="Open the lead",
    unsubscribe=UNSUBSCRIBE,
)
PRE_READ = Message(
    kind="pre_read",
    subject="Pre-read: weekly meeting",
    text="The scorecard, the red metrics and the open actions.",
    image_png=png(),
    image_alt="Scorecard: 2 of 5 metrics red",
    unsubscribe=UNSUBSCRIBE,
)


@pytest.fixture(autouse=True)
def no_settings(monkeypatch, tmp_path):
    """No SMTP or webhook settings from this machine: no variables, no secrets.toml."""
    for name in ("HOST", "PORT", "SECURITY", "USER", "PASSWORD", "FROM"):
        monkeypatch.delenv(f"SMARKETING_SMTP_{name}", raising=False)
    for name in ("SMARKETING_WEBHOOK_SECRET", "SMARKETING_TIMEZONE", "SMARKETING_PUBLIC_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.chdir(tmp_path)


@pytest.fixture(scope="session")
def httpserver_listen_address():
    """pytest-httpserver on 127.0.0.1 (its default is "localhost")."""
    return ("127.0.0.1", 0)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --- SMTP ------------------------------------------------------------------------------------


class Mailbox:
    """An aiosmtpd handler keeping what arrives; ``nobody@`` gets 550, ``busy@`` 450."""

    def __init__(self) -> None:
        self.envelopes = []
        self.logins = []

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address.startswith("nobody@"):
            return "550 5.1.1 <nobody@example.com>: Recipient address rejected: no such user"
        if address.startswith("busy@"):
            return "450 4.2.1 Mailbox busy, try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        self.logins.append((mechanism, auth_data.login, auth_data.password))
        ok = auth_data.login == b"smarketing" and auth_data.password == b"s3cret pass"
        return AuthResult(success=ok, handled=False)

    def received(self):
        assert len(self.envelopes) == 1, self.envelopes
        return email.message_from_bytes(self.envelopes[0].content, policy=policy.default)


@pytest.fixture
def mail_server():
    """Starts aiosmtpd on 127.0.0.1 with the given options; stops every one at the end."""
    started = []

    def start(**options) -> tuple[Controller, Mailbox]:
        box = Mailbox()
        if options.pop("login", False):
            options["authenticator"] = box.authenticate
        controller = Controller(box, hostname="127.0.0.1", port=free_port(), **options)
        controller.start()
        started.append(controller)
        return controller, box

    yield start
    for controller in started:
        controller.stop()


@pytest.fixture
def tls(tmp_path, monkeypatch):
    """A CA made in the test and a server certificate for 127.0.0.1; the client trusts the
    CA through SSL_CERT_FILE (what ssl.create_default_context reads)."""
    ca = trustme.CA()
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(server_context)
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    monkeypatch.setenv("SSL_CERT_FILE", str(ca_file))
    return server_context


def configure(monkeypatch, controller: Controller, **settings) -> None:
    monkeypatch.setenv("SMARKETING_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SMARKETING_SMTP_PORT", str(controller.port))
    monkeypatch.setenv("SMARKETING_SMTP_FROM", SENDER)
    for name, value in settings.items():
        monkeypatch.setenv(f"SMARKETING_SMTP_{name.upper()}", value)


def test_email_arrives_with_both_parts_the_headers_and_the_data_inert(monkeypatch, mail_server):
    controller, box = mail_server()
    configure(monkeypatch, controller, security="none")

    channels.send("email", HOT_LEAD, "sam@example.com", now=NOW)

    envelope = box.envelopes[0]
    assert envelope.mail_from == "noreply@smarketing.example.com"
    assert envelope.rcpt_tos == ["sam@example.com"]
    mail = box.received()
    assert mail["From"] == SENDER
    assert mail["To"] == "sam@example.com"
    assert mail["Subject"] == "Hot lead: Eve <script>alert(1)</script> came back"
    assert mail["List-Unsubscribe"] == f"<{UNSUBSCRIBE}>"
    # The settings page needs a login: no RFC 8058 one-click promise.
    assert mail["List-Unsubscribe-Post"] is None
    assert mail["Date"] == "Wed, 18 Nov 2026 12:00:00 +0000"
    assert mail.get_content_type() == "multipart/alternative"
    plain, html_part = mail.get_payload()
    assert plain.get_content_type() == "text/plain"
    assert html_part.get_content_type() == "text/html"
    text = plain.get_content()
    assert "**Eve <script>alert(1)</script>** (Acme & Co) downloaded an e-book." in text
    assert "Campaign: Webinar <Q4>" in text
    assert f"Open the lead: {LEAD_LINK}" in text
    assert f"Change or stop these notifications: {UNSUBSCRIBE}" in text
    page = html_part.get_content()
    # Every text from the data is escaped: no tag of the data survives.
    assert "<script>" not in page and "<b>" not in page and "<Q4>" not in page
    assert "<strong>Eve &lt;script&gt;alert(1)&lt;/script&gt;</strong> (Acme &amp; Co)" in page
    assert "<li>18 Nov 12:55 download: &lt;b&gt;Pricing guide&lt;/b&gt;</li>" in page
    assert "<td" in page and "Webinar &lt;Q4&gt;</td>" in page
    assert f'<a href="{LEAD_LINK}"' in page and ">Open the lead</a>" in page
    assert f'<a href="{UNSUBSCRIBE}"' in page


def test_the_pre_read_picture_is_inline_in_a_related_part(monkeypatch, mail_server):
    controller, box = mail_server()
    configure(monkeypatch, controller, security="none")

    channels.send("email", PRE_READ, "ann@example.com", now=NOW)

    mail = box.received()
    plain, related = mail.get_payload()
    assert related.get_content_type() == "multipart/related"
    html_part, image = related.get_payload()
    assert image.get_content_type() == "image/png"
    assert image.get_content_disposition() == "inline"
    assert image.get_content() == PRE_READ.image_png
    cid = image["Content-ID"].strip().strip("<>")
    page = html_part.get_content()
    assert f'src="cid:{cid}"' in page
    assert 'alt="Scorecard: 2 of 5 metrics red"' in page
    assert "(Picture: Scorecard: 2 of 5 metrics red)" in plain.get_content()


def test_starttls_and_login(monkeypatch, mail_server, tls):
    # The server refuses MAIL and AUTH before STARTTLS: a delivery proves both went over TLS.
    controller, box = mail_server(
        tls_context=tls, require_starttls=True, auth_require_tls=True, login=True
    )
    configure(monkeypatch, controller, user="smarketing", password="s3cret pass")

    channels.send("email", HOT_LEAD, "sam@example.com", now=NOW)

    assert box.logins == [("PLAIN", b"smarketing", b"s3cret pass")]
    assert box.received()["To"] == "sam@example.com"


def test_a_wrong_password_is_not_retried_and_quotes_the_server(monkeypatch, mail_server, tls):
    controller, box = mail_server(tls_context=tls, require_starttls=True, login=True)
    configure(monkeypatch, controller, user="smarketing", password="wrong")

    with pytest.raises(ChannelError) as caught:
        channels.send("email", HOT_LEAD, "sam@example.com", now=NOW)

    assert caught.value.retry is False
    assert "535" in str(caught.value) and "SMARKETING_SMTP_USER" in str(caught.value)
    assert box.envelopes == []


def test_a_certificate_nobody_vouches_for_is_refused(monkeypatch, mail_server, tls):
    controller, box = mail_server(tls_context=tls, require_starttls=True)
    configure(monkeypatch, controller)
    monkeypatch.setenv("SSL_CERT_FILE", str(Path(__file__)))  # no CA in it

    with pytest.raises(ChannelError) as caught:
        channels.send("email", HOT_LEAD, "sam@example.com", now=NOW)

    assert caught.value.retry is False
    assert "certificate" in str(caught.value)
    assert box.envelopes == []


@pytest.mark.parametrize(
    ("settings", "said"),
    [
        # STARTTLS asked of a server that does not offer it: no silent fall-back to plain
        ({}, "does not support STARTTLS (set SMARKETING_SMTP_SECURITY=ssl or none)"),
        # a login asked where the server offers none (aiosmtpd offers AUTH only after TLS)
        ({"security": "none", "user": "u", "password": "p"}, "does not support login"),
    ],
)
def test_a_server_without_what_the_settings_ask(monkeypatch, mail_server, settings, said):
    controller, box = mail_server(login=True)
    configure(monkeypatch, controller, **settings)

    with pytest.raises(ChannelError) as caught:
        channels.send("email", HOT_LEAD, "sam@example.com", now=NOW)

    assert caught.value.retry is False
    assert said in str(caught.value)
    assert box.envelopes == []


def test_non_ascii_names_arrive_intact(monkeypatch, mail_server):
    controller, box = mail_server()
    configure(monkeypatch, controller, security="none", **{"from": "Smårketing <bot@example.com>"})
    norsk = Message(
        kind="minutes", subject="Referat: møte med Åse Ødegård", text="Ærlig talt: «bra» 👍"
    )

    channels.send("email", norsk, "sam@example.com", now=NOW)

    mail = box.received()
    assert mail["Subject"] == "Referat: møte med Åse Ødegård"
    assert mail["From"] == "Smårketing <bot@example.com>"
    assert mail.get_payload()[0].get_content().splitlines() == ["Ærlig talt: «bra» 👍"]
    assert box.envelopes[0].content.isascii()  # headers encoded, parts transfer-encoded


def test_implicit_tls(monkeypatch, mail_server, tls):
    controller, box = mail_server(ssl_context=tls)
    configure(monkeypatch, controller, security="ssl")

    channels.send("email", HOT_LEAD, "sam@example.com", now=NOW)

    assert box.received()["Subject"].startswith("Hot lead: Eve")


def test_a_refused_connection_is_retried(monkeypatch):
    monkeypatch.setenv("SMARKETING_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SMARKETING_SMTP_PORT", str(free_port()))  # nothing listens there
    monkeypatch.setenv("SMARKETING_SMTP_FROM", SENDER)

    with pytest.raises(ChannelError) as caught:
        channels.send("email", HOT_LEAD, "sam@example.com", now=NOW, timeout=2)

    assert caught.value.retry is True
    assert "could not be reached" in str(caught.value)


@pytest.mark.parametrize(
    ("recipient", "retry", "quoted"),
    [
        # a permanent refusal: the server's reply in the error, no retry
        ("nobody@example.com", False, "550 5.1.1"),
        # a temporary one: worth another try
        ("busy@example.com", True, "450 4.2.1 Mailbox busy"),
    ],
)
def test_a_refused_recipient(monkeypatch, mail_server, recipient, retry, quoted):
    controller, box = mail_server()
    configure(monkeypatch, controller, security="none")

    with pytest.raises(ChannelError) as caught:
        channels.send("email", HOT_LEAD, recipient, now=NOW)

    assert caught.value.retry is retry
    assert quoted in str(caught.value)
    assert box.envelopes == []


def test_email_without_a_server_is_not_configured():
    with pytest.raises(ChannelError) as caught:
        channels.send("email", HOT_LEAD, "sam@example.com", now=NOW)

    assert caught.value.retry is False
    assert str(caught.value) == (
        "SMTP is not configured: set SMARKETING_SMTP_HOST and SMARKETING_SMTP_FROM"
    )


@pytest.mark.parametrize(
    "address",
    ["", "sam", "sam@example.com\r\nBcc: all@example.com", "Sam <sam@example.com>", "a@b@c.d"],
)
def test_a_bad_address_is_refused_before_connecting(monkeypatch, address):
    monkeypatch.setenv("SMARKETING_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("SMARKETING_SMTP_PORT", str(free_port()))
    monkeypatch.setenv("SMARKETING_SMTP_FROM", SENDER)

    with pytest.raises(ChannelError) as caught:
        channels.send("email", HOT_LEAD, address, now=NOW)

    assert caught.value.retry is False
    assert "is not an e-mail address" in str(caught.value)


def test_smtp_settings_from_secrets_toml(tmp_path):
    from smarketing import config

    (tmp_path / ".streamlit").mkdir()
    (tmp_path / ".streamlit" / "secrets.toml").write_text(
        '[smtp]\nhost = "mail.example.com"\nport = 465\nsecurity = "ssl"\n'
        'user = "bot"\npassword = "pw"\nfrom = "bot@example.com"\n'
    )
    settings = config.smtp_settings()
    assert (settings.host, settings.port, settings.security) == ("mail.example.com", 465, "ssl")
    assert (settings.user, settings.password, settings.sender) == ("bot", "pw", "bot@example.com")
    assert "pw" not in repr(settings)


@pytest.mark.parametrize(
    ("variables", "problem"),
    [
        ({"HOST": "mail.example.com"}, "SMTP is not configured"),
        ({"FROM": "a@example.com"}, "SMTP is not configured"),
        ({"SECURITY": "tls"}, "must be starttls"),
        ({"PORT": "smtp"}, "must be a port number"),
        ({"PORT": "70000"}, "must be a port number"),
        ({"PASSWORD": "pw"}, "without SMARKETING_SMTP_USER"),
    ],
)
def test_smtp_settings_that_cannot_work(monkeypatch, variables, problem):
    from smarketing import config

    base = {"HOST": "mail.example.com", "FROM": "a@example.com"}
    if "HOST" in variables or "FROM" in variables:
        base = {}
    for name, value in {**base, **variables}.items():
        monkeypatch.setenv(f"SMARKETING_SMTP_{name}", value)
    with pytest.raises(InvalidInput, match=problem):
        config.smtp_settings()


def test_smtp_defaults(monkeypatch):
    from smarketing import config

    assert config.smtp_settings() is None
    monkeypatch.setenv("SMARKETING_SMTP_HOST", "mail.example.com")
    monkeypatch.setenv("SMARKETING_SMTP_FROM", "a@example.com")
    settings = config.smtp_settings()
    assert (settings.port, settings.security, settings.user) == (587, "starttls", None)


# --- the documented shapes -------------------------------------------------------------------


def slack_problems(payload: dict) -> list[str]:
    """What Slack's Block Kit reference forbids in an incoming webhook's message."""
    problems = []
    if not isinstance(payload.get("text"), str) or not payload["text"]:
        problems.append("no top-level text fallback")
    blocks = payload.get("blocks", [])
    if not 0 < len(blocks) <= 50:
        problems.append(f"{len(blocks)} blocks (1 to 50)")
    for block in blocks:
        kind = block.get("type")
        if kind == "header":
            text = block["text"]
            if text["type"] != "plain_text" or not 0 < len(text["text"]) <= 150:
                problems.append("header: plain_text of 1 to 150 characters")
        elif kind == "section":
            if "text" not in block and "fields" not in block:
                problems.append("section without text or fields")
            if "text" in block and len(block["text"]["text"]) > 3000:
                problems.append("section text over 3000")
            fields = block.get("fields", [])
            if len(fields) > 10:
                problems.append("more than 10 fields")
            for field in fields:
                if field["type"] not in {"mrkdwn", "plain_text"} or len(field["text"]) > 2000:
                    problems.append("field over 2000 or of no text type")
        elif kind == "actions":
            for element in block["elements"]:
                if element["type"] != "button" or element["text"]["type"] != "plain_text":
                    problems.append("actions: a button with plain_text")
                if len(element["text"]["text"]) > 75 or len(element.get("url", "")) > 3000:
                    problems.append("button text over 75 or url over 3000")
        else:
            problems.append(f"unexpected block {kind!r}")
    return problems


def teams_problems(payload: dict) -> list[str]:
    """What Microsoft documents for an Adaptive Card sent to an incoming webhook."""
    problems = []
    if payload.get("type") != "message" or len(payload.get("attachments", [])) != 1:
        return ["not a message with one attachment"]
    attachment = payload["attachments"][0]
    if attachment.get("contentType") != "application/vnd.microsoft.card.adaptive":
        problems.append("attachment is not an Adaptive Card")
    card = attachment.get("content", {})
    if card.get("type") != "AdaptiveCard" or card.get("version") != "1.4":
        problems.append("content is not an AdaptiveCard 1.4")
    for element in card.get("body", []):
        if element["type"] == "TextBlock" and not isinstance(element.get("text"), str):
            problems.append("TextBlock without text")
        elif element["type"] == "FactSet" and not all(
            set(fact) == {"title", "value"} for fact in element["facts"]
        ):
            problems.append("a fact is not {title, value}")
        elif element["type"] not in {"TextBlock", "FactSet"}:
            problems.append(f"unexpected element {element['type']!r}")
    for action in card.get("actions", []):
        if action["type"] != "Action.OpenUrl" or not action["url"].startswith("https://"):
            problems.append("an action is not Action.OpenUrl")
    return problems


WEBHOOK_KEYS = {"kind", "subject", "text", "facts", "link", "sent_at"}


@pytest.mark.parametrize(
    ("build", "problems", "fixture"),
    [
        (slack_payload, slack_problems, "slack_hot_lead.json"),
        (teams_payload, teams_problems, "teams_hot_lead.json"),
    ],
)
def test_chat_payloads_keep_the_documented_shape_and_match_the_recording(build, problems, fixture):
    recorded = json.loads((FIXTURES / fixture).read_text())
    assert problems(recorded) == []
    assert build(HOT_LEAD) == recorded


def test_the_webhook_payload_matches_the_readme_schema():
    recorded = json.loads((FIXTURES / "webhook_hot_lead.json").read_text())
    assert set(recorded) == WEBHOOK_KEYS
    assert webhook_payload(HOT_LEAD, now=NOW) == recorded


def test_slack_escapes_the_data_and_splits_facts_by_ten():
    many = Message(
        kind="sla_at_risk",
        subject="x" * 200,
        text="<@U123> & <!channel> wrote **this**",
        facts=tuple((f"Metric {i}", f"<{i}>") for i in range(12)),
        link="https://smarketing.example.com/sla",
        link_text="L" * 100,
    )
    payload = slack_payload(many)
    assert slack_problems(payload) == []
    header, text, first, second, actions = payload["blocks"]
    assert header["text"]["text"] == "x" * 149 + "…"
    assert text["text"]["text"] == "&lt;@U123&gt; &amp; &lt;!channel&gt; wrote *this*"
    assert [len(first["fields"]), len(second["fields"])] == [10, 2]
    assert second["fields"][1]["text"] == "*Metric 11*\n&lt;11&gt;"
    assert actions["elements"][0]["text"]["text"] == "L" * 74 + "…"


def test_a_long_text_is_split_into_sections_within_the_limit():
    # 8 paragraphs of 994 characters: 3 fit in a section (3 × 994 + 2 × 2 = 2,986 ≤ 3,000),
    # so 3 + 3 + 2.
    long = Message(kind="minutes", subject="Minutes", text="\n\n".join(["word " * 199] * 8))
    sections = [b for b in slack_payload(long)["blocks"] if b["type"] == "section"]
    assert [len(s["text"]["text"]) for s in sections] == [2986, 2986, 1990]
    assert slack_problems(slack_payload(long)) == []


def test_a_link_that_is_not_http_is_left_out():
    odd = Message(kind="test", subject="s", text="t", link="javascript:alert(1)")
    assert [b["type"] for b in slack_payload(odd)["blocks"]] == ["header", "section"]
    assert "actions" not in teams_payload(odd)["attachments"][0]["content"]
    assert webhook_payload(odd, now=NOW)["link"] is None


# --- the webhooks over HTTP ------------------------------------------------------------------


def slack_receiver(request):
    """Answers as Slack's incoming webhook: 200 "ok", 400 "invalid_blocks"."""
    payload = json.loads(request.data)
    if slack_problems(payload):
        return Response("invalid_blocks", status=400)
    return Response("ok", status=200)


def teams_receiver(request):
    """Answers as a Teams Workflows webhook: 202 Accepted for a valid card."""
    payload = json.loads(request.data)
    if teams_problems(payload):
        return Response("Bad Request", status=400)
    return Response("", status=202)


@pytest.mark.parametrize(
    ("channel", "receiver", "build"),
    [("slack", slack_receiver, slack_payload), ("teams", teams_receiver, teams_payload)],
)
def test_chat_channels_post_their_payload(httpserver, channel, receiver, build):
    httpserver.expect_oneshot_request(
        "/hook/T000/B000/XXXX", method="POST", headers={"Content-Type": "application/json"}
    ).respond_with_handler(receiver)

    channels.send(channel, HOT_LEAD, httpserver.url_for("/hook/T000/B000/XXXX"), now=NOW)

    httpserver.check_assertions()
    ((request, _response),) = httpserver.log
    assert json.loads(request.data) == build(HOT_LEAD)


@pytest.mark.parametrize(
    ("status", "headers", "body", "retry", "said"),
    [
        (500, {}, "oops", True, "answered HTTP 500: oops"),
        (503, {"Retry-After": "120"}, "", True, "HTTP 503 (Retry-After: 120 s)"),
        (
            429,
            {"Retry-After": "30"},
            "rate_limited",
            True,
            "HTTP 429: rate_limited (Retry-After: 30 s)",
        ),
        (429, {"Retry-After": "Wed, 18 Nov 2026 12:01:00 GMT"}, "", True, "(Retry-After: 60 s)"),
        (400, {}, "invalid_payload", False, "answered HTTP 400: invalid_payload"),
        (403, {}, "action_prohibited", False, "HTTP 403: action_prohibited"),
        (404, {}, "no_service", False, "HTTP 404: no_service"),
        (302, {"Location": "https://elsewhere.example.com/"}, "", False, "a redirect"),
    ],
)
def test_http_answers_decide_the_retry(httpserver, status, headers, body, retry, said):
    httpserver.expect_oneshot_request("/services/T/B/SECRETPATH").respond_with_data(
        body, status=status, headers=headers
    )
    url = httpserver.url_for("/services/T/B/SECRETPATH")

    with pytest.raises(ChannelError) as caught:
        channels.send("slack", HOT_LEAD, url, now=NOW)

    assert caught.value.retry is retry
    assert said in str(caught.value)
    assert "SECRETPATH" not in str(caught.value)  # a webhook's path is its key


def test_a_long_teams_message_is_cut_to_the_size_teams_takes():
    long = Message(
        kind="minutes",
        subject="Minutes",
        text="\n\n".join(f"Paragraph {i}: " + "ø" * 2000 for i in range(30)),
        facts=(("Meeting", "Weekly"),),
        link="https://smarketing.example.com/meeting?id=7",
    )
    payload = teams_payload(long)
    size = len(json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode())
    assert 27 * 1024 < size <= 28 * 1024
    body = payload["attachments"][0]["content"]["body"]
    assert teams_problems(payload) == []
    assert body[0]["text"] == "Minutes" and body[-2]["type"] == "FactSet"
    assert body[-1]["text"] == "The rest is too long for Teams: open it in Smarketing."
    assert body[1]["text"].startswith("Paragraph 0: ")


@pytest.mark.parametrize(
    ("answer", "retry"),
    [
        (
            "Webhook message delivery failed with error: Microsoft Teams endpoint returned "
            "HTTP error 429 with ContextId tcid=0",
            True,
        ),
        (
            "Webhook message delivery failed with error: Microsoft Teams endpoint returned "
            "HTTP error 413 with ContextId tcid=0",
            False,
        ),
    ],
)
def test_a_legacy_connector_200_with_an_error_is_a_failure(httpserver, answer, retry):
    httpserver.expect_oneshot_request("/webhookb2/x").respond_with_data(answer, status=200)

    with pytest.raises(ChannelError) as caught:
        channels.send("teams", HOT_LEAD, httpserver.url_for("/webhookb2/x"), now=NOW)

    assert caught.value.retry is retry
    assert "HTTP error 4" in str(caught.value)


def test_a_500_then_a_200_delivers_on_the_retry(httpserver):
    httpserver.expect_ordered_request("/hook").respond_with_data("busy", status=500)
    httpserver.expect_ordered_request("/hook").respond_with_handler(teams_receiver)
    url = httpserver.url_for("/hook")

    with pytest.raises(ChannelError) as caught:
        channels.send("teams", HOT_LEAD, url, now=NOW)
    assert caught.value.retry is True
    channels.send("teams", HOT_LEAD, url, now=NOW)

    assert len(httpserver.log) == 2
    httpserver.check_assertions()


def test_a_receiver_too_slow_is_retried(httpserver):
    def slow(request):
        time.sleep(1.0)
        return Response("ok")

    httpserver.expect_request("/slow").respond_with_handler(slow)

    with pytest.raises(ChannelError) as caught:
        channels.send("webhook", HOT_LEAD, httpserver.url_for("/slow"), now=NOW, timeout=0.2)

    assert caught.value.retry is True
    assert "did not answer within 0.2 s" in str(caught.value)
    for _ in range(60):  # let the slow answer finish before the next test uses the server
        if httpserver.log:
            break
        time.sleep(0.05)


def test_a_refused_http_connection_is_retried():
    with pytest.raises(ChannelError) as caught:
        channels.send("slack", HOT_LEAD, f"http://127.0.0.1:{free_port()}/hook", now=NOW)
    assert caught.value.retry is True


@pytest.mark.parametrize(
    "address",
    [
        "file:///etc/passwd",
        "ftp://127.0.0.1/hook",
        "javascript:alert(1)",
        "127.0.0.1/hook",
        "http:///no-host",
        "http://127.0.0.1:99999/hook",
        "http://127.0.0.1/a b",
        "",
    ],
)
@pytest.mark.parametrize("channel", ["slack", "teams", "webhook"])
def test_only_http_urls_are_posted_to(httpserver, channel, address):
    with pytest.raises(ChannelError) as caught:
        channels.send(channel, HOT_LEAD, address, now=NOW)
    assert caught.value.retry is False
    assert channels.address_problem(channel, address) is not None
    assert httpserver.log == []


def test_the_signed_webhook_verifies(httpserver, monkeypatch):
    secret = "whsec-test-0123456789"
    monkeypatch.setenv("SMARKETING_WEBHOOK_SECRET", secret)
    httpserver.expect_oneshot_request("/receiver", method="POST").respond_with_data("", 204)

    channels.send("webhook", HOT_LEAD, httpserver.url_for("/receiver"), now=NOW)

    ((request, _response),) = httpserver.log
    timestamp = request.headers["X-Smarketing-Timestamp"]
    assert (
        timestamp == str(int(NOW.timestamp())) == "1795003200"
    )  # 2026-01-01 is 1767225600; + 321 days + 12 h
    # The receiver's check, written from the README: HMAC-SHA256 of timestamp + "." + body.
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + request.data, hashlib.sha256)
    assert request.headers["X-Smarketing-Signature"] == "sha256=" + expected.hexdigest()
    body = json.loads(request.data)
    assert body["sent_at"] == "2026-11-18T12:00:00Z"
    assert body["facts"][0] == {"label": "Campaign", "value": "Webinar <Q4>"}


def test_an_unsigned_webhook_has_no_signature(httpserver):
    httpserver.expect_oneshot_request("/receiver").respond_with_data("ok")

    channels.send("webhook", HOT_LEAD, httpserver.url_for("/receiver"), now=NOW)

    ((request, _response),) = httpserver.log
    assert "X-Smarketing-Signature" not in request.headers
    assert set(json.loads(request.data)) == WEBHOOK_KEYS


# --- dispatch and "Send a test" --------------------------------------------------------------


def test_send_test_says_where_and_when_without_the_webhook_key(httpserver, monkeypatch):
    monkeypatch.setenv("SMARKETING_PUBLIC_URL", "https://smarketing.example.com")
    httpserver.expect_oneshot_request("/services/T1/B2/KEY").respond_with_handler(slack_receiver)
    url = httpserver.url_for("/services/T1/B2/KEY")

    line = channels.send_test("slack", url, now=NOW)

    host = url.split("/")[2]
    # 12:00 UTC is 13:00 in Europe/Oslo, the default business timezone.
    assert line == f"Sent to {host} (Slack) at Wed 18 Nov 2026 13:00"
    ((request, _response),) = httpserver.log
    payload = json.loads(request.data)
    assert payload["blocks"][0]["text"]["text"] == "Test from Smarketing"
    assert payload["blocks"][-1]["elements"][0]["url"] == "https://smarketing.example.com"


def test_send_test_by_email(monkeypatch, mail_server):
    controller, box = mail_server()
    configure(monkeypatch, controller, security="none")

    line = channels.send_test("email", "sam@example.com", now=NOW)

    assert line == "Sent to sam@example.com (E-mail) at Wed 18 Nov 2026 13:00"
    assert box.received()["Subject"] == "Test from Smarketing"


def test_send_test_failing_raises():
    with pytest.raises(ChannelError, match="SMTP is not configured"):
        channels.send_test("email", "sam@example.com", now=NOW)


def test_an_unknown_channel():
    with pytest.raises(ChannelError, match="unknown channel 'sms'") as caught:
        channels.send("sms", HOT_LEAD, "+4712345678", now=NOW)
    assert caught.value.retry is False
    assert set(channels.CHANNELS) == {"email", "slack", "teams", "webhook"}


def test_retry_after_forms():
    assert retry_after_seconds("30", NOW) == 30
    assert retry_after_seconds("Wed, 18 Nov 2026 12:00:10 GMT", NOW) == 10
    assert retry_after_seconds("Wed, 18 Nov 2026 11:00:00 GMT", NOW) == 0  # already past
    assert retry_after_seconds("soon", NOW) is None
    assert retry_after_seconds(None, NOW) is None


def test_the_channel_reads_no_wall_clock_when_given_now():
    assert webhook_payload(HOT_LEAD, now=datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC))["sent_at"] == (
        "2026-01-02T03:04:05Z"
    )
