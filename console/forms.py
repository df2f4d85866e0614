"""Forms of the staff console: they parse what the till typed and hand it to
console.services, where the rules are (roles, the adjustment limit, idempotency)."""

from __future__ import annotations

import uuid
from decimal import Decimal

from django import forms
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from loyalty.models.ledger import Channel
from loyalty.money import decimal_plain
from loyalty.selectors.program import program_in_force
from members.forms import PersonFieldsMixin, TimeZoneField

MAX_AMOUNT = Decimal("9999999999.99")


class SearchForm(forms.Form):
    q = forms.CharField(
        label=_("Find a member"),
        help_text=_("Email, phone, name or member number. Scan the card to open the member."),
        max_length=200,
        required=False,
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "autocomplete": "off",
                "autofocus": True,
                "spellcheck": "false",
                # Search as you type: htmx asks for the results list; Enter still submits the
                # form (a scanner's Enter opens the member).
                "hx-get": reverse_lazy("staff:search"),
                "hx-trigger": "input changed delay:200ms, search",
                "hx-target": "#search-results",
                "hx-swap": "outerHTML",
                "aria-controls": "search-results",
            }
        ),
    )


class OneTimeTokenForm(forms.Form):
    """A form whose submission must take effect once: the token is drawn when the form is
    shown; it becomes the external id of a purchase or refund it records (the ledger's own
    once), or the key of its once row (config.once)."""

    token = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial.setdefault("token", uuid.uuid4())


class PlainDecimalField(forms.DecimalField):
    """A number typed as digits with a decimal point or comma ("54.90", "54,90"). Django's own
    field also takes "1e5" (100,000) and "1E+9": a slip on the keypad must not multiply a sale."""

    default_error_messages = {"plain": _("Type a plain number, such as 54.90.")}

    def to_python(self, value):
        if value in self.empty_values:
            return None
        text = str(value).strip()
        if "," in text and "." not in text:
            text = text.replace(",", ".", 1)
        if decimal_plain(text) is None:
            raise forms.ValidationError(self.error_messages["plain"], code="plain")
        return super().to_python(text)


ABOVE_ZERO = _("Enter an amount above zero.")


def decimal_input() -> forms.TextInput:
    """A text box that opens the phone's decimal keypad. Not `type="number"`: a browser whose
    language writes a decimal point drops a typed comma there, so "23,50" reached the server as
    2350, a sale a hundred times too large; as text the comma arrives and is read."""
    return forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"})


def _amount_field(label, *, above_zero=ABOVE_ZERO) -> forms.DecimalField:
    return PlainDecimalField(
        label=label,
        min_value=Decimal("0.01"),
        max_value=MAX_AMOUNT,
        max_digits=12,
        decimal_places=2,
        error_messages={"min_value": above_zero},
        widget=decimal_input(),
    )


class PurchaseForm(OneTimeTokenForm):
    amount = _amount_field(_("Amount paid"))
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices, initial=Channel.STORE)
    # Shown to a manager once the amount was refused as above the program's limit.
    confirm_above_limit = forms.BooleanField(
        label=_("I confirm this amount above the program's limit"), required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["amount"].widget.attrs["autofocus"] = True


class PurchaseLineForm(forms.Form):
    sku = forms.CharField(label=_("SKU"), max_length=100, required=False)
    category = forms.CharField(label=_("Category"), max_length=100, required=False)
    quantity = PlainDecimalField(
        label=_("Quantity"),
        min_value=Decimal("0"),
        max_digits=10,
        decimal_places=3,
        required=False,
        widget=decimal_input(),
    )
    unit_price = PlainDecimalField(
        label=_("Unit price"),
        min_value=Decimal("0.00"),
        max_digits=12,
        decimal_places=2,
        required=False,
        widget=decimal_input(),
    )

    def clean(self):
        cleaned = super().clean()
        if self.is_filled() and not (cleaned.get("sku") or cleaned.get("category")):
            self.add_error("sku", _("Give the line's SKU or category."))
        return cleaned

    def is_filled(self) -> bool:
        data = self.cleaned_data if hasattr(self, "cleaned_data") else {}
        return any(data.get(name) not in (None, "") for name in self.fields)

    def item(self) -> dict:
        data = self.cleaned_data
        return {
            "sku": data.get("sku") or "",
            "category": data.get("category") or None,
            "quantity": str(data["quantity"] if data.get("quantity") is not None else 1),
            "unit_price": str(data.get("unit_price") or Decimal("0.00")),
        }


PurchaseLineFormSet = forms.formset_factory(PurchaseLineForm, extra=3, max_num=50)


def purchase_items(formset) -> list[dict]:
    return [form.item() for form in formset.forms if form.is_filled()]


class RefundForm(OneTimeTokenForm):
    purchase = forms.ChoiceField(label=_("Purchase"))
    amount = _amount_field(_("Amount refunded"), above_zero=_("Refund an amount above zero."))
    reason = forms.CharField(
        label=_("Reason"),
        max_length=500,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )

    def __init__(self, *args, purchases=(), currency_label=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["purchase"].choices = [
            (purchase.external_id, currency_label(purchase) if currency_label else str(purchase))
            for purchase in purchases
        ]


class AdjustForm(OneTimeTokenForm):
    points = forms.IntegerField(
        label=_("Points"),
        help_text=_("Positive adds points, negative takes them away (for example -50)."),
        min_value=-1_000_000_000,
        max_value=1_000_000_000,
        widget=forms.NumberInput(attrs={"inputmode": "numeric", "autofocus": True}),
    )
    reason = forms.CharField(
        label=_("Reason"),
        help_text=_("The member sees it in their activity."),
        max_length=500,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    # A blank reason is refused by the field (required, stripped), zero points by the ledger
    # (AdjustmentZero); _refused shows either at its field, as any refusal of the services.


class VoucherForm(forms.Form):
    code = forms.CharField(
        label=_("Voucher code"),
        help_text=_("Type the code or scan the voucher's QR code."),
        max_length=64,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "autocapitalize": "characters",
                "spellcheck": "false",
                "autofocus": True,
            }
        ),
    )


class VoucherConsumeForm(forms.Form):
    code = forms.CharField(max_length=64, widget=forms.HiddenInput)
    order_ref = forms.CharField(
        label=_("Receipt number (optional)"),
        max_length=100,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )


class EnrolForm(PersonFieldsMixin, forms.Form):
    """What a walk-in customer is asked at the till: the email and first name; the rest is
    optional, so that enrolling takes under a minute."""

    email = forms.EmailField(
        label=_("Email"),
        widget=forms.EmailInput(attrs={"autocomplete": "off", "autofocus": True}),
    )
    marketing_email_opt_in = forms.BooleanField(
        label=_("The customer agrees to receive offers and news by email"), required=False
    )
    marketing_sms_opt_in = forms.BooleanField(
        label=_("The customer agrees to receive offers and news by SMS"), required=False
    )

    def __init__(self, *args, language: str = "en", **kwargs):
        super().__init__(*args, **kwargs)
        self.add_person_fields(own_device=False)
        self.fields["language"].initial = language
        program = program_in_force()
        self.fields["time_zone"] = TimeZoneField(
            help_text=_("Where the customer lives, if not in the shop's time zone (%(zone)s).")
            % {"zone": program.timezone if program else "UTC"}
        )

    def enrol_values(self) -> dict:
        data = self.cleaned_data
        return {
            "email": data["email"],
            **self.person_values(),
            "time_zone": data["time_zone"],
            "marketing_email_opt_in": data["marketing_email_opt_in"],
            "marketing_sms_opt_in": data["marketing_sms_opt_in"],
        }


class BlockForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        help_text=_(
            "Staff see it on the member's page; the member is only told to contact the shop."
        ),
        max_length=500,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autofocus": True}),
    )
