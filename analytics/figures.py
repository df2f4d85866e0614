"""The figures of ANALYTICS.md's table, for a period of dates in the program's time zone.

Each figure is computed from the rows the rest of Tessera keeps (members, purchases, the ledger,
the tier history), exactly as the table defines it; nothing here is stored. A "purchase" is a
counted purchase: its amount net of refunds (as refunded today) is above zero. Money is net of
refunds and in the program's currency; rates are fractions from 0 to 1, `None` where the
denominator is zero (the page shows "—"), and breakage is `None` while nothing has expired.

The figures the campaigns keep (NPS, the referral funnel, campaign results) are computed in
campaigns.selectors.figures, a layer above this one.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Count, DecimalField, ExpressionWrapper, F, Q, QuerySet, Sum
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone

from loyalty.models import LedgerEntry, LoyaltyAccount, Purchase, TierChange
from loyalty.models.ledger import LIFETIME_KINDS, EntryKind
from loyalty.rules.months import months_after
from loyalty.selectors.program import program_version_latest
from members.models import Member

RATE_PLACES = Decimal("0.0001")
MONEY_PLACES = Decimal("0.01")
BREAKAGE_MONTHS = 12
# The row of the tier-movements matrix for members who joined during the period.
NOT_YET_A_MEMBER = ""


@dataclass(frozen=True)
class Period:
    """Dates `[start, end)` in the program's time zone."""

    start: datetime.date
    end: datetime.date

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise ValueError("a period ends after it starts")

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    def previous(self) -> Period:
        """The period of equal length just before this one."""
        return Period(self.start - datetime.timedelta(days=self.days), self.start)

    def bounds(self, zone: datetime.tzinfo) -> tuple[datetime.datetime, datetime.datetime]:
        return moment(self.start, zone), moment(self.end, zone)


def moment(day: datetime.date, zone: datetime.tzinfo) -> datetime.datetime:
    """The first instant of `day` in `zone`."""
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=zone)


def rate(numerator, denominator) -> Decimal | None:
    if not denominator:
        return None
    return (Decimal(numerator) / Decimal(denominator)).quantize(RATE_PLACES)


def money(value) -> Decimal:
    return Decimal(value or 0).quantize(MONEY_PLACES)


_NET = ExpressionWrapper(
    F("amount") - F("refunded_amount"), output_field=DecimalField(max_digits=14, decimal_places=2)
)


def counted_purchases() -> QuerySet[Purchase]:
    """Purchases whose amount net of refunds is above zero, with that `net` amount."""
    return Purchase.objects.annotate(net=_NET).filter(net__gt=0)


def _purchases_between(start: datetime.datetime, end: datetime.datetime) -> QuerySet[Purchase]:
    return counted_purchases().filter(purchased_at__gte=start, purchased_at__lt=end)


def _active_member_ids(start: datetime.datetime, end: datetime.datetime) -> QuerySet:
    return _purchases_between(start, end).values("member_id")


# --- Members and purchases ---------------------------------------------------------------------


def member_figures(period: Period, zone: datetime.tzinfo) -> dict[str, Any]:
    start, end = period.bounds(zone)
    previous_start, _previous_end = period.previous().bounds(zone)
    members = Member.objects.aggregate(
        members=Count("pk", filter=Q(joined_at__lt=end)),
        new_members=Count("pk", filter=Q(joined_at__gte=start, joined_at__lt=end)),
    )
    totals = _purchases_between(start, end).aggregate(
        purchases=Count("pk"),
        revenue=Coalesce(Sum("net"), Decimal(0)),
        active_members=Count("member_id", distinct=True),
    )
    repeaters = (
        _purchases_between(start, end)
        .values("member_id")
        .annotate(count=Count("pk"))
        .filter(count__gte=2)
        .count()
    )
    previous_active = _active_member_ids(previous_start, start)
    previous_count = previous_active.distinct().count()
    retained = (
        _purchases_between(start, end)
        .filter(member_id__in=previous_active)
        .values("member_id")
        .distinct()
        .count()
    )
    history = _purchases_between(datetime.datetime.min.replace(tzinfo=datetime.UTC), end)
    historic = history.aggregate(
        revenue=Coalesce(Sum("net"), Decimal(0)), buyers=Count("member_id", distinct=True)
    )
    active = totals["active_members"]
    return {
        "members": members["members"],
        "new_members": members["new_members"],
        "active_members": active,
        "purchases": totals["purchases"],
        "revenue": money(totals["revenue"]),
        "average_order_value": (
            money(totals["revenue"] / totals["purchases"]) if totals["purchases"] else None
        ),
        "purchase_frequency": rate(totals["purchases"], active),
        "repeat_rate": rate(repeaters, active),
        "retention": rate(retained, previous_count),
        "historic_value": (
            money(historic["revenue"] / historic["buyers"]) if historic["buyers"] else None
        ),
    }


def channel_mix(period: Period, zone: datetime.tzinfo) -> list[dict[str, Any]]:
    """Purchases, revenue and active members per channel, busiest first."""
    start, end = period.bounds(zone)
    rows = (
        _purchases_between(start, end)
        .values("channel")
        .annotate(
            purchases=Count("pk"),
            revenue=Coalesce(Sum("net"), Decimal(0)),
            active_members=Count("member_id", distinct=True),
        )
        .order_by("-purchases", "channel")
    )
    return [
        {
            "channel": row["channel"],
            "purchases": row["purchases"],
            "revenue": money(row["revenue"]),
            "active_members": row["active_members"],
        }
        for row in rows
    ]


# --- Points and liability ----------------------------------------------------------------------

_ISSUED = Q(kind__in=LIFETIME_KINDS) | Q(kind=EntryKind.REVERSAL, reverses__kind__in=LIFETIME_KINDS)
_REDEEMED = Q(kind=EntryKind.REDEEM)
_REDEEM_CANCELLED = Q(kind=EntryKind.REVERSAL, reverses__kind=EntryKind.REDEEM)
_EXPIRED = Q(kind=EntryKind.EXPIRE)


def _points_between(start: datetime.datetime, end: datetime.datetime) -> dict[str, int]:
    sums = LedgerEntry.objects.filter(occurred_at__gte=start, occurred_at__lt=end).aggregate(
        issued=Coalesce(Sum("points", filter=_ISSUED), 0),
        redeemed=Coalesce(Sum("points", filter=_REDEEMED), 0),
        cancelled=Coalesce(Sum("points", filter=_REDEEM_CANCELLED), 0),
        expired=Coalesce(Sum("points", filter=_EXPIRED), 0),
    )
    return {
        "issued": sums["issued"],
        "redeemed": -sums["redeemed"] - sums["cancelled"],
        "expired": -sums["expired"],
    }


def outstanding_points_at(end: datetime.datetime) -> int:
    """Available + pending points of all members at `end`. Now or later: the accounts' balances.
    Before: each member's net position at `end` from the ledger, where a negative one is a debt
    (new points pay a debt before they become available), so it counts as zero."""
    if end >= timezone.now():
        sums = LoyaltyAccount.objects.aggregate(
            available=Coalesce(Sum("available"), 0), pending=Coalesce(Sum("pending"), 0)
        )
        return sums["available"] + sums["pending"]
    positions = (
        LedgerEntry.objects.filter(occurred_at__lt=end)
        .values("member_id")
        .annotate(net=Greatest(Sum("points"), 0))
    )
    return sum(row["net"] for row in positions)


def points_figures(period: Period, zone: datetime.tzinfo, point_value: Decimal) -> dict[str, Any]:
    start, end = period.bounds(zone)
    points = _points_between(start, end)
    year = _points_between(months_after(end, -BREAKAGE_MONTHS, zone=zone), end)
    breakage = (
        rate(year["expired"], year["expired"] + year["redeemed"]) if year["expired"] > 0 else None
    )
    outstanding = outstanding_points_at(end)
    without = money(Decimal(outstanding) * point_value)
    return {
        "points_issued": points["issued"],
        "points_redeemed": points["redeemed"],
        "points_expired": points["expired"],
        "redemption_rate": rate(points["redeemed"], points["issued"]),
        "outstanding_points": outstanding,
        "breakage": breakage,
        "liability": money(without * (1 - breakage)) if breakage is not None else without,
        "liability_without_breakage": without,
    }


# --- Tiers ---------------------------------------------------------------------------------------


def tiers_at(at: datetime.datetime, lowest: str) -> dict[int, str]:
    """{member id: tier code} for every member who had joined by `at`: the last change at or
    before it, the program's lowest tier before any."""
    joined = Member.objects.filter(joined_at__lt=at).values_list("pk", flat=True)
    tiers = dict.fromkeys(joined, lowest)
    changes = (
        TierChange.objects.filter(at__lt=at)
        .order_by("member_id", "-at", "-pk")
        .distinct("member_id")
        .values_list("member_id", "to_code")
    )
    for member_id, code in changes:
        if member_id in tiers:
            tiers[member_id] = code
    return tiers


def tier_figures(period: Period, zone: datetime.tzinfo, tier_codes: list[str]) -> dict[str, Any]:
    """Members per tier at the period's end, and the matrix of tier at its start by tier at its end
    (the row "" holds those who joined during the period)."""
    start, end = period.bounds(zone)
    lowest = tier_codes[0] if tier_codes else ""
    at_end = tiers_at(end, lowest)
    at_start = tiers_at(start, lowest)
    distribution = dict.fromkeys(tier_codes, 0)
    movements = {row: dict.fromkeys(tier_codes, 0) for row in [NOT_YET_A_MEMBER, *tier_codes]}
    for member_id, code in at_end.items():
        distribution[code] = distribution.get(code, 0) + 1
        row = movements.setdefault(at_start.get(member_id, NOT_YET_A_MEMBER), {})
        row[code] = row.get(code, 0) + 1
    return {"tier_distribution": distribution, "tier_movements": movements}


# --- Cohorts -----------------------------------------------------------------------------------


def cohort_retention(period: Period, zone: datetime.tzinfo) -> list[dict[str, Any]]:
    """Members grouped by the month of their first purchase (months starting in the period);
    for each, the share with a purchase in each month after it up to the period's end (month 0,
    the first purchase's, is 1)."""
    first_month = period.start.replace(day=1)
    months: dict[int, set[datetime.date]] = {}
    _start, end = period.bounds(zone)
    for member_id, purchased_at in (
        counted_purchases().filter(purchased_at__lt=end).values_list("member_id", "purchased_at")
    ):
        local = timezone.localtime(purchased_at, zone).date()
        months.setdefault(member_id, set()).add(local.replace(day=1))
    cohorts: dict[datetime.date, list[set[datetime.date]]] = {}
    for member_months in months.values():
        first = min(member_months)
        if first_month <= first < period.end:
            cohorts.setdefault(first, []).append(member_months)
    last_month = (period.end - datetime.timedelta(days=1)).replace(day=1)
    rows = []
    for first in sorted(cohorts):
        members = cohorts[first]
        span = (last_month.year - first.year) * 12 + last_month.month - first.month
        retention = []
        for k in range(span + 1):
            month = _month_plus(first, k)
            retention.append(rate(sum(1 for m in members if month in m), len(members)))
        rows.append(
            {"month": first.strftime("%Y-%m"), "size": len(members), "retention": retention}
        )
    return rows


def _month_plus(first: datetime.date, months: int) -> datetime.date:
    index = first.month - 1 + months
    return datetime.date(first.year + index // 12, index % 12 + 1, 1)


# --- All of them -------------------------------------------------------------------------------


def figures_zone() -> datetime.tzinfo:
    """The time zone periods are read in: the latest program's (UTC before any program)."""
    version = program_version_latest()
    return version.definition.zone if version else datetime.UTC


def period_summary(period: Period) -> dict[str, Any]:
    """Every figure of the members, purchases, points and tiers for `period`, keyed by its
    snake_case name (API.md), with the currency and time zone they are in."""
    version = program_version_latest()
    definition = version.definition if version else None
    zone = figures_zone()
    point_value = definition.point_value if definition else Decimal(0)
    tier_codes = [tier.code for tier in definition.tiers] if definition else []
    return {
        "from": period.start.isoformat(),
        "to": period.end.isoformat(),
        "currency": definition.currency if definition else "",
        "time_zone": str(zone),
        **member_figures(period, zone),
        **points_figures(period, zone, point_value),
        **tier_figures(period, zone, tier_codes),
        "channel_mix": channel_mix(period, zone),
    }
