from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from config.admin_read_only import ReadOnlyAdmin
from console.forms import BlockForm
from console.permissions import BLOCK, staff_can
from console.services import member_block, member_unblock
from loyalty.exports import members_csv
from loyalty.imports.admin_views import ImportExportAdminMixin
from loyalty.imports.members import MemberImporter
from members.admin_login import AdminLoginForm
from members.models import Member, StaffAction, User

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
class MemberAdmin(ImportExportAdminMixin, ReadOnlyAdmin):
    """Members, read-only here (enrolment and changes go through the services), with the bulk
    import (upload, report, confirm) and the CSV export."""

    list_display = ("member_number", "user", "language", "joined_at", "status")
    list_filter = ("status",)
    search_fields = ("member_number", "user__email", "user__last_name", "phone")
    list_select_related = ("user",)
    actions = ["block_selected", "unblock_selected"]
    ordering = ("-joined_at",)
    import_kind = "members"
    importer_class = MemberImporter
    export_lines = staticmethod(members_csv)
    export_name = "members"

    # Blocking goes through console.services (the StaffAction history, the permission);
    # the block action asks for the reason on a page of its own before it runs.

    def has_block_permission(self, request: HttpRequest) -> bool:
        return staff_can(request.user, BLOCK)

    @admin.action(description=_("Block the selected members"), permissions=["block"])
    def block_selected(self, request: HttpRequest, queryset):
        form = BlockForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            members = list(queryset.select_related("user"))
            for member in members:
                member_block(member=member, reason=form.cleaned_data["reason"], actor=request.user)
            self.message_user(
                request,
                ngettext("%(count)d member blocked.", "%(count)d members blocked.", len(members))
                % {"count": len(members)},
                messages.SUCCESS,
            )
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": _("Block the selected members"),
            "opts": self.model._meta,
            "members": queryset.select_related("user"),
            "form": form,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "action": "block_selected",
        }
        return TemplateResponse(request, "admin/members/member/block.html", context)

    @admin.action(description=_("Unblock the selected members"), permissions=["block"])
    def unblock_selected(self, request: HttpRequest, queryset):
        members = list(queryset)
        for member in members:
            member_unblock(member=member, actor=request.user)
        self.message_user(
            request,
            ngettext("%(count)d member unblocked.", "%(count)d members unblocked.", len(members))
            % {"count": len(members)},
            messages.SUCCESS,
        )


@admin.register(StaffAction)
class StaffActionAdmin(ReadOnlyAdmin):
    """The staff history, read-only: rows are written by console.services and console.marketing,
    never edited."""

    list_display = ("at", "actor", "kind", "member", "subject", "reason")
    list_filter = ("kind",)
    search_fields = ("subject", "actor__email", "member__member_number", "reason")
    list_select_related = ("actor", "member__user")
    date_hierarchy = "at"
    ordering = ("-at", "-pk")
