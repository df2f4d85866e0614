"""The webhooks' consumer of domain events (config.events.registry; found by EventsConfig):
every event API.md lists becomes a delivery to each active endpoint that wants it, written in
the dispatcher's transaction. An event of a change that was rolled back was never written, so
it is never delivered; an event handed over is settled with its deliveries, so none is lost.

History loaded from a file (`imported`) is not news and is not sent, as no member is told of it.
"""

from config.events.models import Event
from config.events.registry import consumer
from webhooks.catalog import EVENT_TYPES
from webhooks.services.deliveries import deliveries_queue_for_event


# The name keys the consumer's delivery state (config.events): keep it.
@consumer("webhooks", kinds=EVENT_TYPES)
def webhooks_queue(event: Event) -> None:
    if event.payload.get("imported"):
        return
    deliveries_queue_for_event(event=event)
