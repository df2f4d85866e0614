"""The Celery app of `make worker`, with the test recorder as one more consumer: the worker
process that test_dispatch_worker kills (`celery -A tests.events.recording_app worker`)."""

from config.celery import app
from config.events.registry import consumer_register
from tests.events.recorder import RECORDER

consumer_register(RECORDER)

__all__ = ["app"]
