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
from loyalty.models.simulation import ProgramSimulation, SimulationStatus

__all__ = [
    "EarningRule",
    "EntryKind",
    "LedgerEntry",
    "LotAllocation",
    "LoyaltyAccount",
    "PointsLot",
    "Program",
    "ProgramSimulation",
    "ProgramVersion",
    "Purchase",
    "Refund",
    "ShopProfile",
    "SimulationStatus",
    "Tier",
    "TierChange",
]
