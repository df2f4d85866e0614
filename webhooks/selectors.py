"""Reads of webhook endpoints and their delivery log. Endpoints belong to the shop, not to a
person: any key with `webhooks:write` and any staff user with the admin's permissions sees them
all, so these take no "who is asking" beyond what the API and the admin check."""

from __future__ import annotations

import uuid

from django.db.models import QuerySet

from webhooks.models import Delivery, Endpoint


def endpoint_list() -> QuerySet[Endpoint]:
    return Endpoint.objects.present().order_by("-created_at", "-pk")


def endpoint_get(*, public_id: uuid.UUID | str) -> Endpoint | None:
    return endpoint_list().filter(public_id=public_id).first()


def delivery_log_for_endpoint(*, endpoint: Endpoint) -> QuerySet[Delivery]:
    return Delivery.objects.filter(endpoint=endpoint).order_by("-created_at", "-pk")
