"""Outgoing e-mail over SMTP (Python's smtplib), when an SMTP server is configured.

Configuration (environment, read in ``linkage/config.py``): ``MAIL_SERVER`` (unset: no e-mail is sent),
``MAIL_PORT`` (25), ``MAIL_USE_TLS`` (STARTTLS), ``MAIL_USE_SSL`` (SMTP over TLS), ``MAIL_USERNAME`` and
``MAIL_PASSWORD`` (log in when set), ``MAIL_SENDER`` (the From address), ``MAIL_TIMEOUT`` (seconds)."""
from __future__ import annotations

import smtplib
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from flask import current_app


def configured() -> bool:
    return bool(current_app.config.get("MAIL_SERVER"))


def send(to: str, subject: str, body: str) -> None:
    """Send one plain-text UTF-8 message; raises ``OSError``/``smtplib.SMTPException`` when it fails."""
    config = current_app.config
    message = EmailMessage()
    message["From"] = config.get("MAIL_SENDER") or "linkage@localhost"
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain="linkage")
    message.set_content(body, charset="utf-8")
    server_class = smtplib.SMTP_SSL if config.get("MAIL_USE_SSL") else smtplib.SMTP
    with server_class(config["MAIL_SERVER"], int(config.get("MAIL_PORT") or 25),
                      timeout=float(config.get("MAIL_TIMEOUT") or 10)) as server:
        if config.get("MAIL_USE_TLS") and not config.get("MAIL_USE_SSL"):
            server.starttls()
        if config.get("MAIL_USERNAME"):
            server.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
        server.send_message(message)
