"""One row per counted purchase, with what the figures need to count members without grouping
by member: the purchase's day in the program's time zone, and the day of the member's previous
counted purchase (and the one before, and the previous one in the same channel).

With them every member-distinct figure of a period [s, e) is a filtered count over one pass:
a member is active in it once, on their first purchase in it (previous day before s or none),
buys twice when their second one is in it, is retained when their first one in it follows one
in the previous period. bench/analytics.py measures what that saves over grouping a year of
purchases by member (ANALYTICS.md's overview, issue 16's 500 ms).

The rows are rebuilt per member, whole, by the event consumer `analytics.facts`
(analytics.consumers) in the transaction that settles each purchase, refund or imported batch.
A member whose events the consumer has not settled yet is "pending": the figures count them
from their purchases directly (analytics.figures), so what is shown is exact at every moment.
The rows are for one time zone (FactsState.zone): after the program's changes, the figures
count from the purchases until `facts_rebuild()` has run again (analytics.tasks).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Count, Exists, F, Max, OuterRef, Q, QuerySet, Sum, Window
from django.db.models.functions import FirstValue, Lag, TruncDate

from analytics.models import FactsState, PurchaseDay, PurchaseFact
from config.events.dispatch import settled_before
from config.events.models import Event, EventConsumer, EventDelivery
from loyalty.events import HISTORY_IMPORTED, PURCHASE_RECORDED, PURCHASE_REFUNDED
from loyalty.models import Purchase

CONSUMER = "analytics.facts"
KINDS = (PURCHASE_RECORDED, PURCHASE_REFUNDED, HISTORY_IMPORTED)
_COLUMNS = (
    "purchase_id",
    "member_id",
    "day",
    "channel",
    "net",
    "previous_day",
    "second_previous_day",
    "previous_channel_day",
    "first_day",
)


def _rows(zone: datetime.tzinfo, member_ids: Iterable[int] | None) -> QuerySet:
    """The facts of the counted purchases (of `member_ids`, or everyone's), as a SELECT in
    _COLUMNS order."""
    purchases = Purchase.objects.filter(amount__gt=F("refunded_amount"))
    if member_ids is not None:
        purchases = purchases.filter(member_id__in=list(member_ids))
    order = [F("purchased_at").asc(), F("pk").asc()]
    member = Window(Lag("day"), partition_by=[F("member_id")], order_by=order)
    return (
        purchases.annotate(day=TruncDate("purchased_at", tzinfo=zone))
        .annotate(
            net=F("amount") - F("refunded_amount"),
            previous_day=member,
            second_previous_day=Window(
                Lag("day", offset=2), partition_by=[F("member_id")], order_by=order
            ),
            previous_channel_day=Window(
                Lag("day"), partition_by=[F("member_id"), F("channel")], order_by=order
            ),
            first_day=Window(FirstValue("day"), partition_by=[F("member_id")], order_by=order),
        )
        .order_by()
        .values_list("pk", "member_id", "day", "channel", "net", *_COLUMNS[5:])
    )


def _insert(rows: QuerySet) -> None:
    sql, params = rows.query.sql_with_params()
    table = PurchaseFact._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} ({', '.join(_COLUMNS)}) {sql}", params)


def facts_rebuild_members(member_ids: Iterable[int], zone: datetime.tzinfo) -> None:
    """Rewrite the facts of these members from their purchases (idempotent), and the days
    they are summed in by the difference."""
    member_ids = sorted(set(member_ids))
    if not member_ids:
        return
    facts = PurchaseFact.objects.filter(member_id__in=member_ids)
    before = _per_day(facts)
    facts.delete()
    _insert(_rows(zone, member_ids))
    after = _per_day(facts)
    changes = []
    for day in sorted(set(before) | set(after)):
        purchases, revenue = after.get(day, (0, Decimal(0)))
        gone_purchases, gone_revenue = before.get(day, (0, Decimal(0)))
        if (purchases, revenue) != (gone_purchases, gone_revenue):
            changes.append((day, purchases - gone_purchases, revenue - gone_revenue))
    _days_add(changes)


def _per_day(facts: QuerySet[PurchaseFact]) -> dict[datetime.date, tuple[int, Decimal]]:
    rows = facts.values("day").annotate(purchases=Count("pk"), revenue=Sum("net")).order_by()
    return {row["day"]: (row["purchases"], row["revenue"]) for row in rows}


def _days_add(changes: list[tuple[datetime.date, int, Decimal]]) -> None:
    """Add (day, purchases, revenue) to the purchase days, in day order (rows locked in one
    order), creating the days not there yet."""
    if not changes:
        return
    table = PurchaseDay._meta.db_table
    values = ", ".join(["(%s, %s, %s)"] * len(changes))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (day, purchases, revenue) VALUES {values}"  # noqa: S608
            f" ON CONFLICT (day) DO UPDATE SET purchases = {table}.purchases"
            f" + excluded.purchases, revenue = {table}.revenue + excluded.revenue",
            [value for change in changes for value in change],
        )


@transaction.atomic
def facts_rebuild(zone: datetime.tzinfo) -> None:
    """Every member's facts, for `zone`; then the figures read them.

    The rebuild also settles, for the consumer, every event it covers: those written before the
    oldest transaction still running began (settled_before), whose changes it reads. Without
    that, a first build over a long history would leave the consumer a backlog of every
    purchase event ever written, each rebuilding a member for nothing, and the figures would
    count all those members from their purchases until it was worked off."""
    FactsState.objects.select_for_update().get_or_create(pk=1)
    covered = (
        Event.objects.filter(created_at__lt=settled_before()).aggregate(top=Max("pk"))["top"] or 0
    )
    PurchaseFact.objects.all().delete()
    _insert(_rows(zone, None))
    PurchaseDay.objects.all().delete()
    days_fill()
    if connection.vendor == "postgresql":
        # The planner's statistics of a table rewritten whole (autovacuum would gather them in
        # a while): without them it expects few facts and plans the figures' pass badly.
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {PurchaseFact._meta.db_table}")
    FactsState.objects.filter(pk=1).update(zone=str(zone))
    EventConsumer.objects.get_or_create(name=CONSUMER)
    EventConsumer.objects.filter(name=CONSUMER, floor__lt=covered).update(floor=covered)
    EventDelivery.objects.filter(consumer=CONSUMER, event_id__lte=covered).delete()


def days_fill() -> None:
    """The purchase days summed again from every fact (after a rebuild)."""
    days, facts = PurchaseDay._meta.db_table, PurchaseFact._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {days} (day, purchases, revenue)"  # noqa: S608 - table names only
            f" SELECT day, count(*), sum(net) FROM {facts} GROUP BY day"
        )


def facts_zone() -> str:
    """The time zone the facts were built for ("" before the first build)."""
    return FactsState.objects.filter(pk=1).values_list("zone", flat=True).first() or ""


def event_member_ids(event: Event) -> list[int]:
    """The members whose facts an event changes."""
    payload = event.payload or {}
    if event.kind == HISTORY_IMPORTED:
        return [int(found) for found in payload.get("member_ids") or []]
    member_id = payload.get("member_id")
    return [int(member_id)] if member_id is not None else []


def pending_member_ids() -> set[int]:
    """Members with events the consumer has not settled: their facts may be behind."""
    floor = EventConsumer.objects.filter(name=CONSUMER).values_list("floor", flat=True).first()
    settled = EventDelivery.objects.filter(consumer=CONSUMER, event=OuterRef("pk"))
    events = Event.objects.filter(pk__gt=floor or 0, kind__in=KINDS).filter(~Q(Exists(settled)))
    found: set[int] = set()
    for event in events.only("kind", "payload"):
        found.update(event_member_ids(event))
    return found
