"""Refunds (API.md, "Refunds"): what is left of a purchase is rescored with the purchase's own
program version and tier, and the difference is taken back (threshold bonuses no longer met go
too; a full refund leaves 0)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from loyalty.definition import ProgramDefinition
from loyalty.money import decimal_text
from loyalty.scoring import Score, items_from_stored, score_purchase


class ItemsNotLeft(ValueError):
    """A refund returns items the purchase does not have left."""


def refund_items_left(
    items: list[dict[str, Any]], refunded: list[list[dict[str, Any]]]
) -> list[dict[str, Any]]:
    """A purchase's stored `items` less every refunded item (matched on sku and category).
    ItemsNotLeft when the refunds return more of an item than the purchase had."""
    taken: Counter = Counter()
    for refund_items in refunded:
        for item in refund_items:
            taken[(item["sku"], item["category"])] += Decimal(item["quantity"])
    left = []
    for item in items:
        key = (item["sku"], item["category"])
        quantity = Decimal(item["quantity"])
        used = min(quantity, taken[key])
        taken[key] -= used
        if quantity - used > 0:
            left.append({**item, "quantity": decimal_text(quantity - used)})
    if any(quantity > 0 for quantity in taken.values()):
        raise ItemsNotLeft()
    return left


@dataclass(frozen=True)
class RefundScore:
    """A purchase rescored after a refund: its points now (`points`), the points the refund
    takes back (`taken`) and the rescore's breakdown."""

    points: int
    taken: int
    rescored: Score


def refund_rescore(
    *,
    program: ProgramDefinition,
    tier_code: str | None,
    points_before: int,
    amount_left: Decimal,
    items_left: list[dict[str, Any]],
    purchased_at,
    channel: str,
) -> RefundScore:
    """Rescore what is left of a purchase (`amount_left`, `items_left`) as it was scored (its
    version's `program`, the member's tier then, its date and channel). A refund never gives
    points: what is left earns at most what the purchase had."""
    rescored = score_purchase(
        program=program,
        tier_code=tier_code,
        amount=amount_left,
        items=items_from_stored(items_left),
        purchased_at=purchased_at,
        channel=channel,
    )
    points = min(rescored.points if amount_left > 0 else 0, points_before)
    return RefundScore(points=points, taken=points_before - points, rescored=rescored)
