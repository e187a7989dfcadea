"""The Salesforce connector (simple-salesforce) against a fake Salesforce org on 127.0.0.1."""

from __future__ import annotations

import csv
import io
import json
import socket
from datetime import timedelta
from pathlib import Path

import pytest
import requests

from smarketing.connectors import connector_class
from smarketing.connectors.base import (
    AuthFailed,
    BadResponse,
    ConnectorError,
    MissingScope,
    Unreachable,
)
from smarketing.connectors.salesforce import Salesforce
from smarketing.data_in.reading import read_leads
from tests.fakes.salesforce import BASE, TOKEN, FakeSalesforce, Fault, day, stamp

FIXTURES = Path(__file__).parent / "fixtures" / "salesforce"
QUERY = "/services/data/v59.0/query"


def fixture(name: str):
    return json.loads((FIXTURES / name).read_text())


def connect(server, fake, sleeps, *, token=TOKEN, page_size=7, timeout=2.0) -> Salesforce:
    url = server.serve(fake)
    return Salesforce(
        token, base_url=url, timeout=timeout, sleep=sleeps.append, page_size=page_size
    )


def everything(connector, cursor=None):
    pages = list(connector.pages(cursor))
    return pages, [lead for page in pages for lead in page.leads]


def lead_id(i: int) -> str:
    return f"00Q{i:012d}AAA"


def contact_id(n: int) -> str:
    return f"003{n:012d}AAA"


def people(leads):
    return [lead for lead in leads if "CreatedDate" in lead]


def opportunities(leads):
    return {lead["Id"]: lead for lead in leads if "Opportunity.CreatedDate" in lead}


def test_registered_under_its_kind():
    assert connector_class("salesforce") is Salesforce


def test_check_names_the_org_and_its_custom_fields(server, sleeps):
    connector = connect(server, FakeSalesforce(5), sleeps)
    host = connector.base_url.removeprefix("http://")
    assert connector.check() == (
        f"Salesforce {host}: Lead, Contact and Opportunity readable; custom fields MQL_Date__c"
    )


def test_the_login_host_is_refused_with_what_to_give_instead(sleeps):
    connector = Salesforce(TOKEN, sleep=sleeps.append)
    assert connector.base_url == "https://login.salesforce.com"
    with pytest.raises(ConnectorError, match=r"instance URL .*My Domain"):
        connector.check()


def test_pages_to_the_end_following_next_records_url(server, sleeps):
    fake = FakeSalesforce(40)
    pages, leads = everything(connect(server, fake, sleeps))
    # 40 leads in batches of 7: 6 pages; 18 contacts: 3; 8 opportunities: 2
    assert len(pages) == 6 + 3 + 2
    assert sum(page.fetched for page in pages) == 40 + 18 + 8
    persons = [lead["Id"] for lead in people(leads)]
    # the 8 contacts of converted leads (003…1 to 8) are carried by their leads
    assert persons == [lead_id(i) for i in range(1, 41) if i % 5] + [
        lead_id(i) for i in range(5, 41, 5)
    ] + [contact_id(n) for n in range(9, 19)]
    assert len(set(persons)) == len(persons)
    more = [path for path, _ in fake.requests if path.startswith(QUERY + "/01g")]
    assert len(more) == 5 + 2 + 1
    assert all("ORDER BY SystemModstamp, Id" in q for q in fake.queries if "ORDER BY System" in q)


def test_lead_fields_and_owners_resolved(server, sleeps):
    _, leads = everything(connect(server, FakeSalesforce(10), sleeps))
    by_id = {lead["Id"]: lead for lead in people(leads)}
    first = by_id[lead_id(1)]
    assert first["Email"] == "lead1@example.com"
    assert first["CreatedDate"] == stamp(BASE + timedelta(minutes=1))
    assert (first["Owner.Name"], first["_owner_name"], first["_owner_email"]) == (
        "Ola Nordmann",
        "Ola Nordmann",
        "ola@example.com",
    )
    assert "OwnerId" not in first and "SystemModstamp" not in first
    queued = by_id[lead_id(4)]
    assert (queued["Owner.Name"], queued["_owner_email"]) == ("Inbound queue", None)
    assert by_id[lead_id(2)]["MQL_Date__c"] == stamp(BASE + timedelta(minutes=2, days=1))
    converted = by_id[lead_id(5)]
    assert (converted["IsConverted"], converted["ConvertedDate"]) == (
        "true",
        day(BASE + timedelta(minutes=5, days=3)),
    )
    contact = by_id[contact_id(3)]  # after the 2 of converted leads: the first of its own
    assert contact["Account.Name"] == "Firma 3 AS"
    assert contact["_owner_email"] == "ola@example.com"


def test_opportunities_give_stage_times_to_their_lead_or_contact(server, sleeps):
    _, leads = everything(connect(server, FakeSalesforce(40), sleeps))
    times = opportunities(leads)
    converted = BASE + timedelta(minutes=10, days=3)
    assert times[lead_id(10)]["Opportunity.CreatedDate"] == stamp(converted)
    assert times[lead_id(10)]["Opportunity.WonDate"] is None
    won = BASE + timedelta(minutes=20, days=3)
    assert times[lead_id(20)]["Opportunity.WonDate"] == day(won + timedelta(days=14))
    assert times[lead_id(20)]["Opportunity.Amount"] == "5020.0"
    # contact 6 of its own (003…14) lost its opportunity
    lost = BASE + timedelta(minutes=6, seconds=30, days=2)
    assert times[contact_id(14)]["Opportunity.LostDate"] == day(lost + timedelta(days=7))
    # contact 9 (003…17): its first, open opportunity counts, not the later won one
    assert times[contact_id(17)]["Opportunity.WonDate"] is None
    first = BASE + timedelta(minutes=9, seconds=30, days=2)
    assert times[contact_id(17)]["Opportunity.CreatedDate"] == stamp(first)
    assert sorted(times) == sorted(
        [
            lead_id(10),
            lead_id(20),
            lead_id(30),
            lead_id(40),
            contact_id(11),
            contact_id(14),
            contact_id(17),
        ]
    )


def test_incremental_run_reads_only_what_changed(server, sleeps):
    fake = FakeSalesforce(40)
    connector = connect(server, fake, sleeps)
    pages, _ = everything(connector)
    cursor = pages[-1].cursor
    assert everything(connector, cursor)[0] == []

    later = BASE + timedelta(days=90)
    fake.change_leads([3, 4], later)
    opportunity = fake.tables["Lead"][lead_id(10)]["ConvertedOpportunityId"]
    fake.win_opportunity(opportunity, later)
    pages, leads = everything(connector, cursor)
    assert [(p["Id"], p["LastName"].endswith("-Endret")) for p in people(leads)] == [
        (lead_id(3), True),
        (lead_id(4), True),
    ]
    assert opportunities(leads)[lead_id(10)]["Opportunity.WonDate"] == day(later)
    assert sum(page.fetched for page in pages) == 3
    since = BASE + timedelta(minutes=40, days=3)  # lead 40, converted last
    assert (
        f"FROM Lead WHERE SystemModstamp >= {since:%Y-%m-%dT%H:%M:%SZ} ORDER BY SystemModstamp, Id"
    ) in " ".join(fake.queries)
    assert json.loads(pages[-1].cursor)["Lead"] == {
        "since": stamp(later),
        "seen": [lead_id(3), lead_id(4)],
    }


def test_a_change_in_the_cursors_own_second_is_not_missed(server, sleeps):
    fake = FakeSalesforce(6)
    connector = connect(server, fake, sleeps)
    cursor = everything(connector)[0][-1].cursor
    last = json.loads(cursor)["Lead"]["since"]  # lead 5, converted
    fake.change_leads([2], BASE)
    fake.tables["Lead"][lead_id(2)]["SystemModstamp"] = last
    _, leads = everything(connector, cursor)
    assert [p["Id"] for p in people(leads)] == [lead_id(2)]


@pytest.mark.parametrize("stop_after", [2, 7, 10])
def test_interrupted_run_resumes_from_its_cursor_without_duplicates(server, sleeps, stop_after):
    fake = FakeSalesforce(40)
    connector = connect(server, fake, sleeps)
    _, whole = everything(connector)
    first = []
    for number, page in enumerate(connector.pages(None), start=1):
        first.append(page)
        if number == stop_after:
            break
    rest, _ = everything(connector, first[-1].cursor)
    leads = [lead for page in first + rest for lead in page.leads]
    assert sorted(json.dumps(x, sort_keys=True) for x in leads) == sorted(
        json.dumps(x, sort_keys=True) for x in whole
    )


def test_429_waits_what_retry_after_says(server, sleeps):
    fake = FakeSalesforce(5)
    fake.faults.add(Fault(429, fixture("unavailable.json"), {"Retry-After": "7"}, path=QUERY))
    _, leads = everything(connect(server, fake, sleeps))
    assert sleeps == [7.0]
    assert len(people(leads)) == 5 + 1  # one contact of its own


def test_500s_then_success(server, sleeps):
    fake = FakeSalesforce(5)
    fake.faults.add(Fault(500, fixture("unavailable.json")), Fault(503, b""))
    _, leads = everything(connect(server, fake, sleeps))
    assert sleeps == [1.0, 2.0]
    assert len(people(leads)) == 6


def test_timeouts_end_unreachable_after_the_retries(server, sleeps):
    fake = FakeSalesforce(5)
    fake.faults.always = Fault(200, {"fields": []}, delay=0.4)
    connector = connect(server, fake, sleeps, timeout=0.1)
    with pytest.raises(Unreachable, match=r"failed 5 times; last: no answer within 0\.1 s"):
        connector.check()
    assert sleeps == [1.0, 2.0, 4.0, 8.0]
    fake.faults.always = None


def test_no_server_is_unreachable(sleeps):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    connector = Salesforce(TOKEN, base_url=f"http://127.0.0.1:{port}", sleep=sleeps.append)
    with pytest.raises(Unreachable, match="cannot connect"):
        connector.check()


def test_malformed_json_is_a_bad_response(server, sleeps):
    fake = FakeSalesforce(5)
    fake.faults.add(Fault(200, b'{"totalSize": 1, "done": true, "records": [', path=QUERY))
    with pytest.raises(BadResponse, match="not JSON"):
        list(connect(server, fake, sleeps).pages(None))


def test_an_answer_without_records_is_a_bad_response(server, sleeps):
    fake = FakeSalesforce(5)
    fake.faults.add(Fault(200, {"totalSize": 1, "done": True}, path=QUERY))
    with pytest.raises(BadResponse, match="totalSize, done, records"):
        list(connect(server, fake, sleeps).pages(None))


def test_revoked_token_says_where_to_get_one(server, sleeps):
    connector = connect(server, FakeSalesforce(5), sleeps, token="revoked")
    with pytest.raises(AuthFailed, match=r"INVALID_SESSION_ID.*revoked.*sf org display"):
        connector.check()
    with pytest.raises(AuthFailed):
        list(connector.pages(None))
    assert sleeps == []


def test_no_api_access_names_what_is_needed(server, sleeps):
    fake = FakeSalesforce(5)
    fake.faults.add(Fault(403, fixture("insufficient_access.json")))
    with pytest.raises(MissingScope, match=r"API Enabled.*Read on Lead, Contact and Opportunity"):
        connect(server, fake, sleeps).check()


def test_request_limit_exceeded_is_not_retried(server, sleeps):
    fake = FakeSalesforce(5)
    fake.faults.add(Fault(403, fixture("request_limit.json"), path=QUERY))
    with pytest.raises(Unreachable, match="API request limit is used up"):
        list(connect(server, fake, sleeps).pages(None))
    assert sleeps == []


def test_recorded_answers_are_read(server, sleeps):
    fake = FakeSalesforce(0)
    fake.faults.add(
        Fault(200, fixture("query_leads.json"), path=QUERY),
        Fault(200, fixture("query_more_leads.json"), path=QUERY + "/01gD0000002HU6KIAW-2000"),
    )
    connector = connect(server, fake, sleeps)
    pages = list(connector.pages(None))
    anna, bo = pages[0].leads[0], pages[1].leads[0]
    assert (anna["LastName"], anna["_owner_email"], anna["MQL_Date__c"]) == (
        "Berg",
        "kari@example.com",
        "2026-01-06T09:00:00.000+0000",
    )
    assert (bo["Owner.Name"], bo["IsConverted"], bo["ConvertedDate"]) == (
        "Inbound queue",
        "true",
        "2026-01-09",
    )
    assert json.loads(pages[1].cursor)["Lead"] == {
        "since": "2026-01-09T10:00:00.000+0000",
        "seen": ["00Q5g00000ABCdfEAH"],
    }
    # the fake answers in the recorded shape
    served = connector._query("SELECT Id, Owner.Name FROM Lead", "q")
    assert set(served) == {"totalSize", "done", "records"}


def test_page_leads_read_by_the_salesforce_import_rules(server, sleeps):
    pages, _ = everything(connect(server, FakeSalesforce(20), sleeps, page_size=100))
    merged: dict[str, dict] = {}
    for page in pages:
        for lead in page.leads:
            merged.setdefault(lead["Id"], {}).update(lead)
    out = io.StringIO()
    writer = csv.DictWriter(out, list(Salesforce.fields), extrasaction="ignore")
    writer.writeheader()
    writer.writerows(merged.values())
    parsed = read_leads(out.getvalue().encode(), "sf.csv", format="salesforce", tz="UTC")
    assert parsed.errors == []
    values = {r.values["external_id"]: r.values for r in parsed.records}
    twenty = values[lead_id(20)]
    created = BASE + timedelta(minutes=20)
    assert twenty["email"] == "lead20@example.com"
    assert twenty["owner"] == "Inbound queue"
    assert twenty["created_at"] == created
    assert twenty["mql_at"] == created + timedelta(days=1)
    assert twenty["opportunity_at"] == created + timedelta(days=3)
    assert twenty["customer_at"].date() == (created + timedelta(days=17)).date()
    assert twenty["deal_value"] == 5020
    assert "sql_at" in twenty
    assert "sql_at" not in values[lead_id(2)]  # not converted: no ConvertedDate


def test_the_fakes_change_endpoint_feeds_an_incremental_run(server, sleeps):
    fake = FakeSalesforce(20)
    connector = connect(server, fake, sleeps)
    cursor = everything(connector)[0][-1].cursor
    requests.post(f"{connector.base_url}/_fake/change?leads=3", timeout=5)
    _, leads = everything(connector, cursor)
    assert [p["Id"] for p in people(leads)] == [lead_id(1), lead_id(2), lead_id(3)]


def test_a_hidden_field_shows_in_the_connection_test(server, sleeps):
    fake = FakeSalesforce(5)
    fake.faults.add(
        Fault(
            400,
            [
                {
                    "message": "No such column 'Email' on entity 'Contact'.",
                    "errorCode": "INVALID_FIELD",
                }
            ],
            path=QUERY,
        )
    )
    with pytest.raises(
        MissingScope, match=r"Salesforce Lead: .*No such column 'Email'.*field-level"
    ):
        connect(server, fake, sleeps).check()
    assert "SELECT Id, FirstName" in fake.requests[-1][1]["q"]


def test_pages_are_streamed_not_read_ahead(server, sleeps):
    fake = FakeSalesforce(40)
    pages = connect(server, fake, sleeps).pages(None)
    first = next(pages)
    assert [p["Id"] for p in first.leads] == [lead_id(i) for i in range(1, 9) if i != 5]
    assert not any(path.startswith(QUERY + "/01g") for path, _ in fake.requests)
    pages.close()
