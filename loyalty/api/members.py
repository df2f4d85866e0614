"""Members over the API (API.md, Members): enrol, look up, one member with their points, their
transactions."""

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from config.api.idempotency import idempotent
from config.api.schema import ErrorResponse, rule_refusals
from config.api.views import ApiGenericView
from config.languages import localized
from loyalty.selectors.ledger import (
    account_for_member,
    expiring_soon,
    next_tier_for,
    transactions_for_member,
)
from loyalty.selectors.members import member_time_zone
from loyalty.selectors.program import program_definition_current
from loyalty.services.enrolment import member_join
from loyalty.services.ledger import MemberNotFound
from members import services
from members.birthdays import BirthDateInvalid, Birthday, birth_date_parse, birth_date_pattern
from members.models import ConsentSource, Language, Member, MemberStatus
from members.selectors import member_for_write, member_get, member_list
from members.time_zones import TIME_ZONE_MAX_LENGTH, UnknownTimeZone


class BirthDateField(serializers.CharField):
    """`YYYY-MM-DD`, or `--MM-DD` when the member keeps the year to themselves."""

    default_error_messages = {
        "format": _("Use YYYY-MM-DD or --MM-DD."),
        "date": _("This is not a date."),
        "year": _("The year is out of range."),
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("trim_whitespace", False)  # " 1990-05-17" is not a date either
        super().__init__(**kwargs)

    def to_internal_value(self, data) -> Birthday:
        text = super().to_internal_value(data)
        try:
            return birth_date_parse(text, today=timezone.localdate())
        except BirthDateInvalid as error:
            self.fail(error.reason)


class BirthDateFieldSchema(OpenApiSerializerFieldExtension):
    target_class = BirthDateField

    def map_serializer_field(self, auto_schema, direction):
        return {
            "type": "string",
            "pattern": birth_date_pattern(timezone.localdate().year),
            "example": "1990-05-17",
            "description": "`YYYY-MM-DD` (a real date, year 1900 to this year), or `--MM-DD` "
            "when the member keeps the year to themselves.",
        }


class MemberEnrolInput(serializers.Serializer):
    email = serializers.EmailField()
    first_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=32, required=False, allow_blank=True)
    birth_date = BirthDateField(required=False)
    language = serializers.ChoiceField(choices=Language.choices, required=False)
    marketing_opt_in = serializers.BooleanField(required=False, default=False)
    referral_code = serializers.CharField(max_length=16, required=False, allow_blank=True)
    time_zone = serializers.CharField(
        max_length=TIME_ZONE_MAX_LENGTH,
        required=False,
        allow_blank=True,
        help_text="An IANA name, such as `Europe/Madrid` (any letter case); empty or absent: "
        "the program's, which the member then follows if the program's changes. An unknown "
        "name is refused with `time_zone_unknown`.",
    )


class TierOutput(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class NextTierOutput(TierOutput):
    remaining = serializers.DecimalField(max_digits=14, decimal_places=2)


class ExpiringOutput(serializers.Serializer):
    points = serializers.IntegerField()
    on = serializers.DateField()


class PointsOutput(serializers.Serializer):
    available = serializers.IntegerField()
    pending = serializers.IntegerField()
    lifetime = serializers.IntegerField()
    expiring_soon = ExpiringOutput(many=True)


class ConsentsOutput(serializers.Serializer):
    email = serializers.BooleanField(help_text="Marketing by email.")
    sms = serializers.BooleanField(help_text="Marketing by SMS.")
    push = serializers.BooleanField(help_text="Marketing by push notification.")
    program_notices = serializers.BooleanField(
        help_text="Program notices (welcome, tier change, points or a voucher expiring...)."
    )


class MemberOutput(serializers.Serializer):
    member_number = serializers.CharField()
    email = serializers.EmailField()
    first_name = serializers.CharField()
    last_name = serializers.CharField()
    language = serializers.CharField()
    joined_at = serializers.DateTimeField()
    referral_code = serializers.CharField()
    tier = TierOutput(allow_null=True)
    next_tier = NextTierOutput(allow_null=True)
    points = PointsOutput()
    consents = ConsentsOutput()
    time_zone = serializers.CharField(
        help_text="The IANA name the member's local times are read in: theirs, or the "
        "program's when they chose none."
    )
    status = serializers.ChoiceField(
        choices=MemberStatus.choices,
        help_text="blocked: the member earns nothing, redeems nothing and no voucher of theirs "
        "is consumed (409 member_blocked) until staff unblock them.",
    )

    def to_representation(self, member: Member) -> dict:
        account = account_for_member(member=member)
        program = self.context.get("program")
        levels = {level.code: level for level in program.tiers} if program else {}
        level = levels.get(account.tier_code)
        upcoming = next_tier_for(member=member)
        return super().to_representation(
            {
                "member_number": member.member_number,
                "email": member.user.email,
                "first_name": member.user.first_name,
                "last_name": member.user.last_name,
                "language": member.language,
                "joined_at": member.joined_at,
                "referral_code": member.referral_code,
                "tier": level
                and {"code": level.code, "name": _localized(level.name, member.language)},
                "next_tier": upcoming
                and {
                    "code": upcoming.code,
                    "name": upcoming.localized_name(member.language),
                    "remaining": upcoming.remaining,
                },
                "points": {
                    "available": account.available,
                    "pending": account.pending,
                    "lifetime": account.lifetime,
                    "expiring_soon": expiring_soon(member=member),
                },
                "consents": {
                    "email": member.marketing_email_opt_in,
                    "sms": member.marketing_sms_opt_in,
                    "push": member.marketing_push_opt_in,
                    "program_notices": member.program_notices,
                },
                "time_zone": member_time_zone(member=member, program=program).key,
                "status": member.status,
            }
        )


def _localized(names: dict[str, str], language: str) -> str:
    return localized(names, language)


class EntryOutput(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    points = serializers.IntegerField()
    occurred_at = serializers.DateTimeField(
        help_text="When what the entry records happened (a purchase's purchased_at)."
    )
    created_at = serializers.DateTimeField(help_text="When the entry was written.")
    reason = serializers.CharField()
    breakdown = serializers.JSONField()
    source = serializers.JSONField(allow_null=True)


def member_or_404(member_number: str, *, with_balances: bool = True) -> Member:
    """The member with this number, or the API's 404 `member_not_found`. Endpoints that only
    write for the member (a purchase) skip loading the user and balances."""
    lookup = member_get if with_balances else member_for_write
    member = lookup(member_number=member_number)
    if member is None:
        raise MemberNotFound()
    return member


class MemberApiView(ApiGenericView):
    def get_serializer_context(self):
        return {**super().get_serializer_context(), "program": program_definition_current()}


class MemberListView(MemberApiView):
    required_scopes = {"GET": ["members:read"], "POST": ["members:write"]}
    serializer_class = MemberOutput

    @extend_schema(
        operation_id="members_list",
        parameters=[
            OpenApiParameter("email", str, description="Exact email, case-insensitive"),
            OpenApiParameter("phone", str),
            OpenApiParameter("member_number", str),
        ],
        responses=MemberOutput(many=True),
    )
    def get(self, request):
        members = member_list(
            email=request.query_params.get("email", ""),
            phone=request.query_params.get("phone", ""),
            member_number=request.query_params.get("member_number", ""),
        )
        page = self.paginate_queryset(members)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(
        operation_id="members_enrol",
        request=MemberEnrolInput,
        responses={
            201: MemberOutput,
            400: rule_refusals(services.UnknownReferralCode.code, UnknownTimeZone.code),
            409: OpenApiResponse(
                ErrorResponse, description="`member_exists`, or `idempotency_conflict`."
            ),
        },
    )
    @idempotent
    def post(self, request):
        data = MemberEnrolInput(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        member = member_join(
            email=fields["email"],
            first_name=fields.get("first_name", ""),
            last_name=fields.get("last_name", ""),
            phone=fields.get("phone", ""),
            birthday=fields.get("birth_date"),
            language=fields.get("language", "en"),
            marketing_email_opt_in=fields["marketing_opt_in"],
            referral_code=fields.get("referral_code", ""),
            time_zone=fields.get("time_zone", ""),
            consent_source=ConsentSource.API,
        )
        return Response(self.get_serializer(member).data, status=status.HTTP_201_CREATED)


class MemberDetailView(MemberApiView):
    required_scopes = ["members:read"]
    serializer_class = MemberOutput

    @extend_schema(operation_id="members_retrieve", responses=MemberOutput)
    def get(self, request, member_number: str):
        member = member_or_404(member_number)
        return Response(self.get_serializer(member).data)


class MemberTransactionsView(MemberApiView):
    required_scopes = ["members:read"]
    serializer_class = EntryOutput

    @extend_schema(operation_id="members_transactions", responses=EntryOutput(many=True))
    def get(self, request, member_number: str):
        member = member_or_404(member_number)
        page = self.paginate_queryset(transactions_for_member(member=member))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)
