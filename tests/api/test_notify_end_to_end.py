"""End to end: an event posted to ``/api/events`` that makes a lead hot reaches the
owner's channel within one interval of the ``notify`` job.

The lead Eve Example (owner "Sam Seller") was last active 20 days ago. The website posts
her download at NOW; the scheduler's own jobs run through its Runner with a fixed clock:
``events-intake`` 2 s later writes the activity, ``notify`` one interval (60 s) later finds
the hot lead and sends it — to Sam's Slack webhook, a local receiver on 127.0.0.1 — once.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlmodel import Session

from smarketing.jobs.scheduler import JOBS, OK, Runner
from smarketing.store.models import LeadActivity, NotifyPreference, User
from tests.conftest import NOW
from tests.factories import add_lead

PUBLIC = "https://smarketing.example.com"


@pytest.fixture(scope="session")
def httpserver_listen_address():
    return ("127.0.0.1", 0)


@pytest.fixture
def eve(engine, httpserver, monkeypatch):
    monkeypatch.setenv("SMARKETING_PUBLIC_URL", PUBLIC)
    monkeypatch.delenv("SMARKETING_TIMEZONE", raising=False)
    httpserver.expect_request("/slack/sam", method="POST").respond_with_data("ok")
    with Session(engine) as s:
        s.add(User(username="sam", name="Sam Seller", email="sam@example.com", roles="sales",
                   password_hash="x"))  # fmt: skip
        s.add(
            NotifyPreference(
                username="sam",
                kinds="hot_lead,contact_deadline",
                channel="slack",
                address=httpserver.url_for("/slack/sam"),
                updated_by="sam",
            )
        )
        s.commit()
        lead = add_lead(
            s, "E1", "2026-09-01 10:00", first_name="Eve", last_name="Example",
            email="eve@example.com", owner="Sam Seller", campaign="Webinar Q4",
        )  # fmt: skip
        s.add(LeadActivity(lead_id=lead.id, kind="page_view", detail="/pricing",
                           occurred_at=NOW - timedelta(days=20)))  # fmt: skip
        s.commit()
        return lead.id


def job(name: str):
    return next(j for j in JOBS if j.name == name)


def test_a_posted_event_reaches_the_owner_within_the_job_interval(
    client, engine, token, eve, httpserver
):
    event = {"event_id": "dl-1", "email": "eve@example.com", "kind": "download",
             "detail": "Pricing guide"}  # fmt: skip
    answer = client.post("/api/events", json=event, headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 202

    intake_at = NOW + timedelta(seconds=job("events-intake").every_seconds)
    run = Runner(engine, clock=lambda: intake_at).run(job("events-intake"))
    assert run.outcome == OK
    assert httpserver.log == []  # written, not yet told

    interval = timedelta(seconds=job("notify").every_seconds)
    assert interval <= timedelta(minutes=5)
    notify_at = NOW + interval
    run = Runner(engine, clock=lambda: notify_at).run(job("notify"))
    assert run.outcome == OK, run.detail
    [(request, _)] = httpserver.log
    payload = json.loads(request.get_data())
    assert payload["blocks"][0]["text"]["text"] == "Hot lead: Eve Example is back"
    assert "*Eve Example* is back — back after 20 days." in payload["blocks"][1]["text"]["text"]
    button = payload["blocks"][-1]["elements"][0]
    assert button["url"] == f"{PUBLIC}/leads?lead={eve}"

    # the next tick finds the same hot lead: nothing more is sent
    later = notify_at + interval
    assert Runner(engine, clock=lambda: later).run(job("notify")).outcome == OK
    assert len(httpserver.log) == 1
