"""Domain errors of rewards (config.domain): each with a stable `code`, its HTTP status and a
message that can be read in any of the program's languages (`message(language)`): the till shows
it to the member."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from config.domain import DomainError


class RewardError(DomainError):
    code = "reward_error"
    template = _("This reward cannot be redeemed.")


class RewardNotFound(RewardError):
    code = "reward_not_found"
    status = 404
    template = _("No reward has this code.")


class RewardNotAvailable(RewardError):
    code = "not_available"
    status = 409
    template = _("This reward is not available right now.")


class TierRequired(RewardError):
    code = "tier_required"
    status = 409
    template = _("This reward is for members of the %(tier)s tier and above.")


class LimitReached(RewardError):
    code = "limit_reached"
    status = 409
    template = _("You have already redeemed this reward the most times allowed (%(limit)s).")


class OutOfStock(RewardError):
    code = "out_of_stock"
    status = 409
    template = _("This reward is out of stock.")


class InsufficientPointsForReward(RewardError):
    code = "insufficient_points"
    status = 409
    template = _("This reward costs %(cost)s points; you have %(available)s.")


class VoucherNotFound(RewardError):
    code = "voucher_not_found"
    status = 404
    template = _("No voucher has this code.")


class RedemptionNotFound(RewardError):
    code = "redemption_not_found"
    status = 404
    template = _("No redemption has this id.")


_REASONS = {
    "consumed": _("This voucher has already been used."),
    "expired": _("This voucher has expired."),
    "cancelled": _("This voucher has been cancelled."),
}


class VoucherNotUsable(RewardError):
    """A voucher that is no longer `issued` (or is past its expiry): `reason` says which."""

    code = "voucher_not_usable"
    status = 409

    def __init__(self, *, reason: str):
        self.reason = reason
        self.template = _REASONS.get(reason, _("This voucher cannot be used."))
        super().__init__()
