"""`python -m smarketing backup|restore|export`: copies of the database, putting one back, and
the export zip for people who leave the tool."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from smarketing import config
from smarketing.cli.args import started, warn_file_modes
from smarketing.errors import DatabaseUnavailable

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
        help="write a checked copy of the SQLite database (safe while the app runs)",
        description="A consistent copy through SQLite's online backup API, checked with "
        "PRAGMA integrity_check. For PostgreSQL it prints the pg_dump command to run instead.",
    )
    p.add_argument("out", type=Path, metavar="OUT", help="the backup file to write")
    p.add_argument("--overwrite", action="store_true", help="replace OUT if it exists")
    p = sub.add_parser(
        "restore",
        parents=[common],
        help="replace the SQLite database with a backup (stop the app first)",
        description="Checks the backup, upgrades an older schema, keeps the current database "
        "beside it as NAME.before-restore-YYYYmmddTHHMMSS.db, then swaps the backup in.",
    )
    p.add_argument("backup", type=Path, metavar="BACKUP", help="a file written by `backup`")
    p.add_argument(
        "--yes",
        action="store_true",
        help="do not ask for confirmation (required when not run from a terminal)",
    )
    p = sub.add_parser(
        "export",
        parents=[common],
        help="notes, decisions, actions, definitions, personas and briefs as CSV and "
        "Markdown in one zip",
        description="For people who leave the tool: CSV (UTF-8 with BOM) and Markdown, "
        "with a README.txt listing the files. Leads are not exported: they come from the CRM.",
    )
    p.add_argument("out", type=Path, metavar="OUT.zip", help="the zip file to write")
    p.add_argument("--overwrite", action="store_true", help="replace OUT.zip if it exists")


def _size(n: int) -> str:
    for unit in ("bytes", "kB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1000
    raise AssertionError("unreachable")


def _say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def _backup(args) -> int:
    from smarketing.ops.backup import backup_sqlite, sqlite_path
    from smarketing.store import db

    started()
    url = args.db or config.database_url()
    sqlite_path(url, args.out)  # PostgreSQL: the pg_dump command, before anything is printed
    warn_file_modes(url)
    _say(f"backing up {db.url_for_display(url)} to {args.out} …")
    result = backup_sqlite(url, args.out, overwrite=args.overwrite)
    print(
        f"backup written to {result.path}: {_size(result.size)}, {len(result.tables)} tables, "
        f"{result.rows:,} rows, schema {result.revision}, integrity check ok "
        f"({result.seconds:.1f} s)"
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
            f"error: restore replaces the database {target}: confirm with --yes "
            "(there is no terminal to ask)",
            file=sys.stderr,
        )
        return USAGE

    def confirm(info: BackupInfo) -> bool:
        if args.yes:
            return True
        _say(
            f"{info.path}: {info.rows:,} rows in {len(info.tables)} tables, schema "
            f"{info.revision}, {_size(info.size)}"
        )
        answer = input(
            f"Replace the database {target} with this backup? The current one is kept as a "
            "safety copy beside it; stop the app first. [y/N] "
        )
        return answer.strip().lower() in {"y", "yes"}

    result = restore_sqlite(args.backup, url, confirm=confirm, progress=_say)
    upgraded = f" (upgraded from {result.backup.revision})" if result.migrated else ""
    print(
        f"restored {args.backup} into {result.target}: {result.backup.rows:,} rows, schema "
        f"{result.revision}{upgraded} ({result.seconds:.1f} s); start the app again"
    )
    if result.safety_copy:
        print(f"the database as it was before is kept in {result.safety_copy}")
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
        raise DatabaseUnavailable(f"no database at {file}: nothing to export")
    engine = engine_for(args)
    _say(f"exporting {db.url_for_display(str(engine.url))} to {args.out} …")
    with Session(engine) as session:
        result = export_zip(session, args.out, now=datetime.now(UTC), overwrite=args.overwrite)
    csv_rows = sum(result.rows.values())
    print(
        f"export written to {result.path}: {len(result.rows)} CSV files ({csv_rows:,} rows), "
        f"{len(result.markdown_files)} Markdown files and README.txt, {_size(result.size)}"
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
        print(f"error: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), file=sys.stderr)
        return 1
