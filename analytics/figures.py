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

from django.db.models import (
    Count,
    DecimalField,
    ExpressionWrapper,
    F,
    Q,
    QuerySet,
    Sum,
    Window,
)
from django.db.models.functions import Coalesce, RowNumber, TruncMonth
from django.utils import timezone

from analytics.facts import facts_zone, pending_member_ids
from analytics.ledger_days import DateWindow, points_by_window
from analytics.models import PurchaseFact
from loyalty.channels import CHANNELS
from loyalty.models import Purchase, TierChange
from loyalty.periods import Period, moment
from loyalty.selectors.points import (
    TimeWindow,
    breakage_of,
    breakage_window,
    liability_of,
    money,
    outstanding_points_at,
    points_from_buckets,
    points_in_windows,
    rate,
)
from loyalty.selectors.program import program_version_latest
from members.models import Member

# The row of the tier-movements matrix for members who joined during the period.
NOT_YET_A_MEMBER = ""


_NET = ExpressionWrapper(
    F("amount") - F("refunded_amount"), output_field=DecimalField(max_digits=14, decimal_places=2)
)


def counted_purchases() -> QuerySet[Purchase]:
    """Purchases whose amount net of refunds is above zero, with that `net` amount."""
    return Purchase.objects.annotate(net=_NET).filter(net__gt=0)


# --- Where the purchase figures are counted ------------------------------------------------------
#
# Every purchase figure is a sum over members (a member is active or not, buys twice or not...),
# so it is counted from two sources and added up: the purchase facts (analytics.facts) for the
# members they are current for, and the purchases themselves for the others: members whose
# latest change the facts' consumer has not settled yet, or everyone while the facts are not
# built for the program's time zone. Rates are taken from the sums.


@dataclass(frozen=True)
class Sources:
    # Members counted from their purchases; None: everyone (no facts for this time zone).
    pending: frozenset[int] | None

    @classmethod
    def now(cls, zone: datetime.tzinfo) -> Sources:
        if facts_zone() != str(zone):
            return cls(pending=None)
        return cls(pending=frozenset(pending_member_ids()))

    def raw(self, purchases: QuerySet[Purchase]) -> QuerySet[Purchase] | None:
        """`purchases` narrowed to the members counted from them (None: nobody)."""
        if self.pending is None:
            return purchases
        if not self.pending:
            return None
        return purchases.filter(member_id__in=self.pending)

    def facts(self) -> QuerySet[PurchaseFact] | None:
        if self.pending is None:
            return None
        return PurchaseFact.objects.exclude(member_id__in=self.pending)


_PURCHASE_COUNTS = (
    "purchases",
    "revenue",
    "active",
    "repeaters",
    "retained",
    "previous_active",
    "historic_revenue",
    "buyers",
)
_CHANNEL_COUNTS = ("purchases", "revenue", "active_members")


def _counts_raw(purchases: QuerySet[Purchase], period: Period, zone) -> dict[str, Any]:
    start, end = period.bounds(zone)
    previous_start, _previous_end = period.previous().bounds(zone)
    during = purchases.filter(purchased_at__gte=start, purchased_at__lt=end)
    totals = during.aggregate(
        purchases=Count("pk"),
        revenue=Coalesce(Sum("net"), Decimal(0)),
        active=Count("member_id", distinct=True),
    )
    before = purchases.filter(purchased_at__gte=previous_start, purchased_at__lt=start)
    history = purchases.filter(purchased_at__lt=end).aggregate(
        revenue=Coalesce(Sum("net"), Decimal(0)), buyers=Count("member_id", distinct=True)
    )
    channels = {
        row["channel"]: {name: row[name] for name in _CHANNEL_COUNTS}
        for row in during.values("channel")
        .annotate(
            purchases=Count("pk"),
            revenue=Coalesce(Sum("net"), Decimal(0)),
            active_members=Count("member_id", distinct=True),
        )
        .order_by()
    }
    return {
        "purchases": totals["purchases"],
        "revenue": totals["revenue"],
        "active": totals["active"],
        "repeaters": (
            during.values("member_id").annotate(count=Count("pk")).filter(count__gte=2).count()
        ),
        "retained": (
            during.filter(member_id__in=before.values("member_id"))
            .values("member_id")
            .distinct()
            .count()
        ),
        "previous_active": before.values("member_id").distinct().count(),
        "historic_revenue": history["revenue"],
        "buyers": history["buyers"],
        "channels": channels,
    }


def _first_in(start: datetime.date, field: str = "previous_day") -> Q:
    """The member's first counted purchase (in the channel, for `previous_channel_day`) on or
    after `start`, among rows dated from it: none before it since `start`."""
    return Q(**{f"{field}__isnull": True}) | Q(**{f"{field}__lt": start})


def _counts_facts(facts: QuerySet[PurchaseFact], periods: list[Period]) -> list[dict[str, Any]]:
    """_counts_raw's counts for each period, from the facts, in one pass over them."""
    sums: dict[str, Any] = {}
    for i, period in enumerate(periods):
        s, e, q = period.start, period.end, period.previous().start
        during = Q(day__gte=s, day__lt=e)
        sums |= {
            f"purchases_{i}": Count("pk", filter=during),
            f"revenue_{i}": Coalesce(Sum("net", filter=during), Decimal(0)),
            f"active_{i}": Count("pk", filter=during & _first_in(s)),
            # The second purchase in the period: the previous one is in it, the one before not.
            f"repeaters_{i}": Count(
                "pk", filter=during & Q(previous_day__gte=s) & _first_in(s, "second_previous_day")
            ),
            # The first in the period, after one in the previous period.
            f"retained_{i}": Count(
                "pk", filter=during & Q(previous_day__gte=q, previous_day__lt=s)
            ),
            f"previous_active_{i}": Count("pk", filter=Q(day__gte=q, day__lt=s) & _first_in(q)),
            f"historic_revenue_{i}": Coalesce(Sum("net", filter=Q(day__lt=e)), Decimal(0)),
            f"buyers_{i}": Count("pk", filter=Q(day__lt=e, previous_day__isnull=True)),
        }
        for channel in CHANNELS:
            in_channel = during & Q(channel=channel)
            sums |= {
                f"{channel}_purchases_{i}": Count("pk", filter=in_channel),
                f"{channel}_revenue_{i}": Coalesce(Sum("net", filter=in_channel), Decimal(0)),
                f"{channel}_active_members_{i}": Count(
                    "pk", filter=in_channel & _first_in(s, "previous_channel_day")
                ),
            }
    found = facts.filter(day__lt=max(period.end for period in periods)).aggregate(**sums)
    counts = []
    for i in range(len(periods)):
        part = {name: found[f"{name}_{i}"] for name in _PURCHASE_COUNTS}
        part["channels"] = {
            channel: {name: found[f"{channel}_{name}_{i}"] for name in _CHANNEL_COUNTS}
            for channel in CHANNELS
            if found[f"{channel}_purchases_{i}"]
        }
        counts.append(part)
    return counts


def purchase_counts(
    periods: list[Period], zone: datetime.tzinfo, sources: Sources | None = None
) -> list[dict[str, Any]]:
    """The purchase counts of each period (members active, buying twice, retained... with
    revenue, and per channel), added up from both sources."""
    sources = sources or Sources.now(zone)
    totals = [dict.fromkeys(_PURCHASE_COUNTS, 0) | {"channels": {}} for _ in periods]
    parts: list[list[dict[str, Any]]] = []
    raw = sources.raw(counted_purchases())
    if raw is not None:
        parts.append([_counts_raw(raw, period, zone) for period in periods])
    facts = sources.facts()
    if facts is not None:
        parts.append(_counts_facts(facts, periods))
    for counts in parts:
        for total, part in zip(totals, counts, strict=True):
            for name in _PURCHASE_COUNTS:
                total[name] += part[name]
            for channel, row in part["channels"].items():
                into = total["channels"].setdefault(channel, dict.fromkeys(_CHANNEL_COUNTS, 0))
                for name in _CHANNEL_COUNTS:
                    into[name] += row[name]
    return totals


def member_figures(
    period: Period, zone: datetime.tzinfo, sources: Sources | None = None, counts=None
) -> dict[str, Any]:
    start, end = period.bounds(zone)
    members = Member.objects.aggregate(
        members=Count("pk", filter=Q(joined_at__lt=end)),
        new_members=Count("pk", filter=Q(joined_at__gte=start, joined_at__lt=end)),
    )
    counts = counts or purchase_counts([period], zone, sources)[0]
    active, purchases, revenue = counts["active"], counts["purchases"], counts["revenue"]
    return {
        "members": members["members"],
        "new_members": members["new_members"],
        "active_members": active,
        "purchases": purchases,
        "revenue": money(revenue),
        "average_order_value": money(revenue / purchases) if purchases else None,
        "purchase_frequency": rate(purchases, active),
        "repeat_rate": rate(counts["repeaters"], active),
        "retention": rate(counts["retained"], counts["previous_active"]),
        "historic_value": (
            money(counts["historic_revenue"] / counts["buyers"]) if counts["buyers"] else None
        ),
    }


def channel_mix(
    period: Period, zone: datetime.tzinfo, sources: Sources | None = None, counts=None
) -> list[dict[str, Any]]:
    """Purchases, revenue and active members per channel, busiest first."""
    counts = counts or purchase_counts([period], zone, sources)[0]
    rows = [
        {"channel": channel, **row, "revenue": money(row["revenue"])}
        for channel, row in counts["channels"].items()
    ]
    return sorted(rows, key=lambda row: (-row["purchases"], row["channel"]))


# --- Points and liability ----------------------------------------------------------------------


def _day_windows(windows: list[TimeWindow], zone) -> list[DateWindow] | None:
    """The windows as days, if each starts and ends at a midnight of `zone`."""
    days = []
    for start, end in windows:
        first, last = timezone.localtime(start, zone).date(), timezone.localtime(end, zone).date()
        if moment(first, zone) != start or moment(last, zone) != end:
            return None
        days.append((first, last))
    return days


def _points_in(windows: list[TimeWindow], zone=None) -> list[dict[str, int]]:
    """Points issued, redeemed and expired in each window `[start, end)` of occurred_at: from
    the ledger days (analytics.ledger_days) when they are for `zone` and the windows are whole
    days, otherwise from the entries (loyalty.selectors.points.points_in_windows)."""
    days = _day_windows(windows, zone) if zone is not None else None
    found = points_by_window(days, zone) if days is not None else None
    if found is not None:
        return [points_from_buckets(sums) for sums in found]
    return points_in_windows(windows)


def _breakage_window(period: Period, zone: datetime.tzinfo) -> TimeWindow:
    _start, end = period.bounds(zone)
    return breakage_window(end, zone)


def points_figures(
    period: Period, zone: datetime.tzinfo, point_value: Decimal, sums=None
) -> dict[str, Any]:
    """`sums`: _points_in's for the period and its breakage window, if already counted."""
    start, end = period.bounds(zone)
    points, year = sums or _points_in([(start, end), _breakage_window(period, zone)], zone)
    breakage = breakage_of(year)
    outstanding = outstanding_points_at(end)
    liability, without = liability_of(outstanding, point_value, breakage)
    return {
        "points_issued": points["issued"],
        "points_redeemed": points["redeemed"],
        "points_expired": points["expired"],
        "redemption_rate": rate(points["redeemed"], points["issued"]),
        "outstanding_points": outstanding,
        "breakage": breakage,
        "liability": liability,
        "liability_without_breakage": without,
    }


def points_figures_of(
    periods: list[Period], zone: datetime.tzinfo, point_value: Decimal
) -> list[dict[str, Any]]:
    """points_figures for each period, their windows and breakage windows read in one pass."""
    windows = []
    for period in periods:
        windows += [period.bounds(zone), _breakage_window(period, zone)]
    sums = _points_in(windows, zone)
    return [
        points_figures(period, zone, point_value, sums=sums[2 * i : 2 * i + 2])
        for i, period in enumerate(periods)
    ]


def member_figures_of(periods: list[Period], zone: datetime.tzinfo) -> list[dict[str, Any]]:
    """member_figures for each period, their purchases counted in one pass."""
    counts = purchase_counts(periods, zone)
    return [
        member_figures(period, zone, counts=found)
        for period, found in zip(periods, counts, strict=True)
    ]


def points_roll_forward(period: Period, zone: datetime.tzinfo, figures: dict) -> dict[str, int]:
    """Outstanding points from the period's start to its end (`figures`: its points_figures):
    opening + issued - redeemed - expired + other movements = closing, where the other
    movements (staff adjustments, new points paying a debt a refund left) are the remainder."""
    start, _end = period.bounds(zone)
    opening = outstanding_points_at(start)
    closing = figures["outstanding_points"]
    issued, redeemed = figures["points_issued"], figures["points_redeemed"]
    expired = figures["points_expired"]
    return {
        "opening": opening,
        "issued": issued,
        "redeemed": redeemed,
        "expired": expired,
        "other": closing - opening - issued + redeemed + expired,
        "closing": closing,
    }


# --- Tiers ---------------------------------------------------------------------------------------


def _latest_tiers(at: datetime.datetime) -> dict[int, str]:
    """{member id: tier code} of the members with a tier change before `at`, from their last
    one. Tier changes are far fewer than members: this reads them, not every member."""
    last = Window(
        RowNumber(), partition_by=[F("member_id")], order_by=[F("at").desc(), F("pk").desc()]
    )
    rows = (
        TierChange.objects.filter(at__lt=at, member__joined_at__lt=at)
        .annotate(rank=last)
        .filter(rank=1)
        .order_by()
        .values_list("member_id", "to_code")
    )
    return dict(rows)


def tier_figures(
    period: Period, zone: datetime.tzinfo, tier_codes: list[str], known: dict | None = None
) -> dict[str, Any]:
    """Members per tier at the period's end, and the matrix of tier at its start by tier at its
    end (the row "" holds those who joined during the period). A member's tier at a moment is
    their last change's before it, the program's lowest before any. `known`: _latest_tiers by
    moment, shared between periods."""
    start, end = period.bounds(zone)
    lowest = tier_codes[0] if tier_codes else ""
    known = {} if known is None else known
    for instant in (start, end):
        if instant not in known:
            known[instant] = _latest_tiers(instant)
    at_end, at_start = known[end], known[start]
    joined_before = Member.objects.filter(joined_at__lt=start).count()
    joined_during = set(
        Member.objects.filter(joined_at__gte=start, joined_at__lt=end).values_list("pk", flat=True)
    )
    distribution = dict.fromkeys(tier_codes, 0)
    movements = {row: dict.fromkeys(tier_codes, 0) for row in [NOT_YET_A_MEMBER, *tier_codes]}

    def move(row: str, column: str, members: int) -> None:
        distribution[column] = distribution.get(column, 0) + members
        into = movements.setdefault(row, {})
        into[column] = into.get(column, 0) + members

    changed_before = changed_during = 0
    for member_id, code in at_end.items():
        if member_id in joined_during:
            changed_during += 1
            move(NOT_YET_A_MEMBER, code, 1)
        else:  # a member then, since before the period
            changed_before += 1
            move(at_start.get(member_id, lowest), code, 1)
    # Everyone else has been in the lowest tier throughout (a change before `start` is also one
    # before `end`).
    move(lowest, lowest, joined_before - changed_before)
    move(NOT_YET_A_MEMBER, lowest, len(joined_during) - changed_during)
    return {"tier_distribution": distribution, "tier_movements": movements}


# --- Cohorts -----------------------------------------------------------------------------------


def cohort_retention(
    period: Period, zone: datetime.tzinfo, sources: Sources | None = None
) -> list[dict[str, Any]]:
    """Members grouped by the month of their first purchase (months starting in the period);
    for each, the share with a purchase in each month after it up to the period's end (month 0,
    the first purchase's, is 1)."""
    sources = sources or Sources.now(zone)
    first_month = period.start.replace(day=1)
    # (cohort month, month) -> members of the cohort with a purchase that month.
    cells: dict[tuple[datetime.date, datetime.date], int] = {}
    _start, end = period.bounds(zone)
    raw = sources.raw(counted_purchases())
    if raw is not None:
        months: dict[int, set[datetime.date]] = {}
        for member_id, purchased_at in raw.filter(purchased_at__lt=end).values_list(
            "member_id", "purchased_at"
        ):
            local = timezone.localtime(purchased_at, zone).date()
            months.setdefault(member_id, set()).add(local.replace(day=1))
        for member_months in months.values():
            first = min(member_months)
            if first_month <= first < period.end:
                for month in member_months:
                    cells[first, month] = cells.get((first, month), 0) + 1
    facts = sources.facts()
    if facts is not None:
        rows = (
            facts.filter(first_day__gte=first_month, first_day__lt=period.end, day__lt=period.end)
            .annotate(cohort=TruncMonth("first_day"), month=TruncMonth("day"))
            # The member's first purchase of that month: none before it in the month.
            .filter(Q(previous_day__isnull=True) | Q(previous_day__lt=F("month")))
            .values("cohort", "month")
            .annotate(members=Count("pk"))
            .order_by()
        )
        for row in rows:
            key = (_as_date(row["cohort"]), _as_date(row["month"]))
            cells[key] = cells.get(key, 0) + row["members"]
    last_month = (period.end - datetime.timedelta(days=1)).replace(day=1)
    found = []
    for first in sorted({cohort for cohort, month in cells if cohort == month}):
        size = cells[first, first]
        span = (last_month.year - first.year) * 12 + last_month.month - first.month
        retention = [
            rate(cells.get((first, _month_plus(first, k)), 0), size) for k in range(span + 1)
        ]
        found.append({"month": first.strftime("%Y-%m"), "size": size, "retention": retention})
    return found


def _as_date(value) -> datetime.date:
    return value.date() if isinstance(value, datetime.datetime) else value


def _month_plus(first: datetime.date, months: int) -> datetime.date:
    index = first.month - 1 + months
    return datetime.date(first.year + index // 12, index % 12 + 1, 1)


# --- All of them -------------------------------------------------------------------------------


def figures_zone() -> datetime.tzinfo:
    """The time zone periods are read in: the latest program's (UTC before any program)."""
    version = program_version_latest()
    return version.definition.zone if version else datetime.UTC


def period_summaries(periods: list[Period], sources: Sources | None = None) -> list[dict]:
    """period_summary for each period, counting what they share in one pass: the purchase
    facts once, the ledger once."""
    version = program_version_latest()
    definition = version.definition if version else None
    zone = figures_zone()
    sources = sources or Sources.now(zone)
    point_value = definition.point_value if definition else Decimal(0)
    tier_codes = [tier.code for tier in definition.tiers] if definition else []
    counts = purchase_counts(periods, zone, sources)
    points = points_figures_of(periods, zone, point_value)
    tiers: dict = {}
    return [
        {
            "from": period.start.isoformat(),
            "to": period.end.isoformat(),
            "currency": definition.currency if definition else "",
            "time_zone": str(zone),
            **member_figures(period, zone, counts=counts[i]),
            **points[i],
            **tier_figures(period, zone, tier_codes, tiers),
            "channel_mix": channel_mix(period, zone, counts=counts[i]),
        }
        for i, period in enumerate(periods)
    ]


def period_summary(period: Period, sources: Sources | None = None) -> dict[str, Any]:
    """Every figure of the members, purchases, points and tiers for `period`, keyed by its
    snake_case name (API.md), with the currency and time zone they are in."""
    return period_summaries([period], sources)[0]
