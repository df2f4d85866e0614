"""Rewards and vouchers as the portal shows them: what a reward or voucher grants, and a reward's
standing for one member (affordable, limit reached), in the active language. Pure functions of
rows already loaded: they never query."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.utils.translation import gettext as _

from loyalty.explanations import money_text, points_text
from loyalty.money import DEFAULT_CURRENCY


def grant_text(*, kind: str, percent=None, amount=None, currency: str = DEFAULT_CURRENCY) -> str:
    """What the voucher is worth at the till, in a few words. Never the product's SKU: members
    read the reward's name; the till finds the SKU on the voucher it checks."""
    if kind == "percent_discount" and percent is not None:
        return _("%(percent)s%% off one purchase") % {"percent": percent}
    if kind == "fixed_discount" and amount is not None:
        return _("%(amount)s off one purchase") % {"amount": money_text(amount, currency)}
    if kind == "cashback" and amount is not None:
        return _("%(amount)s credit on your next purchase") % {
            "amount": money_text(amount, currency)
        }
    if kind == "free_product":
        return _("A free product")
    if kind == "event":
        return _("A place at a members' event")
    return _("A reward")


KIND_LABELS = {
    "percent_discount": lambda: _("Percentage discounts"),
    "fixed_discount": lambda: _("Money off"),
    "cashback": lambda: _("Credit"),
    "free_product": lambda: _("Free products"),
    "event": lambda: _("Events"),
}


def kind_label(kind: str) -> str:
    label = KIND_LABELS.get(kind)
    return label() if label else kind


@dataclass
class RewardOffer:
    """One reward of the catalog as one member sees it."""

    reward: object
    name: str
    description: str
    grant: str
    available: int
    live_redemptions: int
    # False for a blocked member: nothing is redeemable, whatever the balance.
    is_member_active: bool = True

    @property
    def code(self) -> str:
        return self.reward.code

    @property
    def points_cost(self) -> int:
        return self.reward.points_cost

    @property
    def is_affordable(self) -> bool:
        return self.available >= self.reward.points_cost

    @property
    def points_missing(self) -> int:
        return max(self.reward.points_cost - self.available, 0)

    @property
    def is_limit_reached(self) -> bool:
        limit = self.reward.per_member_limit
        return limit is not None and self.live_redemptions >= limit

    @property
    def is_redeemable(self) -> bool:
        return self.is_member_active and self.is_affordable and not self.is_limit_reached

    @property
    def balance_after(self) -> int:
        return self.available - self.reward.points_cost

    @property
    def missing_text(self) -> str:
        return _("%(points)s more points needed") % {"points": points_text(self.points_missing)}


@dataclass
class VoucherView:
    """One of the member's vouchers with its status at `now` and what it grants."""

    voucher: object
    status: str
    name: str
    grant: str

    @property
    def code(self) -> str:
        return self.voucher.code

    @property
    def code_groups(self) -> list[str]:
        return self.voucher.code.split("-")

    @property
    def is_usable(self) -> bool:
        return self.status == "issued"


def voucher_views(vouchers, *, language: str, now: datetime.datetime) -> list[VoucherView]:
    views = []
    for voucher in vouchers:
        redemption = voucher.redemption
        views.append(
            VoucherView(
                voucher=voucher,
                status=voucher.status_at(now),
                name=redemption.localized_name(language),
                grant=grant_text(
                    kind=redemption.kind,
                    percent=redemption.percent,
                    amount=redemption.amount,
                    currency=redemption.currency or DEFAULT_CURRENCY,
                ),
            )
        )
    return views
