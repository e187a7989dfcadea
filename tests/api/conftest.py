"""The API's routes under Starlette's TestClient, on the test's fresh database, at NOW."""

from __future__ import annotations

import pytest
from sqlmodel import Session
from starlette.applications import Starlette
from starlette.testclient import TestClient

from smarketing.api.server import Server
from smarketing.auth import tokens
from smarketing.auth.permissions import CLI_ACTOR
from tests.conftest import NOW


@pytest.fixture
def clock():
    """The server's time: NOW unless a test moves it (``clock[0] = …``)."""
    return [NOW]


@pytest.fixture
def client(engine, clock):
    """A client of the API's routes (the lifespan is the real server's, not run here).
    The intake's per-process note of when each token was last stamped is emptied around
    each test: every test has a database of its own."""
    from smarketing.api import intake

    intake._stamped.clear()
    app = Starlette(routes=Server(engine, clock=lambda: clock[0]).routes())
    with TestClient(app) as c:
        yield c
    intake._stamped.clear()


@pytest.fixture
def token(engine) -> str:
    """The bearer token of the sender "website"."""
    with Session(engine) as s:
        return tokens.add_token(s, "website", actor=CLI_ACTOR)
