"""Writes of the delivery log: queue an event for the endpoints that want it (the consumer,
in the dispatcher's transaction), replay a delivery (staff, from the admin), and rewrite what
the log keeps of a member who erased their data."""

from __future__ import annotations

import datetime

from django.utils import timezone

from config.events.models import Event
from members.events import MEMBER_ENROLLED
from webhooks.bodies import event_body, event_public_id
from webhooks.models import Delivery, DeliveryState, Endpoint
from webhooks.tasks import deliveries_kick


def endpoints_for_event(*, event_type: str) -> list[Endpoint]:
    """The endpoints (not deleted) that want `event_type`. A disabled one too: its deliveries
    wait, unclaimed, until it is enabled again, so an outage of the receiver loses nothing."""
    # A handful of rows, read whole and filtered here: a JSON `contains` lookup is not
    # available on SQLite, and the list is short.
    return [endpoint for endpoint in Endpoint.objects.present() if endpoint.wants(event_type)]


def deliveries_queue_for_event(*, event: Event, at: datetime.datetime | None = None) -> int:
    """One due delivery of `event` per endpoint that wants it, all with the same body
    (built now, stored as bytes); returns how many. Run inside the dispatcher's transaction:
    the rows commit with the event's hand-over or not at all, and the database's unique rule
    makes a second hand-over of the same event write nothing."""
    endpoints = endpoints_for_event(event_type=event.kind)
    if not endpoints:
        return 0
    body = event_body(event)
    if body is None:
        return 0
    at = at or timezone.now()
    created = Delivery.objects.bulk_create(
        [
            Delivery(
                endpoint=endpoint,
                event_id=event.pk,
                event_type=event.kind,
                event_public_id=event_public_id(event.pk),
                body=body,
                next_attempt_at=at,
                created_at=at,
            )
            for endpoint in endpoints
        ],
        ignore_conflicts=True,
    )
    deliveries_kick()
    return len(created)


def delivery_replay(*, delivery: Delivery, at: datetime.datetime | None = None) -> Delivery:
    """A new due delivery of the same stored body to the same endpoint: the receiver gets the
    same bytes, with the same event id, signed afresh. The original keeps its log."""
    at = at or timezone.now()
    replay = Delivery.objects.create(
        endpoint_id=delivery.endpoint_id,
        event_id=delivery.event_id,
        event_type=delivery.event_type,
        event_public_id=delivery.event_public_id,
        body=delivery.body_bytes,
        state=DeliveryState.DUE,
        next_attempt_at=at,
        created_at=at,
        replay_of=delivery,
    )
    deliveries_kick()
    return replay


def member_bodies_renew(*, member_id: int) -> int:
    """Rewrite the stored bodies of the member's `member.enrolled` deliveries (the only events
    whose body describes the person) from the member as they are now: after an erasure the log,
    a retry still due and a replay hold the pseudonym, never the person. Returns how many
    deliveries were rewritten. An erasure is rare: the events are searched by their payload."""
    events = Event.objects.filter(kind=MEMBER_ENROLLED, payload__member_id=member_id)
    renewed = 0
    for event in events.filter(pk__in=Delivery.objects.values("event_id")):
        body = event_body(event)
        if body is not None:
            renewed += Delivery.objects.filter(event_id=event.pk).update(body=body)
    return renewed
