from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from config.api.models import IdempotencyRecord

IDEMPOTENCY_PURGE_TASK = "config.api.tasks.idempotency_records_purge"
# Integrations retry within minutes or hours; a day covers an overnight outage of a till.
IDEMPOTENCY_KEEP = timedelta(days=1)


@shared_task(name=IDEMPOTENCY_PURGE_TASK, ignore_result=True)
def idempotency_records_purge() -> int:
    """Forget Idempotency-Key answers older than a day. Idempotent: a re-run finds nothing old."""
    deleted, _ = IdempotencyRecord.objects.filter(
        created_at__lt=timezone.now() - IDEMPOTENCY_KEEP
    ).delete()
    return deleted
