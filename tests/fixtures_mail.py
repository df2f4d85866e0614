"""A real SMTP server on 127.0.0.1 that keeps what it receives, for tests that send mail.

`smtp_sink` is only the server; `smtp_outbox` also points Django's SMTP backend at it, so mail
crosses a real SMTP connection exactly as in production.
"""

import email
import email.policy
import re
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller


@dataclass
class ReceivedMail:
    sender: str
    recipients: list[str]
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    @property
    def text(self) -> str:
        part = self.message.get_body(preferencelist=("plain", "html"))
        return part.get_content() if part is not None else ""

    def links(self) -> list[str]:
        return re.findall(r"https?://[^\s\"'<>]+", self.text)


@dataclass
class SMTPSink:
    """Keeps every mail; answers RCPT for an address with scripted replies first
    (`refusals[address] = ["451 4.3.0 try later"]`)."""

    host: str
    port: int
    mails: list[ReceivedMail] = field(default_factory=list)
    refusals: dict[str, list[str]] = field(default_factory=dict)
    _arrived: threading.Condition = field(default_factory=threading.Condition)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        scripted = self.refusals.get(address)
        if scripted:
            return scripted.pop(0)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self._arrived:
            self.mails.append(ReceivedMail(envelope.mail_from, list(envelope.rcpt_tos), message))
            self._arrived.notify_all()
        return "250 Message accepted for delivery"

    def wait_for_mail(self, *, to: str, timeout: float = 10.0) -> ReceivedMail:
        """The first mail to `to`, waiting for it: the live server sends from another thread."""
        deadline = time.monotonic() + timeout
        with self._arrived:
            while True:
                for mail in self.mails:
                    if to in mail.recipients:
                        return mail
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    received = [mail.recipients for mail in self.mails]
                    raise AssertionError(f"no mail to {to} within {timeout}s; got {received}")
                self._arrived.wait(remaining)

    def mails_to(self, address: str) -> list[ReceivedMail]:
        with self._arrived:
            return [mail for mail in self.mails if address in mail.recipients]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_sink() -> Iterator[SMTPSink]:
    sink = SMTPSink(host="127.0.0.1", port=_free_port())
    controller = Controller(sink, hostname=sink.host, port=sink.port)
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()


@pytest.fixture
def smtp_outbox(settings, smtp_sink: SMTPSink) -> SMTPSink:
    """Django sends its mail through SMTP to `smtp_sink` for the duration of the test."""
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = smtp_sink.host
    settings.EMAIL_PORT = smtp_sink.port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 10
    return smtp_sink
