"""SMS and push backends, named by `TESSERA_SMS_BACKEND` and `TESSERA_PUSH_BACKEND`.

A shop plugs its provider (Twilio, an operator's gateway, Firebase, OneSignal...) with a class of
`TextBackend`'s shape at an import path of its own:

    class MyGatewayBackend:
        def __init__(self, *, channel: str): ...      # "sms" or "push"
        def open(self) -> None: ...                   # once per batch: a session, a token
        def close(self) -> None: ...
        def send(self, message: Message) -> str: ...  # the provider's id for the message

`send` raises `TransientSendError` when trying again later may work (timeouts, 429, 5xx) and
`PermanentSendError` otherwise (a number refused); anything else it raises is treated as
permanent. `message.to` is the member's phone for SMS and the member's number for push
(the push provider keeps the member's devices under it: OneSignal's external id, a Firebase
topic). Shipped here: the console (the embedded default) and an in-memory outbox for tests.
"""

from __future__ import annotations

import sys
import threading
import uuid

from campaigns.channels.message import Message

# What the in-memory backends have sent, per channel, in this process (like Django's
# mail.outbox); tests clear it.
outbox: dict[str, list[Message]] = {"sms": [], "push": []}
_outbox_lock = threading.Lock()


class TextBackend:
    """The interface, doing nothing: subclass it or copy its shape."""

    def __init__(self, *, channel: str) -> None:
        self.channel = channel

    def open(self) -> None:
        pass

    def close(self) -> None:
        pass

    def send(self, message: Message) -> str:
        raise NotImplementedError


class ConsoleBackend(TextBackend):
    """Writes each message to standard output (the embedded default, like Django's console
    mail backend)."""

    def send(self, message: Message) -> str:
        message_id = uuid.uuid4().hex
        sys.stdout.write(
            f"--- {self.channel} to {message.to} ({message_id})\n{message.text}\n---\n"
        )
        sys.stdout.flush()
        return message_id


class MemoryBackend(TextBackend):
    """Keeps each message in `outbox[channel]`."""

    def send(self, message: Message) -> str:
        with _outbox_lock:
            outbox.setdefault(self.channel, []).append(message)
        return uuid.uuid4().hex
