"""Install the automations' scans for celery beat (declared in campaigns/tasks.py): the
birthdays every quarter of an hour, so 09:00 on each member's own clock is met within minutes in
every time zone; the points-expiring notices daily at 03:40 UTC, after the night's expiry run
(each notice is due at 09:00 on the member's clock); the win-backs daily at 03:50 UTC (each due
at 10:00 on the member's clock); the monthly statements hourly (the 1st reaches 09:00 at a
different hour in each zone); the surveys daily at 03:55 UTC (each due at 10:00 on the
member's clock).

Copied here, not imported, so this migration keeps doing what it did when written. Idempotent.
"""

from django.db import migrations
from django.utils import timezone

TASKS = {
    "campaigns: birthdays": ("campaigns.tasks.birthdays_queue", {"minute": "*/15"}),
    "campaigns: points expiring": (
        "campaigns.tasks.points_expiring_queue",
        {"minute": "40", "hour": "3"},
    ),
    "campaigns: win-backs": ("campaigns.tasks.win_backs_queue", {"minute": "50", "hour": "3"}),
    "campaigns: monthly statements": ("campaigns.tasks.statements_queue", {"minute": "5"}),
    "campaigns: surveys": ("campaigns.tasks.surveys_queue", {"minute": "55", "hour": "3"}),
}


def install(apps, schema_editor):
    CrontabSchedule = apps.get_model("django_celery_beat", "CrontabSchedule")
    PeriodicTask = apps.get_model("django_celery_beat", "PeriodicTask")
    PeriodicTasks = apps.get_model("django_celery_beat", "PeriodicTasks")
    for name, (task, fields) in TASKS.items():
        crontab, _ = CrontabSchedule.objects.get_or_create(
            minute=fields["minute"],
            hour=fields.get("hour", "*"),
            day_of_week="*",
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
        ("campaigns", "0006_automations"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [migrations.RunPython(install, uninstall)]
