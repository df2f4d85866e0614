"""Install the webhooks' periodic send (declared in webhooks/tasks.py: every 15 s, the catch-all
for lost kicks and for retries coming due) for celery beat, and start the `webhooks` event
consumer at the events already written: a shop's history is not news to an endpoint registered
after it (the consumer's floor, config.events; events written after this are all delivered).

Copied here, not imported, so this migration keeps doing what it did when written. Idempotent.
"""

from django.db import migrations
from django.db.models import Max
from django.utils import timezone

SEND_NAME = "webhooks: deliveries send"
SEND_TASK = "webhooks.tasks.deliveries_send"
SEND_EVERY_SECONDS = 15
CONSUMER = "webhooks"


def install(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    Event = apps.get_model("events", "Event")
    EventConsumer = apps.get_model("events", "EventConsumer")

    every, _ = IntervalSchedule.objects.get_or_create(every=SEND_EVERY_SECONDS, period="seconds")
    PeriodicTask.objects.get_or_create(
        name=SEND_NAME,
        defaults={
            "task": SEND_TASK,
            "interval": every,
            # A run not started within its interval is covered by the next one.
            "expire_seconds": SEND_EVERY_SECONDS,
            "description": "Sends the webhook deliveries that are due.",
        },
    )
    # Historical models send no signals: tell a running beat that its schedule changed.
    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})
    floor = Event.objects.aggregate(top=Max("pk"))["top"] or 0
    EventConsumer.objects.get_or_create(name=CONSUMER, defaults={"floor": floor})


def uninstall(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    EventConsumer = apps.get_model("events", "EventConsumer")
    PeriodicTask.objects.filter(name=SEND_NAME).delete()
    EventConsumer.objects.filter(name=CONSUMER).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("webhooks", "0001_initial"),
        ("events", "0002_dispatch_schedule"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(install, uninstall)]
