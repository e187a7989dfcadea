"""The event intake: activity events posted to ``/api/events`` by a website, a form tool
or another system, kept in the inbox as they came and then written as lead activities.

**The schema** (README, "Sending events"): the body is one event object or a list of up
to ``MAX_EVENTS`` of them::

    {"event_id": "form-2026-11-18-0042",        required, at most 200 characters; a
                                                 sender's repeat of an id is ignored
     "email": "kari@example.com",               the lead's e-mail, or
     "crm_id": "12345", "crm": "hubspot",       its id in a CRM (hubspot, pipedrive,
                                                 salesforce or csv; default: the one CRM
                                                 whose leads the database holds)
     "kind": "form",                            page view, download, form, email click,
                                                 email, call, meeting (the spellings the
                                                 activities import knows)
     "detail": "Contact us",                    optional, at most 500 characters
     "url": "https://example.com/contact",      optional, http(s), at most 2,000
     "occurred_at": "2026-11-18T10:42:00+01:00"}  optional ISO 8601 with an offset;
                                                 default: when it arrived

A malformed body is refused as a whole (``EventsRejected`` lists each problem: which
event, which field, why), so a sender fixes it and sends it again; nothing of it is
stored. A valid one is stored in ``event_inbox`` in one small insert (``store_events``),
idempotent per (sender, event id).

**The intake job** (``process_inbox``, run every few seconds by the scheduler, callable
directly) matches each pending event to its lead — by (crm, crm_id), else by e-mail
(without case, the real leads only; the most recently updated one when several share the
address) — and writes it as a lead activity by the rules of the activities import: the
URL goes into the detail, an activity already stored for the same lead, time, kind and
detail is not written twice, and a sales activity derives the lead's first contact
(``planning.first_contacts``). An event whose lead is unknown waits: the lead may arrive
with the next CRM sync. It is tried again (at most every ``RETRY_EVERY``) until
``GIVE_UP_AFTER`` after it arrived, then marked "unknown lead".
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.engine import Connection, Engine
from sqlmodel import Session

from smarketing.auth.permissions import Actor
from smarketing.data_in.activities import ALLOWED, SOURCE_SYSTEMS, normalise_kind
from smarketing.data_in.batches import PAUSE_S
from smarketing.data_in.planning import (
    IN_CHUNK,
    _stored_activities,
    chunks,
    default_source_system,
    first_contact_changes,
    first_contacts,
    stored_source_systems,
)
from smarketing.data_in.writing import write_activities, write_first_contacts
from smarketing.errors import InvalidInput
from smarketing.store.db import (
    bump_activity_version,
    bump_data_version,
    get_setting,
    set_setting,
    write_transaction,
)
from smarketing.store.models import SALES_ACTIVITY_KINDS, EventInbox, Lead, LeadActivity, utcnow

#: The most events one request may carry.
MAX_EVENTS = 500
#: The largest body accepted (bytes): 500 events of about 2 KB.
MAX_BODY_BYTES = 1_000_000
MAX_EVENT_ID = 200
MAX_EMAIL = 320
MAX_CRM_ID = 64
MAX_DETAIL = 500
MAX_URL = 2000
FIELDS = ("event_id", "email", "crm_id", "crm", "kind", "detail", "url", "occurred_at")

#: Outcomes of an event (``event_inbox.outcome``).
STORED = "stored"
ALREADY_STORED = "already stored (same lead, time, kind and detail)"
WAITING = "unknown lead, trying again"
UNKNOWN_LEAD = "unknown lead"
#: An event whose lead is unknown is tried again for this long after it arrived.
GIVE_UP_AFTER = timedelta(hours=24)
#: ... at most this often.
RETRY_EVERY = timedelta(minutes=1)
#: Events written per write transaction (each one short: the intake keeps answering; 100
#: held SQLite's write lock about 10 ms in benchmarks/bench_events.py).
CHUNK = 100
#: Who the first contacts derived from events are changed by (``lead_change.changed_by``).
EVENTS_ACTOR = Actor.of("events", ())
_RETRIED_AT = "event_inbox.retried_at"
_RETRY_FROM = "event_inbox.retry_from"
_SALES_KINDS = frozenset(k.value for k in SALES_ACTIVITY_KINDS)
_INBOX = EventInbox.__table__
_LEAD = Lead.__table__
_ACTIVITY_DETAIL_MAX = LeadActivity.__table__.c.detail.type.length or 500


@dataclass(frozen=True)
class EventProblem:
    """What is wrong with one event of a body: its position (None: the body itself), the
    field and why."""

    index: int | None
    field: str | None
    reason: str

    def as_dict(self) -> dict:
        return {"index": self.index, "field": self.field, "reason": self.reason}


class EventsRejected(InvalidInput):
    """A malformed body: nothing of it is stored; ``event_problems`` says what to fix."""

    def __init__(self, problems: list[EventProblem]) -> None:
        self.event_problems = problems
        words = [
            (f"event {p.index}: " if p.index is not None else "")
            + (f"{p.field}: " if p.field else "")
            + p.reason
            for p in problems
        ]
        super().__init__("; ".join(words[:5]) + (" …" if len(words) > 5 else ""))


@dataclass(frozen=True)
class Stored:
    """What ``store_events`` did: events new to the inbox, and repeats of stored ones."""

    accepted: int
    repeats: int


@dataclass
class InboxResult:
    """What one ``process_inbox`` run did."""

    processed: int = 0  # events looked at (new ones and retries)
    stored: int = 0  # written as activities
    already_stored: int = 0  # the same activity was stored already
    waiting: int = 0  # lead unknown, tried again later
    given_up: int = 0  # lead still unknown 24 h after arrival
    first_contacts: int = 0  # leads whose first contact the events set or moved earlier
    seconds: float = 0.0


# --- the schema ------------------------------------------------------------------------------


def _text(
    event: dict, name: str, index: int, limit: int, problems: list[EventProblem]
) -> str | None:
    value = event.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        problems.append(EventProblem(index, name, f"must be text, not {type(value).__name__}"))
        return None
    value = str(value).strip()
    if len(value) > limit:
        problems.append(
            EventProblem(index, name, f"is {len(value)} characters long; at most {limit} fit")
        )
        return None
    return value or None


def _when(value: object, index: int, problems: list[EventProblem]) -> datetime | None:
    if not isinstance(value, str):
        problems.append(
            EventProblem(index, "occurred_at", "must be an ISO 8601 text, e.g. 2026-11-18T10:42Z")
        )
        return None
    try:
        when = datetime.fromisoformat(value.strip())
    except ValueError:
        problems.append(
            EventProblem(
                index,
                "occurred_at",
                f"{value[:40]!r} is not an ISO 8601 date and time (e.g. 2026-11-18T10:42:00+01:00)",
            )
        )
        return None
    if when.utcoffset() is None:
        problems.append(
            EventProblem(
                index,
                "occurred_at",
                f"{value[:40]!r} has no timezone: add the offset (+01:00) or Z for UTC",
            )
        )
        return None
    return when.astimezone(UTC)


def _event(event: object, index: int, now: datetime, problems: list[EventProblem]) -> dict | None:
    """The normalised event, or None (its problems added)."""
    if not isinstance(event, dict):
        problems.append(EventProblem(index, None, "an event must be a JSON object"))
        return None
    before = len(problems)
    unknown = sorted(set(event) - set(FIELDS))
    if unknown:
        problems.append(
            EventProblem(
                index,
                unknown[0],
                f"unknown field{'s' if len(unknown) > 1 else ''} {', '.join(unknown)} "
                f"(known: {', '.join(FIELDS)})",
            )
        )
    event_id = _text(event, "event_id", index, MAX_EVENT_ID, problems)
    if event_id is None and "event_id" not in event:
        problems.append(EventProblem(index, "event_id", "missing: every event needs its id"))
    elif event_id is None and len(problems) == before:
        problems.append(EventProblem(index, "event_id", "is empty"))
    marked = len(problems)
    email = _text(event, "email", index, MAX_EMAIL, problems)
    if email is not None and not _looks_like_email(email):
        problems.append(EventProblem(index, "email", f"{email[:60]!r} is not an e-mail address"))
    crm_id = _text(event, "crm_id", index, MAX_CRM_ID, problems)
    crm = _text(event, "crm", index, 16, problems)
    if crm is not None:
        crm = crm.lower()
        if crm not in SOURCE_SYSTEMS:
            problems.append(
                EventProblem(index, "crm", f"{crm!r}: expected one of {', '.join(SOURCE_SYSTEMS)}")
            )
    if email is None and crm_id is None and len(problems) == marked:
        problems.append(
            EventProblem(index, "email", "missing: give the lead's email or its crm_id")
        )
    raw_kind = event.get("kind")
    kind = normalise_kind(raw_kind) if isinstance(raw_kind, str) else None
    if kind is None:
        what = "missing" if raw_kind is None else f"unknown kind {str(raw_kind)[:40]!r}"
        problems.append(EventProblem(index, "kind", f"{what}: expected one of {ALLOWED}"))
    detail = _text(event, "detail", index, MAX_DETAIL, problems)
    url = _text(event, "url", index, MAX_URL, problems)
    if url is not None and not url.lower().startswith(("http://", "https://")):
        problems.append(EventProblem(index, "url", "must start with http:// or https://"))
    occurred = now
    if event.get("occurred_at") is not None:
        occurred = _when(event["occurred_at"], index, problems)
    if len(problems) > before:
        return None
    return {
        "event_id": event_id,
        "email": email,
        "crm_id": crm_id,
        "crm": crm,
        "kind": str(kind),
        "detail": detail,
        "url": url,
        "occurred_at": occurred.isoformat(),
    }


def _looks_like_email(text: str) -> bool:
    local, at, domain = text.rpartition("@")
    return bool(at and local and "." in domain and not any(c.isspace() for c in text))


def parse_events(body: bytes, *, now: datetime | None = None) -> list[dict]:
    """The body's events, checked and normalised (``occurred_at`` as UTC ISO text); raises
    ``EventsRejected`` with every problem when anything is wrong."""
    now = now or utcnow()
    if len(body) > MAX_BODY_BYTES:
        raise EventsRejected(
            [EventProblem(None, None, f"the body is larger than {MAX_BODY_BYTES:,} bytes")]
        )
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, ValueError) as exc:
        raise EventsRejected([EventProblem(None, None, f"not JSON: {exc}")]) from exc
    items = data if isinstance(data, list) else [data]
    if not items:
        raise EventsRejected([EventProblem(None, None, "an empty list: send at least one event")])
    if len(items) > MAX_EVENTS:
        raise EventsRejected(
            [
                EventProblem(
                    None, None, f"{len(items)} events; at most {MAX_EVENTS} fit in one request"
                )
            ]
        )
    problems: list[EventProblem] = []
    events = [_event(item, i, now, problems) for i, item in enumerate(items)]
    if problems:
        raise EventsRejected(problems)
    return events


# --- the inbox ---------------------------------------------------------------------------


def _insert_ignoring_repeats(conn: Connection):
    """``INSERT … ON CONFLICT DO NOTHING`` on the inbox in the connection's dialect."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    return dialect_insert(_INBOX).on_conflict_do_nothing(index_elements=["sender", "event_id"])


def store_events(
    conn: Connection, sender: str, events: list[dict], *, now: datetime | None = None
) -> Stored:
    """Put the checked events of one request into the inbox (in the caller's transaction):
    one insert; an event id the sender used before is a repeat and stores nothing."""
    return store_posts(conn, [(sender, events, now or utcnow())])[0]


def store_posts(conn: Connection, posts: list[tuple[str, list[dict], datetime]]) -> list[Stored]:
    """Put the checked events of several requests (sender, events, received at) into the
    inbox in the caller's transaction, each request as if it came alone, in one insert: an
    event id its sender used before (stored, or earlier in ``posts``) is a repeat."""
    rows, keys_of = [], []
    taken: set[tuple[str, str]] = set()
    for sender, events, now in posts:
        keys = []
        for event in events:
            key = (sender, event["event_id"])
            if key in taken:
                continue
            taken.add(key)
            keys.append(key)
            rows.append(
                {
                    "sender": sender,
                    "event_id": event["event_id"],
                    "received_at": now,
                    "payload": json.dumps(event, ensure_ascii=False, separators=(",", ":")),
                }
            )
        keys_of.append(keys)
    inserted: set[tuple[str, str]] = set()
    if rows:
        stmt = _insert_ignoring_repeats(conn).returning(_INBOX.c.sender, _INBOX.c.event_id)
        inserted = {(sender, event_id) for sender, event_id in conn.execute(stmt, rows)}
    stored = []
    for (_sender, events, _now), keys in zip(posts, keys_of, strict=True):
        accepted = sum(key in inserted for key in keys)
        stored.append(Stored(accepted=accepted, repeats=len(events) - accepted))
    return stored


def activity_detail(detail: str | None, url: str | None) -> str:
    """An event's detail with its URL, as the activity shows it: ``detail (url)``, or
    whichever there is; shortened to what the column holds, as the import does."""
    text = f"{detail} ({url})" if detail and url else (detail or url or "")
    return text.strip()[:_ACTIVITY_DETAIL_MAX]


def _pending(conn: Connection, outcome_waiting: bool, after: int, limit: int) -> list:
    c = _INBOX.c
    waiting = c.outcome == WAITING if outcome_waiting else c.outcome.is_(None)
    query = (
        select(c.id, c.sender, c.payload, c.received_at)
        .where(c.processed_at.is_(None), waiting, c.id > after)
        .order_by(c.id)
        .limit(limit)
    )
    return list(conn.execute(query))


def _leads_by_email(conn: Connection, emails: list[str]) -> dict[str, int]:
    """e-mail (lower case) -> the real lead with it, the most recently updated first."""
    out: dict[str, int] = {}
    lead = _LEAD.c
    email = func.lower(lead.email)
    for part in chunks(sorted(emails), IN_CHUNK):
        rows = conn.execute(
            select(email, lead.id)
            .where(email.in_(part), lead.is_demo.is_(False))
            .order_by(lead.updated_at.desc(), lead.id.desc())
        )
        for address, lead_id in rows:
            out.setdefault(address, lead_id)
    return out


def _leads_by_crm(conn: Connection, keys: set[tuple[str, str]]) -> dict[tuple[str, str], int]:
    out: dict[tuple[str, str], int] = {}
    lead = _LEAD.c
    by_system: dict[str, list[str]] = {}
    for system, ext in keys:
        by_system.setdefault(system, []).append(ext)
    for system, ids in by_system.items():
        for part in chunks(sorted(ids), IN_CHUNK):
            rows = conn.execute(
                select(lead.external_id, lead.id).where(
                    lead.source_system == system,
                    lead.external_id.in_(part),
                    lead.is_demo.is_(False),
                )
            )
            out.update({(system, ext): lead_id for ext, lead_id in rows})
    return out


@dataclass
class _Event:
    id: int
    received_at: datetime
    lead_id: int | None
    occurred_at: datetime
    kind: str
    detail: str


def _matched(conn: Connection, rows: list, default_crm: str) -> list[_Event]:
    """The inbox rows with their leads (None when unknown)."""
    payloads = [json.loads(r.payload) for r in rows]
    emails = {p["email"].lower() for p in payloads if p.get("email")}
    keys = {(p.get("crm") or default_crm, p["crm_id"]) for p in payloads if p.get("crm_id")}
    by_email = _leads_by_email(conn, list(emails)) if emails else {}
    by_crm = _leads_by_crm(conn, keys) if keys else {}
    out = []
    for row, p in zip(rows, payloads, strict=True):
        lead_id = None
        if p.get("crm_id"):
            lead_id = by_crm.get((p.get("crm") or default_crm, p["crm_id"]))
        if lead_id is None and p.get("email"):
            lead_id = by_email.get(p["email"].lower())
        received = row.received_at
        if received.tzinfo is None:
            received = received.replace(tzinfo=UTC)
        out.append(
            _Event(
                id=row.id,
                received_at=received,
                lead_id=lead_id,
                occurred_at=datetime.fromisoformat(p["occurred_at"]).astimezone(UTC),
                kind=p["kind"],
                detail=activity_detail(p.get("detail"), p.get("url")),
            )
        )
    return out


def _mark(
    event_id: int, processed_at: datetime | None, outcome: str, activity_id: int | None = None
) -> dict:
    return {
        "_id": event_id,
        "processed_at": processed_at,
        "outcome": outcome,
        "activity_id": activity_id,
    }


def _write(engine: Engine, events: list[_Event], now: datetime, result: InboxResult) -> None:
    """Write one chunk of matched events in one short transaction: the new activities,
    the first contacts they derive, each event's outcome, one data-version bump."""
    with write_transaction(engine) as conn:
        leads = sorted({e.lead_id for e in events if e.lead_id is not None})
        stored = _stored_activities(conn, leads)
        rows, marks, wrote = [], [], []
        touched: set[int] = set()
        for e in events:
            if e.lead_id is None:
                late = now - e.received_at >= GIVE_UP_AFTER
                marks.append(_mark(e.id, now if late else None, UNKNOWN_LEAD if late else WAITING))
                result.given_up += late
                result.waiting += not late
                continue
            key = (e.lead_id, e.occurred_at, e.kind, e.detail)
            if key in stored:
                marks.append(
                    {
                        "_id": e.id,
                        "processed_at": now,
                        "outcome": ALREADY_STORED,
                        "activity_id": None,
                    }
                )
                result.already_stored += 1
                continue
            stored.add(key)
            rows.append(
                {
                    "lead_id": e.lead_id,
                    "kind": e.kind,
                    "detail": e.detail,
                    "occurred_at": e.occurred_at,
                    "actor": None,
                    "is_demo": False,
                }
            )
            wrote.append(e)
            if e.kind in _SALES_KINDS:
                touched.add(e.lead_id)
        ids = write_activities(conn, rows).activities
        for e, activity_id in zip(wrote, ids, strict=True):
            marks.append(_mark(e.id, now, STORED, activity_id))
        result.stored += len(ids)
        derived = first_contacts(conn, sorted(touched), {})
        if derived:
            changes = first_contact_changes(derived, EVENTS_ACTOR, now, None)
            write_first_contacts(conn, derived, changes, now)
            result.first_contacts += len(derived)
        conn.execute(
            update(_INBOX)  # a run that overlapped this one cannot rewrite its outcomes
            .where(_INBOX.c.id == bindparam("_id"), _INBOX.c.processed_at.is_(None))
            .values(
                processed_at=bindparam("processed_at"),
                outcome=bindparam("outcome"),
                activity_id=bindparam("activity_id"),
            ),
            marks,
        )
        # a sales contact changes the SLA's figures; website activities only what counts them
        bump = bump_data_version if derived or touched else bump_activity_version
        if ids or derived:
            with Session(bind=conn) as s:
                bump(s)
                s.flush()


def _retry_due(engine: Engine, now: datetime) -> tuple[bool, int]:
    """Whether the waiting events are due another try, and the id to continue after."""
    with Session(engine) as s:
        at = get_setting(s, _RETRIED_AT)
        after = int(get_setting(s, _RETRY_FROM, "0") or 0)
    due = at is None or now - datetime.fromisoformat(at) >= RETRY_EVERY
    return due, after


def _note_retry(engine: Engine, now: datetime, after: int) -> None:
    with Session(engine) as s:
        set_setting(s, _RETRIED_AT, now.isoformat())
        set_setting(s, _RETRY_FROM, str(after))
        s.commit()


def process_inbox(engine: Engine, *, now: datetime | None = None, limit: int = 2000) -> InboxResult:
    """Write the pending events of the inbox as lead activities (the intake job): up to
    ``limit`` new events, then, at most every ``RETRY_EVERY``, the ones waiting for their
    lead with what the limit leaves. See the module docstring for the rules."""
    started = time.perf_counter()
    now = now or utcnow()
    result = InboxResult()
    with engine.connect() as conn:
        rows = _pending(conn, False, 0, limit)
    due, after = _retry_due(engine, now) if len(rows) < limit else (False, 0)
    retries: list = []
    if due:
        with engine.connect() as conn:
            retries = _pending(conn, True, after, limit - len(rows))
            if not retries and after:  # the end of the waiting ones: start over
                retries = _pending(conn, True, 0, limit - len(rows))
    todo = rows + retries
    if todo:
        default_crm = default_source_system("csv", stored_source_systems(engine))
        for part in chunks(todo, CHUNK):
            with engine.connect() as conn:  # matched outside the write lock: leads stay
                events = _matched(conn, list(part), default_crm)
            _write(engine, events, now, result)
            time.sleep(PAUSE_S)  # let a write that waited for the lock have it first
    if due:
        full = len(retries) >= limit - len(rows)
        _note_retry(engine, now, retries[-1].id if retries and full else 0)
    result.processed = len(todo)
    result.seconds = time.perf_counter() - started
    return result


def inbox_counts(session: Session) -> dict[str, int]:
    """How many inbox events are pending, waiting for their lead, and done by outcome."""
    c = _INBOX.c
    rows = session.execute(
        select(c.outcome, (c.processed_at.is_(None)).label("open"), func.count()).group_by(
            c.outcome, c.processed_at.is_(None)
        )
    ).all()
    out: dict[str, int] = {}
    for outcome, is_open, n in rows:
        key = "pending" if is_open and outcome is None else (outcome or "pending")
        out[key] = out.get(key, 0) + n
    return out


__all__ = [
    "MAX_EVENTS",
    "EventProblem",
    "EventsRejected",
    "InboxResult",
    "Stored",
    "activity_detail",
    "inbox_counts",
    "parse_events",
    "process_inbox",
    "store_events",
    "store_posts",
]
