"""Who writes each kind of message. A delivery row holds no text: what it says is composed when
it is sent, by the composer registered for its source (`campaign` for every campaign, else the
automation's code), so merge values are those of the moment of sending.

    @composer("tier_change", purpose=DeliveryPurpose.NOTICE)
    def tier_change(delivery: Delivery, member: Member) -> Message: ...

A composer reads what it needs (the tier change, the voucher) and returns the `Message` in the
member's language; it raises `Outdated` when its occasion no longer applies (a voucher used
since it was queued): the row is skipped, not sent. `member` is the member row as locked by the
sender, with its user.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from campaigns.channels import Message
from campaigns.models import Delivery, DeliveryPurpose
from members.models import Member

CAMPAIGN = "campaign"


class Outdated(Exception):
    """The occasion of the message is gone (the voucher was used, the change undone)."""


Compose = Callable[[Delivery, Member], Message]


@dataclass(frozen=True)
class Composer:
    source: str
    purpose: str
    compose: Compose


_composers: dict[str, Composer] = {}


def composer(source: str, *, purpose: str) -> Callable[[Compose], Compose]:
    """Register the decorated function as the composer of `source`'s messages."""

    def register(compose: Compose) -> Compose:
        composer_register(Composer(source=source, purpose=purpose, compose=compose))
        return compose

    return register


def composer_register(found: Composer) -> None:
    if found.source == CAMPAIGN and found.purpose != DeliveryPurpose.MARKETING:
        raise ValueError("campaigns are marketing")
    known = _composers.get(found.source)
    if known is not None and known.compose is not found.compose:
        raise ValueError(f"two composers for {found.source!r}")
    _composers[found.source] = found


def composer_unregister(source: str) -> None:
    _composers.pop(source, None)


def composer_get(source: str) -> Composer:
    try:
        return _composers[source]
    except KeyError:
        raise LookupError(f"no composer for {source!r}") from None


def purpose_of(source: str) -> str:
    """Campaigns are marketing; an automation is what its composer declares."""
    if source == CAMPAIGN:
        return DeliveryPurpose.MARKETING
    return composer_get(source).purpose


def address_of(member: Member, channel: str) -> str:
    """Where `channel` reaches `member` ("" when it cannot): the email of their account, their
    phone, their member number (which the push provider knows their devices by)."""
    if channel == "email":
        return member.user.email
    if channel == "sms":
        return member.phone
    if channel == "push":
        return member.member_number
    raise ValueError(f"unknown channel {channel!r}")
