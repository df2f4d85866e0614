"""A dispatcher in a real Celery worker process, killed with SIGKILL in the middle of a batch,
loses no event and repeats none to a consumer that records what it saw; the next worker
delivers them all, once, in order."""

import os
import signal
import subprocess
import sys

import pytest
import redis
from django.conf import settings

from config.celery import app
from config.events.models import EventDelivery
from config.events.services import event_record
from config.events.tasks import events_dispatch
from tests.events.recorder import CALLS_KEY, KIND, RECORDER, STALL_KEY, seen
from tests.fixtures_worker import ARTIFACTS, ROOT, _database_url, wait_for

# Its own queue: the suite's shared worker (tests/fixtures_worker.py) does not know the
# recorder and must not take these dispatches.
QUEUE = "events-dispatch-test"


def _worker_start(name: str) -> subprocess.Popen:
    ARTIFACTS.mkdir(exist_ok=True)
    log = (ARTIFACTS / f"celery-{name}.log").open("w")
    env = {**os.environ, "DATABASE_URL": _database_url(), "REDIS_URL": settings.REDIS_URL}
    worker = subprocess.Popen(  # noqa: S603 - fixed command
        [
            sys.executable, "-m", "celery", "-A", "tests.events.recording_app", "worker",
            "--pool=solo", "--loglevel=INFO", "--without-mingle", "--without-gossip",
            "-Q", QUEUE, "--hostname", f"{name}-{os.getpid()}@%h",
        ],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    wait_for(
        lambda: (
            worker.poll() is not None
            or app.control.ping(destination=[f"{name}-{os.getpid()}@{os.uname().nodename}"])
        ),
        timeout=60,
    )
    assert worker.poll() is None, f"the worker did not start; see {log.name}"
    return worker


def _dispatch() -> None:
    events_dispatch.apply_async(queue=QUEUE)


@pytest.fixture
def broker():
    if not settings.REDIS_URL:
        pytest.skip("needs Redis (make test sets REDIS_URL)")
    client = redis.Redis.from_url(settings.REDIS_URL)
    client.delete(CALLS_KEY, STALL_KEY, QUEUE)
    yield client
    client.delete(CALLS_KEY, STALL_KEY, QUEUE)


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_batch_loses_no_event_and_repeats_none(seen_table, broker):
    _database_url()  # skips without PostgreSQL
    ids = [event_record(KIND, payload={"n": n}).pk for n in range(10)]
    broker.set(STALL_KEY, ids[4])  # the handler stops there until the worker is killed

    first = _worker_start("events-a")
    try:
        _dispatch()
        wait_for(lambda: str(ids[4]).encode() in broker.lrange(CALLS_KEY, 0, -1), timeout=60)
    finally:
        first.send_signal(signal.SIGKILL)
        first.wait(timeout=30)

    # Five events were handed and recorded in the killed transaction: none of it committed.
    assert seen() == []
    assert not EventDelivery.objects.filter(consumer=RECORDER.name).exists()

    broker.delete(STALL_KEY)
    second = _worker_start("events-b")
    try:
        # Until the database has noticed the dead connection, its lock on the consumer makes a
        # dispatch skip it: ask again until the events are delivered.
        def delivered_all() -> bool:
            if len(seen()) < len(ids):
                _dispatch()
                return False
            return True

        wait_for(delivered_all, timeout=60, interval=1)
        _dispatch()  # a duplicate run changes nothing
        wait_for(lambda: broker.llen(QUEUE) == 0, timeout=30)
        wait_for(lambda: broker.llen(CALLS_KEY) >= 15, timeout=30)
    finally:
        second.terminate()
        second.wait(timeout=30)

    assert seen() == ids  # each once, in order
    calls = [int(call) for call in broker.lrange(CALLS_KEY, 0, -1)]
    assert calls[:5] == ids[:5]  # handed before the kill, then again after it
    assert sorted(calls) == sorted(ids + ids[:5])
