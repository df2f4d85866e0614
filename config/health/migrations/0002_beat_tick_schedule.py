"""Install the periodic beat tick (config.health.tasks.beat_tick, every 60 s) for celery beat.

Declared here rather than clicked together in the admin, so every deployment has it. Idempotent:
re-running finds the schedule and task in place.
"""

from django.db import migrations
from django.utils import timezone

TASK_NAME = "health: beat tick"
TASK = "config.health.tasks.beat_tick"
EVERY_SECONDS = 60


def install(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")

    every_minute, _ = IntervalSchedule.objects.get_or_create(every=EVERY_SECONDS, period="seconds")
    PeriodicTask.objects.get_or_create(
        name=TASK_NAME,
        defaults={
            "task": TASK,
            "interval": every_minute,
            # A tick nobody ran within its minute is worthless: drop it rather than queue it.
            "expire_seconds": EVERY_SECONDS,
            "description": "Proves beat, broker and worker alive; read by /health/.",
        },
    )
    # Historical models send no signals: tell a running beat that its schedule changed.
    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def uninstall(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name=TASK_NAME).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("health", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(install, uninstall)]
