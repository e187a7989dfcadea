"""The HubSpot connector against a local HubSpot on 127.0.0.1 (tests/fakes/hubspot.py,
served by pytest-httpserver) and against HubSpot's recorded answers
(tests/connectors/fixtures/hubspot/)."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from werkzeug import Request, Response

from smarketing.connectors import connector_class
from smarketing.connectors.base import (
    Activity,
    AuthFailed,
    BadResponse,
    ConnectorError,
    MissingScope,
    Unreachable,
)
from smarketing.connectors.hubspot import LAG_MS, OWNER_NAME, HubSpotConnector
from smarketing.data_in.formats import default_mapping
from smarketing.data_in.reading import read_leads
from tests.fakes.hubspot import CONTACTS_SCOPE, DEFAULT_NOW, FakeHubSpot, serve

FIXTURES = Path(__file__).parent / "fixtures" / "hubspot"
TOKEN = "pat-na1-fake-token"


def ms(when: datetime) -> int:
    return int(when.timestamp() * 1000)


class Sleeps(list):
    """A sleep that only notes how long it was asked to wait."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture(scope="session")
def httpserver_listen_address():
    """pytest-httpserver on 127.0.0.1 (its default is "localhost")."""
    return ("127.0.0.1", 0)


@pytest.fixture
def fake(httpserver):
    fake = FakeHubSpot(contacts=250, token=TOKEN)
    fake.url = serve(httpserver, fake)
    return fake


def connect(fake, **kwargs) -> HubSpotConnector:
    kwargs.setdefault("sleep", Sleeps())
    kwargs.setdefault("timeout", 5)
    return HubSpotConnector(kwargs.pop("token", TOKEN), base_url=fake.url, **kwargs)


def read(connector, cursor=None, *, stop_after=None):
    """(ids in order, pages) of a run, stopped after ``stop_after`` pages when given."""
    ids, pages = [], []
    for page in connector.pages(cursor):
        pages.append(page)
        ids += [lead["hs_object_id"] for lead in page.leads]
        if stop_after is not None and len(pages) == stop_after:
            break
    return ids, pages


def searches(fake):
    return [body for method, path, _, body in fake.requests if path.endswith("/search")]


# --- paging --------------------------------------------------------------------------


def test_a_full_sync_pages_through_every_contact_once(fake):
    ids, pages = read(connect(fake, page_size=100))
    assert ids == [str(i) for i in range(1, 251)]
    assert [p.fetched for p in pages] == [100, 100, 50]
    # every cursor but the last resumes the list; the last one starts the incremental runs
    # five minutes before the server's clock at the first page (its Date header)
    assert json.loads(pages[0].cursor) == {"full_after": "101", "started": ms(DEFAULT_NOW)}
    assert json.loads(pages[1].cursor) == {"full_after": "201", "started": ms(DEFAULT_NOW)}
    assert json.loads(pages[-1].cursor) == {"since": ms(DEFAULT_NOW) - LAG_MS}
    lists = [args for m, path, args, _ in fake.requests if path == "/crm/v3/objects/contacts"]
    assert [a.get("after") for a in lists] == [None, ["101"], ["201"]]
    assert all(a["limit"] == ["100"] for a in lists)


def test_the_records_carry_the_api_names_the_import_format_reads(fake):
    fake.owners[2]["firstName"], fake.owners[2]["lastName"] = "Ingrid", "Berg"
    fake.owners[2]["email"] = "ingrid.berg@example.no"
    fake.modify([7], hubspot_owner_id=fake.owners[2]["id"], email="nora@polarsoft.io")
    fake.modify([8], hubspot_owner_id=fake.owners[5]["id"])  # an owner who has left
    fake.modify([9], hubspot_owner_id=None)
    _, pages = read(connect(fake))
    leads = {lead["hs_object_id"]: lead for page in pages for lead in page.leads}
    seven = leads["7"]
    assert seven["email"] == "nora@polarsoft.io"
    assert seven["hubspot_owner_id"] == "41629781"
    assert seven[OWNER_NAME] == seven["_owner_name"] == "Ingrid Berg"
    assert seven["_owner_email"] == "ingrid.berg@example.no"
    stored = fake.properties(7)
    for name in ("createdate", "lifecyclestage", "hs_analytics_source", "numemployees"):
        assert seven[name] == stored[name]  # as the API gives them
    assert leads["8"][OWNER_NAME] == f"{fake.owners[5]['firstName']} {fake.owners[5]['lastName']}"
    assert leads["9"][OWNER_NAME] is None and "_owner_email" not in leads["9"]
    mapping = default_mapping("hubspot", list(seven))
    assert mapping["hs_object_id"] == "external_id"
    assert mapping["hs_lifecyclestage_marketingqualifiedlead_date"] == "mql_at"
    # the owner's name is read before the owner id
    owner_columns = [c for c, t in mapping.items() if t == "owner"]
    assert owner_columns[0] == OWNER_NAME


def test_the_import_reads_the_records_as_it_reads_a_hubspot_export(fake):
    """The records in the HubSpot format's names and HubSpot's value formats: the import's
    reader takes every one, times as aware UTC, the owner by name."""
    fake.modify([7], hubspot_owner_id=fake.owners[0]["id"], hs_lead_status="UNQUALIFIED")
    leads = [lead for page in connect(fake).pages(None) for lead in page.leads]
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(HubSpotConnector.fields), extrasaction="ignore")
    writer.writeheader()
    writer.writerows(leads)
    parsed = read_leads(out.getvalue().encode(), "contacts.csv", format="hubspot")
    assert len(parsed.records) == 250 and parsed.errors == []
    assert not [w for w in parsed.warnings if "earlier than" in w]
    seven = next(r for r in parsed.records if r.values["external_id"] == "7")
    owner = fake.owners[0]
    assert seven.values["owner"] == f"{owner['firstName']} {owner['lastName']}"
    assert seven.crm_rejected
    stored = fake.properties(7)
    created = datetime.fromisoformat(stored["createdate"])
    assert seven.values["created_at"] == created and created.tzinfo is not None


def test_activities_come_from_the_conversion_visit_and_click_properties(fake):
    fake.modify(
        [3],
        first_conversion_date="2026-11-01T09:00:00.000Z",
        first_conversion_event_name="E-book: ERP guide",
        recent_conversion_date="2026-11-03T10:30:00.000Z",
        recent_conversion_event_name="Price list",
        hs_analytics_last_visit_timestamp="2026-11-04T08:15:00.000Z",
        hs_analytics_last_url="https://www.example.no/pricing",
        hs_email_last_click_date="2026-11-02T07:00:00.000Z",
        hs_email_last_email_name="Newsletter November",
    )
    fake.modify(  # the only conversion is both the first and the recent one: once
        [4],
        first_conversion_date="2026-11-05T12:00:00.000Z",
        first_conversion_event_name="Contact us",
        recent_conversion_date="2026-11-05T12:00:00.000Z",
        recent_conversion_event_name="Contact us",
        hs_analytics_last_visit_timestamp=None,
        hs_email_last_click_date=None,
    )
    _, pages = read(connect(fake))
    by_lead = {}
    for page in pages:
        for activity in page.activities:
            by_lead.setdefault(activity.lead_external_id, []).append(activity)
    at = lambda *a: datetime(*a, tzinfo=UTC)  # noqa: E731
    assert by_lead["3"] == [
        Activity("3", at(2026, 11, 1, 9), "form", "E-book: ERP guide"),
        Activity("3", at(2026, 11, 3, 10, 30), "form", "Price list"),
        Activity("3", at(2026, 11, 4, 8, 15), "page_view", "https://www.example.no/pricing"),
        Activity("3", at(2026, 11, 2, 7), "email_click", "Newsletter November"),
    ]
    assert by_lead["4"] == [Activity("4", at(2026, 11, 5, 12), "form", "Contact us")]


# --- incremental ---------------------------------------------------------------------


def test_an_incremental_run_reads_only_the_contacts_changed_since(fake):
    *_, last = read(connect(fake))[1]
    fake.now = DEFAULT_NOW + timedelta(hours=2)
    fake.modify([17], at=DEFAULT_NOW + timedelta(minutes=30), firstname="Changed")
    fake.modify([5], at=DEFAULT_NOW + timedelta(minutes=40))
    fake.modify([200], at=DEFAULT_NOW + timedelta(minutes=50))
    fake.requests.clear()
    ids, pages = read(connect(fake), last.cursor)
    assert ids == ["17", "5", "200"]  # oldest change first
    assert pages[0].leads[0]["firstname"] == "Changed"
    assert json.loads(pages[-1].cursor) == {
        "since": ms(DEFAULT_NOW + timedelta(minutes=50)),
        "seen": ["200"],
    }
    [search] = searches(fake)
    assert search["filterGroups"] == [
        {
            "filters": [
                {
                    "propertyName": "lastmodifieddate",
                    "operator": "GTE",
                    "value": str(ms(DEFAULT_NOW) - LAG_MS),
                }
            ]
        }
    ]
    assert search["sorts"] == [{"propertyName": "lastmodifieddate", "direction": "ASCENDING"}]
    # nothing changed since: the next run reads nothing, not even the last one again
    assert read(connect(fake), pages[-1].cursor)[0] == []


def test_a_cursor_never_points_past_five_minutes_before_the_servers_clock(fake):
    fake.modify([9], at=DEFAULT_NOW - timedelta(minutes=1))  # just now: maybe not indexed
    ids, pages = read(connect(fake), json.dumps({"since": ms(DEFAULT_NOW - timedelta(days=1))}))
    assert "9" in ids
    assert json.loads(pages[-1].cursor) == {"since": ms(DEFAULT_NOW) - LAG_MS}


def test_a_full_sync_interrupted_after_page_two_resumes_without_loss_or_double(fake):
    first, pages = read(connect(fake, page_size=40), stop_after=2)
    rest, _ = read(connect(fake, page_size=40), pages[-1].cursor)
    assert len(first) == 80
    assert sorted(first + rest, key=int) == [str(i) for i in range(1, 251)]


def test_an_incremental_run_interrupted_resumes_without_loss_or_double(fake):
    fake.now = DEFAULT_NOW + timedelta(days=1)
    changed = list(range(30, 90))
    for n, i in enumerate(changed):  # two contacts per instant: page ends split pairs
        fake.modify([i], at=DEFAULT_NOW + timedelta(minutes=n // 2))
    cursor = json.dumps({"since": ms(DEFAULT_NOW)})
    first, pages = read(connect(fake, page_size=7), cursor, stop_after=3)
    rest, _ = read(connect(fake, page_size=7), pages[-1].cursor)
    # 7, then 6 and 6: each new search starts at the last instant read, whose contact
    # comes again and is left out
    assert len(first) == 19
    assert sorted(first + rest, key=int) == [str(i) for i in changed]


def test_many_changes_are_read_in_moving_windows_never_past_the_search_limit(fake):
    fake.search_limit = 25  # HubSpot's 10,000, lowered
    fake.now = DEFAULT_NOW + timedelta(days=1)
    for i in range(1, 101):
        fake.modify([i], at=DEFAULT_NOW + timedelta(seconds=i))
    fake.requests.clear()
    ids, _ = read(connect(fake, page_size=10), json.dumps({"since": ms(DEFAULT_NOW)}))
    assert ids == [str(i) for i in range(1, 101)]
    sent = searches(fake)
    # each search starts at the last change read (whose contact comes again, left out):
    # 10 new, then 9 new a page, then the end
    assert len(sent) == 12
    assert all("after" not in body for body in sent)
    starts = [int(body["filterGroups"][0]["filters"][0]["value"]) for body in sent]
    assert starts[1:] == [ms(DEFAULT_NOW + timedelta(seconds=10 + 9 * k)) for k in range(11)]


def test_a_bulk_update_at_one_instant_is_read_by_id_then_the_search_goes_on(fake):
    fake.search_limit = 25
    fake.now = DEFAULT_NOW + timedelta(days=1)
    bulk = DEFAULT_NOW + timedelta(minutes=5)
    fake.modify(range(100, 160), at=bulk)  # 60 contacts, one lastmodifieddate
    fake.modify([3], at=DEFAULT_NOW + timedelta(minutes=1))
    fake.modify([240], at=DEFAULT_NOW + timedelta(minutes=9))
    ids, pages = read(connect(fake, page_size=10), json.dumps({"since": ms(DEFAULT_NOW)}))
    assert ids[0] == "3" and ids[-1] == "240"
    assert sorted(ids, key=int) == ["3", *map(str, range(100, 160)), "240"]
    assert {"since": ms(bulk), "after_id": 109} in [json.loads(p.cursor) for p in pages]
    # resumed in the middle of the bulk: the rest of it, then what came after
    rest, _ = read(connect(fake, page_size=10), json.dumps({"since": ms(bulk), "after_id": 129}))
    assert rest == [*map(str, range(130, 160)), "240"]


def test_more_than_10000_changes_at_one_instant_at_hubspots_real_limit(httpserver):
    fake = FakeHubSpot(contacts=10_400, token=TOKEN)
    fake.url = serve(httpserver, fake)
    fake.now = DEFAULT_NOW + timedelta(days=1)
    fake.modify(range(1, 10_401), at=DEFAULT_NOW + timedelta(hours=1))
    fake.keep_requests = False
    ids, pages = read(connect(fake), json.dumps({"since": ms(DEFAULT_NOW)}))
    assert len(ids) == 10_400 and len(set(ids)) == 10_400
    # a first page of 200 at that instant; the next one is all that instant again, so
    # all 10,400 are read by id, 200 a page (52 pages, the first 200 left out), then the
    # empty end of the id search and the empty search after the instant
    assert len(pages) == 1 + 52 + 1 + 1
    assert sum(p.fetched for p in pages) == 10_400


# --- failures ------------------------------------------------------------------------


def test_a_429_waits_as_long_as_retry_after_says(fake):
    fake.fail(429, headers={"Retry-After": "7"}, body=json.loads(fixture("error_429.json")))
    sleeps = Sleeps()
    ids, _ = read(connect(fake, sleep=sleeps))
    assert sleeps == [7.0] and len(ids) == 250


def test_a_429_without_retry_after_waits_for_hubspots_rolling_window(fake):
    fake.fail(429, path="/crm/v3/objects/contacts")  # X-HubSpot-RateLimit-* headers only
    fake._faults[0].headers.pop("Retry-After")
    sleeps = Sleeps()
    read(connect(fake, sleep=sleeps))
    assert sleeps == [10.0]  # X-HubSpot-RateLimit-Interval-Milliseconds: 10000


def test_500s_are_retried_with_a_growing_wait_then_the_sync_goes_on(fake):
    fake.fail(500, times=2, path="/crm/v3/objects/contacts")
    fake.fail(502, times=1, path="/crm/v3/owners")
    sleeps = Sleeps()
    ids, _ = read(connect(fake, sleep=sleeps))
    assert sleeps == [1.0, 1.0, 2.0] and len(ids) == 250


def test_500s_that_never_stop_end_as_unreachable(fake):
    fake.fail(503, times=5, path="/crm/v3/owners")
    sleeps = Sleeps()
    with pytest.raises(Unreachable, match="read owners failed 5 times; last: HubSpot answered 503"):
        read(connect(fake, sleep=sleeps))
    assert sleeps == [1.0, 2.0, 4.0, 8.0]


def test_a_page_read_ahead_fails_in_the_callers_language(fake):
    """The next page is fetched in a thread of its own; its error speaks the language of
    the sync that asked (not the app default)."""
    from smarketing import i18n

    fake.fail(503, times=5, path="/crm/v3/objects/contacts")
    for code, expected in (
        ("nb", "lese kontakter feilet 5 ganger"),
        ("en", "read contacts failed 5 times"),
    ):
        with i18n.language(code), pytest.raises(Unreachable, match=expected):
            read(connect(fake, sleep=Sleeps()))
        fake.fail(503, times=5, path="/crm/v3/objects/contacts")


def test_an_answer_later_than_the_timeout_is_retried_then_unreachable(fake):
    fake.slow(0.3, times=5, path="/crm/v3/owners")
    sleeps = Sleeps()
    with pytest.raises(Unreachable, match=r"no answer from http://127\.0\.0\.1"):
        read(connect(fake, sleep=sleeps, timeout=0.05))
    assert len(sleeps) == 4


def test_malformed_json_is_a_bad_response_saying_what_was_expected(fake):
    fake.malformed(path="/crm/v3/objects/contacts")
    with pytest.raises(BadResponse, match=r"not JSON .*expected HubSpot's"):
        read(connect(fake))


def test_an_answer_without_results_is_a_bad_response(fake, httpserver):
    httpserver.clear()
    httpserver.expect_request("/crm/v3/owners/").respond_with_json({"items": []})
    with pytest.raises(BadResponse, match="no 'results' list"):
        connect(fake).check()


def test_a_revoked_token_says_so_and_where_to_make_a_new_one(fake):
    fake.revoked = True
    with pytest.raises(AuthFailed, match=r"refused the access token \(401.*Private apps"):
        connect(fake).check()
    with pytest.raises(AuthFailed):
        read(connect(fake))


def test_a_wrong_token_is_refused_without_retrying(fake):
    sleeps = Sleeps()
    with pytest.raises(AuthFailed, match="wrong, expired or revoked"):
        connect(fake, token="pat-na1-wrong", sleep=sleeps).check()
    assert sleeps == []


def test_a_missing_scope_is_named(fake):
    fake.scopes.discard(CONTACTS_SCOPE)
    with pytest.raises(MissingScope, match=r"missing scope crm\.objects\.contacts\.read") as info:
        connect(fake).check()
    assert "crm.objects.owners.read" in str(info.value)  # every scope to tick is listed


def test_check_says_what_it_reached(fake):
    assert connect(fake).check() == (
        f"HubSpot at {fake.url}: the token works; 5 active owners; the account has contacts."
    )


def test_a_cursor_it_did_not_write_is_refused():
    connector = HubSpotConnector(TOKEN, base_url="http://127.0.0.1:9")
    with pytest.raises(ConnectorError, match="run a full sync"):
        next(connector.pages('{"offset": 3}'))


def test_the_connector_is_found_by_its_kind():
    assert connector_class("hubspot") is HubSpotConnector
    assert HubSpotConnector.default_base_url == "https://api.hubapi.com"
    with pytest.raises(AuthFailed):
        HubSpotConnector("")


# --- HubSpot's recorded answers ------------------------------------------------------


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text()


def test_hubspots_recorded_answers_are_read(httpserver):
    def contacts(request: Request) -> Response:
        assert request.headers["Authorization"] == f"Bearer {TOKEN}"
        name = "contacts_list_last.json" if request.args.get("after") else "contacts_list.json"
        return Response(fixture(name), content_type="application/json")

    def owners(request: Request) -> Response:
        name = "owners_archived.json" if request.args["archived"] == "true" else "owners.json"
        return Response(fixture(name), content_type="application/json")

    httpserver.expect_request("/crm/v3/objects/contacts").respond_with_handler(contacts)
    httpserver.expect_request("/crm/v3/owners/").respond_with_handler(owners)
    connector = HubSpotConnector(TOKEN, base_url=httpserver.url_for(""), sleep=Sleeps())
    pages = list(connector.pages(None))
    leads = [lead for page in pages for lead in page.leads]
    assert [lead["hs_object_id"] for lead in leads] == ["512", "651", "701"]
    brian = leads[0]
    assert brian["hs_lifecyclestage_marketingqualifiedlead_date"] == "2026-11-02T09:12:00.000Z"
    assert (brian[OWNER_NAME], brian["_owner_email"]) == ("Ola Hansen", "ola.hansen@example.no")
    assert leads[2][OWNER_NAME] == "Kari Olsen"  # an archived owner still has a name
    assert json.loads(pages[0].cursor)["full_after"] == "652"
    activities = [a for page in pages for a in page.activities]
    assert [(a.lead_external_id, a.kind, a.detail) for a in activities] == [
        ("512", "form", "Price list"),
        ("512", "page_view", "https://www.example.no/pricing"),
        ("651", "email_click", "Newsletter November"),
    ]


@pytest.mark.parametrize(
    ("status", "name", "error", "words"),
    [
        (401, "error_401.json", AuthFailed, "Authentication credentials not found"),
        (403, "error_403_missing_scopes.json", MissingScope, "crm.objects.contacts.read"),
        (400, "error_400_search_limit.json", ConnectorError, "correlationId 0b9d6a3e"),
    ],
)
def test_hubspots_recorded_errors_are_explained(httpserver, status, name, error, words):
    httpserver.expect_request("/crm/v3/owners/").respond_with_data(
        fixture(name), status=status, content_type="application/json"
    )
    connector = HubSpotConnector(TOKEN, base_url=httpserver.url_for(""), sleep=Sleeps())
    with pytest.raises(error, match=words):
        connector.check()


def test_the_fake_answers_in_the_recorded_shapes(fake):
    """The fake's answers have the keys HubSpot's recorded ones have."""
    import urllib3

    http = urllib3.PoolManager(retries=False)  # urllib3 would wait out a 429 itself
    auth = {"Authorization": f"Bearer {TOKEN}"}
    listed = http.request(
        "GET", f"{fake.url}/crm/v3/objects/contacts?limit=2&properties=email", headers=auth
    ).json()
    recorded = json.loads(fixture("contacts_list.json"))
    assert set(listed) == set(recorded)
    assert set(listed["results"][0]) == set(recorded["results"][0])
    assert set(listed["paging"]["next"]) == set(recorded["paging"]["next"])
    found = http.request(
        "POST", f"{fake.url}/crm/v3/objects/contacts/search", json={"limit": 2}, headers=auth
    ).json()
    assert set(found) == set(json.loads(fixture("contacts_search.json"))) | {"paging"}
    owners = http.request("GET", f"{fake.url}/crm/v3/owners", headers=auth).json()
    recorded_owner = json.loads(fixture("owners.json"))["results"][0]
    assert set(owners["results"][0]) == set(recorded_owner) - {"teams"}
    fake.search_limit = 25
    past = http.request(
        "POST", f"{fake.url}/crm/v3/objects/contacts/search", json={"after": 25}, headers=auth
    )
    assert past.status == 400
    assert set(past.json()) == set(json.loads(fixture("error_400_search_limit.json")))
    fake.fail(429)
    limited = http.request("GET", f"{fake.url}/crm/v3/owners", headers=auth).json()
    assert set(limited) == set(json.loads(fixture("error_429.json")))
    fake.revoked = True
    refused = http.request("GET", f"{fake.url}/crm/v3/owners", headers=auth).json()
    assert set(refused) == set(json.loads(fixture("error_401.json")))


def test_no_server_at_all_is_unreachable_after_five_tries():
    sleeps = Sleeps()
    connector = HubSpotConnector(TOKEN, base_url="http://127.0.0.1:9", sleep=sleeps, timeout=1)
    with pytest.raises(Unreachable, match=r"read owners failed 5 times; last: no answer"):
        connector.check()
    assert sleeps == [1.0, 2.0, 4.0, 8.0]


def test_the_standalone_fake_answers_through_its_asgi_adapter():
    import asyncio

    import httpx

    from tests.fakes.hubspot import asgi_app

    fake = FakeHubSpot(contacts=30, token=TOKEN)
    auth = {"Authorization": f"Bearer {TOKEN}"}
    since = {"propertyName": "lastmodifieddate", "operator": "GTE", "value": str(ms(DEFAULT_NOW))}

    async def talk():
        transport = httpx.ASGITransport(app=asgi_app(fake))
        async with httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1") as client:
            page = await client.get(
                "/crm/v3/objects/contacts?limit=20&properties=email", headers=auth
            )
            refused = await client.get("/crm/v3/owners")
            changed = await client.post("/_fake/modify", json={"count": 2})
            found = await client.post(
                "/crm/v3/objects/contacts/search",
                json={"filterGroups": [{"filters": [since]}]},
                headers=auth,
            )
            return page, refused, changed, found

    page, refused, changed, found = asyncio.run(talk())
    assert page.status_code == 200 and page.json()["paging"]["next"]["after"] == "21"
    assert refused.status_code == 401
    assert changed.json() == {"modified": [1, 2], "count": 2}
    assert found.json()["total"] == 2
    assert sorted(r["id"] for r in found.json()["results"]) == ["1", "2"]
