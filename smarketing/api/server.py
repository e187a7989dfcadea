"""The server of ``app.py``'s ``st.App``: its lifespan (the database made ready, the
first-admin setup code printed, the background jobs started and stopped) and its routes.

``POST /api/events`` (README, "Sending events") and ``POST /api/hubspot/webhook`` answer at
once: the request is read on the event loop, and the checks and the one small insert run
in this server's worker threads (never on the event loop, never waiting for a page).
"""

from __future__ import annotations

import asyncio
import functools
import sys
import threading
from collections.abc import AsyncIterator, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from starlette.middleware import Middleware
from starlette.middleware.exceptions import ExceptionMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route, Router
from starlette.types import ASGIApp, Receive, Scope, Send

from smarketing import config, runtime
from smarketing.api import intake, startup
from smarketing.data_in import events, hubspot_webhook
from smarketing.errors import DatabaseUnavailable, SmarketingError
from smarketing.store.models import utcnow

EVENTS_PATH = "/api/events"
HUBSPOT_PATH = "/api/hubspot/webhook"
API_PATHS = frozenset({EVENTS_PATH, HUBSPOT_PATH})
#: Worker threads for the API's checks that read the database (the inserts have a thread
#: of their own: ``intake.EventWriter``).
WORKERS = 4
#: A post this small from a trusted token is checked on the event loop (its parse is quick).
LOOP_BODY_BYTES = 16_384
#: A website form posts from its own origin: the event route answers any origin (it takes
#: a bearer token, never a cookie, so a page cannot use someone's login through it).
CORS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "POST, OPTIONS",
    "Access-Control-Allow-Headers": (
        "Authorization, Content-Type, X-Smarketing-Sender, X-Smarketing-Timestamp, "
        "X-Smarketing-Signature"
    ),
    "Access-Control-Max-Age": "86400",
}


def _start_jobs(engine: Engine) -> Any:
    """Start the scheduled jobs (the CRM sync, the event intake) in this server, unless
    ``SMARKETING_SCHEDULER=off`` (a separate worker runs them: None); what it returns is
    shut down on exit."""
    from smarketing.jobs.scheduler import start_in_server

    return start_in_server(engine)


def no_delay_on_accepted_sockets() -> None:
    """Send small answers at once (TCP_NODELAY) on every connection the server accepts.

    asyncio sets TCP_NODELAY only on sockets whose ``proto`` is IPPROTO_TCP; Streamlit 1.67
    binds its listening socket with ``socket.socket(family=…)`` (proto 0), so the sockets
    it accepts keep Nagle's algorithm on: every answer on a kept-alive connection (headers
    and body are two writes) then waits for the client's delayed ACK, 40 ms on Linux —
    measured on /api/events and on /_stcore/health alike. Called at server start, before
    the first connection is accepted."""
    import asyncio.base_events as base_events
    import socket

    original = getattr(base_events, "_set_nodelay", None)
    if original is None or getattr(original, "_smarketing", False):
        return  # (another Python's asyncio: its own default stays)

    def set_nodelay(sock: socket.socket) -> None:
        if sock.family in {socket.AF_INET, socket.AF_INET6} and sock.type == socket.SOCK_STREAM:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        else:
            original(sock)

    set_nodelay._smarketing = True  # type: ignore[attr-defined]
    base_events._set_nodelay = set_nodelay


def _say(text: str) -> None:
    print(f"Smarketing: {text}", file=sys.stderr, flush=True)


def _unavailable(exc: BaseException) -> intake.Answer:
    """503 for a request the database could not serve (the reason goes to the log)."""
    _say(f"an API request failed on the database: {exc}")
    return 503, {"error": "the database is unavailable; try again later"}


class ApiFirst:
    """ASGI middleware: a request to one of the API's paths goes straight to ``api`` (a
    router of the API's routes), every other request on to Streamlit.

    Streamlit's middleware (its path checks for static files, its session cookie, gzip) is
    for the pages and their files; run for each of 550 event posts a second, it was a third
    of the server's interpreter time spent on the posts (``benchmarks/bench_events.py``), and
    a post waits for the interpreter while a page is being computed."""

    def __init__(self, app: ASGIApp, api: ASGIApp) -> None:
        self.app, self.api = app, api

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] in API_PATHS:
            await self.api(scope, receive, send)
        else:
            await self.app(scope, receive, send)


class Server:
    """The API and start-up of one server process. ``engine`` given (tests): used as is;
    otherwise made ready from ``url`` (default: the configured database) at start.
    ``clock`` says what time it is (signature ages, arrival times)."""

    def __init__(
        self,
        engine: Engine | None = None,
        *,
        url: str | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._engine = engine
        self._url = url
        self._clock = clock
        self._lock = threading.Lock()
        self._pool: ThreadPoolExecutor | None = None
        self._trusted = intake.TrustedTokens()
        self._event_writer: intake.EventWriter | None = None
        self.jobs: Any = None

    def engine(self) -> Engine:
        """The server's engine, made ready on first use (at start, by the lifespan)."""
        if self._engine is None:
            with self._lock:
                if self._engine is None:
                    self._engine = startup.ready_engine(self._url or config.database_url())
        return self._engine

    async def _run(self, work: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if self._pool is None:
            with self._lock:
                if self._pool is None:
                    self._pool = ThreadPoolExecutor(WORKERS, thread_name_prefix="smarketing-api")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, functools.partial(work, *args, **kwargs))

    # --- lifespan ------------------------------------------------------------------------

    @asynccontextmanager
    async def lifespan(self, _app: object = None) -> AsyncIterator[None]:
        """Start: the database made ready, the setup code printed when there is no user,
        the jobs started; exit: the jobs shut down, the worker threads ended."""
        no_delay_on_accepted_sockets()
        runtime.share_the_interpreter()
        try:
            engine = await self._run(self.engine)
            await self._run(startup.announce_setup_code, engine)
            self.jobs = _start_jobs(engine)
        except (SmarketingError, DBAPIError) as exc:  # the pages say what is wrong
            _say(f"the database is not ready at start: {exc}")
        try:
            yield None
        finally:
            if self.jobs is not None:
                await asyncio.get_running_loop().run_in_executor(None, self.jobs.shutdown)
                self.jobs = None
            if self._event_writer is not None:
                await asyncio.get_running_loop().run_in_executor(None, self._event_writer.close)
                self._event_writer = None
            if self._pool is not None:
                self._pool.shutdown(wait=False, cancel_futures=True)
                self._pool = None

    # --- routes --------------------------------------------------------------------------

    def routes(self) -> list[Route]:
        """The API's routes (served by :meth:`middleware`)."""
        return [
            Route(EVENTS_PATH, self.post_events, methods=["POST", "OPTIONS"]),
            Route(HUBSPOT_PATH, self.hubspot_webhook, methods=["POST"]),
        ]

    def middleware(self) -> list[Middleware]:
        """For ``st.App(middleware=...)``: the API's routes, answered before Streamlit's
        own middleware (see :class:`ApiFirst`)."""
        # (ExceptionMiddleware: a wrong method is answered 405, as Starlette's app would)
        api = ExceptionMiddleware(Router(routes=self.routes()))
        return [Middleware(ApiFirst, api=api)]

    async def _answer(self, work: Callable[..., intake.Answer], **kwargs: Any) -> Response:
        try:
            status, body = await self._run(lambda: work(self.engine(), now=self._clock(), **kwargs))
        except (DatabaseUnavailable, DBAPIError) as exc:
            status, body = _unavailable(exc)
        if body is None:
            return Response(status_code=status)
        return JSONResponse(body, status_code=status)

    async def post_events(self, request: Request) -> Response:
        """``POST /api/events``: 202, 400 (with the reasons), 401, 413 or 503."""
        if request.method == "OPTIONS":
            return Response(status_code=204, headers=CORS)
        body = await _read_limited(request, events.MAX_BODY_BYTES)
        if body is None:
            response: Response = JSONResponse(
                {"error": f"the body is larger than {events.MAX_BODY_BYTES:,} bytes"}, 413
            )
        else:
            response = await self._accept_events(request, body)
        response.headers.update(CORS)
        return response

    async def _accept_events(self, request: Request, body: bytes) -> Response:
        """The checks (on the event loop when they need no database: a trusted bearer token
        and a small body; else in a worker thread), then the insert by the writer."""
        h = request.headers
        now = self._clock()
        check = functools.partial(
            intake.check_events,
            authorization=h.get("authorization"),
            sender=h.get("x-smarketing-sender"),
            timestamp=h.get("x-smarketing-timestamp"),
            signature=h.get("x-smarketing-signature"),
            body=body,
            now=now,
            trusted=self._trusted,
        )
        try:
            bearer = intake.bearer_of(h.get("authorization"))
            known = self._trusted.sender(bearer) if bearer else None
            if known is not None and len(body) <= LOOP_BODY_BYTES:
                checked = check(self._engine, known=known)  # (no database read)
            else:
                checked = await self._run(check, self.engine())
            if isinstance(checked, intake.Accepted):
                stored = await asyncio.wrap_future(self._writer().submit(checked, now))
                checked = intake.answer(stored)
        except (DatabaseUnavailable, DBAPIError) as exc:
            checked = _unavailable(exc)
        status, answer = checked
        return JSONResponse(answer, status_code=status)

    def _writer(self) -> intake.EventWriter:
        if self._event_writer is None:
            with self._lock:
                if self._event_writer is None:
                    self._event_writer = intake.EventWriter(self.engine())
        return self._event_writer

    async def hubspot_webhook(self, request: Request) -> Response:
        """``POST /api/hubspot/webhook``: 204 (a sync asked for), 400, 401 or 503."""
        body = await _read_limited(request, hubspot_webhook.MAX_BODY_BYTES)
        if body is None:
            return JSONResponse({"error": "the body is too large"}, 413)
        return await self._answer(
            intake.accept_hubspot_webhook,
            method=request.method,
            uri=_full_uri(request),
            body=body,
            signature=request.headers.get(hubspot_webhook.SIGNATURE_HEADER),
            timestamp=request.headers.get(hubspot_webhook.TIMESTAMP_HEADER),
        )


async def _read_limited(request: Request, limit: int) -> bytes | None:
    """The request body, or None when it is larger than ``limit`` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return None
    parts, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return None
        parts.append(chunk)
    return b"".join(parts)


def _full_uri(request: Request) -> str:
    """The URI HubSpot called: SMARKETING_PUBLIC_URL with the path, else the request's."""
    public = config.public_url()
    if public is None:
        return str(request.url)
    query = request.url.query
    return public + request.url.path + (f"?{query}" if query else "")
