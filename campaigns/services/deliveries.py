"""Writing the delivery log: queueing messages, and sending again those whose fate is unknown.

A row is written before anything is sent, once per (source, member, occasion): queueing the
same message again (a consumer's event handed over twice, a scan run twice) inserts nothing.
Whoever queues asks for a send once its transaction commits (`campaigns.tasks.deliveries_kick`);
the periodic send finds the rows anyway.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone

from campaigns.composers import CAMPAIGN, purpose_of
from campaigns.models import Campaign, Delivery, DeliveryStatus

QUEUE_BATCH_SIZE = 2000


def delivery_new(
    *,
    member_id: int,
    channel: str,
    automation: str = "",
    campaign: Campaign | None = None,
    occasion: str = "",
    due_at: datetime.datetime | None = None,
    status: str = DeliveryStatus.QUEUED,
) -> Delivery:
    """A delivery row, not yet written: one source (a campaign or an automation's code), the
    occasion (the automation's once-key; empty for a campaign) and when it is due (now by
    default). `status` is `queued`, or `holdout` for a campaign's held-out members."""
    if (campaign is None) == (not automation):
        raise ValueError("a delivery has one source: a campaign or an automation")
    if status not in (DeliveryStatus.QUEUED, DeliveryStatus.HOLDOUT):
        raise ValueError(f"a new delivery is queued or held out, not {status!r}")
    now = timezone.now()
    return Delivery(
        campaign=campaign,
        automation=automation,
        member_id=member_id,
        occasion=occasion,
        purpose=purpose_of(CAMPAIGN if campaign is not None else automation),
        channel=channel,
        status=status,
        due_at=due_at or now,
        created_at=now,
    )


def deliveries_queue(deliveries: Iterable[Delivery]) -> None:
    """Write rows built with `delivery_new`; any that exists already (same source, member and
    occasion) is left as it is. In the caller's transaction."""
    rows = list(deliveries)
    for start in range(0, len(rows), QUEUE_BATCH_SIZE):
        Delivery.objects.bulk_create(rows[start : start + QUEUE_BATCH_SIZE], ignore_conflicts=True)


def deliveries_send_again(
    *, delivery_ids: Iterable[int], at: datetime.datetime | None = None
) -> int:
    """The marketer's "send these again" for messages whose fate is `unknown` (a worker died
    while handing them over): queued anew, due now, checked like any other at sending (consent,
    quiet hours, the cap). Rows in any other status are left alone. Returns how many."""
    at = at or timezone.now()
    with transaction.atomic():
        return Delivery.objects.filter(
            pk__in=list(delivery_ids), status=DeliveryStatus.UNKNOWN
        ).update(
            status=DeliveryStatus.QUEUED,
            due_at=at,
            claimed_until=None,
            claimed_by="",
            handed_at=None,
            error="",
        )
