"""A real dispatcher process for the outbox tests: ``python -m tests.notify_processes URL
OUT START`` waits until the epoch START (so two processes begin together), then runs
``outbox.dispatch`` once with a fake sender that sleeps a little and appends one line per
message it sends — ``SUBJECT PID`` — to the file OUT (opened for appending: the lines of two
processes never mix). The tests count the lines."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from smarketing.notify import outbox
from smarketing.store.db import make_engine
from tests.conftest import NOW

ROOT = Path(__file__).resolve().parents[1]
#: How long the fake channel takes per message: long enough for two processes to overlap.
SEND_SECONDS = 0.01


def spawn(url: str, out: Path, start: float, log: Path) -> subprocess.Popen:
    """Start a dispatcher process; its own output goes to ``log``."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with log.open("w") as fh:
        return subprocess.Popen(
            [sys.executable, "-m", "tests.notify_processes", url, str(out), str(start)],
            cwd=ROOT,
            env=env,
            stdout=fh,
            stderr=subprocess.STDOUT,
        )


def main(url: str, out: str, start: float) -> int:
    engine = make_engine(url)
    pid = os.getpid()

    def send(channel, message, address, *, timeout=10.0) -> None:
        time.sleep(SEND_SECONDS)
        with open(out, "a", encoding="utf-8") as fh:
            fh.write(f"{message.subject} {pid}\n")

    time.sleep(max(0.0, start - time.time()))
    result = outbox.dispatch(engine, now=NOW, send=send)
    print(result, flush=True)
    engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1], sys.argv[2], float(sys.argv[3])))
