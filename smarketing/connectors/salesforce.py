"""Salesforce: Lead, Contact and Opportunity records by SOQL, with ``simple-salesforce``.

The token is an OAuth access token (a session id) of a user who may read those objects;
``base_url`` is the org's instance URL, its My Domain (``https://acme.my.salesforce.com``),
which becomes simple-salesforce's ``instance_url``: an access token works only on its own
instance, so the login host (the default, ``https://login.salesforce.com``) is refused with
a message saying what to give instead. ``http://`` is accepted for a local test server
only (simple-salesforce always builds ``https://`` URLs; the REST base is rewritten).

Each object is read with ``SELECT … WHERE SystemModstamp >= :since ORDER BY
SystemModstamp, Id``, following ``nextRecordsUrl`` (``query_more``) page by page
(``Sforce-Query-Options: batchSize``). The cursor, as JSON text, keeps per object the
latest ``SystemModstamp`` stored (``since``) and the ids stored with exactly that stamp
(``seen``), which the next query skips: none is read twice, and a record changed in the
cursor's own second after the query ran is not missed (``> :since`` would miss it). Every
page carries the cursor of everything up to it, so an interrupted run resumes right after
its last stored page (a query locator expires after 15 idle minutes, so none is kept).
SystemModstamp has whole seconds: the stamp is written ``YYYY-MM-DDThh:mm:ssZ`` in SOQL.

Leads and contacts are leads, with the API names the import's SALESFORCE table reads
(``Id``, ``FirstName``, ``LastName``, ``Email``, ``Company`` / ``Account.Name``, ``Title``,
``CreatedDate``, ``LeadSource``, ``Status``, ``Owner.Name``, ``ConvertedDate``,
``IsConverted``, ``Industry``, ``NumberOfEmployees``, and ``MQL_Date__c``, ``Persona__c``,
``Lead_Score__c``, ``Unqualified_Reason__c`` where the org has them). A contact that a
converted lead became is not a second lead: the lead carries it. An opportunity gives its
times to the lead it was converted from (``Lead.ConvertedOpportunityId``), otherwise to its
primary contact (``Opportunity.ContactId``) through that contact's *first* opportunity:
``Opportunity.CreatedDate`` (became an opportunity), its ``CloseDate`` as
``Opportunity.WonDate`` when won or ``Opportunity.LostDate`` when closed and not won, and
``Opportunity.Amount``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any, ClassVar
from urllib.parse import urlparse

import requests
from simple_salesforce import Salesforce as SalesforceApi
from simple_salesforce.exceptions import (
    SalesforceError,
    SalesforceExpiredSession,
    SalesforceMalformedRequest,
    SalesforceRefusedRequest,
    SalesforceResourceNotFound,
)

from smarketing.connectors.base import (
    TIMEOUT_S,
    AuthFailed,
    BadResponse,
    Connector,
    ConnectorError,
    MissingScope,
    Page,
    Retryable,
    Unreachable,
    advance_since,
    retry_after_seconds,
    since_cursors,
    with_retries,
)
from smarketing.i18n import N_, _

API_VERSION = "59.0"
#: Salesforce's batch size bounds (``Sforce-Query-Options: batchSize``).
MAX_BATCH = 2000
#: Ids per ``IN (…)`` list in a look-up query.
IDS_PER_QUERY = 200
#: The objects read, in this order each run.
OBJECTS = ("Lead", "Contact", "Opportunity")
LEAD_FIELDS = (
    "Id",
    "FirstName",
    "LastName",
    "Email",
    "Company",
    "Title",
    "CreatedDate",
    "LeadSource",
    "Status",
    "OwnerId",
    "Owner.Name",
    "Owner.Email",
    "ConvertedDate",
    "IsConverted",
    "Industry",
    "NumberOfEmployees",
    "SystemModstamp",
)
#: Custom Lead fields read where the org has them (the import's table knows them).
CUSTOM_LEAD_FIELDS = ("MQL_Date__c", "Persona__c", "Lead_Score__c", "Unqualified_Reason__c")
CONTACT_FIELDS = (
    "Id",
    "FirstName",
    "LastName",
    "Email",
    "Account.Name",
    "Title",
    "CreatedDate",
    "LeadSource",
    "OwnerId",
    "Owner.Name",
    "Owner.Email",
    "SystemModstamp",
)
OPPORTUNITY_FIELDS = (
    "Id",
    "ContactId",
    "CreatedDate",
    "CloseDate",
    "IsWon",
    "IsClosed",
    "Amount",
    "SystemModstamp",
)
#: Keys of a lead record that are read only to resolve or page, not imported.
_NOT_EMITTED = {"OwnerId", "Owner.Email", "SystemModstamp"}
LOGIN_HOSTS = {"login.salesforce.com", "test.salesforce.com"}
TOKEN_HELP = N_(
    "Get an access token for a user with API access, e.g. `sf org display --target-org "
    "ALIAS` (Access Token) or an OAuth connected app."
)


class _Session(requests.Session):
    """simple-salesforce's requests session: a timeout on every call, and the last answer
    kept (its ``Retry-After`` is lost in simple-salesforce's exceptions)."""

    def __init__(self, timeout: float) -> None:
        super().__init__()
        self.timeout = timeout
        self.last: requests.Response | None = None

    def request(self, method, url, **kwargs):  # type: ignore[override]
        kwargs.setdefault("timeout", self.timeout)
        self.last = None
        self.last = super().request(method, url, **kwargs)
        return self.last


def _errors(exc: SalesforceError) -> tuple[str, str]:
    """(errorCode, message) of Salesforce's error array ``[{"message", "errorCode"}]``."""
    content = exc.content
    if isinstance(content, list) and content and isinstance(content[0], dict):
        return str(content[0].get("errorCode") or ""), str(content[0].get("message") or "")
    if isinstance(content, dict):
        return str(content.get("errorCode") or ""), str(content.get("message") or "")
    return "", str(content or "")[:200]


def _soql_time(stamp: str) -> str:
    """A SystemModstamp as the API writes it (``2026-01-05T08:00:00.000+0000``) as a SOQL
    datetime literal."""
    try:
        when = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%f%z")
    except ValueError:
        try:
            when = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
        except ValueError:
            raise BadResponse(
                _("Salesforce: {stamp} is not a SystemModstamp").format(stamp=repr(stamp))
            ) from None
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _quote(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _flat(record: dict[str, Any], name: str) -> Any:
    """``record["Owner"]["Name"]`` for ``Owner.Name``; None along a null relationship."""
    value: Any = record
    for part in name.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _text(value: Any) -> str | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


class Salesforce(Connector):
    kind: ClassVar[str] = "salesforce"
    label: ClassVar[str] = "Salesforce"
    format: ClassVar[str] = "salesforce"
    default_base_url: ClassVar[str] = "https://login.salesforce.com"
    fields: ClassVar[tuple[str, ...]] = (
        *(f for f in LEAD_FIELDS if f not in _NOT_EMITTED),
        "Account.Name",
        *CUSTOM_LEAD_FIELDS,
        "Opportunity.CreatedDate",
        "Opportunity.WonDate",
        "Opportunity.LostDate",
        "Opportunity.Amount",
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
        self.batch = min(page_size or MAX_BATCH, MAX_BATCH)
        self._session = _Session(timeout)
        self._api: SalesforceApi | None = None
        self._custom: tuple[str, ...] | None = None

    def close(self) -> None:
        self._session.close()

    # --- the client -------------------------------------------------------------------------

    @property
    def api(self) -> SalesforceApi:
        if self._api is None:
            url = urlparse(self.base_url)
            if url.hostname in LOGIN_HOSTS or not url.hostname:
                raise ConnectorError(
                    _(
                        "Salesforce: {url} is the login host; give your org's instance URL as "
                        "the base URL (Setup → My Domain, e.g. https://acme.my.salesforce.com): "
                        "an access token works only there"
                    ).format(url=self.base_url)
                )
            api = SalesforceApi(
                instance_url=self.base_url,
                session_id=self.token,
                version=API_VERSION,
                session=self._session,
            )
            if url.scheme == "http":  # a local test server
                api.base_url = f"{self.base_url}/services/data/v{API_VERSION}/"
            self._api = api
        return self._api

    def _call(self, what: str, call: Callable[[], Any]) -> Any:
        """``call()`` with the rules every Salesforce call follows: retried on 429/5xx and
        timeouts, its failures as ConnectorErrors a person can act on."""

        def attempt() -> Any:
            try:
                return call()
            except requests.Timeout:
                raise Retryable(
                    _("no answer within {seconds} s").format(seconds=f"{self.timeout:g}")
                ) from None
            except requests.ConnectionError as exc:
                raise Retryable(
                    _("cannot connect to {url}: {error}").format(url=self.base_url, error=exc)
                ) from None
            except SalesforceExpiredSession as exc:
                code, message = _errors(exc)
                raise AuthFailed(
                    _(
                        "Salesforce refused the access token (401 {code}: {message}): it is "
                        "wrong, expired or was revoked. {help}"
                    ).format(code=code, message=message, help=_(TOKEN_HELP))
                ) from None
            except SalesforceRefusedRequest as exc:
                code, message = _errors(exc)
                if code == "REQUEST_LIMIT_EXCEEDED":
                    # the org's rolling 24-hour API request limit: no use retrying now
                    raise Unreachable(
                        _(
                            "Salesforce: the org's API request limit is used up ({message}); "
                            "the next sync tries again (Setup → Company Information shows the "
                            "limit)"
                        ).format(message=message)
                    ) from None
                raise MissingScope(self._scope_message(what, code, message)) from None
            except SalesforceMalformedRequest as exc:
                code, message = _errors(exc)
                if code in ("INVALID_TYPE", "INVALID_FIELD"):
                    raise MissingScope(self._scope_message(what, code, message)) from None
                raise ConnectorError(
                    _("{what}: Salesforce says {code}: {message}").format(
                        what=what, code=code, message=message
                    )
                ) from None
            except SalesforceResourceNotFound as exc:
                code, message = _errors(exc)
                raise ConnectorError(
                    _("{what}: not found ({code}: {message})").format(
                        what=what, code=code, message=message
                    )
                ) from None
            except SalesforceError as exc:
                if exc.status == 429 or exc.status >= 500:
                    last = self._session.last
                    wait = retry_after_seconds(last.headers) if last is not None else None
                    raise Retryable(f"HTTP {exc.status}", wait) from None
                code, message = _errors(exc)
                raise ConnectorError(f"{what}: HTTP {exc.status} {code}: {message}") from None
            except ValueError:  # the body is not JSON
                raise BadResponse(_("{what}: the answer is not JSON").format(what=what)) from None

        return with_retries(attempt, what=what, sleep=self.sleep)

    @staticmethod
    def _scope_message(what: str, code: str, message: str) -> str:
        return _(
            "{what}: Salesforce refused ({code}: {message}). The token's user needs the “API "
            "Enabled” permission and Read on Lead, Contact and Opportunity and their fields "
            "(field-level security) in a profile or permission set"
        ).format(what=what, code=code, message=message)

    def _query(self, soql: str, what: str) -> dict[str, Any]:
        headers = {"Sforce-Query-Options": f"batchSize={self.batch}"}
        result = self._call(what, lambda: self.api.query(soql, headers=headers))
        return self._checked(result, what)

    def _more(self, next_url: str, what: str) -> dict[str, Any]:
        locator = next_url.rstrip("/").rsplit("/query/", 1)[-1]
        headers = {"Sforce-Query-Options": f"batchSize={self.batch}"}
        result = self._call(what, lambda: self.api.query_more(locator, headers=headers))
        return self._checked(result, what)

    @staticmethod
    def _checked(result: Any, what: str) -> dict[str, Any]:
        if (
            not isinstance(result, dict)
            or not isinstance(result.get("records"), list)
            or not isinstance(result.get("done"), bool)
            or not all(isinstance(r, dict) for r in result["records"])
        ):
            raise BadResponse(
                _("{what}: not Salesforce's {expected} answer").format(
                    what=what, expected="{totalSize, done, records}"
                )
            )
        if not result["done"] and not result.get("nextRecordsUrl"):
            raise BadResponse(_("{what}: not done, but no nextRecordsUrl").format(what=what))
        return result

    def _all(self, soql: str, what: str) -> Iterator[list[dict[str, Any]]]:
        """The result of ``soql`` batch by batch, following ``nextRecordsUrl``."""
        result = self._query(soql, what)
        while True:
            if result["records"]:
                yield result["records"]
            if result["done"]:
                return
            result = self._more(result["nextRecordsUrl"], what)

    def _describe(self, name: str) -> set[str]:
        what = f"Salesforce describe {name}"
        result = self._call(what, lambda: self.api.restful(f"sobjects/{name}/describe"))
        if not isinstance(result, dict) or not isinstance(result.get("fields"), list):
            raise BadResponse(_("{what}: not a describe answer").format(what=what))
        return {str(f.get("name")) for f in result["fields"] if isinstance(f, dict)}

    def custom_lead_fields(self) -> tuple[str, ...]:
        """The custom Lead fields of CUSTOM_LEAD_FIELDS this org has."""
        if self._custom is None:
            names = self._describe("Lead")
            self._custom = tuple(f for f in CUSTOM_LEAD_FIELDS if f in names)
        return self._custom

    # --- the account ------------------------------------------------------------------------

    def check(self) -> str:
        """Reads one record of each object with every field the sync asks for, so a field
        hidden by field-level security shows here, not at the first sync."""
        custom = self.custom_lead_fields()
        selects = (
            ("Lead", (*LEAD_FIELDS, *custom)),
            ("Contact", CONTACT_FIELDS),
            ("Opportunity", OPPORTUNITY_FIELDS),
        )
        for name, fields in selects:
            self._query(f"SELECT {', '.join(fields)} FROM {name} LIMIT 1", f"Salesforce {name}")
        host = urlparse(self.base_url).netloc
        if custom:
            return _(
                "Salesforce {host}: Lead, Contact and Opportunity readable; custom fields {fields}"
            ).format(host=host, fields=", ".join(custom))
        return _("Salesforce {host}: Lead, Contact and Opportunity readable").format(host=host)

    # --- the sync ---------------------------------------------------------------------------

    def pages(self, cursor: str | None) -> Iterator[Page]:
        state = self._state(cursor)
        lead_fields = (*LEAD_FIELDS, *self.custom_lead_fields())
        selects = {
            "Lead": lead_fields,
            "Contact": CONTACT_FIELDS,
            "Opportunity": OPPORTUNITY_FIELDS,
        }
        for name in OBJECTS:
            since, seen = state[name]["since"], set(state[name]["seen"])
            soql = self._changed_soql(name, selects[name], since)
            for batch in self._all(soql, f"Salesforce {name} query"):
                records = [
                    r
                    for r in batch
                    if not (r.get("SystemModstamp") == since and r.get("Id") in seen)
                ]
                if not records:
                    continue
                if name == "Lead":
                    leads = [self._person(r, lead_fields) for r in records]
                elif name == "Contact":
                    leads = self._contacts(records)
                else:
                    leads = self._opportunities(records)
                self._advance(state[name], records)
                yield Page(
                    leads=leads, cursor=json.dumps(state, sort_keys=True), fetched=len(records)
                )

    @staticmethod
    def _state(cursor: str | None) -> dict[str, dict[str, Any]]:
        return since_cursors(cursor, OBJECTS, label="Salesforce", ident=str)

    @staticmethod
    def _advance(part: dict[str, Any], records: list[dict[str, Any]]) -> None:
        """The cursor past ``records`` (in modification order)."""
        for record in records:
            advance_since(part, record.get("SystemModstamp"), str(record.get("Id")))

    @staticmethod
    def _changed_soql(name: str, fields: tuple[str, ...], since: str | None) -> str:
        soql = f"SELECT {', '.join(fields)} FROM {name}"
        if since:
            soql += f" WHERE SystemModstamp >= {_soql_time(since)}"
        return soql + " ORDER BY SystemModstamp, Id"

    @staticmethod
    def _person(record: dict[str, Any], fields: tuple[str, ...]) -> dict[str, str | None]:
        out = {f: _text(_flat(record, f)) for f in fields if f not in _NOT_EMITTED}
        out["_owner_name"] = _text(_flat(record, "Owner.Name"))
        out["_owner_email"] = _text(_flat(record, "Owner.Email"))
        return out

    def _in_lists(self, soql: str, ids: list[str], what: str) -> Iterator[dict[str, Any]]:
        """Records of ``soql`` (with ``{ids}`` for an ``IN`` list) for ``ids``, in chunks."""
        for start in range(0, len(ids), IDS_PER_QUERY):
            chunk = ", ".join(_quote(i) for i in ids[start : start + IDS_PER_QUERY])
            for records in self._all(soql.format(ids=chunk), what):
                yield from records

    def _converted(self, contact_ids: list[str]) -> set[str]:
        """The contacts among ``contact_ids`` that a converted lead became."""
        soql = "SELECT Id, ConvertedContactId FROM Lead WHERE ConvertedContactId IN ({ids})"
        found = self._in_lists(soql, contact_ids, "Salesforce converted leads")
        return {str(r["ConvertedContactId"]) for r in found}

    def _contacts(self, records: list[dict[str, Any]]) -> list[dict[str, str | None]]:
        converted = self._converted([str(r["Id"]) for r in records])
        return [self._person(r, CONTACT_FIELDS) for r in records if str(r["Id"]) not in converted]

    def _opportunities(self, records: list[dict[str, Any]]) -> list[dict[str, str | None]]:
        ids = [str(r["Id"]) for r in records]
        soql = "SELECT Id, ConvertedOpportunityId FROM Lead WHERE ConvertedOpportunityId IN ({ids})"
        lead_of = {
            str(r["ConvertedOpportunityId"]): str(r["Id"])
            for r in self._in_lists(soql, ids, "Salesforce converted leads")
        }
        out = [self._times(lead_of[str(r["Id"])], r) for r in records if str(r["Id"]) in lead_of]
        contacts = sorted(
            {str(r["ContactId"]) for r in records if r.get("ContactId") and r["Id"] not in lead_of}
        )
        converted = self._converted(contacts)
        contacts = [c for c in contacts if c not in converted]
        soql = (
            f"SELECT {', '.join(OPPORTUNITY_FIELDS)} FROM Opportunity WHERE ContactId IN ({{ids}})"
            " ORDER BY ContactId, CreatedDate, Id"
        )
        first: dict[str, dict[str, Any]] = {}
        for opportunity in self._in_lists(soql, contacts, "Salesforce contacts' opportunities"):
            first.setdefault(str(opportunity["ContactId"]), opportunity)
        out.extend(self._times(contact, first[contact]) for contact in contacts if contact in first)
        return out

    @staticmethod
    def _times(person_id: str, opportunity: dict[str, Any]) -> dict[str, str | None]:
        won = opportunity.get("IsWon") is True
        lost = opportunity.get("IsClosed") is True and not won
        close = _text(opportunity.get("CloseDate"))
        return {
            "Id": person_id,
            "Opportunity.CreatedDate": _text(opportunity.get("CreatedDate")),
            "Opportunity.WonDate": close if won else None,
            "Opportunity.LostDate": close if lost else None,
            "Opportunity.Amount": _text(opportunity.get("Amount")),
        }


CONNECTOR = Salesforce
