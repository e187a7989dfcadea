"""`hot-leads` on the command line: text and JSON, --since and --now, and the webhook
against a local HTTP server (200: one message per hot lead, the hot-lead rule's, by the
channel the URL names; 500 and a dead port exit 1)."""

from __future__ import annotations

import argparse
import json
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from smarketing.cli import hot_leads as cli_hot_leads
from smarketing.store.models import Lead, LeadActivity

NOW = datetime(2026, 11, 18, 12, 0, tzinfo=UTC)
DAY, HOUR = timedelta(days=1), timedelta(hours=1)


def parse(*argv: str) -> argparse.Namespace:
    """The arguments as `python -m smarketing hot-leads …` parses them."""
    parser = argparse.ArgumentParser(prog="smarketing")
    sub = parser.add_subparsers(dest="command", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db")
    cli_hot_leads.add_parser(sub, common)
    return parser.parse_args(["hot-leads", *argv])


def run(engine, capsys, *argv: str) -> tuple[int, str, str]:
    code = cli_hot_leads.run(parse(*argv), lambda args: engine)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def data(session):
    """Ola is back after 20 days (a download 3 h ago); Kari, rejected 3 days ago, filled in
    a form 30 h ago; Per is busy (no silence); Nina is new."""
    rows = [
        ("Ola", "Nordmann", "Fjord AS", "sam", None, [(-20 * DAY - 3 * HOUR, "page_view", "/")]),
        ("Kari", "Hansen", "", None, -3 * DAY, [(-4 * DAY, "page_view", "/pricing")]),
        ("Per", "Olsen", "Vik AS", "sam", None, [(-2 * DAY, "page_view", "/")]),
        ("Nina", "Berg", "Elv AS", "sam", None, []),
    ]
    triggers = {
        "Ola": (-3 * HOUR, "download", "SLA e-book"),
        "Kari": (-30 * HOUR, "form", "Demo request"),
        "Per": (-HOUR, "page_view", "/pricing"),
        "Nina": (-HOUR, "form", "Contact us"),
    }
    for i, (first, last, company, owner, rejected, before) in enumerate(rows):
        lead = Lead(
            external_id=str(i),
            first_name=first,
            last_name=last,
            company=company,
            owner=owner,
            created_at=NOW - 60 * DAY,
            mql_at=None if rejected is None else NOW - 10 * DAY,
            rejected_at=None if rejected is None else NOW + rejected,
        )
        session.add(lead)
        session.flush()
        for offset, kind, detail in [*before, triggers[first]]:
            session.add(
                LeadActivity(lead_id=lead.id, kind=kind, detail=detail, occurred_at=NOW + offset)
            )
    session.commit()


def test_text(engine, data, capsys):
    code, out, err = run(engine, capsys, "--now", "2026-11-18T12:00Z")
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert lines[0] == "2 hot leads in the last 48 hours up to 2026-11-18 13:00 Europe/Oslo:"
    assert lines[1] == (
        "• Ola Nordmann (Fjord AS): back after 20 days. Download “SLA e-book” at "
        "2026-11-18 10:00. Owner: sam. Lead #1"
    )
    assert lines[2] == (
        "• Kari Hansen: rejected lead came back. Form “Demo request” at 2026-11-17 07:00. "
        "Owner: no owner. Lead #2"
    )


def test_json_and_since(engine, data, capsys):
    code, out, _ = run(engine, capsys, "--now", "2026-11-18T12:00Z", "--format", "json")
    assert code == 0
    assert json.loads(out) == [
        {
            "lead_id": 1,
            "name": "Ola Nordmann",
            "company": "Fjord AS",
            "owner": "sam",
            "trigger_kind": "download",
            "trigger_detail": "SLA e-book",
            "trigger_at": "2026-11-18T09:00:00+00:00",
            "reason": "back after 20 days",
            "silent_days": 20,
        },
        {
            "lead_id": 2,
            "name": "Kari Hansen",
            "company": "",
            "owner": None,
            "trigger_kind": "form",
            "trigger_detail": "Demo request",
            "trigger_at": "2026-11-17T06:00:00+00:00",
            "reason": "rejected lead came back",
            "silent_days": 2,
        },
    ]
    # a naive --now is business time: 13:00 Oslo = 12:00 UTC; 24 hours leave Kari out
    code, out, _ = run(
        engine, capsys, "--now", "2026-11-18T13:00", "--since", "24", "--format", "json"
    )
    assert [h["name"] for h in json.loads(out)] == ["Ola Nordmann"]


def test_nothing_hot(engine, capsys):
    code, out, _ = run(engine, capsys, "--now", "2026-11-18T12:00Z", "--since", "1")
    assert (code, out) == (0, "No hot leads in the last hour up to 2026-11-18 13:00 Europe/Oslo.\n")
    code, out, _ = run(engine, capsys, "--now", "2026-11-18T12:00Z", "--format", "json")
    assert json.loads(out) == []


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--since", "0"], "invalid hours '0'"),
        (["--since", "soon"], "invalid hours 'soon'"),
        (["--now", "yesterday"], "invalid time 'yesterday'"),
        (["--webhook", "file:///etc/passwd"], "an http(s):// URL"),
        (["--format", "csv"], "invalid choice"),
    ],
)
def test_usage_errors(capsys, argv, message):
    with pytest.raises(SystemExit) as exc:
        parse(*argv)
    assert exc.value.code == 2
    assert message in capsys.readouterr().err


# --- the webhook ----------------------------------------------------------------------------


@pytest.fixture
def webhook():
    """A local HTTP server recording each POST; set ``.status`` to choose its answer."""

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            server.received.append((self.path, self.headers["Content-Type"], body))
            self.send_response(server.status)
            self.end_headers()
            self.wfile.write(b"ok" if server.status == 200 else b"invalid_payload")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.received, server.status = [], 200
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.url = f"http://127.0.0.1:{server.server_address[1]}/services/T000/B000/secret"
    yield server
    server.shutdown()
    server.server_close()
    thread.join(5)


def test_webhook_gets_the_owners_message_for_each_hot_lead(engine, data, capsys, webhook):
    code, out, err = run(
        engine, capsys, "--now", "2026-11-18T12:00Z", "--format", "json", "--webhook", webhook.url
    )
    assert code == 0
    assert len(json.loads(out)) == 2  # stdout stays pure JSON
    assert "posted 2 hot leads" in err and "secret" not in err
    assert [r[0] for r in webhook.received] == ["/services/T000/B000/secret"] * 2
    assert all(r[1].startswith("application/json") for r in webhook.received)
    bodies = [json.loads(r[2]) for r in webhook.received]
    # 127.0.0.1 is neither Slack nor Teams: the generic webhook's JSON document
    assert [(b["kind"], b["subject"]) for b in bodies] == [
        ("hot_lead", "Hot lead: Ola Nordmann is back"),
        ("hot_lead", "Hot lead: Kari Hansen is back"),
    ]
    assert bodies[0]["text"].startswith("**Ola Nordmann** (Fjord AS) is back — back after 20 days.")
    assert {"label": "Why hot", "value": "back after 20 days"} in bodies[0]["facts"]
    assert bodies[1]["text"].startswith("**Kari Hansen** is back — rejected lead came back.")


def test_webhook_as_slack(engine, data, capsys, webhook):
    code, _, _ = run(
        engine, capsys, "--now", "2026-11-18T12:00Z", "--webhook", webhook.url, "--channel", "slack"
    )
    assert code == 0
    first = json.loads(webhook.received[0][2])
    assert first["blocks"][0]["text"]["text"] == "Hot lead: Ola Nordmann is back"
    assert first["blocks"][1]["text"]["text"].startswith("*Ola Nordmann* (Fjord AS) is back")


@pytest.mark.parametrize(
    "url, channel",
    [
        ("https://hooks.slack.com/services/T000/B000/x", "slack"),
        ("https://acme.webhook.office.com/webhookb2/x", "teams"),
        ("https://prod-1.westeurope.logic.azure.com:443/workflows/x", "teams"),
        ("https://example.com/hooks/smarketing", "webhook"),
        ("https://hooks.slack.com.example.com/x", "webhook"),
    ],
)
def test_the_channel_is_told_by_the_host(url, channel):
    from smarketing.notify.channels import channel_for_url

    assert channel_for_url(url) == channel


def test_webhook_error_status_exits_1(engine, data, capsys, webhook):
    webhook.status = 500
    code, out, err = run(engine, capsys, "--now", "2026-11-18T12:00Z", "--webhook", webhook.url)
    assert code == 1
    assert out.startswith("2 hot leads")  # the list is still printed
    host = webhook.url.split("/")[2]
    assert err.startswith(f"error: the webhook at {host} answered HTTP 500")
    assert "invalid_payload" in err
    assert "secret" not in err  # the URL's path is a credential
    assert len(err.strip().splitlines()) == 1
    assert len(webhook.received) == 1  # the first failure stops the posting


def test_unreachable_webhook_exits_1(engine, data, capsys):
    with ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler) as closed:
        port = closed.server_address[1]
    url = f"http://127.0.0.1:{port}/hook"
    code, _, err = run(engine, capsys, "--now", "2026-11-18T12:00Z", "--webhook", url)
    assert code == 1
    assert err.startswith(f"error: the webhook at 127.0.0.1:{port} could not be reached")


def test_nothing_hot_posts_nothing(engine, capsys, webhook):
    code, out, err = run(engine, capsys, "--now", "2026-11-18T12:00Z", "--webhook", webhook.url)
    assert code == 0
    assert out.startswith("No hot leads")
    assert "nothing posted" in err
    assert webhook.received == []


def test_a_long_list_is_cut(engine, data, capsys, webhook, monkeypatch):
    monkeypatch.setattr(cli_hot_leads, "MESSAGE_MAX_LEADS", 1)
    code, out, err = run(engine, capsys, "--now", "2026-11-18T12:00Z", "--webhook", webhook.url)
    assert code == 0
    assert len(out.splitlines()) == 3  # the printed list is whole
    [(_, _, body)] = webhook.received
    assert json.loads(body)["subject"] == "Hot lead: Ola Nordmann is back"
    assert "posted 1 hot lead to" in err
    assert "1 more not posted: run `python -m smarketing hot-leads`" in err
