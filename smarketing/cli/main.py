"""The command line: `python -m smarketing COMMAND …` (see --help)."""

from __future__ import annotations

import argparse
import getpass
import json
import math
import sys
import time
from collections.abc import Sequence
from datetime import UTC, date, datetime

from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from smarketing import config, demo
from smarketing.auth import users
from smarketing.auth.permissions import CLI_ACTOR, Actor, require
from smarketing.cli import backup as cli_backup
from smarketing.cli import hot_leads as cli_hot_leads
from smarketing.cli import imports as cli_imports
from smarketing.cli import meetings as cli_meetings
from smarketing.cli.args import iso_date, iso_datetime
from smarketing.errors import InvalidInput, PermissionDenied, SmarketingError
from smarketing.quality.cohorts import (
    DIMENSIONS,
    Cohort,
    breakdown,
    breakdown_csv,
    parse_dimension,
    reason_totals,
)
from smarketing.quality.cohorts import report_from as quality_report_from
from smarketing.quality.text import quality_text
from smarketing.sla.agreements import (
    TARGET_LIMITS,
    agreement_history,
    checked_targets,
    confirm_agreement,
    current_targets,
    propose_agreement,
)
from smarketing.sla.metrics import sla_report
from smarketing.sla.periods import PeriodKind, parse_kind, period_containing, today_local
from smarketing.sla.text import change_text, history_text, report_text
from smarketing.store import db
from smarketing.store.models import Role, Team


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose usage errors are one line, ``error: …``, and exit code 2."""

    def error(self, message: str):
        print(f"error: {message}", file=sys.stderr)
        raise SystemExit(2)


def _period_kind(text: str) -> PeriodKind:
    try:
        return parse_kind(text)
    except InvalidInput as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _dimension(text: str) -> str:
    try:
        return parse_dimension(text)
    except InvalidInput as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _number(text: str) -> int | float:
    """A whole number stays an int (so messages echo what was typed); else a finite float."""
    try:
        return int(text)
    except ValueError:
        pass
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"invalid number {text!r}")
    return value


#: `sla set` option → agreement target (TARGET_LIMITS says what each must be).
TARGET_OPTIONS = {
    "--mql-target": "mql_target",
    "--acceptance-rate-target": "acceptance_rate_target",
    "--response-hours": "response_hours",
    "--contacted-within-sla-target": "contacted_within_sla_target",
    "--sql-target": "sql_target",
    "--close-rate-target": "close_rate_target",
    "--customer-target": "customer_target",
}


def _common() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--db",
        metavar="URL",
        help="database URL (default: $SMARKETING_DATABASE_URL or sqlite:///data/smarketing.db)",
    )
    return common


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every command."""
    common = _common()
    parser = _Parser(
        prog="python -m smarketing",
        description="Smarketing: the marketing–sales SLA, lead quality and meetings.",
    )
    sub = parser.add_subparsers(
        dest="command", metavar="COMMAND", required=True, parser_class=_Parser
    )

    sub.add_parser("init", parents=[common], help="create or upgrade the database schema")

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

    p = sub.add_parser("users", help="manage users: add, list, set-password, disable, enable")
    users_sub = p.add_subparsers(dest="users_command", metavar="ACTION", required=True)
    add = users_sub.add_parser("add", parents=[common], help="add a user")
    add.add_argument("username")
    add.add_argument("--name", required=True, help="full name")
    add.add_argument("--email", required=True)
    add.add_argument(
        "--role",
        action="append",
        required=True,
        choices=[r.value for r in Role],
        help="a role; repeat for several",
    )
    add.add_argument("--password-stdin", action="store_true", help="read the password from stdin")
    users_sub.add_parser("list", parents=[common], help="list users")
    setpw = users_sub.add_parser("set-password", parents=[common], help="set a new password")
    setpw.add_argument("username")
    setpw.add_argument("--password-stdin", action="store_true")
    for name, text in (("disable", "disable a user"), ("enable", "enable a disabled user")):
        q = users_sub.add_parser(name, parents=[common], help=text)
        q.add_argument("username")
    _add_report(sub, common)
    _add_sla(sub, common)
    cli_imports.add_parser(sub, common)
    cli_hot_leads.add_parser(sub, common)
    cli_backup.add_parser(sub, common)
    cli_meetings.add_parser(sub, common)
    return parser


def _add_report(sub, common) -> None:
    p = sub.add_parser("report", help="print a report: sla, quality")
    report_sub = p.add_subparsers(
        dest="report_command", metavar="REPORT", required=True, parser_class=_Parser
    )
    sla = report_sub.add_parser(
        "sla",
        parents=[common],
        help="the SLA report of one period (docs/metrics.md)",
        description="The seven SLA metrics of the period containing --date, as of that day.",
    )
    sla.add_argument(
        "--period",
        type=_period_kind,
        default=PeriodKind.month,
        metavar="{" + ",".join(k.value for k in PeriodKind) + "}",
        help="period kind (default month)",
    )
    sla.add_argument(
        "--date",
        type=iso_date,
        metavar="YYYY-MM-DD",
        help="the as-of day (default: today in the business timezone, $SMARKETING_TIMEZONE)",
    )
    sla.add_argument(
        "--format",
        choices=["text", "json"],
        default="text",
        help="text: a readable table (default); json: the object of docs/metrics.md",
    )
    sla.add_argument(
        "--now",
        type=iso_datetime,
        metavar="ISO-DATETIME",
        help="the current time, for reproducible scripts and tests (default: the real time; "
        "without an offset it is read in the business timezone). It bounds which first-"
        "contact deadlines have passed, and sets today for the default --date",
    )
    quality = report_sub.add_parser(
        "quality",
        parents=[common],
        help="lead quality of a cohort by one dimension (docs/metrics.md)",
        description="Leads created from --from through --to (local days in the business "
        "timezone, inclusive), per value of --by: leads, MQLs, accepted, rejected, SQLs, "
        "opportunities, customers and the next-step conversions, with a total row.",
    )
    quality.add_argument(
        "--by",
        type=_dimension,
        required=True,
        metavar="{" + ",".join(DIMENSIONS) + "}",
        help="the dimension to break the cohort down by",
    )
    quality.add_argument(
        "--from",
        dest="date_from",
        type=iso_date,
        required=True,
        metavar="YYYY-MM-DD",
        help="first day of the cohort (created_at, local day)",
    )
    quality.add_argument(
        "--to",
        dest="date_to",
        type=iso_date,
        required=True,
        metavar="YYYY-MM-DD",
        help="last day of the cohort, inclusive",
    )
    quality.add_argument(
        "--format",
        choices=["text", "json", "csv"],
        default="text",
        help="text: a readable table (default); json: the object of docs/metrics.md; "
        "csv: the table with every column, total row last",
    )


def _add_sla(sub, common) -> None:
    p = sub.add_parser("sla", help="the SLA agreement: set, confirm, history")
    sla_sub = p.add_subparsers(
        dest="sla_command", metavar="ACTION", required=True, parser_class=_Parser
    )
    put = sla_sub.add_parser(
        "set",
        parents=[common],
        help="propose a new agreement version (and optionally confirm it)",
        description="Propose a new SLA agreement version. Targets not given are taken from "
        "the agreement in effect on the effective date; with none in effect, give them all. "
        "The version is in effect once a marketing user and a sales user have confirmed it.",
    )
    put.add_argument("--effective-from", type=iso_date, required=True, metavar="YYYY-MM-DD")
    put.add_argument("--reason", required=True, help="why the agreement changes (kept)")
    for option, key in TARGET_OPTIONS.items():
        put.add_argument(
            option,
            dest=key,
            type=_number,
            metavar="N",
            help=f"{key}: " + TARGET_LIMITS[key].replace("%", "%%"),
        )
    for team in (Team.marketing, Team.sales):
        put.add_argument(
            f"--confirm-{team.value}",
            metavar="USERNAME",
            help=f"then confirm for {team.value} as this user (who must have that role)",
        )
    confirm = sla_sub.add_parser(
        "confirm", parents=[common], help="confirm a version for marketing or sales"
    )
    confirm.add_argument("version", type=int)
    confirm.add_argument("--team", required=True, choices=[t.value for t in Team])
    confirm.add_argument("--user", required=True, metavar="USERNAME", help="who confirms")
    history = sla_sub.add_parser(
        "history", parents=[common], help="every agreement version, newest first"
    )
    history.add_argument("--format", choices=["text", "json"], default="text")


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise SmarketingError(
            "no terminal to ask for the password: pipe it in with --password-stdin"
        )
    first = getpass.getpass("Password: ")
    if getpass.getpass("Repeat password: ") != first:
        raise SmarketingError("the two passwords differ")
    return first


def _engine(args):
    engine = db.make_engine(args.db or config.database_url())
    db.upgrade_to_head(engine)
    return engine


def _progress_printer():
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


def _cmd_init(args) -> int:
    engine = _engine(args)
    print(
        f"database ready at {db.url_for_display(str(engine.url))}, schema "
        f"{db.current_revision(engine)}"
    )
    return 0


def _cmd_demo(args) -> int:
    if (args.dry_run or args.no_starting_point) and not args.clear:
        print("error: --dry-run and --no-starting-point go with --clear", file=sys.stderr)
        return 2
    engine = _engine(args)
    if args.clear:
        keep = not args.no_starting_point
        if args.dry_run:
            with Session(engine) as s:
                there = demo.has_demo(s)
                plan = demo.removal_plan(s, keep_starting_point=keep)
            if not there:
                print("note: the database holds no demo company", file=sys.stderr)
            print(plan.text(dry_run=True))
            print("dry run: nothing was removed")
            return 0
        plan = demo.clear_demo(engine, actor=CLI_ACTOR, keep_starting_point=keep)
        print(plan.text())
        print(f"removed the demo company ({sum(plan.removed.values()):,} rows)")
        return 0
    started = time.perf_counter()
    summary = demo.build_demo(
        engine,
        leads=args.leads,
        months=args.months,
        seed=args.seed,
        progress=_progress_printer(),
        actor=CLI_ACTOR,
    )
    print(
        f"wrote the demo company: {summary.leads} leads, {summary.activities} activities, "
        f"{summary.campaigns} campaigns, {summary.meetings} meetings in "
        f"{time.perf_counter() - started:.1f} s"
    )
    return 0


def _cmd_users(args) -> int:
    engine = _engine(args)
    with Session(engine, expire_on_commit=False) as s:
        match args.users_command:
            case "add":
                user = users.add_user(
                    s,
                    actor=CLI_ACTOR,
                    username=args.username,
                    name=args.name,
                    email=args.email,
                    roles=args.role,
                    password=_password(args.password_stdin),
                )
                print(f"added {user.username} ({user.roles})")
            case "list":
                table = users.users_table(s)
                if table.empty:
                    print("no users yet")
                else:
                    shown = table.drop(columns=["last_login"]).rename(
                        columns=lambda c: c.replace("_", " ")
                    )
                    print(shown.to_string(index=False))
            case "set-password":
                users.set_password(
                    s,
                    actor=CLI_ACTOR,
                    username=args.username,
                    password=_password(args.password_stdin),
                )
                print(f"password of {args.username} changed; the account is unlocked")
            case "disable" | "enable":
                users.set_disabled(
                    s,
                    actor=CLI_ACTOR,
                    username=args.username,
                    disabled=args.users_command == "disable",
                )
                print(f"{args.username} {args.users_command}d")
    return 0


def _now(args) -> datetime:
    if args.now is None:
        return datetime.now(UTC)
    if args.now.tzinfo is None:
        return args.now.replace(tzinfo=config.business_tz())
    return args.now


def _report_quality(args) -> int:
    if args.date_from > args.date_to:  # a usage error, like a bad date: exit 2, no database
        print(
            f"error: --from {args.date_from.isoformat()} is after --to {args.date_to.isoformat()}",
            file=sys.stderr,
        )
        return 2
    cohort = Cohort(args.date_from, args.date_to)
    engine = _engine(args)
    with Session(engine) as s:
        frame = breakdown(s, cohort, args.by)
        reasons = reason_totals(s, cohort) if args.format == "text" else None
    if args.format == "json":
        print(json.dumps(quality_report_from(frame, cohort, args.by), indent=2, ensure_ascii=False))
    elif args.format == "csv":
        print(breakdown_csv(frame), end="")
    else:
        print(quality_text(frame, cohort, args.by, reasons))
    return 0


def _cmd_report(args) -> int:
    if args.report_command == "quality":
        return _report_quality(args)
    now = _now(args)
    as_of = args.date or today_local(now)
    engine = _engine(args)
    with Session(engine) as s:
        report = sla_report(s, period_containing(args.period, as_of), now=now)
        if args.format == "json":
            print(json.dumps(report.to_json(), indent=2, ensure_ascii=False))
        else:
            print(report_text(report))
    return 0


def _actor(session: Session, username: str, team: str) -> Actor:
    """The user as an actor, checked for the right to confirm for ``team``."""
    user = users.get_user(session, username)
    if user.disabled:
        raise PermissionDenied(f"{user.username} is disabled")
    actor = Actor.of(user.username, user.role_list)
    require(actor, f"sla.confirm_{team}")
    return actor


def _state(session: Session, version: int) -> str:
    entry = next(h for h in agreement_history(session) if h["version"] == version)
    if entry["state"] == "in effect":
        return f"in effect from {entry['effective_from'].isoformat()}"
    waiting = [t for t in ("marketing", "sales") if not entry[f"{t}_confirmed"]]
    return "awaiting confirmation by " + " and ".join(waiting)


def _sla_set(s: Session, args) -> None:
    given = {key: getattr(args, key) for key in TARGET_LIMITS if getattr(args, key) is not None}
    base = current_targets(s, args.effective_from)
    if base is None:
        missing = [o for o, key in TARGET_OPTIONS.items() if key not in given]
        if missing:
            raise InvalidInput(
                f"no agreement is in effect on {args.effective_from.isoformat()} to start "
                f"from: give every target; missing {', '.join(missing)}"
            )
        base = {}
    targets = checked_targets(base | given).model_dump()  # InvalidInput before anything else
    confirmers = [
        (team, _actor(s, username, team))
        for team in ("marketing", "sales")
        if (username := getattr(args, f"confirm_{team}"))
    ]
    if len(confirmers) == 2 and confirmers[0][1].username == confirmers[1][1].username:
        raise PermissionDenied("the two sides must be confirmed by two different people")
    agreement = propose_agreement(
        s,
        actor=CLI_ACTOR,
        targets=targets,
        effective_from=args.effective_from,
        reason=args.reason,
    )
    changes = [change_text(k, base[k], targets[k]) for k in base if base[k] != targets[k]]
    print(
        f"proposed SLA version {agreement.version} (effective from "
        f"{agreement.effective_from.isoformat()})" + (f": {', '.join(changes)}" if changes else "")
    )
    for team, actor in confirmers:
        confirm_agreement(s, actor=actor, version=agreement.version, team=team)
        print(f"confirmed for {team} by {actor.username}")
    print(f"version {agreement.version}: {_state(s, agreement.version)}")


def _history_json(history: list[dict]) -> list[dict]:
    def value(v):
        return v.isoformat() if isinstance(v, date) else v

    return [
        {k: value(v) for k, v in h.items() if k != "changes"}
        | {
            "changes": [
                {"field": f, "old": value(old), "new": value(new)} for f, old, new in h["changes"]
            ]
        }
        for h in history
    ]


def _cmd_sla(args) -> int:
    engine = _engine(args)
    with Session(engine, expire_on_commit=False) as s:
        match args.sla_command:
            case "set":
                _sla_set(s, args)
            case "confirm":
                actor = _actor(s, args.user, args.team)
                confirm_agreement(s, actor=actor, version=args.version, team=args.team)
                print(
                    f"version {args.version} confirmed for {args.team} by {actor.username}; "
                    f"{_state(s, args.version)}"
                )
            case "history":
                history = agreement_history(s)
                if args.format == "json":
                    print(json.dumps(_history_json(history), indent=2, ensure_ascii=False))
                else:
                    print(history_text(history))
    return 0


def _cmd_import(args) -> int:
    return cli_imports.run(args, _engine, _progress_printer())


def _cmd_hot_leads(args) -> int:
    return cli_hot_leads.run(args, _engine)


COMMANDS = {
    "init": _cmd_init,
    "hot-leads": _cmd_hot_leads,
    "import": _cmd_import,
    "demo": _cmd_demo,
    "users": _cmd_users,
    "report": _cmd_report,
    "sla": _cmd_sla,
    **dict.fromkeys(cli_backup.COMMANDS, lambda args: cli_backup.run(args, _engine)),
    **dict.fromkeys(cli_meetings.COMMANDS, lambda args: cli_meetings.run(args, _engine)),
}


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; user errors print one line and return non-zero."""
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except SmarketingError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except SQLAlchemyError as exc:
        print(f"error: database: {getattr(exc, 'orig', exc)}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # e.g. piped into `head`: the reader has what it wanted
        sys.stderr.close()
        return 0
    except (KeyboardInterrupt, EOFError):
        print("interrupted", file=sys.stderr)
        return 130
