"""`python -m smarketing demo`: write the demo company, or remove it with --clear."""

from __future__ import annotations

import sys
import time

from smarketing.cli.args import progress_printer
from smarketing.i18n import LANGUAGES, _

COMMANDS = ("demo",)


def add_parser(sub, common) -> None:
    """Register `demo`."""
    p = sub.add_parser("demo", parents=[common], help=_("write (or --clear) the demo company"))
    p.add_argument("--leads", type=int, help=_("total leads (default about 500 a month)"))
    p.add_argument("--months", type=int, default=12, help=_("months of history (default 12)"))
    p.add_argument("--seed", type=int, default=7, help=_("random seed (default 7)"))
    p.add_argument(
        "--language",
        choices=LANGUAGES,
        help=_(
            "the language of the demo company's texts: personas, briefs, definitions, "
            "meeting notes (default: the app's language, $SMARKETING_LANGUAGE)"
        ),
    )
    p.add_argument(
        "--clear",
        action="store_true",
        help=_(
            "remove the demo company: print what goes and what stays, then remove it (what "
            "people made or changed stays, and so do users and settings)"
        ),
    )
    p.add_argument(
        "--dry-run",
        action="store_true",
        help=_("with --clear: only print what would be removed and kept"),
    )
    p.add_argument(
        "--no-starting-point",
        action="store_true",
        help=_(
            "with --clear: also remove the demo's definitions, personas and SLA agreement "
            "(kept as your starting point by default) where nobody changed them"
        ),
    )


def _clear(args, engine) -> int:
    from sqlmodel import Session

    from smarketing import formatting
    from smarketing.auth.permissions import CLI_ACTOR
    from smarketing.demo import clear_demo, has_demo, removal_plan

    keep = not args.no_starting_point
    if args.dry_run:
        with Session(engine) as s:
            there = has_demo(s)
            plan = removal_plan(s, keep_starting_point=keep)
        if not there:
            print(_("note: the database holds no demo company"), file=sys.stderr)
        print(plan.text(dry_run=True))
        print(_("dry run: nothing was removed"))
        return 0
    plan = clear_demo(engine, actor=CLI_ACTOR, keep_starting_point=keep)
    print(plan.text())
    rows = sum(plan.removed.values())
    print(_("removed the demo company ({rows} rows)").format(rows=formatting.count(rows)))
    return 0


def run(args, engine_for) -> int:
    """Write the demo company (with a progress bar), or remove it with --clear."""
    if (args.dry_run or args.no_starting_point) and not args.clear:
        print(_("error: --dry-run and --no-starting-point go with --clear"), file=sys.stderr)
        return 2
    if args.language and args.clear:
        print(_("error: --language goes with writing the demo, not --clear"), file=sys.stderr)
        return 2
    engine = engine_for(args)
    if args.clear:
        return _clear(args, engine)
    from smarketing import formatting
    from smarketing.auth.permissions import CLI_ACTOR
    from smarketing.demo import build_demo

    started = time.perf_counter()
    summary = build_demo(
        engine,
        leads=args.leads,
        months=args.months,
        seed=args.seed,
        progress=progress_printer(),
        actor=CLI_ACTOR,
        language=args.language,
    )
    print(
        _(
            "wrote the demo company: {leads} leads, {activities} activities, "
            "{campaigns} campaigns, {meetings} meetings in {seconds} s"
        ).format(
            leads=formatting.count(summary.leads),
            activities=formatting.count(summary.activities),
            campaigns=formatting.count(summary.campaigns),
            meetings=formatting.count(summary.meetings),
            seconds=formatting.decimal(time.perf_counter() - started, 1),
        )
    )
    return 0
