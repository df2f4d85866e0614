"""The voucher-expiring reminder (CAMPAIGNS.md, Automations: 7 days before a voucher expires,
once per voucher), queued by a periodic scan onto the delivery log."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone

from campaigns.composers.notices import VOUCHER_EXPIRING
from campaigns.models import CampaignChannel
from campaigns.services.deliveries import deliveries_queue, delivery_new
from rewards.selectors import vouchers_due_for_reminder
from rewards.services.vouchers import vouchers_reminder_claim

REMINDER_DAYS_BEFORE = 7
SCAN_BATCH_SIZE = 1000


def voucher_reminders_queue(*, at: datetime.datetime | None = None) -> int:
    """Queue a reminder for every unused voucher expiring within the week that has none yet.
    Each voucher is claimed (`reminded_at`) in the transaction that writes its delivery row, so
    a scan run twice, or two at once, queues each reminder once. Returns how many."""
    at = at or timezone.now()
    due = vouchers_due_for_reminder(at=at, days=REMINDER_DAYS_BEFORE)
    queued = 0
    for start in range(0, len(due), SCAN_BATCH_SIZE):
        with transaction.atomic():
            claimed = vouchers_reminder_claim(
                voucher_ids=due[start : start + SCAN_BATCH_SIZE], at=at
            )
            deliveries_queue(
                delivery_new(
                    member_id=member_id,
                    automation=VOUCHER_EXPIRING,
                    occasion=str(voucher_id),
                    channel=CampaignChannel.EMAIL,
                    due_at=at,
                )
                for voucher_id, member_id in claimed
            )
        queued += len(claimed)
    return queued
