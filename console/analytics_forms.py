"""The analytics pages' period picker: `?from=YYYY-MM-DD&to=YYYY-MM-DD`, the dates `[from, to)`
in the program's time zone (ANALYTICS.md), as the API reads them, and the presets the page links
to. Without either date the period is the last 30 days ending today."""

from __future__ import annotations

import calendar
import datetime

from django import forms
from django.utils.translation import gettext_lazy as _

from analytics.figures import Period

# As the API (campaigns.api.analytics): ten years of figures is already a long read.
MAX_PERIOD_DAYS = 3700
EARLIEST = datetime.date(1900, 1, 1)
LATEST = datetime.date(2999, 12, 31)
DEFAULT_DAYS = 30

LAST_30_DAYS = "last-30-days"
THIS_MONTH = "this-month"
LAST_MONTH = "last-month"
THIS_YEAR = "this-year"
LAST_12_MONTHS = "last-12-months"
PRESET_NAMES = {
    LAST_30_DAYS: _("Last 30 days"),
    THIS_MONTH: _("This month"),
    LAST_MONTH: _("Last month"),
    THIS_YEAR: _("This year"),
    LAST_12_MONTHS: _("Last 12 months"),
}


def _months_before(day: datetime.date, months: int) -> datetime.date:
    index = day.year * 12 + day.month - 1 - months
    return datetime.date(index // 12, index % 12 + 1, 1)


def preset_period(name: str, today: datetime.date) -> Period:
    """The preset's period; the ones that include today end with it (tomorrow excluded), so
    that the previous period they are compared with is as long."""
    tomorrow = today + datetime.timedelta(days=1)
    if name == THIS_MONTH:
        return Period(today.replace(day=1), tomorrow)
    if name == LAST_MONTH:
        first = today.replace(day=1)
        return Period(_months_before(first, 1), first)
    if name == THIS_YEAR:
        return Period(today.replace(month=1, day=1), tomorrow)
    if name == LAST_12_MONTHS:
        month = _months_before(tomorrow, 12)
        day = min(tomorrow.day, calendar.monthrange(month.year, month.month)[1])
        return Period(month.replace(day=day), tomorrow)
    return Period(tomorrow - datetime.timedelta(days=DEFAULT_DAYS), tomorrow)


def presets(today: datetime.date) -> list[tuple[str, str, Period]]:
    """(name, label, period) of every preset, in the order the page offers them."""
    return [(name, str(label), preset_period(name, today)) for name, label in PRESET_NAMES.items()]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self):
        super().__init__(format="%Y-%m-%d")


class PeriodForm(forms.Form):
    """Bound to the query string (or to the default period when it names neither date)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # `from` is a Python keyword: the fields are named here.
        self.fields["from"] = forms.DateField(
            label=_("From"), widget=DateInput(), input_formats=["%Y-%m-%d"]
        )
        self.fields["to"] = forms.DateField(
            label=_("To (not included)"),
            widget=DateInput(),
            input_formats=["%Y-%m-%d"],
            help_text=_(
                "The period ends the day before: from 1 November to 1 December is November."
            ),
        )

    @classmethod
    def for_query(cls, query, *, today: datetime.date) -> PeriodForm:
        if not query.get("from") and not query.get("to"):
            default = preset_period(LAST_30_DAYS, today)
            query = {"from": default.start.isoformat(), "to": default.end.isoformat()}
        return cls({"from": query.get("from", ""), "to": query.get("to", "")})

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("from"), cleaned.get("to")
        for name, day in (("from", start), ("to", end)):
            if day is not None and not EARLIEST <= day <= LATEST:
                self.add_error(
                    name,
                    _("Choose a date between %(first)s and %(last)s.")
                    % {"first": EARLIEST.year, "last": LATEST.year},
                )
                return cleaned
        if start is None or end is None:
            return cleaned
        if end <= start:
            self.add_error("to", _("The period must end after it starts."))
        elif (end - start).days > MAX_PERIOD_DAYS:
            self.add_error(
                "to", _("A period is at most %(days)s days.") % {"days": MAX_PERIOD_DAYS}
            )
        return cleaned

    @property
    def period(self) -> Period:
        """Only once the form is valid."""
        return Period(self.cleaned_data["from"], self.cleaned_data["to"])
