"""`python -m smarketing users add|list|set-password|disable|enable`: the app's users."""

from __future__ import annotations

import getpass
import sys

from smarketing.errors import SmarketingError

COMMANDS = ("users",)
#: the roles `users add --role` offers: the values of smarketing.store.models.Role, in its
#: order (copied so the parser needs no models; a test keeps the two equal)
ROLES = ("admin", "marketing", "sales", "leadership")


def add_parser(sub, common) -> None:
    """Register `users` and its actions."""
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
        choices=list(ROLES),
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


def run(args, engine_for) -> int:
    """Run one `users` action."""
    from sqlmodel import Session

    from smarketing.auth import users
    from smarketing.auth.permissions import CLI_ACTOR

    engine = engine_for(args)
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
                print(f"password of {args.username} changed; their open sessions are ended")
            case "disable" | "enable":
                users.set_disabled(
                    s,
                    actor=CLI_ACTOR,
                    username=args.username,
                    disabled=args.users_command == "disable",
                )
                ended = "; their open sessions are ended" if args.users_command == "disable" else ""
                print(f"{args.username} {args.users_command}d{ended}")
    return 0
