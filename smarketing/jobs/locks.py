"""Only one process runs a given job at a time, and each job's last run is kept for display.

``job_lock`` is the one way to take a job. On PostgreSQL it is a session advisory lock
(``pg_try_advisory_lock`` on a key derived from the job's name) held by a connection of its
own for the job's whole run: a process that dies loses its connection, and the server
releases the lock at once. On SQLite, which has no such lock, it is a lease in the
``job_lock`` row: one conditional upsert in a short write transaction takes the row when it
is free or when its lease has run out (so a crashed holder's job is taken over once its
lease expires), a heartbeat thread renews the lease while a long job runs, and the end of
the run frees the row. Both dialects keep the holder, the lease and the last run (started,
finished, status, error) in ``job_lock``, so the Admin page shows the same thing on both.

A lock can also refuse a job that started less than ``not_within`` ago: two processes that
run the same schedule then run each tick's job once between them, not once each.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection, Engine

from smarketing.errors import InvalidInput, SmarketingError
from smarketing.store.db import write_transaction
from smarketing.store.models import JobLock, utcnow

logger = logging.getLogger("smarketing.jobs")

#: A run's ``last_status``: still running (or its process died: see the lease), ended
#: normally, ended with an exception (``last_error`` says which), stopped by a shutdown.
RUNNING, OK, ERROR, STOPPED = "running", "ok", "error", "stopped"
#: The longest ``last_error`` kept (characters).
ERROR_MAX = 2000
#: The heartbeat renews a lease this many times per lease (a renewal waits up to SQLite's
#: busy timeout of 20 s behind another writer, so leases are a minute or more in the jobs).
BEATS_PER_LEASE = 3

TABLE = JobLock.__table__


class JobStopped(Exception):
    """The job gave up because its scheduler is shutting down (recorded as ``stopped``)."""


@dataclass(frozen=True)
class JobStatus:
    """A job's row of ``job_lock``: who runs it now and until when, and its last run."""

    name: str
    holder: str | None
    lease_until: datetime | None
    last_started_at: datetime | None
    last_finished_at: datetime | None
    last_status: str | None
    last_error: str | None

    def running(self, now: datetime) -> bool:
        """True when a process holds the job and its lease has not run out."""
        return self.holder is not None and (self.lease_until is None or self.lease_until > now)

    def abandoned(self, now: datetime) -> bool:
        """True when the job's last run never ended and its lease has run out: its process
        died (or lost the database) while running it; the next run takes it over."""
        return self.last_status == RUNNING and not self.running(now)


def job_status(engine: Engine) -> list[JobStatus]:
    """Every job that ever ran here (the scheduled ones and each source's ``sync:NAME``),
    by name."""
    with engine.connect() as conn:
        rows = conn.execute(select(TABLE).order_by(TABLE.c.name)).mappings().all()
    return [JobStatus(**dict(row)) for row in rows]


def advisory_key(name: str) -> int:
    """The PostgreSQL advisory-lock key of a job: a signed 64-bit number from its name,
    the same in every process and every Python (unlike ``hash``)."""
    digest = hashlib.sha256(f"smarketing.job:{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def describe(exc: BaseException) -> str:
    """An exception as one line for ``last_error``: a domain error's own message, otherwise
    its type and message (``ValueError: …``), shortened to ERROR_MAX characters."""
    message = " ".join(str(exc).split())
    if not isinstance(exc, SmarketingError):
        message = f"{type(exc).__name__}: {message}" if message else type(exc).__name__
    return message if len(message) <= ERROR_MAX else message[: ERROR_MAX - 1] + "…"


@contextmanager
def job_lock(
    engine: Engine,
    name: str,
    *,
    holder: str,
    lease: timedelta,
    now: datetime | None = None,
    not_within: timedelta | None = None,
) -> Iterator[bool]:
    """Take the job ``name`` for this process; yields True when taken, False when another
    process holds it (or, with ``not_within``, when a run started less than that long ago).

    Taken, the job's row says ``holder``, a lease until ``now + lease`` (renewed by a
    heartbeat while the block runs) and ``last_status = running``; at the end of the block
    it is freed and records ``ok``, or ``error`` with the exception (which goes on), or
    ``stopped`` for JobStopped. ``now`` is the start (default: the real time); the later
    times are ``now`` plus the time elapsed since, so a test's fixed ``now`` stays in step.
    """
    if not name or len(name) > TABLE.c.name.type.length:
        raise InvalidInput(f"a job name is 1 to {TABLE.c.name.type.length} characters: {name!r}")
    if lease <= timedelta(0):
        raise InvalidInput(f"the lease of job {name!r} must be longer than 0 s")
    clock = _clock(now)
    on_postgres = engine.dialect.name == "postgresql"
    conn = engine.connect() if on_postgres else None
    try:
        if conn is not None:
            # AUTOCOMMIT: the lock belongs to the session; no transaction stays open for hours
            conn.execution_options(isolation_level="AUTOCOMMIT")
            locked = conn.execute(
                text("SELECT pg_try_advisory_lock(:key)"), {"key": advisory_key(name)}
            ).scalar_one()
            if not locked:
                yield False
                return
        if not _take(engine, name, holder, clock(), lease, not_within, leased=conn is None):
            yield False
            return
        heartbeat = _Heartbeat(engine, name, holder, lease, clock)
        heartbeat.start()
        try:
            yield True
        except BaseException as exc:
            heartbeat.stop()
            status = STOPPED if isinstance(exc, JobStopped) else ERROR
            _release(engine, name, holder, clock(), status, describe(exc))
            raise
        heartbeat.stop()
        _release(engine, name, holder, clock(), OK, None)
    finally:
        if conn is not None:
            _unlock(conn, name)


def _clock(now: datetime | None) -> Callable[[], datetime]:
    start = now or utcnow()
    if start.utcoffset() is None:
        raise InvalidInput(f"the time {start} has no timezone: give an aware time (UTC)")
    began = time.monotonic()
    return lambda: start + timedelta(seconds=time.monotonic() - began)


def _take(
    engine: Engine,
    name: str,
    holder: str,
    now: datetime,
    lease: timedelta,
    not_within: timedelta | None,
    *,
    leased: bool,
) -> bool:
    """One conditional upsert: the row is created, or taken when the conditions hold
    (``leased``: free or its lease run out; ``not_within``: the last run started long
    enough ago). True when this holder has it now."""
    values = {
        "name": name,
        "holder": holder,
        "lease_until": now + lease,
        "last_started_at": now,
        "last_status": RUNNING,
    }
    conditions = []
    if leased:
        conditions.append(
            or_(
                TABLE.c.holder.is_(None),
                TABLE.c.lease_until.is_(None),
                TABLE.c.lease_until <= now,
            )
        )
    if not_within is not None:
        conditions.append(
            or_(TABLE.c.last_started_at.is_(None), TABLE.c.last_started_at <= now - not_within)
        )
    with write_transaction(engine) as conn:
        insert = (postgresql if conn.dialect.name == "postgresql" else sqlite).insert(TABLE)
        insert = insert.values(values)
        statement = insert.on_conflict_do_update(
            index_elements=[TABLE.c.name],
            set_={key: insert.excluded[key] for key in values if key != "name"},
            where=and_(*conditions) if conditions else None,
        ).returning(TABLE.c.name)  # (psycopg gives no rowcount for an upsert)
        return conn.execute(statement).first() is not None


def _release(
    engine: Engine, name: str, holder: str, now: datetime, status: str, error: str | None
) -> None:
    with write_transaction(engine) as conn:
        released = conn.execute(
            update(TABLE)
            .where(TABLE.c.name == name, TABLE.c.holder == holder)
            .values(
                holder=None,
                lease_until=None,
                last_finished_at=now,
                last_status=status,
                last_error=error,
            )
        ).rowcount
    if not released:
        logger.warning(
            "job %s: its lease ran out while %s ran it and another process took it over; "
            "this run's end (%s) is not recorded",
            name,
            holder,
            status,
        )


def _unlock(conn: Connection, name: str) -> None:
    try:
        conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": advisory_key(name)})
    except Exception:  # the connection is gone: so is its lock
        logger.warning("job %s: could not release its advisory lock", name, exc_info=True)
    finally:
        conn.close()


class _Heartbeat:
    """Renews a held job's lease every lease/BEATS_PER_LEASE while the job runs."""

    def __init__(
        self,
        engine: Engine,
        name: str,
        holder: str,
        lease: timedelta,
        clock: Callable[[], datetime],
    ) -> None:
        self._engine, self._name, self._holder = engine, name, holder
        self._lease, self._clock = lease, clock
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name=f"lease {name}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join()

    def _run(self) -> None:
        every = self._lease.total_seconds() / BEATS_PER_LEASE
        while not self._stopped.wait(every):
            try:
                with write_transaction(self._engine) as conn:
                    renewed = conn.execute(
                        update(TABLE)
                        .where(TABLE.c.name == self._name, TABLE.c.holder == self._holder)
                        .values(lease_until=self._clock() + self._lease)
                    ).rowcount
            except Exception:  # the next beat tries again; the lease is longer than a beat
                logger.warning("job %s: could not renew its lease", self._name, exc_info=True)
                continue
            if not renewed:
                logger.warning(
                    "job %s: %s lost its lease to another process", self._name, self._holder
                )
                return
