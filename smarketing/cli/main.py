"""The command line: `python -m smarketing COMMAND …` (see --help).

Every command group is a module of this package with ``COMMANDS`` (the names it adds),
``add_parser(sub, common)`` and ``run(args, engine_for) -> exit code``. Building the parser
imports those modules, which import only the standard library and light smarketing modules
at the top; what a command needs (SQLAlchemy, the models, pandas, alembic …) is imported
inside its ``run``, so `--help` and a report do not pay for every other command."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from smarketing.cli import (
    backup,
    demo,
    hot_leads,
    imports,
    init,
    meetings,
    notify,
    report,
    sla,
    sources,
    tokens,
    users,
    worker,
)
from smarketing.cli.args import Parser, common, engine_for, error_line
from smarketing.errors import SmarketingError
from smarketing.i18n import _

#: The command groups, in the order --help lists them.
GROUPS = (
    init,
    demo,
    users,
    tokens,
    report,
    sla,
    imports,
    sources,
    hot_leads,
    notify,
    backup,
    meetings,
    worker,
)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every command."""
    parser = Parser(
        prog="python -m smarketing",
        description=_("Smarketing: the marketing–sales SLA, lead quality and meetings."),
    )
    sub = parser.add_subparsers(
        dest="command", metavar="COMMAND", required=True, parser_class=Parser
    )
    shared = common()
    for group in GROUPS:
        group.add_parser(sub, shared)
    return parser


def _group(command: str):
    return next(group for group in GROUPS if command in group.COMMANDS)


def _database_error(exc: Exception) -> bool:
    """True for an SQLAlchemy error. SQLAlchemy is imported only by commands that use the
    database: when it was never imported, the error cannot be one of its."""
    sqlalchemy_exc = sys.modules.get("sqlalchemy.exc")
    return sqlalchemy_exc is not None and isinstance(exc, sqlalchemy_exc.SQLAlchemyError)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; user errors print one line and return non-zero."""
    args = build_parser().parse_args(argv)
    try:
        return _group(args.command).run(args, engine_for)
    except SmarketingError as exc:
        print(error_line(exc), file=sys.stderr)
        return 1
    except BrokenPipeError:  # e.g. piped into `head`: the reader has what it wanted
        sys.stderr.close()
        return 0
    except (KeyboardInterrupt, EOFError):
        print(_("interrupted"), file=sys.stderr)
        return 130
    except Exception as exc:
        if not _database_error(exc):
            raise
        print(
            error_line(_("database: {problem}").format(problem=getattr(exc, "orig", exc))),
            file=sys.stderr,
        )
        return 1
