"""The checks behind /health/. Each returns a dict with at least ``ok`` and ``status``.

A failing check reports the exception's class name only (the page is public); the details go to
the log.
"""

import logging
import secrets
import time

from django.conf import settings
from django.core.cache import cache
from django.db import connections
from django.utils import timezone

from config.celery import app as celery_app
from config.health.models import Heartbeat
from config.health.services import BEAT

logger = logging.getLogger("config.health")

BROKER_TIMEOUT_SECONDS = 2


def is_embedded() -> bool:
    """No real broker: Celery runs tasks in the web process (REDIS_URL unset)."""
    return bool(getattr(settings, "CELERY_TASK_ALWAYS_EAGER", False)) or str(
        settings.CELERY_BROKER_URL
    ).startswith("memory://")


def _failed(name: str, exc: Exception) -> dict:
    logger.error("Health check %s failed", name, exc_info=exc)
    return {"ok": False, "status": "error", "error": type(exc).__name__}


def _timed(name: str, probe) -> dict:
    started = time.monotonic()
    try:
        extra = probe() or {}
    except Exception as exc:  # any failure is "not healthy": reported, not raised
        return _failed(name, exc)
    latency = round((time.monotonic() - started) * 1000, 1)
    return {"ok": True, "status": "ok", "latency_ms": latency, **extra}


def ping_database(alias: str = "default") -> None:
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def check_database() -> dict:
    return _timed("database", ping_database)


def check_cache() -> dict:
    def probe():
        key, value = "health:probe", secrets.token_hex(8)
        cache.set(key, value, timeout=30)
        if cache.get(key) != value:
            raise RuntimeError("cache did not return what was written")

    return _timed("cache", probe)


def ping_broker(url: str) -> None:
    with celery_app.connection_for_write(
        url=url,
        connect_timeout=BROKER_TIMEOUT_SECONDS,
        transport_options={
            "socket_timeout": BROKER_TIMEOUT_SECONDS,
            "socket_connect_timeout": BROKER_TIMEOUT_SECONDS,
            "max_retries": 0,
        },
    ) as connection:
        connection.ensure_connection(max_retries=0, timeout=BROKER_TIMEOUT_SECONDS)
        client = getattr(connection.default_channel, "client", None)
        if client is not None and hasattr(client, "ping"):
            client.ping()  # Redis: a round trip, not only an open socket


def check_broker() -> dict:
    if is_embedded():
        return {"ok": True, "status": "embedded"}
    return _timed("broker", lambda: ping_broker(settings.CELERY_BROKER_URL))


def check_beat() -> dict:
    try:
        last_tick = Heartbeat.objects.filter(name=BEAT).values_list("at", flat=True).first()
    except Exception as exc:
        return _failed("beat", exc)
    result: dict = {"last_tick": last_tick.isoformat() if last_tick else None}
    if last_tick is not None:
        result["age_seconds"] = int((timezone.now() - last_tick).total_seconds())
    if is_embedded():
        # No beat process in embedded mode; nothing to be late.
        return {"ok": True, "status": "embedded", **result}
    if last_tick is None:
        return {"ok": False, "status": "never", **result}
    if timezone.now() - last_tick > settings.HEALTH_BEAT_MAX_AGE:
        return {"ok": False, "status": "stale", **result}
    return {"ok": True, "status": "ok", **result}


CHECKS = {
    "database": check_database,
    "cache": check_cache,
    "broker": check_broker,
    "beat": check_beat,
}


def run_checks() -> dict:
    return {name: check() for name, check in CHECKS.items()}
