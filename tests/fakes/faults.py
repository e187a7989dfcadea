"""What a fake answers instead of the real thing, one request at a time: an HTTP error with
its body and headers, a body that is not JSON, or no answer in time. Shared by the CRM
fakes; ``Faults.take()`` is asked before each request is served."""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections import deque
from dataclasses import dataclass, field

from werkzeug import Request, Response


@dataclass
class Fault:
    status: int = 500
    body: object = None  # JSON-able, or bytes sent as they are
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds before answering (longer than the client's timeout)
    path: str | None = None  # only requests whose path starts with this

    def response(self) -> Response:
        if self.delay:
            time.sleep(self.delay)
        data = self.body if isinstance(self.body, bytes) else json.dumps(self.body).encode()
        return Response(
            data, status=self.status, headers=self.headers, content_type="application/json"
        )


class Faults:
    """A queue of faults served before normal answers (thread-safe); ``always`` is served
    to every matching request until cleared."""

    def __init__(self) -> None:
        self._queue: deque[Fault] = deque()
        self._lock = threading.Lock()
        self.always: Fault | None = None

    def add(self, *faults: Fault) -> None:
        with self._lock:
            self._queue.extend(faults)

    def take(self, request: Request) -> Fault | None:
        with self._lock:
            if self.always is not None:
                return self.always
            if self._queue and (
                self._queue[0].path is None or request.path.startswith(self._queue[0].path)
            ):
                return self._queue.popleft()
        return None


def serve_forever(fake, port: int, host: str = "127.0.0.1") -> None:
    """Run ``fake`` (anything with ``handle(request) -> Response``) until interrupted."""
    from werkzeug.serving import make_server

    server = make_server(
        host, port, lambda env, start: fake.handle(Request(env))(env, start), threaded=True
    )
    print(f"{type(fake).__name__} on http://{host}:{server.server_port}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
