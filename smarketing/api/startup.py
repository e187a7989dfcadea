"""What the server does once when it starts, and the frame on its first run: the database
made ready (schema upgraded, interrupted imports undone, the demo cast named, file-mode
warnings printed) and the first-admin setup code printed while there is no user."""

from __future__ import annotations

import sys
import threading

from sqlalchemy.engine import Engine
from sqlmodel import Session

from smarketing import demo
from smarketing.auth import users
from smarketing.data_in.batches import recover_interrupted
from smarketing.i18n import _
from smarketing.store import db

_warned: set[str] = set()
_warned_lock = threading.Lock()


def ready_engine(url: str) -> Engine:
    """An engine on ``url`` with the database made ready for the app: the schema upgraded to
    the newest migration, an import whose process died half-way undone, the demo cast
    named; the private files open to others reported on the console (once per process)."""
    engine = db.make_engine(url)
    db.upgrade_to_head(engine)
    recover_interrupted(engine)
    with Session(engine) as s:  # a demo written before its cast was stored: name its people
        demo.ensure_cast(s)
    with _warned_lock:
        first = url not in _warned
        _warned.add(url)
    if first:
        for problem in db.mode_problems(url):
            warning = _("warning: {problem}").format(problem=problem)
            print(f"Smarketing: {warning}", file=sys.stderr, flush=True)
    return engine


def announce_setup_code(engine: Engine) -> bool:
    """Print the first-admin setup code to the console when there is no user yet; True if
    it did."""
    with Session(engine) as s:
        if users.user_count(s):
            return False
    users.console_setup_code()
    return True
