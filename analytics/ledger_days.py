"""The ledger summed per day of the program's time zone, for the points figures of long periods.

The ledger is append-only, so its days can be summed once and kept: `ledger_days_advance`
(a beat task, every minute) adds the entries written since the last run to their days
(LedgerDay) and moves the state's `floor` to the last entry added. It adds only settled entries:
those below the first one written after the oldest transaction still running began (the
events dispatcher's rule, config.events.dispatch.settled_before), so no entry with a lower id can
still appear. The figures read the days for the windows they need and add the entries above the
floor from the ledger itself: what they show is exact at every moment, whatever the task's lag.

For another time zone than the state's the days are summed again from the first entry.
"""

from __future__ import annotations

import datetime

from django.db import transaction
from django.db.models import Max, Q, Sum
from django.db.models.functions import Coalesce, TruncDate

from analytics.models import LedgerDay, LedgerDaysState
from config.events.dispatch import settled_before
from loyalty.models import LedgerEntry
from loyalty.selectors.points import POINTS_BUCKETS

# What each figure sums, as loyalty.selectors.points defines it (the program simulator shares it).
BUCKETS = POINTS_BUCKETS

# The days' columns: the buckets, and every entry's points summed (the ledger's net movement).
_COLUMNS = [*BUCKETS, "net"]

DateWindow = tuple[datetime.date, datetime.date]


def _settled_floor(above: int) -> int:
    """The highest entry id at or below which every entry is settled (see the module doc)."""
    entries = LedgerEntry.objects.filter(pk__gt=above)
    first_unsettled = (
        entries.filter(created_at__gte=settled_before())
        .order_by("pk")
        .values_list("pk", flat=True)
        .first()
    )
    settled = entries if first_unsettled is None else entries.filter(pk__lt=first_unsettled)
    return settled.aggregate(top=Max("pk"))["top"] or above


@transaction.atomic
def ledger_days_advance(zone: datetime.tzinfo) -> int:
    """Add the entries settled since the last run to their days; returns how many days moved."""
    state, _created = LedgerDaysState.objects.select_for_update().get_or_create(pk=1)
    if state.zone != str(zone):
        LedgerDay.objects.all().delete()
        state.zone, state.floor = str(zone), 0
    floor = _settled_floor(state.floor)
    sums = list(
        LedgerEntry.objects.filter(pk__gt=state.floor, pk__lte=floor)
        .annotate(day=TruncDate("occurred_at", tzinfo=zone))
        .values("day")
        .annotate(
            **{name: Coalesce(Sum("points", filter=when), 0) for name, when in BUCKETS.items()},
            net=Coalesce(Sum("points"), 0),
        )
        .order_by()
    )
    known = LedgerDay.objects.in_bulk([row["day"] for row in sums])
    new, changed = [], []
    for row in sums:
        day = known.get(row["day"])
        if day is None:
            new.append(LedgerDay(**row))
            continue
        for name in _COLUMNS:
            setattr(day, name, getattr(day, name) + row[name])
        changed.append(day)
    LedgerDay.objects.bulk_create(new)
    LedgerDay.objects.bulk_update(changed, _COLUMNS)
    state.floor = floor
    state.save()
    return len(sums)


def points_by_window(windows: list[DateWindow], zone: datetime.tzinfo) -> list[dict] | None:
    """For each window of days `[first, end)`: the sums of BUCKETS, from the days and the
    entries above the floor. None when the days are not for `zone` (the caller sums the
    ledger itself)."""
    state = LedgerDaysState.objects.filter(pk=1).first()
    if state is None or state.zone != str(zone):
        return None
    low = min(first for first, _ in windows)
    high = max(end for _, end in windows)
    from_days = LedgerDay.objects.filter(day__gte=low, day__lt=high).aggregate(
        **{
            f"{name}_{i}": Coalesce(Sum(name, filter=Q(day__gte=first, day__lt=end)), 0)
            for i, (first, end) in enumerate(windows)
            for name in BUCKETS
        }
    )
    recent = LedgerEntry.objects.filter(pk__gt=state.floor).annotate(
        day=TruncDate("occurred_at", tzinfo=zone)
    )
    from_entries = recent.aggregate(
        **{
            f"{name}_{i}": Coalesce(Sum("points", filter=when & Q(day__gte=first, day__lt=end)), 0)
            for i, (first, end) in enumerate(windows)
            for name, when in BUCKETS.items()
        }
    )
    return [
        {name: from_days[f"{name}_{i}"] + from_entries[f"{name}_{i}"] for name in BUCKETS}
        for i in range(len(windows))
    ]


def net_before(day: datetime.date, zone: datetime.tzinfo) -> int | None:
    """Every entry's points summed, of the entries before `day` began in `zone`: from the days
    and the entries above the floor. None when the days are not for `zone`."""
    state = LedgerDaysState.objects.filter(pk=1).first()
    if state is None or state.zone != str(zone):
        return None
    from_days = LedgerDay.objects.filter(day__lt=day).aggregate(net=Coalesce(Sum("net"), 0))
    recent = (
        LedgerEntry.objects.filter(pk__gt=state.floor)
        .annotate(day=TruncDate("occurred_at", tzinfo=zone))
        .filter(day__lt=day)
        .aggregate(net=Coalesce(Sum("points"), 0))
    )
    return from_days["net"] + recent["net"]
