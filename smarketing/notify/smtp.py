"""E-mail over SMTP (``smtplib``): one message with a plain-text and an HTML part, the
facts as a table, the link as a button, the picture inline and ``List-Unsubscribe``.

The server comes from the environment or ``.streamlit/secrets.toml``
(:func:`smarketing.config.smtp_settings`): STARTTLS (the default), implicit TLS or none (a
local relay), with a login when a user is set. Every text from the data — names, details,
notes — is HTML-escaped before it is put into the HTML part; only this module's own tags
are markup. The certificate is checked against the system's CA bundle (``SSL_CERT_FILE``
names another one).

No ``List-Unsubscribe-Post``: RFC 8058's one-click unsubscribe promises that a bare POST to
the address unsubscribes, but the address is the person's settings page, behind the login;
the header would promise what the page does not do.
"""

from __future__ import annotations

import html
import re
import smtplib
import ssl
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid, parseaddr

from smarketing import config
from smarketing.errors import InvalidInput
from smarketing.i18n import N_, _
from smarketing.notify.message import ChannelError, Message, speaking
from smarketing.notify.text import inline, md_unescape, one_line, text_blocks, web_url

NOT_CONFIGURED = N_("SMTP is not configured: set SMARKETING_SMTP_HOST and SMARKETING_SMTP_FROM")
#: The button's words when a message names none.
OPEN_LINK = N_("Open in Smarketing")
_ADDRESS = re.compile(r"[^@\s<>\"(),;:\[\]\\]+@[^@\s<>\"(),;:\[\]\\]+\.[^@\s<>\"(),;:\[\]\\]+")
_STYLE_TEXT = "font-family:Arial,Helvetica,sans-serif;font-size:14px;line-height:1.5;color:#1f2328"
_STYLE_BUTTON = (
    "display:inline-block;padding:10px 18px;background:#0b5cad;color:#ffffff;"
    "text-decoration:none;border-radius:6px;font-weight:bold"
)


def _inline(text: str) -> str:
    return inline(
        text, escape=lambda part: html.escape(part, quote=True), bold="<strong>{}</strong>".format
    )


def text_html(text: str) -> str:
    """The message's Markdown-like text as HTML: paragraphs, ``- `` lists and ``**bold**``;
    everything else escaped, so a ``<script>`` in the data arrives as text."""
    parts = []
    for kind, lines, _first in text_blocks(text):
        if kind == "ul":
            items = "".join(f"<li>{_inline(item)}</li>" for item in lines)
            parts.append(f'<ul style="margin:0 0 12px;padding-left:20px">{items}</ul>')
        else:
            joined = "<br>".join(_inline(line) for line in lines)
            parts.append(f'<p style="margin:0 0 12px">{joined}</p>')
    return "\n".join(parts)


def _facts_html(facts: tuple[tuple[str, str], ...]) -> str:
    if not facts:
        return ""
    rows = "".join(
        '<tr><th align="left" style="padding:4px 12px 4px 0;color:#59636e;font-weight:normal;'
        f'vertical-align:top">{html.escape(str(label))}</th>'
        f'<td style="padding:4px 0">{html.escape(str(value))}</td></tr>'
        for label, value in facts
    )
    return (
        '<table role="presentation" cellspacing="0" cellpadding="0" '
        f'style="border-collapse:collapse;margin:0 0 16px">{rows}</table>'
    )


def email_html(message: Message, *, image_cid: str | None = None) -> str:
    """The HTML part: the subject as a heading, the text, the facts table, the picture
    (``cid:`` of the related part), the link as a button and the unsubscribe line (the
    e-mail's own words in the message's language)."""
    with speaking(message):
        return _email_html(message, image_cid=image_cid)


def _email_html(message: Message, *, image_cid: str | None) -> str:
    body = [
        f'<h2 style="margin:0 0 16px;font-size:18px">{html.escape(one_line(message.subject))}</h2>',
        text_html(message.text),
        _facts_html(message.facts),
    ]
    if image_cid and message.image_png:
        body.append(
            f'<p style="margin:0 0 16px"><img src="cid:{html.escape(image_cid)}" '
            f'alt="{html.escape(message.image_alt or "")}" style="max-width:100%;height:auto">'
            "</p>"
        )
    link = web_url(message.link)
    if link:
        body.append(
            f'<p style="margin:8px 0 20px"><a href="{html.escape(link)}" style="{_STYLE_BUTTON}">'
            f"{html.escape(one_line(message.link_text or _(OPEN_LINK)))}</a></p>"
        )
    unsubscribe = web_url(message.unsubscribe)
    if unsubscribe:
        because = html.escape(_("You get this because of your notification settings."))
        change = html.escape(_("Change or stop these notifications"))
        body.append(
            f'<p style="margin:24px 0 0;font-size:12px;color:#59636e">{because} '
            f'<a href="{html.escape(unsubscribe)}" style="color:#59636e">{change}</a>.</p>'
        )
    inner = "\n".join(part for part in body if part)
    return (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8"></head>'
        f'<body style="{_STYLE_TEXT}">\n{inner}\n</body></html>\n'
    )


def email_text(message: Message) -> str:
    """The plain-text part: the text, the facts as ``label: value`` lines, the link and the
    unsubscribe address (the e-mail's own words in the message's language)."""
    with speaking(message):
        return _email_text(message)


def _email_text(message: Message) -> str:
    parts = [md_unescape(message.text or "").strip()]
    if message.facts:
        parts.append("\n".join(f"{label}: {value}" for label, value in message.facts))
    link = web_url(message.link)
    if link:
        parts.append(f"{one_line(message.link_text or _(OPEN_LINK))}: {link}")
    if message.image_png and message.image_alt:
        parts.append(_("(Picture: {description})").format(description=one_line(message.image_alt)))
    unsubscribe = web_url(message.unsubscribe)
    if unsubscribe:
        parts.append(f"{_('Change or stop these notifications')}: {unsubscribe}")
    return "\n\n".join(part for part in parts if part) + "\n"


def checked_address(address: str) -> str:
    """The recipient's e-mail address, stripped; a permanent ChannelError when it is not
    one plain address."""
    address = (address or "").strip()
    if not _ADDRESS.fullmatch(address):
        raise ChannelError(
            _("{address} is not an e-mail address").format(address=repr(address)), retry=False
        )
    return address


def email_message(message: Message, address: str, *, sender: str, now: datetime) -> EmailMessage:
    """The e-mail as it is sent: From, To, Subject, Date, Message-ID, List-Unsubscribe, a
    plain-text and an HTML alternative, the picture as a related inline part."""
    address = checked_address(address)
    domain = parseaddr(sender)[1].rpartition("@")[2] or "smarketing.invalid"
    email = EmailMessage()
    email["From"] = one_line(sender)
    email["To"] = address
    email["Subject"] = one_line(message.subject)
    email["Date"] = format_datetime(now.astimezone(UTC))
    email["Message-ID"] = make_msgid("smarketing", domain=domain)
    email["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies to it
    unsubscribe = web_url(message.unsubscribe)
    if unsubscribe:
        email["List-Unsubscribe"] = f"<{unsubscribe}>"
    # quoted-printable: 7-bit clean, whatever the server says of 8BITMIME
    email.set_content(email_text(message), cte="quoted-printable")
    image_cid = make_msgid("scorecard", domain=domain)[1:-1] if message.image_png else None
    email.add_alternative(
        email_html(message, image_cid=image_cid), subtype="html", cte="quoted-printable"
    )
    if image_cid:
        html_part = email.get_payload()[1]
        html_part.add_related(
            message.image_png,
            maintype="image",
            subtype="png",
            cid=f"<{image_cid}>",
            disposition="inline",
            filename="scorecard.png",
        )
    return email


def _reply(code: int, text: bytes | str) -> str:
    said = text.decode(errors="replace") if isinstance(text, bytes) else str(text)
    return f"{code} {one_line(said)}".strip()


def _smtp_error(exc: Exception, where: str, step: str) -> ChannelError:
    """What one failure of an SMTP exchange means for the outbox."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        codes = [(code, text) for code, text in exc.recipients.values()]
        said = "; ".join(_reply(code, text) for code, text in codes)
        temporary = all(400 <= code < 500 for code, _ in codes)
        return ChannelError(
            _("{where} refused the recipient: {said}").format(where=where, said=said),
            retry=temporary,
        )
    if isinstance(exc, smtplib.SMTPResponseException):
        said = _reply(exc.smtp_code, exc.smtp_error)
        temporary = not 500 <= exc.smtp_code < 600
        if isinstance(exc, smtplib.SMTPAuthenticationError):
            return ChannelError(
                _("{where} refused the login of SMARKETING_SMTP_USER: {said}").format(
                    where=where, said=said
                ),
                retry=temporary,
            )
        return ChannelError(
            _("{where} refused the message at {step}: {said}").format(
                where=where, step=step, said=said
            ),
            retry=temporary,
        )
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        hint = {
            "STARTTLS": _("(set SMARKETING_SMTP_SECURITY=ssl or none)"),
            "login": _(
                "(the server offers no login on this connection: it may want "
                "SMARKETING_SMTP_SECURITY=starttls, or none is needed: unset SMARKETING_SMTP_USER)"
            ),
        }.get(step)
        said = _("{where} does not support {step}").format(where=where, step=step)
        return ChannelError(said + (f" {hint}" if hint else ""), retry=False)
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return ChannelError(
            _("{where} closed the connection at {step}").format(where=where, step=step),
            retry=True,
        )
    if isinstance(exc, smtplib.SMTPException):
        return ChannelError(
            _("{where} failed at {step}: {error}").format(where=where, step=step, error=exc),
            retry=False,
        )
    if isinstance(exc, ssl.SSLCertVerificationError):
        return ChannelError(
            _(
                "{where}: its TLS certificate could not be verified ({reason}); give the CA "
                "bundle that signs it in SSL_CERT_FILE"
            ).format(where=where, reason=exc.verify_message),
            retry=False,
        )
    if isinstance(exc, ssl.SSLError):
        return ChannelError(
            _(
                "{where}: TLS failed at {step} ({reason}); check SMARKETING_SMTP_SECURITY and "
                "SMARKETING_SMTP_PORT (ssl: usually 465, starttls: 587)"
            ).format(where=where, step=step, reason=exc.reason or exc),
            retry=False,
        )
    if isinstance(exc, TimeoutError):
        return ChannelError(
            _("{where} did not answer in time at {step}").format(where=where, step=step),
            retry=True,
        )
    return ChannelError(
        _("{where} could not be reached: {error}").format(where=where, error=exc), retry=True
    )


def send_email(
    message: Message, address: str, *, timeout: float = 10.0, now: datetime | None = None
) -> None:
    """Send ``message`` by e-mail to ``address`` through the configured SMTP server;
    ChannelError when it could not (retry for a refused connection, a timeout or a 4xx
    reply; not for a 5xx reply — a bad recipient, a failed login — or no server set)."""
    try:
        settings = config.smtp_settings()
    except InvalidInput as exc:
        raise ChannelError(str(exc), retry=False) from exc
    if settings is None:
        raise ChannelError(_(NOT_CONFIGURED), retry=False)
    email = email_message(message, address, sender=settings.sender, now=now or datetime.now(UTC))
    where = _("the SMTP server {host}:{port}").format(host=settings.host, port=settings.port)
    context = ssl.create_default_context()
    step = "connect"
    try:
        if settings.security == "ssl":
            server = smtplib.SMTP_SSL(
                settings.host, settings.port, timeout=timeout, context=context
            )
        else:
            server = smtplib.SMTP(settings.host, settings.port, timeout=timeout)
        with server:
            if settings.security == "starttls":
                step = "STARTTLS"
                server.ehlo()
                server.starttls(context=context)
                server.ehlo()
            if settings.user:
                step = "login"
                server.login(settings.user, settings.password or "")
            step = "send"
            server.send_message(email, to_addrs=[checked_address(address)])
    except (smtplib.SMTPException, OSError) as exc:
        raise _smtp_error(exc, where, step) from exc
