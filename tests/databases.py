"""Which database the test suite runs on: a SQLite file (default) or PostgreSQL.

``SMARKETING_TEST_DATABASE=postgresql`` (with ``SMARKETING_TEST_POSTGRES_URL`` pointing at a
server whose user may create databases) runs the same domain and page tests on PostgreSQL:
each test gets a database of its own, dropped afterwards. Migrated databases are copies of
a template migrated once per session (``CREATE DATABASE ... TEMPLATE``: ~0.1 s instead of
~0.3 s for create + migrate). Tests marked ``sqlite_only("why")`` are skipped there.
"""

from __future__ import annotations

import os
import uuid

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine, make_url

from smarketing.store.db import make_engine, upgrade_to_head

BACKENDS = ("sqlite", "postgresql")


def backend() -> str:
    """The database the suite runs on, from SMARKETING_TEST_DATABASE (default sqlite)."""
    name = os.environ.get("SMARKETING_TEST_DATABASE", "").strip().lower() or "sqlite"
    return "postgresql" if name in {"postgres", "pg"} else name


def on_postgres() -> bool:
    """True when the suite runs on PostgreSQL."""
    return backend() == "postgresql"


def postgres_server() -> str:
    """The test server's URL (SMARKETING_TEST_POSTGRES_URL), or ''."""
    return os.environ.get("SMARKETING_TEST_POSTGRES_URL", "").strip()


class PostgresDatabases:
    """Creates and drops per-test databases on one PostgreSQL server."""

    def __init__(self, server: str) -> None:
        self._server = make_url(server)
        self._admin: Engine = create_engine(server, isolation_level="AUTOCOMMIT")
        self._prefix = f"smk_test_{uuid.uuid4().hex[:8]}"
        self._template: str | None = None

    def url(self, name: str) -> str:
        """The URL of database ``name`` on the server."""
        return self._server.set(database=name).render_as_string(hide_password=False)

    def _execute(self, sql: str) -> None:
        with self._admin.connect() as conn:
            conn.execute(text(sql))

    def _template_name(self) -> str:
        if self._template is None:
            name = f"{self._prefix}_template"
            self._execute(f'CREATE DATABASE "{name}"')
            engine = make_engine(self.url(name))
            try:
                upgrade_to_head(engine)
            finally:
                engine.dispose()  # a template must have no open connections to be copied
            self._template = name
        return self._template

    def create(self, migrated: bool) -> str:
        """A new database (a copy of the migrated template, or empty); returns its URL."""
        name = f"{self._prefix}_{uuid.uuid4().hex[:12]}"
        template = f' TEMPLATE "{self._template_name()}"' if migrated else ""
        self._execute(f'CREATE DATABASE "{name}"{template}')
        return self.url(name)

    def drop(self, url: str) -> None:
        """Drop the database of ``url``, ending any connection a test left open."""
        self._execute(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')

    def close(self) -> None:
        """Drop the template and release the admin connection."""
        if self._template is not None:
            self._execute(f'DROP DATABASE IF EXISTS "{self._template}" WITH (FORCE)')
            self._template = None
        self._admin.dispose()
