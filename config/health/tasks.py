from celery import shared_task

from config.health.services import heartbeat_record

BEAT_TICK_TASK = "config.health.tasks.beat_tick"
BEAT_TICK_EVERY_SECONDS = 60


@shared_task(name=BEAT_TICK_TASK, ignore_result=True)
def beat_tick() -> None:
    """Sent by celery beat every minute (installed by migration health.0002) and run by a worker:
    a recent tick on /health/ proves beat, broker and worker all work."""
    heartbeat_record()
