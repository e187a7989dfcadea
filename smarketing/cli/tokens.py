"""`python -m smarketing tokens add|list|revoke`: the API tokens of the systems that post
events to /api/events."""

from __future__ import annotations

from smarketing.i18n import _

COMMANDS = ("tokens",)


def add_parser(sub, common) -> None:
    """Register `tokens` and its actions."""
    p = sub.add_parser("tokens", help=_("API tokens of event senders: add, list, revoke"))
    tokens_sub = p.add_subparsers(dest="tokens_command", metavar="ACTION", required=True)
    add = tokens_sub.add_parser(
        "add", parents=[common], help=_("make a token for a sender and print it once")
    )
    add.add_argument("name", help=_("the sending system, e.g. website"))
    add.add_argument(
        "--hmac-secret-env",
        metavar="VAR",
        help=_("the environment variable holding the sender's HMAC signing secret, if it signs"),
    )
    tokens_sub.add_parser("list", parents=[common], help=_("list tokens (never the tokens)"))
    revoke = tokens_sub.add_parser("revoke", parents=[common], help=_("revoke a token"))
    revoke.add_argument("name")


def _when(value) -> str:
    return value.strftime("%Y-%m-%d %H:%M UTC") if value else "-"


def run(args, engine_for) -> int:
    """Run one `tokens` action."""
    from sqlmodel import Session

    from smarketing.auth import tokens
    from smarketing.auth.permissions import CLI_ACTOR

    engine = engine_for(args)
    with Session(engine, expire_on_commit=False) as s:
        match args.tokens_command:
            case "add":
                token = tokens.add_token(
                    s, args.name, actor=CLI_ACTOR, hmac_secret_env=args.hmac_secret_env
                )
                print(
                    _("token for {name} (shown once, only its hash is kept):").format(
                        name=args.name.strip()
                    )
                )
                print(token)
                print(
                    _(
                        "use: POST /api/events with the header 'Authorization: Bearer <token>' "
                        "(README, Sending events)"
                    )
                )
            case "list":
                rows = tokens.list_tokens(s)
                if not rows:
                    print(_("no API tokens yet"))
                for t in rows:
                    state = (
                        _("revoked {when} by {who}").format(
                            when=_when(t.revoked_at), who=t.revoked_by
                        )
                        if t.revoked_at
                        else _("active")
                    )
                    signs = (
                        _(", signs with ${variable}").format(variable=t.signs_with)
                        if t.signs_with
                        else ""
                    )
                    print(
                        _("{name}: {state}{signs}; made {made} by {who}; last used {used}").format(
                            name=t.name,
                            state=state,
                            signs=signs,
                            made=_when(t.created_at),
                            who=t.created_by,
                            used=_when(t.last_used_at),
                        )
                    )
            case "revoke":
                tokens.revoke_token(s, args.name, actor=CLI_ACTOR)
                print(
                    _("token {name} revoked: its events are refused within 10 seconds").format(
                        name=args.name.strip()
                    )
                )
    return 0
