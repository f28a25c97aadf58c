"""Outgoing e-mail, when the installation has an SMTP server.

Nothing here is needed to run the tool: invitation and password-reset links
are always shown to the owner who makes them, to copy; with ``SMTP_HOST``
set, the same link is also sent to the member.  The message body holds a
working link, so it is never logged.
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Literal

Security = Literal["starttls", "tls", "none"]


@dataclass(frozen=True, slots=True)
class SmtpSettings:
    """Where and how to send: ``security`` is ``starttls`` (upgrade a plain
    connection, usually port 587), ``tls`` (TLS from the start, usually 465)
    or ``none`` (a relay on the same machine only)."""

    host: str
    sender: str
    port: int = 587
    username: str = ""
    password: str = field(default="", repr=False)
    security: Security = "starttls"
    timeout: float = 10.0


class MailFailed(RuntimeError):
    """The message could not be handed to the SMTP server; the text names the
    kind of failure, never the message or the address."""


def send_mail(settings: SmtpSettings, to: str, subject: str, body: str) -> None:
    """Send a plain-text message.  Raises :class:`MailFailed`."""
    message = EmailMessage()
    message["From"] = settings.sender
    message["To"] = to
    message["Subject"] = subject
    message.set_content(body)
    context = ssl.create_default_context()
    try:
        client: smtplib.SMTP
        if settings.security == "tls":
            client = smtplib.SMTP_SSL(
                settings.host, settings.port, timeout=settings.timeout, context=context
            )
        else:
            client = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
        with client:
            if settings.security == "starttls":
                client.starttls(context=context)
            if settings.username:
                client.login(settings.username, settings.password)
            client.send_message(message)
    except (OSError, smtplib.SMTPException) as error:
        # The kind of failure only: a server's complaint may quote the address.
        raise MailFailed(type(error).__name__) from None
