from datetime import datetime

from django.utils import timezone

from config.health.models import Heartbeat

BEAT = "beat"


def heartbeat_record(*, name: str = BEAT, at: datetime | None = None) -> Heartbeat:
    """Record a heartbeat. Idempotent: one row per name, only ever moved forward."""
    at = at or timezone.now()
    heartbeat, created = Heartbeat.objects.get_or_create(name=name, defaults={"at": at})
    if not created:
        # Conditional, so a late-delivered old tick never moves the time backwards.
        Heartbeat.objects.filter(pk=heartbeat.pk, at__lt=at).update(at=at)
        heartbeat.refresh_from_db(fields=["at"])
    return heartbeat
