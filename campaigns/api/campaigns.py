"""The campaign endpoints of API.md (Segments and campaigns): create a draft, schedule it, pause,
resume and cancel it, read it with its counts, and read its delivery log. They drive the same
services as the marketer's pages (campaigns.services.campaigns); the serializers only shape the
JSON, and every rule (merge fields, segment, reward, holdout) is the service's.

No staff action is recorded here, unlike the pages (console.marketing): a call is made with an
API key, an integration and not a person (config.api.authentication.ApiClient), and the staff
user who created the key did not make it. The key stays attributable (keys are revoked, never
deleted); the campaign's `created_by` is empty for a draft made through the API.
"""

from __future__ import annotations

import datetime

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import serializers, status
from rest_framework.response import Response

from campaigns.content import MERGE_FIELDS
from campaigns.models import Campaign, CampaignChannel, CampaignState, DeliveryStatus
from campaigns.models.campaigns import HOLDOUT_MAX_PERCENT
from campaigns.selectors.deliveries import campaign_delivery_counts, delivery_list_for_campaign
from campaigns.services.campaigns import (
    campaign_cancel,
    campaign_create,
    campaign_pause,
    campaign_resume,
    campaign_schedule,
)
from config.api.idempotency import idempotent
from config.api.schema import ErrorResponse, rule_refusals
from config.api.views import ApiGenericView
from config.domain import DomainError
from config.languages import NAME_LANGUAGES
from loyalty.definition import CODE_MAX_LENGTH

CONTENT_SCHEMA = {
    "type": "object",
    "description": "The message per language (`en`, `es`, `fr`): `subject` (email) and `body`, "
    "plain text with merge fields: "
    + ", ".join(f"`{{{{ {name} }}}}`" for name in MERGE_FIELDS)
    + " (`voucher_code` only with a reward offer). The HTML of an email is made from the body.",
    "properties": {
        language: {
            "type": "object",
            "properties": {"subject": {"type": "string"}, "body": {"type": "string"}},
            "additionalProperties": False,
        }
        for language in NAME_LANGUAGES
    },
    "additionalProperties": False,
}

OFFER_SCHEMA = {
    "description": 'At most one: `{"reward": code}` (a voucher, no points spent) or '
    '`{"points": n}` (a bonus), once per member, when the message is sent.',
    "oneOf": [
        {
            "type": "object",
            "properties": {"reward": {"type": "string"}},
            "required": ["reward"],
            "additionalProperties": False,
        },
        {
            "type": "object",
            "properties": {"points": {"type": "integer", "minimum": 1}},
            "required": ["points"],
            "additionalProperties": False,
        },
    ],
    "nullable": True,
}


@extend_schema_field(CONTENT_SCHEMA)
class ContentField(serializers.JSONField):
    pass


@extend_schema_field(OFFER_SCHEMA)
class OfferField(serializers.JSONField):
    pass


class CampaignInput(serializers.Serializer):
    code = serializers.CharField(max_length=CODE_MAX_LENGTH, trim_whitespace=False)
    name = serializers.CharField(max_length=200, help_text="Plain text, for staff.")
    channel = serializers.ChoiceField(choices=CampaignChannel.choices, default="email")
    segment = serializers.CharField(max_length=CODE_MAX_LENGTH, help_text="A segment's code.")
    content = ContentField()
    holdout_percent = serializers.IntegerField(
        min_value=0, max_value=HOLDOUT_MAX_PERCENT, default=0
    )
    offer = OfferField(required=False, allow_null=True)


class ScheduleInput(serializers.Serializer):
    send_at = serializers.DateTimeField(
        required=False, allow_null=True, help_text="When sending starts; null or absent: now."
    )
    local_time = serializers.TimeField(
        required=False,
        allow_null=True,
        format="%H:%M",
        input_formats=["%H:%M"],
        help_text="`HH:MM`: each member gets it at this time on their own clock, at or after "
        "`send_at`.",
    )


class CountsOutput(serializers.Serializer):
    queued = serializers.IntegerField()
    holdout = serializers.IntegerField()
    skipped = serializers.IntegerField()
    sent = serializers.IntegerField()
    failed = serializers.IntegerField()
    unknown = serializers.IntegerField()
    opened = serializers.IntegerField()
    clicked = serializers.IntegerField()


class CampaignOutput(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()
    channel = serializers.ChoiceField(choices=CampaignChannel.choices)
    state = serializers.ChoiceField(choices=CampaignState.choices)
    segment = serializers.CharField(allow_null=True)
    content = ContentField()
    holdout_percent = serializers.IntegerField()
    offer = OfferField(allow_null=True)
    send_at = serializers.DateTimeField(allow_null=True)
    local_time = serializers.CharField(allow_null=True, help_text="`HH:MM` or null.")
    started_at = serializers.DateTimeField(allow_null=True)
    finished_at = serializers.DateTimeField(allow_null=True)
    counts = CountsOutput()

    def to_representation(self, campaign: Campaign) -> dict:
        stamp = serializers.DateTimeField().to_representation
        offer = None
        if campaign.offer_reward_id is not None:
            offer = {"reward": campaign.offer_reward.code}
        elif campaign.offer_points is not None:
            offer = {"points": campaign.offer_points}
        return {
            "code": campaign.code,
            "name": campaign.name,
            "channel": campaign.channel,
            "state": campaign.state,
            "segment": campaign.segment.code if campaign.segment_id else None,
            "content": campaign.content,
            "holdout_percent": campaign.holdout_percent,
            "offer": offer,
            "send_at": stamp(campaign.send_at) if campaign.send_at else None,
            "local_time": campaign.local_time.strftime("%H:%M") if campaign.local_time else None,
            "started_at": stamp(campaign.started_at) if campaign.started_at else None,
            "finished_at": stamp(campaign.finished_at) if campaign.finished_at else None,
            "counts": campaign_delivery_counts(campaign=campaign),
        }


class DeliveryOutput(serializers.Serializer):
    member_number = serializers.CharField()
    status = serializers.ChoiceField(choices=DeliveryStatus.choices)
    reason = serializers.CharField(help_text="Why it was skipped (empty otherwise).")
    sent_at = serializers.DateTimeField(allow_null=True)

    def to_representation(self, delivery) -> dict:
        stamp = serializers.DateTimeField().to_representation
        return {
            "member_number": delivery.member.member_number,
            "status": delivery.status,
            "reason": delivery.reason,
            "sent_at": stamp(delivery.sent_at) if delivery.sent_at else None,
        }


class CampaignNotFound(DomainError):
    code = "campaign_not_found"
    status = 404
    template = _("No campaign has this code.")


def campaign_or_404(code: str) -> Campaign:
    campaign = Campaign.objects.select_related("segment", "offer_reward").filter(code=code).first()
    if campaign is None:
        raise CampaignNotFound()
    return campaign


def _answer(campaign: Campaign, *, status_code=status.HTTP_200_OK) -> Response:
    fresh = campaign_or_404(campaign.code)
    return Response(CampaignOutput(fresh).data, status=status_code)


class CampaignListView(ApiGenericView):
    required_scopes = {"POST": ["campaigns:write"]}
    serializer_class = CampaignInput  # what OPTIONS describes

    @extend_schema(
        operation_id="campaigns_create",
        request=CampaignInput,
        responses={
            201: CampaignOutput,
            400: rule_refusals("campaign_invalid"),
            409: OpenApiResponse(
                ErrorResponse, description="`campaign_exists`: the code is taken."
            ),
        },
        description="Save a draft. An unknown merge field, segment or reward is refused with "
        "`campaign_invalid` and `errors` at its path (`content.es.body`, `segment`, "
        "`offer.reward`).",
    )
    @idempotent
    def post(self, request):
        data = CampaignInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        campaign = campaign_create(
            code=values["code"],
            name=values["name"],
            channel=values["channel"],
            segment=values["segment"],
            content=values["content"],
            holdout_percent=values["holdout_percent"],
            offer=values.get("offer"),
            actor=None,
        )
        return _answer(campaign, status_code=status.HTTP_201_CREATED)


class CampaignDetailView(ApiGenericView):
    required_scopes = ["campaigns:read"]
    serializer_class = CampaignOutput

    @extend_schema(operation_id="campaigns_retrieve", responses=CampaignOutput)
    def get(self, request, code: str):
        return _answer(campaign_or_404(code))


class CampaignScheduleView(ApiGenericView):
    required_scopes = ["campaigns:write"]
    serializer_class = ScheduleInput

    @extend_schema(
        operation_id="campaigns_schedule",
        request=ScheduleInput,
        responses={
            200: CampaignOutput,
            409: OpenApiResponse(
                ErrorResponse, description="`campaign_not_draft`: only a draft is scheduled."
            ),
        },
    )
    @idempotent
    def post(self, request, code: str):
        campaign = campaign_or_404(code)
        data = ScheduleInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        send_at: datetime.datetime | None = values.get("send_at")
        campaign = campaign_schedule(
            campaign=campaign, send_at=send_at, local_time=values.get("local_time")
        )
        return _answer(campaign)


def _state_view(action, operation: str):
    class StateView(ApiGenericView):
        required_scopes = ["campaigns:write"]
        serializer_class = CampaignOutput

        @extend_schema(
            operation_id=operation,
            request=None,
            responses={
                200: CampaignOutput,
                409: OpenApiResponse(
                    ErrorResponse, description="`campaign_state`: not allowed in this state."
                ),
            },
        )
        @idempotent
        def post(self, request, code: str):
            return _answer(action(campaign=campaign_or_404(code)))

    StateView.__name__ = f"Campaign{operation.split('_')[1].capitalize()}View"
    return StateView


CampaignPauseView = _state_view(campaign_pause, "campaigns_pause")
CampaignResumeView = _state_view(campaign_resume, "campaigns_resume")
CampaignCancelView = _state_view(campaign_cancel, "campaigns_cancel")


class CampaignDeliveriesView(ApiGenericView):
    required_scopes = ["campaigns:read"]
    serializer_class = DeliveryOutput

    @extend_schema(
        operation_id="campaigns_deliveries",
        parameters=[
            OpenApiParameter(
                "status",
                str,
                enum=list(DeliveryStatus.values),
                required=False,
                description="Only the rows in this status.",
            )
        ],
        responses=DeliveryOutput(many=True),
        description="The campaign's delivery log: the latest handed over first, then what is "
        "still to go, in the order it was queued.",
    )
    def get(self, request, code: str):
        campaign = campaign_or_404(code)
        wanted = request.query_params.get("status") or None
        if wanted is not None and wanted not in DeliveryStatus.values:
            message = _("Give one of: %(statuses)s.") % {
                "statuses": ", ".join(DeliveryStatus.values)
            }
            raise serializers.ValidationError({"status": [message]})
        rows = delivery_list_for_campaign(campaign=campaign, status=wanted)
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(DeliveryOutput(page, many=True).data)
