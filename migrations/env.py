"""Alembic environment: runs against the engine handed over by smarketing.db (or the URL)."""

from alembic import context
from sqlmodel import SQLModel

import smarketing.store.models  # noqa: F401  (registers every table on SQLModel.metadata)
from smarketing.store.db import make_engine
from smarketing.store.models import compared_with_models

target_metadata = SQLModel.metadata


def run_migrations_online() -> None:
    engine = context.config.attributes.get("engine") or make_engine()
    with engine.begin() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
            include_object=compared_with_models,
        )
        context.run_migrations()


run_migrations_online()
