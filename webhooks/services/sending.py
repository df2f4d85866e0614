"""Sending the due deliveries: claim one, post it, record the attempt, schedule the next.

- **Claim.** `SELECT ... FOR UPDATE SKIP LOCKED` takes the soonest due row of an active
  endpoint, and in the same short transaction moves its `next_attempt_at` a lease ahead and
  stamps a claim token. Concurrent senders (a kick and the beat's run, several workers) each get
  other rows; the post happens outside any transaction.
- **A sender that dies** (killed mid-request, a lost machine) leaves the row due: when its
  lease has run out any sender takes it again. At least once, never lost; receivers dedupe by
  the event id, which every try carries unchanged with the same stored bytes.
- **The outcome** is an `Attempt` row, always, and a change of the delivery written only by
  the claim that holds it (the token): delivered on a 2xx; otherwise due again after the
  back-off (BACKOFF: about 1 min, 5 min, 30 min, 2 h, 6 h, 12 h, 24 h), then failed.
- **An endpoint failing** for three days (no success since a failure three days ago) is
  disabled at its next failure; its owner is mailed (webhooks.notices).
"""

from __future__ import annotations

import datetime
import time
import uuid
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from webhooks.models import Attempt, Delivery, DeliveryState, DisabledReason, Endpoint
from webhooks.secret_box import SecretUnreadable
from webhooks.services.endpoints import endpoint_signing_secrets
from webhooks.signing import HEADER, signature_header
from webhooks.transport import Outcome, post

BACKOFF = (
    datetime.timedelta(minutes=1),
    datetime.timedelta(minutes=5),
    datetime.timedelta(minutes=30),
    datetime.timedelta(hours=2),
    datetime.timedelta(hours=6),
    datetime.timedelta(hours=12),
    datetime.timedelta(hours=24),
)
MAX_ATTEMPTS = len(BACKOFF) + 1
# How long a claim holds its row: well above one post's deadline (WEBHOOKS_TIMEOUT_SECONDS,
# at most 30 s), so a live sender never loses a row to another.
LEASE = datetime.timedelta(seconds=90)
FAILING_FOR = datetime.timedelta(days=3)
# One run's budget (seconds); a run with work left asks for the next at once.
RUN_BUDGET_SECONDS = 120.0
USER_AGENT = "Tessera-Webhooks/1"


@dataclass
class SendReport:
    delivered: int = 0
    failed: int = 0  # attempts that did not deliver
    more: bool = False  # stopped on the budget with rows possibly due


def retry_delay(attempts: int) -> datetime.timedelta | None:
    """After `attempts` tries of a delivery all failed, how long until the next; None: that
    was the last, the delivery has failed."""
    if 1 <= attempts <= len(BACKOFF):
        return BACKOFF[attempts - 1]
    return None


def delivery_claim(*, at: datetime.datetime | None = None) -> Delivery | None:
    """The soonest due delivery of an active endpoint, claimed for a lease; None: none due."""
    at = at or timezone.now()
    with transaction.atomic():
        delivery = (
            Delivery.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(
                state=DeliveryState.DUE,
                next_attempt_at__lte=at,
                endpoint__is_active=True,
                endpoint__deleted_at__isnull=True,
            )
            .select_related("endpoint")
            .order_by("next_attempt_at", "pk")
            .first()
        )
        if delivery is None:
            return None
        delivery.claim_token = uuid.uuid4()
        delivery.next_attempt_at = at + LEASE
        Delivery.objects.filter(pk=delivery.pk).update(
            claim_token=delivery.claim_token, next_attempt_at=delivery.next_attempt_at
        )
    return delivery


def delivery_headers(*, delivery: Delivery, at: datetime.datetime) -> dict[str, str]:
    secrets = endpoint_signing_secrets(endpoint=delivery.endpoint, at=at)
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        HEADER: signature_header(
            secrets=secrets, timestamp=int(at.timestamp()), body=delivery.body_bytes
        ),
        "Tessera-Event-Id": delivery.event_public_id,
        "Tessera-Event-Type": delivery.event_type,
    }


def delivery_attempt(*, delivery: Delivery) -> Outcome:
    """Post a claimed delivery and record what happened."""
    at = timezone.now()
    try:
        headers = delivery_headers(delivery=delivery, at=at)
    except SecretUnreadable:
        # SECRET_KEY changed without the old one in SECRET_KEY_FALLBACKS: nothing can sign.
        outcome = Outcome(
            status_code=None,
            error="signing secret unreadable (SECRET_KEY changed): rotate the secret",
            duration_ms=0,
            excerpt="",
        )
    else:
        outcome = post(url=delivery.endpoint.url, body=delivery.body_bytes, headers=headers)
    attempt_record(delivery=delivery, outcome=outcome, at=at)
    return outcome


def attempt_record(*, delivery: Delivery, outcome: Outcome, at: datetime.datetime) -> bool:
    """Keep the attempt and move the delivery on; whether the claim still held it (a claim
    whose lease ran out leaves the row to the sender that took it over)."""
    number = delivery.attempts + 1
    with transaction.atomic():
        Attempt.objects.create(
            delivery=delivery,
            number=number,
            attempted_at=at,
            status_code=outcome.status_code,
            error=outcome.error,
            duration_ms=outcome.duration_ms,
            response_excerpt=outcome.excerpt,
            is_success=outcome.is_success,
        )
        held = Delivery.objects.filter(
            pk=delivery.pk, claim_token=delivery.claim_token, state=DeliveryState.DUE
        )
        fields = {"attempts": number, "claim_token": None, "last_outcome": outcome.summary}
        if outcome.is_success:
            changed = held.update(
                state=DeliveryState.DELIVERED, delivered_at=at, next_attempt_at=None, **fields
            )
            Endpoint.objects.filter(pk=delivery.endpoint_id, failing_since__isnull=False).update(
                failing_since=None
            )
        else:
            delay = retry_delay(number)
            if delay is None:
                changed = held.update(state=DeliveryState.FAILED, next_attempt_at=None, **fields)
            else:
                changed = held.update(next_attempt_at=at + delay, **fields)
            _endpoint_failed(endpoint_id=delivery.endpoint_id, at=at)
    return bool(changed)


def _endpoint_failed(*, endpoint_id: int, at: datetime.datetime) -> None:
    Endpoint.objects.filter(pk=endpoint_id, failing_since__isnull=True).update(failing_since=at)
    Endpoint.objects.filter(
        pk=endpoint_id, is_active=True, failing_since__lte=at - FAILING_FOR
    ).update(
        is_active=False,
        disabled_at=at,
        disabled_reason=DisabledReason.FAILING,
        disabled_notice_at=None,
    )


def deliveries_send(*, budget: float = RUN_BUDGET_SECONDS) -> SendReport:
    """Send what is due, one claim at a time, until nothing is due or the budget is spent."""
    report = SendReport()
    started = time.monotonic()
    while True:
        if time.monotonic() - started > budget:
            report.more = True
            return report
        delivery = delivery_claim()
        if delivery is None:
            return report
        outcome = delivery_attempt(delivery=delivery)
        if outcome.is_success:
            report.delivered += 1
        else:
            report.failed += 1
