"""`python -m smarketing users add|list|set-password|disable|enable`: the app's users."""

from __future__ import annotations

import getpass
import sys

from smarketing.errors import SmarketingError
from smarketing.i18n import _

COMMANDS = ("users",)
#: the roles `users add --role` offers: the values of smarketing.store.models.Role, in its
#: order (copied so the parser needs no models; a test keeps the two equal)
ROLES = ("admin", "marketing", "sales", "leadership")


def add_parser(sub, common) -> None:
    """Register `users` and its actions."""
    p = sub.add_parser("users", help=_("manage users: add, list, set-password, disable, enable"))
    users_sub = p.add_subparsers(dest="users_command", metavar="ACTION", required=True)
    add = users_sub.add_parser("add", parents=[common], help=_("add a user"))
    add.add_argument("username")
    add.add_argument("--name", required=True, help=_("full name"))
    add.add_argument("--email", required=True)
    add.add_argument(
        "--role",
        action="append",
        required=True,
        choices=list(ROLES),
        help=_("a role; repeat for several"),
    )
    add.add_argument(
        "--password-stdin", action="store_true", help=_("read the password from stdin")
    )
    users_sub.add_parser("list", parents=[common], help=_("list users"))
    setpw = users_sub.add_parser("set-password", parents=[common], help=_("set a new password"))
    setpw.add_argument("username")
    setpw.add_argument("--password-stdin", action="store_true")
    for name, text in (("disable", _("disable a user")), ("enable", _("enable a disabled user"))):
        q = users_sub.add_parser(name, parents=[common], help=text)
        q.add_argument("username")


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if not sys.stdin.isatty():
        raise SmarketingError(
            _("no terminal to ask for the password: pipe it in with --password-stdin")
        )
    first = getpass.getpass(_("Password: "))
    if getpass.getpass(_("Repeat password: ")) != first:
        raise SmarketingError(_("the two passwords differ"))
    return first


def run(args, engine_for) -> int:
    """Run one `users` action."""
    from sqlmodel import Session

    from smarketing.auth import users
    from smarketing.auth.permissions import CLI_ACTOR, role_label

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
                print(
                    _("added {username} ({roles})").format(
                        username=user.username,
                        roles=",".join(role_label(r) for r in user.role_list),
                    )
                )
            case "list":
                table = users.users_table(s)
                if table.empty:
                    print(_("no users yet"))
                else:
                    labels = users.user_labels()
                    shown = users.for_people(table).drop(columns=["last_login"])
                    print(shown.rename(columns=labels).to_string(index=False))
            case "set-password":
                users.set_password(
                    s,
                    actor=CLI_ACTOR,
                    username=args.username,
                    password=_password(args.password_stdin),
                )
                print(
                    _("password of {username} changed; their open sessions are ended").format(
                        username=args.username
                    )
                )
            case "disable" | "enable":
                users.set_disabled(
                    s,
                    actor=CLI_ACTOR,
                    username=args.username,
                    disabled=args.users_command == "disable",
                )
                done = (
                    _("{username} disabled; their open sessions are ended")
                    if args.users_command == "disable"
                    else _("{username} enabled")
                )
                print(done.format(username=args.username))
    return 0
