"""A real Celery worker against the local Redis and the test database, for task integration tests.

The worker is a separate process started with the same command as `make worker`, so what these
tests prove is what production runs. Tests that use it need `transactional_db`: the worker has its
own connection and sees only committed rows.
"""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from django.conf import settings
from django.db import connection

from tests.fixtures_mail import SMTPSink, _free_port

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "test-artifacts"


def _database_url() -> str:
    db = connection.settings_dict
    if db["ENGINE"] != "django.db.backends.postgresql":
        pytest.skip("the worker tests need PostgreSQL (make test)")
    user = db["USER"] or "postgres"
    host = db["HOST"] or "localhost"
    return f"postgres://{user}@{host}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture(scope="session")
def worker_smtp_sink():
    """The SMTP server the worker process sends its mail to (tests read it; clear it first)."""
    sink = SMTPSink(host="127.0.0.1", port=_free_port())
    controller = Controller(sink, hostname=sink.host, port=sink.port)
    controller.start()
    yield sink
    controller.stop()


@pytest.fixture(scope="session")
def celery_worker(django_db_setup, django_db_blocker, worker_smtp_sink):
    if not settings.REDIS_URL:
        pytest.skip("the worker tests need Redis (make test sets REDIS_URL)")
    from config.celery import app

    app.control.purge()
    ARTIFACTS.mkdir(exist_ok=True)
    log = (ARTIFACTS / "celery-worker.log").open("w")
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "REDIS_URL": settings.REDIS_URL,
        "EMAIL_HOST": worker_smtp_sink.host,
        "EMAIL_PORT": str(worker_smtp_sink.port),
        # Webhook deliveries go to the tests' receivers on 127.0.0.1 (tests/webhooks).
        "WEBHOOKS_ALLOW_PRIVATE": "true",
    }
    worker = subprocess.Popen(  # noqa: S603 - fixed command
        [
            sys.executable, "-m", "celery", "-A", "config", "worker",
            "--pool=solo", "--loglevel=INFO", "--without-mingle", "--without-gossip",
            "--hostname", f"test-{os.getpid()}@%h",
        ],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    deadline = time.monotonic() + 60
    while not app.control.ping(timeout=0.5):
        if worker.poll() is not None or time.monotonic() > deadline:
            worker.kill()
            pytest.fail(f"the Celery worker did not start; see {log.name}")
    yield worker
    worker.terminate()
    try:
        worker.wait(timeout=20)
    except subprocess.TimeoutExpired:
        worker.kill()
    log.close()


def wait_for(predicate, *, timeout: float = 30, interval: float = 0.1):
    """Poll until predicate() is truthy; return its value or fail the test."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    pytest.fail(f"condition not met within {timeout}s")
