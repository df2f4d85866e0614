"""The automation endpoints of API.md (Automations): every automation with its settings, one
automation, and a change to any of them (on or off, the content per message and language, the
reward, the delay). The same service as the marketer's pages decides
(campaigns.services.automations.automation_update): the serializers only shape the JSON, and
every rule (the messages an automation sends, merge fields, reward, delay) is the service's, so
a refusal is one `automation_invalid` with `errors` at each path (`content.referee.es.body`).

Input fields are taken as JSON and checked by the service rather than coerced by DRF: `"yes"`
is not a boolean and `"3"` is not a number of days, for the API as for the schema. As for
campaigns (campaigns.api.campaigns), what an API key changes is not a staff action; the
automation's `updated_by` is left empty.
"""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers
from rest_framework.response import Response

from campaigns.api.campaigns import OfferField
from campaigns.models import AUTOMATIONS, Automation
from campaigns.selectors.automations import automation_fields, automation_get, automations_all
from campaigns.services.automations import DELAY_DAYS_MAX, automation_update
from config.api.idempotency import idempotent
from config.api.schema import ErrorResponse, rule_refusals
from config.api.views import ApiGenericView
from config.languages import NAME_LANGUAGES

_TEXTS_SCHEMA = {
    "type": "object",
    "description": "The message per language (`en`, `es`, `fr`): `subject` and `body`, plain "
    "text with the automation's `merge_fields`. A language left out sends the shipped text.",
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

CONTENT_SCHEMA = {
    "type": "object",
    "description": "The content per message (`main`; the referral's `referrer` and `referee`; "
    "the tier change's `upgrade` and `downgrade`: see `messages`; another is refused with "
    "`automation_invalid` at `content.<message>`), then per language. A message left out "
    "sends the shipped texts; `{}` sends them all.",
    "additionalProperties": _TEXTS_SCHEMA,
}


@extend_schema_field(CONTENT_SCHEMA)
class AutomationContentField(serializers.JSONField):
    pass


@extend_schema_field({"type": "string", "enum": list(AUTOMATIONS)})
class AutomationCodeField(serializers.CharField):
    """The code, inline in the schema (a ChoiceField would make a `CodeEnum` component, a name
    any other `code` could claim)."""


@extend_schema_field({"type": "boolean"})
class StrictBooleanField(serializers.JSONField):
    """A JSON boolean, checked by the service (DRF's BooleanField would take "yes" and 1)."""


@extend_schema_field(
    {
        "type": "integer",
        "minimum": 1,
        "maximum": DELAY_DAYS_MAX,
        "nullable": True,
        "description": "Days to wait (win-back: after the last purchase; survey: after a "
        "purchase); null: the automation's default. Only for an automation that waits.",
    }
)
class DelayDaysField(serializers.JSONField):
    pass


class AutomationInput(serializers.Serializer):
    enabled = StrictBooleanField(required=False)
    content = AutomationContentField(required=False)
    offer = OfferField(required=False, allow_null=True)
    delay_days = DelayDaysField(required=False, allow_null=True)


class AutomationOutput(serializers.Serializer):
    code = AutomationCodeField()
    enabled = serializers.BooleanField()
    content = AutomationContentField(help_text="What the marketer wrote; the rest is shipped.")
    offer = OfferField(allow_null=True)
    delay_days = serializers.IntegerField(
        allow_null=True,
        help_text="The delay in force (the default when none was set); null for an automation "
        "that does not wait.",
    )
    messages = serializers.ListField(
        child=serializers.CharField(), help_text="The messages it sends: the keys of `content`."
    )
    merge_fields = serializers.ListField(
        child=serializers.CharField(), help_text="The merge fields its content may use."
    )

    def to_representation(self, automation: Automation) -> dict:
        offer = None
        if automation.offer_reward_id is not None:
            offer = {"reward": automation.offer_reward.code}
        elif automation.offer_points is not None:
            offer = {"points": automation.offer_points}
        return {
            "code": automation.code,
            "enabled": automation.enabled,
            "content": automation.content,
            "offer": offer,
            "delay_days": automation.days,
            "messages": list(automation.spec.messages),
            "merge_fields": automation_fields(automation),
        }


class AutomationListView(ApiGenericView):
    required_scopes = ["campaigns:read"]
    serializer_class = AutomationOutput

    @extend_schema(operation_id="automations_list", responses=AutomationOutput(many=True))
    def get(self, request):
        """Every automation, in the order of CAMPAIGNS.md (Automations), with its settings in
        force (the shipped defaults until changed)."""
        page = self.paginate_queryset(automations_all())
        return self.get_paginated_response(AutomationOutput(page, many=True).data)


class AutomationDetailView(ApiGenericView):
    required_scopes = {
        "GET": ["campaigns:read"],
        "HEAD": ["campaigns:read"],
        "PATCH": ["campaigns:write"],
    }
    serializer_class = AutomationInput  # what OPTIONS describes

    @extend_schema(
        operation_id="automations_retrieve",
        responses={
            200: AutomationOutput,
            404: OpenApiResponse(ErrorResponse, description="`not_found`: no such automation."),
        },
    )
    def get(self, request, code: str):
        """One automation with its settings in force."""
        return Response(AutomationOutput(automation_get(code)).data)

    @extend_schema(
        operation_id="automations_update",
        request=AutomationInput,
        responses={
            200: AutomationOutput,
            400: rule_refusals("automation_invalid"),
            404: OpenApiResponse(ErrorResponse, description="`not_found`: no such automation."),
        },
    )
    @idempotent
    def patch(self, request, code: str):
        """Change what is given; the rest stays. A message the automation does not send, an
        unknown merge field, a reward or a delay it does not take is refused with
        `automation_invalid` and `errors` at its path (`content.referee.es.body`,
        `offer.points`, `delay_days`), and nothing changes."""
        data = AutomationInput(data=request.data)
        data.is_valid(raise_exception=True)
        automation, _changed = automation_update(code=code, actor=None, **data.validated_data)
        fresh = Automation.objects.select_related("offer_reward").get(pk=automation.pk)
        return Response(AutomationOutput(fresh).data)
