"""Admin for webhooks: endpoints (registered here with the events as checkboxes; the signing
secret shown once, in a message, after saving a new endpoint or rotating its secret) and the
delivery log, read-only, with every attempt and a replay action. Every write goes through the
services; endpoints are deleted the way the API deletes them (nothing more is delivered, the
log stays), never removed with their log."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.db.models import Q
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from config.admin_read_only import ReadOnlyAdmin
from config.domain import DomainError
from webhooks.addresses import url_target
from webhooks.catalog import EVENT_CHOICES, EVENT_TYPES
from webhooks.models import Attempt, Delivery, DisabledReason, Endpoint, EndpointSecret
from webhooks.services.deliveries import delivery_replay
from webhooks.services.endpoints import (
    endpoint_change,
    endpoint_delete,
    endpoint_disable,
    endpoint_enable,
    endpoint_register,
    endpoint_secret_rotate,
    events_checked,
)


class EndpointForm(forms.ModelForm):
    url = forms.CharField(
        label=_("URL"),
        max_length=2000,
        strip=False,
        widget=forms.URLInput(attrs={"size": 80}),
        help_text=_(
            "An https:// address on the internet: loopback, private and link-local addresses "
            "are refused."
        ),
    )
    events = forms.MultipleChoiceField(
        label=_("events"), choices=EVENT_CHOICES, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = Endpoint
        fields = ["url", "events"]

    def clean_url(self) -> str:
        url = self.cleaned_data["url"]
        if self.instance.pk is None or url != self.instance.url:
            try:
                url_target(url)
            except DomainError as refused:
                raise forms.ValidationError(refused.message()) from None
        return url

    def clean_events(self) -> list[str]:
        try:
            return events_checked(self.cleaned_data["events"])
        except DomainError as refused:
            raise forms.ValidationError(refused.message()) from None


class EndpointStateFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [("active", _("Active")), ("disabled", _("Disabled")), ("deleted", _("Deleted"))]

    def queryset(self, request, queryset):
        if self.value() == "active":
            return queryset.receiving()
        if self.value() == "disabled":
            return queryset.present().filter(is_active=False)
        if self.value() == "deleted":
            return queryset.filter(deleted_at__isnull=False)
        return queryset


def _show_secret(request, endpoint: Endpoint, secret: str) -> None:
    # Shown once: the message travels to the next page and is gone; nothing else keeps it.
    messages.warning(
        request,
        format_html(
            "{} <code>{}</code>",
            _("Copy the signing secret of %(url)s now; it will not be shown again:")
            % {"url": endpoint.url},
            secret,
        ),
    )


@admin.register(Endpoint)
class EndpointAdmin(admin.ModelAdmin):
    form = EndpointForm
    list_display = (
        "url",
        "event_list",
        "owner",
        "is_active",
        "disabled_reason",
        "failing_since",
        "created_at",
        "delivery_log",
    )
    list_filter = (EndpointStateFilter, "disabled_reason")
    search_fields = ("url",)
    list_select_related = ("owner",)
    readonly_fields = (
        "public_id",
        "owner",
        "is_active",
        "disabled_at",
        "disabled_reason",
        "disabled_notice_at",
        "failing_since",
        "signing_secrets",
        "created_at",
        "deleted_at",
        "delivery_log",
    )
    actions = ["rotate_secret", "enable", "disable", "delete_endpoints"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["url", "events"]
        return ["url", "events", *self.readonly_fields]

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # the log stays: `delete_endpoints` instead
        return actions

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.display(description=_("events"))
    def event_list(self, endpoint: Endpoint) -> str:
        if set(endpoint.events) == set(EVENT_TYPES):
            return str(_("all"))
        return ", ".join(endpoint.events)

    @admin.display(description=_("delivery log"))
    def delivery_log(self, endpoint: Endpoint) -> str:
        url = reverse("admin:webhooks_delivery_changelist") + f"?endpoint__id__exact={endpoint.pk}"
        return format_html('<a href="{}">{}</a>', url, _("Deliveries and attempts"))

    @admin.display(description=_("signing secrets"))
    def signing_secrets(self, endpoint: Endpoint) -> str:
        now = timezone.now()
        rows = EndpointSecret.objects.filter(endpoint=endpoint).filter(
            Q(expires_at__isnull=True) | Q(expires_at__gt=now)
        )
        lines = []
        for row in sorted(rows, key=lambda row: row.expires_at is not None):
            if row.expires_at is None:
                text = _("current, since %(when)s") % {"when": timezone.localtime(row.created_at)}
            else:
                text = _("previous, signs too until %(when)s") % {
                    "when": timezone.localtime(row.expires_at)
                }
            lines.append((text,))
        return format_html_join("", "<div>{}</div>", lines)

    def save_model(self, request, obj, form, change) -> None:
        if change:
            endpoint_change(
                endpoint=obj, url=form.cleaned_data["url"], events=form.cleaned_data["events"]
            )
            return
        registered = endpoint_register(
            url=form.cleaned_data["url"], events=form.cleaned_data["events"], owner=request.user
        )
        # The admin goes on with `obj` (log entry, redirect): make it the row just created.
        for field in Endpoint._meta.concrete_fields:
            setattr(obj, field.attname, getattr(registered.endpoint, field.attname))
        obj._state.adding = False
        obj._state.db = registered.endpoint._state.db
        _show_secret(request, registered.endpoint, registered.secret)

    @admin.action(description=_("Rotate the signing secret"), permissions=["change"])
    def rotate_secret(self, request, queryset):
        for endpoint in queryset.present():
            rotated = endpoint_secret_rotate(endpoint=endpoint)
            _show_secret(request, endpoint, rotated.secret)
        self.message_user(
            request,
            _("The previous secrets go on signing for 24 hours, so the receivers can switch."),
            messages.INFO,
        )

    @admin.action(description=_("Enable the selected endpoints"), permissions=["change"])
    def enable(self, request, queryset):
        count = sum(endpoint_enable(endpoint=endpoint) for endpoint in queryset.present())
        self.message_user(
            request,
            ngettext("%(count)d endpoint enabled.", "%(count)d endpoints enabled.", count)
            % {"count": count},
            messages.SUCCESS,
        )

    @admin.action(description=_("Disable the selected endpoints"), permissions=["change"])
    def disable(self, request, queryset):
        count = sum(
            endpoint_disable(endpoint=endpoint, reason=DisabledReason.STAFF)
            for endpoint in queryset.present()
        )
        self.message_user(
            request,
            ngettext("%(count)d endpoint disabled.", "%(count)d endpoints disabled.", count)
            % {"count": count},
            messages.SUCCESS,
        )

    @admin.action(description=_("Delete the selected endpoints"), permissions=["change"])
    def delete_endpoints(self, request, queryset):
        count = sum(endpoint_delete(endpoint=endpoint) for endpoint in queryset.present())
        self.message_user(
            request,
            ngettext(
                "%(count)d endpoint deleted; its delivery log stays.",
                "%(count)d endpoints deleted; their delivery logs stay.",
                count,
            )
            % {"count": count},
            messages.SUCCESS,
        )


class AttemptInline(admin.TabularInline):
    model = Attempt
    can_delete = False
    extra = 0
    fields = readonly_fields = (
        "number",
        "attempted_at",
        "status_code",
        "error",
        "duration_ms",
        "response_excerpt",
    )

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    """The delivery log: read-only, with every attempt. "Replay" queues the same stored body to
    the same endpoint again, as a new delivery."""

    list_display = (
        "event_type",
        "event_public_id",
        "endpoint",
        "state",
        "attempt_count",
        "last_outcome",
        "next_attempt_at",
        "created_at",
        "is_replay",
    )
    list_filter = ("state", "event_type", "endpoint")
    search_fields = ("event_public_id",)
    list_select_related = ("endpoint",)
    date_hierarchy = "created_at"
    show_full_result_count = False  # grows with every event
    inlines = [AttemptInline]
    fields = readonly_fields = (
        "public_id",
        "endpoint",
        "event_type",
        "event_public_id",
        "state",
        "attempts",
        "next_attempt_at",
        "last_outcome",
        "delivered_at",
        "created_at",
        "replay_of",
        "body_text",
    )
    actions = ["replay"]

    def has_replay_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("webhooks.change_delivery")

    @admin.display(description=_("attempts"), ordering="attempts")
    def attempt_count(self, delivery: Delivery) -> int:
        return delivery.attempts

    @admin.display(description=_("replay"), boolean=True)
    def is_replay(self, delivery: Delivery) -> bool:
        return delivery.replay_of_id is not None

    @admin.display(description=_("body"))
    def body_text(self, delivery: Delivery) -> str:
        return format_html("<pre>{}</pre>", delivery.body_bytes.decode("utf-8", errors="replace"))

    @admin.action(description=_("Replay: send the same event again"), permissions=["replay"])
    def replay(self, request, queryset):
        replays = [delivery_replay(delivery=delivery) for delivery in queryset]
        self.message_user(
            request,
            ngettext(
                "%(count)d delivery queued again.",
                "%(count)d deliveries queued again.",
                len(replays),
            )
            % {"count": len(replays)},
            messages.SUCCESS,
        )
        if any(not replay.endpoint.is_active for replay in replays):
            self.message_user(
                request,
                _("Deliveries to a disabled endpoint wait until it is enabled again."),
                messages.WARNING,
            )
