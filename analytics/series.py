"""Revenue and purchases over a period, step by step, for the analytics pages' chart.

The counted purchases of the period (net of refunds above zero) per day of the program's time
zone come from the purchase facts' days (analytics.models.PurchaseDay, kept with the facts: a
few hundred rows for a year), the members whose facts are behind counted from their purchases as
the figures do; the days are then gathered into weeks (Monday first) or months when the period
is too long to read day by day. Every step of the period is present, an empty one with zeros, so
the chart's axis has no holes."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Sum
from django.db.models.functions import TruncDate

from analytics.figures import Period, Sources, counted_purchases, money
from analytics.models import PurchaseDay, PurchaseFact

DAY = "day"
WEEK = "week"
MONTH = "month"
# Up to this many days the chart shows days; up to DAYS_OF_WEEKS weeks; beyond, months.
DAYS_OF_DAYS = 62
DAYS_OF_WEEKS = 371


@dataclass(frozen=True)
class Step:
    """`start` is the step's first day inside the period (a week or month cut by the period's
    start begins there)."""

    start: datetime.date
    purchases: int
    revenue: Decimal


def step_of(period: Period) -> str:
    if period.days <= DAYS_OF_DAYS:
        return DAY
    if period.days <= DAYS_OF_WEEKS:
        return WEEK
    return MONTH


def _step_start(day: datetime.date, step: str) -> datetime.date:
    if step == WEEK:
        return day - datetime.timedelta(days=day.weekday())
    if step == MONTH:
        return day.replace(day=1)
    return day


def purchases_per_day(
    period: Period, zone: datetime.tzinfo, sources: Sources | None = None
) -> dict[datetime.date, tuple]:
    """{day: (purchases, revenue)} for the days of `period` that had a counted purchase,
    grouped by the day in `zone`: from the purchase facts for the members they are current for,
    from the purchases for the others (analytics.figures.Sources), added up."""
    sources = sources or Sources.now(zone)
    start, end = period.bounds(zone)
    parts = []
    raw = sources.raw(counted_purchases())
    if raw is not None:
        parts.append(
            raw.filter(purchased_at__gte=start, purchased_at__lt=end)
            .annotate(day=TruncDate("purchased_at", tzinfo=zone))
            .values("day")
            .annotate(purchases=Count("pk"), revenue=Sum("net"))
            .order_by()
            .values_list("day", "purchases", "revenue")
        )
    if sources.pending is not None:
        # The facts summed per day (kept with them), less the facts of the members counted
        # from their purchases above, which may be behind.
        within = {"day__gte": period.start, "day__lt": period.end}
        parts.append(
            PurchaseDay.objects.filter(**within).values_list("day", "purchases", "revenue")
        )
        if sources.pending:
            behind = (
                PurchaseFact.objects.filter(member_id__in=sources.pending, **within)
                .values("day")
                .annotate(purchases=-Count("pk"), revenue=-Sum("net"))
                .order_by()
                .values_list("day", "purchases", "revenue")
            )
            parts.append(behind)
    days: dict[datetime.date, tuple] = {}
    for rows in parts:
        for day, purchases, revenue in rows:
            known_purchases, known_revenue = days.get(day, (0, Decimal(0)))
            days[day] = (known_purchases + purchases, known_revenue + (revenue or Decimal(0)))
    return days


def purchase_series(
    period: Period, zone: datetime.tzinfo, step: str | None = None, sources: Sources | None = None
) -> list[Step]:
    """Purchases and revenue for every day, week or month of `period` (the step `step_of` picks
    unless one is given), oldest first."""
    step = step or step_of(period)
    days = purchases_per_day(period, zone, sources)
    totals: dict[datetime.date, list] = {}
    day = period.start
    while day < period.end:
        first = max(_step_start(day, step), period.start)
        total = totals.setdefault(first, [0, Decimal(0)])
        purchases, revenue = days.get(day, (0, Decimal(0)))
        total[0] += purchases
        total[1] += revenue or Decimal(0)
        day += datetime.timedelta(days=1)
    return [Step(first, count, money(revenue)) for first, (count, revenue) in totals.items()]
