"""The sending workers of tests/campaigns/workers.py, for the tests that prove sending with real
processes (delivery/test_workers.py, campaigns/test_campaign_workers.py)."""

import os
import subprocess
import sys

import pytest
import redis
from aiosmtpd.controller import Controller
from django.conf import settings

from tests.campaigns.workers import LEASE_SECONDS, QUEUE
from tests.fixtures_mail import SMTPSink, _free_port
from tests.fixtures_worker import ARTIFACTS, ROOT, _database_url, wait_for


@pytest.fixture
def sink():
    """The SMTP server the sending workers deliver to; their queue emptied before and after."""
    if not settings.REDIS_URL:
        pytest.skip("needs Redis (make test sets REDIS_URL)")
    sink = SMTPSink(host="127.0.0.1", port=_free_port())
    controller = Controller(sink, hostname=sink.host, port=sink.port)
    controller.start()
    broker = redis.Redis.from_url(settings.REDIS_URL)
    broker.delete(QUEUE)
    yield sink
    broker.delete(QUEUE)
    controller.stop()


@pytest.fixture
def workers(sink):
    """Starts sending workers on QUEUE (`start(*names)`, all at once, returning their processes
    once each is ready); stops whatever is left at the end."""
    started: list[subprocess.Popen] = []

    def start(*names: str) -> tuple[subprocess.Popen, ...]:
        ARTIFACTS.mkdir(exist_ok=True)
        launched = []
        for name in names:
            log = ARTIFACTS / f"celery-{name}.log"
            env = {
                **os.environ,
                "DATABASE_URL": _database_url(),
                "REDIS_URL": settings.REDIS_URL,
                "EMAIL_HOST": sink.host,
                "EMAIL_PORT": str(sink.port),
                "TESSERA_DELIVERY_LEASE_SECONDS": str(LEASE_SECONDS),
            }
            hostname = f"{name}-{os.getpid()}"
            with log.open("w") as output:
                worker = subprocess.Popen(  # noqa: S603 - fixed command
                    [
                        sys.executable, "-m", "celery", "-A", "config", "worker",
                        "--pool=solo", "--loglevel=INFO", "--without-mingle", "--without-gossip",
                        "-Q", QUEUE, "--hostname", f"{hostname}@%h",
                    ],
                    cwd=ROOT, env=env, stdout=output, stderr=subprocess.STDOUT,
                )  # fmt: skip
            started.append(worker)
            launched.append((worker, log, f"{hostname}@{os.uname().nodename} ready."))
        for worker, log, ready in launched:
            # Its log says when it consumes, not a ping: a solo worker that picks up a task at
            # once (kicks waiting in the queue) answers no ping until that task is done.
            wait_for(
                lambda worker=worker, log=log, ready=ready: (
                    worker.poll() is not None or ready in log.read_text()
                ),
                timeout=60,
            )
            assert worker.poll() is None, f"the worker did not start; see {log}"
        return tuple(worker for worker, _log, _ready in launched)

    yield start
    for worker in started:
        if worker.poll() is None:
            worker.terminate()
    for worker in started:
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            worker.kill()
