import importlib
import os
import time
from datetime import timedelta

import pytest
import time_machine
from django.apps import apps
from django.db import connections
from django.utils import timezone
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from config.health.models import Heartbeat
from config.health.tasks import BEAT_TICK_TASK, beat_tick

REDIS_URL = os.environ.get("REDIS_URL")
needs_redis = pytest.mark.skipif(not REDIS_URL, reason="needs REDIS_URL (make test sets it)")


@pytest.fixture
def with_broker(settings):
    """A real broker, as in production (make test runs with REDIS_URL set)."""
    settings.CELERY_TASK_ALWAYS_EAGER = False
    settings.CELERY_BROKER_URL = REDIS_URL


@pytest.fixture
def embedded(settings):
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.CELERY_BROKER_URL = "memory://"


@needs_redis
@pytest.mark.usefixtures("with_broker")
def test_healthy_after_a_beat_tick(client, db):
    beat_tick.apply()

    response = client.get("/health/")

    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"]["status"] == "ok"
    assert body["cache"]["status"] == "ok"
    assert body["broker"]["status"] == "ok"
    assert body["beat"]["status"] == "ok"
    assert body["beat"]["last_tick"] == Heartbeat.objects.get().at.isoformat()
    assert body["beat"]["age_seconds"] < 5


@needs_redis
@pytest.mark.usefixtures("with_broker")
def test_stale_beat_tick_is_503(client, db, settings):
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        beat_tick.apply()
        traveller.shift(settings.HEALTH_BEAT_MAX_AGE + timedelta(seconds=1))

        response = client.get("/health/")

    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["beat"]["status"] == "stale"
    assert body["beat"]["age_seconds"] == settings.HEALTH_BEAT_MAX_AGE.total_seconds() + 1
    assert body["database"]["ok"]


@needs_redis
@pytest.mark.usefixtures("with_broker")
def test_beat_that_never_ticked_is_503(client, db):
    response = client.get("/health/")

    assert response.status_code == 503
    assert response.json()["beat"] == {"ok": False, "status": "never", "last_tick": None}


@pytest.mark.usefixtures("with_broker")
def test_unreachable_broker_is_503_quickly(client, db, settings):
    beat_tick.apply()
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"  # nothing listens on port 1

    started = time.monotonic()
    response = client.get("/health/")

    assert time.monotonic() - started < 10
    assert response.status_code == 503
    assert response.json()["broker"]["ok"] is False
    assert response.json()["broker"]["status"] == "error"
    # The public page names the kind of failure, not the address or credentials.
    assert "127.0.0.1" not in response.content.decode()


@pytest.mark.usefixtures("embedded")
def test_embedded_mode_needs_no_beat(client, db):
    response = client.get("/health/")

    assert response.status_code == 200
    body = response.json()
    assert body["broker"] == {"ok": True, "status": "embedded"}
    assert body["beat"]["status"] == "embedded"


@pytest.mark.django_db(transaction=True)
def test_unreachable_database_is_503(client):
    # The real check, no patching: the same alias pointed at a port with no server behind it,
    # restored before the test database is flushed.
    connection = connections["default"]
    if connection.vendor != "postgresql":
        pytest.skip("an in-memory SQLite test database cannot be disconnected")
    saved = dict(connection.settings_dict)
    connection.close()
    connection.settings_dict["PORT"] = "1"  # nothing listens there
    try:
        response = client.get("/health/")
    finally:
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(saved)

    assert response.status_code == 503
    body = response.json()
    assert body["database"]["ok"] is False
    assert body["database"]["error"] == "OperationalError"
    assert body["cache"]["ok"] is True


def test_beat_tick_twice_is_harmless_and_moves_forward(db):
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        beat_tick.apply()
        traveller.shift(timedelta(seconds=60))
        beat_tick.apply()

        assert Heartbeat.objects.count() == 1
        assert Heartbeat.objects.get().at == timezone.now()


def test_an_old_tick_delivered_late_does_not_move_time_back(db):
    from config.health.services import heartbeat_record

    now = timezone.now()
    heartbeat_record(at=now)
    heartbeat_record(at=now - timedelta(minutes=5))

    assert Heartbeat.objects.get().at == now


def test_migration_installs_the_beat_tick_once(db):
    migration = importlib.import_module("config.health.migrations.0002_beat_tick_schedule")

    migration.install(apps, None)
    migration.install(apps, None)

    task = PeriodicTask.objects.get(task=BEAT_TICK_TASK)
    assert task.enabled
    assert (task.interval.every, task.interval.period) == (60, IntervalSchedule.SECONDS)
    assert task.expire_seconds == 60
    assert PeriodicTask.objects.filter(task=BEAT_TICK_TASK).count() == 1
    assert IntervalSchedule.objects.filter(every=60, period="seconds").count() == 1


def test_health_refuses_writes(client, db):
    assert client.post("/health/").status_code == 405
