"""Pipedrive: persons (the leads), their deals and their sales activities, over Pipedrive's
REST API v2 with an API token (``httpx``; Pipedrive has no official Python library).

Endpoints (https://developers.pipedrive.com/docs/api/v2): ``GET /api/v2/persons``,
``/api/v2/deals``, ``/api/v2/activities`` and ``/api/v2/organizations`` (``ids=``), and
``GET /api/v1/users`` (users have no v2 endpoint) for the owners' names and e-mails. The
token goes in the documented ``x-api-token`` header. Paging is v2's cursor paging: ``limit``
(at most 500) and ``cursor``, the next one in ``additional_data.next_cursor`` (null on the
last page).

Incremental sync: each of the three lists is read with ``updated_since`` (inclusive, RFC
3339), ``sort_by=update_time`` and ``sort_direction=asc``. The cursor, as JSON text, keeps
per list the latest ``update_time`` stored (``since``) and the ids already stored with
exactly that time (``seen``); the next run asks from ``since`` again and skips those ids,
so a record changed in the same second after a run is not missed and none is read twice.
Every page carries the cursor of everything up to it: a run interrupted after page k
resumes from page k's cursor (a fresh listing, not Pipedrive's own paging cursor, which
is not documented to outlive a run).

A person is a lead (``id``, ``first_name``, ``last_name``, ``name``, the primary of
``emails`` as ``email``, ``org_name`` from its organization, ``owner_name``, ``add_time``).
Deals give their person's stage times: a changed deal makes the connector read the
person's *first* deal (``person_id=…&sort_by=add_time``, limit 1) and sets
``deal.add_time`` (became an opportunity), ``deal.won_time`` (customer),
``deal.lost_time`` (lost) and ``deal.value`` on that person, the same fields a Pipedrive
deals export gives. Done activities of type call, meeting and email become activities of
their person.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any, ClassVar

import httpx

from smarketing.connectors.base import (
    TIMEOUT_S,
    Activity,
    AuthFailed,
    BadResponse,
    Connector,
    ConnectorError,
    MissingScope,
    Page,
    Retryable,
    advance_since,
    retry_after_seconds,
    since_cursors,
    with_retries,
)
from smarketing.i18n import N_, _

#: Pipedrive's largest page (v2 list endpoints).
MAX_LIMIT = 500
#: Ids per ``ids=`` / organization look-up (Pipedrive accepts at most 100).
IDS_PER_CALL = 100
#: The lists read, in this order each run.
LISTS = ("persons", "deals", "activities")
#: Pipedrive activity types (``key_string``) that are Smarketing sales activities.
ACTIVITY_KINDS = {"call": "call", "meeting": "meeting", "email": "email"}
TOKEN_HELP = N_(
    "Use a Pipedrive API token: in Pipedrive, your profile menu → Personal preferences → "
    "API (each user has one per company)."
)


def _primary_email(emails: Any) -> str | None:
    if not isinstance(emails, list):
        return None
    values = [e for e in emails if isinstance(e, dict) and e.get("value")]
    for entry in values:
        if entry.get("primary"):
            return str(entry["value"])
    return str(values[0]["value"]) if values else None


def _text(value: Any) -> str | None:
    if value is None or value == "":
        return None
    return str(value)


class Pipedrive(Connector):
    kind: ClassVar[str] = "pipedrive"
    label: ClassVar[str] = "Pipedrive"
    format: ClassVar[str] = "pipedrive"
    default_base_url: ClassVar[str] = "https://api.pipedrive.com"
    fields: ClassVar[tuple[str, ...]] = (
        "id",
        "first_name",
        "last_name",
        "name",
        "email",
        "org_name",
        "owner_name",
        "add_time",
        "deal.add_time",
        "deal.won_time",
        "deal.lost_time",
        "deal.value",
    )

    def __init__(
        self,
        token: str,
        *,
        base_url: str | None = None,
        timeout: float = TIMEOUT_S,
        sleep: Callable[[float], None] = time.sleep,
        page_size: int | None = None,
    ) -> None:
        super().__init__(
            token, base_url=base_url, timeout=timeout, sleep=sleep, page_size=page_size
        )
        self.limit = min(page_size or MAX_LIMIT, MAX_LIMIT)
        self._client = httpx.Client(
            base_url=self.base_url,
            timeout=timeout,
            headers={"x-api-token": token, "accept": "application/json"},
        )

    def close(self) -> None:
        self._client.close()

    # --- the one HTTP call ------------------------------------------------------------------

    def _get(self, path: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        """``GET path`` answered in Pipedrive's envelope ``{"success": true, "data": …,
        "additional_data": …}``, retried on 429/5xx/timeouts."""
        what = f"Pipedrive GET {path}"

        def call() -> dict[str, Any]:
            try:
                response = self._client.get(path, params=params)
            except httpx.TimeoutException:
                raise Retryable(
                    _("no answer within {seconds} s").format(seconds=f"{self.timeout:g}")
                ) from None
            except httpx.TransportError as exc:
                raise Retryable(
                    _("cannot connect to {url}: {error}").format(url=self.base_url, error=exc)
                ) from None
            status = response.status_code
            if status == 429 or status >= 500:
                raise Retryable(f"HTTP {status}", retry_after_seconds(response.headers))
            if status == 401:
                raise AuthFailed(
                    _(
                        "Pipedrive refused the API token (401 {error}): it is wrong or was "
                        "revoked. {help}"
                    ).format(error=self._error(response), help=_(TOKEN_HELP))
                )
            if status == 402:
                raise ConnectorError(
                    _(
                        "Pipedrive: the company account is not open (402: trial ended or "
                        "payment missing)"
                    )
                )
            if status == 403:
                raise MissingScope(
                    _(
                        "Pipedrive refused {path} (403 {error}): the token's user may not read "
                        "persons, deals and activities of the whole company; use the token of "
                        "a user who sees them all (an admin, or a permission set with "
                        "visibility of all items)"
                    ).format(path=path, error=self._error(response))
                )
            if status >= 400:
                raise ConnectorError(f"{what}: HTTP {status} {self._error(response)}")
            try:
                body = response.json()
            except ValueError:
                raise BadResponse(_("{what}: the answer is not JSON").format(what=what)) from None
            if not isinstance(body, dict) or body.get("success") is not True or "data" not in body:
                raise BadResponse(
                    _("{what}: not Pipedrive's {expected} answer").format(
                        what=what, expected="{success, data}"
                    )
                )
            return body

        return with_retries(call, what=what, sleep=self.sleep)

    @staticmethod
    def _error(response: httpx.Response) -> str:
        try:
            body = response.json()
        except ValueError:
            return ""
        return str(body.get("error") or "") if isinstance(body, dict) else ""

    def _list(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        data = body["data"]
        if data is None:
            return []
        if not isinstance(data, list) or not all(isinstance(d, dict) for d in data):
            raise BadResponse(_("Pipedrive: a list answer whose data is not a list of records"))
        return data

    # --- the account ------------------------------------------------------------------------

    def check(self) -> str:
        me = self._get("/api/v1/users/me")["data"] or {}
        self._get("/api/v2/persons", {"limit": 1})
        company = me.get("company_name") or me.get("company_domain") or "?"
        return _("Pipedrive company {company}: signed in as {name}").format(
            company=company, name=me.get("name", "?")
        )

    def owners(self) -> dict[int, tuple[str | None, str | None]]:
        """User id -> (name, e-mail)."""
        out = {}
        for user in self._list(self._get("/api/v1/users")):
            out[user.get("id")] = (_text(user.get("name")), _text(user.get("email")))
        return out

    def _organizations(self, ids: set[int]) -> dict[int, str | None]:
        out: dict[int, str | None] = {}
        ordered = sorted(ids)
        for start in range(0, len(ordered), IDS_PER_CALL):
            chunk = ordered[start : start + IDS_PER_CALL]
            params = {"ids": ",".join(map(str, chunk)), "limit": len(chunk)}
            for org in self._list(self._get("/api/v2/organizations", params)):
                out[org.get("id")] = _text(org.get("name"))
        return out

    # --- the sync ---------------------------------------------------------------------------

    def pages(self, cursor: str | None) -> Iterator[Page]:
        state = self._state(cursor)
        owners = self.owners()
        for name in LISTS:
            for records in self._changed(name, state):
                if name == "persons":
                    page = self._persons_page(records, owners)
                elif name == "deals":
                    page = self._deals_page(records)
                else:
                    page = self._activities_page(records, owners)
                page.fetched = len(records)
                self._advance(state[name], records)
                page.cursor = json.dumps(state, sort_keys=True)
                yield page

    @staticmethod
    def _state(cursor: str | None) -> dict[str, dict[str, Any]]:
        return since_cursors(cursor, LISTS, label="Pipedrive", ident=int)

    @staticmethod
    def _advance(part: dict[str, Any], records: list[dict[str, Any]]) -> None:
        """The cursor past ``records`` (in modification order)."""
        for record in records:
            advance_since(part, record.get("update_time"), record["id"])

    def _changed(self, name: str, state: dict[str, dict[str, Any]]) -> Iterator[list]:
        """Pages of the records of ``/api/v2/<name>`` changed since the cursor (those
        already stored at the cursor's own second left out)."""
        since, seen = state[name]["since"], set(state[name]["seen"])
        params: dict[str, Any] = {
            "sort_by": "update_time",
            "sort_direction": "asc",
            "limit": self.limit,
        }
        if since:
            params["updated_since"] = since
        while True:
            body = self._get(f"/api/v2/{name}", params)
            records = [
                r
                for r in self._list(body)
                if not (r.get("update_time") == since and r.get("id") in seen)
            ]
            if records:
                yield records
            following = (body.get("additional_data") or {}).get("next_cursor")
            if not following:
                return
            params = {**params, "cursor": following}

    def _persons_page(self, persons: list[dict], owners: dict) -> Page:
        orgs = self._organizations({p["org_id"] for p in persons if p.get("org_id")})
        leads = []
        for person in persons:
            owner_name, owner_email = owners.get(person.get("owner_id"), (None, None))
            leads.append(
                {
                    "id": str(person["id"]),
                    "first_name": _text(person.get("first_name")),
                    "last_name": _text(person.get("last_name")),
                    "name": _text(person.get("name")),
                    "email": _primary_email(person.get("emails")),
                    "org_name": orgs.get(person.get("org_id")),
                    "owner_name": owner_name,
                    "add_time": _text(person.get("add_time")),
                    "_owner_name": owner_name,
                    "_owner_email": owner_email,
                }
            )
        return Page(leads=leads)

    def _deals_page(self, deals: list[dict]) -> Page:
        persons = sorted({d["person_id"] for d in deals if d.get("person_id")})
        leads = []
        for person_id in persons:
            params = {
                "person_id": person_id,
                "sort_by": "add_time",
                "sort_direction": "asc",
                "limit": 1,
            }
            first = self._list(self._get("/api/v2/deals", params))
            if not first:
                continue
            deal = first[0]
            leads.append(
                {
                    "id": str(person_id),
                    "deal.add_time": _text(deal.get("add_time")),
                    "deal.won_time": _text(deal.get("won_time")),
                    "deal.lost_time": _text(deal.get("lost_time")),
                    "deal.value": _text(deal.get("value")),
                }
            )
        return Page(leads=leads)

    def _activities_page(self, activities: list[dict], owners: dict) -> Page:
        out = []
        for activity in activities:
            kind = ACTIVITY_KINDS.get(str(activity.get("type") or ""))
            person = activity.get("person_id")
            if kind is None or not person or not activity.get("done"):
                continue
            when = activity.get("marked_as_done_time") or self._due(activity)
            if not when:
                continue
            out.append(
                Activity(
                    lead_external_id=str(person),
                    occurred_at=_parse_time(when),
                    kind=kind,
                    detail=str(activity.get("subject") or ""),
                    actor=owners.get(activity.get("owner_id"), (None, None))[0],
                )
            )
        return Page(activities=out)

    @staticmethod
    def _due(activity: dict) -> str | None:
        """``due_date`` and ``due_time`` (UTC in Pipedrive) as one RFC 3339 time."""
        date = activity.get("due_date")
        if not date:
            return None
        clock = activity.get("due_time") or "00:00"
        return f"{date}T{clock[:5]}:00Z"


def _parse_time(text: str) -> datetime:
    try:
        when = datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        raise BadResponse(
            _("Pipedrive: {text} is not an RFC 3339 time").format(text=repr(text))
        ) from None
    return when if when.tzinfo else when.replace(tzinfo=UTC)


CONNECTOR = Pipedrive
