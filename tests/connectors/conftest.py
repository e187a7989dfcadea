"""A local HTTP server on 127.0.0.1 per test, serving a fake CRM."""

from __future__ import annotations

import re

import pytest
from pytest_httpserver import HTTPServer


@pytest.fixture
def server():
    """A threaded pytest-httpserver on 127.0.0.1; ``serve(fake)`` routes every request to
    ``fake.handle`` and returns the server's base URL."""
    httpserver = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    httpserver.start()

    def serve(fake) -> str:
        httpserver.expect_request(re.compile(".*")).respond_with_handler(fake.handle)
        return httpserver.url_for("").rstrip("/")

    httpserver.serve = serve
    yield httpserver
    httpserver.clear()
    httpserver.stop()


@pytest.fixture
def sleeps() -> list[float]:
    """The waits a connector asked for (instead of sleeping)."""
    return []
