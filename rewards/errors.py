"""Domain errors of rewards, each with a stable `code` (the API's) and a message that can be read
in any of the program's languages (`message(language)`): the till shows it to the member."""

from __future__ import annotations

from django.utils import translation
from django.utils.translation import gettext_lazy as _


class RewardError(Exception):
    code = "reward_error"
    template = _("This reward cannot be redeemed.")

    def __init__(self, **params):
        self.params = params
        super().__init__(self.message("en"))

    def message(self, language: str | None = None) -> str:
        if language is None:
            return str(self.template) % self.params
        with translation.override(language):
            return str(self.template) % self.params


class RewardNotFound(RewardError):
    code = "reward_not_found"
    template = _("No reward has this code.")


class RewardNotAvailable(RewardError):
    code = "not_available"
    template = _("This reward is not available right now.")


class TierRequired(RewardError):
    code = "tier_required"
    template = _("This reward is for members of the %(tier)s tier and above.")


class LimitReached(RewardError):
    code = "limit_reached"
    template = _("You have already redeemed this reward the most times allowed (%(limit)s).")


class OutOfStock(RewardError):
    code = "out_of_stock"
    template = _("This reward is out of stock.")


class InsufficientPointsForReward(RewardError):
    code = "insufficient_points"
    template = _("This reward costs %(cost)s points; you have %(available)s.")


class VoucherNotFound(RewardError):
    code = "voucher_not_found"
    template = _("No voucher has this code.")


class RedemptionNotFound(RewardError):
    code = "redemption_not_found"
    template = _("No redemption has this id.")


_REASONS = {
    "consumed": _("This voucher has already been used."),
    "expired": _("This voucher has expired."),
    "cancelled": _("This voucher has been cancelled."),
}


class VoucherNotUsable(RewardError):
    """A voucher that is no longer `issued` (or is past its expiry): `reason` says which."""

    code = "voucher_not_usable"

    def __init__(self, *, reason: str):
        self.reason = reason
        self.template = _REASONS.get(reason, _("This voucher cannot be used."))
        super().__init__()
