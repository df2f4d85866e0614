"""Install the ledger's periodic tasks for celery beat (declared in loyalty/tasks.py).

Copied here, not imported, so this migration keeps doing what it did when written. Idempotent.
Times are UTC (CELERY_TIMEZONE); each task decides per member in the program's time zone.
"""

from django.db import migrations
from django.utils import timezone

TASKS = {
    "loyalty: lots mature": ("loyalty.tasks.lots_mature", {"minute": "*/10"}),
    "loyalty: points expire": ("loyalty.tasks.points_expire", {"minute": "15", "hour": "2"}),
    "loyalty: tiers review": ("loyalty.tasks.tiers_review", {"minute": "45", "hour": "2"}),
}


def install(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    for name, (task, fields) in TASKS.items():
        crontab, _ = CrontabSchedule.objects.get_or_create(
            minute=fields.get("minute", "*"),
            hour=fields.get("hour", "*"),
            day_of_week="*",
            day_of_month="*",
            month_of_year="*",
            timezone="UTC",
        )
        PeriodicTask.objects.get_or_create(name=name, defaults={"task": task, "crontab": crontab})
    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def uninstall(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name__in=TASKS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("loyalty", "0003_ledger_append_only_guard"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(install, uninstall)]
