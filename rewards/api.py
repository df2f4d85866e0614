"""The rewards endpoints of API.md: the catalog, redemptions, cancellation and vouchers at the till.

Domain errors (rewards.errors) declare their own code and status (config.domain); a refusal of a
member's redemption is worded in the member's language, since the till shows it to them.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response

from config.api.idempotency import idempotent
from config.api.schema import ErrorResponse
from config.api.views import ApiGenericView, ApiView
from config.domain import worded_in
from loyalty.api.members import member_or_404
from rewards import services
from rewards.errors import RedemptionNotFound, RewardNotFound, VoucherNotFound
from rewards.models import Redemption, Reward, RewardKind, Voucher, VoucherStatus
from rewards.selectors import (
    redemption_get,
    reward_catalog,
    reward_get,
    reward_list_for_member,
    voucher_get,
)


def _qr_url(request, voucher: Voucher) -> str:
    return request.build_absolute_uri(reverse("voucher-qr", kwargs={"code": voucher.code}))


# --- Serializers ------------------------------------------------------------------------------


class RewardOutput(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField(help_text="In the member's language when one is given, else en.")
    kind = serializers.ChoiceField(choices=RewardKind.choices)
    points_cost = serializers.IntegerField()
    stock_left = serializers.IntegerField(allow_null=True, help_text="null: unlimited.")
    available_until = serializers.DateField(allow_null=True)
    min_tier = serializers.CharField(allow_null=True)

    def to_representation(self, reward: Reward) -> dict:
        language = self.context.get("language", "en")
        return super().to_representation(
            {
                "code": reward.code,
                "name": reward.localized_name(language),
                "kind": reward.kind,
                "points_cost": reward.points_cost,
                "stock_left": reward.stock,
                "available_until": reward.available_until,
                "min_tier": reward.min_tier or None,
            }
        )


class GrantOutput(serializers.Serializer):
    """What the voucher is worth at the till, as it was when redeemed."""

    reward = serializers.CharField(help_text="The reward's code.")
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=RewardKind.choices)
    percent = serializers.IntegerField(allow_null=True)
    amount = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)
    currency = serializers.CharField(allow_null=True)
    sku = serializers.CharField(allow_null=True)


class VoucherBriefOutput(serializers.Serializer):
    code = serializers.CharField()
    expires_at = serializers.DateTimeField()
    qr_url = serializers.URLField()


class VoucherOutput(VoucherBriefOutput):
    status = serializers.ChoiceField(choices=VoucherStatus.choices)
    issued_at = serializers.DateTimeField()
    consumed_at = serializers.DateTimeField(allow_null=True)
    order_ref = serializers.CharField(allow_blank=True)
    member_number = serializers.CharField()
    grants = GrantOutput()


class RedemptionInput(serializers.Serializer):
    member_number = serializers.CharField(max_length=13)
    reward = serializers.CharField(max_length=50, help_text="The reward's code.")


class RedemptionOutput(serializers.Serializer):
    id = serializers.UUIDField()
    points_spent = serializers.IntegerField()
    voucher = VoucherBriefOutput()


class CancelOutput(serializers.Serializer):
    id = serializers.UUIDField()
    points_returned = serializers.IntegerField()
    cancelled_at = serializers.DateTimeField()
    voucher = VoucherOutput()


class ConsumeInput(serializers.Serializer):
    order_ref = serializers.CharField(max_length=100)


def voucher_body(request, voucher: Voucher) -> dict:
    redemption: Redemption = voucher.redemption
    member = redemption.member
    return {
        "code": voucher.code,
        "expires_at": voucher.expires_at,
        "qr_url": _qr_url(request, voucher),
        "status": voucher.status_at(timezone.now()),
        "issued_at": voucher.issued_at,
        "consumed_at": voucher.consumed_at,
        "order_ref": voucher.order_ref,
        "member_number": member.member_number,
        "grants": {
            "reward": redemption.reward_code,
            "name": redemption.localized_name(member.language),
            "kind": redemption.kind,
            "percent": redemption.percent,
            "amount": redemption.amount,
            "currency": redemption.currency or None,
            "sku": redemption.sku or None,
        },
    }


_REFUSALS = OpenApiResponse(
    ErrorResponse,
    description="Refused: `insufficient_points`, `out_of_stock`, `limit_reached`, "
    "`tier_required`, `not_available` or `member_blocked` (detail in the member's language).",
)
_NOT_FOUND = OpenApiResponse(ErrorResponse, description="`member_not_found` or `reward_not_found`.")
_NOT_USABLE = OpenApiResponse(
    ErrorResponse,
    description="`voucher_not_usable`: consumed, expired or cancelled (in detail); "
    "`member_blocked` when consuming a voucher of a blocked member.",
)


# --- Views --------------------------------------------------------------------------------------


class RewardListView(ApiGenericView):
    required_scopes = ["program:read"]
    serializer_class = RewardOutput

    @extend_schema(
        operation_id="rewards_list",
        parameters=[
            OpenApiParameter(
                "member_number",
                str,
                description="Only what this member may redeem now, named in their language.",
            )
        ],
        responses=RewardOutput(many=True),
    )
    def get(self, request):
        member_number = request.query_params.get("member_number", "").strip()
        if member_number:
            member = member_or_404(member_number)
            rewards = reward_list_for_member(member=member)
            context = {"language": member.language}
        else:
            rewards = reward_catalog()
            context = {"language": "en"}
        page = self.paginate_queryset(rewards)
        return self.get_paginated_response(RewardOutput(page, many=True, context=context).data)


class RedemptionCreateView(ApiView):
    required_scopes = ["rewards:redeem"]

    @extend_schema(
        operation_id="redemptions_create",
        request=RedemptionInput,
        responses={201: RedemptionOutput, 404: _NOT_FOUND, 409: _REFUSALS},
        description="Spend the member's points on a reward and issue a voucher.",
    )
    @idempotent
    def post(self, request):
        data = RedemptionInput(data=request.data)
        data.is_valid(raise_exception=True)
        member = member_or_404(data.validated_data["member_number"])
        reward = reward_get(code=data.validated_data["reward"])
        with worded_in(member.language):
            if reward is None:
                raise RewardNotFound()
            redemption = services.reward_redeem(member=member, reward=reward)
        voucher = redemption.voucher
        body = {
            "id": redemption.public_id,
            "points_spent": redemption.points_spent,
            "voucher": {
                "code": voucher.code,
                "expires_at": voucher.expires_at,
                "qr_url": _qr_url(request, voucher),
            },
        }
        return Response(RedemptionOutput(body).data, status=status.HTTP_201_CREATED)


class RedemptionCancelView(ApiView):
    required_scopes = ["rewards:redeem"]

    @extend_schema(
        operation_id="redemptions_cancel",
        request=None,
        responses={200: CancelOutput, 409: _NOT_USABLE},
        description="Cancel a redemption whose voucher is unused: the points come back with "
        "their original expiry, and the stock comes back.",
    )
    @idempotent
    def post(self, request, redemption_id: str):
        redemption = redemption_get(public_id=redemption_id)
        if redemption is None:
            raise RedemptionNotFound()
        with worded_in(redemption.member.language):
            redemption = services.redemption_cancel(redemption=redemption)
        voucher = Voucher.objects.select_related("redemption__member").get(redemption=redemption)
        body = {
            "id": redemption.public_id,
            "points_returned": redemption.points_spent,
            "cancelled_at": redemption.cancelled_at,
            "voucher": voucher_body(request, voucher),
        }
        return Response(CancelOutput(body).data)


def _voucher_or_404(code: str) -> Voucher:
    voucher = voucher_get(code=code)
    if voucher is None:
        raise VoucherNotFound()
    return voucher


class VoucherDetailView(ApiView):
    required_scopes = ["vouchers:consume"]

    @extend_schema(
        operation_id="vouchers_retrieve",
        responses=VoucherOutput,
        description="Validate a voucher at the till: its status and what it grants. The code "
        "may be typed in any case, with or without dashes.",
    )
    def get(self, request, code: str):
        return Response(VoucherOutput(voucher_body(request, _voucher_or_404(code))).data)


class VoucherConsumeView(ApiView):
    required_scopes = ["vouchers:consume"]

    @extend_schema(
        operation_id="vouchers_consume",
        request=ConsumeInput,
        responses={200: VoucherOutput, 409: _NOT_USABLE},
        description="Use the voucher for an order. Works once; then 409 `voucher_not_usable`.",
    )
    @idempotent
    def post(self, request, code: str):
        data = ConsumeInput(data=request.data)
        data.is_valid(raise_exception=True)
        voucher = services.voucher_consume(code=code, order_ref=data.validated_data["order_ref"])
        return Response(VoucherOutput(voucher_body(request, voucher)).data)
