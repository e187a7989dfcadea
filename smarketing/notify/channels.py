"""The channels a notification goes out by, by name, and the settings page's "Send a test".

Each channel is ``send(message, address, *, timeout=10.0, now=None) -> None`` and raises
:class:`~smarketing.notify.message.ChannelError` (``retry`` True or False) when it could
not deliver. ``address`` is an e-mail address for ``email`` and the webhook's URL for the
others.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from smarketing import config, i18n
from smarketing.formatting import local_time
from smarketing.i18n import N_, _
from smarketing.notify.chat import send_slack, send_teams
from smarketing.notify.message import ChannelError, Message
from smarketing.notify.posting import checked_url, host_of
from smarketing.notify.smtp import checked_address, send_email
from smarketing.notify.webhook import send_webhook

Channel = Callable[..., None]

#: Every channel by the name stored with a person's or a team's choice.
CHANNELS: dict[str, Channel] = {
    "email": send_email,
    "slack": send_slack,
    "teams": send_teams,
    "webhook": send_webhook,
}
#: What a person reads for each channel.
CHANNEL_LABELS = {
    "email": N_("E-mail"),
    "slack": "Slack",
    "teams": "Microsoft Teams",
    "webhook": N_("Webhook (JSON)"),
}
TEST_SUBJECT = N_("Test from Smarketing")


#: Webhook hosts and the channel whose payload they take (``channel_for_url``): Slack's
#: incoming webhooks; Teams' incoming webhooks (``*.webhook.office.com``, the older
#: ``outlook.office.com``) and Power Automate "Workflows" webhooks (``*.logic.azure.com``,
#: ``*.powerplatform.com``). Any other host gets the generic JSON webhook.
WEBHOOK_HOSTS = (
    ("hooks.slack.com", "slack"),
    ("webhook.office.com", "teams"),
    ("outlook.office.com", "teams"),
    ("logic.azure.com", "teams"),
    ("powerplatform.com", "teams"),
)


def channel_for_url(url: str) -> str:
    """The channel a webhook URL belongs to, by its host: ``slack``, ``teams`` or
    ``webhook`` (see WEBHOOK_HOSTS)."""
    from urllib.parse import urlsplit

    host = (urlsplit((url or "").strip()).hostname or "").lower()
    for suffix, channel in WEBHOOK_HOSTS:
        if host == suffix or host.endswith("." + suffix):
            return channel
    return "webhook"


def _channel(channel: str) -> Channel:
    try:
        return CHANNELS[channel]
    except KeyError:
        known = ", ".join(CHANNELS)
        raise ChannelError(
            _("unknown channel {channel} (use one of {known})").format(
                channel=repr(channel), known=known
            ),
            retry=False,
        ) from None


def address_problem(channel: str, address: str) -> str | None:
    """Why ``address`` cannot be ``channel``'s address (an e-mail address for e-mail, an
    http(s) URL for the webhooks), or None — for a settings form to check before saving."""
    try:
        _channel(channel)
        if channel == "email":
            checked_address(address)
        else:
            checked_url(address)
    except ChannelError as exc:
        return str(exc)
    return None


def shown_address(channel: str, address: str) -> str:
    """The address as it may be shown: the e-mail address, or only a webhook's host (the
    rest of a Slack or Teams webhook URL is its key)."""
    return address.strip() if channel == "email" else host_of(address.strip())


def send(
    channel: str,
    message: Message,
    address: str,
    *,
    timeout: float = 10.0,
    now: datetime | None = None,
) -> None:
    """Deliver ``message`` to ``address`` by ``channel``; ChannelError when it could not."""
    _channel(channel)(message, address, timeout=timeout, now=now)


def trial_message(channel: str, *, now: datetime) -> Message:
    """The message "Send a test" sends, in the language speaking: what it is, the channel
    and when."""
    label = _(CHANNEL_LABELS.get(channel, channel))
    return Message(
        kind="test",
        subject=_(TEST_SUBJECT),
        text=_(
            "This is a test of the **{channel}** channel. When you see it, Smarketing's "
            "notifications reach you here: hot leads, contact deadlines, SLA at risk, "
            "actions, the meeting's pre-read and the minutes, as you chose them."
        ).format(channel=label),
        facts=((_("Channel"), label), (_("Sent at"), local_time(now))),
        link=config.public_url(),
        link_text=_("Open Smarketing"),
        language=i18n.current(),
    )


def send_test(
    channel: str, address: str, *, timeout: float = 10.0, now: datetime | None = None
) -> str:
    """Send the test message; one line for the settings page ("Sent to … at …"), or
    ChannelError saying why it did not go."""
    now = now or datetime.now(UTC)
    send(channel, trial_message(channel, now=now), address, timeout=timeout, now=now)
    return _("Sent to {address} ({channel}) at {time}").format(
        address=shown_address(channel, address),
        channel=_(CHANNEL_LABELS[channel]),
        time=local_time(now),
    )
