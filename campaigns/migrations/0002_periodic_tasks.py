"""Install the campaigns' periodic tasks for celery beat (declared in campaigns/tasks.py): the
send of due deliveries every 5 s and the hourly scan that queues voucher reminders. The voucher
reminder used to be mailed by rewards' own daily task; it is on the delivery log now, so that
task's schedule goes.

Copied here, not imported, so this migration keeps doing what it did when written. Idempotent.
"""

from django.db import migrations
from django.utils import timezone

SEND_NAME = "campaigns: deliveries send"
SEND_TASK = "campaigns.tasks.deliveries_send"
SEND_EVERY_SECONDS = 5
REMINDERS_NAME = "campaigns: voucher reminders"
REMINDERS_TASK = "campaigns.tasks.voucher_reminders_queue"
REMINDERS_MINUTE = "20"
OLD_REMINDERS_NAME = "rewards: voucher reminders"
OLD_REMINDERS_TASK = "rewards.tasks.voucher_reminders_send"


def install(apps, schema_editor):
    IntervalSchedule = apps.get_model("django_celery_beat", "IntervalSchedule")
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")

    every, _ = IntervalSchedule.objects.get_or_create(every=SEND_EVERY_SECONDS, period="seconds")
    PeriodicTask.objects.get_or_create(
        name=SEND_NAME,
        defaults={
            "task": SEND_TASK,
            "interval": every,
            # A run not started within its interval is covered by the next one.
            "expire_seconds": SEND_EVERY_SECONDS,
            "description": "Sends the delivery log's due messages.",
        },
    )
    hourly, _ = CrontabSchedule.objects.get_or_create(
        minute=REMINDERS_MINUTE,
        hour="*",
        day_of_week="*",
        day_of_month="*",
        month_of_year="*",
        timezone="UTC",
    )
    PeriodicTask.objects.get_or_create(
        name=REMINDERS_NAME, defaults={"task": REMINDERS_TASK, "crontab": hourly}
    )
    PeriodicTask.objects.filter(name=OLD_REMINDERS_NAME).delete()
    # Historical models send no signals: tell a running beat that its schedule changed.
    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def uninstall(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name__in=[SEND_NAME, REMINDERS_NAME]).delete()
    daily, _ = CrontabSchedule.objects.get_or_create(
        minute="0",
        hour="9",
        day_of_week="*",
        day_of_month="*",
        month_of_year="*",
        timezone="UTC",
    )
    PeriodicTask.objects.get_or_create(
        name=OLD_REMINDERS_NAME, defaults={"task": OLD_REMINDERS_TASK, "crontab": daily}
    )


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0001_delivery_log"),
        ("rewards", "0002_periodic_tasks"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(install, uninstall)]
