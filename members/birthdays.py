"""A member's birthday as integrators and import files write it: `YYYY-MM-DD`, or `--MM-DD`
when the member keeps the year to themselves. One reader for the API and the member import, and
the schema's pattern of exactly the same texts. And when a birthday falls in a given year, and
whether its gift is due (CAMPAIGNS.md, Automations: birthday)."""

import calendar
import datetime
import re
from dataclasses import dataclass

EARLIEST_YEAR = 1900
_TEXT = re.compile(r"(?:(?P<year>[0-9]{4})|-)-(?P<month>[0-9]{2})-(?P<day>[0-9]{2})")


@dataclass(frozen=True)
class Birthday:
    day: int
    month: int
    year: int | None = None


class BirthDateInvalid(ValueError):
    """`reason` is "format" (not YYYY-MM-DD or --MM-DD), "date" (no such day) or "year"
    (before 1900 or after this year)."""

    def __init__(self, text: str, reason: str):
        super().__init__(f"{text!r}: {reason}")
        self.text = text
        self.reason = reason


def birth_date_parse(text: str, *, today: datetime.date) -> Birthday:
    match = _TEXT.fullmatch(text)
    if not match:
        raise BirthDateInvalid(text, "format")
    year = int(match["year"]) if match["year"] else None
    month, day = int(match["month"]), int(match["day"])
    try:
        datetime.date(year or 2000, month, day)  # 2000 is a leap year: --02-29 is a birthday
    except ValueError:
        raise BirthDateInvalid(text, "date") from None
    if year is not None and not birth_year_allowed(year, today=today):
        raise BirthDateInvalid(text, "year")
    return Birthday(day=day, month=month, year=year)


def birth_year_allowed(year: int, *, today: datetime.date) -> bool:
    """A birth year from 1900 to this year: what the API, the imports and the forms take."""
    return EARLIEST_YEAR <= year <= today.year


def birth_date_pattern(this_year: int) -> str:
    """The regular expression (JSON Schema's dialect) of exactly the texts birth_date_parse takes
    in `this_year`: a real date from 1900 to this year, or a real day of a year without one
    (29 February included)."""
    days = {31: "(?:0[1-9]|[12][0-9]|3[01])", 30: "(?:0[1-9]|[12][0-9]|30)"}
    month_days = "|".join(
        [
            f"(?:0[13578]|1[02])-{days[31]}",
            f"(?:0[469]|11)-{days[30]}",
            "02-(?:0[1-9]|1[0-9]|2[0-8])",
        ]
    )
    decades = [f"{decade}[0-9]" for decade in range(EARLIEST_YEAR // 10, this_year // 10)]
    years = "|".join([*decades, f"{this_year // 10}[0-{this_year % 10}]"])
    leap = "|".join(
        str(year)
        for year in range(EARLIEST_YEAR, this_year + 1)
        if year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    )
    return f"^(?:(?:{years})-(?:{month_days})|(?:{leap})-02-29|--(?:{month_days}|02-29))$"


# A birthday set or changed less than this before it counts from the next year (CAMPAIGNS.md):
# nobody earns a gift by moving their birthday to next week.
BIRTHDAY_NOTICE = datetime.timedelta(days=30)


def birthday_in(*, month: int, day: int, year: int) -> datetime.date:
    """The day a birthday of `day`/`month` is kept in `year`: that day, or 28 February for a
    29 February birthday in a year without one."""
    if (month, day) == (2, 29) and not calendar.isleap(year):
        return datetime.date(year, 2, 28)
    return datetime.date(year, month, day)


def birthday_gift_year(
    *, month: int, day: int, today: datetime.date, changed_on: datetime.date | None
) -> int | None:
    """The year whose birthday gift is due on `today` (the member's local date), or None: due
    on the day the birthday is kept that year (`birthday_in`), unless the birthday was set or
    changed (`changed_on`, the member's local date; None when it never changed since before
    any gift mattered) less than 30 days before it. The year is the gift's once-key."""
    kept = birthday_in(month=month, day=day, year=today.year)
    if kept != today:
        return None
    if changed_on is not None and changed_on > kept - BIRTHDAY_NOTICE:
        return None
    return today.year
