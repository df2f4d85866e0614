"""The Celery app: `celery -A config worker` and `celery -A config beat`.

Policy for every task (STYLE.md, Celery):
- JSON only, acknowledged late and re-queued if the worker dies (settings), so tasks are idempotent.
- Enqueued only after the surrounding transaction commits: a worker must never pick up an id whose
  row it cannot see yet, nor act on a write that was rolled back. `TesseraTask.apply_async` defers
  itself to `transaction.on_commit` when called inside an atomic block, so no caller can forget.
- Transient failures (network, SMTP, a dropped database connection) retry with exponential back-off
  and jitter, at most `max_retries` times; anything else fails at once and is logged.
"""

import os
import smtplib

from celery import Celery
from celery.contrib.django.task import DjangoTask

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def _transient_errors() -> tuple[type[BaseException], ...]:
    from django.db import InterfaceError, OperationalError

    # ConnectionError and TimeoutError are OSErrors; SMTPException is one too.
    return (OSError, smtplib.SMTPException, OperationalError, InterfaceError)


class TesseraTask(DjangoTask):
    autoretry_for = _transient_errors()
    max_retries = 5
    retry_backoff = 5  # seconds: 5, 10, 20, 40, 80 (capped below), with jitter
    retry_backoff_max = 600
    retry_jitter = True

    def apply_async(
        self,
        args=None,
        kwargs=None,
        task_id=None,
        producer=None,
        link=None,
        link_error=None,
        shadow=None,
        **options,
    ):
        from django.db import transaction

        call = super().apply_async
        if transaction.get_connection().in_atomic_block:
            transaction.on_commit(
                lambda: call(args, kwargs, task_id, producer, link, link_error, shadow, **options)
            )
            return None
        return call(args, kwargs, task_id, producer, link, link_error, shadow, **options)


app = Celery("tessera", task_cls=TesseraTask)
# Every CELERY_* Django setting configures the app (see config/settings.py).
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
