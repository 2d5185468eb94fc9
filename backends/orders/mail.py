"""The shop's outbox for one-time codes: its SMTP server, or a local Maildir for the demo.

With `SMTP_HOST` set, mail goes out through that server with aiosmtplib (STARTTLS when offered,
or as `SMTP_SECURITY` says). Without it, each mail is written as one file into the Maildir
`MAIL_OUTBOX_DIR` (default `var/mail-outbox`), so the demo works offline and a developer can read
the code there (`new/` holds one RFC 5322 file per mail).
"""

from __future__ import annotations

import asyncio
import logging
import mailbox
import os
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Protocol

import aiosmtplib

from backends.orders.errors import MailUnavailable

logger = logging.getLogger(__name__)

DEFAULT_OUTBOX = "var/mail-outbox"
SECURITY = ("auto", "starttls", "tls", "none")


@dataclass(frozen=True)
class MailSettings:
    host: str | None = None
    port: int = 587
    sender: str = "Shop assistant <no-reply@shop.example>"
    username: str | None = None
    password: str | None = None
    security: str = "auto"  # auto: STARTTLS if the server offers it
    timeout_s: float = 10.0
    outbox_dir: Path = Path(DEFAULT_OUTBOX)

    @classmethod
    def from_env(cls, env: Mapping[str, str] = os.environ) -> MailSettings:
        security = env.get("SMTP_SECURITY", "auto").lower()
        if security not in SECURITY:
            raise ValueError(f"SMTP_SECURITY must be one of {', '.join(SECURITY)}, not {security!r}")
        default_port = "465" if security == "tls" else "587"
        return cls(
            host=env.get("SMTP_HOST") or None,
            port=int(env.get("SMTP_PORT") or default_port),
            sender=env.get("SMTP_FROM") or cls.sender,
            username=env.get("SMTP_USER") or None,
            password=env.get("SMTP_PASSWORD") or None,
            security=security,
            timeout_s=float(env.get("SMTP_TIMEOUT_S") or cls.timeout_s),
            outbox_dir=Path(env.get("MAIL_OUTBOX_DIR") or DEFAULT_OUTBOX),
        )


class Mailer(Protocol):
    sender: str

    async def send(self, message: EmailMessage) -> None:
        """Hands the message over or raises MailUnavailable."""


class SmtpMailer:
    def __init__(self, settings: MailSettings) -> None:
        self.settings = settings
        self.sender = settings.sender

    async def send(self, message: EmailMessage) -> None:
        s = self.settings
        try:
            await aiosmtplib.send(
                message,
                hostname=s.host,
                port=s.port,
                username=s.username,
                password=s.password,
                use_tls=s.security == "tls",
                start_tls={"auto": None, "starttls": True}.get(s.security, False),
                timeout=s.timeout_s,
            )
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as error:
            logger.error("mail to the order's address not sent via %s:%s: %s", s.host, s.port, error)
            raise MailUnavailable("The code could not be sent right now; please try again shortly.") from error


class MaildirMailer:
    """The demo outbox: a Maildir only the shop's user can read (the mails hold valid codes)."""

    def __init__(self, settings: MailSettings) -> None:
        self.directory = settings.outbox_dir
        self.sender = settings.sender

    async def send(self, message: EmailMessage) -> None:
        try:
            await asyncio.to_thread(self._store, message)
        except OSError as error:
            logger.error("mail not written to the outbox %s: %s", self.directory, error)
            raise MailUnavailable("The code could not be sent right now; please try again shortly.") from error

    def _store(self, message: EmailMessage) -> None:
        self.directory.parent.mkdir(parents=True, exist_ok=True)
        mailbox.Maildir(self.directory, create=True).add(message)  # creates tmp/ new/ cur/ with mode 0700


def mailer_from_env(env: Mapping[str, str] = os.environ) -> Mailer:
    settings = MailSettings.from_env(env)
    if settings.host:
        logger.info("one-time codes are mailed via SMTP %s:%s", settings.host, settings.port)
        return SmtpMailer(settings)
    logger.info("SMTP_HOST is not set: one-time codes are written to the Maildir %s", settings.outbox_dir)
    return MaildirMailer(settings)
