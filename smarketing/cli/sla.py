"""`python -m smarketing sla set|confirm|history`: the SLA agreement's versions."""

from __future__ import annotations

import argparse
import json
import math
from datetime import date
from typing import TYPE_CHECKING

from smarketing.cli.args import Parser, iso_date
from smarketing.errors import InvalidInput, PermissionDenied
from smarketing.i18n import _

if TYPE_CHECKING:
    from sqlmodel import Session

    from smarketing.auth.permissions import Actor

COMMANDS = ("sla",)
#: what each target must be: smarketing.sla.agreements.TARGET_LIMITS (copied so the parser
#: needs no models; a test keeps the two equal)
TARGET_LIMITS = {
    "mql_target": "a whole number of MQLs per month, 0 or more",
    "acceptance_rate_target": "a share between 0 and 1 (0.7 = 70 %)",
    "response_hours": "hours, more than 0",
    "contacted_within_sla_target": "a share between 0 and 1",
    "sql_target": "a whole number of SQLs per month, 0 or more",
    "close_rate_target": "a share between 0 and 1",
    "customer_target": "a whole number of customers per month, 0 or more",
}
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
#: the teams of `sla confirm --team`: the values of smarketing.store.models.Team, in its
#: order (a test keeps the two equal); the two sides that confirm come first
TEAMS = ("marketing", "sales", "both")
SIDES = TEAMS[:2]


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
        raise argparse.ArgumentTypeError(_("invalid number {text!r}").format(text=text))
    return value


def add_parser(sub, common) -> None:
    """Register `sla set`, `sla confirm` and `sla history`."""
    p = sub.add_parser("sla", help=_("the SLA agreement: set, confirm, history"))
    sla_sub = p.add_subparsers(
        dest="sla_command", metavar="ACTION", required=True, parser_class=Parser
    )
    put = sla_sub.add_parser(
        "set",
        parents=[common],
        help=_("propose a new agreement version (and optionally confirm it)"),
        description=_(
            "Propose a new SLA agreement version. Targets not given are taken from "
            "the agreement in effect on the effective date; with none in effect, give them all. "
            "The version is in effect once a marketing user and a sales user have confirmed it."
        ),
    )
    put.add_argument("--effective-from", type=iso_date, required=True, metavar="YYYY-MM-DD")
    put.add_argument("--reason", required=True, help=_("why the agreement changes (kept)"))
    for option, key in TARGET_OPTIONS.items():
        put.add_argument(
            option,
            dest=key,
            type=_number,
            metavar="N",
            help=f"{key}: " + TARGET_LIMITS[key].replace("%", "%%"),
        )
    for team in SIDES:
        put.add_argument(
            f"--confirm-{team}",
            metavar="USERNAME",
            help=_("then confirm for {team} as this user (who must have that role)").format(
                team=team
            ),
        )
    confirm = sla_sub.add_parser(
        "confirm", parents=[common], help=_("confirm a version for marketing or sales")
    )
    confirm.add_argument("version", type=int)
    confirm.add_argument("--team", required=True, choices=list(TEAMS))
    confirm.add_argument("--user", required=True, metavar="USERNAME", help=_("who confirms"))
    history = sla_sub.add_parser(
        "history", parents=[common], help=_("every agreement version, newest first")
    )
    history.add_argument("--format", choices=["text", "json"], default="text")


def _actor(session: Session, username: str, team: str) -> Actor:
    """The user as an actor, checked for the right to confirm for ``team``."""
    from smarketing.auth import users
    from smarketing.auth.permissions import Actor, require

    user = users.get_user(session, username)
    if user.disabled:
        raise PermissionDenied(_("{username} is disabled").format(username=user.username))
    actor = Actor.of(user.username, user.role_list)
    require(actor, f"sla.confirm_{team}")
    return actor


def _state(session: Session, version: int) -> str:
    from smarketing.sla.agreements import agreement_history

    entry = next(h for h in agreement_history(session) if h["version"] == version)
    from smarketing.auth.permissions import role_label

    if entry["state"] == "in effect":
        return _("in effect from {day}").format(day=entry["effective_from"].isoformat())
    waiting = [role_label(t) for t in SIDES if not entry[f"{t}_confirmed"]]
    if len(waiting) == 2:
        return _("awaiting confirmation by {team} and {other}").format(
            team=waiting[0], other=waiting[1]
        )
    return _("awaiting confirmation by {team}").format(team=", ".join(waiting))


def _set(s: Session, args) -> None:
    from smarketing.auth.permissions import CLI_ACTOR, role_label
    from smarketing.sla.agreements import (
        checked_targets,
        confirm_agreement,
        current_targets,
        propose_agreement,
    )
    from smarketing.sla.text import change_text

    given = {key: getattr(args, key) for key in TARGET_LIMITS if getattr(args, key) is not None}
    base = current_targets(s, args.effective_from)
    if base is None:
        missing = [o for o, key in TARGET_OPTIONS.items() if key not in given]
        if missing:
            raise InvalidInput(
                _(
                    "no agreement is in effect on {day} to start from: give every target; "
                    "missing {missing}"
                ).format(day=args.effective_from.isoformat(), missing=", ".join(missing))
            )
        base = {}
    targets = checked_targets(base | given).model_dump()  # InvalidInput before anything else
    confirmers = [
        (team, _actor(s, username, team))
        for team in SIDES
        if (username := getattr(args, f"confirm_{team}"))
    ]
    if len(confirmers) == 2 and confirmers[0][1].username == confirmers[1][1].username:
        raise PermissionDenied(_("the two sides must be confirmed by two different people"))
    agreement = propose_agreement(
        s,
        actor=CLI_ACTOR,
        targets=targets,
        effective_from=args.effective_from,
        reason=args.reason,
    )
    changes = [change_text(k, base[k], targets[k]) for k in base if base[k] != targets[k]]
    print(
        _("proposed SLA version {version} (effective from {day})").format(
            version=agreement.version, day=agreement.effective_from.isoformat()
        )
        + (f": {', '.join(changes)}" if changes else "")
    )
    for team, actor in confirmers:
        confirm_agreement(s, actor=actor, version=agreement.version, team=team)
        print(
            _("confirmed for {team} by {username}").format(
                team=role_label(team), username=actor.username
            )
        )
    print(
        _("version {version}: {state}").format(
            version=agreement.version, state=_state(s, agreement.version)
        )
    )


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


def run(args, engine_for) -> int:
    """Run one `sla` action."""
    from sqlmodel import Session

    from smarketing.auth.permissions import role_label
    from smarketing.sla.agreements import agreement_history, confirm_agreement

    engine = engine_for(args)
    with Session(engine, expire_on_commit=False) as s:
        match args.sla_command:
            case "set":
                _set(s, args)
            case "confirm":
                actor = _actor(s, args.user, args.team)
                confirm_agreement(s, actor=actor, version=args.version, team=args.team)
                print(
                    _("version {version} confirmed for {team} by {username}; {state}").format(
                        version=args.version,
                        team=role_label(args.team),
                        username=actor.username,
                        state=_state(s, args.version),
                    )
                )
            case "history":
                history = agreement_history(s)
                if args.format == "json":
                    print(json.dumps(_history_json(history), indent=2, ensure_ascii=False))
                else:
                    from smarketing.sla.text import history_text

                    print(history_text(history))
    return 0
