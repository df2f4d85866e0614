"""Real sending workers for the campaigns' proofs: Celery worker processes started with the
command `make worker` runs, on a queue of their own, against Redis and the test database, sending
into an SMTP sink of their own (the fixtures `sink` and `workers` in tests/campaigns/conftest.py);
and beat's part, played by the test (`drive`).

Tests that use them need `transactional_db`: the workers have their own connections and see only
committed rows. The workers run on the real clock: such a test never freezes time."""

import time
import uuid

from campaigns.models import Delivery
from campaigns.tasks import deliveries_send

# Their own queue: the suite's shared worker (tests/fixtures_worker.py) sends to another sink.
QUEUE = "deliveries-send-test"
# Short leases, so a killed worker's claims come back within the test (production: 120 s).
LEASE_SECONDS = 3


def kick_twice() -> None:
    """Beat's part, with every task message delivered twice: the same message (one task id)
    published twice, as Redis redelivers one."""
    task_id = str(uuid.uuid4())
    deliveries_send.apply_async(queue=QUEUE, task_id=task_id)
    deliveries_send.apply_async(queue=QUEUE, task_id=task_id)


def settled() -> bool:
    return not Delivery.objects.filter(status__in=["queued", "handing"]).exists()


def drive(*, until, timeout: float) -> None:
    """Kick twice every half second (beat's part) until `until()`."""
    deadline = time.monotonic() + timeout
    while not until():
        assert time.monotonic() < deadline, "the workers did not finish in time"
        kick_twice()
        time.sleep(0.5)
