"""The earning rule's admin form as a shop owner reads it: the kinds and fields in plain words,
in the active language, and only the fields of the chosen kind.

Which fields a kind uses is the program file's (`RULE_FIELDS`, PROGRAM.md). The kind's select
carries that list and a help text per kind and field (data attributes), and
static/js/admin-rule-kind.js hides the rows the kind does not use and shows the help for it.
Without the script every field shows, each with a note naming the kinds that use it. Either way
the server decides: a field the kind does not use is emptied before the program's validator
sees the rule, and a field it needs is refused, at that field, when left empty.
"""

from __future__ import annotations

import json
from decimal import Decimal

from django.contrib import admin
from django.utils.dates import WEEKDAYS as DAY_NAMES
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from loyalty import config_text as words
from loyalty import definition as pd
from loyalty.channels import Channel
from loyalty.money import DEFAULT_CURRENCY, decimal_text
from loyalty.program_file import RULE_FIELDS
from loyalty.selectors.program import program_get

# The fields that depend on the kind (code, kind, order and active apply to every rule).
KIND_FIELDS = tuple(dict.fromkeys(field for fields in RULE_FIELDS.values() for field in fields))
# What each kind cannot do without (the validator's required keys besides code and kind).
REQUIRED_FIELDS = {
    pd.PER_CURRENCY_UNIT: ("points", "per"),
    pd.PER_ITEM: ("points",),
    pd.CATEGORY_MULTIPLIER: ("multiplier",),
    pd.SPEND_THRESHOLD_BONUS: ("min_amount", "points"),
    pd.PROMO_MULTIPLIER: ("multiplier",),
    pd.EVENT_BONUS: ("event", "points"),
}
# A field that only one event uses: the friend's points of an invitation.
EVENT_ONLY_FIELDS = {"referee_points": "referral"}
_EMPTY = {"category": "", "sku": "", "event": "", "weekdays": [], "channels": []}

LABELS = {
    "code": gettext_lazy("Short name"),
    "kind": gettext_lazy("What the rule does"),
    "points": gettext_lazy("Points"),
    "per": gettext_lazy("Amount spent"),
    "multiplier": gettext_lazy("Multiplier"),
    "min_amount": gettext_lazy("Minimum purchase"),
    "category": gettext_lazy("Category"),
    "sku": gettext_lazy("Product (SKU)"),
    "event": gettext_lazy("Event"),
    "referee_points": gettext_lazy("Points for the invited friend"),
    "monthly_cap": gettext_lazy("At most per month"),
    "starts": gettext_lazy("First day"),
    "ends": gettext_lazy("Last day"),
    "weekdays": gettext_lazy("Days of the week"),
    "channels": gettext_lazy("Where"),
    "position": gettext_lazy("Order"),
    "is_active": gettext_lazy("Active"),
}


def _help_texts(currency: str) -> tuple[dict[str, str], dict[str, dict[str, str]]]:
    """(the help of each field, the help of each field for each kind that uses it), in the
    active language, with the program's currency in the examples."""
    one = words.money(Decimal(1), currency)
    hundred = words.money(Decimal(100), currency)
    general = {
        "code": _(
            "Letters, digits, dashes and underscores, such as wine_double: it names the rule in "
            "the history and in the program file."
        ),
        "kind": "",
        "points": _("How many points the rule gives."),
        "per": _("Points for every %(one)s spent: write 1.00 here.") % {"one": one},
        "multiplier": _("How many times the usual points: 2 doubles them, 1.5 adds half."),
        "min_amount": _("A purchase of this amount or more gets the bonus: 100.00 for %(hundred)s.")
        % {"hundred": hundred},
        "category": _(
            "The category's code, as the program's categories and the tills write it "
            "(such as wine)."
        ),
        "sku": _("The product's code (SKU), as the tills write it."),
        "event": _("What the member does to receive the bonus."),
        "referee_points": _(
            "Only for inviting a friend: the points the friend who joins receives. Empty: none."
        ),
        "monthly_cap": _(
            "How many times a member can receive this bonus in a month. Empty: no limit."
        ),
        "starts": _("The rule applies from this day on. Empty: no first day."),
        "ends": _("The rule applies until this day, included. Empty: no last day."),
        "weekdays": _("Only purchases on these days. None ticked: every day."),
        "channels": _("Only purchases made here. None ticked: everywhere."),
        "position": _(
            "Rules are worked out in this order, lowest first. The first “points for every "
            "amount spent” rule sets the usual points that extra points on a category multiply."
        ),
    }
    per_kind = {
        pd.PER_CURRENCY_UNIT: {
            "points": _(
                "Points for every amount below: 1 here and 1.00 below give 1 point for every "
                "%(one)s spent."
            )
            % {"one": one},
        },
        pd.PER_ITEM: {
            "points": _("Points for each item bought."),
            "category": _(
                "Only items of this category (its code, such as wine). Empty, and no product "
                "either: every item."
            ),
            "sku": _("Or only this product (its code, SKU). Empty: every item."),
        },
        pd.CATEGORY_MULTIPLIER: {
            "multiplier": _(
                "How many times the usual points the items of the category or of the product "
                "earn: 2 doubles them."
            ),
            "category": _(
                "The category whose items earn more (its code, such as wine). Give a category or "
                "a product, not both."
            ),
            "sku": _("Or one product (its code, SKU) instead of a category."),
        },
        pd.SPEND_THRESHOLD_BONUS: {
            "points": _("Bonus points, given once to a purchase that reaches the minimum."),
        },
        pd.PROMO_MULTIPLIER: {
            "multiplier": _(
                "The points of each purchase in the promotion are multiplied by this: 2 doubles "
                "them."
            ),
        },
        pd.EVENT_BONUS: {
            "points": _("Points the member receives for the event."),
            "starts": _("The bonus is given from this day on. Empty: no first day."),
            "ends": _("The bonus is given until this day, included. Empty: no last day."),
        },
    }
    by_kind = {
        kind: {field: per_kind[kind].get(field, general[field]) for field in RULE_FIELDS[kind]}
        for kind in pd.RULE_KINDS
    }
    return general, by_kind


def kinds_using(field: str) -> list[str]:
    return [kind for kind in pd.RULE_KINDS if field in RULE_FIELDS[kind]]


class RuleKindFormMixin:
    """For EarningRuleForm (a ModelForm of EarningRule): plain labels, choices and help; the
    kind's fields for the script; the unused fields emptied and the needed ones required."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        program = program_get()
        currency = program.currency if program is not None else DEFAULT_CURRENCY
        general, by_kind = _help_texts(currency)
        for name, label in LABELS.items():
            if name in self.fields:
                self.fields[name].label = label
        self.fields["kind"].choices = [("", "---------"), *words.RULE_KIND_LABELS.items()]
        self.fields["event"].choices = [("", "---------"), *words.EVENT_LABELS.items()]
        self.fields["weekdays"].choices = [
            (code, DAY_NAMES[index]) for index, code in enumerate(pd.WEEKDAYS)
        ]
        self.fields["channels"].choices = list(Channel.choices)
        for name, text in general.items():
            if name not in self.fields:
                continue
            if name in KIND_FIELDS:
                used_by = "; ".join(str(words.RULE_KIND_LABELS[kind]) for kind in kinds_using(name))
                # The note is for a page without the script, which shows every field.
                text = format_html(
                    '{} <span class="rule-kinds-note">{}</span>',
                    text,
                    _("Used by: %(kinds)s.") % {"kinds": used_by},
                )
            self.fields[name].help_text = text
        self.fields["kind"].widget.attrs.update(
            {
                "data-rule-fields": json.dumps({kind: RULE_FIELDS[kind] for kind in pd.RULE_KINDS}),
                "data-rule-help": json.dumps(by_kind),
                "data-rule-only-for-event": json.dumps(EVENT_ONLY_FIELDS),
            }
        )
        if not self.is_bound:
            # 1.0000 as the database holds it reads as 1 (and 1.2500 as 1.25).
            for name in ("per", "multiplier", "min_amount"):
                value = self.initial.get(name)
                if isinstance(value, Decimal):
                    self.initial[name] = Decimal(decimal_text(value))

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        if kind not in RULE_FIELDS:
            return data
        used = set(RULE_FIELDS[kind])
        for name, event in EVENT_ONLY_FIELDS.items():
            if data.get("event") != event:
                used.discard(name)
        for name in KIND_FIELDS:
            if name in used or name not in self.fields:
                continue
            # Not the kind's: whatever was typed in it (even something invalid) is dropped.
            self.errors.pop(name, None)
            data[name] = _EMPTY.get(name)
        for name in REQUIRED_FIELDS[kind]:
            if name not in self.errors and data.get(name) in (None, ""):
                self.add_error(name, self.fields[name].error_messages["required"])
        if kind == pd.CATEGORY_MULTIPLIER and "category" not in self.errors:
            if data.get("category") and data.get("sku"):
                self.add_error("category", _("Give a category or a product, not both."))
            elif not data.get("category") and not data.get("sku"):
                self.add_error("category", _("Give the category (or the product) that earns more."))
        return data


class RuleKindFilter(admin.SimpleListFilter):
    """The admin list's filter by kind, with the kinds' plain names."""

    title = gettext_lazy("what the rule does")
    parameter_name = "kind"

    def lookups(self, request, model_admin):
        return list(words.RULE_KIND_LABELS.items())

    def queryset(self, request, queryset):
        value = self.value()
        return queryset.filter(kind=value) if value else queryset
