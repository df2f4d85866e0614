from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from loyalty.exports import members_csv
from loyalty.imports.admin_views import ImportExportAdminMixin
from members.admin_login import AdminLoginForm
from members.imports import MemberImporter
from members.models import Member, User

# Staff and superusers sign in under the portal's limits on failed logins (members/admin_login.py).
admin.site.login_form = AdminLoginForm


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    ordering = ("email",)
    list_display = ("email", "first_name", "last_name", "is_staff", "is_active", "date_joined")
    search_fields = ("email", "first_name", "last_name")
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (_("Personal info"), {"fields": ("first_name", "last_name")}),
        (
            _("Permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = ((None, {"classes": ("wide",), "fields": ("email", "password1", "password2")}),)


@admin.register(Member)
class MemberAdmin(ImportExportAdminMixin, admin.ModelAdmin):
    """Members, read-only here (enrolment and changes go through the services), with the bulk
    import (upload, report, confirm) and the CSV export."""

    list_display = ("member_number", "user", "language", "joined_at")
    search_fields = ("member_number", "user__email", "user__last_name", "phone")
    list_select_related = ("user",)
    ordering = ("-joined_at",)
    import_kind = "members"
    importer_class = MemberImporter
    export_lines = staticmethod(members_csv)
    export_name = "members"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
