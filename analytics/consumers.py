"""The analytics' event consumer: keeps the purchase facts (analytics.facts) of each member
whose purchases changed, in the transaction that settles the event."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from analytics.facts import CONSUMER, KINDS, event_member_ids, facts_rebuild_members, facts_zone
from config.events.models import Event
from config.events.registry import consumer


@consumer(CONSUMER, kinds=KINDS)
def purchase_facts(event: Event) -> None:
    zone = facts_zone()
    if not zone:
        return  # never built: the figures count from the purchases until facts_rebuild runs
    facts_rebuild_members(event_member_ids(event), ZoneInfo(zone))
