"""The segment editor's forms: the segment's code, names and match, and one row per rule (field,
operator, value as typed, window in days). The rows become rules as the API takes them (a list
for `in`, `not_in` and `between`, typed by the field: numbers, money strings, codes); whether
they are valid is campaigns.services.segments' to say, at `rules.N.<key>`, which the editor
shows at row N."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from campaigns import segment_rules as vocabulary
from campaigns.models import SegmentMatch
from loyalty.definition import CODE_MAX_LENGTH, TEXT_MAX_LENGTH

FIELD_LABELS = {
    "tier": _("Tier"),
    "available_points": _("Available points"),
    "lifetime_points": _("Lifetime points"),
    "days_since_last_purchase": _("Days since the last purchase"),
    "purchases": _("Purchases"),
    "spend": _("Spend"),
    "average_order_value": _("Average order value"),
    "days_since_joined": _("Days since joining"),
    "birthday_month": _("Birthday month"),
    "language": _("Language"),
    "consent": _("Marketing consent"),
    "channel": _("Bought in channel"),
    "category": _("Bought in category"),
    "rfm_group": _("RFM group"),
    "churn_risk": _("Churn risk"),
}
RFM_GROUP_LABELS = {
    "champions": _("champions"),
    "at_risk": _("at risk"),
    "loyal": _("loyal"),
    "recent": _("recent"),
    "lost": _("lost"),
    "hibernating": _("hibernating"),
    "inactive": _("inactive"),
}
OPERATOR_LABELS = {
    "eq": _("is"),
    "ne": _("is not"),
    "in": _("is one of"),
    "not_in": _("is none of"),
    "gte": _("at least"),
    "lte": _("at most"),
    "between": _("between"),
}


class SegmentForm(forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=CODE_MAX_LENGTH,
        help_text=_(
            "Lowercase letters, digits and dashes, such as lapsed-silver. It cannot change."
        ),
    )
    name_en = forms.CharField(label=_("Name (English)"), max_length=TEXT_MAX_LENGTH)
    name_es = forms.CharField(label=_("Name (Spanish)"), max_length=TEXT_MAX_LENGTH, required=False)
    name_fr = forms.CharField(label=_("Name (French)"), max_length=TEXT_MAX_LENGTH, required=False)
    match = forms.ChoiceField(
        label=_("Members match"),
        choices=SegmentMatch.choices,
        initial=SegmentMatch.ALL,
        widget=forms.RadioSelect,
    )

    def __init__(self, *args, editing: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if editing:
            self.fields["code"].disabled = True

    def names(self) -> dict[str, str]:
        return {
            language: self.cleaned_data.get(f"name_{language}", "")
            for language in ("en", "es", "fr")
            if self.cleaned_data.get(f"name_{language}")
        }


class RuleForm(forms.Form):
    field = forms.ChoiceField(
        label=_("Field"), choices=[(name, label) for name, label in FIELD_LABELS.items()]
    )
    op = forms.ChoiceField(
        label=_("Operator"), choices=[(op, label) for op, label in OPERATOR_LABELS.items()]
    )
    value = forms.CharField(
        label=_("Value"),
        max_length=2000,
        required=False,
        help_text=_(
            "Several values: separate them with commas (between: low, high). Amounts with a "
            "point: 25.50."
        ),
    )
    window_days = forms.IntegerField(
        label=_("In the last (days)"), required=False, min_value=1, max_value=vocabulary.MAX_DAYS
    )

    def rule(self) -> dict:
        """The row as a rule the service validates (the value typed by the field)."""
        data = self.cleaned_data
        field = vocabulary.FIELDS[data["field"]]
        op = data["op"]
        texts = [part.strip() for part in data.get("value", "").split(",")]
        values = [_typed(field, text) for text in texts if text != ""]
        if op in vocabulary.LIST_OPERATORS or op == vocabulary.BETWEEN:
            value = values
        else:
            value = values[0] if len(values) == 1 else values
        rule = {"field": field.name, "op": op, "value": value}
        if data.get("window_days") is not None:
            rule["window_days"] = data["window_days"]
        return rule


def _typed(field: vocabulary.Field, text: str):
    """A typed value as the API would send it: an integer for integer fields (and a month's
    number), else the text (a money string, a code); the service refuses what does not fit."""
    if field.kind in (vocabulary.INTEGER, vocabulary.MONTH) and text.isascii() and text.isdigit():
        return int(text)
    return text


RuleFormSet = forms.formset_factory(
    RuleForm, extra=0, max_num=vocabulary.MAX_RULES + 1, can_delete=True
)


def rule_rows_initial(rules: list[dict]) -> list[dict]:
    """The saved rules as the editor's rows."""
    rows = []
    for rule in rules:
        value = rule["value"]
        text = ", ".join(str(v) for v in value) if isinstance(value, list) else str(value)
        rows.append(
            {
                "field": rule["field"],
                "op": rule["op"],
                "value": text,
                "window_days": rule.get("window_days"),
            }
        )
    return rows
