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

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from campaigns.channels import Message
from campaigns.models import Delivery, DeliveryPurpose
from members.models import Member

CAMPAIGN = "campaign"


class Outdated(Exception):
    """The occasion of the message is gone (the voucher was used, the change undone)."""


Compose = Callable[[Delivery, Member], Message]
Prepare = Callable[[Sequence[Delivery]], Compose]
Issue = Callable[[Delivery, Member], None]
Offers = Callable[[Delivery], bool]


@dataclass(frozen=True)
class Composer:
    source: str
    purpose: str
    compose: Compose
    prepare: Prepare | None = None
    issue: Issue | None = None
    # Whether `issue` has anything to give for the row (None: always ask it); the sender opens
    # a savepoint around `issue` only then.
    offers: Offers | None = None

    def gives(self, row: Delivery) -> bool:
        return self.issue is not None and (self.offers is None or self.offers(row))

    def for_batch(self, rows: Sequence[Delivery]) -> Compose:
        """The function composing `rows`' messages, with what they share read once."""
        return self.prepare(rows) if self.prepare is not None else self.compose


# The composers the code declares (@composer), and those registered at run time over them
# (composer_register: a test's stand-in, a plug-in's replacement); unregistering one of the
# latter brings back the declared one.
_declared: dict[str, Composer] = {}
_registered: dict[str, Composer] = {}


def composer(
    source: str,
    *,
    purpose: str,
    prepare: Prepare | None = None,
    issue: Issue | None = None,
    offers: Offers | None = None,
) -> Callable[[Compose], Compose]:
    """Declare the decorated function as the composer of `source`'s messages (with its batch
    `prepare`, its `issue` and when that has something to give, if any)."""

    def register(compose: Compose) -> Compose:
        found = Composer(
            source=source,
            purpose=purpose,
            compose=compose,
            prepare=prepare,
            issue=issue,
            offers=offers,
        )
        _check(found, _declared)
        _declared[source] = found
        return compose

    return register


def _check(found: Composer, table: dict[str, Composer]) -> None:
    if found.source == CAMPAIGN and found.purpose != DeliveryPurpose.MARKETING:
        raise ValueError("campaigns are marketing")
    known = table.get(found.source)
    if known is not None and known.compose is not found.compose:
        raise ValueError(f"two composers for {found.source!r}")


def composer_register(found: Composer) -> None:
    """Use `found` for its source, over the declared one, until composer_unregister."""
    _check(found, _registered)
    _registered[found.source] = found


def composer_unregister(source: str) -> None:
    _registered.pop(source, None)


def composer_get(source: str) -> Composer:
    found = _registered.get(source) or _declared.get(source)
    if found is None:
        raise LookupError(f"no composer for {source!r}")
    return found


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
