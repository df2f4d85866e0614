"""The segment endpoints of API.md (Segments and campaigns): list and create, one segment with
its live count, its members with their RFM group. The rules are validated by the service
(campaigns.services.segments), which names each problem at its path (`rules.2.op`); the
serializers only shape the JSON. As for campaigns (campaigns.api.campaigns), what an API key
does is not a staff action and is not recorded as one."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.response import Response

from campaigns import segment_rules as vocabulary
from campaigns.models import Segment, SegmentMatch
from campaigns.segment_query import Moment
from campaigns.selectors.segments import (
    rfm_groups_of,
    segment_count,
    segment_get,
    segment_list,
    segment_members,
)
from campaigns.services.segments import segment_create
from config.api.idempotency import idempotent
from config.api.schema import ErrorResponse, rule_refusals
from config.api.views import ApiGenericView
from config.domain import DomainError
from config.languages import NAME_LANGUAGES, localized
from loyalty.definition import CODE_MAX_LENGTH, TEXT_MAX_LENGTH
from loyalty.selectors.program import program_in_force

RULE_SCHEMA = {
    "type": "object",
    "description": "One rule (CAMPAIGNS.md, Segments): the field, the operator and the value; "
    "`value` is a list for `in`, `not_in` and `between` ([low, high]). `window_days` only "
    "for "
    + ", ".join(f"`{name}`" for name, f in vocabulary.FIELDS.items() if f.takes_window)
    + ".",
    "properties": {
        "field": {"type": "string", "enum": list(vocabulary.FIELDS)},
        "op": {"type": "string", "enum": list(vocabulary.OPERATORS)},
        "value": {
            "description": 'An integer, a money string ("25.00"), a code, or a list of them.'
        },
        "window_days": {"type": "integer", "minimum": 1, "maximum": vocabulary.MAX_DAYS},
    },
    "required": ["field", "op", "value"],
    "additionalProperties": False,
}

NAMES_SCHEMA = {
    "type": "object",
    "description": "The name per language; `en` is required.",
    "properties": {
        language: {"type": "string", "maxLength": TEXT_MAX_LENGTH} for language in NAME_LANGUAGES
    },
    "additionalProperties": False,
}


@extend_schema_field({"type": "array", "items": RULE_SCHEMA, "maxItems": vocabulary.MAX_RULES})
class RulesField(serializers.JSONField):
    pass


@extend_schema_field(NAMES_SCHEMA)
class NamesField(serializers.JSONField):
    pass


class SegmentInput(serializers.Serializer):
    code = serializers.CharField(
        max_length=CODE_MAX_LENGTH,
        trim_whitespace=False,
        help_text="Lowercase letters, digits, dashes and underscores, e.g. `lapsed-silver`.",
    )
    name = NamesField()
    match = serializers.ChoiceField(choices=SegmentMatch.choices)
    rules = RulesField()


class SegmentOutput(serializers.Serializer):
    code = serializers.CharField()
    name = NamesField()
    match = serializers.ChoiceField(choices=SegmentMatch.choices)
    rules = RulesField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()

    def to_representation(self, segment: Segment) -> dict:
        return {
            "code": segment.code,
            "name": segment.names,
            "match": segment.match,
            "rules": segment.rules,
            "created_at": serializers.DateTimeField().to_representation(segment.created_at),
            "updated_at": serializers.DateTimeField().to_representation(segment.updated_at),
        }


class SegmentCountedOutput(SegmentOutput):
    count = serializers.IntegerField(help_text="Members in the segment now (live).")

    def to_representation(self, segment: Segment) -> dict:
        return {**super().to_representation(segment), "count": self.context["count"]}


class SegmentMemberTier(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class SegmentMemberPoints(serializers.Serializer):
    available = serializers.IntegerField()
    lifetime = serializers.IntegerField()


class SegmentMemberOutput(serializers.Serializer):
    member_number = serializers.CharField()
    email = serializers.EmailField()
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    language = serializers.CharField()
    tier = SegmentMemberTier(allow_null=True)
    points = SegmentMemberPoints()
    rfm_group = serializers.ChoiceField(choices=[(g, g) for g in vocabulary.RFM_GROUPS])


class SegmentNotFound(DomainError):
    code = "segment_not_found"
    status = 404
    template = _("No segment has this code.")


def _segment_or_404(code: str) -> Segment:
    segment = segment_get(code=code)
    if segment is None:
        raise SegmentNotFound()
    return segment


_CREATE_REFUSED = OpenApiResponse(ErrorResponse, description="`segment_exists`: the code is taken.")


class SegmentListView(ApiGenericView):
    required_scopes = {"GET": ["segments:read"], "POST": ["campaigns:write"]}
    serializer_class = SegmentOutput

    @extend_schema(
        operation_id="segments_list",
        responses=SegmentOutput(many=True),
        description="Every saved segment, by code (counts: one segment at a time).",
    )
    def get(self, request):
        page = self.paginate_queryset(segment_list())
        return self.get_paginated_response(SegmentOutput(page, many=True).data)

    @extend_schema(
        operation_id="segments_create",
        request=SegmentInput,
        responses={
            201: SegmentCountedOutput,
            400: rule_refusals("segment_invalid"),
            409: _CREATE_REFUSED,
        },
        description="Save a segment. An unknown field, operator or value is refused with "
        "`segment_invalid` and `errors` at the rule's path (`rules.2.op`).",
    )
    @idempotent
    def post(self, request):
        data = SegmentInput(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        segment = segment_create(
            code=values["code"], names=values["name"], match=values["match"], rules=values["rules"]
        )
        body = SegmentCountedOutput(segment, context={"count": segment_count(segment=segment)})
        return Response(body.data, status=status.HTTP_201_CREATED)


class SegmentDetailView(ApiGenericView):
    required_scopes = ["segments:read"]

    @extend_schema(operation_id="segments_retrieve", responses=SegmentCountedOutput)
    def get(self, request, code: str):
        segment = _segment_or_404(code)
        body = SegmentCountedOutput(segment, context={"count": segment_count(segment=segment)})
        return Response(body.data)


class SegmentMembersView(ApiGenericView):
    required_scopes = ["segments:read"]
    serializer_class = SegmentMemberOutput

    @extend_schema(
        operation_id="segments_members",
        responses=SegmentMemberOutput(many=True),
        description="The segment's members now, in order of enrolment, each with their "
        "RFM group (`inactive`: no counted purchase in the last 365 days).",
    )
    def get(self, request, code: str):
        segment = _segment_or_404(code)
        moment = Moment.at()
        page = self.paginate_queryset(segment_members(segment=segment, moment=moment))
        groups = rfm_groups_of(members=page, moment=moment)
        program = program_in_force(at=moment.now)
        tiers = {tier.code: tier for tier in program.tiers} if program else {}
        rows = []
        for member in page:
            account = getattr(member, "loyalty_account", None)
            # No account row yet: no points, the lowest tier (account_for_member).
            tier = tiers.get(account.tier_code if account else moment.lowest_tier)
            rows.append(
                {
                    "member_number": member.member_number,
                    "email": member.user.email,
                    "first_name": member.user.first_name,
                    "last_name": member.user.last_name,
                    "language": member.language,
                    "tier": tier
                    and {"code": tier.code, "name": localized(tier.name, "en", tier.code)},
                    "points": {
                        "available": account.available if account else 0,
                        "lifetime": account.lifetime if account else 0,
                    },
                    "rfm_group": groups[member.pk],
                }
            )
        return self.get_paginated_response(SegmentMemberOutput(rows, many=True).data)
