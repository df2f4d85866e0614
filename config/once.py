"""Making a request happen once, whoever sends it twice: one durable row per (scope, key).

The API's `Idempotency-Key` (config.api.idempotency), the portal's redeem confirmation and the
console's adjustments all go through `once_begin`, inside the transaction of the work they guard:

    with transaction.atomic():
        attempt = once_begin(scope=f"member:{member.pk}", key=token)
        if not attempt.first:
            return answer(attempt.outcome)       # the first request's outcome
        result = the_service(...)
        attempt.done({"id": result.pk})

The row is inserted before the work; a second request with the same key waits on the unique
index until the first commits and then reads its outcome; if the work fails, the row rolls back
with it and the same key may be sent again. Unlike a cache nonce, nothing is lost when Redis
evicts a key or a process restarts. Rows older than a day are purged (config.api.tasks).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, connection, transaction

from config.api.models import IdempotencyRecord


class OnceConflict(Exception):
    """The key was used for something else (another fingerprint)."""


@dataclass
class Attempt:
    record: IdempotencyRecord
    first: bool

    @property
    def outcome(self) -> Any:
        return self.record.response_body

    @property
    def status_code(self) -> int | None:
        return self.record.status_code

    def done(self, outcome: Any, *, status_code: int | None = None) -> None:
        """Keep what the first request answered, for the repeats."""
        self.record.response_body = outcome
        self.record.status_code = status_code
        self.record.save(update_fields=["response_body", "status_code"])


def once_begin(
    *, scope: str, key: str, fingerprint: str = "", api_key=None, method: str = "", path: str = ""
) -> Attempt:
    """Claim (scope, key) for the transaction in progress, or find the request that did. A
    repeat whose fingerprint differs raises OnceConflict."""
    if not connection.in_atomic_block:
        raise RuntimeError("once_begin must run inside the transaction of the work it guards")
    try:
        with transaction.atomic():
            record = IdempotencyRecord.objects.create(
                scope=scope,
                key=key,
                fingerprint=fingerprint,
                api_key=api_key,
                method=method,
                path=path[:500],
            )
    except IntegrityError:
        record = IdempotencyRecord.objects.get(scope=scope, key=key)
        if record.fingerprint != fingerprint:
            raise OnceConflict() from None
        return Attempt(record=record, first=False)
    return Attempt(record=record, first=True)
