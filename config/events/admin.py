from django.contrib import admin

from config.admin_read_only import ReadOnlyAdmin
from config.events.models import Event, EventConsumer


@admin.register(Event)
class EventAdmin(ReadOnlyAdmin):
    list_display = ("id", "kind", "occurred_at", "created_at")
    list_filter = ("kind",)
    date_hierarchy = "created_at"
    show_full_result_count = False  # the table grows with every purchase


@admin.register(EventConsumer)
class EventConsumerAdmin(ReadOnlyAdmin):
    list_display = ("name", "floor")
