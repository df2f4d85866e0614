"""A consumer that records what it saw, in the database, inside the dispatcher's transaction:
what it recorded is what it was really handed. Shared by the in-process tests and the worker
process of test_dispatch_worker (recording_app)."""

from __future__ import annotations

import time

import redis
from django.conf import settings
from django.db import connection

from config.events.registry import Consumer

KIND = "test.noted"
TABLE = "events_test_seen"
# Outside the database, so they survive a rolled-back delivery: every call of the handler, and
# the event at which a worker's handler stalls (for the test to kill it there).
CALLS_KEY = "events-test:calls"
STALL_KEY = "events-test:stall-at"


class DispatcherKilled(BaseException):
    """What a killed process looks like from inside: nothing after it runs, nothing commits."""


crash_at: set[int] = set()


def table_create() -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE IF NOT EXISTS {TABLE} (seq bigserial PRIMARY KEY, event_id bigint)"
        )


def table_drop() -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {TABLE}")


def seen() -> list[int]:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT event_id FROM {TABLE} ORDER BY seq")  # noqa: S608 - ours
        return [row[0] for row in cursor.fetchall()]


def _broker():
    return redis.Redis.from_url(settings.REDIS_URL) if settings.REDIS_URL else None


def record(event) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {TABLE} (event_id) VALUES (%s)", [event.pk])  # noqa: S608
    broker = _broker()
    if broker is not None:
        broker.rpush(CALLS_KEY, event.pk)
        if broker.get(STALL_KEY) == str(event.pk).encode():
            time.sleep(300)  # killed here by the test
    if event.pk in crash_at:
        raise DispatcherKilled()


RECORDER = Consumer(name="test_recorder", kinds=frozenset({KIND}), handle=record)
