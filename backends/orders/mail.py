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
from collections.abc import Mapping
from email.message import EmailMessage
from pathlib import Path
from typing import Annotated, Any, Literal, Protocol

import aiosmtplib
from pydantic import BeforeValidator, Field, model_validator

from backends.orders.errors import MailUnavailable
from settings_kit.settings import ServiceSettings

logger = logging.getLogger(__name__)

DEFAULT_OUTBOX = "var/mail-outbox"
Security = Literal["auto", "starttls", "tls", "none"]  # auto: STARTTLS if the server offers it


class MailSettings(ServiceSettings):
    """From SMTP_* and MAIL_OUTBOX_DIR; SMTP_PORT defaults to 465 for SMTP_SECURITY=tls, else 587."""

    host: str | None = Field(None, validation_alias="SMTP_HOST")
    port: int = Field(587, ge=1, le=65535, validation_alias="SMTP_PORT")
    sender: str = Field("Shop assistant <no-reply@shop.example>", validation_alias="SMTP_FROM")
    username: str | None = Field(None, validation_alias="SMTP_USER")
    password: str | None = Field(None, validation_alias="SMTP_PASSWORD")
    security: Annotated[Security, BeforeValidator(lambda value: str(value).lower())] = Field(
        "auto", validation_alias="SMTP_SECURITY"
    )
    timeout_s: float = Field(10.0, gt=0, validation_alias="SMTP_TIMEOUT_S")
    outbox_dir: Path = Field(Path(DEFAULT_OUTBOX), validation_alias="MAIL_OUTBOX_DIR")

    @model_validator(mode="before")
    @classmethod
    def _implicit_tls_port(cls, data: Any) -> Any:
        """Implicit TLS has its own well-known port; an explicit SMTP_PORT still wins."""
        if isinstance(data, dict) and not {"port", "SMTP_PORT"} & data.keys():
            security = data.get("security", data.get("SMTP_SECURITY", ""))
            if str(security).lower() == "tls":
                return {**data, "port": 465}
        return data


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


def mailer_from_env(env: Mapping[str, str] | None = None) -> Mailer:
    settings = MailSettings.from_env(env)
    if settings.host:
        logger.info("one-time codes are mailed via SMTP %s:%s", settings.host, settings.port)
        return SmtpMailer(settings)
    logger.info("SMTP_HOST is not set: one-time codes are written to the Maildir %s", settings.outbox_dir)
    return MaildirMailer(settings)
