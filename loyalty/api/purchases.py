"""The loyalty endpoints of API.md: program, purchases, refunds, preview."""

import datetime
import functools
import re
from decimal import Decimal

from django.db import DatabaseError
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response

from config.api.exceptions import ApiError
from config.api.idempotency import idempotent
from config.api.schema import ErrorResponse, rule_refusals
from config.api.serializers import SharedSerializer
from config.api.views import ApiView
from loyalty.api.members import member_or_404
from loyalty.definition import (
    EXPIRY_POLICIES,
    MAX_CAP_DAYS,
    MAX_CAP_MESSAGES,
    NAME_LANGUAGES,
    ROUNDINGS,
)
from loyalty.models.ledger import CHANNELS, Channel
from loyalty.money import decimal_plain
from loyalty.program_file import program_to_data
from loyalty.selectors.ledger import purchase_get
from loyalty.selectors.program import program_version_latest
from loyalty.services.purchases import (
    MAX_ITEMS,
    purchase_preview,
    purchase_record,
    purchase_status,
    refund_record,
)


class ProgramNotConfiguredError(ApiError):
    status_code = status.HTTP_404_NOT_FOUND
    code = "program_not_configured"
    detail = "No program has been published yet."


_NO_PROGRAM = OpenApiResponse(ErrorResponse, description="`program_not_configured`.")
_NO_MEMBER = OpenApiResponse(ErrorResponse, description="`member_not_found`.")
_PURCHASE_RULES = rule_refusals(
    "currency_mismatch", "purchased_at_in_future", "amount_above_limit", "items_exceed_amount"
)
_CONFLICT = OpenApiResponse(
    ErrorResponse,
    description="`duplicate_external_id`, `program_not_configured`, `member_blocked` or "
    "`idempotency_conflict`.",
)


def _time_of_day() -> serializers.RegexField:
    return serializers.RegexField(
        r"^([01][0-9]|2[0-3]):[0-5][0-9]$", help_text="A time of day, `HH:MM`."
    )


class ProgramSettingsOutput(serializers.Serializer):
    """The file's `program:` section (PROGRAM.md); only the schema reads it."""

    name = serializers.CharField()
    currency = serializers.CharField()
    timezone = serializers.CharField(help_text="IANA name.")
    language = serializers.ChoiceField(
        choices=NAME_LANGUAGES, help_text="Members' default language and the texts' fallback."
    )
    point_value = serializers.CharField(help_text="A decimal number.")
    pending_days = serializers.IntegerField(min_value=0)
    rounding = serializers.ChoiceField(choices=ROUNDINGS)
    max_purchase_amount = serializers.CharField(
        required=False, help_text="A decimal number; absent when there is no limit."
    )
    expiry = inline_serializer(
        "ProgramExpiry",
        {
            "policy": serializers.ChoiceField(choices=EXPIRY_POLICIES),
            "months": serializers.IntegerField(min_value=1, required=False),
            "warn_days": serializers.IntegerField(min_value=0, required=False),
        },
    )
    communications = inline_serializer(
        "ProgramCommunications",
        {
            "quiet_hours": inline_serializer(
                "ProgramQuietHours",
                {"from": _time_of_day(), "to": _time_of_day()},
                help_text="On the member's clock; `from` equal to `to`: no quiet hours.",
            ),
            "frequency_cap": inline_serializer(
                "ProgramFrequencyCap",
                {
                    "messages": serializers.IntegerField(min_value=1, max_value=MAX_CAP_MESSAGES),
                    "days": serializers.IntegerField(min_value=1, max_value=MAX_CAP_DAYS),
                },
                help_text="At most `messages` marketing messages per member in `days` days.",
            ),
        },
    )


class ProgramOutput(serializers.Serializer):
    version = serializers.IntegerField(min_value=1)
    published_at = serializers.DateTimeField()
    program = ProgramSettingsOutput()
    categories = serializers.ListField(
        child=inline_serializer(
            "ProgramCategory",
            {
                "code": serializers.CharField(),
                "name": serializers.DictField(child=serializers.CharField()),
            },
        ),
        help_text="The names members read for category codes.",
    )
    tiers = serializers.DictField(child=serializers.JSONField(), help_text="As in the file.")
    rules = serializers.ListField(child=serializers.DictField(child=serializers.JSONField()))
    rewards = serializers.ListField(child=serializers.DictField(child=serializers.JSONField()))


class ProgramView(ApiView):
    """The live program (rules, tiers, expiry, communications, rewards) in the shape of the
    program file."""

    required_scopes = ["program:read"]

    @extend_schema(
        operation_id="program_retrieve", responses={200: ProgramOutput, 404: _NO_PROGRAM}
    )
    def get(self, request):
        version = program_version_latest()
        if version is None:
            raise ProgramNotConfiguredError()
        return Response(
            {
                "version": version.number,
                "published_at": version.created_at,
                # From the definition rather than the stored snapshot, so that a version written
                # before a setting existed shows it with its default, as the program applies it.
                **program_to_data(version.definition),
            }
        )


# --- Purchases and refunds ---------------------------------------------------------------------


class PlainDecimalField(serializers.DecimalField):
    """A decimal written plainly: a string of digits with an optional point ("54.90") or a
    JSON integer. DRF's own field also takes floats, whose text is lost, and "1e5", "NaN" and
    "Infinity"; a till that sends those is refused at the field."""

    default_error_messages = {
        "plain": _('Write it as a plain decimal number in a string, such as "54.90".'),
    }

    def to_internal_value(self, data):
        if type(data) is int:
            data = str(data)
        if type(data) is not str or decimal_plain(data) is None:
            self.fail("plain")
        return super().to_internal_value(data)


class PlainDecimalFieldSchema(OpenApiSerializerFieldExtension):
    """The exact values a PlainDecimalField takes, so the schema refuses what the API refuses:
    a string of at most `max_digits - decimal_places` significant whole digits and at most
    `decimal_places` after the point, or a JSON integer; above zero where the field's minimum
    is its smallest step."""

    target_class = PlainDecimalField

    def map_serializer_field(self, auto_schema, direction):
        field = self.target
        whole = field.max_digits - field.decimal_places
        quantum = Decimal(1).scaleb(-field.decimal_places)
        if field.min_value in (None, 0):
            above_zero, lowest = "", 0
        elif field.min_value == quantum:
            above_zero, lowest = r"(?!0*(?:\.0*)?$)", 1
        else:  # pragma: no cover - no field has another minimum
            raise ValueError(f"no pattern for a minimum of {field.min_value}")
        text = rf"^{above_zero}0*[0-9]{{1,{whole}}}(?:\.[0-9]{{1,{field.decimal_places}}})?$"
        return {
            "oneOf": [
                {"type": "string", "pattern": text, "example": "54.90"},
                {"type": "integer", "minimum": lowest, "maximum": 10**whole - 1},
            ],
            "description": 'A plain decimal number, as a string ("54.90") or an integer.',
        }


class ItemInput(serializers.Serializer):
    sku = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    category = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")
    quantity = PlainDecimalField(max_digits=12, decimal_places=3, min_value=Decimal("0.001"))
    unit_price = PlainDecimalField(max_digits=12, decimal_places=2, min_value=Decimal(0))


class AwareDateTimeField(serializers.DateTimeField):
    """ISO 8601 with an offset: a time without one is ambiguous for a shop in another zone."""

    def to_internal_value(self, value):
        parsed = _datetime_parsed(value)
        if parsed is not None and parsed.tzinfo is None:
            raise serializers.ValidationError(_("Give the time with its UTC offset."))
        return super().to_internal_value(value)


def _datetime_parsed(value) -> datetime.datetime | None:
    """`value` read as ISO 8601; None for anything else, a well-formed impossible time
    ("12:99") included, which parse_datetime raises on (DRF's own field then words the error)."""
    if not isinstance(value, str):
        return None
    try:
        return parse_datetime(value)
    except ValueError:
        return None


class ProgramCurrencyField(serializers.CharField):
    """An ISO 4217 code; the purchase path answers `currency_mismatch` unless it is the
    program's."""

    def __init__(self, **kwargs):
        super().__init__(min_length=3, max_length=3, **kwargs)


class ProgramCurrencyFieldSchema(OpenApiSerializerFieldExtension):
    """The schema names the program's currency, the one value a purchase may carry."""

    target_class = ProgramCurrencyField

    def map_serializer_field(self, auto_schema, direction):
        try:
            version = program_version_latest()
        except DatabaseError:
            # `manage.py check` generates the schema too, before any table may exist.
            version = None
        if version is None:
            return {"type": "string", "minLength": 3, "maxLength": 3}
        return {"type": "string", "enum": [version.definition.currency]}


class PurchaseInput(serializers.Serializer):
    external_id = serializers.CharField(max_length=100)
    member_number = serializers.CharField(max_length=13)
    amount = PlainDecimalField(
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0.01"),
        error_messages={"min_value": _("Must be greater than zero.")},
    )
    currency = ProgramCurrencyField()
    purchased_at = AwareDateTimeField()
    channel = serializers.ChoiceField(choices=Channel.choices)
    items = ItemInput(many=True, required=False, default=list, max_length=MAX_ITEMS)


# --- PurchaseInput without DRF's fields, for the plainly valid body a till sends ----------------
# DRF's field machinery (run_validation, validators, error collection for each of 11 fields) was
# the largest piece of the request's own Python in bench/earn.py after the SQL. This accepts only
# the plain shape (strings as sent, no padding, plain decimal numbers) and answers exactly what
# PurchaseInput would, reading the limits from its fields; anything else goes to PurchaseInput
# itself (SharedSerializer), so every error still comes from the serializer.
# tests/api/test_shared_serializer.py holds it to that.

_FIELDS = PurchaseInput._declared_fields
_ITEM_FIELDS = ItemInput._declared_fields
_REQUIRED = frozenset(name for name, field in _FIELDS.items() if field.required)


def _plain_text(value, field: serializers.CharField) -> str | None:
    if type(value) is not str or value != value.strip() or not value.isprintable():
        return None
    if not value and not field.allow_blank:
        return None
    if field.max_length is not None and len(value) > field.max_length:
        return None
    if field.min_length is not None and len(value) < field.min_length:
        return None
    return value


@functools.cache
def _decimal_shape(field: serializers.DecimalField) -> tuple[re.Pattern, Decimal]:
    """The plain text of a value `field` takes (no sign, no exponent) and its quantum."""
    whole = field.max_digits - field.decimal_places
    pattern = re.compile(rf"[0-9]{{1,{whole}}}(?:\.[0-9]{{1,{field.decimal_places}}})?")
    return pattern, Decimal(1).scaleb(-field.decimal_places)


def _plain_decimal(value, field: serializers.DecimalField) -> Decimal | None:
    pattern, quantum = _decimal_shape(field)
    if type(value) is int:
        value = str(value)  # as DRF reads it; a bool is not an int here
    if type(value) is not str or not pattern.fullmatch(value):
        return None
    number = Decimal(value).quantize(quantum)
    if field.min_value is not None and number < field.min_value:
        return None
    return number


def _plain_time(value) -> datetime.datetime | None:
    if type(value) is not str:
        return None
    parsed = _datetime_parsed(value)
    if parsed is None or parsed.tzinfo is None:
        return None
    try:
        return parsed.astimezone(timezone.get_current_timezone())  # as DRF gives it
    except OverflowError:
        return None


def _plain_item(item) -> dict | None:
    if type(item) is not dict or not item.keys() <= _ITEM_FIELDS.keys():
        return None
    fields = _ITEM_FIELDS
    plain = {
        "sku": _plain_text(item.get("sku", fields["sku"].default), fields["sku"]),
        "category": _plain_text(
            item.get("category", fields["category"].default), fields["category"]
        ),
        "quantity": _plain_decimal(item.get("quantity"), fields["quantity"]),
        "unit_price": _plain_decimal(item.get("unit_price"), fields["unit_price"]),
    }
    return None if None in plain.values() else plain


def purchase_input_plain(data) -> dict | None:
    """PurchaseInput's validated data for a plainly valid body; None for anything else."""
    if type(data) is not dict or not _REQUIRED <= data.keys() <= _FIELDS.keys():
        return None
    channel = data["channel"]
    if type(channel) is not str or channel not in CHANNELS:
        return None
    raw_items = data.get("items", [])
    if type(raw_items) is not list or len(raw_items) > _FIELDS["items"].max_length:
        return None
    items = [_plain_item(item) for item in raw_items]
    plain = {
        "external_id": _plain_text(data["external_id"], _FIELDS["external_id"]),
        "member_number": _plain_text(data["member_number"], _FIELDS["member_number"]),
        "amount": _plain_decimal(data["amount"], _FIELDS["amount"]),
        "currency": _plain_text(data["currency"], _FIELDS["currency"]),
        "purchased_at": _plain_time(data["purchased_at"]),
        "channel": channel,
        "items": items,
    }
    return None if None in plain.values() or None in items else plain


class PreviewInput(PurchaseInput):
    external_id = serializers.CharField(max_length=100, required=False, default="preview")


class PurchaseOutput(serializers.Serializer):
    id = serializers.IntegerField()
    external_id = serializers.CharField()
    points = serializers.IntegerField()
    status = serializers.ChoiceField(choices=["pending", "available"])
    available_on = serializers.DateTimeField()
    breakdown = serializers.JSONField()


class PreviewOutput(serializers.Serializer):
    points = serializers.IntegerField()
    breakdown = serializers.JSONField()
    available_on = serializers.DateTimeField()


class RefundInput(serializers.Serializer):
    external_id = serializers.CharField(max_length=100)
    amount = PlainDecimalField(
        max_digits=12,
        decimal_places=2,
        min_value=Decimal("0.01"),
        error_messages={"min_value": _("Must be greater than zero.")},
    )
    items = ItemInput(many=True, required=False, max_length=MAX_ITEMS)


class RefundOutput(serializers.Serializer):
    id = serializers.IntegerField()
    external_id = serializers.CharField()
    amount = serializers.DecimalField(max_digits=12, decimal_places=2)
    points_taken = serializers.IntegerField()
    purchase = PurchaseOutput()


def _items(validated: list[dict]) -> list[dict]:
    return [dict(item) for item in validated]


def purchase_body(purchase) -> dict:
    return {
        "id": purchase.pk,
        "external_id": purchase.external_id,
        "points": purchase.points,
        "breakdown": purchase.breakdown,
        **purchase_status(purchase),
    }


# The purchase endpoint is the hottest path of the API (every till posts every sale).
_purchase_input = SharedSerializer(PurchaseInput, plain=purchase_input_plain)
_purchase_output = SharedSerializer(PurchaseOutput)


class PurchaseCreateView(ApiView):
    required_scopes = ["purchases:write"]

    @extend_schema(
        operation_id="purchases_create",
        request=PurchaseInput,
        responses={
            201: PurchaseOutput,
            200: PurchaseOutput,
            400: _PURCHASE_RULES,
            404: _NO_MEMBER,
            409: _CONFLICT,
        },
        description="Record a purchase and credit its points. The same external_id with the "
        "same body answers 200 with the first answer; with another body, 409.",
    )
    @idempotent
    def post(self, request):
        fields = _purchase_input.validate(request.data)
        purchase, created = purchase_record(
            member_number=fields["member_number"],
            external_id=fields["external_id"],
            amount=fields["amount"],
            currency=fields["currency"],
            purchased_at=fields["purchased_at"],
            channel=fields["channel"],
            items=_items(fields["items"]),
        )
        return Response(
            _purchase_output.represent(purchase_body(purchase)),
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class PurchasePreviewView(ApiView):
    required_scopes = ["purchases:write"]

    @extend_schema(
        operation_id="purchases_preview",
        request=PreviewInput,
        responses={200: PreviewOutput, 400: _PURCHASE_RULES, 404: _NO_MEMBER, 409: _CONFLICT},
        description="The points and breakdown this purchase would earn now. Writes nothing.",
    )
    @idempotent
    def post(self, request):
        data = PreviewInput(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        member = member_or_404(fields["member_number"], with_balances=False)
        preview = purchase_preview(
            member=member,
            amount=fields["amount"],
            currency=fields["currency"],
            purchased_at=fields["purchased_at"],
            channel=fields["channel"],
            items=_items(fields["items"]),
        )
        return Response(
            PreviewOutput(
                {
                    "points": preview.points,
                    "breakdown": preview.breakdown,
                    "available_on": preview.available_at,
                }
            ).data
        )


class PurchaseNotFoundError(ApiError):
    status_code = status.HTTP_404_NOT_FOUND
    code = "purchase_not_found"
    detail = "No purchase has this external_id."


class RefundCreateView(ApiView):
    required_scopes = ["purchases:write"]

    @extend_schema(
        operation_id="purchases_refund",
        request=RefundInput,
        responses={
            201: RefundOutput,
            200: RefundOutput,
            400: rule_refusals("refund_exceeds_purchase"),
        },
        description="Refund part or all of a purchase; the purchase is rescored on what is left "
        "and the difference taken back. The same refund external_id again takes nothing twice.",
    )
    @idempotent
    def post(self, request, external_id: str):
        purchase = purchase_get(external_id=external_id)
        if purchase is None:
            raise PurchaseNotFoundError()
        data = RefundInput(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        is_replay = purchase.refunds.filter(external_id=fields["external_id"]).exists()
        refund = refund_record(
            purchase=purchase,
            external_id=fields["external_id"],
            amount=fields["amount"],
            items=_items(fields["items"]) if "items" in fields else None,
        )
        refund.purchase.refresh_from_db()
        body = {
            "id": refund.pk,
            "external_id": refund.external_id,
            "amount": refund.amount,
            "points_taken": refund.points_taken,
            "purchase": purchase_body(refund.purchase),
        }
        return Response(
            RefundOutput(body).data,
            status=status.HTTP_200_OK if is_replay else status.HTTP_201_CREATED,
        )
