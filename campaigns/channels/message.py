"""What a composer makes of a delivery row, whatever the channel."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Message:
    """One message to one recipient. `to` is the channel's address: an email address, a phone
    number for SMS, the member's number for push (the push provider knows the member's devices
    by it). `subject` and `html` are for email only; `headers` are extra mail headers
    (List-Unsubscribe, ...). `language` is the one it was written in."""

    to: str
    text: str
    subject: str = ""
    html: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    language: str = ""
