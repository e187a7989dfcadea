"""What every CRM connector hands to the sync, and the rules every connector follows.

A connector is a thin client over the vendor's own library (``hubspot-api-client``,
``simple-salesforce``; ``httpx`` where the vendor has none): it knows the API, nothing of
the database. It reads the account page by page from a cursor and yields :class:`Page`s of
flat records whose keys are the vendor's API field names as the import's format tables
list them (``smarketing.data_in.formats``: HubSpot ``hs_object_id``, ``createdate``,
``hs_lifecyclestage_marketingqualifiedlead_date``…; Salesforce ``Id``, ``CreatedDate``…),
so that the CSV import's readers turn them into leads by the same rules: one rule for "is
this the same lead", wherever the data comes from.

Every call has a timeout; a 429 or a 5xx is retried with a growing wait that honours
``Retry-After`` (:func:`with_retries`); what still fails raises a :class:`ConnectorError`
subclass whose message a person can act on (a wrong or revoked token, a missing scope, no
network, an answer that is not what the vendor documents).
"""

from __future__ import annotations

import json
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any, ClassVar, TypeVar

from smarketing.errors import InvalidInput
from smarketing.i18n import _

T = TypeVar("T")

#: Seconds every HTTP call may take before it counts as failed (and is retried).
TIMEOUT_S = 30.0
#: Tries of one call before its failure is raised (the first one included).
ATTEMPTS = 5
#: The first wait after a failed try; it doubles each time, up to MAX_WAIT_S.
FIRST_WAIT_S = 1.0
MAX_WAIT_S = 60.0


class ConnectorError(InvalidInput):
    """A CRM call failed; the message says why and what to do."""


class AuthFailed(ConnectorError):
    """The token is wrong, expired or revoked (HTTP 401)."""


class MissingScope(ConnectorError):
    """The token works but may not read what the sync needs (HTTP 403)."""


class Unreachable(ConnectorError):
    """No answer: no network, a timeout, a refused connection, or 5xx/429 after all tries."""


class BadResponse(ConnectorError):
    """The answer is not in the shape the vendor documents (malformed JSON, missing keys)."""


class Retryable(Exception):
    """Raised inside a call given to :func:`with_retries`: try again after a wait
    (``retry_after`` seconds when the server said so)."""

    def __init__(self, message: str, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def retry_after_seconds(
    headers: Mapping[str, str] | None, *, now: datetime | None = None
) -> float | None:
    """The wait a ``Retry-After`` header asks for (seconds or an HTTP date), or None."""
    if not headers:
        return None
    value = None
    for key, text in headers.items():
        if str(key).lower() == "retry-after":
            value = str(text).strip()
            break
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def with_retries(
    call: Callable[[], T],
    *,
    what: str,
    attempts: int = ATTEMPTS,
    sleep: Callable[[float], None] = time.sleep,
) -> T:
    """``call()``, tried again after a wait when it raises :class:`Retryable` (429, 5xx,
    a timeout): the server's ``Retry-After`` when given (at most MAX_WAIT_S), else
    FIRST_WAIT_S doubling. After ``attempts`` tries raises :class:`Unreachable` naming
    ``what`` and the last failure."""
    wait = FIRST_WAIT_S
    for attempt in range(1, attempts + 1):
        try:
            return call()
        except Retryable as exc:
            if attempt == attempts:
                raise Unreachable(
                    _("{what} failed {attempts} times; last: {error}").format(
                        what=what, attempts=attempts, error=exc
                    )
                ) from None
            pause = exc.retry_after if exc.retry_after is not None else wait
            sleep(min(pause, MAX_WAIT_S))
            wait = min(wait * 2, MAX_WAIT_S)
    raise AssertionError("unreachable")  # pragma: no cover


@dataclass(frozen=True)
class Activity:
    """One thing a lead did or had done, as the CRM records it: the lead's CRM id, when
    (aware UTC), the kind (a ``smarketing.store.models.ActivityKind`` value: ``page_view``,
    ``download``, ``form``, ``email_click``, ``email``, ``call``, ``meeting``), a detail
    (form name, page URL, subject) and who did it for sales activities."""

    lead_external_id: str
    occurred_at: datetime
    kind: str
    detail: str = ""
    actor: str | None = None


@dataclass
class Page:
    """One step of a sync. ``leads``: one flat dict per lead/contact/person, keyed by the
    vendor's API field names (as listed in the import format's tables), values as text
    (ISO times or epoch milliseconds as the API gives them) or None. Two extra keys may be
    set: ``_owner_email`` (the owner's e-mail, to match the owner to a Smarketing user) and
    ``_owner_name``. ``activities`` as :class:`Activity`. ``cursor``: JSON text saying
    where the next run starts once this page and all before it are stored (opaque to the
    sync). ``fetched``: records read from the API for this page (leads, deals and
    activities together). ``total``: how many records the whole run will fetch, when the
    API says (for a progress bar), else None."""

    leads: list[dict[str, str | None]] = field(default_factory=list)
    activities: list[Activity] = field(default_factory=list)
    cursor: str | None = None
    fetched: int = 0
    total: int | None = None


class Connector(ABC):
    """One CRM account. ``kind`` names it (``hubspot``), ``format`` is the import format
    whose field tables read its records, ``fields`` the API fields it asks for (shown in
    the mapping preview), ``default_base_url`` the vendor's."""

    kind: ClassVar[str]
    label: ClassVar[str]
    format: ClassVar[str]
    default_base_url: ClassVar[str]
    fields: ClassVar[tuple[str, ...]]
    #: Fields read for the lead's activities, not for a lead field (kept out of the
    #: mapping; the Data sources page names them).
    activity_fields: ClassVar[tuple[str, ...]] = ()

    def __init__(
        self,
        token: str,
        *,
        base_url: str | None = None,
        timeout: float = TIMEOUT_S,
        sleep: Callable[[float], None] = time.sleep,
        page_size: int | None = None,
    ) -> None:
        if not token:
            raise AuthFailed(_("{crm}: no token given").format(crm=self.label))
        self.token = token
        self.base_url = (base_url or self.default_base_url).rstrip("/")
        self.timeout = timeout
        self.sleep = sleep
        self.page_size = page_size

    @abstractmethod
    def check(self) -> str:
        """One line on the account reached (e.g. "HubSpot account 1234: 5 owners"), or a
        :class:`ConnectorError` saying what is wrong."""

    def close(self) -> None:  # noqa: B027 (a connector without connections of its own)
        """Let go of the connector's HTTP connections (the sync calls it when done)."""

    @abstractmethod
    def pages(self, cursor: str | None) -> Iterator[Page]:
        """The records changed since ``cursor`` (None: everything), oldest change first,
        page by page; never the whole account in memory."""


# --- "changed since" cursors -------------------------------------------------------------


def since_cursors(
    cursor: str | None, names: tuple[str, ...], *, label: str, ident: Callable[[Any], Any]
) -> dict[str, dict[str, Any]]:
    """Per list (``names``), where an incremental read starts: the newest modification time
    stored (``since``) and the ids stored at exactly that time (``seen``, read as
    ``ident``), from the JSON ``cursor`` (None: from the start). An unreadable cursor is a
    ConnectorError saying to run a full sync."""
    state: dict[str, dict[str, Any]] = {n: {"since": None, "seen": []} for n in names}
    if not cursor:
        return state
    try:
        given = json.loads(cursor)
        for name in names:
            if name in given:
                since, seen = given[name]["since"], given[name]["seen"]
                state[name] = {"since": since, "seen": [ident(i) for i in seen]}
    except (ValueError, TypeError, KeyError) as exc:
        raise ConnectorError(
            _("{crm}: the stored sync cursor is unreadable ({error}); run a full sync").format(
                crm=label, error=exc
            )
        ) from None
    return state


def advance_since(part: dict[str, Any], at: object, ident: object) -> None:
    """Move one list's cursor past a record modified ``at`` (records come in modification
    order): a later time starts a new ``seen``, the same time adds the id to it."""
    if at is None:
        return
    if part["since"] is None or at > part["since"]:
        part["since"], part["seen"] = at, [ident]
    elif at == part["since"] and ident not in part["seen"]:
        part["seen"].append(ident)
