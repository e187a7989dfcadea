"""`python -m smarketing notify run|test`: queue and send the notifications now (or show
what would be sent, and to whom), and send a test message over one channel."""

from __future__ import annotations

import sys

from smarketing import formatting
from smarketing.cli.args import error_line, iso_datetime, now_from
from smarketing.i18n import _

COMMANDS = ("notify",)
#: The channels of `notify test` (smarketing.notify.preferences.CHANNELS, copied so the
#: parser imports no SQLAlchemy; a test keeps them equal).
CHANNELS = ("email", "slack", "teams", "webhook")
#: Exit code when something failed to send (or the test did not arrive).
SEND_FAILED = 1


def add_parser(sub, common) -> None:
    """Register `notify run` and `notify test`."""
    p = sub.add_parser("notify", help=_("notifications: send what is due now; send a test"))
    notify_sub = p.add_subparsers(dest="notify_command", metavar="ACTION", required=True)
    run_p = notify_sub.add_parser(
        "run",
        parents=[common],
        help=_("queue what the rules find and send what is due, one line per message"),
        description=_(
            "What the scheduled job `notify` does every minute: the rules queue what should be "
            "sent (once per subject and person), then every message that is due is sent; "
            "quiet hours delay a person's messages, failures are retried later."
        ),
    )
    run_p.add_argument(
        "--dry-run",
        action="store_true",
        help=_("print what would be sent and to whom; write nothing, send nothing"),
    )
    run_p.add_argument(
        "--now",
        type=iso_datetime,
        metavar="ISO-DATETIME",
        help=_(
            "the current time (default: the real time; without an offset it is read in the "
            "business timezone)"
        ),
    )
    test_p = notify_sub.add_parser(
        "test", parents=[common], help=_("send a test message over a channel, to an address")
    )
    test_p.add_argument("channel", choices=CHANNELS)
    test_p.add_argument("address", help=_("an e-mail address, or the webhook's URL"))


def run(args, engine_for) -> int:
    """Run one `notify` action."""
    if args.notify_command == "test":
        return _test(args.channel, args.address)
    from smarketing.notify import job

    now = now_from(args.now)
    engine = engine_for(args)
    when = now.strftime("%Y-%m-%d %H:%M %Z")
    if args.dry_run:
        result = job.dry_run(engine, now=now)
        print(
            _(
                "dry run at {when}: {queued} new of {noticed} noticed; nothing written, "
                "nothing sent"
            ).format(
                when=when,
                queued=formatting.count(result.queued),
                noticed=formatting.count(result.noticed),
            )
        )
        for line in result.dispatch.lines():
            print(line)
        if not result.dispatch.outcomes:
            print(_("nothing due"))
        return 0
    try:
        result = job.run(engine, now=now)
    except job.RulesFailed as exc:
        print(error_line(exc), file=sys.stderr)
        return SEND_FAILED
    for line in result.dispatch.lines():
        print(line)
    print(f"{when}: {result}")
    return SEND_FAILED if result.dispatch.failed else 0


def _test(channel: str, address: str) -> int:
    from smarketing.notify.channels import send_test
    from smarketing.notify.message import ChannelError
    from smarketing.notify.preferences import address_label, address_problem

    problem = address_problem(channel, address)
    if problem or not address.strip():
        print(error_line(problem or _("give an address")), file=sys.stderr)
        return 2
    try:
        said = send_test(channel, address.strip())
    except ChannelError as exc:
        message = (
            _("the test did not go out (worth trying again later): {problem}")
            if exc.retry
            else _("the test did not go out: {problem}")
        )
        print(error_line(message.format(problem=exc)), file=sys.stderr)
        return SEND_FAILED
    print(
        _("test sent over {channel} to {address}: {answer}").format(
            channel=channel, address=address_label(channel, address.strip()), answer=said
        )
    )
    return 0
