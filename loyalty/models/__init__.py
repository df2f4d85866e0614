from loyalty.models.ledger import (
    EntryKind,
    LedgerEntry,
    LotAllocation,
    LoyaltyAccount,
    PointsLot,
    Purchase,
    Refund,
    TierChange,
)
from loyalty.models.program import EarningRule, Program, ProgramVersion, Tier
from loyalty.models.shop import ShopProfile

__all__ = [
    "EarningRule",
    "EntryKind",
    "LedgerEntry",
    "LotAllocation",
    "LoyaltyAccount",
    "PointsLot",
    "Program",
    "ProgramVersion",
    "Purchase",
    "Refund",
    "ShopProfile",
    "Tier",
    "TierChange",
]
