"""A remote image typed into a persona is never requested by the reader's browser — unless its
host is in SMARKETING_IMAGE_HOSTS. The "remote host" is a small HTTP server on 127.0.0.1 that
logs every request; the browser's own request log (Playwright) must agree with it."""

from __future__ import annotations

import base64
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlmodel import Session

from scripts.browser_tour import log_in
from smarketing.auth import users
from smarketing.auth.permissions import CLI_ACTOR, Actor
from smarketing.content import personas
from smarketing.store.db import make_engine, upgrade_to_head
from tests.e2e.conftest import PASSWORD, settle, streamlit_app

pytestmark = pytest.mark.browser

#: A 1x1 transparent PNG.
PIXEL = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="
)


@contextmanager
def remote_host() -> Iterator[tuple[int, list[str]]]:
    """An HTTP server on a free 127.0.0.1 port that answers every GET with PIXEL; yields
    its port and the list of paths requested so far."""
    requested: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):
            requested.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.send_header("Content-Length", str(len(PIXEL)))
            self.end_headers()
            self.wfile.write(PIXEL)

        def log_message(self, *args):  # keep the test output quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_address[1], requested
    finally:
        server.shutdown()
        server.server_close()


def _database(folder, port: int) -> str:
    """A database with mia (marketing) and a persona whose goals hold two remote images."""
    url = f"sqlite:///{folder / 'images.db'}"
    engine = make_engine(url)
    upgrade_to_head(engine)
    with Session(engine) as s:
        users.add_user(
            s,
            actor=CLI_ACTOR,
            username="mia",
            name="Mia",
            email="mia@example.com",
            roles=["marketing"],
            password=PASSWORD,
        )
        personas.save_persona(
            s,
            actor=Actor.of("mia", {"marketing"}),
            persona_id=None,
            fields={
                "name": "Ops Olga",
                "goals": (
                    f"Fewer tools ![pixel](http://127.0.0.1:{port}/pixel.png) and "
                    f"![logo][l]\n\n[l]: //127.0.0.1:{port}/ref.png"
                ),
            },
        )
    engine.dispose()
    return url


def _open_personas(browser, base: str) -> tuple[object, list[str]]:
    """Log mia in, open Personas; returns the page and every URL the browser requested."""
    context = browser.new_context(viewport={"width": 1280, "height": 720})
    page = context.new_page()
    seen: list[str] = []
    page.on("request", lambda request: seen.append(request.url))
    log_in(page, base, "mia", PASSWORD)
    page.goto(f"{base}/personas")
    settle(page)
    page.get_by_text("Ops Olga").first.wait_for(timeout=20000)
    return page, seen


def _wait_for(condition, timeout: float = 10) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return condition()


@pytest.mark.parametrize("allowed", [False, True], ids=["host not allowed", "host allowed"])
def test_a_remote_image_is_requested_only_from_an_allowed_host(browser, tmp_path, allowed):
    with remote_host() as (port, requested):
        url = _database(tmp_path, port)
        extra = {"SMARKETING_IMAGE_HOSTS": f"127.0.0.1:{port}"} if allowed else {}
        with streamlit_app(url, tmp_path, **extra) as base:
            page, seen = _open_personas(browser, base)
            remote = f"127.0.0.1:{port}/"
            if allowed:
                assert _wait_for(lambda: {"/pixel.png", "/ref.png"} <= set(requested))
                assert any(remote + "pixel.png" in u for u in seen), seen
                assert page.locator(f'img[src="http://{remote}pixel.png"]').count() == 1
            else:
                page.wait_for_timeout(2000)  # time for any image to be fetched
                assert requested == [], "the remote host was asked for the image"
                assert not [u for u in seen if remote in u], "the browser requested the image"
                assert page.locator("img[src*='pixel.png'], img[src*='ref.png']").count() == 0
                link = page.get_by_role("link", name=f"🖼 image: pixel (127.0.0.1:{port})")
                assert link.get_attribute("href") == f"http://{remote}pixel.png"
                page.get_by_role("link", name=f"🖼 image: logo (127.0.0.1:{port})").wait_for()
            page.context.close()
