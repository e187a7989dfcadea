"""One message as every channel receives it, and how a channel says it failed.

The rules that decide what is sent (``smarketing.notify`` modules) build a
:class:`Message`; each channel turns it into its own shape — an e-mail with a plain-text
and an HTML part, a Slack Block Kit payload, a Teams Adaptive Card, a JSON document — so a
message is written once, in words, and every channel shows the same facts.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from smarketing import i18n


@dataclass(frozen=True)
class Message:
    """``kind``: what it is about (``hot_lead``, ``contact_deadline``, ``sla_at_risk``,
    ``action_due``, ``action_overdue``, ``action_digest``, ``pre_read``, ``minutes`` or
    ``test``); ``subject``: one line; ``text``: the body as plain text (Markdown-like:
    paragraphs, ``- `` lists, ``**bold**``); ``facts``: label/value pairs shown as a table
    (Slack fields, a Teams FactSet); ``link``/``link_text``: the one place to act (the
    lead's profile, the meeting); ``image_png``/``image_alt``: a picture (the pre-read's
    scorecard) where the channel can carry one; ``unsubscribe``: the person's settings
    page (e-mail's ``List-Unsubscribe``); ``language``: the language it is written in (the
    recipient's, ``smarketing.i18n``), which the channel's own words (a button, the
    unsubscribe line) speak too — None: the language speaking when it is sent."""

    kind: str
    subject: str
    text: str
    facts: tuple[tuple[str, str], ...] = ()
    link: str | None = None
    link_text: str | None = None
    image_png: bytes | None = field(default=None, repr=False)
    image_alt: str = ""
    unsubscribe: str | None = None
    language: str | None = None


@contextmanager
def speaking(message: Message) -> Iterator[str]:
    """Speak the message's language inside the block (a channel writing its own words
    around the message: a button, the unsubscribe line)."""
    with i18n.language(message.language or i18n.current()) as code:
        yield code


class ChannelError(Exception):
    """A channel could not deliver. ``retry``: worth trying again later (a timeout, a 5xx, a
    429, a refused connection) rather than a permanent refusal (a 4xx, a bad address, no
    channel configured); the message is for the Admin → Notifications page."""

    def __init__(self, message: str, *, retry: bool) -> None:
        super().__init__(message)
        self.retry = retry
