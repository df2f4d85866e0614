"""The purchase counts of several periods from the purchase facts, in one pass over them.

Every count of a period [s, e) with its previous period [q, s) compares a fact's days (its own,
its previous purchase's, the one before, the previous in its channel) with the periods' bounds,
and nothing else (analytics.facts says why each count is such a comparison). So the pass only
needs to know where each day falls among the bounds: it groups the facts by, for each of those
days, how many bounds are at or before it (PostgreSQL's `width_bucket`), and by channel. That
gives at most a few hundred groups, from which each count is a sum here.

Counted as filtered aggregates instead (one COUNT ... FILTER per figure, period and channel:
some thirty-four for a year and its previous one) PostgreSQL evaluated every filter on every
row, which cost three times as much over a million facts (bench/analytics.py).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.postgres.fields import ArrayField
from django.db import connection
from django.db.models import (
    Case,
    Count,
    DateField,
    ExpressionWrapper,
    Func,
    IntegerField,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from analytics.models import PurchaseFact
from loyalty.channels import CHANNELS

# What each period's counts are (analytics.figures reads them), and per channel.
PURCHASE_COUNTS = (
    "purchases",
    "revenue",
    "active",
    "repeaters",
    "retained",
    "previous_active",
    "historic_revenue",
    "buyers",
)
CHANNEL_COUNTS = ("purchases", "revenue", "active_members")
_DAYS = ("day", "previous_day", "second_previous_day", "previous_channel_day")


class _WidthBucket(Func):
    function = "width_bucket"
    output_field = IntegerField()


def _bucket(field: str, bounds: list[datetime.date], *, native: bool) -> Any:
    """How many of `bounds` (sorted) are at or before the day in `field`; NULL for no day."""
    if native:
        return _WidthBucket(field, Value(bounds, output_field=ArrayField(DateField())))
    at_or_after = [Case(When(**{f"{field}__gte": bound}, then=1), default=0) for bound in bounds]
    return Case(
        When(**{f"{field}__isnull": True}, then=None),
        default=sum(at_or_after[1:], at_or_after[0]),
        output_field=IntegerField(),
    )


@dataclass(frozen=True)
class _Group:
    day: int
    previous: int | None
    second_previous: int | None
    previous_in_channel: int | None
    channel: str
    purchases: int
    revenue: Decimal


def _places(key: int, radix: int) -> list[int | None]:
    """The four days' bucket numbers (None: no day) from a group's key."""
    places = []
    for _field in _DAYS:
        key, place = divmod(key, radix)
        places.append(place - 1 if place else None)
    return places[::-1]


def _before(bucket: int | None, bound: int) -> bool:
    """The day is before bounds[bound] (no day counts as before every bound)."""
    return bucket is None or bucket <= bound


def _on_or_after(bucket: int | None, bound: int) -> bool:
    return bucket is not None and bucket > bound


def _period_tests(bounds: list[datetime.date], start, end, previous_start) -> dict[str, Callable]:
    s, e, q = bounds.index(start), bounds.index(end), bounds.index(previous_start)

    def during(g: _Group) -> bool:
        return _on_or_after(g.day, s) and _before(g.day, e)

    return {
        "during": during,
        # Active: their first purchase in the period (the previous one before it, or none).
        "active": lambda g: during(g) and _before(g.previous, s),
        # Buying twice: the second in it (the previous one in it, the one before not).
        "repeaters": lambda g: (
            during(g) and _on_or_after(g.previous, s) and _before(g.second_previous, s)
        ),
        # Retained: the first in it follows one in the previous period.
        "retained": lambda g: during(g) and _on_or_after(g.previous, q) and _before(g.previous, s),
        "previous_active": lambda g: (
            _on_or_after(g.day, q) and _before(g.day, s) and _before(g.previous, q)
        ),
        "history": lambda g: _before(g.day, e),
        "first_ever": lambda g: _before(g.day, e) and g.previous is None,
        "channel_active": lambda g: during(g) and _before(g.previous_in_channel, s),
    }


def fact_counts(
    facts: QuerySet[PurchaseFact], periods: Sequence[Any], *, native: bool | None = None
) -> list[dict[str, Any]]:
    """The counts of each period (PURCHASE_COUNTS, and CHANNEL_COUNTS under "channels") over
    `facts`. A period has `start`, `end` and `previous()`; `native`: use width_bucket (the
    default on PostgreSQL; elsewhere a sum of comparisons does the same)."""
    native = connection.vendor == "postgresql" if native is None else native
    edges = {(p.start, p.end, p.previous().start) for p in periods}
    bounds = sorted({day for edge in edges for day in edge})
    # One key for the four days' places, as a number in base `radix` (0: no day): grouped by
    # one expression, PostgreSQL expects few groups and hashes them, in parallel (by four, it
    # expected thousands and sorted the whole pass). Grouping the days for the chart in the same
    # pass (GROUPING SETS) took it out of parallel and doubled it: the chart reads them apart.
    radix = len(bounds) + 2
    key = Value(0)
    for field in _DAYS:
        place = Coalesce(_bucket(field, bounds, native=native) + 1, 0)
        key = key * radix + place
    rows = (
        facts.filter(day__lt=bounds[-1])
        .annotate(key=ExpressionWrapper(key, output_field=IntegerField()))
        .values("key", "channel")
        .annotate(purchases=Count("pk"), revenue=Coalesce(Sum("net"), Decimal(0)))
        .order_by()
        .values_list("key", "channel", "purchases", "revenue")
    )
    groups = [_Group(*_places(key, radix), *rest) for key, *rest in rows]
    return [_period_counts(groups, bounds, period) for period in periods]


def _period_counts(groups: list[_Group], bounds, period) -> dict[str, Any]:
    tests = _period_tests(bounds, period.start, period.end, period.previous().start)

    def count(test: str, *, channel: str | None = None) -> int:
        return sum(
            g.purchases
            for g in groups
            if tests[test](g) and (channel is None or g.channel == channel)
        )

    def revenue(test: str, *, channel: str | None = None) -> Decimal:
        found = (
            g.revenue
            for g in groups
            if tests[test](g) and (channel is None or g.channel == channel)
        )
        return sum(found, Decimal(0))

    counts: dict[str, Any] = {
        "purchases": count("during"),
        "revenue": revenue("during"),
        "active": count("active"),
        "repeaters": count("repeaters"),
        "retained": count("retained"),
        "previous_active": count("previous_active"),
        "historic_revenue": revenue("history"),
        "buyers": count("first_ever"),
        "channels": {},
    }
    for channel in CHANNELS:
        purchases = count("during", channel=channel)
        if purchases:
            counts["channels"][channel] = {
                "purchases": purchases,
                "revenue": revenue("during", channel=channel),
                "active_members": count("channel_active", channel=channel),
            }
    return counts
