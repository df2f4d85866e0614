"""Webhook tasks. Thin, and safe to run twice or concurrently: the sender claims its rows in
the database (webhooks.services.sending), and the owner's mail is claimed once per disabling.

No Celery retries, countdowns or ETAs: a delivery that failed is a row due again later, found
by the next run (the beat's, every DELIVERIES_SEND_EVERY_SECONDS, or a kick after a commit).

Periodic runs (declared here, installed by the migration webhooks.0002): `PERIODIC_TASKS`.
"""

from __future__ import annotations

from celery import shared_task
from django.db import connection, transaction

from webhooks.services import notices, sending

DELIVERIES_SEND_TASK = "webhooks.tasks.deliveries_send"
# The catch-all for kicks lost (a broker down at commit) and for retries coming due; the
# shortest back-off is a minute.
DELIVERIES_SEND_EVERY_SECONDS = 15

PERIODIC_TASKS = {
    "webhooks: deliveries send": (DELIVERIES_SEND_TASK, {"every": DELIVERIES_SEND_EVERY_SECONDS}),
}


@shared_task(name=DELIVERIES_SEND_TASK, ignore_result=True, autoretry_for=(), max_retries=0)
def deliveries_send() -> int:
    """Send what is due, then tell the owners of endpoints just disabled. Returns the
    deliveries delivered. A run that stopped on its budget asks for the next at once."""
    report = sending.deliveries_send()
    notices.endpoints_disabled_notify()
    if report.more:
        deliveries_send.delay()
    return report.delivered


def deliveries_kick() -> None:
    """Ask for a send once the caller's transaction commits (at most once per transaction),
    so a delivery just queued leaves within a second rather than at the next beat."""
    if any(callback is _send_soon for _sids, callback, _robust in connection.run_on_commit):
        return
    # robust: a broker that is down must not turn a committed change into an error.
    transaction.on_commit(_send_soon, robust=True)


def _send_soon() -> None:
    deliveries_send.delay()
