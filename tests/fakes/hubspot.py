"""A local HubSpot: the CRM v3 contacts list and search, the owners list, and HubSpot's
error answers, in the shapes HubSpot documents (developers.hubspot.com/docs/api/crm/
contacts, /crm/search, /crm/owners, /api/error-handling; recorded examples in
tests/connectors/fixtures/hubspot/).

From pytest::

    fake = FakeHubSpot(contacts=250)
    serve(httpserver, fake)            # pytest-httpserver's server on 127.0.0.1
    fake.fail(429, headers={"Retry-After": "7"})

Standalone, for benchmarks and browser tests (uvicorn, keep-alive)::

    python -m tests.fakes.hubspot --port 8765 --contacts 100000 [--token T] [--seed 16]

It prints its address once every contact is rendered (a few seconds for 100,000). There
``POST /_fake/modify {"count": N}`` changes N contacts (their ``lastmodifieddate`` becomes
the clock) and ``POST /_fake/add {"count": N}`` adds N, so an incremental sync has
something to read.

The contacts are generated from the seed, deterministically: contact ``i`` (id ``i``,
1…n) is the same for the same seed whatever else happens. What the fake answers:

* ``GET /crm/v3/objects/contacts?limit&after&properties``: by id, ``paging.next.after``
  the next id (limit at most 100, as HubSpot's);
* ``POST /crm/v3/objects/contacts/search``: ``filterGroups`` (OR of AND-ed filters on
  ``lastmodifieddate``, ``createdate`` or ``hs_object_id`` with EQ/NEQ/GT/GTE/LT/LTE),
  one sort, ``limit`` at most 200, ``after`` an offset, ``total``; an ``after`` at or past
  ``search_limit`` (10,000 as HubSpot's, lower it for tests) is HubSpot's 400. Contacts
  with the same sort value come in an order that is NOT their id order (HubSpot promises
  none either);
* ``GET /crm/v3/owners?limit&after&archived``;
* a wrong or revoked token -> 401, a missing scope -> 403, each with HubSpot's body;
  queued faults (:meth:`FakeHubSpot.fail`): any status with body and headers (429 with
  ``Retry-After`` and HubSpot's rate-limit headers by default), a body that is not JSON, or
  an answer later than the client waits.
"""

from __future__ import annotations

import argparse
import bisect
import json
import re
import threading
import time
import uuid
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

from werkzeug import Request, Response

#: The suite's fixed "now" (tests/conftest.py NOW); the fake's clock unless told otherwise.
DEFAULT_NOW = datetime(2026, 11, 18, 12, 0, tzinfo=UTC)
CONTACTS_SCOPE = "crm.objects.contacts.read"
OWNERS_SCOPE = "crm.objects.owners.read"
ALL_SCOPES = frozenset({CONTACTS_SCOPE, OWNERS_SCOPE})
#: HubSpot's search refuses to page past this many results of one search.
SEARCH_LIMIT = 10_000

_FIRST = [
    "Ola",
    "Kari",
    "Emma",
    "Jonas",
    "Nora",
    "Lars",
    "Ingrid",
    "Emil",
    "Sofie",
    "Henrik",
    "Maja",
    "Aksel",
    "Sara",
    "Filip",
    "Ida",
    "Mathias",
    "Thea",
    "Oskar",
    "Julie",
    "Elias",
]
_LAST = [
    "Hansen",
    "Johansen",
    "Olsen",
    "Larsen",
    "Andersen",
    "Pedersen",
    "Nilsen",
    "Kristiansen",
    "Jensen",
    "Karlsen",
    "Johnsen",
    "Pettersen",
    "Eriksen",
    "Berg",
    "Haugen",
    "Hagen",
    "Johannessen",
    "Andreassen",
    "Jacobsen",
    "Dahl",
]
_COMPANIES = (
    ("Fjord Analytics", "fjordanalytics.no"),
    ("Nordlys Energi", "nordlys.no"),
    ("Bergen Byggvarer", "bbv.no"),
    ("Tromsø Fisk", "tromsofisk.no"),
    ("Oslo Helse", "oslohelse.no"),
    ("Viking Logistics", "vikinglog.com"),
    ("Polar Software", "polarsoft.io"),
    ("Stavanger Subsea", "stavsub.no"),
)
_TITLES = ("CFO", "Head of Marketing", "IT Manager", "Controller", "CEO", "Operations Lead")
_STAGES = (
    "subscriber",
    "lead",
    "marketingqualifiedlead",
    "salesqualifiedlead",
    "opportunity",
    "customer",
)
_STAGE_DATE = {
    "lead": "hs_lifecyclestage_lead_date",
    "marketingqualifiedlead": "hs_lifecyclestage_marketingqualifiedlead_date",
    "salesqualifiedlead": "hs_lifecyclestage_salesqualifiedlead_date",
    "opportunity": "hs_lifecyclestage_opportunity_date",
    "customer": "hs_lifecyclestage_customer_date",
}
#: The contact properties that date an activity (a new contact has none yet).
_ACTIVITY_DATES = (
    "first_conversion_date",
    "recent_conversion_date",
    "hs_analytics_last_visit_timestamp",
    "hs_email_last_click_date",
)
_STATUSES = (None, "NEW", "OPEN", "IN_PROGRESS", "CONNECTED", "ATTEMPTED_TO_CONTACT", "UNQUALIFIED")
_SOURCES = (
    ("ORGANIC_SEARCH", "google", "ebook erp"),
    ("PAID_SEARCH", "google", "erp software"),
    ("EMAIL_MARKETING", "newsletter", "november"),
    ("SOCIAL_MEDIA", "LinkedIn", "post"),
    ("REFERRALS", "partner.no", None),
    ("DIRECT_TRAFFIC", None, None),
    ("OFFLINE", "IMPORT", "12345"),
)
_CAMPAIGNS = (None, "E-book: ERP guide", "Webinar: closing the books", "Newsletter 2026")
_FORMS = ("E-book: ERP guide", "Contact us", "Webinar sign-up", "Price list")
_EMAILS = ("Newsletter November", "ERP guide follow-up", "Webinar reminder")
_PAGES = ("/pricing", "/erp-guide", "/contact", "/blog/month-end", "/customers")
_EMPLOYEES = ("1-5", "5-25", "25-50", "50-100", "100-500", "500-1000", "1000+")
_INDUSTRIES = ("COMPUTER_SOFTWARE", "CONSTRUCTION", "HOSPITAL_HEALTH_CARE", "FISHERY", "RETAIL")

#: Odd multipliers that spread one hash into the 18 draws of a contact.
_MULTIPLIERS = tuple(0x9E3779B1 + 0x3C6EF372 * k for k in range(18))

#: HubSpot's properties every contact answer carries even when not asked for.
_DEFAULT_PROPERTIES = ("createdate", "hs_object_id", "lastmodifieddate")


def _mix(seed: int, i: int, k: int) -> int:
    """A deterministic pseudo-random 32-bit number for (seed, contact, draw)."""
    x = (seed * 0x9E3779B1 + i * 0x85EBCA77 + k * 0xC2B2AE3D) & 0xFFFFFFFFFFFF
    x ^= x >> 17
    x = (x * 0xED5AD4BB) & 0xFFFFFFFFFFFF
    x ^= x >> 11
    x = (x * 0xAC4C1B51) & 0xFFFFFFFFFFFF
    x ^= x >> 15
    return x & 0xFFFFFFFF


def iso_ms(ms: int) -> str:
    """Epoch milliseconds as HubSpot writes a datetime property (``…T10:11:12.345Z``)."""
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(ms // 1000)) + f".{ms % 1000:03d}Z"


def parse_time_ms(value: object) -> int:
    """A search filter's time value (epoch ms, or an ISO time) as epoch ms."""
    text = str(value).strip()
    if text.lstrip("-").isdigit():
        return int(text)
    when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return int(when.timestamp() * 1000)


def _ms(when: datetime) -> int:
    return int(when.timestamp() * 1000)


@dataclass
class Fault:
    """One answer given instead of the real one: ``status`` with ``body`` (JSON-able, or
    bytes sent as they are) and ``headers``; ``delay`` seconds first; only for requests
    whose path starts with ``path`` (any when None)."""

    status: int = 500
    body: object = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    path: str | None = None


def error_body(message: str, category: str, **extra: object) -> dict:
    """HubSpot's error body: status, message, correlationId, category (and more)."""
    return {
        "status": "error",
        "message": message,
        "correlationId": str(uuid.uuid4()),
        **extra,
        "category": category,
    }


def rate_limit_fault(retry_after: str | None = "10", *, interval_ms: int = 10_000) -> Fault:
    """HubSpot's 429: its body and rate-limit headers, plus ``Retry-After`` when given."""
    headers = {
        "X-HubSpot-RateLimit-Interval-Milliseconds": str(interval_ms),
        "X-HubSpot-RateLimit-Max": "100",
        "X-HubSpot-RateLimit-Remaining": "0",
    }
    if retry_after is not None:
        headers["Retry-After"] = retry_after
    body = {
        "status": "error",
        "message": "You have reached your ten_secondly_rolling limit.",
        "errorType": "RATE_LIMIT",
        "correlationId": str(uuid.uuid4()),
        "policyName": "TEN_SECONDLY_ROLLING",
        "groupName": "publicapi:private-app:1234567",
    }
    return Fault(429, body, headers)


class FakeHubSpot:
    """The account and its answers; :meth:`handle` answers one werkzeug request."""

    def __init__(
        self,
        contacts: int = 250,
        *,
        token: str = "pat-na1-fake-token",
        seed: int = 16,
        owners: int = 6,
        now: datetime = DEFAULT_NOW,
        search_limit: int = SEARCH_LIMIT,
    ) -> None:
        self.count = contacts
        self.token = token
        self.seed = seed
        self.now = now
        self.search_limit = search_limit
        self.url: str | None = None  # where it is served (set by serve())
        self.scopes: set[str] = set(ALL_SCOPES)
        self.revoked = False
        #: every request served: (method, path, query args, JSON body or None)
        self.requests: list[tuple[str, str, dict, object]] = []
        self.keep_requests = True
        self._faults: deque[Fault] = deque()
        self._changed: dict[int, dict[str, str | None]] = {}
        self._index: list[tuple[int, int, int]] | None = None  # (lmd ms, tie, id)
        self._lock = threading.Lock()
        self._rendered: dict[int, str] = {}
        self._rendered_for: tuple[str, ...] | None = None
        self.owners = [self._owner(k) for k in range(owners)]
        self._end_ms = _ms(now - timedelta(hours=1))
        self._start_ms = _ms(now - timedelta(days=730))

    # --- the account -------------------------------------------------------------------

    def _owner(self, k: int) -> dict:
        first, last = _FIRST[(k * 7) % len(_FIRST)], _LAST[(k * 3 + 1) % len(_LAST)]
        created = iso_ms(_ms(self.now - timedelta(days=900 - k)))
        return {
            "id": str(41_629_779 + k),
            "email": f"{first}.{last}@example.no".lower(),
            "type": "PERSON",
            "firstName": first,
            "lastName": last,
            "userId": 9_586_504 + k,
            "userIdIncludingInactive": 9_586_504 + k,
            "createdAt": created,
            "updatedAt": created,
            "archived": k == 5,  # the sixth owner has left (answered with archived=true)
        }

    def _created_ms(self, i: int) -> int:
        span = self._end_ms - self._start_ms - 86_400_000 * 40
        return self._start_ms + (i * span) // (self.count + 1) + _mix(self.seed, i, 0) % 3_600_000

    def _base_lmd_ms(self, i: int) -> int:
        return min(self._created_ms(i) + _mix(self.seed, i, 1) % (86_400_000 * 30), self._end_ms)

    def properties(self, i: int) -> dict[str, str | None]:
        """Contact ``i``'s properties as HubSpot stores them (text or None)."""
        h = _mix(self.seed, i, 2)
        r = [((h * m) >> 11) & 0xFFFFFFFF for m in _MULTIPLIERS]
        first, last = _FIRST[r[0] % len(_FIRST)], _LAST[r[1] % len(_LAST)]
        company, domain = _COMPANIES[r[2] % len(_COMPANIES)]
        created = self._created_ms(i)
        stage = _STAGES[r[3] % len(_STAGES)]
        day = 86_400_000
        props: dict[str, str | None] = {
            "hs_object_id": str(i),
            "firstname": first,
            "lastname": last,
            "email": f"{first}.{last}.{i}@{domain}".lower(),
            "company": company,
            "jobtitle": _TITLES[r[4] % len(_TITLES)],
            "createdate": iso_ms(created),
            "lastmodifieddate": iso_ms(self._base_lmd_ms(i)),
            "lifecyclestage": stage,
            "hs_lead_status": _STATUSES[r[5] % len(_STATUSES)],
            "hubspot_owner_id": (
                None if r[6] % 10 == 0 else self.owners[r[6] % len(self.owners)]["id"]
            ),
            "hs_persona": f"persona_{r[7] % 3 + 1}" if r[7] % 4 else None,
            "numemployees": _EMPLOYEES[r[8] % len(_EMPLOYEES)],
            "industry": _INDUSTRIES[r[9] % len(_INDUSTRIES)],
            "hubspotscore": str(r[10] % 100),
            "hs_analytics_first_touch_converting_campaign": _CAMPAIGNS[r[11] % len(_CAMPAIGNS)],
        }
        source, data_1, data_2 = _SOURCES[r[12] % len(_SOURCES)]
        props.update(
            hs_analytics_source=source,
            hs_analytics_source_data_1=data_1,
            hs_analytics_source_data_2=data_2,
        )
        at = created
        reached: dict[str, int] = {}
        for name in _STAGES[1 : _STAGES.index(stage) + 1]:
            props[_STAGE_DATE[name]] = iso_ms(at)
            reached[name] = at
            at += day * (1 + r[13] % 9)
        if stage == "customer":
            props["recent_deal_amount"] = str(10_000 + (r[14] % 90) * 1_000)
        if _STAGES.index(stage) >= 3:
            # sales' first touch: within a day of becoming an MQL
            mql = reached["marketingqualifiedlead"]
            props["hs_sa_first_engagement_date"] = iso_ms(mql + 3_600_000 + r[15] % day)
        if r[16] % 3:
            form = _FORMS[r[16] % len(_FORMS)]
            props["first_conversion_event_name"] = form
            props["first_conversion_date"] = iso_ms(created)
            props["recent_conversion_event_name"] = _FORMS[(r[16] // 7) % len(_FORMS)]
            props["recent_conversion_date"] = iso_ms(created + r[17] % (day * 20))
        if r[17] % 2:
            props["hs_analytics_last_url"] = f"https://www.example.no{_PAGES[r[17] % 5]}"
            props["hs_analytics_last_visit_timestamp"] = iso_ms(created + r[15] % (day * 25))
        if r[15] % 4 == 0:
            props["hs_email_last_email_name"] = _EMAILS[r[15] % len(_EMAILS)]
            props["hs_email_last_click_date"] = iso_ms(created + r[14] % (day * 28))
        props.update(self._changed.get(i, {}))
        return props

    def lmd_ms(self, i: int) -> int:
        """Contact ``i``'s lastmodifieddate as epoch ms."""
        changed = self._changed.get(i, {}).get("lastmodifieddate")
        return parse_time_ms(changed) if changed else self._base_lmd_ms(i)

    def modify(
        self,
        ids: list[int] | range,
        *,
        at: datetime | None = None,
        **properties: str | None,
    ) -> None:
        """Change these contacts: ``lastmodifieddate`` becomes ``at`` (the fake's clock when
        None) and the given properties take their new values."""
        when = iso_ms(_ms(at or self.now))
        with self._lock:
            for i in ids:
                if not 1 <= i <= self.count:
                    raise ValueError(f"no contact {i}")
                self._changed.setdefault(i, {}).update(properties, lastmodifieddate=when)
                self._rendered.pop(i, None)
            self._index = None

    def add(self, count: int) -> range:
        """``count`` new contacts (created and modified at the fake's clock: new leads, with
        no later stage and no activity yet); their ids."""
        with self._lock:
            first = self.count + 1
            self.count += count
            new = range(first, self.count + 1)
            stamp = iso_ms(_ms(self.now))
            fresh: dict[str, str | None] = dict.fromkeys(_STAGE_DATE.values())
            fresh |= dict.fromkeys(_ACTIVITY_DATES)
            fresh |= {"lifecyclestage": "lead", _STAGE_DATE["lead"]: stamp}
            for i in new:
                self._changed[i] = {**fresh, "createdate": stamp, "lastmodifieddate": stamp}
            self._index = None
        return new

    def fail(
        self,
        status: int = 500,
        *,
        times: int = 1,
        body: object = None,
        headers: dict[str, str] | None = None,
        delay: float = 0.0,
        path: str | None = None,
    ) -> None:
        """The next ``times`` requests (under ``path``) get this answer instead."""
        if status == 429 and body is None and headers is None:
            template = rate_limit_fault()
            body, headers = template.body, template.headers
        if body is None and status >= 500:
            body = error_body("internal error", "INTERNAL_ERROR")
        for _ in range(times):
            self._faults.append(Fault(status, body, dict(headers or {}), delay, path))

    def malformed(self, *, times: int = 1, path: str | None = None) -> None:
        """The next ``times`` answers are 200 with a body that is not JSON."""
        for _ in range(times):
            self._faults.append(Fault(200, b'{"results": [{"id": "1", "prop', {}, 0.0, path))

    def slow(self, delay: float, *, times: int = 1, path: str | None = None) -> None:
        """The next ``times`` answers come after ``delay`` seconds (then as usual)."""
        for _ in range(times):
            self._faults.append(Fault(0, None, {}, delay, path))

    # --- answering ----------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        """HubSpot's answer to one request."""
        path = request.path
        body = None
        if request.method == "POST" and request.content_length:
            try:
                body = json.loads(request.get_data())
            except ValueError:
                body = None
        if self.keep_requests:
            self.requests.append((request.method, path, request.args.to_dict(flat=False), body))
        fault = self._take_fault(path)
        if fault is not None:
            if fault.delay:
                time.sleep(fault.delay)
            if fault.status:
                return self._respond(fault.status, fault.body, fault.headers)
        if path.startswith("/_fake/"):
            return self._control(request, body)
        auth = request.headers.get("Authorization", "")
        if self.revoked or auth != f"Bearer {self.token}":
            return self._respond(
                401,
                error_body(
                    "Authentication credentials not found. This API supports OAuth 2.0 "
                    "authentication and you can find more details at "
                    "https://developers.hubspot.com/docs/methods/auth/oauth-overview",
                    "INVALID_AUTHENTICATION",
                ),
            )
        if path == "/crm/v3/objects/contacts" and request.method == "GET":
            return self._scoped(CONTACTS_SCOPE) or self._list(request)
        if path == "/crm/v3/objects/contacts/search" and request.method == "POST":
            return self._scoped(CONTACTS_SCOPE) or self._search(body)
        if path == "/crm/v3/owners" or path == "/crm/v3/owners/":
            return self._scoped(OWNERS_SCOPE) or self._owners(request)
        return self._respond(
            404, error_body(f"Unable to route {request.method} {path}", "OBJECT_NOT_FOUND")
        )

    def _take_fault(self, path: str) -> Fault | None:
        with self._lock:
            for n, fault in enumerate(self._faults):
                if fault.path is None or path.startswith(fault.path):
                    del self._faults[n]
                    return fault
        return None

    def _respond(self, status: int, body: object, headers: dict | None = None) -> Response:
        data = body if isinstance(body, bytes | str) else json.dumps(body)
        response = Response(data, status=status, content_type="application/json;charset=utf-8")
        response.headers["Date"] = format_datetime(self.now.astimezone(UTC), usegmt=True)
        for key, value in (headers or {}).items():
            response.headers[key] = value
        return response

    def _scoped(self, scope: str) -> Response | None:
        if scope in self.scopes:
            return None
        return self._respond(
            403,
            error_body(
                "This app hasn't been granted all required scopes to make this call. Read "
                "more about required scopes here: https://developers.hubspot.com/scopes.",
                "MISSING_SCOPES",
                errors=[
                    {
                        "message": "One or more of the following scopes are required.",
                        "context": {"requiredGranularScopes": [scope]},
                    }
                ],
                links={"scopes": "https://developers.hubspot.com/scopes"},
            ),
        )

    def _bad(self, message: str) -> Response:
        return self._respond(400, error_body(message, "VALIDATION_ERROR"))

    @staticmethod
    def _asked(values: list[str]) -> tuple[str, ...]:
        names = [n for v in values for n in v.split(",") if n]
        return tuple(dict.fromkeys([*_DEFAULT_PROPERTIES, *names]))

    def _render(self, i: int, asked: tuple[str, ...]) -> str:
        """One contact as HubSpot's SimplePublicObject JSON (the asked properties; null
        for the unset ones)."""
        if asked != self._rendered_for:
            self._rendered, self._rendered_for = {}, asked
        text = self._rendered.get(i)
        if text is None:
            props = self.properties(i)
            shown = {name: props.get(name) for name in asked}
            text = json.dumps(
                {
                    "id": str(i),
                    "properties": shown,
                    "createdAt": props["createdate"],
                    "updatedAt": props["lastmodifieddate"],
                    "archived": False,
                },
                separators=(",", ":"),
            )
            if len(self._rendered) < 200_000:
                self._rendered[i] = text
        return text

    def warm(self, properties: tuple[str, ...] | None = None) -> None:
        """Render every contact before serving (as the HubSpot connector asks for them),
        so that a benchmark times the client, not the fake's generator."""
        if properties is None:
            from smarketing.connectors.hubspot import PROPERTIES as properties
        asked = self._asked(list(properties))
        for i in range(1, self.count + 1):
            self._render(i, asked)
        self._sorted()

    def _page(self, rendered: list[str], extra: str, next_after: str | None, link: str) -> str:
        paging = ""
        if next_after is not None:
            paging = (
                f',"paging":{{"next":{{"after":"{next_after}",'
                f'"link":"{link}?after={next_after}"}}}}'
            )
        return f'{{{extra}"results":[{",".join(rendered)}]{paging}}}'

    def _list(self, request: Request) -> Response:
        try:
            limit = int(request.args.get("limit", "10"))
            after = int(request.args.get("after") or 0)
        except ValueError:
            return self._bad("limit and after must be numbers")
        if not 1 <= limit <= 100:
            return self._bad("limit must be between 1 and 100")
        asked = self._asked(request.args.getlist("properties"))
        start = max(after, 1)
        ids = range(start, min(start + limit, self.count + 1))
        rendered = [self._render(i, asked) for i in ids]
        nxt = str(ids[-1] + 1) if ids and ids[-1] < self.count else None
        link = "https://api.hubapi.com/crm/v3/objects/contacts"
        return self._respond(200, self._page(rendered, "", nxt, link))

    def _sorted(self) -> list[tuple[int, int, int]]:
        with self._lock:
            if self._index is None:
                self._index = sorted(
                    (self.lmd_ms(i), _mix(self.seed, i, 99), i) for i in range(1, self.count + 1)
                )
            return self._index

    def _search(self, body: object) -> Response:
        if not isinstance(body, dict):
            return self._bad("Invalid input JSON: expected an object")
        try:
            limit = int(body.get("limit", 10))
            after = int(body.get("after") or 0)
        except (TypeError, ValueError):
            return self._bad("limit and after must be numbers")
        if not 1 <= limit <= 200:
            return self._bad("limit must be between 1 and 200")
        if after >= self.search_limit:
            return self._bad(
                f"There was a problem with the request: the search API returns at most "
                f"{self.search_limit} results (after={after})."
            )
        groups = body.get("filterGroups") or []
        try:
            tests = [[self._filter(f) for f in group.get("filters", [])] for group in groups]
        except (KeyError, ValueError) as exc:
            return self._bad(f"Invalid filter: {exc}")
        sorts = body.get("sorts") or [{"propertyName": "hs_object_id", "direction": "ASCENDING"}]
        if len(sorts) > 1:
            return self._bad("Only one sort is supported")
        sort = sorts[0] if isinstance(sorts[0], dict) else {"propertyName": sorts[0]}
        by, descending = sort.get("propertyName"), sort.get("direction") == "DESCENDING"
        if by == "lastmodifieddate":
            index = self._sorted()
            # where every filter group asks lastmodifieddate >= / > a time, start there
            start = min((self._lower_bound(index, g) for g in groups), default=0)
            order = [i for _, _, i in index[start:]]
        elif by in ("hs_object_id", None):
            order = range(1, self.count + 1)
        else:
            return self._bad(f"the fake sorts by lastmodifieddate or hs_object_id, not {by}")
        if descending:
            order = list(reversed(order))
        matched = [i for i in order if not tests or any(all(t(i) for t in g) for g in tests)]
        ids = matched[after : after + limit]
        asked = self._asked(body.get("properties") or [])
        rendered = [self._render(i, asked) for i in ids]
        nxt = str(after + limit) if after + limit < len(matched) else None
        link = "https://api.hubapi.com/crm/v3/objects/contacts/search"
        return self._respond(200, self._page(rendered, f'"total":{len(matched)},', nxt, link))

    @staticmethod
    def _lower_bound(index: list[tuple[int, int, int]], group: dict) -> int:
        """The first index position a filter group can match (0 when it has no
        lastmodifieddate lower bound)."""
        start = 0
        for spec in group.get("filters", []):
            if spec.get("propertyName") == "lastmodifieddate" and spec.get("operator") in (
                "GTE",
                "GT",
                "EQ",
            ):
                at = bisect.bisect_left(index, (parse_time_ms(spec["value"]), -1, -1))
                start = max(start, at)
        return start

    def _filter(self, spec: dict):
        name, op = spec["propertyName"], spec["operator"]
        if name in ("lastmodifieddate", "createdate"):
            value = parse_time_ms(spec["value"])
            if name == "lastmodifieddate":
                get = self.lmd_ms
            else:
                get = lambda i: parse_time_ms(self.properties(i)["createdate"])  # noqa: E731
        elif name == "hs_object_id":
            value, get = int(spec["value"]), (lambda i: i)
        else:
            raise ValueError("the fake filters on lastmodifieddate, createdate, hs_object_id")
        ops = {
            "EQ": lambda a: a == value,
            "NEQ": lambda a: a != value,
            "GT": lambda a: a > value,
            "GTE": lambda a: a >= value,
            "LT": lambda a: a < value,
            "LTE": lambda a: a <= value,
        }
        if op not in ops:
            raise ValueError(f"operator {op}")
        check = ops[op]
        return lambda i: check(get(i))

    def _owners(self, request: Request) -> Response:
        archived = request.args.get("archived", "false").lower() == "true"
        try:
            limit = int(request.args.get("limit", "100"))
            after = int(request.args.get("after") or 0)
        except ValueError:
            return self._bad("limit and after must be numbers")
        if not 1 <= limit <= 500:
            return self._bad("limit must be between 1 and 500")
        chosen = [o for o in self.owners if o["archived"] == archived]
        page = chosen[after : after + limit]
        body: dict = {"results": page}
        if after + limit < len(chosen):
            body["paging"] = {
                "next": {
                    "after": str(after + limit),
                    "link": f"https://api.hubapi.com/crm/v3/owners/?after={after + limit}",
                }
            }
        return self._respond(200, body)

    def _control(self, request: Request, body: object) -> Response:
        """The standalone fake's remote control: ``/_fake/modify {"count": N,
        "properties": {…}}`` changes the N contacts after the last changed one (their
        ``lastmodifieddate``, and the properties given); ``/_fake/add {"count": N}`` adds some."""
        count = int((body or {}).get("count", 0)) if isinstance(body, dict) else 0
        if request.path == "/_fake/modify":
            self.now = max(self.now, datetime.now(UTC)) if self._live else self.now
            start = max(self._changed, default=0) % self.count + 1
            ids = [(start + k - 1) % self.count + 1 for k in range(count)]
            properties = (body or {}).get("properties") or {}
            if not isinstance(properties, dict):
                return self._bad("properties must be an object of property: value")
            self.modify(
                ids, **{str(k): None if v is None else str(v) for k, v in properties.items()}
            )
            return self._respond(200, {"modified": ids[:10], "count": len(ids)})
        if request.path == "/_fake/add":
            if self._live:
                self.now = max(self.now, datetime.now(UTC))
            new = self.add(count)
            return self._respond(200, {"added": len(new)})
        return self._respond(404, error_body("unknown control", "OBJECT_NOT_FOUND"))

    _live = False


def serve(httpserver, fake: FakeHubSpot) -> str:
    """Let pytest-httpserver's server answer every request as ``fake``; its base URL."""
    httpserver.expect_request(re.compile(r"^/.*")).respond_with_handler(fake.handle)
    fake.url = httpserver.url_for("").rstrip("/")
    return fake.url


def asgi_app(fake: FakeHubSpot):
    """``fake`` as a tiny ASGI app, for uvicorn: each request is turned into a werkzeug
    request for :meth:`FakeHubSpot.handle` (uvicorn keeps connections alive, which
    werkzeug's own server never does; measured 20-30 % faster for a full sync)."""
    import asyncio
    import io

    async def app(scope, receive, send):
        if scope["type"] == "lifespan":
            while (await receive())["type"] != "lifespan.shutdown":
                await send({"type": "lifespan.startup.complete"})
            await send({"type": "lifespan.shutdown.complete"})
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        environ = {
            "REQUEST_METHOD": scope["method"],
            "SCRIPT_NAME": "",
            "PATH_INFO": scope["path"],
            "QUERY_STRING": scope["query_string"].decode("latin-1"),
            "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": str((scope.get("server") or ("", 0))[1]),
            "SERVER_PROTOCOL": f"HTTP/{scope['http_version']}",
            "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(body),
            "CONTENT_LENGTH": str(len(body)),
        }
        for key, value in scope["headers"]:
            name = key.decode("latin-1").upper().replace("-", "_")
            if name == "CONTENT_TYPE":
                environ["CONTENT_TYPE"] = value.decode("latin-1")
            elif name != "CONTENT_LENGTH":
                environ[f"HTTP_{name}"] = value.decode("latin-1")
        response = await asyncio.to_thread(fake.handle, Request(environ))
        data = response.get_data()
        headers = [(k.lower().encode(), v.encode()) for k, v in response.headers.items()]
        headers = [(k, v) for k, v in headers if k != b"content-length"]
        headers.append((b"content-length", str(len(data)).encode()))
        await send(
            {"type": "http.response.start", "status": response.status_code, "headers": headers}
        )
        await send({"type": "http.response.body", "body": data})

    return app


def main(argv: list[str] | None = None) -> None:
    import uvicorn

    parser = argparse.ArgumentParser(description="A local HubSpot for benchmarks and tests")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--contacts", type=int, default=100_000)
    parser.add_argument("--token", default="pat-na1-fake-token")
    parser.add_argument("--seed", type=int, default=16)
    parser.add_argument("--search-limit", type=int, default=SEARCH_LIMIT)
    parser.add_argument(
        "--cold",
        action="store_true",
        help="render contacts when first asked for, not before serving (slower first sync)",
    )
    args = parser.parse_args(argv)
    now = datetime.now(UTC).replace(microsecond=0)
    fake = FakeHubSpot(
        args.contacts, token=args.token, seed=args.seed, now=now, search_limit=args.search_limit
    )
    fake.keep_requests = False
    fake._live = True
    if not args.cold:
        fake.warm()
    print(
        f"fake HubSpot on http://{args.host}:{args.port} with {args.contacts} contacts, "
        f"token {args.token}",
        flush=True,
    )
    uvicorn.run(
        asgi_app(fake), host=args.host, port=args.port, log_level="warning", access_log=False
    )


if __name__ == "__main__":
    main()
