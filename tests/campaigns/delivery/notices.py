"""The program notices' way out, run in the test's process: the tier notice's consumer hands over
the events waiting for it, then the sender sends what is due."""

from campaigns.services.sending import deliveries_send
from config.events.dispatch import consumer_dispatch
from config.events.registry import consumers


def tier_notices_send() -> int:
    """Queue the upgrades' notices and send what is due; returns the messages sent."""
    (found,) = (found for found in consumers() if found.name == "tier_notice")
    while consumer_dispatch(found)[1]:
        pass
    return deliveries_send().sent
