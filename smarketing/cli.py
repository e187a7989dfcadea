"""The command line: `python -m smarketing COMMAND …` (see --help)."""

from __future__ import annotations

import argparse
import getpass
import sys
import time
from collections.abc import Sequence

from sqlalchemy.exc import SQLAlchemyError
from sqlmodel import Session

from smarketing import config, db, demo, users
from smarketing.errors import SmarketingError
from smarketing.models import Role
from smarketing.permissions import CLI_ACTOR


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
    parser = argparse.ArgumentParser(
        prog="python -m smarketing",
        description="Smarketing: the marketing–sales SLA, lead quality and meetings.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    sub.add_parser("init", parents=[common], help="create or upgrade the database schema")

    p = sub.add_parser("demo", parents=[common], help="write (or --clear) the demo company")
    p.add_argument("--leads", type=int, help="total leads (default about 500 a month)")
    p.add_argument("--months", type=int, default=12, help="months of history (default 12)")
    p.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    p.add_argument("--clear", action="store_true", help="remove the demo data, keep users")

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
    return parser


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
    engine = _engine(args)
    if args.clear:
        deleted = demo.clear_demo(engine, actor=CLI_ACTOR)
        print(f"removed the demo company ({sum(deleted.values())} rows); users and settings kept")
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
                    print(table.drop(columns=["last login"]).to_string(index=False))
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


COMMANDS = {"init": _cmd_init, "demo": _cmd_demo, "users": _cmd_users}


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
    except (KeyboardInterrupt, EOFError):
        print("interrupted", file=sys.stderr)
        return 130
