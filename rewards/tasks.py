"""Voucher jobs. Thin and idempotent: expiry is one conditional UPDATE on `status='issued'`; each
reminder is claimed by a conditional UPDATE on `reminded_at IS NULL`, so a re-run, a duplicate
delivery or a retry after a crash sends nothing twice.

Periodic runs (declared here, installed by the migration rewards.0002): `PERIODIC_TASKS`.
"""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from rewards import services
from rewards.selectors import vouchers_due_for_reminder
from rewards.services.vouchers import REMINDER_DAYS_BEFORE

VOUCHERS_EXPIRE_TASK = "rewards.tasks.vouchers_expire"
VOUCHER_REMINDERS_TASK = "rewards.tasks.voucher_reminders_send"

# name -> (task, crontab fields in CELERY_TIMEZONE, UTC). Expiry runs often so that the status a
# till reads is right soon after midnight; reminders once a day, at a civil hour in Europe.
PERIODIC_TASKS = {
    "rewards: vouchers expire": (VOUCHERS_EXPIRE_TASK, {"minute": "5"}),
    "rewards: voucher reminders": (VOUCHER_REMINDERS_TASK, {"minute": "0", "hour": "9"}),
}


@shared_task(name=VOUCHERS_EXPIRE_TASK, ignore_result=True)
def vouchers_expire() -> int:
    return services.vouchers_expire(at=timezone.now())


@shared_task(name=VOUCHER_REMINDERS_TASK, ignore_result=True)
def voucher_reminders_send() -> int:
    """Remind about every unused voucher expiring within a few days. Returns the mails sent.
    Each is claimed as it is sent, so a retry after a failed send (the whole task retries on
    SMTP errors) sends only what was not sent yet."""
    due = vouchers_due_for_reminder(at=timezone.now(), days=REMINDER_DAYS_BEFORE)
    return sum(services.voucher_reminder_send(voucher_id=voucher_id) for voucher_id in due)
