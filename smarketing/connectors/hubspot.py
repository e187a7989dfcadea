"""HubSpot: contacts, their owners and their last conversions, clicks and visits, read with
``hubspot-api-client`` and a private-app access token (docs/connectors.md, "HubSpot").

The library does the HTTP, the ``Authorization: Bearer`` header, the host (``base_url``,
so a local fake can stand in) and the errors (``ApiException`` with status, headers and
body). Its generated models are not used: against the local fake a page of 100 contacts
took 12 ms through them and 2 ms as raw JSON (8,000 against 50,000 contacts/s), so each
call asks for the raw answer (``_preload_content=False``) and reads the JSON itself.

Two ways through the contacts:

* **full sync** (``cursor`` None): the list API (``GET /crm/v3/objects/contacts``) by id,
  ``after`` paging, no limit on how far. Its cursor ``{"full_after": …, "started": ms}``
  resumes the list; the last page's cursor is ``{"since": started - LAG}``, where
  ``started`` is the server's clock (its ``Date`` header) at the first page: a contact
  changed while the list was read is read again by the next (incremental) run.
* **incremental** (``{"since": ms}``): the CRM search API (``POST …/contacts/search``),
  ``lastmodifieddate >= since``, oldest change first. See :meth:`HubSpotConnector._changes`
  for how it pages and why it never meets HubSpot's 10,000-results-per-search limit.

No cursor points later than LAG before the server's clock: HubSpot's search index follows
the CRM with a delay, and a contact changed just before a run may not be searchable yet.
"""

from __future__ import annotations

import contextvars
import json
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from smarketing.connectors.base import (
    Activity,
    AuthFailed,
    BadResponse,
    Connector,
    ConnectorError,
    MissingScope,
    Page,
    Retryable,
    retry_after_seconds,
    with_retries,
)
from smarketing.formatting import count
from smarketing.i18n import N_, _, ngettext

#: The contact properties asked for: the ones the HubSpot import format reads
#: (smarketing.data_in.formats.HUBSPOT) and the ones activities are made from.
PROPERTIES = (
    "hs_object_id",
    "firstname",
    "lastname",
    "email",
    "company",
    "jobtitle",
    "createdate",
    "lastmodifieddate",
    "lifecyclestage",
    "hs_lifecyclestage_lead_date",
    "hs_lifecyclestage_marketingqualifiedlead_date",
    "hs_lifecyclestage_salesqualifiedlead_date",
    "hs_lifecyclestage_opportunity_date",
    "hs_lifecyclestage_customer_date",
    "hs_lead_status",
    "hs_analytics_source",
    "hs_analytics_source_data_1",
    "hs_analytics_source_data_2",
    "hs_analytics_first_touch_converting_campaign",
    "hs_persona",
    "hubspot_owner_id",
    "hs_sa_first_engagement_date",
    "first_conversion_event_name",
    "first_conversion_date",
    "recent_conversion_event_name",
    "recent_conversion_date",
    "hubspotscore",
    "recent_deal_amount",
    "numemployees",
    "industry",
    "hs_analytics_last_visit_timestamp",
    "hs_analytics_last_url",
    "hs_email_last_click_date",
    "hs_email_last_email_name",
)
#: The list API's ``properties`` as one comma-separated value (HubSpot reads both forms):
#: a URL a third shorter than ``properties=`` repeated, and urllib3 checks every byte of
#: it several times per request (measured: 1.6 ms of 4 ms per page of 100).
_ASKED = ",".join(PROPERTIES)
#: Where a record carries its owner's full name: the column HubSpot's own export writes it
#: to, which the HUBSPOT format reads into ``owner`` before ``hubspot_owner_id`` (an id).
OWNER_NAME = "Contact owner"
#: Activities made from contact properties: (time property, detail property, kind).
ACTIVITY_PROPERTIES = (
    ("first_conversion_date", "first_conversion_event_name", "form"),
    ("recent_conversion_date", "recent_conversion_event_name", "form"),
    ("hs_analytics_last_visit_timestamp", "hs_analytics_last_url", "page_view"),
    ("hs_email_last_click_date", "hs_email_last_email_name", "email_click"),
)
#: The scopes the private app needs (HubSpot's names).
SCOPES = ("crm.objects.contacts.read", "crm.objects.owners.read")
#: HubSpot's largest page: the list API 100, the search API 200; owners 500.
LIST_MAX, SEARCH_MAX, OWNERS_MAX = 100, 200, 500
#: A cursor stays this far behind the server's clock (the search index's delay).
LAG_MS = 5 * 60 * 1000
TOKEN_HELP = N_(
    "make a new one in HubSpot under Settings → Integrations → Private apps (the app's "
    "Auth tab shows its access token) and put it where this source reads its token"
)


def _ms(text: str | None) -> int | None:
    """A HubSpot time (ISO 8601, or epoch milliseconds) as epoch ms; None when empty."""
    if not text:
        return None
    if text.isdigit():
        return int(text)
    try:
        when = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return int(when.timestamp() * 1000)


def _when(text: str | None) -> datetime | None:
    """A HubSpot time as an aware UTC datetime; None when empty or unreadable."""
    if not text:
        return None
    if text.isdigit():
        return datetime.fromtimestamp(int(text) / 1000, UTC)
    try:
        when = datetime.fromisoformat(text)  # Python 3.11 reads the trailing Z
    except ValueError:
        return None
    return when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)


class HubSpotConnector(Connector):
    """A HubSpot account read through a private app's access token."""

    kind = "hubspot"
    label = "HubSpot"
    format = "hubspot"
    default_base_url = "https://api.hubapi.com"
    fields = (*PROPERTIES, OWNER_NAME)
    activity_fields = tuple(
        name for when, what, _kind in ACTIVITY_PROPERTIES for name in (when, what)
    )

    def __init__(self, token: str, **kwargs) -> None:
        super().__init__(token, **kwargs)
        from hubspot import HubSpot
        from urllib3.util.retry import Retry

        # Retry(0): urllib3 retries nothing itself (its retries would sleep with
        # time.sleep, unseen by tests, and stack under ours); with_retries does it all.
        client = HubSpot(access_token=token, host=self.base_url, retry=Retry(0, redirect=0))
        self._contacts_api = client.crm.contacts.basic_api
        self._search_api = client.crm.contacts.search_api
        self._owners_api = client.crm.owners.owners_api

    # --- calls ------------------------------------------------------------------------

    def _call(self, what: str, send: Callable[..., object], **params) -> tuple[dict, int | None]:
        """One API call with retries: its JSON answer and the server's clock (epoch ms,
        from the ``Date`` header; None without one)."""

        def once() -> tuple[dict, int | None]:
            from hubspot.crm.contacts.exceptions import ApiException as ContactsError
            from hubspot.crm.owners.exceptions import ApiException as OwnersError
            from urllib3.exceptions import HTTPError

            try:
                raw = send(**params, _preload_content=False, _request_timeout=self.timeout)
            except (ContactsError, OwnersError) as exc:
                raise self._failure(what, exc) from None
            except HTTPError as exc:
                raise Retryable(
                    _("no answer from {url} ({reason})").format(
                        url=self.base_url, reason=_reason(exc)
                    )
                ) from None
            try:
                data = raw.data
                dates = raw.headers.getlist("Date")
            except HTTPError as exc:
                raise Retryable(
                    _("the answer from {url} broke off ({error})").format(
                        url=self.base_url, error=exc
                    )
                ) from None
            finally:
                raw.release_conn()
            try:
                body = json.loads(data)
            except ValueError:
                raise BadResponse(
                    _(
                        "HubSpot {what}: the answer is not JSON (expected HubSpot's {expected}); "
                        "it starts {start}"
                    ).format(
                        what=_(what),
                        expected="{'results': [...], 'paging': ...}",
                        start=repr(bytes(data[:80])),
                    )
                ) from None
            if not isinstance(body, dict) or not isinstance(body.get("results"), list):
                raise BadResponse(
                    _(
                        "HubSpot {what}: the answer has no 'results' list (expected HubSpot's "
                        "{expected})"
                    ).format(
                        what=_(what),
                        expected="{'results': [...], 'paging': {'next': {'after': ...}}}",
                    )
                )
            return body, _server_ms(dates)

        return with_retries(once, what=f"HubSpot {_(what)}", sleep=self.sleep)

    def _failure(self, what: str, exc) -> Exception:
        """What an HTTP error from HubSpot means: retry, or an error a person can act on."""
        status = exc.status or 0
        try:
            body = json.loads(exc.body) if exc.body else {}
        except (TypeError, ValueError):
            body = {}
        body = body if isinstance(body, dict) else {}
        message = str(body.get("message") or exc.reason or "").strip()
        if status == 429:
            headers = dict(exc.headers or {})
            wait = retry_after_seconds(headers)
            if wait is None:
                wait = _rate_limit_wait(headers)
            return Retryable(
                _("HubSpot rate limit ({message})").format(
                    message=message or _("too many requests")
                ),
                wait,
            )
        if status >= 500 or status == 0:
            return Retryable(
                _("HubSpot answered {status} {message}")
                .format(status=status, message=message)
                .strip()
            )
        if status == 401:
            return AuthFailed(
                _(
                    "HubSpot refused the access token (401: {message}): it is wrong, expired or "
                    "revoked; {help}."
                ).format(message=message or "unauthorized", help=_(TOKEN_HELP))
            )
        if status == 403:
            needed = _required_scopes(body) or list(SCOPES)
            return MissingScope(
                _(
                    "HubSpot: the private app may not {what} (403: missing scope {needed}). In "
                    "HubSpot open Settings → Integrations → Private apps → this app → Scopes "
                    "and tick {scopes}."
                ).format(what=_(what), needed=", ".join(needed), scopes=", ".join(SCOPES))
            )
        correlation = body.get("correlationId")
        return ConnectorError(
            _("HubSpot {what} failed ({status}: {message}").format(
                what=_(what), status=status, message=message or _("no reason given")
            )
            + (f"; correlationId {correlation}" if correlation else "")
            + ")"
        )

    # --- the account ------------------------------------------------------------------

    def check(self) -> str:
        owners = self._load_owners()
        body, _server = self._call(
            N_("read contacts"), self._contacts_api.get_page, limit=1, properties=["email"]
        )
        active = sum(1 for _name, _email, archived in owners.values() if not archived)
        owners_text = ngettext("{n} active owner", "{n} active owners", active).format(
            n=count(active)
        )
        if body["results"]:
            text = _("HubSpot at {url}: the token works; {owners}; the account has contacts.")
        else:
            text = _(
                "HubSpot at {url}: the token works; {owners}; the account has no contacts yet."
            )
        return text.format(url=self.base_url, owners=owners_text)

    def _load_owners(self) -> dict[str, tuple[str, str | None, bool]]:
        """owner id -> (full name, e-mail, archived), the archived ones included (a
        contact may still belong to someone who left)."""
        owners: dict[str, tuple[str, str | None, bool]] = {}
        for archived in (False, True):
            after = None
            while True:
                # "true"/"false" as HubSpot documents them (the library would send "True")
                params = {"limit": OWNERS_MAX, "archived": str(archived).lower()}
                if after:
                    params["after"] = after
                body, _server = self._call(N_("read owners"), self._owners_api.get_page, **params)
                for owner in body["results"]:
                    if not isinstance(owner, dict) or "id" not in owner:
                        raise BadResponse(_("HubSpot read owners: an owner without an 'id'"))
                    name = " ".join(
                        p for p in (owner.get("firstName"), owner.get("lastName")) if p
                    ).strip()
                    email = owner.get("email") or None
                    owners[str(owner["id"])] = (name or email or str(owner["id"]), email, archived)
                after = _next_after(body)
                if after is None:
                    break
        return owners

    # --- the contacts -----------------------------------------------------------------

    def pages(self, cursor: str | None) -> Iterator[Page]:
        state = _read_cursor(cursor)
        owners = self._load_owners()
        if "since" in state:
            yield from self._changes(state, owners)
        else:
            yield from self._full(state, owners)

    def _size(self, largest: int) -> int:
        return max(1, min(self.page_size or largest, largest))

    def _full(self, state: dict, owners: dict) -> Iterator[Page]:
        """Every contact by the list API, ``after`` paging. The next page is asked for
        while this one is turned into records and stored (one request ahead, never more:
        two pages in memory at most)."""
        from concurrent.futures import ThreadPoolExecutor

        size = self._size(LIST_MAX)

        def fetch(after: str | None) -> tuple[dict, int | None]:
            params = {"limit": size, "properties": [_ASKED], "archived": "false"}
            if after:
                params["after"] = after
            return self._call(N_("read contacts"), self._contacts_api.get_page, **params)

        started = state.get("started")
        ahead = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hubspot-next-page")
        # (the thread speaks the caller's language in its messages)
        context = contextvars.copy_context()
        try:
            pending = ahead.submit(context.run, fetch, state.get("full_after"))
            while True:
                body, server_ms = pending.result()
                if started is None:
                    started = server_ms if server_ms is not None else _now_ms()
                after = _next_after(body)
                if after is not None:
                    pending = ahead.submit(context.run, fetch, after)
                leads, activities = self._records(body["results"], owners)
                if after is None:
                    cursor = {"since": max(0, started - LAG_MS)}
                else:
                    cursor = {"full_after": after, "started": started}
                yield Page(leads, activities, json.dumps(cursor), len(leads))
                if after is None:
                    return
        finally:
            ahead.shutdown(wait=False, cancel_futures=True)

    def _changes(self, state: dict, owners: dict) -> Iterator[Page]:
        """The contacts changed since ``state["since"]``, oldest change first.

        Every page is a new search from the last modification time seen
        (``lastmodifieddate >= T``, ascending): the window moves on each page rather than
        each 10,000 results, so no search ever pages near HubSpot's limit of 10,000
        results, and paging by ``after`` (an offset) is never needed. That also keeps a
        run from skipping anything: were a contact already read changed during the run, it
        would move to the end of the result list and shift every later contact one place
        earlier, so an offset would step over one of them for good.

        The contacts modified at exactly ``T`` come again at the top of the next search;
        the ones already read are left out (the cursor names them). Where it cannot (a
        cursor moved back behind the server's clock, or more than 200 of them), they are
        read twice: harmless, the import counts them unchanged. When a whole page
        shares one ``lastmodifieddate`` (a bulk update), the time cannot move: those
        contacts are read by id instead (``lastmodifieddate = T`` and ``hs_object_id >
        last id``, sorted by id), then the search goes on after ``T``.

        Cursors: ``{"since": T, "seen": [ids]}`` (everything changed before T is read, and
        these contacts changed at T: a new run starting there does not read them again;
        ``seen`` is left out past 200 ids), ``{"since": T, "after_id": id}`` (also
        everything changed at T up to that id) or ``{"since": T, "past": true}`` (all
        changes at T too); never later than LAG before the server's clock.
        """
        since: int = int(state["since"])
        after_id: int | None = state.get("after_id")
        strict = bool(state.get("past"))  # everything at `since` itself is read too
        # the contacts already read whose lastmodifieddate is `since`
        seen: set[str] = {str(i) for i in state.get("seen") or ()}
        size = self._size(SEARCH_MAX)
        while True:
            if after_id is not None:
                filters = [
                    {"propertyName": "lastmodifieddate", "operator": "EQ", "value": str(since)},
                    {"propertyName": "hs_object_id", "operator": "GT", "value": str(after_id)},
                ]
                sort = "hs_object_id"
            else:
                op = "GT" if strict else "GTE"
                filters = [
                    {"propertyName": "lastmodifieddate", "operator": op, "value": str(since)}
                ]
                sort = "lastmodifieddate"
            request = {
                "filterGroups": [{"filters": filters}],
                "sorts": [{"propertyName": sort, "direction": "ASCENDING"}],
                "properties": list(PROPERTIES),
                "limit": size,
            }
            body, server_ms = self._call(
                N_("search contacts"),
                self._search_api.do_search,
                public_object_search_request=request,
            )
            results = body["results"]
            full = len(results) >= size
            ceiling = (server_ms if server_ms is not None else _now_ms()) - LAG_MS
            if after_id is not None:
                fresh = [r for r in results if _object_id(r) not in seen]
                leads, activities = self._records(fresh, owners)
                if results:
                    last_id = int(_object_id(results[-1]))
                    if last_id <= after_id:
                        raise BadResponse(
                            _(
                                "HubSpot search contacts: asked for ids after {after} sorted by "
                                "id, got {last} last"
                            ).format(after=after_id, last=last_id)
                        )
                    after_id = last_id
                if full:
                    cursor = {"since": since, "after_id": after_id}
                else:  # every contact changed at `since` is read: go on after it
                    after_id, strict, seen = None, True, set()
                    cursor = {"since": since, "past": True}
                yield Page(leads, activities, _capped(cursor, ceiling), len(leads))
                continue
            times = [_ms(_properties(r).get("lastmodifieddate")) for r in results]
            if any(t is None for t in times):
                raise BadResponse(_("HubSpot search contacts: a contact without lastmodifieddate"))
            if full and times[-1] == since:
                after_id = 0  # a whole page at one instant: read them by id (not `seen`)
                continue
            fresh = [
                r
                for r, t in zip(results, times, strict=True)
                if not (t == since and _object_id(r) in seen)
            ]
            leads, activities = self._records(fresh, owners)
            if results:
                last = times[-1]
                at_last = {_object_id(r) for r, t in zip(results, times, strict=True) if t == last}
                seen = seen | at_last if last == since else at_last
                since, strict = last, False
            cursor = {"since": since}
            if len(seen) <= SEARCH_MAX:
                cursor["seen"] = sorted(seen, key=int)
            yield Page(leads, activities, _capped(cursor, ceiling), len(leads))
            if not full:
                return

    def _records(self, results: list, owners: dict) -> tuple[list[dict], list[Activity]]:
        """Flat lead records (API names, values as given; the owner's name and e-mail
        resolved) and the activities the contacts' properties record."""
        leads: list[dict[str, str | None]] = []
        activities: list[Activity] = []
        for result in results:
            record = _properties(result)  # the parsed answer's own dict: no copy
            contact_id = record.get("hs_object_id") or str(result.get("id") or "")
            if not contact_id:
                raise BadResponse(_("HubSpot: a contact without an id"))
            record["hs_object_id"] = contact_id
            owner = owners.get(record.get("hubspot_owner_id"))
            if owner is not None:
                record[OWNER_NAME] = record["_owner_name"] = owner[0]
                record["_owner_email"] = owner[1]
            else:
                record[OWNER_NAME] = None
            leads.append(record)
            made: list[tuple] = []
            for time_key, detail_key, kind in ACTIVITY_PROPERTIES:
                when = _when(record.get(time_key))
                if when is None:
                    continue
                key = (when, kind, record.get(detail_key) or "")
                if key not in made:  # the first conversion may be the recent one
                    made.append(key)
                    activities.append(Activity(contact_id, *key))
        return leads, activities


def _properties(result: object) -> dict:
    if not isinstance(result, dict) or not isinstance(result.get("properties"), dict):
        raise BadResponse(
            _("HubSpot: a contact without 'properties' (expected {expected})").format(
                expected="{'id', 'properties'}"
            )
        )
    return result["properties"]


def _object_id(result: dict) -> str:
    return str(result["properties"].get("hs_object_id") or result.get("id"))


def _next_after(body: dict) -> str | None:
    paging = body.get("paging")
    if not paging:
        return None
    try:
        after = paging["next"]["after"]
    except (KeyError, TypeError):
        return None
    return str(after) if after not in (None, "") else None


def _capped(cursor: dict, ceiling: int) -> str:
    """The cursor as JSON, moved back to ``ceiling`` when it is later (see the module)."""
    if cursor["since"] > ceiling:
        cursor = {"since": max(0, ceiling)}
    return json.dumps(cursor)


def _read_cursor(cursor: str | None) -> dict:
    if not cursor:
        return {}
    try:
        state = json.loads(cursor)
    except ValueError:
        state = None
    ok = isinstance(state, dict) and (
        isinstance(state.get("since"), int) or isinstance(state.get("full_after"), str)
    )
    if not ok:
        raise ConnectorError(
            _(
                "HubSpot: the saved sync position {cursor} is not one this connector wrote; run "
                "a full sync to start again"
            ).format(cursor=repr(cursor))
        )
    return state


def _server_ms(dates: list[str]) -> int | None:
    """The server's clock from its ``Date`` header (the earliest, should there be several:
    a cursor too early only reads a contact twice); None without a readable one."""
    found = []
    for text in dates:
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError):
            continue
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        found.append(int(when.timestamp() * 1000))
    return min(found, default=None)


def _now_ms() -> int:
    """This machine's clock, used only when HubSpot's answer has no ``Date``."""
    return int(datetime.now(UTC).timestamp() * 1000)


def _rate_limit_wait(headers: dict) -> float | None:
    """HubSpot's own rate-limit headers: the rolling window's length when none is left."""
    lower = {str(k).lower(): str(v) for k, v in headers.items()}
    if lower.get("x-hubspot-ratelimit-remaining", "").strip() != "0":
        return None
    try:
        return int(lower["x-hubspot-ratelimit-interval-milliseconds"]) / 1000
    except (KeyError, ValueError):
        return None


def _required_scopes(body: dict) -> list[str]:
    scopes: list[str] = []
    for error in body.get("errors") or []:
        context = error.get("context") if isinstance(error, dict) else None
        if isinstance(context, dict):
            for key in ("requiredGranularScopes", "requiredScopes"):
                scopes += [str(s) for s in context.get(key) or []]
    return list(dict.fromkeys(scopes))


def _reason(exc: Exception) -> str:
    reason = getattr(exc, "reason", None)
    return str(reason or exc)


CONNECTOR = HubSpotConnector
