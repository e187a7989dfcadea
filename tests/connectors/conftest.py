"""A local HTTP server on 127.0.0.1, serving a fake CRM."""

from __future__ import annotations

import re

import pytest
from pytest_httpserver import HTTPServer


@pytest.fixture(scope="module")
def _httpserver():
    httpserver = HTTPServer(host="127.0.0.1", port=0, threaded=True)
    httpserver.start()
    yield httpserver
    httpserver.clear()
    httpserver.stop()


@pytest.fixture
def server(_httpserver):
    """A threaded pytest-httpserver on 127.0.0.1 (one per test module, its handlers reset
    per test); ``server.serve(fake)`` routes every request to ``fake.handle`` and returns
    the server's base URL."""
    _httpserver.clear()

    def serve(fake) -> str:
        _httpserver.expect_request(re.compile(".*")).respond_with_handler(fake.handle)
        return _httpserver.url_for("").rstrip("/")

    _httpserver.serve = serve
    yield _httpserver
    _httpserver.clear()


@pytest.fixture
def sleeps() -> list[float]:
    """The waits a connector asked for (instead of sleeping)."""
    return []
