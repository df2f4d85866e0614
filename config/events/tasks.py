from celery import shared_task

from config.events.dispatch import events_dispatch as dispatch

EVENTS_DISPATCH_TASK = "config.events.tasks.events_dispatch"
# How often beat asks for a dispatch (installed by migration events.0002): the catch-all for a
# kick that was lost (a broker down at commit) and for a consumer that failed and retries.
EVENTS_DISPATCH_EVERY_SECONDS = 15


@shared_task(name=EVENTS_DISPATCH_TASK, ignore_result=True)
def events_dispatch() -> int:
    """Hand every consumer the events it has not had (config.events.dispatch). Idempotent: a
    duplicate or concurrent run finds the consumers' rows locked or nothing left to deliver."""
    return dispatch()
