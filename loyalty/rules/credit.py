"""What a credit does to a member's balances, and the lot it makes.

A credit of positive points makes one lot. It is pending until its `available_at` (a purchase:
`pending_days` after it was made, the return window) and expires as the program's expiry policy
says. Points that become available (at once, or when a pending lot matures) pay the member's
debt first (what refunds took beyond what was there); only the rest is available to spend.

The balances are anything with integer `available`, `pending`, `lifetime` and `debt`: the
locked `LoyaltyAccount` on the live path, the import's in-memory copy of its row. These
functions move them in memory; the caller writes them.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Protocol

from loyalty.definition import ProgramDefinition
from loyalty.models.ledger import LIFETIME_KINDS
from loyalty.rules.expiry import lot_expires_at


class Balances(Protocol):
    available: int
    pending: int
    lifetime: int
    debt: int


@dataclass(frozen=True, slots=True)
class LotCredit:
    """The values of the lot a credit makes (a `PointsLot` without its keys)."""

    points: int
    remaining: int
    debt_paid: int
    available_at: datetime.datetime
    is_matured: bool
    expires_at: datetime.datetime | None
    earned_at: datetime.datetime


@dataclass(frozen=True, slots=True)
class LotDates:
    """When a lot earned at `earned_at` becomes available (None: at once) and expires."""

    available_at: datetime.datetime | None
    expires_at: datetime.datetime | None


def lot_available_at(
    *, program: ProgramDefinition, earned_at: datetime.datetime
) -> datetime.datetime | None:
    """The end of a purchase's return window: `pending_days` after it; None without one."""
    if not program.pending_days:
        return None
    return earned_at + datetime.timedelta(days=program.pending_days)


def earn_lot_dates(*, program: ProgramDefinition, earned_at: datetime.datetime) -> LotDates:
    """The dates of the lot a purchase made at `earned_at` earns: pending for the return
    window, expiring from the purchase (not from when it matures)."""
    return LotDates(
        available_at=lot_available_at(program=program, earned_at=earned_at),
        expires_at=lot_expires_at(program=program, earned_at=earned_at),
    )


def points_available_add(balances: Balances, points: int) -> int:
    """`points` becoming available: they pay the debt first, the rest is available. Returns the
    points that paid debt."""
    paid = min(balances.debt, points)
    balances.debt -= paid
    balances.available += points - paid
    return paid


def lot_credit(
    balances: Balances,
    *,
    kind: str,
    points: int,
    earned_at: datetime.datetime,
    available_at: datetime.datetime | None,
    expires_at: datetime.datetime | None,
    now: datetime.datetime,
) -> LotCredit | None:
    """A credit of `points` of entry `kind`: the balances moved (lifetime for the kinds that
    count as earned, pending or available less the debt paid) and its lot's values; None for no
    positive points (no lot). Pending until `available_at` unless that has passed by `now`."""
    if kind in LIFETIME_KINDS:
        balances.lifetime += points
    if points <= 0:
        return None
    is_matured = available_at is None or available_at <= now
    debt_paid = 0
    if is_matured:
        debt_paid = points_available_add(balances, points)
    else:
        balances.pending += points
    return LotCredit(
        points=points,
        remaining=points - debt_paid,
        debt_paid=debt_paid,
        available_at=available_at or now,
        is_matured=is_matured,
        expires_at=expires_at,
        earned_at=earned_at,
    )


def lot_mature(balances: Balances, remaining: int) -> int:
    """A pending lot with `remaining` points maturing: no longer pending, available less the
    debt it pays first. Returns the points that paid debt (the lot's remaining goes down by
    them)."""
    balances.pending -= remaining
    return points_available_add(balances, remaining)
