"""Writes of webhook endpoints: register, change, delete, rotate the secret, enable and
disable. Each checks before it writes and writes in one transaction.

A secret leaves the server twice only: in the answer of the call that made it (the API's 201,
the admin's message after saving or rotating), and, keyed into an HMAC, in every signature.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from config.domain import DomainError
from webhooks import secret_box
from webhooks.addresses import url_target
from webhooks.catalog import EVENT_TYPES, events_ordered
from webhooks.models import Endpoint, EndpointSecret
from webhooks.signing import secret_new

# After a rotation the previous secret signs too, this long: receivers switch in the meantime.
ROTATION_OVERLAP = datetime.timedelta(hours=24)


class EventsInvalid(DomainError):
    code = "events_invalid"
    status = 400
    field = "events"
    template = _("Choose at least one of the events: %(known)s.")

    def __init__(self):
        super().__init__(known=", ".join(EVENT_TYPES))


@dataclass(frozen=True)
class Registered:
    endpoint: Endpoint
    secret: str  # shown once


@dataclass(frozen=True)
class Rotated:
    endpoint: Endpoint
    secret: str  # shown once
    previous_expires_at: datetime.datetime


def events_checked(events: Iterable[str]) -> list[str]:
    events = list(events)
    if not events or not set(events) <= set(EVENT_TYPES):
        raise EventsInvalid()
    return events_ordered(events)


def endpoint_register(*, url: str, events: Iterable[str], owner=None) -> Registered:
    """A new active endpoint for `events` at `url` (checked: webhooks.addresses), with its
    first signing secret. Raises UrlNotAllowed or EventsInvalid, writing nothing."""
    url_target(url)
    wanted = events_checked(events)
    secret = secret_new()
    with transaction.atomic():
        endpoint = Endpoint.objects.create(url=url, events=wanted, owner=owner)
        EndpointSecret.objects.create(endpoint=endpoint, sealed=secret_box.seal(secret))
    return Registered(endpoint=endpoint, secret=secret)


def endpoint_change(*, endpoint: Endpoint, url: str, events: Iterable[str]) -> Endpoint:
    """Point the endpoint elsewhere or change its events (the secret stays)."""
    if url != endpoint.url:
        url_target(url)
    wanted = events_checked(events)
    Endpoint.objects.filter(pk=endpoint.pk).update(url=url, events=wanted)
    endpoint.url, endpoint.events = url, wanted
    return endpoint


def endpoint_secret_rotate(
    *, endpoint: Endpoint, at: datetime.datetime | None = None, overlap=ROTATION_OVERLAP
) -> Rotated:
    """A new current secret; the one it replaces goes on signing for `overlap`. A secret
    rotated out earlier is dropped and stops signing now: two sign at most."""
    at = at or timezone.now()
    secret = secret_new()
    with transaction.atomic():
        # The endpoint's row serialises rotations: two at once would both find the same current.
        Endpoint.objects.select_for_update().filter(pk=endpoint.pk).first()
        EndpointSecret.objects.filter(endpoint=endpoint, expires_at__isnull=False).delete()
        EndpointSecret.objects.filter(endpoint=endpoint, expires_at__isnull=True).update(
            expires_at=at + overlap
        )
        EndpointSecret.objects.create(
            endpoint=endpoint, sealed=secret_box.seal(secret), created_at=at
        )
    return Rotated(endpoint=endpoint, secret=secret, previous_expires_at=at + overlap)


def endpoint_signing_secrets(*, endpoint: Endpoint, at: datetime.datetime) -> list[str]:
    """The secrets that sign at `at`, the current one first."""
    rows = EndpointSecret.objects.filter(endpoint=endpoint).filter(
        Q(expires_at__isnull=True) | Q(expires_at__gt=at)
    )
    ordered = sorted(
        rows, key=lambda row: (row.expires_at is not None, -row.created_at.timestamp())
    )
    return [secret_box.unseal(row.sealed) for row in ordered]


def endpoint_delete(*, endpoint: Endpoint, at: datetime.datetime | None = None) -> bool:
    """Stop delivering to the endpoint and hide it; its delivery log stays for staff. Whether
    it was deleted now (False: it was already)."""
    return bool(
        Endpoint.objects.filter(pk=endpoint.pk, deleted_at__isnull=True).update(
            deleted_at=at or timezone.now()
        )
    )


def endpoint_disable(
    *, endpoint: Endpoint, reason: str, at: datetime.datetime | None = None
) -> bool:
    """Stop delivering to an active endpoint (its due deliveries wait); whether it was active."""
    at = at or timezone.now()
    return bool(
        Endpoint.objects.filter(pk=endpoint.pk, is_active=True).update(
            is_active=False, disabled_at=at, disabled_reason=reason, disabled_notice_at=None
        )
    )


def endpoint_enable(*, endpoint: Endpoint) -> bool:
    """Deliver again, the deliveries still due first; whether it was disabled. Its failures
    count afresh."""
    return bool(
        Endpoint.objects.filter(pk=endpoint.pk, is_active=False).update(
            is_active=True,
            disabled_at=None,
            disabled_reason="",
            disabled_notice_at=None,
            failing_since=None,
        )
    )
