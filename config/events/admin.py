from django.contrib import admin

from config.events.models import Event, EventConsumer


class ReadOnlyAdmin(admin.ModelAdmin):
    """Events are written by the services and settled by the dispatcher; staff only look."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    list_display = ("id", "kind", "occurred_at", "created_at")
    list_filter = ("kind",)
    date_hierarchy = "created_at"
    show_full_result_count = False  # the table grows with every purchase


@admin.register(EventConsumer)
class EventConsumerAdmin(ReadOnlyAdmin):
    list_display = ("name", "floor")
