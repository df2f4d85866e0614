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

from django.db import connection
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

from analytics.fact_counts import CHANNEL_COUNTS, PURCHASE_COUNTS, fact_counts
from analytics.facts import facts_zone, pending_member_ids
from analytics.ledger_days import DateWindow, net_before, points_by_window
from analytics.models import PurchaseFact
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
        row["channel"]: {name: row[name] for name in CHANNEL_COUNTS}
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


def purchase_counts(
    periods: list[Period], zone: datetime.tzinfo, sources: Sources | None = None
) -> list[dict[str, Any]]:
    """The purchase counts of each period (members active, buying twice, retained... with
    revenue, and per channel), added up from both sources."""
    sources = sources or Sources.now(zone)
    totals = [dict.fromkeys(PURCHASE_COUNTS, 0) | {"channels": {}} for _ in periods]
    parts: list[list[dict[str, Any]]] = []
    raw = sources.raw(counted_purchases())
    if raw is not None:
        parts.append([_counts_raw(raw, period, zone) for period in periods])
    facts = sources.facts()
    if facts is not None:
        parts.append(fact_counts(facts, periods))
    for counts in parts:
        for total, part in zip(totals, counts, strict=True):
            for name in PURCHASE_COUNTS:
                total[name] += part[name]
            for channel, row in part["channels"].items():
                into = total["channels"].setdefault(channel, dict.fromkeys(CHANNEL_COUNTS, 0))
                for name in CHANNEL_COUNTS:
                    into[name] += row[name]
    return totals


def joined_counts(periods: list[Period], zone: datetime.tzinfo) -> list[dict[str, int]]:
    """For each period, the members who joined before its start, during it and before its end
    (erased and blocked ones included), in one pass over the members."""
    counted = {}
    for i, period in enumerate(periods):
        start, end = period.bounds(zone)
        counted[f"before_{i}"] = Count("pk", filter=Q(joined_at__lt=start))
        counted[f"during_{i}"] = Count("pk", filter=Q(joined_at__gte=start, joined_at__lt=end))
    found = Member.objects.aggregate(**counted)
    return [
        {
            "before": found[f"before_{i}"],
            "during": found[f"during_{i}"],
            "by_end": found[f"before_{i}"] + found[f"during_{i}"],
        }
        for i in range(len(periods))
    ]


def member_figures(
    period: Period, zone: datetime.tzinfo, sources: Sources | None = None, counts=None, joined=None
) -> dict[str, Any]:
    """`counts`, `joined`: the period's purchase_counts and joined_counts, if already counted."""
    joined = joined or joined_counts([period], zone)[0]
    counts = counts or purchase_counts([period], zone, sources)[0]
    active, purchases, revenue = counts["active"], counts["purchases"], counts["revenue"]
    return {
        "members": joined["by_end"],
        "new_members": joined["during"],
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


def outstanding_at(end: datetime.datetime, zone: datetime.tzinfo) -> int:
    """outstanding_points_at, with the ledger's net movement before `end` from the ledger days
    when `end` is a midnight of their zone (every day's net summed, and the entries since)."""
    net = None
    if end < timezone.now() and _day_windows([(end, end)], zone) is not None:
        net = net_before(timezone.localtime(end, zone).date(), zone)
    return outstanding_points_at(end, net_before=net)


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
    outstanding = outstanding_at(end, zone)
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


def member_figures_of(
    periods: list[Period], zone: datetime.tzinfo, sources: Sources | None = None
) -> list[dict[str, Any]]:
    """member_figures for each period, their purchases counted in one pass."""
    counts, joined = purchase_counts(periods, zone, sources), joined_counts(periods, zone)
    return [
        member_figures(period, zone, counts=counts[i], joined=joined[i])
        for i, period in enumerate(periods)
    ]


def points_roll_forward(period: Period, zone: datetime.tzinfo, figures: dict) -> dict[str, int]:
    """Outstanding points from the period's start to its end (`figures`: its points_figures):
    opening + issued - redeemed - expired + other movements = closing, where the other
    movements (staff adjustments, new points paying a debt a refund left) are the remainder."""
    start, _end = period.bounds(zone)
    opening = outstanding_at(start, zone)
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


# (tier code at the period's start or None, tier code at its end, joined during it): members
Moves = dict[tuple[str | None, str, bool], int]


def _tier_moves(bounds: list[TimeWindow], *, native: bool | None = None) -> list[Moves]:
    """For each period's (start, end), the members with a tier change before its end, counted
    by their tier at its start (None: no change before it yet), at its end, and whether they
    joined during it. A member's tier at a moment is their last change's before it; members
    who joined after the moment have none then. Tier changes are far fewer than members: this
    reads them, not every member. On PostgreSQL (`native`) one query counts every period;
    elsewhere each moment's last changes are read and counted here."""
    native = connection.vendor == "postgresql" if native is None else native
    moments = sorted({moment for pair in bounds for moment in pair})
    changes = TierChange.objects.filter(at__lt=max(moments))
    if not native:
        return _tier_moves_counted_here(changes, bounds, moments)
    # Each change holds from its moment until the member's next one (LEAD); a member's tier at
    # a moment is the change holding then, if they had joined.
    codes = ", ".join(
        f"MAX(CASE WHEN at < %s AND (until IS NULL OR until >= %s) THEN to_code END) AS code_{i}"
        for i in range(len(moments))
    )
    joined = ", ".join(f"(m.joined_at < %s) AS joined_{i}" for i in range(len(moments)))
    counts = []
    for i, (start, end) in enumerate(bounds):
        s, e = moments.index(start), moments.index(end)
        counts.append(
            f"SELECT {i}, CASE WHEN joined_{s} THEN code_{s} END, code_{e}, NOT joined_{s},"  # noqa: S608
            f" count(*) FROM members WHERE joined_{e} AND code_{e} IS NOT NULL GROUP BY 2, 3, 4"
        )
    tables = (TierChange._meta.db_table, Member._meta.db_table)
    # Only numbers and table names are put into the text; every value is a parameter.
    sql = (
        f"WITH spans AS (SELECT member_id, to_code, at, LEAD(at) OVER"  # noqa: S608
        f" (PARTITION BY member_id ORDER BY at, id) AS until FROM {tables[0]} WHERE at < %s),"
        f" codes AS (SELECT member_id, {codes} FROM spans GROUP BY member_id),"
        f" members AS (SELECT codes.*, {joined} FROM codes"
        f" JOIN {tables[1]} m ON m.id = codes.member_id)"
        f" {' UNION ALL '.join(counts)}"
    )
    params = [max(moments), *[m for m in moments for _ in (0, 1)], *moments]
    moves: list[Moves] = [{} for _ in bounds]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for period, at_start, at_end, joined_during, members in cursor.fetchall():
            moves[period][(at_start, at_end, joined_during)] = members
    return moves


def _tier_moves_counted_here(changes, bounds, moments) -> list[Moves]:
    joined_at = dict(changes.values_list("member_id", "member__joined_at").distinct())
    last = Window(
        RowNumber(), partition_by=[F("member_id")], order_by=[F("at").desc(), F("pk").desc()]
    )
    tiers = {
        moment: dict(
            changes.filter(at__lt=moment, member__joined_at__lt=moment)
            .annotate(rank=last)
            .filter(rank=1)
            .order_by()
            .values_list("member_id", "to_code")
        )
        for moment in moments
    }
    moves: list[Moves] = []
    for start, end in bounds:
        counted: Moves = {}
        for member_id, code in tiers[end].items():
            key = (tiers[start].get(member_id), code, joined_at[member_id] >= start)
            counted[key] = counted.get(key, 0) + 1
        moves.append(counted)
    return moves


def tier_figures_of(
    periods: list[Period],
    zone: datetime.tzinfo,
    tier_codes: list[str],
    *,
    joined: list[dict[str, int]] | None = None,
    native: bool | None = None,
) -> list[dict[str, Any]]:
    """For each period: members per tier at its end, and the matrix of tier at its start by
    tier at its end (the row "" holds those who joined during the period). A member's tier at
    a moment is their last change's before it, the program's lowest before any. `joined`:
    the periods' joined_counts, if already counted."""
    joined = joined or joined_counts(periods, zone)
    moves = _tier_moves([period.bounds(zone) for period in periods], native=native)
    return [
        _tier_matrix(tier_codes, moves[i], joined[i]["before"], joined[i]["during"])
        for i in range(len(periods))
    ]


def tier_figures(period: Period, zone: datetime.tzinfo, tier_codes: list[str]) -> dict[str, Any]:
    return tier_figures_of([period], zone, tier_codes)[0]


def _tier_matrix(
    tier_codes: list[str], moves: Moves, joined_before: int, joined_during: int
) -> dict[str, Any]:
    """The distribution and the matrix from the moves of the members with a change, and how
    many members joined before the period and during it (everyone else has been in the lowest
    tier throughout)."""
    lowest = tier_codes[0] if tier_codes else ""
    distribution = dict.fromkeys(tier_codes, 0)
    movements = {row: dict.fromkeys(tier_codes, 0) for row in [NOT_YET_A_MEMBER, *tier_codes]}

    def move(row: str, column: str, members: int) -> None:
        distribution[column] = distribution.get(column, 0) + members
        into = movements.setdefault(row, {})
        into[column] = into.get(column, 0) + members

    changed_before = changed_during = 0
    for (at_start, at_end, during), members in moves.items():
        if during:
            changed_during += members
            move(NOT_YET_A_MEMBER, at_end, members)
        else:  # a member then, since before the period
            changed_before += members
            move(at_start or lowest, at_end, members)
    # A change before `start` is also one before `end`: the rest stayed in the lowest tier.
    move(lowest, lowest, joined_before - changed_before)
    move(NOT_YET_A_MEMBER, lowest, joined_during - changed_during)
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
    joined = joined_counts(periods, zone)
    points = points_figures_of(periods, zone, point_value)
    tiers = tier_figures_of(periods, zone, tier_codes, joined=joined)
    return [
        {
            "from": period.start.isoformat(),
            "to": period.end.isoformat(),
            "currency": definition.currency if definition else "",
            "time_zone": str(zone),
            **member_figures(period, zone, counts=counts[i], joined=joined[i]),
            **points[i],
            **tiers[i],
            "channel_mix": channel_mix(period, zone, counts=counts[i]),
        }
        for i, period in enumerate(periods)
    ]


def period_summary(period: Period, sources: Sources | None = None) -> dict[str, Any]:
    """Every figure of the members, purchases, points and tiers for `period`, keyed by its
    snake_case name (API.md), with the currency and time zone they are in."""
    return period_summaries([period], sources)[0]
