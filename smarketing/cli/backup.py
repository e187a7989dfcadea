"""`python -m smarketing backup|restore|export`: copies of the database, putting one back, and
the export zip for people who leave the tool."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from smarketing import config, formatting
from smarketing.cli.args import error_line, started, warn_file_modes
from smarketing.errors import DatabaseUnavailable
from smarketing.i18n import _, ngettext

if TYPE_CHECKING:
    from smarketing.ops.backup import BackupInfo

#: the commands this module adds and runs
COMMANDS = ("backup", "restore", "export")
#: exit code of a usage error, like argparse's
USAGE = 2


def add_parser(sub, common) -> None:
    """Register `backup`, `restore` and `export`."""
    p = sub.add_parser(
        "backup",
        parents=[common],
        help=_("write a checked copy of the SQLite database (safe while the app runs)"),
        description=_(
            "A consistent copy through SQLite's online backup API, checked with "
            "PRAGMA integrity_check. For PostgreSQL it prints the pg_dump command to run "
            "instead."
        ),
    )
    p.add_argument("out", type=Path, metavar="OUT", help=_("the backup file to write"))
    p.add_argument("--overwrite", action="store_true", help=_("replace OUT if it exists"))
    p = sub.add_parser(
        "restore",
        parents=[common],
        help=_("replace the SQLite database with a backup (stop the app first)"),
        description=_(
            "Checks the backup, upgrades an older schema, keeps the current database "
            "beside it as NAME.before-restore-YYYYmmddTHHMMSS.db, then swaps the backup in."
        ),
    )
    p.add_argument("backup", type=Path, metavar="BACKUP", help=_("a file written by `backup`"))
    p.add_argument(
        "--yes",
        action="store_true",
        help=_("do not ask for confirmation (required when not run from a terminal)"),
    )
    p = sub.add_parser(
        "export",
        parents=[common],
        help=_(
            "notes, decisions, actions, definitions, personas and briefs as CSV and "
            "Markdown in one zip"
        ),
        description=_(
            "For people who leave the tool: CSV (UTF-8 with BOM) and Markdown, with a "
            "README.txt listing the files. Leads are not exported: they come from the CRM."
        ),
    )
    p.add_argument("out", type=Path, metavar="OUT.zip", help=_("the zip file to write"))
    p.add_argument("--overwrite", action="store_true", help=_("replace OUT.zip if it exists"))


def _size(n: int) -> str:
    if n < 1000:
        return ngettext("{n} byte", "{n} bytes", n).format(n=formatting.count(n))
    for unit in ("kB", "MB", "GB"):
        n /= 1000
        if n < 1000 or unit == "GB":
            return f"{formatting.decimal(n, 1)} {unit}"
    raise AssertionError("unreachable")


def _seconds(seconds: float) -> str:
    return _("{seconds} s").format(seconds=formatting.decimal(seconds, 1))


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _tables(n: int) -> str:
    return ngettext("{n} table", "{n} tables", n).format(n=formatting.count(n))


def _rows(n: int) -> str:
    return ngettext("{n} row", "{n} rows", n).format(n=formatting.count(n))


def _backup(args) -> int:
    from smarketing.ops.backup import backup_sqlite, sqlite_path
    from smarketing.store import db

    started()
    url = args.db or config.database_url()
    sqlite_path(url, args.out)  # PostgreSQL: the pg_dump command, before anything is printed
    warn_file_modes(url)
    _say(_("backing up {url} to {out} …").format(url=db.url_for_display(url), out=args.out))
    result = backup_sqlite(url, args.out, overwrite=args.overwrite)
    print(
        _(
            "backup written to {path}: {size}, {tables}, {rows}, schema {revision}, "
            "integrity check ok ({seconds})"
        ).format(
            path=result.path,
            size=_size(result.size),
            tables=_tables(len(result.tables)),
            rows=_rows(result.rows),
            revision=result.revision,
            seconds=_seconds(result.seconds),
        )
    )
    return 0


def _restore(args) -> int:
    from smarketing.ops.backup import sqlite_path
    from smarketing.ops.restore import restore_sqlite

    started()
    url = args.db or config.database_url()
    target = sqlite_path(url, args.backup, restoring=True)
    warn_file_modes(url)
    if not args.yes and not sys.stdin.isatty():
        print(
            error_line(
                _(
                    "restore replaces the database {target}: confirm with --yes "
                    "(there is no terminal to ask)"
                ).format(target=target)
            ),
            file=sys.stderr,
        )
        return USAGE

    def confirm(info: BackupInfo) -> bool:
        if args.yes:
            return True
        _say(
            _("{path}: {rows} in {tables}, schema {revision}, {size}").format(
                path=info.path,
                rows=_rows(info.rows),
                tables=_tables(len(info.tables)),
                revision=info.revision,
                size=_size(info.size),
            )
        )
        answer = input(
            _(
                "Replace the database {target} with this backup? The current one is kept as a "
                "safety copy beside it; stop the app first. [y/N] "
            ).format(target=target)
        )
        # Translators: the answers that mean yes to a [y/N] question, separated by commas
        yes = {a.strip() for a in _("y,yes").split(",")} | {"y", "yes"}
        return answer.strip().lower() in yes

    result = restore_sqlite(args.backup, url, confirm=confirm, progress=_say)
    upgraded = (
        _(" (upgraded from {revision})").format(revision=result.backup.revision)
        if result.migrated
        else ""
    )
    print(
        _(
            "restored {backup} into {target}: {rows}, schema {revision}{upgraded} "
            "({seconds}); start the app again"
        ).format(
            backup=args.backup,
            target=result.target,
            rows=_rows(result.backup.rows),
            revision=result.revision,
            upgraded=upgraded,
            seconds=_seconds(result.seconds),
        )
    )
    if result.safety_copy:
        print(_("the database as it was before is kept in {path}").format(path=result.safety_copy))
    return 0


def _export(args, engine_for) -> int:
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError
    from sqlmodel import Session

    from smarketing.ops.export import export_zip
    from smarketing.store import db

    try:
        url = make_url(args.db or config.database_url())
    except ArgumentError:
        url = None  # engine_for says what is wrong with it
    file = url.database if url and url.get_backend_name() == "sqlite" else None
    if file and file != ":memory:" and not Path(file).is_file():
        raise DatabaseUnavailable(_("no database at {file}: nothing to export").format(file=file))
    engine = engine_for(args)
    _say(
        _("exporting {url} to {out} …").format(
            url=db.url_for_display(str(engine.url)), out=args.out
        )
    )
    with Session(engine) as session:
        result = export_zip(session, args.out, now=datetime.now(UTC), overwrite=args.overwrite)
    csv_rows = sum(result.rows.values())
    print(
        _(
            "export written to {path}: {csv_files} ({rows}), {markdown_files} and "
            "README.txt, {size}"
        ).format(
            path=result.path,
            csv_files=ngettext("{n} CSV file", "{n} CSV files", len(result.rows)).format(
                n=formatting.count(len(result.rows))
            ),
            rows=_rows(csv_rows),
            markdown_files=ngettext(
                "{n} Markdown file", "{n} Markdown files", len(result.markdown_files)
            ).format(n=formatting.count(len(result.markdown_files))),
            size=_size(result.size),
        )
    )
    return 0


def run(args, engine_for) -> int:
    """Run `backup`, `restore` or `export`; 0 done, 1 failed, 2 usage (restore not confirmed
    and no terminal to ask)."""
    try:
        match args.command:
            case "backup":
                return _backup(args)
            case "restore":
                return _restore(args)
            case _:
                return _export(args, engine_for)
    except OSError as exc:  # the domain explains its own; this is e.g. a folder gone missing
        problem = f"{exc.strerror or exc}: {exc.filename or ''}".rstrip(": ")
        print(error_line(problem), file=sys.stderr)
        return 1
