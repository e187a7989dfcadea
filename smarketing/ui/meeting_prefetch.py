"""Meeting mode's prefetch: while the room reads one step, the figures of the next step are
computed into the caches in the background, so PageDown shows them at once.

Only the cached aggregates are computed (the same cached functions the step draws with, so
the next run finds them); nothing is drawn and nothing is written. A failure here is
ignored: the step computes its figures itself when it is shown.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import suppress
from datetime import date

from sqlalchemy.engine import Engine

from smarketing import i18n
from smarketing.store.models import Meeting

_lock = threading.Lock()
_threads: list[threading.Thread] = []


def start(load: Callable[[Engine, Meeting, date], None] | None, engine, meeting, day) -> None:
    """Run ``load(engine, meeting, day)`` in a daemon thread (nothing when ``load`` is None
    or the same load is still running)."""
    if load is None:
        return
    name = f"smarketing-prefetch-{meeting.id}-{load.__name__}-{day}"
    with _lock:
        _threads[:] = [t for t in _threads if t.is_alive()]
        if any(t.name == name for t in _threads):
            return
        thread = threading.Thread(
            target=_quietly,
            args=(load, engine, meeting, day, i18n.current()),
            name=name,
            daemon=True,
        )
        _threads.append(thread)
    thread.start()


def _quietly(load, engine, meeting, day, language: str) -> None:
    """Warm the room's caches in the room's language (a cache keyed by language)."""
    with suppress(Exception), i18n.language(language):  # else the step computes it itself
        load(engine, meeting, day)


def wait(timeout: float | None = None) -> None:
    """Wait until every prefetch started so far has finished (for tests and benchmarks)."""
    with _lock:
        running = list(_threads)
    for thread in running:
        thread.join(timeout)
