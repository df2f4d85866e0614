"""Email through Django's mail backends: whatever `EMAIL_BACKEND` names (SMTP, the console in
the embedded default, locmem in tests, or an Anymail provider's backend), with one connection
opened per batch and reused for every message in it.

Errors are sorted for the sender: SMTP replies by their code (4xx transient, 5xx permanent),
network errors transient; Anymail's by its exceptions (a refused recipient is permanent, an API
error transient when its HTTP status is 429 or 5xx). After any error the connection is closed
and opened again for the next message, since an SMTP session may be left mid-command.
"""

from __future__ import annotations

import contextlib
import smtplib

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.message import make_msgid

from campaigns.channels.errors import PermanentSendError, TransientSendError
from campaigns.channels.message import Message
from loyalty.selectors.program import program_sender


class EmailChannel:
    def __init__(self) -> None:
        self.connection = None
        # From the shop, read once per batch: "Club Sicmay <no-reply@…>".
        self.sender = program_sender()

    def open(self) -> None:
        if self.connection is None:
            self.connection = get_connection(fail_silently=False)
        self.connection.open()

    def close(self) -> None:
        if self.connection is not None:
            # A broken session closes as it can.
            with contextlib.suppress(Exception):
                self.connection.close()

    def send(self, message: Message) -> str:
        if self.connection is None:
            try:
                self.open()
            except Exception as error:
                self._reset()
                raise _sorted(error) from error
        # Our own Message-ID, so the row knows it whatever the backend reports.
        message_id = make_msgid(domain=_domain())
        mail = EmailMultiAlternatives(
            subject=message.subject,
            body=message.text,
            from_email=self.sender,
            to=[message.to],
            headers={**message.headers, "Message-ID": message_id},
            connection=self.connection,
        )
        if message.html:
            mail.attach_alternative(message.html, "text/html")
        try:
            sent = self.connection.send_messages([mail])
        except Exception as error:
            self._reset()
            raise _sorted(error) from error
        if not sent:
            self._reset()
            raise TransientSendError("the mail backend sent nothing")
        # An Anymail backend reports the provider's id on the message.
        status = getattr(mail, "anymail_status", None)
        provider_id = getattr(status, "message_id", None) if status is not None else None
        return str(provider_id or message_id)

    def _reset(self) -> None:
        self.close()
        self.connection = None


def _domain() -> str:
    sender = settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip(" >")
    return sender or "localhost"


def _sorted(error: Exception) -> Exception:
    """The error as the sender sees it: transient or permanent, with a short description."""
    text = f"{type(error).__name__}: {error}"[:500]
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        codes = [code for code, _message in error.recipients.values()]
        transient = bool(codes) and all(400 <= code < 500 for code in codes)
        return (TransientSendError if transient else PermanentSendError)(text)
    if isinstance(error, smtplib.SMTPResponseException):
        transient = 400 <= error.smtp_code < 500
        return (TransientSendError if transient else PermanentSendError)(text)
    if isinstance(error, smtplib.SMTPException | OSError):
        # A dropped session, a refused or timed-out connection.
        return TransientSendError(text)
    status = getattr(error, "status_code", None)  # Anymail's API errors carry the HTTP status
    if type(error).__name__ == "AnymailRecipientsRefused":
        return PermanentSendError(text)
    if status is not None:
        transient = status == 429 or status >= 500
        return (TransientSendError if transient else PermanentSendError)(text)
    if type(error).__module__.startswith("anymail"):
        return TransientSendError(text)  # a provider's outage, unreachable API
    return PermanentSendError(text)
