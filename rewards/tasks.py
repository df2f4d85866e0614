"""Voucher jobs. Thin and idempotent: expiry is one conditional UPDATE on `status='issued'`, so a
re-run or a duplicate delivery changes nothing twice. (The expiry reminder is an automation on
the delivery log: campaigns.tasks.)

Periodic runs (declared here, installed by the migration rewards.0002): `PERIODIC_TASKS`.
"""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

from rewards import services

VOUCHERS_EXPIRE_TASK = "rewards.tasks.vouchers_expire"

# name -> (task, crontab fields in CELERY_TIMEZONE, UTC). Expiry runs often so that the status a
# till reads is right soon after midnight.
PERIODIC_TASKS = {
    "rewards: vouchers expire": (VOUCHERS_EXPIRE_TASK, {"minute": "5"}),
}


@shared_task(name=VOUCHERS_EXPIRE_TASK, ignore_result=True)
def vouchers_expire() -> int:
    return services.vouchers_expire(at=timezone.now())
