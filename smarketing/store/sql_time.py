"""Portable SQL for time spans: the same expression on SQLite and PostgreSQL."""

from __future__ import annotations

from sqlalchemy import Float
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.expression import ColumnElement, FunctionElement

#: Tolerance when comparing a span with a deadline: SQLite's julianday() is a double,
#: so "exactly 4 hours" may come out as 3.9999999 or 4.0000001 hours.
EPSILON_HOURS = 1e-6


class hours_between(FunctionElement):
    """Hours from ``start`` to ``end`` (both timestamp columns or values), as a float."""

    type = Float()
    inherit_cache = True
    name = "hours_between"

    def __init__(self, start: ColumnElement, end: ColumnElement) -> None:
        super().__init__(start, end)


@compiles(hours_between, "sqlite")
def _hours_sqlite(element, compiler, **kw) -> str:
    start, end = list(element.clauses)
    return (
        f"((julianday({compiler.process(end, **kw)}) - "
        f"julianday({compiler.process(start, **kw)})) * 24.0)"
    )


@compiles(hours_between, "postgresql")
def _hours_postgresql(element, compiler, **kw) -> str:
    start, end = list(element.clauses)
    return (
        f"(EXTRACT(EPOCH FROM ({compiler.process(end, **kw)} - "
        f"{compiler.process(start, **kw)})) / 3600.0)"
    )
