"""Admin for the program: the same validation as the program file, and every save publishes a
version. The forms validate the whole would-be program (`program_change_check`) and show each
error at its field; saving and deleting go through the program services."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.db.models import OuterRef, Subquery
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from config.admin_read_only import ReadOnlyAdmin
from config.languages import localized
from loyalty import config_text as words
from loyalty import definition as pd
from loyalty import program_file as pf
from loyalty.admin_fields import CategoriesField
from loyalty.admin_rules import RuleKindFilter, RuleKindFormMixin
from loyalty.admin_simulation import simulation_context, simulation_view
from loyalty.config_history import config_history, version_sentences
from loyalty.exports import ledger_csv
from loyalty.imports.admin_views import ImportExportAdminMixin
from loyalty.imports.purchases import PurchaseImporter
from loyalty.models import EarningRule, LedgerEntry, Program, ProgramVersion, Purchase, Tier
from loyalty.models.program import PROGRAM_PK
from loyalty.models.shop import SHOP_PROFILE_PK, ShopProfile
from loyalty.money import DEFAULT_CURRENCY, decimal_text
from loyalty.program_file import ProgramError, ProgramInvalid
from loyalty.selectors.program import (
    ChangeCheck,
    ProgramNotConfigured,
    program_change_check,
    program_diff_for_text,
    program_export_text,
    program_get,
)
from loyalty.services.program import (
    earning_rule_delete,
    earning_rule_save,
    program_import,
    program_settings_save,
    tier_delete,
    tier_save,
)

# --- Forms -----------------------------------------------------------------------------------


class _ProgramCheckedForm(forms.ModelForm):
    """Runs the program validator over the would-be program once the instance holds the
    submitted values (hence _post_clean, after construct_instance)."""

    def _post_clean(self) -> None:
        super()._post_clean()
        if self.errors:
            return  # field-level problems first; the whole-program check needs typed values
        check = self.program_check()
        for error in check.errors:
            field = self.field_for(error, check)
            if field is not None and field in self.fields:
                self.add_error(field, self.message_for(error))
            else:
                self.add_error(None, str(error))

    def program_check(self) -> ChangeCheck:  # pragma: no cover - overridden
        raise NotImplementedError

    def message_for(self, error: ProgramError) -> str:
        """What the field shows: the problem, where the field alone does not say where."""
        return error.message

    def field_for(self, error: ProgramError, check: ChangeCheck) -> str | None:
        prefix = check.path
        if prefix is None or tuple(error.path[: len(prefix)]) != tuple(prefix):
            return None
        rest = error.path[len(prefix) :]
        return self.field_for_rest(rest) if rest else None

    def field_for_rest(self, rest: tuple) -> str | None:
        return rest[0] if isinstance(rest[0], str) else None


class ProgramForm(_ProgramCheckedForm):
    class Meta:
        model = Program
        fields = (
            "name",
            "currency",
            "timezone",
            "language",
            "point_value",
            "pending_days",
            "rounding",
            "max_purchase_amount",
            "categories",
            "expiry_policy",
            "expiry_months",
            "expiry_warn_days",
            "qualification_metric",
            "qualification_window_months",
            "quiet_hours_from",
            "quiet_hours_to",
            "frequency_cap_messages",
            "frequency_cap_days",
        )
        field_classes = {"categories": CategoriesField}  # a table, not JSON
        widgets = {
            "quiet_hours_from": forms.TimeInput(format="%H:%M", attrs={"type": "time"}),
            "quiet_hours_to": forms.TimeInput(format="%H:%M", attrs={"type": "time"}),
        }

    def program_check(self) -> ChangeCheck:
        return program_change_check(program=self.instance)

    def field_for(self, error: ProgramError, check: ChangeCheck) -> str | None:
        if tuple(error.path[:2]) == ("tiers", "qualification") and len(error.path) > 2:
            return f"qualification_{error.path[2]}"
        if tuple(error.path[:1]) == ("categories",):
            return "categories"  # one table: the message names the row
        return super().field_for(error, check)

    def message_for(self, error: ProgramError) -> str:
        path = tuple(error.path)
        if path[:1] == ("categories",) and len(path) > 1 and isinstance(path[1], int):
            return _("Row %(number)s: %(problem)s") % {
                "number": path[1] + 1,
                "problem": error.message,
            }
        return super().message_for(error)

    def field_for_rest(self, rest: tuple) -> str | None:
        if rest[0] == "expiry":
            return f"expiry_{rest[1]}" if len(rest) > 1 else "expiry_policy"
        if rest[0] == "communications" and len(rest) > 2:
            return f"{rest[1]}_{rest[2]}"  # quiet_hours_from, frequency_cap_days, ...
        return super().field_for_rest(rest)


class CommaListField(forms.CharField):
    """A list of short codes typed as `a, b, c`."""

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return ", ".join(value)
        return value

    def to_python(self, value) -> list[str]:
        text = super().to_python(value)
        return [part.strip() for part in text.split(",") if part.strip()]


class TierForm(_ProgramCheckedForm):
    benefits = CommaListField(
        label=_("benefits"), required=False, help_text=_("Codes, separated by commas.")
    )

    class Meta:
        model = Tier
        fields = (
            "code",
            "name_en",
            "name_es",
            "name_fr",
            "threshold",
            "multiplier",
            "discount_percent",
            "benefits",
            "position",
            "is_active",
        )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            # 500.0000 as the database holds it reads as 500 (and 1.2500 as 1.25).
            for name in ("threshold", "multiplier"):
                value = self.initial.get(name)
                if value is not None:
                    self.initial[name] = Decimal(decimal_text(value))

    def program_check(self) -> ChangeCheck:
        return program_change_check(tier=self.instance)

    def field_for_rest(self, rest: tuple) -> str | None:
        if rest[0] == "name":
            language = rest[1] if len(rest) > 1 else pd.DEFAULT_NAME_LANGUAGE
            return f"name_{language}"
        return super().field_for_rest(rest)


class EarningRuleForm(RuleKindFormMixin, _ProgramCheckedForm):
    """Only the chosen kind's fields count (loyalty.admin_rules); the page's script shows only
    those."""

    # Labels, help and the days' and channels' names: RuleKindFormMixin, in the active language.
    weekdays = forms.MultipleChoiceField(
        choices=[(day, day) for day in pd.WEEKDAYS],
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    channels = forms.MultipleChoiceField(
        choices=[(channel, channel) for channel in pd.CHANNELS],
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    class Meta:
        model = EarningRule
        fields = (
            "code",
            "kind",
            "points",
            "per",
            "category",
            "sku",
            "multiplier",
            "min_amount",
            "starts",
            "ends",
            "weekdays",
            "channels",
            "event",
            "referee_points",
            "monthly_cap",
            "position",
            "is_active",
        )

    class Media:
        js = ("js/admin-rule-kind.js",)

    def program_check(self) -> ChangeCheck:
        return program_change_check(rule=self.instance)


class ProgramFileForm(forms.Form):
    file = forms.FileField(label=_("program file"), required=False)
    text = forms.CharField(
        label=_("or paste it"), required=False, widget=forms.Textarea(attrs={"rows": 12})
    )

    def clean(self):
        data = super().clean()
        upload = data.get("file")
        if upload is not None:
            try:
                data["text"] = upload.read().decode("utf-8")
            except UnicodeDecodeError:
                raise forms.ValidationError(_("The file is not UTF-8 text.")) from None
        if not data.get("text", "").strip():
            raise forms.ValidationError(_("Upload a program file or paste it."))
        return data


PROGRAM_TEXT_SALT = "loyalty.admin.program_import"


# --- Admins ----------------------------------------------------------------------------------


class ConfigHistoryMixin:
    """The object's history page shows the published changes that name it, with who made them,
    when, and the values before and after (loyalty.config_history), above Django's admin log."""

    object_history_template = "admin/loyalty/config_history.html"
    history_label: str | None = None

    def history_view(self, request, object_id, extra_context=None):
        obj = self.get_object(request, object_id)
        history = []
        if obj is not None:
            history = config_history(label=self.history_label, code=getattr(obj, "code", ""))
        return super().history_view(
            request, object_id, {**(extra_context or {}), "config_history": history}
        )


class _PublishingAdmin(admin.ModelAdmin):
    """Saves and deletes through the services so each publishes a program version; bulk delete
    is off because it would bypass them."""

    save_service = None
    delete_service = None

    def get_actions(self, request: HttpRequest):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def delete_view(self, request: HttpRequest, object_id: str, extra_context=None):
        obj = self.get_object(request, object_id)
        if request.method == "POST" and obj is not None:
            check = self.delete_check(obj)
            if check.errors:
                for error in check.errors:
                    self.message_user(request, str(error), messages.ERROR)
                opts = self.model._meta
                return HttpResponseRedirect(
                    reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
                )
        return super().delete_view(request, object_id, extra_context)

    def delete_check(self, obj) -> ChangeCheck:  # pragma: no cover - overridden
        raise NotImplementedError


@admin.register(Program)
class ProgramAdmin(ConfigHistoryMixin, admin.ModelAdmin):
    form = ProgramForm
    change_list_template = "admin/loyalty/program_change_list.html"
    list_display = ("name", "currency", "timezone", "rounding", "expiry_policy")
    fieldsets = (
        (
            None,
            {"fields": ("name", "currency", "timezone", "language", "point_value", "pending_days")},
        ),
        (_("Scoring"), {"fields": ("rounding", "max_purchase_amount")}),
        (_("Categories"), {"fields": ("categories",)}),
        (_("Expiry"), {"fields": ("expiry_policy", "expiry_months", "expiry_warn_days")}),
        (
            _("Tier qualification"),
            {"fields": ("qualification_metric", "qualification_window_months")},
        ),
        (
            _("Communications"),
            {
                "fields": (
                    ("quiet_hours_from", "quiet_hours_to"),
                    ("frequency_cap_messages", "frequency_cap_days"),
                )
            },
        ),
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return super().has_add_permission(request) and program_get() is None

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False  # the program is never deleted; its history hangs off its versions

    def save_model(self, request, obj, form, change) -> None:
        program_settings_save(actor=request.user, program=obj)

    def get_urls(self):
        return [
            path(
                "import/",
                self.admin_site.admin_view(self.program_import_view),
                name="loyalty_program_import",
            ),
            path(
                "export/",
                self.admin_site.admin_view(self.program_export_view),
                name="loyalty_program_export",
            ),
            path(
                "import/simulation/<uuid:key>/",
                self.admin_site.admin_view(self.program_simulation_view),
                name="loyalty_program_simulation",
            ),
            *super().get_urls(),
        ]

    def program_export_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        try:
            text = program_export_text()
        except ProgramNotConfigured:
            self.message_user(request, _("There is no program to export yet."), messages.ERROR)
            return HttpResponseRedirect(reverse("admin:loyalty_program_changelist"))
        response = HttpResponse(text, content_type="application/yaml; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="program.yaml"'
        return response

    def program_simulation_view(self, request: HttpRequest, key) -> HttpResponse:
        if not self.has_change_permission(request):
            raise PermissionDenied
        return simulation_view(self, request, key)

    def program_import_view(self, request: HttpRequest) -> HttpResponse:
        """Upload or paste a program file, see what it would change (`program_diff_for_text`),
        then apply exactly that text: the confirm form carries it signed."""
        if not self.has_change_permission(request):
            raise PermissionDenied
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Import a program file"),
            "diff": None,
            "errors": [],
        }
        form = ProgramFileForm()
        if request.method == "POST" and "apply" in request.POST:
            try:
                text = signing.loads(request.POST.get("signed_text", ""), salt=PROGRAM_TEXT_SALT)
            except signing.BadSignature:
                raise PermissionDenied from None
            try:
                result = program_import(
                    text=text, actor=request.user, note=request.POST.get("note", "")
                )
            except ProgramInvalid as invalid:
                context["errors"] = [str(error) for error in invalid.errors]
            else:
                self.message_user(
                    request,
                    _("Program imported: version %(number)s, %(count)d changes.")
                    % {"number": result.version.number, "count": len(result.changes)},
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(reverse("admin:loyalty_programversion_changelist"))
        elif request.method == "POST":
            form = ProgramFileForm(request.POST, request.FILES)
            if form.is_valid():
                text = form.cleaned_data["text"]
                try:
                    context["diff"] = program_diff_for_text(text=text)
                    context["signed_text"] = signing.dumps(
                        text, salt=PROGRAM_TEXT_SALT, compress=True
                    )
                except ProgramInvalid as invalid:
                    context["errors"] = [str(error) for error in invalid.errors]
                else:
                    if context["diff"]:  # the last 12 months under the file, beside the diff
                        context |= simulation_context(text)
        context["form"] = form
        return TemplateResponse(request, "admin/loyalty/program_import.html", context)


@admin.register(Tier)
class TierAdmin(ConfigHistoryMixin, _PublishingAdmin):
    form = TierForm
    history_label = "tier"
    list_display = ("code", "name", "threshold_text", "multiplier_text", "discount", "position")
    list_filter = ("is_active",)
    ordering = ("position", "threshold")

    def get_queryset(self, request: HttpRequest):
        # The program's currency and metric, for thresholds read as money (or points).
        program = Program.objects.filter(pk=PROGRAM_PK)
        return (
            super()
            .get_queryset(request)
            .annotate(
                program_currency=Subquery(program.values("currency")[:1]),
                program_metric=Subquery(program.values("qualification_metric")[:1]),
            )
        )

    @admin.display(description=_("name"), ordering="name_en")
    def name(self, obj: Tier) -> str:
        return localized(obj.name, words.language(), obj.code)

    @admin.display(description=_("threshold"), ordering="threshold")
    def threshold_text(self, obj: Tier) -> str:
        return words.threshold(
            obj.threshold,
            metric=getattr(obj, "program_metric", None) or "spend",
            currency=getattr(obj, "program_currency", None) or DEFAULT_CURRENCY,
        )

    @admin.display(description=_("multiplier"), ordering="multiplier")
    def multiplier_text(self, obj: Tier) -> str:
        return words.number(obj.multiplier)

    @admin.display(description=_("discount"), ordering="discount_percent")
    def discount(self, obj: Tier) -> str:
        return words.percent(obj.discount_percent)

    def save_model(self, request, obj, form, change) -> None:
        tier_save(actor=request.user, tier=obj)

    def delete_model(self, request, obj) -> None:
        tier_delete(actor=request.user, tier=obj)

    def delete_check(self, obj) -> ChangeCheck:
        return program_change_check(tier=obj, is_delete=True)


@admin.register(EarningRule)
class EarningRuleAdmin(ConfigHistoryMixin, _PublishingAdmin):
    form = EarningRuleForm
    history_label = "rule"
    list_display = ("code", "summary", "kind_text", "position", "is_active")
    list_filter = (RuleKindFilter, "is_active")
    ordering = ("position", "pk")
    fieldsets = (
        (None, {"fields": ("code", "kind", "position", "is_active")}),
        (
            _("Values"),
            {
                "fields": (
                    "points",
                    "per",
                    "multiplier",
                    "min_amount",
                    "category",
                    "sku",
                    "event",
                    "referee_points",
                    "monthly_cap",
                ),
                "description": _(
                    "Only the fields that this kind of rule uses are saved; the others are "
                    "left empty."
                ),
            },
        ),
        (_("When"), {"fields": ("starts", "ends", "weekdays", "channels")}),
    )

    def get_queryset(self, request: HttpRequest):
        # The program's currency and category names, for the rules' summaries.
        program = Program.objects.filter(pk=PROGRAM_PK)
        return (
            super()
            .get_queryset(request)
            .annotate(
                program_currency=Subquery(program.values("currency")[:1]),
                program_categories=Subquery(program.values("categories")[:1]),
            )
        )

    @admin.display(description=_("what it gives"))
    def summary(self, obj: EarningRule) -> str:
        language = words.language()
        names = {
            category.get("code"): localized(category.get("name"), language, category.get("code"))
            for category in getattr(obj, "program_categories", None) or []
            if isinstance(category, dict)
        }
        return words.rule_summary(
            obj,
            currency=getattr(obj, "program_currency", None) or DEFAULT_CURRENCY,
            category_names=names,
        )

    @admin.display(description=_("what the rule does"), ordering="kind")
    def kind_text(self, obj: EarningRule) -> str:
        return words.label_of(words.RULE_KIND_LABELS, obj.kind)

    def save_model(self, request, obj, form, change) -> None:
        earning_rule_save(actor=request.user, rule=obj)

    def delete_model(self, request, obj) -> None:
        earning_rule_delete(actor=request.user, rule=obj)

    def delete_check(self, obj) -> ChangeCheck:
        return program_change_check(rule=obj, is_delete=True)


@admin.register(ProgramVersion)
class ProgramVersionAdmin(ReadOnlyAdmin):
    list_display = ("number", "created_at", "created_by", "what_changed", "note")
    ordering = ("-number",)
    fields = ("number", "created_at", "created_by", "note", "change_list", "program_file")
    readonly_fields = fields
    # Sentences of a version in the list; the rest are on its page.
    list_sentences = 3

    def get_queryset(self, request: HttpRequest):
        # The version before each, whose snapshot the sentences compare with.
        before = ProgramVersion.objects.filter(number__lt=OuterRef("number")).order_by("-number")
        return (
            super()
            .get_queryset(request)
            .annotate(
                previous_pk=Subquery(before.values("pk")[:1]),
                previous_snapshot=Subquery(before.values("snapshot")[:1]),
            )
        )

    @admin.display(description=_("changes"))
    def change_list(self, obj: ProgramVersion) -> str:
        return format_html(
            "<ul>{}</ul>",
            format_html_join("", "<li>{}</li>", ((line,) for line in self._sentences(obj))),
        )

    @admin.display(description=_("what changed"))
    def what_changed(self, obj: ProgramVersion) -> str:
        lines = self._sentences(obj)
        shown = lines[: self.list_sentences]
        if len(lines) > len(shown):
            more = len(lines) - len(shown)
            shown.append(
                ngettext("… and %(count)s more change", "… and %(count)s more changes", more)
                % {"count": more}
            )
        return format_html_join(mark_safe("<br>"), "{}", ((line,) for line in shown))

    def _sentences(self, obj: ProgramVersion) -> list[str]:
        previous = None
        if getattr(obj, "previous_pk", None) is not None:
            # Only read: the version before, for its (cached) parsed snapshot.
            previous = ProgramVersion(pk=obj.previous_pk, snapshot=obj.previous_snapshot)
        return version_sentences(obj, previous)

    @admin.display(description=_("snapshot (program file)"))
    def program_file(self, obj: ProgramVersion) -> str:
        try:
            text = pf.program_to_text(obj.definition)
        except ProgramInvalid as invalid:  # pragma: no cover - snapshots are validated on write
            text = str(invalid)
        # No style attribute: the Content Security Policy refuses inline styles.
        return format_html("<pre>{}</pre>", text)


@admin.register(Purchase)
class PurchaseAdmin(ImportExportAdminMixin, ReadOnlyAdmin):
    """Purchases, with the bulk import of a shop's history (upload, report, confirm)."""

    list_display = ("external_id", "member", "amount_text", "purchased_at", "points")
    search_fields = ("external_id", "member__member_number")
    list_select_related = ("member__user",)
    ordering = ("-purchased_at",)
    show_full_result_count = False
    import_kind = "purchases"
    importer_class = PurchaseImporter
    readonly_fields = ("amount_text", "refunded_text")
    _MONEY_FIELDS = {"amount": "amount_text", "refunded_amount": "refunded_text"}

    def get_fields(self, request: HttpRequest, obj=None):
        # Its page shows the amounts as money, in place of the bare numbers.
        fields = [self._MONEY_FIELDS.get(name, name) for name in super().get_fields(request, obj)]
        return list(dict.fromkeys(fields))

    @admin.display(description=_("amount"), ordering="amount")
    def amount_text(self, obj: Purchase) -> str:
        return words.money(obj.amount, obj.currency)

    @admin.display(description=_("refunded amount"))
    def refunded_text(self, obj: Purchase) -> str:
        return words.money(obj.refunded_amount, obj.currency)


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ImportExportAdminMixin, ReadOnlyAdmin):
    """The points ledger, with its CSV export."""

    list_display = ("occurred_at", "member", "kind", "points", "reason", "created_at")
    # By pk (write order, its own index): a sort on occurred_at over the whole table has none.
    ordering = ("-pk",)
    list_filter = ("kind",)
    search_fields = ("member__member_number", "reason")
    list_select_related = ("member__user",)
    show_full_result_count = False
    export_lines = staticmethod(ledger_csv)
    export_name = "ledger"


@admin.register(ShopProfile)
class ShopProfileAdmin(admin.ModelAdmin):
    """The one shop profile: its logo, accent colour and legal texts. Opening the list goes
    straight to it (made empty the first time)."""

    fieldsets = (
        (_("Look"), {"fields": ("logo", "accent_color")}),
        (_("Privacy policy"), {"fields": ("privacy_en", "privacy_es", "privacy_fr")}),
        (_("Terms of the program"), {"fields": ("terms_en", "terms_es", "terms_fr")}),
        (
            _("Contact"),
            {
                "fields": ("contact_en", "contact_es", "contact_fr"),
                "description": _(
                    "Left empty, a text reads as the portal's default in that language."
                ),
            },
        ),
    )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def changelist_view(self, request: HttpRequest, extra_context=None):
        profile, _created = ShopProfile.objects.get_or_create(pk=SHOP_PROFILE_PK)
        return redirect("admin:loyalty_shopprofile_change", profile.pk)

    def save_model(self, request, obj, form, change):
        obj.updated_at = timezone.now()
        super().save_model(request, obj, form, change)
