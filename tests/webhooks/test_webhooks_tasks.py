"""The periodic send is installed for beat by migration; the consumer starts at the events
already written (history is not news); a queued delivery asks for a send on commit; the
settings refuse what they cannot use."""

import importlib

import pytest
from django.apps import apps
from django_celery_beat.models import PeriodicTask

from config.events.models import Event, EventConsumer
from config.events.services import event_record
from loyalty.services.enrolment import member_join
from tests.test_settings import run_manage
from tests.webhooks.conftest import webhooks_dispatch
from webhooks import tasks
from webhooks.models import Delivery

installing = importlib.import_module("webhooks.migrations.0002_periodic_tasks")


@pytest.mark.django_db
def test_the_send_is_installed_for_beat_every_15_seconds():
    installed = {task.name: task for task in PeriodicTask.objects.all()}

    for name, (task, schedule) in tasks.PERIODIC_TASKS.items():
        assert installed[name].task == task
        assert (installed[name].interval.every, installed[name].interval.period) == (
            schedule["every"],
            "seconds",
        )
    assert installed["webhooks: deliveries send"].interval.every == 15


def test_installing_starts_the_consumer_after_the_events_already_written(registered, program):
    member_join(email="before@example.com")  # history, when the webhooks are installed
    EventConsumer.objects.filter(name="webhooks").delete()

    installing.install(apps, None)
    member_join(email="after@example.com")
    webhooks_dispatch()

    floor = EventConsumer.objects.get(name="webhooks").floor
    assert floor >= Event.objects.filter(kind="member.enrolled").order_by("pk").first().pk
    [delivery] = Delivery.objects.all()
    assert b"after@example.com" in delivery.body_bytes


def test_a_queued_delivery_asks_for_a_send_once_it_commits(
    registered, program, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        event_record("member.enrolled", payload={"member_id": 0})  # no such member: no body
        member_join(email="ana@example.com")
        webhooks_dispatch()

    assert Delivery.objects.count() == 1
    assert [callback for callback in callbacks if callback is tasks._send_soon] == [
        tasks._send_soon
    ]


def test_a_timeout_out_of_range_refuses_to_start():
    result = run_manage("check", env={"DJANGO_DEBUG": "true", "WEBHOOKS_TIMEOUT_SECONDS": "0"})
    assert result.returncode != 0
    assert "WEBHOOKS_TIMEOUT_SECONDS must be between 1 and 30" in result.stderr
