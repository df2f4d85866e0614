"""Reads of a member's points: balances, transactions, next tier and the expiry forecast. Each takes
the member whose data it reads; callers decide who may ask for which member."""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Max, QuerySet
from django.utils import timezone

from config.languages import localized
from loyalty.models import EntryKind, LedgerEntry, LoyaltyAccount, PointsLot, Purchase
from loyalty.rules.expiry import inactivity_deadline, is_inactivity_expiry
from loyalty.rules.tiers import tier_lowest_code, tier_next
from loyalty.selectors.program import program_in_force
from loyalty.selectors.tiers import qualifying_total


def account_for_member(*, member) -> LoyaltyAccount:
    """The member's balances; an unsaved zero account before their first ledger write."""
    account = LoyaltyAccount.objects.filter(member=member).first()
    if account is not None:
        return account
    program = program_in_force()
    return LoyaltyAccount(
        member=member,
        tier_code=tier_lowest_code(program) or "",
        tier_since=member.joined_at,
    )


def transactions_for_member(*, member) -> QuerySet[LedgerEntry]:
    """The member's ledger, newest first by when each movement happened (the index
    loyalty_entry_member_occurred, read in order)."""
    return (
        LedgerEntry.objects.filter(member=member)
        .select_related("purchase", "refund")
        .order_by("-occurred_at", "-pk")
    )


@dataclass(frozen=True)
class NextTier:
    code: str
    name: dict[str, str]
    remaining: Decimal  # spend (money) or points still needed, per the program's metric
    metric: str

    def localized_name(self, language: str) -> str:
        return localized(self.name, language, self.code)


def next_tier_for(*, member, at: datetime.datetime | None = None) -> NextTier | None:
    """The tier above the member's, and how much more spend (or points) in the qualification
    window reaches it; None at the top tier or without a program."""
    at = at or timezone.now()
    program = program_in_force(at=at)
    if program is None or not program.tiers:
        return None
    account = account_for_member(member=member)
    tier = tier_next(program, account.tier_code)
    if tier is None:
        return None
    total = qualifying_total(member=member, program=program, at=at)
    remaining = max(tier.threshold - total, Decimal(0))
    if program.qualification_metric == "spend":
        remaining = remaining.quantize(Decimal("0.01"))
    return NextTier(
        code=tier.code, name=tier.name, remaining=remaining, metric=program.qualification_metric
    )


def expiring_soon(
    *, member, within_days: int | None = None, at: datetime.datetime | None = None
) -> list[dict]:
    """Points that will expire within `within_days` (default: the program's warn_days), grouped
    by day in the program's timezone: [{"points": 200, "on": date}, ...], soonest first."""
    at = at or timezone.now()
    program = program_in_force(at=at)
    if program is None or program.expiry.policy == "none":
        return []
    days = within_days if within_days is not None else (program.expiry.warn_days or 30)
    horizon = at + datetime.timedelta(days=days)
    lots = PointsLot.objects.filter(member=member, remaining__gt=0)
    by_day: dict[datetime.date, int] = defaultdict(int)
    if is_inactivity_expiry(program):
        deadline = inactivity_deadline(program=program, last_activity_at=last_activity_at(member))
        if deadline <= horizon:
            total = sum(lot.remaining for lot in lots)
            if total:
                by_day[deadline.astimezone(program.zone).date()] += total
    # A lot past its date is expired, whether or not the nightly job has written it yet.
    for lot in lots.filter(expires_at__gt=at, expires_at__lte=horizon):
        by_day[lot.expires_at.astimezone(program.zone).date()] += lot.remaining
    return [{"points": points, "on": day} for day, points in sorted(by_day.items())]


def purchase_get(*, external_id: str):
    return Purchase.objects.select_related("member").filter(external_id=external_id).first()


def last_activity_at(member) -> datetime.datetime:
    """The latest purchase or redemption, or when the member joined."""
    last_purchase = Purchase.objects.filter(member=member).aggregate(at=Max("purchased_at"))["at"]
    last_redeem = LedgerEntry.objects.filter(member=member, kind=EntryKind.REDEEM).aggregate(
        at=Max("occurred_at")
    )["at"]
    return max(t for t in (last_purchase, last_redeem, member.joined_at) if t is not None)


def bonus_points(*, member_id: int, bonus_key: str) -> int:
    """The points a once-per-key bonus or gift gave the member (`birthday:2026`,
    `signup:once`); 0 when it was never given."""
    entry = (
        LedgerEntry.objects.filter(member_id=member_id, bonus_key=bonus_key)
        .values_list("points", flat=True)
        .first()
    )
    return entry or 0
