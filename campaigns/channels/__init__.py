"""Channels: one interface for every way a message leaves Tessera (CAMPAIGNS.md, Delivery).

A channel is opened once per claimed batch, sends messages one at a time, and is closed:

    with channel_open("email") as channel:
        message_id = channel.send(message)   # raises TransientSendError / PermanentSendError

- `email`: Django's mail backends (`EMAIL_BACKEND`: SMTP, the console, or an Anymail provider),
  one connection for the whole batch (campaigns.channels.email).
- `sms`, `push`: the backend class named by `TESSERA_SMS_BACKEND` / `TESSERA_PUSH_BACKEND`
  (campaigns.channels.backends: console and in-memory backends are shipped; a shop plugs its
  provider with a class of the same shape, see `TextBackend`).

What the sender needs to know of a failure is only whether trying again later could help: a
channel turns its provider's errors into `TransientSendError` (connection refused or dropped,
SMTP 4xx, a provider's 429/5xx) or `PermanentSendError` (SMTP 5xx, an address refused).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from campaigns.channels.email import EmailChannel
from campaigns.channels.errors import PermanentSendError, SendError, TransientSendError
from campaigns.channels.message import Message

__all__ = [
    "Channel",
    "Message",
    "PermanentSendError",
    "SendError",
    "TransientSendError",
    "channel_get",
    "channel_open",
]


class Channel(Protocol):
    def open(self) -> None: ...

    def close(self) -> None: ...

    def send(self, message: Message) -> str:
        """Hand `message` over; return the provider's id for it ("" when it gives none)."""
        ...


_SETTINGS = {"sms": "TESSERA_SMS_BACKEND", "push": "TESSERA_PUSH_BACKEND"}


def channel_get(name: str) -> Channel:
    if name == "email":
        return EmailChannel()
    setting = _SETTINGS.get(name)
    if setting is None:
        raise ValueError(f"unknown channel {name!r}")
    backend = import_string(getattr(settings, setting))
    return backend(channel=name)


@contextmanager
def channel_open(name: str) -> Iterator[Channel]:
    channel = channel_get(name)
    channel.open()
    try:
        yield channel
    finally:
        channel.close()
