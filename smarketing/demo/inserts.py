"""Writing rows with SQLAlchemy Core: column lists in batches, or one row for its id."""

from __future__ import annotations

from sqlalchemy import insert
from sqlalchemy.engine import Connection

BATCH = 10_000  # rows per executemany


def insert_columns(conn: Connection, table, cols: dict[str, list]) -> int:
    """Insert column lists with Core executemany in batches; returns the row count."""
    keys = list(cols)
    n = len(cols[keys[0]]) if keys else 0
    stmt = insert(table)
    for lo in range(0, n, BATCH):
        part = [cols[k][lo : lo + BATCH] for k in keys]
        conn.execute(stmt, [dict(zip(keys, row, strict=True)) for row in zip(*part, strict=True)])
    return n


def insert_one(conn: Connection, model, **values) -> int:
    """Insert one row and return its id."""
    table = model.__table__
    return int(conn.execute(insert(table).values(**values).returning(table.c.id)).scalar_one())
