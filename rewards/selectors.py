"""Reads of rewards, redemptions and vouchers. Member-scoped reads take the member who asks."""

from __future__ import annotations

import datetime
import uuid
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone

from loyalty.definition import DEFAULT_CURRENCY, ProgramDefinition
from loyalty.models import LoyaltyAccount
from loyalty.money import currency_decimals
from loyalty.rules.tiers import tier_rank
from loyalty.selectors.program import program_get, program_in_force, program_today
from rewards.codes import voucher_code_normalize
from rewards.models import Redemption, Reward, Voucher, VoucherStatus

# --- Catalog -----------------------------------------------------------------------------------


def reward_get(*, code: str) -> Reward | None:
    return Reward.objects.filter(code=code).first()


def reward_catalog(*, at: datetime.datetime | None = None) -> list[Reward]:
    """The catalog anyone may read: every active reward whose window has not closed."""
    on = program_today(at=at or timezone.now())
    return list(
        Reward.objects.filter(is_active=True).filter(
            Q(available_until__isnull=True) | Q(available_until__gte=on)
        )
    )


def reward_list_for_member(*, member, at: datetime.datetime | None = None) -> list[Reward]:
    """What `member` may redeem now: available, their tier is high enough, their limit is not
    reached and they have the points. (The same checks run again, under locks, at redemption.)"""
    at = at or timezone.now()
    program = program_in_force(at=at)
    account = LoyaltyAccount.objects.filter(member=member).first()
    available = account.available if account else 0
    tier_code = account.tier_code if account else ""
    live = dict(
        Redemption.objects.filter(member=member, cancelled_at__isnull=True)
        .values_list("reward_id")
        .annotate(count=Count("pk"))
    )
    rewards = Reward.objects.available(on=program_today(at=at)).filter(points_cost__lte=available)
    return [
        reward
        for reward in rewards
        if is_tier_enough(program, tier_code=tier_code, min_tier=reward.min_tier)
        and (reward.per_member_limit is None or live.get(reward.pk, 0) < reward.per_member_limit)
    ]


def is_tier_enough(program: ProgramDefinition | None, *, tier_code: str, min_tier: str) -> bool:
    if not min_tier:
        return True
    if program is None or program.tier(min_tier) is None:
        return False  # a requirement we cannot check is not met
    return tier_rank(program, tier_code) >= tier_rank(program, min_tier)


def reward_to_data(reward: Reward, *, currency: str = DEFAULT_CURRENCY) -> dict[str, Any]:
    """One reward in the program file's shape (PROGRAM.md, `rewards:`), optional keys left out."""
    data: dict[str, Any] = {
        "code": reward.code,
        "kind": reward.kind,
        "name": reward.names,
        "points_cost": reward.points_cost,
    }
    if reward.percent is not None:
        data["percent"] = reward.percent
    if reward.amount is not None:
        places = Decimal(1).scaleb(-currency_decimals(currency))
        exact = reward.amount.quantize(places)
        # Written at the currency's precision; a finer amount is written as it is, so that the
        # validator refuses it rather than our rounding it away.
        data["amount"] = str(exact) if exact == reward.amount else format(reward.amount, "f")
    if reward.sku:
        data["sku"] = reward.sku
    optional = {
        "stock": reward.stock,
        "min_tier": reward.min_tier or None,
        "per_member_limit": reward.per_member_limit,
        "available_from": reward.available_from.isoformat() if reward.available_from else None,
        "available_until": reward.available_until.isoformat() if reward.available_until else None,
        "voucher_valid_days": reward.voucher_valid_days,
        "description": _description_data(reward),
        "image": reward.image.name or None,
    }
    return data | {key: value for key, value in optional.items() if value is not None}


def _description_data(reward: Reward) -> str | dict[str, str] | None:
    descriptions = {
        language: text
        for language in ("en", "es", "fr")
        if (text := getattr(reward, f"description_{language}"))
    }
    if set(descriptions) == {"en"}:
        return descriptions["en"]  # the file's plain-text form
    return descriptions or None


def reward_catalog_export() -> list[dict[str, Any]]:
    """The catalog for the program file and its versions: the active rewards, by code. Inactive
    ones are left out (the file has no such flag; import never deletes, so they stay as they
    are)."""
    program = program_get()
    currency = program.currency if program else DEFAULT_CURRENCY
    return [
        reward_to_data(reward, currency=currency)
        for reward in Reward.objects.filter(is_active=True).order_by("created_at", "pk")
    ]


# --- Redemptions and vouchers ------------------------------------------------------------------


def redemption_get(*, public_id: str | uuid.UUID) -> Redemption | None:
    try:
        public_id = uuid.UUID(str(public_id))
    except ValueError:
        return None
    return (
        Redemption.objects.select_related("member__user", "reward", "voucher")
        .filter(public_id=public_id)
        .first()
    )


def voucher_get(*, code: str) -> Voucher | None:
    """The voucher with this code as typed at a till (case, spaces and dashes do not matter).
    The code is the capability: whoever holds it may see what it grants."""
    normalized = voucher_code_normalize(code)
    if normalized is None:
        return None
    return (
        Voucher.objects.select_related("redemption__member__user").filter(code=normalized).first()
    )


def voucher_for_member(*, member, code: str) -> Voucher | None:
    """One of `member`'s own vouchers by its code as typed (None for anyone else's)."""
    normalized = voucher_code_normalize(code)
    if normalized is None:
        return None
    return (
        Voucher.objects.select_related("redemption")
        .filter(code=normalized, redemption__member=member)
        .first()
    )


def redemption_for_member(*, member, public_id: str) -> Redemption | None:
    """One of `member`'s own redemptions by its public id (None for anyone else's)."""
    try:
        public_id = uuid.UUID(str(public_id))
    except ValueError:
        return None
    return (
        Redemption.objects.select_related("voucher")
        .filter(public_id=public_id, member=member)
        .first()
    )


def voucher_list_for_member(*, member) -> list[Voucher]:
    return list(
        Voucher.objects.select_related("redemption")
        .filter(redemption__member=member)
        .order_by("-issued_at", "-pk")
    )


def vouchers_due_for_reminder(*, at: datetime.datetime, days: int) -> list[int]:
    """Ids of unused vouchers expiring within `days` that were never reminded about."""
    return list(
        Voucher.objects.filter(
            status=VoucherStatus.ISSUED,
            reminded_at__isnull=True,
            expires_at__gt=at,
            expires_at__lte=at + datetime.timedelta(days=days),
        )
        .order_by("expires_at", "pk")
        .values_list("pk", flat=True)
    )
