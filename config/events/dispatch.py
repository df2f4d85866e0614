"""The dispatcher: hands each consumer (config.events.registry) every event of its kinds, once,
oldest first.

Per consumer, one transaction per batch:

1. Lock the consumer's `EventConsumer` row with FOR UPDATE SKIP LOCKED. A second dispatcher
   (a duplicate Celery message, the beat's run racing a kick) skips that consumer instead of
   waiting: one consumer is served by one dispatcher at a time, so it sees its events in order;
   different consumers are served in parallel.
2. Claim the batch: the events of its kinds above its `floor` with no `EventDelivery` row for it,
   oldest id first.
3. Hand each over (the handler runs in a savepoint of this transaction) and write one delivery
   row per event handed; stop at the first handler that fails (logged, retried at the next run,
   so a consumer never sees a later event before an earlier one it failed on).
4. Raise the floor past what is settled, and commit: the handler's writes, the delivery rows and
   the floor commit together, or (a dispatcher killed, a transaction aborted) none of them does
   and the same events are claimed again. A consumer that records what it saw in the database
   therefore records every event exactly once.

Ordering. Ids come from a sequence, drawn at insert: a transaction may draw a lower id and
commit after one that drew a higher id. A cursor ("everything up to the highest id seen") would
skip that late event for good. The claim here does not depend on id order: it is "not yet
delivered to this consumer", so an event that commits late is claimed by the next run (after
the higher ids already delivered: the order is the ids' among the events visible at each
claim). The floor only keeps the claim cheap. It rises to the last settled event: delivered
(or not of the consumer's kinds) and written before every transaction still running began
(`pg_stat_activity`), less a margin for clocks (`SETTLE_AFTER`). No lower id can appear below
such an event any more: whoever drew it had begun before it was written, and has ended. A
member's own events are in commit order anyway, as every ledger write takes the member's account
lock first. API.md's webhooks promise no order.
"""

from __future__ import annotations

import datetime
import logging

from django.db import connection, transaction
from django.db.models import Exists, Max, OuterRef, Q
from django.utils import timezone

from config.events.models import Event, EventConsumer, EventDelivery
from config.events.registry import Consumer, consumers

logger = logging.getLogger(__name__)

BATCH_SIZE = 200
# Per consumer and run; a backlog larger than this waits for the next run, well within the
# task's time limit.
MAX_BATCHES = 25
# Clock skew between the web processes and the database, plus the time between building an
# event and inserting it.
SETTLE_AFTER = datetime.timedelta(minutes=1)


def events_dispatch() -> int:
    """Serve every consumer; returns the number of events handed over."""
    handed = 0
    for found in consumers():
        for _batch in range(MAX_BATCHES):
            count, more = consumer_dispatch(found)
            handed += count
            if not more:
                break
    return handed


def consumer_dispatch(found: Consumer, *, limit: int = BATCH_SIZE) -> tuple[int, bool]:
    """One batch for one consumer. Returns (events handed, whether more may be waiting)."""
    EventConsumer.objects.bulk_create([EventConsumer(name=found.name)], ignore_conflicts=True)
    kinds = sorted(found.kinds)
    now = timezone.now()
    with transaction.atomic():
        state = (
            EventConsumer.objects.select_for_update(skip_locked=True)
            .filter(name=found.name)
            .first()
        )
        if state is None:
            return 0, False  # another dispatcher is serving this consumer
        events = list(
            Event.objects.filter(pk__gt=state.floor, kind__in=kinds)
            .filter(~Exists(_delivered(found)))
            .order_by("pk")[:limit]
        )
        handed: list[Event] = []
        failed = False
        for event in events:
            try:
                with transaction.atomic():
                    found.handle(event)
            except Exception:
                logger.exception(
                    "event consumer %s failed on event %s (%s); retried at the next dispatch",
                    found.name,
                    event.pk,
                    event.kind,
                )
                failed = True
                break
            handed.append(event)
        EventDelivery.objects.bulk_create(
            [EventDelivery(consumer=found.name, event=event, delivered_at=now) for event in handed]
        )
        _floor_raise(state, kinds)
    return len(handed), not failed and len(events) == limit


def _delivered(found: Consumer):
    return EventDelivery.objects.filter(consumer=found.name, event=OuterRef("pk"))


def _floor_raise(state: EventConsumer, kinds: list[str]) -> None:
    """Move the consumer's floor up to the last settled event before its first unsettled one,
    and forget the delivery rows at or below it (the floor answers for them now).

    Never to just below the first unsettled event: an id between the last settled one and it
    may belong to a transaction still running, invisible here. Below a settled event there is
    none: its id was drawn after theirs, and it was written before every running transaction
    began, so they had all ended."""
    horizon = settled_before()
    delivered = EventDelivery.objects.filter(consumer=state.name, event=OuterRef("pk"))
    above = Event.objects.filter(pk__gt=state.floor)
    first_unsettled = (
        above.filter(Q(created_at__gte=horizon) | (Q(kind__in=kinds) & ~Exists(delivered)))
        .order_by("pk")
        .values_list("pk", flat=True)
        .first()
    )
    settled = above if first_unsettled is None else above.filter(pk__lt=first_unsettled)
    floor = settled.aggregate(top=Max("pk"))["top"]
    if floor is None:
        return
    EventDelivery.objects.filter(consumer=state.name, event_id__lte=floor).delete()
    EventConsumer.objects.filter(name=state.name).update(floor=floor)
    state.floor = floor


def settled_before() -> datetime.datetime:
    """Events written before this can no longer be joined by one with a lower id: every
    transaction that was running when they were written has ended. pg_stat_activity shows the
    transactions of the same database role (or all, with pg_read_all_stats): the web processes,
    workers and imports write as one role."""
    oldest = timezone.now()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # Transactions of this database other than ours; least() ignores a NULL min.
            cursor.execute(
                "SELECT least(now(), min(xact_start)) FROM pg_stat_activity"
                " WHERE datname = current_database() AND pid <> pg_backend_pid()"
            )
            (oldest,) = cursor.fetchone()
    return oldest - SETTLE_AFTER
