"""Rows for the figures' tests, written directly: the figures' arithmetic is tested against them
(ANALYTICS.md), the scoring that writes such rows in life is tested elsewhere."""

import datetime
import itertools
from decimal import Decimal
from zoneinfo import ZoneInfo

from loyalty.models import LedgerEntry, Purchase
from loyalty.selectors.program import program_version_latest

MADRID = ZoneInfo("Europe/Madrid")
_references = itertools.count(1)


def at(text: str) -> datetime.datetime:
    """A wall-clock time in Madrid, written ISO-style ("2026-11-01T00:30")."""
    return datetime.datetime.fromisoformat(text).replace(tzinfo=MADRID)


def buy(member, when, amount, refunded="0", *, channel="store") -> Purchase:
    """A purchase as recorded (with what has been refunded of it), under the latest program."""
    return Purchase.objects.create(
        external_id=f"row-{next(_references)}",
        member=member,
        amount=Decimal(amount),
        refunded_amount=Decimal(refunded),
        currency="EUR",
        purchased_at=when,
        channel=channel,
        fingerprint="x",
        program_version=program_version_latest(),
    )


def entry(member, kind, points, when, reverses=None, *, created_at=None) -> LedgerEntry:
    """An entry written when it happened (`created_at`: later, for one written late)."""
    return LedgerEntry.objects.create(
        member=member,
        kind=kind,
        points=points,
        occurred_at=when,
        created_at=created_at or when,
        reverses=reverses,
    )
