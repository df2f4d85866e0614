"""The webhooks' consumer of domain events (config.events.registry; found by EventsConfig):
every event API.md lists becomes a delivery to each active endpoint that wants it, written in
the dispatcher's transaction. An event of a change that was rolled back was never written, so
it is never delivered; an event handed over is settled with its deliveries, so none is lost.

History loaded from a file (`imported`) is not news and is not sent, as no member is told of it.
A member's erasure also rewrites the bodies the log kept of their enrolment.
"""

from config.events.models import Event
from config.events.registry import consumer
from members.events import MEMBER_ERASED
from webhooks.catalog import EVENT_TYPES
from webhooks.services.deliveries import deliveries_queue_for_event, member_bodies_renew


# The name keys the consumer's delivery state (config.events): keep it.
@consumer("webhooks", kinds=EVENT_TYPES)
def webhooks_queue(event: Event) -> None:
    if event.kind == MEMBER_ERASED:
        # Whoever subscribed to it: the person leaves the log too.
        member_bodies_renew(member_id=event.payload["member_id"])
    if event.payload.get("imported"):
        return
    deliveries_queue_for_event(event=event)
