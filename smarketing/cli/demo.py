"""`python -m smarketing demo`: write the demo company, or remove it with --clear."""

from __future__ import annotations

import sys
import time

from smarketing.cli.args import progress_printer

COMMANDS = ("demo",)


def add_parser(sub, common) -> None:
    """Register `demo`."""
    p = sub.add_parser("demo", parents=[common], help="write (or --clear) the demo company")
    p.add_argument("--leads", type=int, help="total leads (default about 500 a month)")
    p.add_argument("--months", type=int, default=12, help="months of history (default 12)")
    p.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    p.add_argument(
        "--clear",
        action="store_true",
        help="remove the demo company: print what goes and what stays, then remove it (what "
        "people made or changed stays, and so do users and settings)",
    )
    p.add_argument(
        "--dry-run",
        action="store_true",
        help="with --clear: only print what would be removed and kept",
    )
    p.add_argument(
        "--no-starting-point",
        action="store_true",
        help="with --clear: also remove the demo's definitions, personas and SLA agreement "
        "(kept as your starting point by default) where nobody changed them",
    )


def _clear(args, engine) -> int:
    from sqlmodel import Session

    from smarketing.auth.permissions import CLI_ACTOR
    from smarketing.demo import clear_demo, has_demo, removal_plan

    keep = not args.no_starting_point
    if args.dry_run:
        with Session(engine) as s:
            there = has_demo(s)
            plan = removal_plan(s, keep_starting_point=keep)
        if not there:
            print("note: the database holds no demo company", file=sys.stderr)
        print(plan.text(dry_run=True))
        print("dry run: nothing was removed")
        return 0
    plan = clear_demo(engine, actor=CLI_ACTOR, keep_starting_point=keep)
    print(plan.text())
    print(f"removed the demo company ({sum(plan.removed.values()):,} rows)")
    return 0


def run(args, engine_for) -> int:
    """Write the demo company (with a progress bar), or remove it with --clear."""
    if (args.dry_run or args.no_starting_point) and not args.clear:
        print("error: --dry-run and --no-starting-point go with --clear", file=sys.stderr)
        return 2
    engine = engine_for(args)
    if args.clear:
        return _clear(args, engine)
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
    )
    print(
        f"wrote the demo company: {summary.leads} leads, {summary.activities} activities, "
        f"{summary.campaigns} campaigns, {summary.meetings} meetings in "
        f"{time.perf_counter() - started:.1f} s"
    )
    return 0
