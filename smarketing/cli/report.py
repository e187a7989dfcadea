"""`python -m smarketing report sla|quality`: the SLA report of one period and the lead
quality of a cohort, as text, JSON or CSV."""

from __future__ import annotations

import argparse
import json
import sys

from smarketing.cli.args import Parser, error_line, iso_date, iso_datetime, now_from
from smarketing.errors import InvalidInput
from smarketing.i18n import _
from smarketing.sla.periods import PeriodKind, parse_kind, period_containing, today_local

COMMANDS = ("report",)
#: the dimensions of `report quality --by`: smarketing.quality.cohorts.DIMENSIONS (copied
#: so the parser needs no pandas; a test keeps the two equal)
DIMENSIONS = ("source", "campaign", "persona", "owner", "segment", "first_conversion")


def _period_kind(text: str) -> PeriodKind:
    try:
        return parse_kind(text)
    except InvalidInput as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _dimension(text: str) -> str:
    from smarketing.quality.cohorts import parse_dimension  # only `report quality --by`

    try:
        return parse_dimension(text)
    except InvalidInput as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_parser(sub, common) -> None:
    """Register `report sla` and `report quality`."""
    p = sub.add_parser("report", help=_("print a report: sla, quality"))
    report_sub = p.add_subparsers(
        dest="report_command", metavar="REPORT", required=True, parser_class=Parser
    )
    sla = report_sub.add_parser(
        "sla",
        parents=[common],
        help=_("the SLA report of one period (docs/metrics.md)"),
        description=_("The seven SLA metrics of the period containing --date, as of that day."),
    )
    sla.add_argument(
        "--period",
        type=_period_kind,
        default=PeriodKind.month,
        metavar="{" + ",".join(k.value for k in PeriodKind) + "}",
        help=_("period kind (default month)"),
    )
    sla.add_argument(
        "--date",
        type=iso_date,
        metavar="YYYY-MM-DD",
        help=_("the as-of day (default: today in the business timezone, $SMARKETING_TIMEZONE)"),
    )
    sla.add_argument(
        "--format",
        choices=["text", "json"],
        default="text",
        help=_("text: a readable table (default); json: the object of docs/metrics.md"),
    )
    sla.add_argument(
        "--now",
        type=iso_datetime,
        metavar="ISO-DATETIME",
        help=_(
            "the current time, for reproducible scripts and tests (default: the real time; "
            "without an offset it is read in the business timezone). It bounds which first-"
            "contact deadlines have passed, and sets today for the default --date"
        ),
    )
    quality = report_sub.add_parser(
        "quality",
        parents=[common],
        help=_("lead quality of a cohort by one dimension (docs/metrics.md)"),
        description=_(
            "Leads created from --from through --to (local days in the business "
            "timezone, inclusive), per value of --by: leads, MQLs, accepted, rejected, SQLs, "
            "opportunities, customers and the next-step conversions, with a total row."
        ),
    )
    quality.add_argument(
        "--by",
        type=_dimension,
        required=True,
        metavar="{" + ",".join(DIMENSIONS) + "}",
        help=_("the dimension to break the cohort down by"),
    )
    quality.add_argument(
        "--from",
        dest="date_from",
        type=iso_date,
        required=True,
        metavar="YYYY-MM-DD",
        help=_("first day of the cohort (created_at, local day)"),
    )
    quality.add_argument(
        "--to",
        dest="date_to",
        type=iso_date,
        required=True,
        metavar="YYYY-MM-DD",
        help=_("last day of the cohort, inclusive"),
    )
    quality.add_argument(
        "--format",
        choices=["text", "json", "csv"],
        default="text",
        help=_(
            "text: a readable table (default); json: the object of docs/metrics.md; "
            "csv: the table with every column, total row last"
        ),
    )


def _quality(args, engine_for) -> int:
    if args.date_from > args.date_to:  # a usage error, like a bad date: exit 2, no database
        problem = _("--from {start} is after --to {end}").format(
            start=args.date_from.isoformat(), end=args.date_to.isoformat()
        )
        print(error_line(problem), file=sys.stderr)
        return 2
    from sqlmodel import Session

    from smarketing.quality.cohorts import (
        Cohort,
        breakdown,
        breakdown_csv,
        reason_totals,
        report_from,
    )

    cohort = Cohort(args.date_from, args.date_to)
    engine = engine_for(args)
    with Session(engine) as s:
        frame = breakdown(s, cohort, args.by)
        reasons = reason_totals(s, cohort) if args.format == "text" else None
    if args.format == "json":
        print(json.dumps(report_from(frame, cohort, args.by), indent=2, ensure_ascii=False))
    elif args.format == "csv":
        print(breakdown_csv(frame), end="")
    else:
        from smarketing.quality.text import quality_text

        print(quality_text(frame, cohort, args.by, reasons))
    return 0


def _sla(args, engine_for) -> int:
    from sqlmodel import Session

    from smarketing.sla.metrics import sla_report

    now = now_from(args.now)
    as_of = args.date or today_local(now)
    engine = engine_for(args)
    with Session(engine) as s:
        report = sla_report(s, period_containing(args.period, as_of), now=now)
        if args.format == "json":
            print(json.dumps(report.to_json(), indent=2, ensure_ascii=False))
        else:
            from smarketing.sla.text import report_text

            print(report_text(report))
    return 0


def run(args, engine_for) -> int:
    """Print the report asked for; 2 for a cohort that ends before it starts."""
    if args.report_command == "quality":
        return _quality(args, engine_for)
    return _sla(args, engine_for)
