"""How a Smarketing process shares Python's interpreter lock among its threads.

The server runs every person's page, the event intake, the background jobs and an import
or a sync in threads of one process; the CLI's ``sync`` and ``worker`` read the next chunk
in one thread while another writes. A thread that waits in SQLite, PostgreSQL or the
network lets go of the interpreter lock, and when its answer comes it must get the lock
back: by default a busy thread keeps it for up to 5 ms first (``sys.getswitchinterval``).
A person's write sends about twenty short statements, so those waits added up to hundreds
of milliseconds while an import ran beside 20 users (benchmarks/load_test.py, docs/
performance.md). At 1 ms the busy threads hand the lock over sooner; the work they do in
all is the same (the full sync was faster too)."""

from __future__ import annotations

import sys

#: Seconds a thread keeps the interpreter lock while another asks for it (Python's default:
#: 0.005).
SWITCH_INTERVAL_S = 0.001


def share_the_interpreter() -> None:
    """Hand the interpreter lock between threads every SWITCH_INTERVAL_S (for the whole
    process: the server at start, every CLI command, the benchmarks that stand for them)."""
    sys.setswitchinterval(SWITCH_INTERVAL_S)
