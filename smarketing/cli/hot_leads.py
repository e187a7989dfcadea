"""`python -m smarketing hot-leads`: the hot leads for schedulers, optionally posted to a
Slack or Teams incoming webhook or a JSON webhook — one message per hot lead, the message the
``notify`` job sends the lead's owner (``notify.rules_leads.hot_lead_message``), through the
notification channels (``notify.channels``: Block Kit for Slack, an Adaptive Card for Teams,
the JSON document for any other webhook; the channel is told by the URL's host)."""

from __future__ import annotations

import argparse
import json
import math
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from smarketing import config, formatting, i18n
from smarketing.cli.args import error_line, iso_datetime, now_from
from smarketing.i18n import _, ngettext

if TYPE_CHECKING:
    import pandas as pd

COMMANDS = ("hot-leads",)
#: smarketing.quality.hot_leads.HOT_HOURS_DEFAULT and SILENCE_DAYS, for the help (copied so
#: the parser needs no pandas; a test keeps them equal)
HOT_HOURS_DEFAULT = 48
SILENCE_DAYS = 14
WEBHOOK_TIMEOUT = 10  # seconds
#: Hot leads posted at most (one message each); the rest are counted ("… and 12 more").
MESSAGE_MAX_LEADS = 50
#: --channel: "auto" tells the channel by the webhook's host (notify.channels.WEBHOOK_HOSTS).
WEBHOOK_CHANNELS = ("auto", "slack", "teams", "webhook")
#: Exit code when the webhook could not be reached or did not answer 2xx.
WEBHOOK_FAILED = 1


def _hours(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(
            _("invalid hours {text!r}: a number more than 0").format(text=text)
        )
    return value


def _webhook_url(text: str) -> str:
    parts = urlsplit(text.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise argparse.ArgumentTypeError(
            _("invalid webhook {text!r}: an http(s):// URL").format(text=text)
        )
    return text.strip()


def add_parser(sub, common) -> None:
    """Register `hot-leads`."""
    p = sub.add_parser(
        "hot-leads",
        parents=[common],
        help=_("list hot leads (for schedulers); optionally post them to a chat webhook"),
        description=_(
            "Leads that did something in the last HOURS after at least {days} days of "
            "silence, or after being rejected or lost."
        ).format(days=SILENCE_DAYS),
    )
    p.add_argument(
        "--since",
        type=_hours,
        default=float(HOT_HOURS_DEFAULT),
        metavar="HOURS",
        help=_("look back this many hours, up to --now (default {hours})").format(
            hours=HOT_HOURS_DEFAULT
        ),
    )
    p.add_argument(
        "--format",
        choices=["text", "json"],
        default="text",
        help=_("text: one line per lead (default); json: a list of objects"),
    )
    p.add_argument(
        "--webhook",
        type=_webhook_url,
        metavar="URL",
        help=_(
            "also post each hot lead (at most 50) to this webhook as the message its owner "
            "gets: a Slack or Teams incoming webhook, or any JSON webhook; nothing is posted "
            "when there are no hot leads"
        ),
    )
    p.add_argument(
        "--channel",
        choices=WEBHOOK_CHANNELS,
        default="auto",
        help=_(
            "the webhook's kind (default auto: hooks.slack.com is Slack, "
            "*.webhook.office.com and Power Automate (*.logic.azure.com) are Teams, any other "
            "host the generic JSON webhook)"
        ),
    )
    p.add_argument(
        "--now",
        type=iso_datetime,
        metavar="ISO-DATETIME",
        help=_(
            "the current time, for reproducible scripts and tests (default: the real time; "
            "without an offset it is read in the business timezone)"
        ),
    )


def _local(moment: datetime) -> str:
    return moment.astimezone(config.business_tz()).strftime("%Y-%m-%d %H:%M")


def _span(hours: float, now: datetime) -> str:
    digits = len(f"{hours:g}".partition(".")[2])  # as many decimals as were given
    values = {"hours": formatting.decimal(hours, digits)}
    values |= {"now": _local(now), "timezone": config.timezone_name()}
    if hours == 1:
        return _("the last hour up to {now} {timezone}").format(**values)
    return _("the last {hours} hours up to {now} {timezone}").format(**values)


def as_json(frame: pd.DataFrame) -> list[dict]:
    """The hot leads as JSON-ready objects (times ISO 8601 UTC)."""
    import pandas as pd

    from smarketing.quality.leads import NONE_LABEL

    out = []
    for row in frame.itertuples(index=False):
        silent = None if pd.isna(row.silent_days) else int(row.silent_days)
        out.append(
            {
                "lead_id": int(row.lead_id),
                "name": row.name,
                "company": row.company,
                "owner": None if row.owner == NONE_LABEL else row.owner,
                "trigger_kind": row.trigger_kind,
                "trigger_detail": row.trigger_detail,
                "trigger_at": row.trigger_at.to_pydatetime().astimezone(UTC).isoformat(),
                "reason": row.reason,
                "silent_days": silent,
            }
        )
    return out


def as_text(
    frame: pd.DataFrame, *, now: datetime, since_hours: float, limit: int | None = None
) -> str:
    """A readable message: a heading line, then one line per hot lead (at most ``limit``,
    then a line counting the others)."""
    from smarketing.quality.leads import NONE_LABEL, activity_label

    span = _span(since_hours, now)
    if frame.empty:
        return _("No hot leads in {span}.").format(span=span)
    heading = ngettext("{n} hot lead in {span}:", "{n} hot leads in {span}:", len(frame)).format(
        n=formatting.count(len(frame)), span=span
    )
    lines = [heading]
    shown = frame if limit is None else frame.head(limit)
    for row in shown.itertuples(index=False):
        who = row.name + (f" ({row.company})" if row.company else "")
        what = activity_label(row.trigger_kind)
        if row.trigger_detail:
            what += f" “{row.trigger_detail}”"
        owner = _("no owner") if row.owner == NONE_LABEL else row.owner
        lines.append(
            _("• {who}: {reason}. {what} at {when}. Owner: {owner}. Lead #{id}").format(
                who=who,
                reason=row.reason,
                what=what,
                when=_local(row.trigger_at),
                owner=owner,
                id=row.lead_id,
            )
        )
    if len(shown) < len(frame):
        lines.append(
            _("… and {n} more: run `python -m smarketing hot-leads`.").format(
                n=formatting.count(len(frame) - len(shown))
            )
        )
    return "\n".join(lines)


def _where(url: str) -> str:
    """The webhook's scheme and host: its path is a secret and never printed."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def post_hot_leads(
    session, frame: pd.DataFrame, url: str, *, channel: str = "auto", now: datetime
) -> tuple[int, str | None]:
    """Post each hot lead of ``frame`` (at most MESSAGE_MAX_LEADS) to the webhook ``url``
    as the hot-lead rule's message, by ``channel`` (auto: told by the URL's host); (how
    many were posted, None or the error that stopped the posting)."""
    from smarketing.notify.channels import channel_for_url, send
    from smarketing.notify.message import ChannelError
    from smarketing.notify.rules_leads import hot_lead_message

    channel = channel_for_url(url) if channel == "auto" else channel
    posted = 0
    for row in frame.head(MESSAGE_MAX_LEADS).itertuples(index=False):
        try:
            send(channel, hot_lead_message(session, row), url, timeout=WEBHOOK_TIMEOUT, now=now)
        except ChannelError as exc:
            return posted, str(exc)
        posted += 1
    return posted, None


def run(args, engine_for) -> int:
    """Print the hot leads (text or JSON), then post them to the webhook if one is given;
    1 when a post fails."""
    from sqlmodel import Session

    from smarketing.quality.hot_leads import hot_leads

    now = now_from(args.now)
    engine = engine_for(args)
    with Session(engine) as session:
        if args.format == "json":  # a machine format: its reasons in English, stable
            with i18n.language("en"):
                english = hot_leads(session, now=now, since_hours=args.since)
            print(json.dumps(as_json(english), indent=2, ensure_ascii=False))
        frame = hot_leads(session, now=now, since_hours=args.since)
        if args.format != "json":
            print(as_text(frame, now=now, since_hours=args.since))
        if not args.webhook:
            return 0
        if frame.empty:
            print(_("no hot leads: nothing posted to the webhook"), file=sys.stderr)
            return 0
        posted, error = post_hot_leads(
            session, frame, args.webhook, channel=getattr(args, "channel", "auto"), now=now
        )
    where = _where(args.webhook)
    if error:
        before = (
            _(" ({posted} of {total} posted before it)").format(
                posted=formatting.count(posted), total=formatting.count(len(frame))
            )
            if posted
            else ""
        )
        print(error_line(f"{error}{before}"), file=sys.stderr)
        return WEBHOOK_FAILED
    rest = len(frame) - posted
    more = (
        _("; {n} more not posted: run `python -m smarketing hot-leads`").format(
            n=formatting.count(rest)
        )
        if rest
        else ""
    )
    print(
        ngettext(
            "posted {n} hot lead to the webhook at {where}{more}",
            "posted {n} hot leads to the webhook at {where}{more}",
            posted,
        ).format(n=formatting.count(posted), where=where, more=more),
        file=sys.stderr,
    )
    return 0
