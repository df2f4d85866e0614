"""Mature lots every minute instead of every ten: a referral is rewarded within a minute of the
friend's first purchase becoming available (CAMPAIGNS.md, Automations), and the maturing scan
is one indexed query when nothing is due.

Copied here, not imported, so this migration keeps doing what it did when written. Idempotent.
"""

from django.db import migrations
from django.utils import timezone

NAME = "loyalty: lots mature"


def _move(apps, minute: str) -> None:
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    crontab, _ = CrontabSchedule.objects.get_or_create(
        minute=minute,
        hour="*",
        day_of_week="*",
        day_of_month="*",
        month_of_year="*",
        timezone="UTC",
    )
    PeriodicTask.objects.filter(name=NAME).update(crontab=crontab)
    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def every_minute(apps, schema_editor):
    _move(apps, "*")


def every_ten_minutes(apps, schema_editor):
    _move(apps, "*/10")


class Migration(migrations.Migration):
    dependencies = [
        ("loyalty", "0009_program_language_categories"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(every_minute, every_ten_minutes)]
