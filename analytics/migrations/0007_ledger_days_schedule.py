"""Install the ledger days' run for celery beat (declared in analytics/tasks.py): every minute it
adds the settled ledger entries to their days (analytics.ledger_days); the figures add what it
has not summed yet from the ledger itself.

Copied here, not imported, so this migration keeps doing what it did when written. Idempotent.
"""

from django.db import migrations
from django.utils import timezone

TASKS = {
    "analytics: ledger days": (
        "analytics.tasks.ledger_days_advance",
        {"minute": "*", "hour": "*", "day_of_week": "*"},
    ),
}


def install(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    for name, (task, fields) in TASKS.items():
        crontab, _ = CrontabSchedule.objects.get_or_create(
            minute=fields["minute"],
            hour=fields["hour"],
            day_of_week=fields["day_of_week"],
            day_of_month="*",
            month_of_year="*",
            timezone="UTC",
        )
        PeriodicTask.objects.get_or_create(name=name, defaults={"task": task, "crontab": crontab})
    # Historical models send no signals: tell a running beat that its schedule changed.
    PeriodicTasks.objects.update_or_create(ident=1, defaults={"last_update": timezone.now()})


def uninstall(apps, schema_editor):
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTask.objects.filter(name__in=TASKS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("analytics", "0006_ledger_days"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(install, uninstall)]
