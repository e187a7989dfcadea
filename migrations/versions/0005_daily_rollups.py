"""daily rollups of the leads, the triggers that keep them in step, covering indexes

Creates the rollup tables of ``smarketing.store.rollup`` (``rollup_day``, ``rollup_span``,
``rollup_span_coarse``, ``rollup_contact``, ``rollup_cohort``, ``rollup_reason``,
``rollup_won``) and
``rollup_log``, where triggers on ``lead`` write the counted fields of every inserted
(+1), deleted (-1) or changed lead (-1 before, +1 after; only when a counted field
changed): row triggers on SQLite, statement triggers with transition tables on
PostgreSQL. Adds the partial expression index ``ix_lead_contact_span`` (first-contact delay
in hours, mql_at, first_contact_at; where first_contact_at >= mql_at) that exact medians
read, and widens ``ix_lead_mql_at`` by ``first_contact_at`` and ``ix_lead_customer_at`` by
``created_at`` so that deadline, overdue and heatmap counts read only the index; adds
``ix_lead_first_contact_at`` (first_contact_at, mql_at) for the overdue count's contacts
just after its cutoff.

The rollups are empty here: ``upgrade_to_head`` builds them afterwards for the business
timezone (``rollup.ensure``); until then every figure is computed from ``lead``.

On SQLite a later migration that rebuilds ``lead`` (``batch_alter_table`` with a copy)
drops its triggers and the expression index: it must create them again (``TRIGGERS``
and ``span_index`` below; tests/test_rollup.py checks that they exist at head).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: the lead columns the rollups count (a change to any other column leaves them as they are)
WATCHED = ("created_at", "mql_at", "accepted_at", "rejected_at", "rejection_reason",
           "first_contact_at", "sql_at", "opportunity_at", "customer_at", "source",
           "campaign", "persona", "owner", "segment", "first_conversion")
COLUMNS = ", ".join(WATCHED)

SPAN = {
    "sqlite": "((julianday(first_contact_at) - julianday(mql_at)) * 24.0)",
    "postgresql": "(EXTRACT(EPOCH FROM (first_contact_at - mql_at)) / 3600.0)",
}


def _sqlite_log(row: str, sign: int) -> str:
    values = ", ".join(f"{row}.{c}" for c in WATCHED)
    return f"INSERT INTO rollup_log (writer, sign, {COLUMNS}) VALUES (0, {sign}, {values});"


def sqlite_triggers() -> list[str]:
    changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in WATCHED)
    return [
        f"CREATE TRIGGER lead_rollup_insert AFTER INSERT ON lead BEGIN {_sqlite_log('NEW', 1)} END",
        f"CREATE TRIGGER lead_rollup_delete AFTER DELETE ON lead BEGIN {_sqlite_log('OLD', -1)} END",
        f"CREATE TRIGGER lead_rollup_update AFTER UPDATE ON lead WHEN {changed} "
        f"BEGIN {_sqlite_log('OLD', -1)} {_sqlite_log('NEW', 1)} END",
    ]


def _pg_function(name: str, body: str) -> str:
    return f"""
CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
{body}
    RETURN NULL;
END $$"""


def _pg_log(rows: str, sign: int, where: str = "") -> str:
    alias = rows.split()[-1] if " JOIN " not in rows else ("o" if sign < 0 else "n")
    values = ", ".join(f"{alias}.{c}" for c in WATCHED)
    return (
        f"    INSERT INTO rollup_log (writer, sign, {COLUMNS})\n"
        f"    SELECT txid_current(), {sign}, {values} FROM {rows} {where};"
    )


def postgresql_triggers() -> list[str]:
    changed = (
        f"WHERE ROW({', '.join('o.' + c for c in WATCHED)}) IS DISTINCT FROM "
        f"ROW({', '.join('n.' + c for c in WATCHED)})"
    )
    both = "old_rows o JOIN new_rows n ON n.id = o.id"
    return [
        _pg_function("lead_rollup_log_new", _pg_log("new_rows n", 1)),
        _pg_function("lead_rollup_log_old", _pg_log("old_rows o", -1)),
        _pg_function(
            "lead_rollup_log_changed",
            _pg_log(both, -1, changed) + "\n" + _pg_log(both, 1, changed),
        ),
        "CREATE TRIGGER lead_rollup_insert AFTER INSERT ON lead REFERENCING NEW TABLE AS "
        "new_rows FOR EACH STATEMENT EXECUTE FUNCTION lead_rollup_log_new()",
        "CREATE TRIGGER lead_rollup_delete AFTER DELETE ON lead REFERENCING OLD TABLE AS "
        "old_rows FOR EACH STATEMENT EXECUTE FUNCTION lead_rollup_log_old()",
        "CREATE TRIGGER lead_rollup_update AFTER UPDATE ON lead REFERENCING OLD TABLE AS "
        "old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION "
        "lead_rollup_log_changed()",
    ]


TRIGGERS = {"sqlite": sqlite_triggers, "postgresql": postgresql_triggers}


def span_index(dialect: str) -> str:
    return (
        f"CREATE INDEX ix_lead_contact_span ON lead ({SPAN[dialect]}, mql_at, first_contact_at) "
        "WHERE first_contact_at >= mql_at"
    )


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect not in TRIGGERS:
        raise RuntimeError(f"migration 0005 knows SQLite and PostgreSQL, not {dialect}")
    op.create_table('rollup_day',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('leads', sa.Integer(), nullable=False),
    sa.Column('mqls', sa.Integer(), nullable=False),
    sa.Column('decided', sa.Integer(), nullable=False),
    sa.Column('accepted', sa.Integer(), nullable=False),
    sa.Column('contacted', sa.Integer(), nullable=False),
    sa.Column('sqls', sa.Integer(), nullable=False),
    sa.Column('customers', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('day')
    )
    op.create_table('rollup_span',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('fine', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('coarse', sa.Integer(), nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('day', 'fine')
    )
    op.create_index('ix_rollup_span_coarse', 'rollup_span', ['coarse', 'day'], unique=False)
    op.create_table('rollup_span_coarse',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('coarse', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('day', 'coarse')
    )
    op.create_table('rollup_contact',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('contact_day', sa.Date(), nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('day', 'contact_day')
    )
    op.create_table('rollup_cohort',
    sa.Column('dimension', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('value', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('leads', sa.Integer(), nullable=False),
    sa.Column('mqls', sa.Integer(), nullable=False),
    sa.Column('accepted', sa.Integer(), nullable=False),
    sa.Column('rejected', sa.Integer(), nullable=False),
    sa.Column('sqls', sa.Integer(), nullable=False),
    sa.Column('opportunities', sa.Integer(), nullable=False),
    sa.Column('customers', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('dimension', 'day', 'value')
    )
    op.create_table('rollup_reason',
    sa.Column('dimension', sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('value', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
    sa.Column('reason', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('dimension', 'day', 'value', 'reason')
    )
    op.create_table('rollup_won',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('day', 'month')
    )
    op.create_table('rollup_log',
    sa.Column('writer', sa.BigInteger(), nullable=False),
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('sign', sa.Integer(), nullable=False),
    sa.Column('created_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('mql_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('accepted_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('rejected_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('rejection_reason', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('first_contact_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('sql_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('opportunity_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('customer_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    sa.Column('source', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('campaign', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.Column('persona', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('owner', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('segment', sqlmodel.sql.sqltypes.AutoString(length=100), nullable=True),
    sa.Column('first_conversion', sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    sa.PrimaryKeyConstraint('id')
    )
    # plain DDL, not batch mode: a batch copy of lead would lose the triggers and the
    # expression index made below
    op.drop_index('ix_lead_mql_at', table_name='lead')
    op.create_index('ix_lead_mql_at', 'lead', ['mql_at', 'first_contact_at'], unique=False)
    op.drop_index('ix_lead_customer_at', table_name='lead')
    op.create_index('ix_lead_customer_at', 'lead', ['customer_at', 'created_at'], unique=False)
    op.create_index('ix_lead_first_contact_at', 'lead', ['first_contact_at', 'mql_at'],
                    unique=False)
    op.execute(span_index(dialect))
    for statement in TRIGGERS[dialect]():
        op.execute(statement)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    for name in ("lead_rollup_insert", "lead_rollup_delete", "lead_rollup_update"):
        op.execute(f"DROP TRIGGER IF EXISTS {name}" + (" ON lead" if dialect == "postgresql" else ""))
    if dialect == "postgresql":
        for name in ("lead_rollup_log_new", "lead_rollup_log_old", "lead_rollup_log_changed"):
            op.execute(f"DROP FUNCTION IF EXISTS {name}()")
    op.execute("DROP INDEX IF EXISTS ix_lead_contact_span")
    op.drop_index('ix_lead_first_contact_at', table_name='lead')
    op.drop_index('ix_lead_customer_at', table_name='lead')
    op.create_index('ix_lead_customer_at', 'lead', ['customer_at'], unique=False)
    op.drop_index('ix_lead_mql_at', table_name='lead')
    op.create_index('ix_lead_mql_at', 'lead', ['mql_at'], unique=False)
    op.drop_table('rollup_log')
    op.drop_table('rollup_won')
    op.drop_table('rollup_reason')
    op.drop_table('rollup_cohort')
    op.drop_table('rollup_contact')
    op.drop_table('rollup_span_coarse')
    op.drop_index('ix_rollup_span_coarse', table_name='rollup_span')
    op.drop_table('rollup_span')
    op.drop_table('rollup_day')
