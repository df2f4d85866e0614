"""Admin for the catalog (validated exactly like the program file; saving publishes a program
version), and read-only views of redemptions and vouchers with a cancel action that goes through
the service."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from loyalty.admin import ConfigHistoryMixin
from rewards.errors import RewardError
from rewards.models import Redemption, Reward, Voucher
from rewards.services import redemption_cancel, reward_check, reward_save

# A file key and the form field that shows its errors.
_FIELD_FOR_KEY = {"name": "name_en", "description": "description_en"}


class RewardForm(forms.ModelForm):
    class Meta:
        model = Reward
        fields = (
            "code",
            "kind",
            "name_en",
            "name_es",
            "name_fr",
            "description_en",
            "description_es",
            "description_fr",
            "image",
            "points_cost",
            "percent",
            "amount",
            "sku",
            "stock",
            "min_tier",
            "per_member_limit",
            "available_from",
            "available_until",
            "voucher_valid_days",
            "is_active",
        )

    def _post_clean(self) -> None:
        # After construct_instance: the instance holds the submitted values; check the whole
        # would-be program with the file's validator and show each error at its field.
        super()._post_clean()
        if self.errors:
            return
        for error in reward_check(reward=self.instance):
            key = error.path[2] if len(error.path) > 2 and isinstance(error.path[2], str) else None
            field = _FIELD_FOR_KEY.get(key, key)
            if field in self.fields:
                self.add_error(field, error.message)
            else:
                self.add_error(None, str(error))


@admin.register(Reward)
class RewardAdmin(ConfigHistoryMixin, admin.ModelAdmin):
    form = RewardForm
    history_label = "reward"  # its changes, with values, from the published program versions
    list_display = ("code", "name_en", "kind", "points_cost", "stock", "min_tier", "is_active")
    list_filter = ("kind", "is_active")
    search_fields = ("code", "name_en", "name_es", "name_fr", "sku")

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # redemptions point at rewards; deactivate instead

    def save_model(self, request, obj, form, change) -> None:
        reward_save(reward=obj, actor=request.user)


class VoucherInline(admin.StackedInline):
    model = Voucher
    can_delete = False
    extra = 0
    readonly_fields = (
        "code",
        "status",
        "issued_at",
        "expires_at",
        "consumed_at",
        "order_ref",
        "cancelled_at",
        "reminded_at",
    )
    fields = readonly_fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Redemption)
class RedemptionAdmin(admin.ModelAdmin):
    list_display = ("public_id", "member", "reward_code", "points_spent", "created_at")
    list_select_related = ("member__user",)
    search_fields = ("public_id", "member__member_number", "reward_code", "voucher__code")
    list_filter = ("kind",)
    inlines = [VoucherInline]
    actions = ["cancel_selected"]

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.action(description=_("Cancel the selected redemptions (unused vouchers only)"))
    def cancel_selected(self, request, queryset) -> None:
        for redemption in queryset.select_related("member"):
            try:
                redemption_cancel(redemption=redemption, actor=request.user)
            except RewardError as exc:
                self.message_user(
                    request, f"{redemption.public_id}: {exc.message()}", messages.WARNING
                )


@admin.register(Voucher)
class VoucherAdmin(admin.ModelAdmin):
    list_display = ("code", "status", "issued_at", "expires_at", "consumed_at", "order_ref")
    list_filter = ("status",)
    search_fields = ("code", "order_ref", "redemption__member__member_number")

    def get_readonly_fields(self, request, obj=None):
        return [field.name for field in self.model._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
