"""The API is answered before Streamlit's own middleware (``server.ApiFirst``): a post to
an API path never reaches the app's middleware or routes; every other request does."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from smarketing.api.server import EVENTS_PATH, HUBSPOT_PATH, Server
from tests.api.test_events_route import bearer
from tests.conftest import NOW

SEEN: list[str] = []  # the paths that reached the app's middleware


class Recorder:
    """Stands for Streamlit's middleware: notes every path that reaches it."""

    def __init__(self, app) -> None:
        self.app = app

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http":
            SEEN.append(scope["path"])
        await self.app(scope, receive, send)


def _page(_request) -> PlainTextResponse:
    return PlainTextResponse("a page")


def test_api_paths_skip_the_apps_middleware_and_other_paths_reach_it(engine, token):
    SEEN.clear()
    server = Server(engine, clock=lambda: NOW)
    app = Starlette(
        routes=[Route("/{path:path}", _page, methods=["GET", "POST"])],
        middleware=[*server.middleware(), Middleware(Recorder)],
    )
    with TestClient(app) as c:
        event = {"event_id": "ev-1", "email": "nobody@example.com", "kind": "page view"}
        assert c.post(EVENTS_PATH, json=event, headers=bearer(token)).status_code == 202
        refused = c.post(EVENTS_PATH, json=event)
        assert refused.status_code == 401 and "error" in refused.json()
        assert c.post(HUBSPOT_PATH, content=b"[]").status_code == 401
        assert c.get(EVENTS_PATH).status_code == 405  # the API's route, not the app's page
        assert c.get("/").text == "a page"
        assert c.post("/api/events/other").text == "a page"
    assert SEEN == ["/", "/api/events/other"]
