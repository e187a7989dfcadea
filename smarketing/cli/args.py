"""What the command modules share: the parser class, the ``--db`` option, argument types
with one-line errors, the engine of a command, "now" and the progress bar.

Light on purpose: the standard library and ``smarketing.config`` only at the top, so the
whole parser is built without SQLAlchemy, pandas or alembic; a command's dependencies are
imported when it runs (``engine_for`` imports the store)."""

from __future__ import annotations

import argparse
import gc
import sys
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING

from smarketing import config
from smarketing.i18n import _

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine


class Parser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors are one line, ``error: …``, and exit code 2."""

    def error(self, message: str):
        print(error_line(message), file=sys.stderr)
        raise SystemExit(2)


def error_line(message: object) -> str:
    """The one line a command prints on stderr for a problem: 'error: …' (in the language
    speaking, like every message of the command line)."""
    return _("error: {message}").format(message=message)


def common() -> argparse.ArgumentParser:
    """The parent parser of every command that opens the database: ``--db URL``."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument(
        "--db",
        metavar="URL",
        help=_("database URL (default: $SMARKETING_DATABASE_URL or sqlite:///data/smarketing.db)"),
    )
    return parser


def iso_date(text: str) -> date:
    """A YYYY-MM-DD day, or an argparse error saying so."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            _("invalid date {text!r}: use YYYY-MM-DD").format(text=text)
        ) from None


def iso_datetime(text: str) -> datetime:
    """An ISO 8601 instant, or an argparse error with an example."""
    try:
        return datetime.fromisoformat(text.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            _(
                "invalid time {text!r}: use ISO 8601, e.g. 2026-11-18T12:00 or 2026-11-18T12:00Z"
            ).format(text=text)
        ) from None


def now_from(value: datetime | None) -> datetime:
    """``--now`` as an aware instant: the real time when not given, the business timezone
    when given without an offset."""
    if value is None:
        return datetime.now(UTC)
    if value.tzinfo is None:
        return value.replace(tzinfo=config.business_tz())
    return value


def engine_for(args: argparse.Namespace) -> Engine:
    """The engine of ``--db`` (or the configured URL), its schema upgraded to the newest
    migration when it is behind (a database already at head is only checked, not migrated)."""
    from smarketing.store import db

    engine = db.make_engine(args.db or config.database_url())
    db.upgrade_to_head(engine)
    warn_file_modes(engine.url)
    started()
    return engine


def warn_file_modes(url) -> None:
    """One line on stderr per private file (database, its WAL, backups kept beside it, the
    data folder, the cookie key) that group or others may read, with the chmod that fixes it.
    Nothing for PostgreSQL."""
    from smarketing.store import db

    for problem in db.mode_problems(url):
        print(_("warning: {problem}").format(problem=problem), file=sys.stderr, flush=True)


def started() -> None:
    """The command has imported what it needs: when `python -m smarketing` switched the
    garbage collector off for the start-up (``smarketing/__main__.py``), what the start-up
    made is frozen (it lives to the end and is never walked again) and the collector is
    switched back on for what the command makes. Nothing changes when it was on."""
    if not gc.isenabled():
        gc.freeze()
        gc.enable()


def progress_printer():
    """A progress callback ``(fraction, text)`` drawing a bar on stderr."""
    last = [-1]

    def show(fraction: float, text: str) -> None:
        pct = int(fraction * 100)
        if pct != last[0] and fraction > 0:
            last[0] = pct
            bar = "#" * (pct // 4)
            print(f"\r[{bar:<25}] {pct:3d}% {text[:50]:<50}", end="", file=sys.stderr, flush=True)
        if fraction >= 1:
            print(file=sys.stderr)

    return show
