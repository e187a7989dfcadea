"""Daily rollups of the ``lead`` table, so that a figure over a quarter or a year reads a
few hundred small rows instead of every lead in it.

Every window the figures use (a period of docs/metrics.md, a cohort) runs from one local
midnight to another in the business timezone, so it is a whole number of local days, and
its counts are sums of per-day counts:

* ``rollup_day``: per local day, the leads created, and the MQLs (by ``mql_at``'s day) with
  how many of them have a verdict, are accepted and were contacted (a first contact at or
  after ``mql_at``), the SQLs (by ``sql_at``'s day) and customers (by ``customer_at``'s);
* ``rollup_span`` / ``rollup_span_coarse``: per MQL day, how many contacted MQLs fall in
  each bucket of first-contact delay (``span_bucket``: 1-minute buckets below 4 hours,
  then 5 minutes, 30 minutes, 12 hours, 30 days; ``coarse``: half hours below a week, then
  the fine bucket itself). An exact
  median (or any rank) over a window sums the coarse counts to find the bucket that holds
  the rank, the fine counts of that one coarse bucket to find the fine bucket, and reads
  the few delays of that fine bucket in the window from the ``ix_lead_contact_span``
  index, in order. "Contacted in time" counts the buckets below the deadline the same way
  and reads the delays near it;
* ``rollup_contact``: per MQL day and UTC date of the first contact, the contacted MQLs
  (the overdue count: those contacted after a cutoff are the dates after the cutoff's,
  plus the few contacts of the cutoff's own date after it, read from
  ``ix_lead_first_contact_at``);
* ``rollup_cohort``: per created day, dimension (``COHORT_DIMENSIONS``) and stored value,
  the stage counts of docs/metrics.md's lead quality; ``rollup_reason``: per created day,
  dimension, value and rejection reason, the rejected leads; ``rollup_won``: per created
  day and local month of ``customer_at``, the customers (the cohort heatmap).

**Kept in step with every write.** Triggers on ``lead`` (migration 0005) write the counted
fields of every inserted, deleted or changed lead to ``rollup_log`` (the old values with
sign -1, the new with +1); they see every write path (imports, verdicts, contacts, the demo
company, its removal, a restore, and whatever comes next: CRM sync, events) and raw SQL
too. ``refresh`` counts the logged rows with the same aggregates, adds those changes to the
rollup rows and empties the log; ``db.bump_data_version``, which every write calls, runs it
in the write's own transaction, so an import of 100,000 leads costs the rollups the count
of 100,000 log rows, not a recount of every day they touch. Readers (``Reader``) take the
days with changes still in the log, and every day while the rollups are built for another
timezone or not at all, from ``lead`` directly with the same aggregates, so a figure is
exact whatever state the rollups are in; it is only slower then. One exception: an import
written in batches parks its logged changes until it ends (``park``; see below), so while
it runs the figures leave its leads out. ``ensure`` (at
``upgrade_to_head``) builds them when missing or built for another timezone.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Integer,
    and_,
    bindparam,
    case,
    delete,
    func,
    insert,
    literal,
    literal_column,
    or_,
    select,
    text,
    true,
    union,
    union_all,
    update,
    values,
)
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement, FunctionElement, column
from sqlalchemy.types import Date
from sqlmodel.sql.sqltypes import UTCDateTime

from smarketing import config
from smarketing.store.models import (
    Lead,
    RollupCohort,
    RollupContact,
    RollupDay,
    RollupLog,
    RollupReason,
    RollupSpan,
    RollupSpanCoarse,
    RollupWon,
    Setting,
)
from smarketing.store.sql_time import hours_between

#: The rollup tables (each keyed by a local ``day`` first).
TABLES = (RollupDay, RollupSpan, RollupSpanCoarse, RollupContact, RollupCohort, RollupReason,
          RollupWon)  # fmt: skip
#: Bumped when what the rollups hold changes (a rebuild follows at the next start).
SCHEME = "1"
#: The setting that says which scheme and timezone the rollups were built for.
STATE_KEY = "rollup_state"
#: The lead columns broken down per value in ``rollup_cohort`` (quality.cohorts.DIMENSIONS).
COHORT_DIMENSIONS = ("source", "campaign", "persona", "owner", "segment", "first_conversion")
#: The stage counts of ``rollup_cohort``, each (name, lead column; None = every lead).
COHORT_COUNTS = (
    ("leads", None),
    ("mqls", "mql_at"),
    ("accepted", "accepted_at"),
    ("rejected", "rejected_at"),
    ("sqls", "sql_at"),
    ("opportunities", "opportunity_at"),
    ("customers", "customer_at"),
)
#: The counts of ``rollup_day``, in order.
DAY_COUNTS = ("leads", "mqls", "decided", "accepted", "contacted", "sqls", "customers")
#: Coarse delay buckets: half hours below a week (30, 6 and 1 fine buckets), then each
#: fine bucket on its own; so that every multiple of half an hour below a week is an edge.
COARSE_PIECES = ((0, 30, 0), (240, 6, 8), (480, 1, 48), (768, 1, 336))
#: Delay buckets: (from hours, buckets per hour, first bucket number), in order.
SPAN_PIECES = ((0.0, 60.0, 0), (4.0, 12.0, 240), (24.0, 2.0, 480), (168.0, 1 / 12, 768),
               (2184.0, 1 / 720, 936))  # fmt: skip
#: Slack (hours) around a bucket's edges when its delays are read from the index.
EDGE_SLACK = 1e-6
#: Days per statement when rollups are computed (bind parameters stay well below limits).
DAYS_PER_QUERY = 400
#: Days per statement for the cohort rows (grouped by every dimension at once, split in
#: pandas: a month at a time keeps a rebuild at 1M leads to a few hundred MB).
COHORT_DAYS_PER_QUERY = 31
#: The lead timestamps whose local day keys a rollup row.
KEYED = ("created_at", "mql_at", "sql_at", "customer_at")
#: A refresh with more logged changes than this recounts the days they touch on ``lead``
#: instead of adding the changes up (a bulk import: cheaper then).
RECOUNT_AT = 2_000


# --- the delay bucket ---------------------------------------------------------------------


class span_bucket(FunctionElement):
    """The fine bucket (an integer) of a first-contact delay in hours (``SPAN_PIECES``)."""

    type = Integer()
    inherit_cache = True
    name = "span_bucket"


def _bucket_sql(element, compiler, floor, **kw) -> str:
    span = compiler.process(next(iter(element.clauses)), **kw)
    branches = []
    for i, (start, rate, first) in enumerate(SPAN_PIECES):
        scaled = f"({span} - {start!r}) * {rate!r}" if start else f"{span} * {rate!r}"
        value = f"{first} + {floor(scaled)}"
        if i + 1 < len(SPAN_PIECES):
            branches.append(f"WHEN {span} < {SPAN_PIECES[i + 1][0]!r} THEN {value}")
        else:
            branches.append(f"ELSE {value}")
    return f"(CASE {' '.join(branches)} END)"


@compiles(span_bucket, "sqlite")
def _bucket_sqlite(element, compiler, **kw) -> str:
    # the delay is never negative here (first_contact_at >= mql_at): CAST truncates = floor
    return _bucket_sql(element, compiler, lambda x: f"CAST({x} AS INTEGER)", **kw)


@compiles(span_bucket)
def _bucket_default(element, compiler, **kw) -> str:
    return _bucket_sql(element, compiler, lambda x: f"CAST(FLOOR({x}) AS INTEGER)", **kw)


class utc_date(FunctionElement):
    """The UTC calendar date of a timestamp."""

    type = Date()
    inherit_cache = True
    name = "utc_date"


@compiles(utc_date, "sqlite")
def _utc_date_sqlite(element, compiler, **kw) -> str:
    return f"date({compiler.process(next(iter(element.clauses)), **kw)})"


@compiles(utc_date)
def _utc_date_default(element, compiler, **kw) -> str:
    value = compiler.process(next(iter(element.clauses)), **kw)
    return f"CAST(({value} AT TIME ZONE 'UTC') AS DATE)"


def coarse_of(fine: int) -> int:
    """The coarse bucket of a fine one (``COARSE_PIECES``)."""
    for start, size, first in reversed(COARSE_PIECES):
        if fine >= start:
            return first + (fine - start) // size
    raise ValueError(f"no delay bucket {fine}")


def bucket_edges(fine: int) -> tuple[float, float]:
    """The [from, to) hours of a fine bucket (as ``span_bucket`` cuts them)."""
    for start, rate, first in reversed(SPAN_PIECES):
        if fine >= first:
            lower = start + (fine - first) / rate
            return lower, lower + 1 / rate
    raise ValueError(f"no delay bucket {fine}")


def contact_span(table=None) -> ColumnElement:
    """Hours from ``mql_at`` to ``first_contact_at`` (of ``lead``, or of ``table`` with those
    columns): on ``lead`` the expression of ``ix_lead_contact_span`` (write it exactly so, or
    the index is not used)."""
    t = (table if table is not None else Lead.__table__).c
    return hours_between(t.mql_at, t.first_contact_at)


def contacted(table=None) -> ColumnElement:
    """A first contact that counts (at or after ``mql_at``): on ``lead`` the condition of
    ``ix_lead_contact_span`` (sla.metrics.contacted_after_mql)."""
    t = (table if table is not None else Lead.__table__).c
    return and_(t.first_contact_at.is_not(None), t.first_contact_at >= t.mql_at)


# --- local days ---------------------------------------------------------------------------


def midnight(day: date, tz: ZoneInfo) -> datetime:
    """Local midnight at the start of ``day`` as a UTC instant."""
    return datetime.combine(day, time(0), tzinfo=tz).astimezone(UTC)


def local_day(moment: datetime, tz: ZoneInfo) -> date:
    """The local day of an aware instant: the day whose [midnight, next midnight) holds it."""
    day = moment.astimezone(tz).date()
    # around a DST change at midnight the wall-clock date and the midnights can disagree
    while moment < midnight(day, tz):
        day -= timedelta(days=1)
    while moment >= midnight(day + timedelta(days=1), tz):
        day += timedelta(days=1)
    return day


def day_of_window(moment: datetime, tz: ZoneInfo) -> date | None:
    """The local day starting at ``moment``, or None when it is not a local midnight."""
    day = local_day(moment, tz)
    return day if midnight(day, tz) == moment else None


def window_days(start: datetime, end: datetime, tz: ZoneInfo) -> tuple[date, date] | None:
    """(first, last) local day of a window from one local midnight to another; None when
    the window is not made of whole local days."""
    first = day_of_window(start, tz)
    after = day_of_window(end, tz)
    if first is None or after is None or after <= first:
        return None
    return first, after - timedelta(days=1)


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def _date(value) -> date:
    """A date from a driver's date (or its text)."""
    return date.fromisoformat(value) if isinstance(value, str) else value


def _aware(value) -> datetime:
    if isinstance(value, str):  # an aggregate over a SQLite DATETIME comes back as text
        value = datetime.fromisoformat(value)
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def state(tz_name: str | None = None) -> str:
    """The ``rollup_state`` value of rollups built now for ``tz_name`` (default: configured)."""
    return f"{SCHEME} {tz_name or config.timezone_name()}"


# --- computing rollup rows -----------------------------------------------------------------
#
# One set of aggregates over two kinds of source: ``lead`` itself (every row counts once;
# the local day of a timestamp by joining a VALUES list of the days' UTC bounds, so each day
# is an index range), and the change log (each row counts its ``sign``; the day written
# beside each timestamp by ``_stamp_days`` with ``local_day``: a CASE over every day of the
# log's span cost seconds for a batch of leads created over years). Both cut days at the
# very same instants, ``midnight``.


def _chunks(items: Sequence, size: int) -> Iterable[Sequence]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


@dataclass
class Computed:
    """Rollup rows (counts, or with the log as source count changes) of some days."""

    days: dict[date, list[int]] = field(default_factory=dict)  # day -> DAY_COUNTS
    spans: dict[tuple[date, int], int] = field(default_factory=dict)  # (day, fine) -> n
    #: (MQL day, UTC date of the first contact) -> contacted MQLs
    contacts: dict[tuple[date, date], int] = field(default_factory=dict)
    cohorts: dict[tuple[str, date, str], list[int]] = field(default_factory=dict)
    reasons: dict[tuple[str, date, str, str], int] = field(default_factory=dict)
    won: dict[tuple[date, date], int] = field(default_factory=dict)  # (day, month won) -> n

    def day(self, day: date) -> list[int]:
        return self.days.setdefault(day, [0] * len(DAY_COUNTS))


class _LeadSource:
    """``lead`` over some local days: each row counts once."""

    def __init__(self, days: Sequence[date], tz: ZoneInfo, *, within_span: bool = False):
        rows = [(d, midnight(d, tz), midnight(d + timedelta(days=1), tz)) for d in days]
        self.table = (
            values(column("day", Date()), column("lo", UTCDateTime()), column("hi", UTCDateTime()))
            .data(rows)
            .cte("days")
        )
        self.t = Lead.__table__
        #: ``within_span`` (PostgreSQL): the rows are also kept within the instants the days
        #: span, first midnight to last, so they are read by the timestamp's index; without
        #: it PostgreSQL read every lead and matched each against every day (0.7 s for a
        #: month of days at 100k leads; 0.1 s with it). SQLite already reads each day by the
        #: index, and with the span it read the index once per day instead (ten times slower).
        self.span = None
        if within_span and rows:
            self.span = (min(r[1] for r in rows), max(r[2] for r in rows))

    def rows(self, key: str, *columns, where=()):
        """A subquery (day, *columns, w) of the rows whose ``key`` timestamp is in a day."""
        c, d = self.t.c, self.table.c
        on = and_(c[key] >= d.lo, c[key] < d.hi)
        within = () if self.span is None else (c[key] >= self.span[0], c[key] < self.span[1])
        return (
            select(d.day.label("day"), *columns, literal_column("1").label("w"))
            .select_from(self.table.join(self.t, on))
            .where(*within, *where)
            .subquery()
        )


#: The log's day column of each keyed timestamp (written by ``_stamp_days``).
DAY_COLUMN = {key: key.removesuffix("_at") + "_day" for key in KEYED}


class _LogSource:
    """Change-log rows (``where``: the claimed ones): each counts its ``sign``, on the local
    days ``_stamp_days`` wrote beside its timestamps."""

    def __init__(self, where):
        self.where = where
        self.t = RollupLog.__table__

    def rows(self, key: str, *columns, where=()):
        day = self.t.c[DAY_COLUMN[key]].label("day")
        inner = select(day, *columns, self.t.c.sign.label("w")).where(
            self.where, self.t.c[key].is_not(None), *where
        )
        return inner.subquery()


def _claimed_rows(conn, claimed, most: int) -> list:
    """The claimed log rows' ids and keyed timestamps, at most ``most`` + 1 of them (more
    than ``most``: too many to add up one by one)."""
    log = RollupLog.__table__
    columns = [log.c.id, *[log.c[k] for k in KEYED]]
    return conn.execute(select(*columns).where(claimed).limit(most + 1)).all()


def _stamp_days(conn, rows: list, tz: ZoneInfo) -> None:
    """Write the local day of each keyed timestamp beside it in the log ``rows`` (from
    ``_claimed_rows``: the day whose [midnight, next midnight) holds it: ``local_day``, the
    instants of ``midnight`` that every figure cuts days at)."""
    log = RollupLog.__table__
    memo: dict[datetime, date] = {}

    def day(value) -> date | None:
        if value is None:
            return None
        if value not in memo:
            memo[value] = local_day(_aware(value), tz)
        return memo[value]

    stamped = [
        {"_id": row[0], **{DAY_COLUMN[k]: day(v) for k, v in zip(KEYED, row[1:], strict=True)}}
        for row in rows
    ]
    if stamped:
        stmt = log.update().where(log.c.id == bindparam("_id"))
        for part in _chunks(stamped, 5000):
            conn.execute(stmt, list(part))


def _weighted(rows, column_name: str | None = None, condition=None) -> ColumnElement:
    """SUM of the rows' weight (where ``column_name`` is set, or ``condition`` holds)."""
    if column_name is None and condition is None:
        return func.coalesce(func.sum(rows.c.w), 0)
    if condition is None:
        condition = rows.c[column_name].is_not(None)
    return func.coalesce(func.sum(case((condition, rows.c.w), else_=0)), 0)


def _compute(
    conn, source, out: Computed, *, sla: bool, cohorts: bool, tz: ZoneInfo, won: bool = True
) -> None:
    """``won``: False when no row has a ``customer_at`` (its statement would find none)."""
    t = source.t.c
    if sla:
        _compute_sla(conn, source, t, out)
    if cohorts:
        _compute_cohorts(conn, source, out, tz, won=won)


def _compute_sla(conn, source, t, out: Computed) -> None:
    """The day, delay-bucket and contact-date rows, in two statements: the MQLs grouped by
    day, delay bucket and UTC contact date; the leads, SQLs and customers per day."""
    index = {name: i for i, name in enumerate(DAY_COUNTS)}
    fine = case((contacted(source.t), span_bucket(contact_span(source.t))), else_=None)
    cday = case((contacted(source.t), utc_date(t.first_contact_at)), else_=None)
    rows = source.rows(
        "mql_at", fine.label("fine"), cday.label("cday"), t.accepted_at, t.rejected_at
    )
    decided = or_(rows.c.accepted_at.is_not(None), rows.c.rejected_at.is_not(None))
    for day, bucket, contact_day, n, n_decided, n_accepted in conn.execute(
        select(
            rows.c.day,
            rows.c.fine,
            rows.c.cday,
            _weighted(rows),
            _weighted(rows, condition=decided),
            _weighted(rows, "accepted_at"),
        )
        .where(rows.c.day.is_not(None))
        .group_by(rows.c.day, rows.c.fine, rows.c.cday)
    ):
        counts = out.day(day)
        counts[index["mqls"]] += int(n)
        counts[index["decided"]] += int(n_decided)
        counts[index["accepted"]] += int(n_accepted)
        if bucket is not None:
            counts[index["contacted"]] += int(n)
            key = (day, int(bucket))
            out.spans[key] = out.spans.get(key, 0) + int(n)
            contact = (day, _date(contact_day))
            out.contacts[contact] = out.contacts.get(contact, 0) + int(n)
    parts = []
    for name, key in (("leads", "created_at"), ("sqls", "sql_at"), ("customers", "customer_at")):
        rows = source.rows(key)
        parts.append(
            select(literal(index[name]).label("i"), rows.c.day, _weighted(rows))
            .where(rows.c.day.is_not(None))
            .group_by(rows.c.day)
        )
    for i, day, n in conn.execute(union_all(*parts)):
        out.day(_date(day))[int(i)] += int(n)


def _compute_cohorts(conn, source, out: Computed, tz: ZoneInfo, *, won: bool = True) -> None:
    """The cohort, reason and won rows: one pass grouped by every dimension, added up per
    dimension here (in plain Python: a person's write refreshes a handful of rows, where
    pandas' set-up alone cost 40 ms under the write lock)."""
    t = source.t.c
    stages = [name for _, name in COHORT_COUNTS if name is not None]
    keys = [*COHORT_DIMENSIONS, "rejection_reason"]
    rows = source.rows("created_at", *[t[k] for k in keys], *[t[s] for s in stages])
    sums = [_weighted(rows)] + [_weighted(rows, s) for s in stages]
    width = len(COHORT_COUNTS)
    rejected = [name for name, _ in COHORT_COUNTS].index("rejected")
    reason_at = len(COHORT_DIMENSIONS)
    for row in conn.execute(
        select(rows.c.day, *[rows.c[k] for k in keys], *sums)
        .where(rows.c.day.is_not(None))
        .group_by(rows.c.day, *[rows.c[k] for k in keys])
    ):
        day = row[0]
        values = ["" if v is None else v for v in row[1 : 1 + len(keys)]]
        counts = [int(n) for n in row[1 + len(keys) :]]
        for value, dimension in zip(values, COHORT_DIMENSIONS, strict=False):
            target = out.cohorts.setdefault((dimension, day, value), [0] * width)
            for i, n in enumerate(counts):
                target[i] += n
            if counts[rejected]:
                key = (dimension, day, value, values[reason_at])
                out.reasons[key] = out.reasons.get(key, 0) + counts[rejected]
    if not won:
        return
    rows = source.rows("created_at", t.customer_at, where=[t.customer_at.is_not(None)])
    for day, won_at, n in conn.execute(
        select(rows.c.day, rows.c.customer_at, _weighted(rows))
        .where(rows.c.day.is_not(None))
        .group_by(rows.c.day, rows.c.customer_at)
    ):
        key = (day, local_day(_aware(won_at), tz).replace(day=1))
        out.won[key] = out.won.get(key, 0) + int(n)


def compute(conn, days: Sequence[date], tz: ZoneInfo, *, sla: bool = True,
            cohorts: bool = True) -> Computed:  # fmt: skip
    """The rollup rows of ``days`` counted on ``lead`` (no write)."""
    out = Computed()
    ordered = sorted(set(days))
    span = conn.dialect.name == "postgresql"
    if sla:
        for part in _chunks(ordered, DAYS_PER_QUERY):
            source = _LeadSource(part, tz, within_span=span)
            _compute(conn, source, out, sla=True, cohorts=False, tz=tz)
    if cohorts:
        for part in _chunks(ordered, COHORT_DAYS_PER_QUERY):
            source = _LeadSource(part, tz, within_span=span)
            _compute(conn, source, out, sla=False, cohorts=True, tz=tz)
    return out


# --- writing ------------------------------------------------------------------------------


def _rows_of(computed: Computed) -> dict:
    """{model: [row dicts]} of computed counts."""
    coarse: dict[tuple[date, int], int] = defaultdict(int)
    span_rows = []
    for (d, fine), n in computed.spans.items():
        span_rows.append({"day": d, "fine": fine, "coarse": coarse_of(fine), "n": n})
        coarse[(d, coarse_of(fine))] += n
    names = [name for name, _ in COHORT_COUNTS]
    return {
        RollupDay: [
            {"day": d, **dict(zip(DAY_COUNTS, counts, strict=True))}
            for d, counts in computed.days.items()
        ],
        RollupSpan: span_rows,
        RollupSpanCoarse: [{"day": d, "coarse": c, "n": n} for (d, c), n in coarse.items()],
        RollupContact: [
            {"day": d, "contact_day": c, "n": n} for (d, c), n in computed.contacts.items()
        ],
        RollupCohort: [
            {"dimension": dim, "day": d, "value": v, **dict(zip(names, counts, strict=True))}
            for (dim, d, v), counts in computed.cohorts.items()
        ],
        RollupReason: [
            {"dimension": dim, "day": d, "value": v, "reason": r, "n": n}
            for (dim, d, v, r), n in computed.reasons.items()
        ],
        RollupWon: [{"day": d, "month": m, "n": n} for (d, m), n in computed.won.items()],
    }


def _counts_of(model) -> list[str]:
    keys = {c.name for c in model.__table__.primary_key.columns}
    return [c.name for c in model.__table__.columns if c.name not in keys and c.name != "coarse"]


def _insert(conn, computed: Computed) -> None:
    """Insert computed rows (the days hold no rows yet)."""
    for model, rows in _rows_of(computed).items():
        counts = _counts_of(model)
        rows = [r for r in rows if any(r[c] for c in counts)]
        for part in _chunks(rows, 5000):
            conn.execute(insert(model.__table__), list(part))


def _add(conn, delta: Computed) -> None:
    """Add computed changes to the rollup rows (insert a row that is not there yet), then
    drop the rows whose counts all came to zero."""
    for model, rows in _rows_of(delta).items():
        _add_rows(conn, model, rows)


def _add_rows(conn, model, rows: list[dict]) -> None:
    """Add the counts of ``rows`` to ``model``'s rows of the same key (inserted when not
    there yet), then drop the rows whose counts all came to zero."""
    if conn.dialect.name == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as upsert
    else:
        from sqlalchemy.dialects.postgresql import insert as upsert
    counts = _counts_of(model)
    rows = [r for r in rows if any(r[c] for c in counts)]
    if not rows:
        return
    table = model.__table__
    keys = [c.name for c in table.primary_key.columns]
    stmt = upsert(table)
    stmt = stmt.on_conflict_do_update(
        index_elements=keys, set_={c: table.c[c] + stmt.excluded[c] for c in counts}
    )
    for part in _chunks(rows, 2000):
        conn.execute(stmt, list(part))
    if not any(r[c] < 0 for r in rows for c in counts):
        return  # (only a count taken from can have come to zero)
    days = sorted({r["day"] for r in rows})
    zero = and_(*[table.c[c] == 0 for c in counts])
    # the key's columns before ``day`` (a cohort's dimension) narrowed to those of the rows:
    # only the rows just added to can have come to zero, and the primary key finds them
    # (``day`` alone, not the key's first column, made each delete read the whole table)
    before = [table.c[k].in_(sorted({r[k] for r in rows})) for k in keys[: keys.index("day")]]
    for part in _chunks(days, DAYS_PER_QUERY):
        conn.execute(delete(table).where(*before, table.c.day.in_(part), zero))


def _state_row(conn, *, lock: bool = False) -> str | None:
    query = select(Setting.value).where(Setting.key == STATE_KEY)
    if lock:  # PostgreSQL: one refresh at a time (SQLite writers are one at a time anyway)
        query = query.with_for_update()
    return conn.execute(query).scalar_one_or_none()


def _set_state(conn, value: str) -> None:
    from smarketing.store.models import utcnow

    table = Setting.__table__
    done = conn.execute(
        table.update().where(table.c.key == STATE_KEY).values(value=value, updated_at=utcnow())
    ).rowcount
    if not done:
        conn.execute(insert(table).values(key=STATE_KEY, value=value, updated_at=utcnow()))


def rebuild(conn) -> int:
    """Build every rollup afresh for the configured timezone; returns the days written."""
    tz = config.business_tz()
    if conn.dialect.name == "postgresql":  # no lead changes while it counts
        conn.execute(text("LOCK TABLE lead IN SHARE MODE"))
    _state_row(conn, lock=True)
    conn.execute(delete(RollupLog))
    for model in TABLES:
        conn.execute(delete(model))
    days = _days_of(conn, Lead.__table__, true())  # not every day between 1970 and 2099
    _insert(conn, compute(conn, days, tz))
    _set_state(conn, state())
    return len(days)


def _claimed(conn):
    """The log rows this refresh takes: on SQLite all (one writer at a time); on PostgreSQL
    this transaction's own and those of transactions that ended without a refresh (by id,
    so that rows committed meanwhile wait for the next refresh)."""
    log = RollupLog.__table__.c
    if conn.dialect.name == "sqlite":
        return log.writer >= 0  # (parked rows wait for their import: ``park``)
    own = log.writer == func.txid_current()
    others = (
        conn.execute(select(log.id).where(log.writer != func.txid_current(), log.writer >= 0))
        .scalars()
        .all()
    )
    return or_(own, log.id.in_(others)) if others else own


def _days_of(conn, table, where) -> list[date]:
    """The local days (ascending, with a neighbour or two) that the keyed timestamps of
    ``table``'s rows ``where`` fall on: only those days, however far apart they are."""
    c = table.c
    utc_days: set[date] = set()
    for key in KEYED:
        found = select(utc_date(c[key])).where(where, c[key].is_not(None)).distinct()
        utc_days |= {_date(d) for d in conn.execute(found).scalars()}
    # a UTC date overlaps the local day before, its own and the one after (any timezone)
    return sorted({d + timedelta(days=k) for d in utc_days for k in (-1, 0, 1)})


# --- parked changes (an import written in batches) ------------------------------------------
#
# An import's batches do not apply their logged changes one by one (a thousand leads created
# over years touch rollup rows of hundreds of days: adding them up per batch cost more than
# the batch itself). Each batch *parks* its log rows instead (``writer`` = the import's mark,
# below zero): no other write's ``refresh`` takes them, and readers leave them out too, so
# while an import runs the figures are those of the data before it (plus what people write
# meanwhile) - counting every touched day on ``lead`` instead made each page a full count.
# When the import ends (done, or failed and undone), its touched days are recounted a month
# at a time (``stored_rows`` and ``compute`` on a snapshot, ``put_counted`` under the lock,
# with what other writes added meanwhile) and the parked rows dropped (``drop_parked``) in the
# run's last transaction: the figures are exact again, the import's included.


def park(conn, mark: int) -> int:
    """Set this transaction's logged changes aside under ``mark`` (below zero); returns the
    rows parked."""
    if mark >= 0:
        raise ValueError("a parking mark is below zero")
    log = RollupLog.__table__
    mine = log.c.writer == (0 if conn.dialect.name == "sqlite" else func.txid_current())
    return conn.execute(update(log).where(mine).values(writer=mark)).rowcount


def parked_days(conn, mark: int) -> list[date]:
    """The local days the changes parked under ``mark`` touch."""
    tz = config.business_tz()
    return _logged_days(conn, RollupLog.__table__.c.writer == mark, tz)


def stored_rows(conn, days: Sequence[date]) -> dict[str, list[tuple]]:
    """The rollup rows of ``days``, per table, sorted (to see whether a write changed them)."""
    out = {}
    for model in TABLES:
        table = model.__table__
        found = []
        for part in _chunks(list(days), DAYS_PER_QUERY):
            found += [tuple(r) for r in conn.execute(select(table).where(table.c.day.in_(part)))]
        out[model.__tablename__] = sorted(found, key=repr)
    return out


def replace_days(conn, days: Sequence[date], computed: Computed) -> None:
    """Replace the rollup rows of ``days`` by ``computed`` (counted on ``lead`` elsewhere,
    e.g. on a read snapshot, by ``compute``), in the caller's transaction."""
    for model in TABLES:
        table = model.__table__
        for part in _chunks(list(days), DAYS_PER_QUERY):
            conn.execute(delete(table).where(table.c.day.in_(part)))
    _insert(conn, computed)


def put_counted(conn, days: Sequence[date], computed: Computed, seen: dict) -> None:
    """Put ``computed`` (counted on a snapshot that saw the rollup rows ``seen``, from
    :func:`stored_rows`) in place for ``days``, in the caller's transaction, plus what other
    writes committed since that snapshot added to those rows: every rollup count is a sum
    over leads, and each write adds its own change in its own transaction, so the count now
    is the snapshot's count plus (the rows now - the rows seen). No recount under the lock,
    however busy the days are."""
    current = stored_rows(conn, days)
    replace_days(conn, days, computed)
    if current == seen:
        return
    for model in TABLES:
        name = model.__tablename__
        _add_rows(conn, model, _row_changes(model, seen[name], current[name]))


def _row_changes(model, seen: list[tuple], current: list[tuple]) -> list[dict]:
    """Per rollup row (by primary key), the counts of ``current`` minus those of ``seen``."""
    table = model.__table__
    names = [c.name for c in table.columns]
    keys = [names.index(c.name) for c in table.primary_key.columns]
    counts = _counts_of(model)

    def by_key(rows: list[tuple]) -> dict[tuple, dict]:
        return {tuple(r[i] for i in keys): dict(zip(names, r, strict=True)) for r in rows}

    before, after = by_key(seen), by_key(current)
    changes = []
    for key in before.keys() | after.keys():
        old, new = before.get(key), after.get(key)
        row = dict(new or old)
        for c in counts:
            row[c] = (new[c] if new else 0) - (old[c] if old else 0)
        changes.append(row)
    return changes


def lock_state(conn) -> bool:
    """Take the rollups' lock (PostgreSQL: one refresh at a time); False when they are not
    built for the configured timezone (nothing to keep in step then)."""
    return _state_row(conn, lock=True) == state()


def drop_parked(conn, mark: int) -> int:
    """Remove the changes parked under ``mark`` (their days recounted); returns how many."""
    log = RollupLog.__table__
    return conn.execute(delete(log).where(log.c.writer == mark)).rowcount


def _logged_days(conn, claimed, tz: ZoneInfo) -> list[date]:
    """The local days whose rollup rows the claimed log rows change: every day that one of
    their keyed timestamps (before or after the change) falls on."""
    return _days_of(conn, RollupLog.__table__, claimed)


def _recount(conn, days: Sequence[date], tz: ZoneInfo) -> None:
    """Replace the rollup rows of ``days`` by a fresh count on ``lead``."""
    for model in TABLES:
        table = model.__table__
        for part in _chunks(list(days), DAYS_PER_QUERY):
            conn.execute(delete(table).where(table.c.day.in_(part)))
    _insert(conn, compute(conn, days, tz))


def refresh(conn) -> int:
    """Apply the changes the triggers logged to the rollups and remove them from the log (in
    the caller's transaction); returns the log rows applied. Does nothing while the rollups
    are built for another timezone or not at all (``ensure`` builds them; readers count on
    ``lead`` meanwhile). A log longer than ``RECOUNT_AT`` rows recounts the days it touches."""
    log = RollupLog.__table__
    if not conn.execute(select(log.c.id).where(log.c.writer >= 0).limit(1)).first():
        return 0  # (an import's parked changes wait for it: ``park``)
    # (one at a time, and each write applies its own rows before it commits: a write that
    # committed with its rows still in the log would be counted twice by an import's
    # recount, ``put_counted``, and again by the refresh that takes them)
    if _state_row(conn) != state():
        return 0  # (no lock taken: a write while the rollups are rebuilt does not queue)
    if conn.dialect.name != "sqlite":  # (SQLite: one writer at a time already)
        _state_row(conn, lock=True)
    claimed = _claimed(conn)
    tz = config.business_tz()
    rows = _claimed_rows(conn, claimed, RECOUNT_AT)
    if len(rows) > RECOUNT_AT:
        _recount(conn, _logged_days(conn, claimed, tz), tz)
    elif rows:
        _stamp_days(conn, rows, tz)
        won = any(row[1 + KEYED.index("customer_at")] is not None for row in rows)
        delta = Computed()
        _compute(conn, _LogSource(claimed), delta, sla=True, cohorts=True, tz=tz, won=won)
        _add(conn, delta)
    return conn.execute(delete(log).where(claimed)).rowcount


def ensure(engine: Engine) -> int | None:
    """Build the rollups when they are missing or built for another timezone (at every
    start: one query when nothing is due); returns the days built, or None. Changes still
    in the log (a write that did not bump the data version) wait for the next write's
    ``refresh``; readers count their days on ``lead`` meanwhile."""
    with engine.connect() as conn:
        if _state_row(conn) == state():
            return None
    with engine.begin() as conn:
        if _state_row(conn, lock=True) != state():
            return rebuild(conn)
        return None


# --- reading ------------------------------------------------------------------------------
#
# The statements are built once with bind parameters: a figure over a day or a quarter runs
# a handful of them, and building and cache-keying a SQLAlchemy statement costs about as
# much as running one of these on the rollups.


def dimension_values(conn, dimension: str) -> list[str] | None:
    """The values of a cohort dimension (``COHORT_DIMENSIONS``) that leads have, "" for a
    lead without one, in no order: the values of its ``rollup_cohort`` rows (its primary
    key's first column: a few thousand index entries, where DISTINCT on ``lead`` reads every
    lead) with those of the changes still in the log (an import's parked ones too). None
    while the rollups are not built for the configured timezone (ask ``lead`` then).

    A value that a change in the log takes away stays until that change is applied (an
    import's parked changes: until the import ends)."""
    if dimension not in COHORT_DIMENSIONS:
        raise ValueError(f"not a cohort dimension: {dimension}")
    if _state_row(conn) != state():
        return None
    cohort, log = RollupCohort.__table__.c, RollupLog.__table__.c
    stored = select(cohort.value).where(cohort.dimension == dimension)
    logged = select(func.coalesce(log[dimension], "")).where(log.sign > 0)
    return list(conn.execute(union(stored, logged)).scalars())


_NEVER = date(1, 1, 1)  # a split before every day: "before" sums are 0


def _connection(session) -> Connection:
    return session.connection() if hasattr(session, "connection") else session


@functools.cache
def _statement(name: str, excluding: bool):
    """The reader's statement ``name``; ``excluding`` leaves out the days in ``:live``."""
    first, last = bindparam("first", type_=Date()), bindparam("last", type_=Date())
    split = bindparam("split", type_=Date())

    def days(model):
        t = model.__table__.c
        where = [t.day >= first, t.day <= last]
        if excluding:
            where.append(t.day.not_in(bindparam("live", expanding=True, type_=Date())))
        return t, where

    if name == "state":  # the state, beside each distinct set of the log's day keys
        t, c = Setting.__table__.c, RollupLog.__table__.c
        # (not the changes parked by a running import: see ``park``)
        logged = select(*[c[k] for k in KEYED]).where(c.writer >= 0).distinct()
        logged = logged.subquery("logged")
        anchor = select(literal(1).label("one")).subquery("anchor")
        return select(
            select(t.value).where(t.key == STATE_KEY).scalar_subquery(),
            *[logged.c[k] for k in KEYED],
        ).select_from(anchor.outerjoin(logged, true()))
    if name == "days":
        t, where = days(RollupDay)
        return select(t.day, *[t[c] for c in DAY_COUNTS]).where(*where)
    if name in ("coarse", "fine"):
        t, where = days(RollupSpanCoarse if name == "coarse" else RollupSpan)
        key = t.coarse if name == "coarse" else t.fine
        before = func.sum(case((t.day < split, t.n), else_=0))
        if name == "fine":
            where.append(t.coarse.in_(bindparam("coarse", expanding=True)))
        return select(key, func.sum(t.n), before).where(*where).group_by(key)
    if name == "cohorts":
        t, where = days(RollupCohort)
        where.append(t.dimension.in_(bindparam("dimensions", expanding=True)))
        sums = [func.sum(t[c]) for c, _ in COHORT_COUNTS]
        return select(t.dimension, t.value, *sums).where(*where).group_by(t.dimension, t.value)
    if name == "reasons":
        t, where = days(RollupReason)
        where.append(t.dimension == bindparam("dimension"))
        return select(t.value, t.reason, func.sum(t.n)).where(*where).group_by(t.value, t.reason)
    if name == "late":
        t, where = days(RollupContact)
        where.append(t.contact_day > bindparam("after", type_=Date()))
        return select(func.coalesce(func.sum(t.n), 0)).where(*where)
    if name == "won":
        t, where = days(RollupWon)
        return select(t.day, t.month, t.n).where(*where)
    raise ValueError(name)


class Reader:
    """Reads the rollups of local day ranges, taking days the triggers marked (or every day,
    when the rollups are not built for this timezone) from ``lead`` instead."""

    def __init__(self, session, tz: ZoneInfo | None = None):
        self.conn = _connection(session)
        self.tz = tz or config.business_tz()
        rows = self.conn.execute(_statement("state", False)).all()
        #: days to compute from ``lead``; None = all of them
        self.dirty: set[date] | None = None
        if rows[0][0] == state(self.tz.key):  # the days logged changes have not reached
            self.dirty = {
                local_day(_aware(v), self.tz) for row in rows for v in row[1:] if v is not None
            }
        self._sla_memo: dict[date, Computed] = {}
        self._cohort_memo: dict[date, Computed] = {}

    def _live_days(self, first: date, last: date) -> list[date]:
        if self.dirty is None:
            return _days(first, last)
        return sorted(d for d in self.dirty if first <= d <= last)

    def _rows(self, name: str, first: date, last: date, live: Sequence[date], **params):
        """The rows of statement ``name`` over the rolled-up days (none when every day of the
        range is computed live)."""
        if self.dirty is None:
            return []
        if live:
            params["live"] = list(live)
        return self.conn.execute(
            _statement(name, bool(live)), {"first": first, "last": last, **params}
        ).all()

    def _live(self, days: Sequence[date], *, cohorts: bool) -> list[Computed]:
        """Computed rows of ``days``: their SLA rows, or with ``cohorts`` their cohort,
        reason and won rows (memoised per day for this reader)."""
        memo = self._cohort_memo if cohorts else self._sla_memo
        missing = [d for d in days if d not in memo]
        if missing:
            computed = compute(self.conn, missing, self.tz, sla=not cohorts, cohorts=cohorts)
            for d in missing:
                memo[d] = Computed()
            for d, counts in computed.days.items():
                memo[d].days[d] = counts
            for key, n in computed.spans.items():
                memo[key[0]].spans[key] = n
            for key, n in computed.contacts.items():
                memo[key[0]].contacts[key] = n
            for key, counts in computed.cohorts.items():
                memo[key[1]].cohorts[key] = counts
            for key, n in computed.reasons.items():
                memo[key[1]].reasons[key] = n
            for key, n in computed.won.items():
                memo[key[0]].won[key] = n
        return [memo[d] for d in days]

    # -- per day counts --

    def day_counts(self, first: date, last: date) -> dict[date, tuple[int, ...]]:
        """{day: DAY_COUNTS} for the days from ``first`` through ``last`` that have any."""
        if first > last:
            return {}
        live = self._live_days(first, last)
        out = {row[0]: tuple(row[1:]) for row in self._rows("days", first, last, live)}
        for c in self._live(live, cohorts=False):
            for day, counts in c.days.items():
                out[day] = tuple(counts)
        return out

    # -- delay buckets --

    def coarse_counts(self, first: date, last: date, split: date | None = None):
        """{coarse bucket: (contacted MQLs of the days, of the days before ``split``)}."""
        if first > last:
            return {}
        live = self._live_days(first, last)
        out: dict[int, list[int]] = {}
        for coarse, n, n_before in self._rows("coarse", first, last, live, split=split or _NEVER):
            out[coarse] = [int(n), int(n_before)]
        for c in self._live(live, cohorts=False):
            for (day, fine), n in c.spans.items():
                sums = out.setdefault(coarse_of(fine), [0, 0])
                sums[0] += n
                if split is not None and day < split:
                    sums[1] += n
        return out

    def fine_counts(self, first: date, last: date, coarse: Iterable[int],
                    split: date | None = None):  # fmt: skip
        """{fine bucket: (contacted MQLs, of the days before ``split``)} within the given
        coarse buckets."""
        wanted = sorted(set(coarse))
        if first > last or not wanted:
            return {}
        live = self._live_days(first, last)
        out: dict[int, list[int]] = {}
        for fine, n, n_before in self._rows(
            "fine", first, last, live, split=split or _NEVER, coarse=wanted
        ):
            out[fine] = [int(n), int(n_before)]
        for c in self._live(live, cohorts=False):
            for (day, fine), n in c.spans.items():
                if coarse_of(fine) in wanted:
                    sums = out.setdefault(fine, [0, 0])
                    sums[0] += n
                    if split is not None and day < split:
                        sums[1] += n
        return out

    def late_contacts(self, first: date, last: date, after: date) -> int:
        """Contacted MQLs of the days whose first contact's UTC date is after ``after``."""
        if first > last:
            return 0
        live = self._live_days(first, last)
        total = sum(int(r[0]) for r in self._rows("late", first, last, live, after=after))
        for c in self._live(live, cohorts=False):
            total += sum(n for (_day, cday), n in c.contacts.items() if cday > after)
        return total

    # -- cohorts --

    def cohort_counts(self, first: date, last: date, dimensions: Sequence[str]):
        """[(dimension, stored value ('' for none), COHORT_COUNTS)] summed over the days."""
        if first > last:
            return []
        live = self._live_days(first, last)
        sums: dict[tuple[str, str], list[int]] = {
            (dim, value): [int(n) for n in counts]
            for dim, value, *counts in self._rows(
                "cohorts", first, last, live, dimensions=list(dimensions)
            )
        }
        for c in self._live(live, cohorts=True):
            for (dim, _day, value), counts in c.cohorts.items():
                if dim in dimensions:
                    target = sums.setdefault((dim, value), [0] * len(COHORT_COUNTS))
                    for i, n in enumerate(counts):
                        target[i] += n
        return [(dim, value, counts) for (dim, value), counts in sums.items()]

    def won_counts(self, first: date, last: date) -> list[tuple[date, date, int]]:
        """[(created day, local month won, customers)] of the leads created in the days."""
        if first > last:
            return []
        live = self._live_days(first, last)
        out = [(d, m, int(n)) for d, m, n in self._rows("won", first, last, live)]
        for c in self._live(live, cohorts=True):
            out += [(d, m, n) for (d, m), n in c.won.items()]
        return out

    def reason_counts(self, first: date, last: date, dimension: str):
        """[(stored value, reason key ('' for none), rejected leads)] summed over the days."""
        if first > last:
            return []
        live = self._live_days(first, last)
        sums: dict[tuple[str, str], int] = {
            (value, reason): int(n)
            for value, reason, n in self._rows("reasons", first, last, live, dimension=dimension)
        }
        for c in self._live(live, cohorts=True):
            for (dim, _day, value, reason), n in c.reasons.items():
                if dim == dimension:
                    sums[(value, reason)] = sums.get((value, reason), 0) + n
        return [(value, reason, n) for (value, reason), n in sums.items()]
