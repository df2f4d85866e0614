"""Campaign and automation tasks. Thin: each calls a service, and every one is safe to run twice
or concurrently: the sender claims its rows in the database (campaigns.services.sending), the
scans claim what they queue.

`deliveries_send` never retries through Celery (no countdowns, no ETAs: Redis re-delivers those
after its visibility timeout): a message that failed transiently is a row due again later.

Periodic runs (declared here, installed by the migration campaigns.0002): `PERIODIC_TASKS`.
"""

from __future__ import annotations

from celery import shared_task
from django.db import connection, transaction

from campaigns.services import (
    birthdays,
    campaigns,
    expiring,
    reminders,
    sending,
    statements,
    surveys,
    winback,
)

DELIVERIES_SEND_TASK = "campaigns.tasks.deliveries_send"
VOUCHER_REMINDERS_QUEUE_TASK = "campaigns.tasks.voucher_reminders_queue"
BIRTHDAYS_QUEUE_TASK = "campaigns.tasks.birthdays_queue"
POINTS_EXPIRING_QUEUE_TASK = "campaigns.tasks.points_expiring_queue"
WIN_BACKS_QUEUE_TASK = "campaigns.tasks.win_backs_queue"
STATEMENTS_QUEUE_TASK = "campaigns.tasks.statements_queue"
SURVEYS_QUEUE_TASK = "campaigns.tasks.surveys_queue"

# How often beat asks for a send: the catch-all for kicks lost (a broker down at commit) and
# for rows that become due (a retry, the end of quiet hours, a scheduled campaign).
DELIVERIES_SEND_EVERY_SECONDS = 5

# name -> (task, schedule): {"every": seconds} or crontab fields (UTC).
PERIODIC_TASKS = {
    "campaigns: deliveries send": (
        DELIVERIES_SEND_TASK,
        {"every": DELIVERIES_SEND_EVERY_SECONDS},
    ),
    "campaigns: voucher reminders": (VOUCHER_REMINDERS_QUEUE_TASK, {"minute": "20"}),
    # Every quarter of an hour: 09:00 local is a quarter hour in every zone there is.
    "campaigns: birthdays": (BIRTHDAYS_QUEUE_TASK, {"minute": "*/15"}),
    # Daily, after the night's expiry run; each notice is due at 09:00 on the member's clock.
    "campaigns: points expiring": (POINTS_EXPIRING_QUEUE_TASK, {"minute": "40", "hour": "3"}),
    "campaigns: win-backs": (WIN_BACKS_QUEUE_TASK, {"minute": "50", "hour": "3"}),
    # Hourly: the 1st reaches 09:00 at a different hour in each zone.
    "campaigns: monthly statements": (STATEMENTS_QUEUE_TASK, {"minute": "5"}),
    "campaigns: surveys": (SURVEYS_QUEUE_TASK, {"minute": "55", "hour": "3"}),
}


@shared_task(name=DELIVERIES_SEND_TASK, ignore_result=True, autoretry_for=(), max_retries=0)
def deliveries_send() -> int:
    """Start the campaigns whose time has come (their rows queued), send what is due, and mark
    sent the campaigns with nothing left. Returns the messages sent. A run that stopped on its
    time budget with work left asks for the next run at once rather than at the next beat."""
    campaigns.campaigns_start_due()
    report = sending.deliveries_send()
    campaigns.campaigns_finish()
    if report.more:
        deliveries_send.delay()
    return report.sent


@shared_task(name=VOUCHER_REMINDERS_QUEUE_TASK, ignore_result=True)
def voucher_reminders_queue() -> int:
    queued = reminders.voucher_reminders_queue()
    if queued:
        deliveries_send.delay()
    return queued


@shared_task(name=BIRTHDAYS_QUEUE_TASK, ignore_result=True)
def birthdays_queue() -> int:
    queued = birthdays.birthdays_queue()
    if queued:
        deliveries_send.delay()
    return queued


@shared_task(name=POINTS_EXPIRING_QUEUE_TASK, ignore_result=True)
def points_expiring_queue() -> int:
    return expiring.points_expiring_queue()


@shared_task(name=WIN_BACKS_QUEUE_TASK, ignore_result=True)
def win_backs_queue() -> int:
    return winback.win_backs_queue()


@shared_task(name=STATEMENTS_QUEUE_TASK, ignore_result=True)
def statements_queue() -> int:
    queued = statements.statements_queue()
    if queued:
        deliveries_send.delay()
    return queued


@shared_task(name=SURVEYS_QUEUE_TASK, ignore_result=True)
def surveys_queue() -> int:
    return surveys.surveys_queue()


def deliveries_kick() -> None:
    """Ask for a send once the caller's transaction commits (at most once per transaction), so
    a message just queued leaves within a second rather than at the next beat."""
    if any(callback is _send_soon for _sids, callback, _robust in connection.run_on_commit):
        return
    # robust: a broker that is down must not turn a committed change into an error.
    transaction.on_commit(_send_soon, robust=True)


def _send_soon() -> None:
    deliveries_send.delay()
