"""Slack and Microsoft Teams incoming webhooks: a Block Kit message and an Adaptive Card.

Slack (docs.slack.dev, Block Kit reference): a ``header`` block (plain_text, at most 150
characters), ``section`` blocks with ``mrkdwn`` text (at most 3,000 characters each), the
facts as section ``fields`` (at most 10 per section, 2,000 characters each), an ``actions``
block with one link ``button`` (text at most 75 characters, url at most 3,000), at most 50
blocks, and a top-level ``text`` that notifications and screen readers show. In mrkdwn,
``&``, ``<`` and ``>`` of the data are written as ``&amp;``, ``&lt;``, ``&gt;`` — what
Slack documents, so a name cannot form a link or a mention.

Teams (learn.microsoft.com, "Send Adaptive Cards using an Incoming Webhook", also what a
Power Automate "Workflows" webhook takes): ``{"type": "message", "attachments":
[{"contentType": "application/vnd.microsoft.card.adaptive", "contentUrl": null, "content":
AdaptiveCard 1.4}]}`` with TextBlocks, a FactSet and an ``Action.OpenUrl``.

Neither carries the picture: both show images only from a public URL, and the pre-read's
scorecard has none; the e-mail carries it.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from smarketing.i18n import N_, _
from smarketing.notify.message import ChannelError, Message, speaking
from smarketing.notify.posting import json_body, post_json
from smarketing.notify.text import inline, md_escape, one_line, text_blocks, web_url

SLACK_HEADER_CHARS = 150
SLACK_SECTION_CHARS = 3000
SLACK_FIELD_CHARS = 2000
SLACK_FIELDS_PER_SECTION = 10
SLACK_BUTTON_CHARS = 75
SLACK_URL_CHARS = 3000
SLACK_MAX_BLOCKS = 50
#: The top-level ``text`` is the notification's preview; the blocks carry the full message.
SLACK_TEXT_CHARS = 3000
ADAPTIVE_CARD_SCHEMA = "http://adaptivecards.io/schemas/adaptive-card.json"
ADAPTIVE_CARD_VERSION = "1.4"
ADAPTIVE_CARD_TYPE = "application/vnd.microsoft.card.adaptive"
DEFAULT_LINK_TEXT = N_("Open in Smarketing")
#: Microsoft: "The message size limit is 28 KB" for an incoming webhook's message.
TEAMS_MAX_BYTES = 28 * 1024
TEAMS_REST = N_("The rest is too long for Teams: open it in Smarketing.")


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def slack_escape(text: str) -> str:
    """Text from the data made literal in Slack mrkdwn: ``&``, ``<``, ``>`` as entities."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_mrkdwn(text: str) -> str:
    """The message's text in Slack mrkdwn: escaped, ``**bold**`` as ``*bold*``, list
    items as ``•`` lines, paragraphs apart."""
    written = ""
    for kind, lines, first in text_blocks(text):
        lines = [inline(line, escape=slack_escape, bold="*{}*".format) for line in lines]
        run = "\n".join(f"• {line}" if kind == "ul" else line for line in lines)
        written += ("\n\n" if first else "\n") + run if written else run
    return written


def _chunks(text: str, limit: int) -> list[str]:
    """``text`` in pieces of at most ``limit`` characters, cut at paragraph or line ends
    where it can be."""
    pieces: list[str] = []
    while len(text) > limit:
        cut = max(text.rfind("\n\n", 0, limit), text.rfind("\n", 0, limit))
        if cut <= 0:
            cut = limit
        pieces.append(text[:cut].rstrip())
        text = text[cut:].lstrip("\n")
    if text.strip():
        pieces.append(text)
    return pieces


def slack_payload(message: Message) -> dict:
    """The Block Kit message of ``message`` for an incoming webhook (its button in the
    message's language)."""
    with speaking(message):
        return _slack_payload(message)


def _slack_payload(message: Message) -> dict:
    subject = one_line(message.subject)
    blocks: list[dict] = [
        {
            "type": "header",
            "text": {
                "type": "plain_text",
                "text": _cut(subject or "Smarketing", SLACK_HEADER_CHARS),
            },
        }
    ]
    body = slack_mrkdwn(message.text)
    blocks += [
        {"type": "section", "text": {"type": "mrkdwn", "text": piece}}
        for piece in _chunks(body, SLACK_SECTION_CHARS)
    ]
    fields = [
        {
            "type": "mrkdwn",
            "text": _cut(
                f"*{slack_escape(one_line(label))}*\n{slack_escape(value)}", SLACK_FIELD_CHARS
            ),
        }
        for label, value in message.facts
    ]
    for start in range(0, len(fields), SLACK_FIELDS_PER_SECTION):
        blocks.append(
            {"type": "section", "fields": fields[start : start + SLACK_FIELDS_PER_SECTION]}
        )
    link = web_url(message.link)
    actions = []
    if link and len(link) <= SLACK_URL_CHARS:
        button_text = _cut(one_line(message.link_text or _(DEFAULT_LINK_TEXT)), SLACK_BUTTON_CHARS)
        actions.append(
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "text": {"type": "plain_text", "text": button_text},
                        "url": link,
                        "action_id": "open_link",
                    }
                ],
            }
        )
    blocks = blocks[: SLACK_MAX_BLOCKS - len(actions)] + actions
    fallback = slack_escape(subject)
    if body:
        fallback += "\n" + body
    return {"text": _cut(fallback, SLACK_TEXT_CHARS), "blocks": blocks}


def teams_payload(message: Message) -> dict:
    """The Adaptive Card message of ``message`` for a Teams (or Workflows) webhook (its
    own words in the message's language)."""
    with speaking(message):
        return _teams_payload(message)


def _teams_payload(message: Message) -> dict:
    body: list[dict] = [
        {
            "type": "TextBlock",
            # the subject and the facts are plain text: Teams renders Markdown in both
            "text": md_escape(message.subject),
            "size": "Large",
            "weight": "Bolder",
            "style": "heading",
            "wrap": True,
        }
    ]
    for kind, lines, _first in text_blocks(message.text):
        text = "\n".join(f"- {line}" for line in lines) if kind == "ul" else "\n\n".join(lines)
        body.append({"type": "TextBlock", "text": text, "wrap": True})
    if message.facts:
        body.append(
            {
                "type": "FactSet",
                "facts": [
                    {"title": md_escape(label), "value": md_escape(value)}
                    for label, value in message.facts
                ],
            }
        )
    card: dict = {
        "$schema": ADAPTIVE_CARD_SCHEMA,
        "type": "AdaptiveCard",
        "version": ADAPTIVE_CARD_VERSION,
        "body": body,
        "msteams": {"width": "Full"},
    }
    link = web_url(message.link)
    if link:
        card["actions"] = [
            {
                "type": "Action.OpenUrl",
                "title": one_line(message.link_text or _(DEFAULT_LINK_TEXT)),
                "url": link,
            }
        ]
    return _fitted(
        {
            "type": "message",
            "attachments": [
                {"contentType": ADAPTIVE_CARD_TYPE, "contentUrl": None, "content": card}
            ],
        }
    )


def _fitted(payload: dict) -> dict:
    """The Teams payload within TEAMS_MAX_BYTES: the text cut from its end (the heading,
    the facts and the action kept) and a line saying the rest is in Smarketing."""
    body = payload["attachments"][0]["content"]["body"]
    noted = False
    while (excess := len(json_body(payload)) - TEAMS_MAX_BYTES) > 0:
        texts = [i for i, element in enumerate(body[1:], 1) if element.get("id") != "rest"]
        texts = [i for i in texts if body[i]["type"] == "TextBlock"]
        if not noted:
            body.append({"type": "TextBlock", "id": "rest", "text": _(TEAMS_REST), "wrap": True})
            noted = True
            continue
        if not texts:
            break  # only the heading and the facts left: let Teams answer
        last = body[texts[-1]]
        if len(last["text"]) > excess + 1:
            # every character is at least one byte of the JSON: this many go at least
            last["text"] = last["text"][: len(last["text"]) - excess - 1] + "…"
        else:
            body.pop(texts[-1])
    return payload


def send_slack(
    message: Message, address: str, *, timeout: float = 10.0, now: datetime | None = None
) -> None:
    """Post ``message`` to the Slack incoming webhook ``address``; ChannelError if not."""
    post_json(
        address,
        json_body(slack_payload(message)),
        what=_("the Slack webhook"),
        timeout=timeout,
        now=now or datetime.now(UTC),
    )


def send_teams(
    message: Message, address: str, *, timeout: float = 10.0, now: datetime | None = None
) -> None:
    """Post ``message`` to the Teams webhook ``address``; ChannelError if not (also when
    a legacy Office 365 connector answers 200 with an error in its body, as it does)."""
    response = post_json(
        address,
        json_body(teams_payload(message)),
        what=_("the Teams webhook"),
        timeout=timeout,
        now=now or datetime.now(UTC),
    )
    answer = " ".join(response.text.split())
    if answer not in {"", "1"} and "error" in answer.lower():
        # e.g. "Webhook message delivery failed with error: Microsoft Teams endpoint
        # returned HTTP error 429 …"
        retry = bool(re.search(r"HTTP error (429|5\d\d)", answer))
        raise ChannelError(
            _("the Teams webhook refused the message: {answer}").format(answer=answer[:200]),
            retry=retry,
        )
