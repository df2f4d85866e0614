"""The sender's schedule and settings: installed for beat by migration, refused when wrong."""

import pytest
from django_celery_beat.models import PeriodicTask

from campaigns import tasks
from tests.test_settings import run_manage


@pytest.mark.django_db
def test_the_send_and_the_reminder_scan_are_installed_for_beat():
    installed = {task.name: task for task in PeriodicTask.objects.all()}

    for name, (task, _schedule) in tasks.PERIODIC_TASKS.items():
        assert installed[name].task == task
    send = installed["campaigns: deliveries send"]
    assert (send.interval.every, send.interval.period) == (5, "seconds")
    # The rewards app no longer mails the reminder itself.
    assert "rewards: voucher reminders" not in installed
    assert not PeriodicTask.objects.filter(task="rewards.tasks.voucher_reminders_send").exists()


@pytest.mark.parametrize("value", ["0", "121"])
def test_a_lease_longer_than_two_minutes_refuses_to_start(value):
    result = run_manage(
        "check", env={"DJANGO_DEBUG": "true", "TESSERA_DELIVERY_LEASE_SECONDS": value}
    )
    assert result.returncode != 0
    assert "TESSERA_DELIVERY_LEASE_SECONDS must be between 1 and 120" in result.stderr
