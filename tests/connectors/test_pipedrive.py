"""The Pipedrive connector against a fake Pipedrive API on 127.0.0.1."""

from __future__ import annotations

import csv
import io
import json
import socket
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from smarketing.connectors import connector_class
from smarketing.connectors.base import AuthFailed, BadResponse, MissingScope, Unreachable
from smarketing.connectors.pipedrive import Pipedrive
from smarketing.data_in.reading import read_leads
from tests.fakes.pipedrive import BASE, TOKEN, FakePipedrive, Fault, ts

FIXTURES = Path(__file__).parent / "fixtures" / "pipedrive"


def connect(server, fake, sleeps, *, token=TOKEN, page_size=7, timeout=2.0) -> Pipedrive:
    url = server.serve(fake)
    return Pipedrive(token, base_url=url, timeout=timeout, sleep=sleeps.append, page_size=page_size)


def everything(connector, cursor=None):
    pages = list(connector.pages(cursor))
    leads = [lead for page in pages for lead in page.leads]
    activities = [a for page in pages for a in page.activities]
    return pages, leads, activities


def persons_of(leads):
    return [lead for lead in leads if "add_time" in lead]


def deal_rows(leads):
    return {lead["id"]: lead for lead in leads if "deal.add_time" in lead}


def test_registered_under_its_kind():
    assert connector_class("pipedrive") is Pipedrive


def test_check_names_the_company(server, sleeps):
    connector = connect(server, FakePipedrive(5), sleeps)
    assert connector.check() == "Pipedrive company Fake Company AS: signed in as Kari Nordmann"


def test_pages_to_the_end_and_every_record_once(server, sleeps):
    fake = FakePipedrive(50)
    pages, leads, activities = everything(connect(server, fake, sleeps))
    persons = persons_of(leads)
    assert [p["id"] for p in persons] == [str(i) for i in range(1, 51)]
    # 50 persons in pages of 7: 8 pages; 16 + 2 deals: 3 pages; 25 activities: 4 pages
    assert len(pages) == 8 + 3 + 4
    assert sum(page.fetched for page in pages) == 50 + 18 + 25
    # every third person has a deal
    assert sorted(deal_rows(leads), key=int) == [str(i) for i in range(3, 51, 3)]
    # 25 activities; 6 are tasks, 4 more not done (10, 20, 40, 50)
    assert len(activities) == 15
    listed = [(path, args) for path, args in fake.requests if path == "/api/v2/persons"]
    assert all(args["sort_by"] == "update_time" and args["limit"] == "7" for _, args in listed)
    assert sum(1 for _, args in listed if "cursor" in args) == 7


def test_person_fields_owner_and_organisation(server, sleeps):
    _, leads, _ = everything(connect(server, FakePipedrive(10), sleeps))
    first, seventh = persons_of(leads)[0], persons_of(leads)[6]
    assert first["email"] == "p1@example.com"
    assert first["add_time"] == ts(BASE + timedelta(minutes=1))
    assert first["org_name"] == "Firma 2 AS"
    assert (first["owner_name"], first["_owner_name"], first["_owner_email"]) == (
        "Ola Nordmann",
        "Ola Nordmann",
        "ola@example.com",
    )
    assert seventh["org_name"] is None  # person 7 has no organisation
    assert seventh["_owner_email"] == "ola@example.com"  # owner 7 % 3 + 1 = 2


def test_deals_give_the_first_deals_stage_times(server, sleeps):
    _, leads, _ = everything(connect(server, FakePipedrive(20), sleeps))
    deals = deal_rows(leads)
    nine = BASE + timedelta(minutes=9, days=1)
    assert deals["9"]["deal.add_time"] == ts(nine)
    assert deals["9"]["deal.won_time"] == ts(nine + timedelta(days=10))
    assert deals["9"]["deal.lost_time"] is None
    assert deals["9"]["deal.value"] == "1009"
    twelve = BASE + timedelta(minutes=12, days=1)
    assert deals["12"]["deal.lost_time"] == ts(twelve + timedelta(days=5))
    assert deals["12"]["deal.won_time"] is None
    assert deals["6"]["deal.won_time"] is None and deals["6"]["deal.lost_time"] is None
    # person 18 won its first deal and lost a later one: the first counts
    eighteen = BASE + timedelta(minutes=18, days=1)
    assert deals["18"]["deal.won_time"] == ts(eighteen + timedelta(days=10))
    assert deals["18"]["deal.lost_time"] is None


def test_done_calls_meetings_and_emails_become_activities(server, sleeps):
    _, _, activities = everything(connect(server, FakePipedrive(8), sleeps))
    # persons 2 (meeting), 4 (email), 6 (task: left out), 8 (call)
    assert [(a.lead_external_id, a.kind, a.detail, a.actor) for a in activities] == [
        ("2", "meeting", "Meeting 2", "Siri Salg"),
        ("4", "email", "Email 4", "Ola Nordmann"),
        ("8", "call", "Call 8", "Siri Salg"),
    ]
    assert activities[0].occurred_at == BASE + timedelta(minutes=2, hours=2)


def test_incremental_run_reads_only_what_changed(server, sleeps):
    fake = FakePipedrive(30)
    connector = connect(server, fake, sleeps)
    pages, _, _ = everything(connector)
    cursor = pages[-1].cursor
    assert everything(connector, cursor)[0] == []  # nothing changed: nothing read

    later = BASE + timedelta(days=60)
    fake.change_persons([5, 6], later)
    fake.win_deal(2, later)  # person 6's deal
    fake.add_activity(4, "call", later)
    pages, leads, activities = everything(connector, cursor)
    assert [(p["id"], p["last_name"].endswith("-Endret")) for p in persons_of(leads)] == [
        ("5", True),
        ("6", True),
    ]
    assert deal_rows(leads)["6"]["deal.won_time"] == ts(later)
    assert [(a.lead_external_id, a.kind, a.occurred_at) for a in activities] == [
        ("4", "call", later)
    ]
    assert sum(page.fetched for page in pages) == 4
    assert json.loads(pages[-1].cursor)["persons"] == {"since": ts(later), "seen": [5, 6]}


def test_a_change_in_the_cursors_own_second_is_not_missed(server, sleeps):
    fake = FakePipedrive(6)
    connector = connect(server, fake, sleeps)
    cursor = everything(connector)[0][-1].cursor
    last = BASE + timedelta(minutes=6)  # person 6's update_time, the cursor's second
    fake.change_persons([2], last)
    _, leads, _ = everything(connector, cursor)
    assert [p["id"] for p in persons_of(leads)] == ["2"]


@pytest.mark.parametrize("stop_after", [3, 9, 12])
def test_interrupted_run_resumes_from_its_cursor_without_duplicates(server, sleeps, stop_after):
    fake = FakePipedrive(40)
    connector = connect(server, fake, sleeps)
    _, whole_leads, whole_activities = everything(connector)
    first: list = []
    for number, page in enumerate(connector.pages(None), start=1):
        first.append(page)
        if number == stop_after:
            break  # the sync died after storing page k
    rest, _, _ = everything(connector, first[-1].cursor)
    both = first + rest
    leads = [lead for page in both for lead in page.leads]
    activities = [a for page in both for a in page.activities]
    assert sorted(json.dumps(x, sort_keys=True) for x in leads) == sorted(
        json.dumps(x, sort_keys=True) for x in whole_leads
    )
    assert activities == whole_activities


def test_429_waits_what_retry_after_says(server, sleeps):
    fake = FakePipedrive(5)
    body = json.loads((FIXTURES / "rate_limited.json").read_text())
    fake.faults.add(Fault(429, body, {"Retry-After": "7"}, path="/api/v2/persons"))
    _, leads, _ = everything(connect(server, fake, sleeps))
    assert sleeps == [7.0]
    assert len(persons_of(leads)) == 5


def test_500s_then_success(server, sleeps):
    fake = FakePipedrive(5)
    fake.faults.add(Fault(500, {"success": False, "error": "Internal"}), Fault(503, {}))
    _, leads, _ = everything(connect(server, fake, sleeps))
    assert sleeps == [1.0, 2.0]  # no Retry-After: 1 s, doubling
    assert len(persons_of(leads)) == 5


def test_timeouts_end_unreachable_after_the_retries(server, sleeps):
    fake = FakePipedrive(5)
    fake.faults.always = Fault(200, {"success": True, "data": []}, delay=0.4)
    connector = connect(server, fake, sleeps, timeout=0.1)
    with pytest.raises(Unreachable, match=r"failed 5 times; last: no answer within 0\.1 s"):
        connector.check()
    assert sleeps == [1.0, 2.0, 4.0, 8.0]
    fake.faults.always = None


def test_no_server_is_unreachable(sleeps):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    connector = Pipedrive(TOKEN, base_url=f"http://127.0.0.1:{port}", sleep=sleeps.append)
    with pytest.raises(Unreachable, match="cannot connect"):
        connector.check()


def test_malformed_json_is_a_bad_response(server, sleeps):
    fake = FakePipedrive(5)
    fake.faults.add(Fault(200, b'{"success": true, "data": [{"id": 1,'))
    with pytest.raises(BadResponse, match="not JSON"):
        connect(server, fake, sleeps).check()


def test_an_answer_without_the_envelope_is_a_bad_response(server, sleeps):
    fake = FakePipedrive(5)
    fake.faults.add(Fault(200, [{"id": 1}]))
    with pytest.raises(BadResponse, match="success, data"):
        connect(server, fake, sleeps).check()


def test_revoked_token_says_where_to_get_one(server, sleeps):
    connector = connect(server, FakePipedrive(5), sleeps, token="revoked")
    with pytest.raises(AuthFailed, match=r"wrong or was revoked.*Personal preferences → API"):
        connector.check()
    with pytest.raises(AuthFailed):
        list(connector.pages(None))
    assert sleeps == []  # a 401 is not retried


def test_forbidden_names_what_is_needed(server, sleeps):
    fake = FakePipedrive(5)
    body = json.loads((FIXTURES / "forbidden.json").read_text())
    fake.faults.add(Fault(403, body, path="/api/v1/users/me"))
    with pytest.raises(MissingScope, match="may not read persons, deals and activities"):
        connect(server, fake, sleeps).check()


def test_recorded_answers_are_what_the_fake_answers(server, sleeps):
    """The fixtures are real-shaped answers; the fake answers in the same shape."""
    fake = FakePipedrive(3)
    recorded = json.loads((FIXTURES / "persons.json").read_text())
    fake.faults.add(Fault(200, recorded, path="/api/v2/persons"))
    connector = connect(server, fake, sleeps, page_size=1)
    first = next(iter(connector.pages(None)))
    assert first.leads[0]["email"] == "anna.berg@example.com"
    assert first.leads[0]["first_name"] == "Anna"
    served = connector._get("/api/v2/persons", {"limit": 1})
    assert set(served) == set(recorded)
    assert set(served["data"][0]) >= set(recorded["data"][0]) - {"picture_id"}
    for name in ("deals", "activities"):
        recorded = json.loads((FIXTURES / f"{name}.json").read_text())
        served = connector._get(f"/api/v2/{name}", {"limit": 1})
        assert set(served["data"][0]) <= set(recorded["data"][0])


def test_page_leads_read_by_the_pipedrive_import_rules(server, sleeps):
    """The records carry the API names the import's PIPEDRIVE table reads: as a file they
    give the same leads as the CSV import would."""
    pages, _, _ = everything(connect(server, FakePipedrive(9), sleeps, page_size=50))
    leads = {}
    for page in pages:
        for lead in page.leads:
            leads.setdefault(lead["id"], {}).update(lead)
    fields = list(Pipedrive.fields)
    out = io.StringIO()
    writer = csv.DictWriter(out, fields, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(leads.values())
    parsed = read_leads(out.getvalue().encode(), "pipedrive.csv", format="pipedrive", tz="UTC")
    assert parsed.errors == []
    values = {r.values["external_id"]: r.values for r in parsed.records}["9"]
    assert values["email"] == "p9@example.com"
    assert values["company"] == "Firma 10 AS"
    assert values["owner"] == "Kari Nordmann"
    assert values["created_at"] == BASE + timedelta(minutes=9)
    assert values["opportunity_at"] == BASE + timedelta(minutes=9, days=1)
    assert values["customer_at"] == BASE + timedelta(minutes=9, days=11)
    assert values["deal_value"] == 1009


def test_the_fakes_change_endpoint_feeds_an_incremental_run(server, sleeps):
    fake = FakePipedrive(20)
    connector = connect(server, fake, sleeps)
    cursor = everything(connector)[0][-1].cursor
    answer = httpx.post(f"{connector.base_url}/_fake/change?persons=3").json()
    _, leads, _ = everything(connector, cursor)
    assert [p["id"] for p in persons_of(leads)] == ["1", "2", "3"]
    assert {p["last_name"].endswith("-Endret") for p in persons_of(leads)} == {True}
    assert json.loads(cursor)["persons"]["since"] < answer["data"]["changed_at"]


def test_pages_are_streamed_not_read_ahead(server, sleeps):
    fake = FakePipedrive(50)
    pages = connect(server, fake, sleeps).pages(None)
    first = next(pages)
    assert [p["id"] for p in first.leads] == [str(i) for i in range(1, 8)]
    listed = [path for path, _ in fake.requests if path.startswith("/api/v2/")]
    assert listed == ["/api/v2/persons", "/api/v2/organizations"]  # page 1 and its orgs
    pages.close()
