"""imports written in short batches: the undo of each committed batch, the run's process

``rollup_log`` gets the local days of its keyed timestamps, which ``rollup.refresh`` writes
before it counts the log, and an index on ``writer`` (an import's batches park their
changes under a writer below zero until the import ends; a refresh reads only the others)
(a batch of an import touches leads of hundreds of days: one
CASE over every day of their span made a refresh of 1,000 logged leads take seconds).
``import_undo`` holds, per committed batch of a running import, the ids it inserted and the
old and new values it changed (``smarketing.data_in.batches``); ``import_run`` gets the
``process`` writing a run and its ``heartbeat_at``, so that a run whose process died is
found and undone. Plain ``add_column`` (no batch copy of ``import_run``).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: rollup_log: the local days of its keyed timestamps, written by ``rollup.refresh``
DAYS = ("created_day", "mql_day", "sql_day", "customer_day")


def upgrade() -> None:
    op.add_column(
        "import_run",
        sa.Column("process", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True),
    )
    op.add_column(
        "import_run", sa.Column("heartbeat_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
    )
    op.create_table(
        "import_undo",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("written_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("entries", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["run_id"],
            ["import_run.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_import_undo_run_id", "import_undo", ["run_id"], unique=False)
    for name in DAYS:
        op.add_column("rollup_log", sa.Column(name, sa.Date(), nullable=True))
    op.create_index("ix_rollup_log_writer", "rollup_log", ["writer"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_rollup_log_writer", table_name="rollup_log")
    with op.batch_alter_table("rollup_log", schema=None) as batch_op:
        for name in reversed(DAYS):
            batch_op.drop_column(name)
    op.drop_index("ix_import_undo_run_id", table_name="import_undo")
    op.drop_table("import_undo")
    with op.batch_alter_table("import_run", schema=None) as batch_op:
        batch_op.drop_column("heartbeat_at")
        batch_op.drop_column("process")
