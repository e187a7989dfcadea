"""`python -m smarketing minutes MEETING_ID` (the minutes as Markdown) and
`python -m smarketing meetings list` (past and planned meetings, searchable)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from smarketing.cli.args import error_line, iso_date, iso_datetime, now_from
from smarketing.errors import NotFound
from smarketing.i18n import _

#: the commands this module adds and runs
COMMANDS = ("minutes", "meetings")
#: exit code of a usage error (an unknown meeting id), like argparse's
USAGE = 2


def _meeting_id(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(
            _(
                "invalid meeting id {text!r}: a whole number "
                "(see `python -m smarketing meetings list`)"
            ).format(text=text)
        )
    return value


def add_parser(sub, common) -> None:
    """Register `minutes` and `meetings list`."""
    p = sub.add_parser(
        "minutes",
        parents=[common],
        help=_("print (or --output) a meeting's minutes as Markdown"),
        description=_(
            "The minutes of a closed meeting, with the scorecard frozen when it closed; for a "
            "meeting not closed yet, draft minutes with the scorecard as of --now."
        ),
    )
    p.add_argument("meeting_id", type=_meeting_id, metavar="MEETING_ID")
    p.add_argument("--output", type=Path, metavar="FILE", help=_("write the Markdown to FILE"))
    p.add_argument(
        "--now",
        type=iso_datetime,
        metavar="ISO-DATETIME",
        help=_(
            "for draft minutes: the time of the live scorecard (default: the real time; "
            "without an offset it is read in the business timezone)"
        ),
    )
    p = sub.add_parser("meetings", help=_("meetings: list and search"))
    actions = p.add_subparsers(dest="meetings_command", metavar="ACTION", required=True)
    q = actions.add_parser(
        "list",
        parents=[common],
        help=_("meetings newest first, optionally searched by text and date"),
        description=_(
            "Meetings newest first. --search matches title, notes, decisions and minutes, in "
            "any case."
        ),
    )
    q.add_argument("--kind", choices=("weekly", "monthly"))
    q.add_argument(
        "--search", metavar="TEXT", help=_("text in the title, notes, decisions, minutes")
    )
    q.add_argument("--from", dest="date_from", type=iso_date, metavar="YYYY-MM-DD")
    q.add_argument("--to", dest="date_to", type=iso_date, metavar="YYYY-MM-DD")
    q.add_argument("--format", choices=("text", "json"), default="text")


def _minutes(args, engine) -> int:
    from sqlmodel import Session

    from smarketing.meetings.minutes import minutes_markdown

    with Session(engine) as session:
        try:
            text = minutes_markdown(session, args.meeting_id, now=now_from(args.now))
        except NotFound as exc:
            problem = _("{problem} (see `python -m smarketing meetings list`)").format(problem=exc)
            print(error_line(problem), file=sys.stderr)
            return USAGE
    if args.output is None:
        print(text, end="")
        return 0
    try:
        args.output.write_text(text, encoding="utf-8")
    except OSError as exc:
        problem = _("cannot write {path}: {problem}").format(
            path=args.output, problem=exc.strerror or exc
        )
        print(error_line(problem), file=sys.stderr)
        return 1
    print(
        _("wrote the minutes of meeting {id} to {path}").format(
            id=args.meeting_id, path=args.output
        ),
        file=sys.stderr,
    )
    return 0


def _list(args, engine) -> int:
    from sqlmodel import Session

    from smarketing.meetings.records import search_meetings

    with Session(engine) as session:
        frame = search_meetings(
            session, text=args.search, start=args.date_from, end=args.date_to, kind=args.kind
        )
    if args.format == "json":
        records = [
            {**row, "held_on": row["held_on"].isoformat()} for row in frame.to_dict("records")
        ]
        print(json.dumps(records, indent=2, ensure_ascii=False))
        return 0
    if frame.empty:
        print(
            _("no meetings matching {text!r}").format(text=args.search)
            if args.search
            else _("no meetings")
        )
        return 0
    shown = frame.rename(columns={"held_on": "date", "found_in": "found in"})
    if not args.search:
        shown = shown.drop(columns=["found in"])
    print(shown.to_string(index=False))
    return 0


def run(args, engine_for) -> int:
    """Run `minutes` or `meetings list`; an unknown meeting id exits 2."""
    if args.command == "meetings":
        date_from, date_to = args.date_from, args.date_to
        if date_from and date_to and date_from > date_to:
            problem = _("--from {start} is after --to {end}").format(
                start=date_from.isoformat(), end=date_to.isoformat()
            )
            print(error_line(problem), file=sys.stderr)
            return USAGE
        return _list(args, engine_for(args))
    return _minutes(args, engine_for(args))
