"""Writes of the rewards app (see each module): the catalog, redemption, vouchers."""

from rewards.services.catalog import (
    RewardInvalid,
    reward_catalog_import,
    reward_check,
    reward_save,
)
from rewards.services.redemption import redemption_cancel, reward_redeem
from rewards.services.vouchers import voucher_consume, vouchers_expire, vouchers_reminder_claim

__all__ = [
    "RewardInvalid",
    "redemption_cancel",
    "reward_catalog_import",
    "reward_check",
    "reward_redeem",
    "reward_save",
    "voucher_consume",
    "vouchers_expire",
    "vouchers_reminder_claim",
]
