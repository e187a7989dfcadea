"""`python -m smarketing import leads|activities FILE …`: CRM exports from the shell."""

from __future__ import annotations

import json
import os
import stat
import sys
from pathlib import Path

from smarketing import formatting
from smarketing.cli.args import error_line, iso_datetime, now_from, progress_printer, started
from smarketing.errors import InvalidInput
from smarketing.i18n import _, ngettext

COMMANDS = ("import",)
#: the readers' formats (smarketing.data_in.reading.FORMATS; a test keeps the two equal)
FORMATS = ("hubspot", "salesforce", "pipedrive", "generic")
#: the CRMs an activities file's lead ids may belong to (activities.SOURCE_SYSTEMS; a test
#: keeps the two equal)
CRMS = ("hubspot", "salesforce", "pipedrive", "csv")
#: exit code when the file could not be read at all (rejected rows are not a failure)
UNREADABLE = 2


def add_parser(sub, common) -> None:
    """Register `import leads` and `import activities`."""
    p = sub.add_parser("import", help=_("import a CRM export: leads or activities"))
    kinds = p.add_subparsers(dest="import_kind", metavar="KIND", required=True)
    for kind, text in (
        ("leads", _("a lead/contact export (HubSpot, Salesforce, Pipedrive, CSV)")),
        ("activities", _("one row per activity: lead id, time, kind, detail")),
    ):
        q = kinds.add_parser(kind, parents=[common], help=text)
        q.add_argument("file", type=Path, help=_("the CSV file"))
        if kind == "leads":
            q.add_argument(
                "--format",
                choices=("auto", *FORMATS),
                default="auto",
                help=_("the export's format (default: detected from the headers)"),
            )
        else:
            q.add_argument(
                "--crm",
                choices=CRMS,
                help=_(
                    "the CRM the lead ids belong to (default: from the lead-id header, "
                    "e.g. 'Record ID' = hubspot; a header naming no CRM, like lead_id, is read "
                    "as the only CRM whose leads are in the database, else csv)"
                ),
            )
        if kind == "leads":
            q.add_argument(
                "--mapping",
                type=Path,
                metavar="MAPPING.json",
                help=_(
                    "changes to the detected column mapping, for any format: "
                    '{"File column": "field"}; a field by name (owner, mql_at) or label '
                    '(Owner, Became MQL), "" = not imported. Columns not named keep what '
                    "was detected; see them with --show-mapping"
                ),
            )
            q.add_argument(
                "--show-mapping",
                action="store_true",
                help=_(
                    "print which column is imported into which field (and which are not) "
                    "and stop; nothing is written"
                ),
            )
        else:
            q.add_argument(
                "--mapping",
                type=Path,
                metavar="MAPPING.json",
                help=_(
                    'the column mapping: {"File column": "lead_external_id|occurred_at|'
                    'kind|detail|actor"}'
                ),
            )
        q.add_argument(
            "--tz",
            metavar="ZONE",
            help=_("timezone of times without an offset (default: the business one)"),
        )
        q.add_argument(
            "--rejects",
            type=Path,
            metavar="OUT.csv",
            help=_("write the rejected rows here, with an extra 'error' column"),
        )
        q.add_argument(
            "--warnings",
            type=Path,
            metavar="OUT.csv",
            help=_(
                "write the rows imported with a warning here (row, column, value, warning): "
                "dates far in the future, names that look misread"
            ),
        )
        q.add_argument(
            "--now",
            type=iso_datetime,
            metavar="TIME",
            help=_(
                "the import's time (ISO 8601; default: now): what it stamps on the leads, "
                "and the start of the horizon for dates in the future "
                "(SMARKETING_IMPORT_FUTURE_DAYS, default 1 day)"
            ),
        )
        q.add_argument(
            "--dry-run",
            action="store_true",
            help=_("show what would be inserted, updated and rejected; write nothing"),
        )
        q.add_argument(
            "--remove-demo",
            action="store_true",
            help=_(
                "remove the demo company first (needed while it is in the database); what "
                "people made or changed stays, and the demo's definitions, personas and SLA "
                "agreement stay as your starting point"
            ),
        )
        q.add_argument(
            "--no-starting-point",
            action="store_true",
            help=_(
                "with --remove-demo: also remove the demo's definitions, personas and SLA "
                "agreement where nobody changed them"
            ),
        )


def _mapping(path: Path | None) -> dict[str, str] | None:
    if path is None:
        return None
    try:
        mapping = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InvalidInput(
            _("cannot read the mapping {path}: {problem}").format(path=path, problem=exc)
        ) from exc
    if not isinstance(mapping, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in mapping.items()
    ):
        raise InvalidInput(
            _('{path} must be a JSON object like {{"File column": "lead field"}}').format(path=path)
        )
    return mapping


def read_file(path: Path) -> bytes:
    """The bytes of a regular file within the import's size limit. Anything else (a
    directory, ``/dev/zero``, a FIFO, a socket) is refused from ``os.stat`` before it is
    opened, and the file is opened without blocking, so nothing waits for a writer."""
    from smarketing.config import import_limits
    from smarketing.data_in.rawfile import check_size
    from smarketing.data_in.records import UnreadableFile

    info = os.stat(path)
    if not stat.S_ISREG(info.st_mode):
        message = (
            _("{path} is a directory: give the path of a CSV file")
            if stat.S_ISDIR(info.st_mode)
            else _("{path} is not a regular file: give the path of a CSV file")
        )
        raise UnreadableFile(message.format(path=path))
    limits = import_limits()
    check_size(info.st_size, path.name, limits)
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(fd, "rb") as fh:
        if not stat.S_ISREG(os.fstat(fd).st_mode):  # replaced after the stat
            raise UnreadableFile(
                _("{path} is not a regular file: give the path of a CSV file").format(path=path)
            )
        data = fh.read(limits.max_bytes + 1)  # a file that grew meanwhile is still bounded
    check_size(len(data), path.name, limits)
    return data


def _print_removal_plan(engine, keep_starting_point: bool) -> None:
    """For a dry run with --remove-demo: what removing the demo company would do."""
    from sqlmodel import Session

    from smarketing.demo import has_demo, removal_plan

    with Session(engine) as s:
        if not has_demo(s):
            return
        plan = removal_plan(s, keep_starting_point=keep_starting_point)
    print(_("The demo company would be removed first."))
    print(plan.text(dry_run=True))


def _mapping_text(parsed) -> str:
    """How the file's columns are read, one line each, for a person."""
    from smarketing.data_in.formats import column_uses

    columns = [str(c) for c in parsed.raw_rows.columns]
    uses = column_uses(parsed.format, columns, parsed.mapping)
    lines = [
        _("How the columns of {file} are read ({format}):").format(
            file=parsed.file_name, format=parsed.format
        )
    ]
    for use in uses:
        line = f"  {use.column!r} → {use.field}"
        if use.note:
            line += f" ({use.note})"
        lines.append(line)
    return "\n".join(lines)


def run(args, engine_for, progress=None) -> int:
    """Read, report problems, then import (or dry-run) and write the rejected rows (the
    reader's and the database's); 2 when the file cannot be read. ``progress`` (default: a
    bar on stderr) follows the writing."""
    from smarketing.auth.permissions import CLI_ACTOR
    from smarketing.data_in.planning import default_source_system, stored_source_systems
    from smarketing.data_in.reading import read_activities, read_leads
    from smarketing.data_in.records import UnreadableFile
    from smarketing.data_in.rejects import rejects_csv, warnings_csv
    from smarketing.data_in.upsert import import_activities, import_leads

    started()  # a large file is read before the engine is made
    if args.no_starting_point and not args.remove_demo:
        print(error_line(_("--no-starting-point goes with --remove-demo")), file=sys.stderr)
        return 2  # a usage error, as argparse's
    try:
        data = read_file(args.file)
    except OSError as exc:
        problem = _("cannot read {file}: {problem}").format(file=args.file, problem=exc.strerror)
        print(error_line(problem), file=sys.stderr)
        return UNREADABLE
    except UnreadableFile as exc:
        print(error_line(exc), file=sys.stderr)
        return UNREADABLE
    try:
        if args.import_kind == "leads":
            changes = _mapping(args.mapping)
            try:
                parsed = read_leads(
                    data, args.file.name, format=args.format, changes=changes, tz=args.tz
                )
            except UnreadableFile:
                if changes is None or args.format != "auto":
                    raise
                # no CRM recognised from the headers (no id column of any): the mapping
                # names the columns of a generic CSV
                parsed = read_leads(
                    data, args.file.name, format="generic", changes=changes, tz=args.tz
                )
            if args.show_mapping or args.dry_run:
                print(_mapping_text(parsed))
            if args.show_mapping:
                return 0
        else:
            parsed = read_activities(
                data,
                args.file.name,
                tz=args.tz,
                mapping=_mapping(args.mapping),
                source_system=args.crm,
            )
    except UnreadableFile as exc:
        print(error_line(exc), file=sys.stderr)
        return UNREADABLE
    del data  # the file's bytes are not needed while the rows are planned and written
    engine = engine_for(args)
    if args.import_kind == "activities" and args.crm is None:
        guess = parsed.source_system
        parsed.source_system = default_source_system(guess, stored_source_systems(engine))
        if parsed.source_system != guess:
            print(
                _note(
                    _(
                        "the lead ids are read as {crm} ids (the header names no CRM and only "
                        "{crm} leads are in the database); choose another with --crm"
                    ).format(crm=parsed.source_system)
                ),
                file=sys.stderr,
            )
    for warning in parsed.warnings:
        print(_note(warning), file=sys.stderr)
    _print_rejected(parsed.errors)
    action = import_leads if args.import_kind == "leads" else import_activities
    keep = not args.no_starting_point
    if args.dry_run and args.remove_demo:
        _print_removal_plan(engine, keep)
    result = action(
        engine,
        parsed,
        actor=CLI_ACTOR,
        dry_run=args.dry_run,
        remove_demo=args.remove_demo,
        keep_starting_point=keep,
        progress=None if args.dry_run else (progress or progress_printer()),
        now=now_from(args.now),
    )
    if result.demo_removal is not None:
        print(_("The demo company was removed first."))
        print(result.demo_removal.text())
    unmatched = getattr(result, "unmatched", [])
    if getattr(result, "reason_note", None):
        print(_note(result.reason_note), file=sys.stderr)
    _print_rejected(unmatched)
    from smarketing.data_in.records import UNKNOWN_LEAD  # lazily: the CLI starts light

    if args.import_kind == "activities" and any(
        getattr(e, "code", None) == UNKNOWN_LEAD for e in unmatched
    ):
        others = ", ".join(c for c in CRMS if c != parsed.source_system)
        print(
            _(
                "hint: the lead ids were matched against {crm} leads; if they are another "
                "CRM's ids, run again with --crm ({others})"
            ).format(crm=parsed.source_system, others=others),
            file=sys.stderr,
        )
    warnings = result.warnings
    for warning in warnings[:20]:
        print(_("warning: {problem}").format(problem=warning), file=sys.stderr)
    if len(warnings) > 20:
        more = _("… and {n} more").format(n=formatting.count(len(warnings) - 20))
        print(_("warning: {problem}").format(problem=more), file=sys.stderr)
    if args.warnings:
        listed = warnings_csv(warnings)
        if listed:
            _write_private(args.warnings, listed)
            print(_("warnings written to {path}").format(path=args.warnings), file=sys.stderr)
    if args.rejects:
        rejected = rejects_csv(parsed, unmatched)
        if rejected:
            _write_private(args.rejects, rejected)
            print(_("rejected rows written to {path}").format(path=args.rejects), file=sys.stderr)
    print(_summary(parsed, result, dry_run=args.dry_run, warned=bool(warnings)))
    return 0


def _note(text: object) -> str:
    return _("note: {text}").format(text=text)


def _print_rejected(errors: list, shown: int = 20) -> None:
    """The first rejected rows on stderr, then how many more there are."""
    for error in errors[:shown]:
        print(_("rejected: {problem}").format(problem=error), file=sys.stderr)
    if len(errors) > shown:
        more = ngettext("… and {n} more row", "… and {n} more rows", len(errors) - shown)
        problem = more.format(n=formatting.count(len(errors) - shown))
        print(_("rejected: {problem}").format(problem=problem), file=sys.stderr)


def _summary(parsed, result, *, dry_run: bool, warned: bool) -> str:
    """The import's last line: what was read and what happened to it."""
    figures = {
        "file": parsed.file_name,
        "format": parsed.format,
        "rows": ngettext("{n} row", "{n} rows", parsed.rows_read).format(
            n=formatting.count(parsed.rows_read)
        ),
        "inserted": formatting.count(result.inserted),
        "updated": formatting.count(result.updated),
        "unchanged": formatting.count(result.unchanged),
        "rejected": formatting.count(result.rejected),
    }
    if dry_run:
        text = _(
            "{file} ({format}, {rows}): {inserted} would be inserted, {updated} updated, "
            "{unchanged} unchanged, {rejected} rejected"
        ).format(**figures)
    else:
        text = _(
            "{file} ({format}, {rows}): {inserted} were inserted, {updated} updated, "
            "{unchanged} unchanged, {rejected} rejected"
        ).format(**figures)
    if warned:
        text += _(", {n} with warnings").format(n=formatting.count(result.warned_rows))
    if not dry_run:
        text += " " + _("in {seconds} s").format(seconds=formatting.decimal(result.seconds, 1))
    return text


def _write_private(path, data: bytes) -> None:
    """Write a rejects or warnings file 0600: it holds rows of CRM data."""
    from smarketing.store.file_modes import open_private

    with open_private(path) as out:
        out.write(data)
