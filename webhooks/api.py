"""The webhook endpoints of API.md (Webhooks), scope `webhooks:write`: register an endpoint
(answered once with its signing secret), list them, read one, delete one, rotate its secret.
They drive the same services as the admin (webhooks.services.endpoints); the serializers only
shape the JSON.

An endpoint registered with an API key is owned by the staff user who created the key: the one
told by mail if it is disabled (webhooks.services.notices).
"""

from __future__ import annotations

import uuid

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.response import Response

from config.api.idempotency import idempotent
from config.api.schema import rule_refusals
from config.api.views import ApiGenericView
from config.domain import DomainError
from webhooks.addresses import UrlNotAllowed
from webhooks.catalog import EVENT_CHOICES, EVENT_TYPES
from webhooks.models import URL_MAX_LENGTH, DisabledReason, Endpoint
from webhooks.selectors import endpoint_get, endpoint_list
from webhooks.services.endpoints import endpoint_delete, endpoint_register, endpoint_secret_rotate

SCOPE = "webhooks:write"

_EVENTS_HELP = (
    "The events to deliver, at least one: "
    + ", ".join(f"`{name}`" for name in EVENT_TYPES)
    + '. Each delivery is a POST of `{"id": "evt_...", "type", "created_at", "data"}`, '
    "signed in the `Tessera-Signature` header (README, Webhooks)."
)


@extend_schema_field(
    {
        "type": "string",
        "format": "uri",
        "maxLength": URL_MAX_LENGTH,
        "example": "https://shop.example.com/hooks/tessera",
        "description": "An `https://` URL whose host resolves to public addresses only "
        "(no loopback, private or link-local address, unless the server runs with "
        "WEBHOOKS_ALLOW_PRIVATE=true, which also allows `http://`); refused with "
        "`url_not_allowed` otherwise.",
    }
)
class WebhookUrlField(serializers.CharField):
    def __init__(self, **kwargs):
        super().__init__(max_length=URL_MAX_LENGTH, trim_whitespace=False, **kwargs)


class WebhookInput(serializers.Serializer):
    url = WebhookUrlField()
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=EVENT_CHOICES),
        min_length=1,
        max_length=len(EVENT_TYPES),
        help_text=_EVENTS_HELP,
    )


class WebhookOutput(serializers.Serializer):
    id = serializers.UUIDField()
    url = serializers.CharField()
    events = serializers.ListField(child=serializers.ChoiceField(choices=EVENT_CHOICES))
    active = serializers.BooleanField(help_text="false: disabled (see disabled_reason).")
    disabled_at = serializers.DateTimeField(allow_null=True)
    disabled_reason = serializers.ChoiceField(
        choices=DisabledReason.choices,
        allow_null=True,
        help_text="`failing`: every delivery failed for three days (the owner was mailed); "
        "`staff`: disabled in the admin. Enabled again in the admin.",
    )
    created_at = serializers.DateTimeField()

    def to_representation(self, instance) -> dict:
        return super().to_representation(self.values(instance))

    def values(self, endpoint: Endpoint) -> dict:
        return {
            "id": endpoint.public_id,
            "url": endpoint.url,
            "events": endpoint.events,
            "active": endpoint.is_active,
            "disabled_at": endpoint.disabled_at,
            "disabled_reason": endpoint.disabled_reason or None,
            "created_at": endpoint.created_at,
        }


class WebhookCreatedOutput(WebhookOutput):
    secret = serializers.CharField(
        help_text="The signing secret (`whsec_...`), shown this once: keep it with the receiver."
    )

    def values(self, registered) -> dict:
        return {**super().values(registered.endpoint), "secret": registered.secret}


class WebhookRotatedOutput(WebhookCreatedOutput):
    previous_secret_expires_at = serializers.DateTimeField(
        help_text="Until then the previous secret signs too (a second `v1=` in the header)."
    )

    def values(self, rotated) -> dict:
        return {
            **super().values(rotated),
            "previous_secret_expires_at": rotated.previous_expires_at,
        }


class WebhookNotFound(DomainError):
    code = "webhook_not_found"
    status = 404
    template = _("No webhook endpoint has this id.")


def _endpoint_or_404(webhook_id: uuid.UUID) -> Endpoint:
    endpoint = endpoint_get(public_id=webhook_id)
    if endpoint is None:
        raise WebhookNotFound()
    return endpoint


class WebhookListView(ApiGenericView):
    required_scopes = [SCOPE]
    serializer_class = WebhookOutput

    @extend_schema(
        operation_id="webhooks_list",
        tags=["webhooks"],
        responses=WebhookOutput(many=True),
    )
    def get(self, request):
        """The registered endpoints, newest first (their secrets are never shown again)."""
        page = self.paginate_queryset(endpoint_list())
        return self.get_paginated_response(WebhookOutput(page, many=True).data)

    @extend_schema(
        operation_id="webhooks_create",
        tags=["webhooks"],
        request=WebhookInput,
        responses={201: WebhookCreatedOutput, 400: rule_refusals(UrlNotAllowed.code)},
    )
    @idempotent
    def post(self, request):
        """Register an endpoint for some events. The answer carries its signing secret, shown
        this once. A URL Tessera will not deliver to (not https, no host, a host that does not
        resolve or resolves to a non-public address) is refused with `url_not_allowed` and
        `errors.url`; an unknown event with `errors.events`."""
        data = WebhookInput(data=request.data)
        data.is_valid(raise_exception=True)
        registered = endpoint_register(
            url=data.validated_data["url"],
            events=data.validated_data["events"],
            owner=request.auth.created_by,
        )
        return Response(WebhookCreatedOutput(registered).data, status=status.HTTP_201_CREATED)


class WebhookDetailView(ApiGenericView):
    required_scopes = [SCOPE]
    serializer_class = WebhookOutput

    @extend_schema(operation_id="webhooks_retrieve", tags=["webhooks"], responses=WebhookOutput)
    def get(self, request, webhook_id: uuid.UUID):
        """One registered endpoint (without its secret)."""
        return Response(WebhookOutput(_endpoint_or_404(webhook_id)).data)

    @extend_schema(
        operation_id="webhooks_delete",
        tags=["webhooks"],
        request=None,
        responses={204: OpenApiResponse(description="Deleted: nothing more is delivered.")},
    )
    @idempotent
    def delete(self, request, webhook_id: uuid.UUID):
        """Stop delivering to the endpoint and remove it (staff keep its delivery log in the
        admin)."""
        endpoint_delete(endpoint=_endpoint_or_404(webhook_id))
        return Response(status=status.HTTP_204_NO_CONTENT)


class WebhookRotateView(ApiGenericView):
    required_scopes = [SCOPE]
    serializer_class = WebhookRotatedOutput

    @extend_schema(
        operation_id="webhooks_rotate",
        tags=["webhooks"],
        request=None,
        responses={200: WebhookRotatedOutput},
    )
    @idempotent
    def post(self, request, webhook_id: uuid.UUID):
        """A new signing secret, shown this once. The previous one goes on signing for 24 hours
        (a second `v1=` value in the header), so the receiver can switch."""
        rotated = endpoint_secret_rotate(endpoint=_endpoint_or_404(webhook_id))
        return Response(WebhookRotatedOutput(rotated).data)
