"""Install the purchase facts' check for celery beat (declared in analytics/tasks.py): every ten
minutes it builds the facts when they are not for the program's time zone (after this deploy,
or a change of zone); until then the figures count from the purchases.

Copied here, not imported, so this migration keeps doing what it did when written. Idempotent.
"""

from django.db import migrations
from django.utils import timezone

TASKS = {
    "analytics: purchase facts": (
        "analytics.tasks.purchase_facts_check",
        {"minute": "*/10", "hour": "*", "day_of_week": "*"},
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
        ("analytics", "0004_purchase_facts"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(install, uninstall)]
