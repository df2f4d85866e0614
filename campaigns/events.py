"""The campaigns' domain events, one creator each, called by the service that makes the change,
inside its transaction (config.events). Payloads carry ids and codes."""

from __future__ import annotations

import datetime

from config.events.models import Event
from config.events.services import event_new, events_record

CAMPAIGN_SENT = "campaign.sent"


def campaign_sent(*campaigns, at: datetime.datetime) -> list[Event]:
    """`campaign.sent` for each campaign that has just been marked sent (nothing left queued or
    being handed over), all in one insert."""
    return events_record(
        [
            event_new(
                CAMPAIGN_SENT,
                occurred_at=at,
                payload={
                    "campaign_id": campaign.pk,
                    "code": campaign.code,
                    "channel": campaign.channel,
                },
            )
            for campaign in campaigns
        ]
    )
