"""What a debit takes: from the lots it is given first (a refund's own purchase, expired lots),
then from the member's spendable lots in spending order (soonest expiry first); only a refund
may take more than there is, and the shortfall becomes debt."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from loyalty.models.ledger import LIFETIME_KINDS
from loyalty.rules.credit import Balances


def debit_allocate(lots: Iterable[Any], points: int) -> tuple[list[tuple[Any, int]], int]:
    """Take `points` from `lots` (anything with `pk` and `remaining`) in order, each lot once:
    [(lot, points taken)] and the points no lot had (the shortfall)."""
    taken: list[tuple[Any, int]] = []
    left = points
    seen: set[int] = set()
    for lot in lots:
        if left == 0:
            break
        if lot.pk in seen or lot.remaining == 0:
            continue
        seen.add(lot.pk)
        take = min(lot.remaining, left)
        taken.append((lot, take))
        left -= take
    return taken, left


def debit_apply(
    balances: Balances, *, kind: str, points: int, taken: list[tuple[Any, int]], shortfall: int
) -> None:
    """The balances after a debit of `points` of entry `kind` took `taken` from lots (matured
    ones from available, pending ones from pending) and left `shortfall` as debt; the lots'
    remaining go down by what was taken from each."""
    for lot, take in taken:
        lot.remaining -= take
        if lot.is_matured:
            balances.available -= take
        else:
            balances.pending -= take
    balances.debt += shortfall
    if kind in LIFETIME_KINDS:
        balances.lifetime -= points
