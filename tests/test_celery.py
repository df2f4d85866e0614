import pytest
import redis
from django.conf import settings
from django.db import transaction

from config.celery import app
from tests.fixtures_worker import wait_for

attempts: list[str] = []


@app.task(name="tests.flaky")
def flaky(kind: str) -> None:
    attempts.append(kind)
    if kind == "transient":
        raise ConnectionError("SMTP server went away")
    raise ValueError("a bug, not the network")


@app.task(name="tests.noop")
def noop() -> None:
    return None


@pytest.fixture
def broker():
    if not settings.REDIS_URL:
        pytest.skip("needs Redis (make test sets REDIS_URL)")
    client = redis.Redis.from_url(settings.REDIS_URL)
    client.delete("on-commit-check")
    yield client
    client.delete("on-commit-check")


def test_tasks_are_json_acked_late_and_requeued_when_a_worker_dies():
    assert app.conf.task_serializer == "json"
    assert app.conf.accept_content == ["json"]
    assert app.conf.task_acks_late is True
    assert app.conf.task_reject_on_worker_lost is True
    assert app.conf.task_time_limit > app.conf.task_soft_time_limit


@pytest.mark.django_db(transaction=True)
def test_task_queued_inside_a_transaction_reaches_the_broker_only_after_commit(broker):
    with transaction.atomic():
        noop.apply_async(queue="on-commit-check")
        assert broker.llen("on-commit-check") == 0
    assert broker.llen("on-commit-check") == 1


@pytest.mark.django_db(transaction=True)
def test_task_queued_in_a_rolled_back_transaction_is_never_sent(broker):
    def write_then_fail():
        with transaction.atomic():
            noop.apply_async(queue="on-commit-check")
            raise RuntimeError("the write failed")

    with pytest.raises(RuntimeError):
        write_then_fail()
    assert broker.llen("on-commit-check") == 0


def test_transient_errors_retry_a_bounded_number_of_times():
    attempts.clear()
    result = flaky.apply(args=["transient"])
    assert result.state == "FAILURE"
    assert isinstance(result.result, ConnectionError)
    assert len(attempts) == flaky.max_retries + 1 == 6


def test_other_errors_fail_at_once_without_retry():
    attempts.clear()
    with pytest.raises(ValueError, match="a bug"):
        flaky.apply(args=["bug"], throw=True)
    assert attempts == ["bug"]


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_real_worker_runs_a_queued_task_end_to_end(celery_worker, client):
    from config.health.models import Heartbeat
    from config.health.tasks import beat_tick

    beat_tick.delay()

    tick = wait_for(lambda: Heartbeat.objects.filter(name="beat").first())
    response = client.get("/health/")
    assert response.status_code == 200, response.json()
    assert response.json()["beat"]["ok"] is True
    assert tick.at is not None
