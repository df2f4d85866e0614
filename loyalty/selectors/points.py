"""Program-wide points figures from the ledger (ANALYTICS.md's definitions): points issued,
redeemed and expired in a window, outstanding points at a moment, breakage and liability.

They live here, below analytics, because the program simulator (loyalty.simulation) states its
live side with the same definitions the analytics pages use (analytics.figures reads them from
here, adding its per-day sums for long periods). Rates are fractions from 0 to 1 with four
places, `None` where the denominator is zero; money has two places.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from decimal import Decimal

from django.db.models import F, Q, QuerySet, Sum
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from loyalty.models import LedgerEntry, LoyaltyAccount, PointsLot
from loyalty.models.ledger import LIFETIME_KINDS, EntryKind
from loyalty.rules.months import months_after

RATE_PLACES = Decimal("0.0001")
MONEY_PLACES = Decimal("0.01")
BREAKAGE_MONTHS = 12

# What each points figure sums, by entry. Reversals give back what a debit took: an earned
# kind's, or a redemption's (cancelled).
POINTS_BUCKETS = {
    "issued": Q(kind__in=LIFETIME_KINDS),
    "redeemed": Q(kind=EntryKind.REDEEM),
    "expired": Q(kind=EntryKind.EXPIRE),
    "given_back_issued": Q(kind=EntryKind.REVERSAL, reverses__kind__in=LIFETIME_KINDS),
    "given_back_redeemed": Q(kind=EntryKind.REVERSAL, reverses__kind=EntryKind.REDEEM),
}
# The buckets read from reversals need the entry each reverses: summed apart, over the few
# reversals, so the join stays out of the pass over every entry.
REVERSAL_BUCKETS = ("given_back_issued", "given_back_redeemed")

TimeWindow = tuple[datetime.datetime, datetime.datetime]


def rate(numerator, denominator) -> Decimal | None:
    if not denominator:
        return None
    return (Decimal(numerator) / Decimal(denominator)).quantize(RATE_PLACES)


def money(value) -> Decimal:
    return Decimal(value or 0).quantize(MONEY_PLACES)


def points_from_buckets(sums: dict[str, int]) -> dict[str, int]:
    """Points issued (net of refund clawbacks), redeemed (net of cancellations) and expired,
    from the sums of POINTS_BUCKETS."""
    return {
        "issued": sums["issued"] + sums["given_back_issued"],
        "redeemed": -sums["redeemed"] - sums["given_back_redeemed"],
        "expired": -sums["expired"],
    }


def points_in_windows(windows: list[TimeWindow]) -> list[dict[str, int]]:
    """Points issued, redeemed and expired in each window `[start, end)` of occurred_at: one
    pass over the entries of all the windows and one over their reversals."""
    low, high = min(start for start, _ in windows), max(end for _, end in windows)

    def within(i: int) -> Q:
        start, end = windows[i]
        return Q(occurred_at__gte=start, occurred_at__lt=end)

    def sums_of(entries, names) -> dict[str, int]:
        return entries.aggregate(
            **{
                f"{name}_{i}": Coalesce(Sum("points", filter=within(i) & POINTS_BUCKETS[name]), 0)
                for i in range(len(windows))
                for name in names
            }
        )

    entries = LedgerEntry.objects.filter(occurred_at__gte=low, occurred_at__lt=high)
    sums = sums_of(entries, [name for name in POINTS_BUCKETS if name not in REVERSAL_BUCKETS])
    sums |= sums_of(entries.filter(kind=EntryKind.REVERSAL), REVERSAL_BUCKETS)
    return [
        points_from_buckets({name: sums[f"{name}_{i}"] for name in POINTS_BUCKETS})
        for i in range(len(windows))
    ]


def _outstanding_by_member(end: datetime.datetime) -> QuerySet:
    """Each member's `outstanding` points at `end`. Now or later: the accounts' available +
    pending. Before: the member's net position at `end` from the ledger (available + pending -
    debt), a negative one counting as zero: a debt is paid by new points before they become
    available, so a member who owes points has none available. The one case this misses: a debt
    left by a refund while other points were still pending, until they mature (they pay it
    then); the ledger does not record the debt itself."""
    if end >= timezone.now():
        accounts = LoyaltyAccount.objects.annotate(outstanding=F("available") + F("pending"))
        return accounts.values("member_id", "outstanding").order_by()
    return (
        LedgerEntry.objects.filter(occurred_at__lt=end)
        .values("member_id")
        .annotate(outstanding=Greatest(Sum("points"), 0))
        .order_by()
    )


def outstanding_points_at(end: datetime.datetime, *, net_before: int | None = None) -> int:
    """Available + pending points of all members at `end` (see _outstanding_by_member): now or
    later, the accounts' balances; before, the ledger's net movement before `end` (`net_before`,
    if the caller has it summed) plus what the members in debt at `end` owed (shortfall_at).
    That is the sum of the members' floored positions without grouping the ledger by member:
    only a member in debt can have a negative one."""
    if end >= timezone.now():
        accounts = LoyaltyAccount.objects.aggregate(
            available=Coalesce(Sum("available"), 0), pending=Coalesce(Sum("pending"), 0)
        )
        return accounts["available"] + accounts["pending"]
    if net_before is None:
        net_before = LedgerEntry.objects.filter(occurred_at__lt=end).aggregate(
            net=Coalesce(Sum("points"), 0)
        )["net"]
    return net_before + shortfall_at(end)


def debtors() -> QuerySet:
    """The ids of the members who have ever owed points: those who owe now, and those whose
    debt a later lot paid (its debt_paid). Only they can have had a negative net position."""
    owing = LoyaltyAccount.objects.filter(debt__gt=0).values("member_id")
    paid = PointsLot.objects.filter(debt_paid__gt=0).values("member_id")
    return owing.union(paid)


def shortfall_at(end: datetime.datetime) -> int:
    """What the members whose net position at `end` was negative owed, in all."""
    positions = (
        LedgerEntry.objects.filter(occurred_at__lt=end, member_id__in=debtors())
        .values("member_id")
        .annotate(net=Sum("points"))
        .filter(net__lt=0)
        .order_by()
    )
    return -(positions.aggregate(total=Coalesce(Sum("net"), 0))["total"])


def outstanding_points_by_member(
    end: datetime.datetime, *, members: tuple[int, int], chunk_size: int = 5000
) -> Iterator[tuple[int, int]]:
    """(member id, outstanding points at `end`) of the members with ids from `members[0]` to
    `members[1]` (inclusive), in member order: what outstanding_points_at adds up."""
    low, high = members
    positions = _outstanding_by_member(end).filter(member_id__gte=low, member_id__lte=high)
    rows = positions.order_by("member_id").values_list("member_id", "outstanding")
    return rows.iterator(chunk_size=chunk_size)


def breakage_window(end: datetime.datetime, zone: datetime.tzinfo) -> TimeWindow:
    """The 12 months before `end`, over which breakage is measured."""
    return months_after(end, -BREAKAGE_MONTHS, zone=zone), end


def breakage_of(year: dict[str, int]) -> Decimal | None:
    """expired / (expired + redeemed) over the breakage window (`year`: its points_in_windows
    sums); None, "not estimable yet", while nothing has expired."""
    if year["expired"] <= 0:
        return None
    return rate(year["expired"], year["expired"] + year["redeemed"])


def liability_of(
    outstanding: int, point_value: Decimal, breakage: Decimal | None
) -> tuple[Decimal, Decimal]:
    """(liability, liability without breakage) in money: outstanding points * point_value *
    (1 - breakage), and without the breakage."""
    without = money(Decimal(outstanding) * point_value)
    return (money(without * (1 - breakage)) if breakage is not None else without), without
