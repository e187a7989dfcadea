"""The outbox: every notification is a row, queued once and sent once.

``enqueue`` writes one row per recipient and channel, unique per (kind, subject key,
recipient, channel): a rule that finds the same lead twice, or two processes running the
job at once, queue it once (``INSERT … ON CONFLICT DO NOTHING`` on SQLite and PostgreSQL).
Where it goes is resolved from the preferences when it is queued (``preferences.route``)
and kept in the row, so the Admin page shows where each message went; a resend resolves it
again. A person who opted out of the kind gets a ``skipped`` row (shown, never sent: an
opt-in later does not send old news); a recipient with nowhere to send gets a ``failed``
row saying why (an admin fixes the channel and resends).

``dispatch`` sends what is due. Each row is claimed before it is sent — one
``UPDATE … SET status='sending' WHERE id=… AND status IN (…) AND due_at <= now`` whose row
count says who won — so two dispatchers never send one row. A claim holds for
``CLAIM_LEASE``: a process that dies while sending leaves the row ``sending`` until then,
after which another dispatcher sends it again (the one case a message can arrive twice).
A person's quiet hours move ``due_at`` to their end (status ``delayed``), never drop; a
person who opted out of the kind since it was queued has it ``skipped``. A
failure worth retrying (``ChannelError(retry=True)``, or any other error of the channel)
comes back after ``BACKOFF`` (1, 5, 15, 60 minutes), up to ``MAX_ATTEMPTS`` tries, then
``failed``; a permanent one (``retry=False``) fails at once.

The outbox is not a figure any page caches, so its writes do not bump the data version
(the job would otherwise empty every page's cache every minute).
"""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import func, select, update
from sqlalchemy.engine import Engine

from smarketing.auth import audit
from smarketing.auth.permissions import Actor, require
from smarketing.errors import InvalidInput, NotFound
from smarketing.i18n import N_, _
from smarketing.notify import preferences
from smarketing.notify.message import ChannelError, Message
from smarketing.store.db import write_transaction
from smarketing.store.models import Notification, utcnow

if TYPE_CHECKING:
    import pandas as pd
    from sqlmodel import Session

logger = logging.getLogger("smarketing.notify")

PENDING, SENDING, SENT, FAILED, DELAYED, SKIPPED = (
    "pending",
    "sending",
    "sent",
    "failed",
    "delayed",
    "skipped",
)
STATUSES = (PENDING, SENDING, DELAYED, SENT, FAILED, SKIPPED)
#: status -> what a person reads for it (Admin → Notifications).
STATUS_LABELS = {
    PENDING: N_("Pending"),
    SENDING: N_("Sending"),
    DELAYED: N_("Delayed (quiet hours)"),
    SENT: N_("Sent"),
    FAILED: N_("Failed"),
    SKIPPED: N_("Skipped (opted out)"),
}
#: The waits after the 1st, 2nd, 3rd, 4th failed try; the 5th failure is final.
BACKOFF = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=15),
    timedelta(minutes=60),
)
MAX_ATTEMPTS = len(BACKOFF) + 1
#: How long a claim holds: a dispatcher that died while sending loses the row after this.
CLAIM_LEASE = timedelta(minutes=10)
#: Rows one dispatch sends at most (the rest wait for the next run, a minute later).
DISPATCH_LIMIT = 200
#: The longest error text kept with a row.
ERROR_MAX = 1000

#: ``send(channel, message, address)`` — smarketing.notify.channels.send by default.
Sender = Callable[..., object]


# --- the message as stored --------------------------------------------------------------------


def message_json(message: Message) -> str:
    """The message as the JSON kept in ``notification.body`` (the picture as base64)."""
    data = asdict(message)
    data["facts"] = [list(pair) for pair in message.facts]
    if message.image_png is not None:
        data["image_png"] = base64.b64encode(message.image_png).decode("ascii")
    return json.dumps(data, ensure_ascii=False)


def message_from_json(text: str) -> Message:
    """The message of a ``notification.body``."""
    data = json.loads(text)
    data["facts"] = tuple(tuple(pair) for pair in data.get("facts") or ())
    if data.get("image_png"):
        data["image_png"] = base64.b64decode(data["image_png"])
    return Message(**data)


# --- queueing ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Notice:
    """What a rule wants sent: the arguments of ``enqueue`` (a rule returns a list)."""

    kind: str
    subject_key: str
    recipient: str
    message: Message


def _insert_ignoring_duplicates(bind, values: dict):
    table = Notification.__table__
    if bind.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return (
        insert(table)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["kind", "subject_key", "recipient", "channel"])
        .returning(table.c.id)
    )


def enqueue(
    session_or_conn,
    *,
    kind: str,
    subject_key: str,
    recipient: str,
    message: Message,
    now: datetime,
) -> bool:
    """Queue ``message`` for ``recipient`` (a username or ``team:NAME``), due ``now``; False
    when this (kind, subject key, recipient, channel) is queued already. A person's message
    without ``unsubscribe`` gets the link to their settings (``preferences.settings_url``).
    No commit: it lands with the caller's transaction (a Session or a Connection)."""
    if not subject_key or len(subject_key) > 200:
        raise InvalidInput("a notification's subject key is 1–200 characters")
    target = preferences.route(_session(session_or_conn), recipient, kind)
    if message.unsubscribe is None and not recipient.startswith(preferences.TEAM_PREFIX):
        # a person's message links to their settings (e-mail: List-Unsubscribe)
        message = replace(message, unsubscribe=preferences.settings_url())
    if target.opted_out:
        status, error = SKIPPED, target.why
    elif target.address is None:
        status, error = FAILED, target.why
    else:
        status, error = PENDING, None
    values = {
        "kind": kind,
        "subject_key": subject_key,
        "recipient": recipient,
        "channel": target.channel,
        "address": target.address,
        "subject": message.subject[:300],
        "body": message_json(message),
        "status": status,
        "attempts": 0,
        "last_error": error,
        "created_at": now,
        "due_at": now,
    }
    conn = _connection(session_or_conn)
    # RETURNING names the new row; nothing comes back when the key was there (run on the
    # Core connection: through the ORM session the RETURNING row did not come back on
    # PostgreSQL)
    inserted = conn.execute(_insert_ignoring_duplicates(conn, values)).first()
    return inserted is not None


def _connection(session_or_conn):
    """The Core connection of a Session (in its transaction), or the Connection itself."""
    connection = getattr(session_or_conn, "connection", None)
    return connection() if callable(connection) else session_or_conn


def _session(session_or_conn) -> Session:
    """A Session over the caller's connection (the preferences read through the ORM)."""
    from sqlmodel import Session

    if isinstance(session_or_conn, Session):
        return session_or_conn
    return Session(bind=session_or_conn)


# --- sending ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Outcome:
    """What one dispatch did with one row: sent, retrying (due again at ``due_at``),
    failed, delayed (quiet hours until ``due_at``), skipped (the person opted out since it
    was queued), or would_send (a dry run)."""

    id: int
    kind: str
    recipient: str
    channel: str
    address: str | None
    subject: str
    result: str
    attempts: int = 0
    error: str | None = None
    due_at: datetime | None = None

    def line(self) -> str:
        """One line for the CLI: result, kind, recipient, channel and address, subject."""
        where = preferences.address_label(self.channel, self.address)
        text = (
            f"{self.result:<10} #{self.id} {self.kind} → {self.recipient} "
            f"({self.channel} {where}): {self.subject}"
        )
        if self.due_at is not None and self.result in ("delayed", "retrying"):
            text += f" — until {self.due_at.astimezone(UTC).strftime('%Y-%m-%dT%H:%MZ')}"
        if self.error:
            text += f" — {self.error}"
        return text


@dataclass
class DispatchResult:
    """What a dispatch did, row by row."""

    outcomes: list[Outcome] = field(default_factory=list)

    def count(self, result: str) -> int:
        return sum(1 for o in self.outcomes if o.result == result)

    @property
    def sent(self) -> int:
        return self.count("sent")

    @property
    def failed(self) -> int:
        return self.count("failed")

    @property
    def retrying(self) -> int:
        return self.count("retrying")

    @property
    def delayed(self) -> int:
        return self.count("delayed")

    def lines(self) -> list[str]:
        return [o.line() for o in self.outcomes]

    def __str__(self) -> str:
        if not self.outcomes:
            return "nothing due"
        parts = [
            f"{n} {name}"
            for name in ("sent", "retrying", "failed", "delayed", "skipped", "would_send")
            if (n := self.count(name))
        ]
        return ", ".join(parts)


def _default_sender() -> Sender:
    from smarketing.notify.channels import send

    return send


def _due(conn, now: datetime, limit: int) -> list:
    t = Notification.__table__
    return list(
        conn.execute(
            select(t)
            .where(t.c.status.in_((PENDING, DELAYED, SENDING)), t.c.due_at <= now)
            .order_by(t.c.due_at, t.c.id)
            .limit(limit)
        )
    )


def _hold(conn, row, now: datetime) -> tuple[str, datetime | None, str | None]:
    """Whether a due row waits or goes: ("skip", None, why) when the person opted out of
    its kind since it was queued, ("delay", until, None) in their quiet hours, else
    ("send", None, None). Team channels have no quiet hours."""
    if row.recipient.startswith(preferences.TEAM_PREFIX):
        return "send", None, None
    target = preferences.route(_session(conn), row.recipient, row.kind)
    if target.opted_out:
        return "skip", None, target.why
    until = preferences.quiet_until(target.quiet, now)
    return ("delay", until, None) if until is not None else ("send", None, None)


def _claimable(t, row_id: int, now: datetime):
    return (t.c.id == row_id) & t.c.status.in_((PENDING, DELAYED, SENDING)) & (t.c.due_at <= now)


def _outcome(row, result: str, **changes) -> Outcome:
    return Outcome(
        id=row.id,
        kind=row.kind,
        recipient=row.recipient,
        channel=row.channel,
        address=row.address,
        subject=row.subject,
        result=result,
        attempts=changes.get("attempts", row.attempts),
        error=changes.get("error"),
        due_at=changes.get("due_at"),
    )


def dispatch(
    engine: Engine,
    *,
    now: datetime | None = None,
    send: Sender | None = None,
    limit: int = DISPATCH_LIMIT,
) -> DispatchResult:
    """Send the notifications that are due (at most ``limit``) through ``send(channel,
    message, address)`` (default: ``smarketing.notify.channels.send``): each claimed first,
    quiet hours delaying, failures retried with backoff; what happened to each."""
    now = now or utcnow()
    t = Notification.__table__
    result = DispatchResult()
    with engine.connect() as conn:
        due = _due(conn, now, limit)
    if due and send is None:
        send = _default_sender()  # before any claim: a missing channel leaves rows pending
    for row in due:
        # BEGIN IMMEDIATE on SQLite: the claim's read and write under one write lock
        with write_transaction(engine) as conn:
            action, until, why = _hold(conn, row, now)
            if action == "skip":
                values = {"status": SKIPPED, "last_error": why}
            elif action == "delay":
                values = {"status": DELAYED, "due_at": until}
            else:
                values = {
                    "status": SENDING,
                    "attempts": t.c.attempts + 1,
                    "due_at": now + CLAIM_LEASE,
                }
            taken = conn.execute(update(t).where(_claimable(t, row.id, now)).values(**values))
            if not taken.rowcount:
                continue  # another dispatcher has it
            if action != "send":
                done = SKIPPED if action == "skip" else DELAYED
                result.outcomes.append(_outcome(row, done, due_at=until, error=why))
                continue
            row = conn.execute(select(t).where(t.c.id == row.id)).one()  # as claimed
        result.outcomes.append(_send_one(engine, row, now, send))
    return result


def _send_one(engine: Engine, row, now: datetime, send: Sender) -> Outcome:
    t = Notification.__table__
    attempts = row.attempts  # counted by the claim
    try:
        send(row.channel, message_from_json(row.body), row.address)
    except ChannelError as exc:
        error, retry = str(exc) or type(exc).__name__, exc.retry
    except Exception as exc:  # a defect or an unforeseen error of a channel: try again later
        logger.exception("notification %s: the %s channel raised", row.id, row.channel)
        error, retry = f"{type(exc).__name__}: {exc}", True
    else:
        with write_transaction(engine) as conn:
            conn.execute(
                update(t)
                .where(t.c.id == row.id, t.c.status == SENDING)
                .values(status=SENT, sent_at=now, last_error=None)
            )
        return _outcome(row, "sent", attempts=attempts)
    error = error[:ERROR_MAX]
    if retry and attempts < MAX_ATTEMPTS:
        due = now + BACKOFF[attempts - 1]
        values, result = {"status": PENDING, "due_at": due}, "retrying"
    else:
        due = None
        values, result = {"status": FAILED, "due_at": now}, "failed"
    with write_transaction(engine) as conn:
        conn.execute(
            update(t)
            .where(t.c.id == row.id, t.c.status == SENDING)
            .values(last_error=error, **values)
        )
    logger.warning("notification %s %s: %s", row.id, result, error)
    return _outcome(row, result, attempts=attempts, error=error, due_at=due)


def preview(engine: Engine, *, now: datetime | None = None, limit: int = DISPATCH_LIMIT):
    """What ``dispatch`` would do now, written and sent nowhere: would_send or delayed."""
    now = now or utcnow()
    with engine.connect() as conn:
        return preview_on(conn, now, limit)


def preview_on(conn, now: datetime, limit: int = DISPATCH_LIMIT) -> DispatchResult:
    """``preview`` on a connection (a dry run reads its own uncommitted queue)."""
    result = DispatchResult()
    for row in _due(conn, now, limit):
        if row.status == SENDING:
            continue  # being sent by another process (or its claim ends later)
        action, until, why = _hold(conn, row, now)
        result.outcomes.append(
            _outcome(
                row,
                {"skip": SKIPPED, "delay": DELAYED}.get(action, "would_send"),
                due_at=until,
                error=why,
            )
        )
    return result


# --- the Admin page ---------------------------------------------------------------------------


def resend(session: Session, id: int, *, actor: Actor, now: datetime | None = None) -> None:
    """Queue notification ``id`` again (admin): pending now, attempts from zero, to where
    the recipient's messages go now (a team channel set since, a changed address or
    channel — unless that channel has this message already); audited; commits."""
    require(actor, "notify.manage")
    now = now or utcnow()
    row = session.get(Notification, id)
    if row is None:
        raise NotFound(_("no notification #{id}").format(id=id))
    if row.status in (PENDING, SENDING):
        raise InvalidInput(
            _("notification #{id} is {status} already: it is sent soon").format(
                id=id, status=_(STATUS_LABELS.get(row.status, row.status)).lower()
            )
        )
    target = preferences.route(session, row.recipient, row.kind)
    if target.address and not target.opted_out:
        taken = (
            target.channel != row.channel
            and session.execute(
                select(func.count())
                .select_from(Notification.__table__)
                .where(
                    Notification.kind == row.kind,
                    Notification.subject_key == row.subject_key,
                    Notification.recipient == row.recipient,
                    Notification.channel == target.channel,
                )
            ).scalar_one()
        )
        if not taken:  # where the recipient's messages go now
            row.channel, row.address = target.channel, target.address
    if not row.address:
        raise InvalidInput(
            _("notification #{id} has nowhere to go: {why}").format(id=id, why=target.why)
        )
    before = row.status
    row.status, row.attempts, row.last_error, row.due_at = PENDING, 0, None, now
    session.add(row)
    audit.record(
        session, actor.username, "notify.resend", "notification", id, was=before, kind=row.kind
    )
    session.commit()


def status_counts(session: Session) -> dict[str, int]:
    """How many notifications are in each status (every status listed)."""
    t = Notification.__table__
    counts = dict(session.execute(select(t.c.status, func.count()).group_by(t.c.status)).all())
    return {status: int(counts.get(status, 0)) for status in STATUSES}


def notifications(
    session: Session,
    *,
    actor: Actor,
    statuses=None,
    kind: str | None = None,
    recipient: str | None = None,
    limit: int = 200,
) -> pd.DataFrame:
    """The newest notifications first (admin), filtered by status, kind and recipient; the
    webhook addresses shortened to their host."""
    import pandas as pd

    require(actor, "notify.manage")
    t = Notification.__table__
    query = select(
        t.c.id,
        t.c.created_at,
        t.c.kind,
        t.c.recipient,
        t.c.channel,
        t.c.address,
        t.c.subject,
        t.c.status,
        t.c.attempts,
        t.c.last_error,
        t.c.due_at,
        t.c.sent_at,
    )
    if statuses:
        query = query.where(t.c.status.in_(list(statuses)))
    if kind:
        query = query.where(t.c.kind == kind)
    if recipient:
        query = query.where(t.c.recipient == recipient)
    rows = session.execute(query.order_by(t.c.created_at.desc(), t.c.id.desc()).limit(limit))
    columns = [
        "id",
        "created_at",
        "kind",
        "recipient",
        "channel",
        "address",
        "subject",
        "status",
        "attempts",
        "last_error",
        "due_at",
        "sent_at",
    ]
    records = [
        {**r._mapping, "address": preferences.address_label(r.channel, r.address)} for r in rows
    ]
    return pd.DataFrame(records, columns=columns)
