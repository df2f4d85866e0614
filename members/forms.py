"""The member's own fields as forms ask for them (the birthday as three selects, the membership
questions, the time zone), shared by the portal's sign-up and profile and the console's
enrolment."""

import calendar

from django import forms
from django.utils import timezone
from django.utils.translation import get_language, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from members.birthdays import birth_year_allowed
from members.models import Language
from members.selectors import referral_code_is_known
from members.services import Birthday
from members.time_zones import (
    LIKELY_TIME_ZONES,
    known_time_zones,
    offered_time_zones,
    time_zone_choices,
    time_zone_label,
)

MONTHS = [
    (1, pgettext_lazy("month name", "January")),
    (2, pgettext_lazy("month name", "February")),
    (3, pgettext_lazy("month name", "March")),
    (4, pgettext_lazy("month name", "April")),
    (5, pgettext_lazy("month name", "May")),
    (6, pgettext_lazy("month name", "June")),
    (7, pgettext_lazy("month name", "July")),
    (8, pgettext_lazy("month name", "August")),
    (9, pgettext_lazy("month name", "September")),
    (10, pgettext_lazy("month name", "October")),
    (11, pgettext_lazy("month name", "November")),
    (12, pgettext_lazy("month name", "December")),
]


def _active_language() -> str:
    language = (get_language() or "en")[:2]
    return language if language in Language.values else Language.ENGLISH


class BirthdayMixin:
    """Day and month (both or neither), year optional; 29 February is fine without a year."""

    def clean(self):
        cleaned = super().clean()
        day, month, year = (
            cleaned.get(name) for name in ("birth_day", "birth_month", "birth_year")
        )
        if (day is None) != (month is None):
            self.add_error(
                "birth_day" if day is None else "birth_month",
                _("Give both the day and the month of your birthday, or neither."),
            )
        elif day is not None:
            leap_year = 2000
            _first, days = calendar.monthrange(year or leap_year, month)
            if day > days:
                self.add_error("birth_day", _("That month has no day %(day)s.") % {"day": day})
        if year is not None and day is None:
            self.add_error("birth_year", _("Give the day and month too, or leave the year empty."))
        elif year is not None and not birth_year_allowed(year, today=timezone.localdate()):
            # The field refuses years before 1900 itself; here, one after this year.
            self.add_error("birth_year", _("A birth year cannot be after this year."))
        return cleaned

    def birthday(self) -> Birthday | None:
        data = self.cleaned_data
        if data.get("birth_day") is None or data.get("birth_month") is None:
            return None
        return Birthday(
            day=data["birth_day"], month=data["birth_month"], year=data.get("birth_year")
        )


def birthday_fields() -> dict[str, forms.Field]:
    return {
        "birth_day": forms.TypedChoiceField(
            label=_("Day"),
            choices=[("", "—"), *[(day, str(day)) for day in range(1, 32)]],
            coerce=int,
            empty_value=None,
            required=False,
        ),
        "birth_month": forms.TypedChoiceField(
            label=_("Month"),
            choices=[("", "—"), *MONTHS],
            coerce=int,
            empty_value=None,
            required=False,
        ),
        "birth_year": forms.IntegerField(
            label=_("Year (optional)"),
            min_value=1900,
            max_value=2100,
            required=False,
            widget=forms.NumberInput(attrs={"inputmode": "numeric", "autocomplete": "bday-year"}),
        ),
    }


def person_fields(*, own_device: bool) -> dict[str, forms.Field]:
    """The person's own fields, asked the same way by the portal's profile and the console's
    enrolment. At the till the browser is the shop's, so it must not fill in (or remember) one
    customer's details for the next: `own_device=False` turns autocomplete off."""

    def attrs(token: str, **extra: str) -> dict[str, str]:
        return {"autocomplete": token if own_device else "off", **extra}

    return {
        "first_name": forms.CharField(
            label=_("First name"), max_length=150, widget=forms.TextInput(attrs=attrs("given-name"))
        ),
        "last_name": forms.CharField(
            label=_("Last name (optional)"),
            max_length=150,
            required=False,
            widget=forms.TextInput(attrs=attrs("family-name")),
        ),
        "phone": forms.RegexField(
            label=_("Mobile phone (optional)"),
            regex=r"^\+?[0-9 ().-]{6,30}$",
            required=False,
            error_messages={"invalid": _("Enter a phone number, for example +34 600 123 456.")},
            widget=forms.TextInput(attrs=attrs("tel", inputmode="tel")),
        ),
        "language": forms.ChoiceField(
            label=_("Language for our messages"), choices=Language.choices
        ),
        **birthday_fields(),
    }


class PersonFieldsMixin(BirthdayMixin):
    """A form asking for the person: `add_person_fields()` in `__init__`, `person_values()` after
    validation (names and phone stripped, the birthday as one value)."""

    def add_person_fields(self, *, own_device: bool) -> None:
        self.fields.update(person_fields(own_device=own_device))

    def person_values(self) -> dict:
        data = self.cleaned_data
        return {
            "first_name": data["first_name"].strip(),
            "last_name": data["last_name"].strip(),
            "phone": data["phone"].strip(),
            "birthday": self.birthday(),
            "language": data["language"],
        }


class MembershipFieldsMixin(BirthdayMixin):
    """What joining the program asks, besides the account itself."""

    def add_membership_fields(self) -> None:
        self.fields["first_name"] = person_fields(own_device=True)["first_name"]
        self.fields.update(birthday_fields())
        # Not required: a form posted without it (an older client) gets the page's language.
        self.fields["language"] = forms.ChoiceField(
            label=_("Language for our messages"),
            choices=Language.choices,
            initial=_active_language(),
            required=False,
        )
        self.fields["marketing_email_opt_in"] = forms.BooleanField(
            label=_("Send me offers and news by email"), required=False, initial=False
        )
        self.fields["marketing_sms_opt_in"] = forms.BooleanField(
            label=_("Send me offers and news by SMS"), required=False, initial=False
        )
        self.fields["referral_code"] = forms.CharField(
            label=_("Referral code (optional)"),
            help_text=_("Did a friend invite you? Their code gives you both a welcome gift."),
            max_length=16,
            required=False,
            widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
        )

    def clean_referral_code(self) -> str:
        code = (self.cleaned_data.get("referral_code") or "").strip().upper()
        if code and not referral_code_is_known(code=code):
            raise forms.ValidationError(
                _(
                    "We do not know this referral code. Check it with your friend, "
                    "or leave it empty."
                )
            )
        return code

    def membership_values(self) -> dict:
        data = self.cleaned_data
        return {
            "first_name": data["first_name"].strip(),
            "birthday": self.birthday(),
            "language": data["language"] or _active_language(),
            "marketing_email_opt_in": data["marketing_email_opt_in"],
            "marketing_sms_opt_in": data["marketing_sms_opt_in"],
            "referral_code": data["referral_code"],
        }


class TimeZoneField(forms.ChoiceField):
    """The member's time zone as a select: first "the shop's" (blank: they follow the program's
    zone, whatever it becomes), then the likely zones of a Spanish or French shop, then all.
    Members knows nothing of the program: the form using it names the shop's zone in its help
    (the select's first option stays short enough for a phone).

    Any name zoneinfo knows is valid, and `current` (a zone the select does not list, such as an
    old alias a member was imported with) is offered too, so that saving the form keeps it."""

    def __init__(self, *, current: str = "", **kwargs):
        kwargs.setdefault("label", _("Time zone"))
        kwargs.setdefault("required", False)
        choices = time_zone_choices(default_label=_("Same as the shop"))
        likely = {name for name, _label in LIKELY_TIME_ZONES}
        if current and current not in likely and current not in offered_time_zones():
            choices.insert(1, (current, time_zone_label(current)))
        super().__init__(choices=choices, **kwargs)

    def valid_value(self, value) -> bool:
        return value == "" or value in known_time_zones()
