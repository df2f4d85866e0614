import datetime
import re

import pytest

from members.birthdays import (
    BirthDateInvalid,
    Birthday,
    birth_date_parse,
    birth_date_pattern,
    birthday_gift_year,
    birthday_in,
)

TODAY = datetime.date(2026, 12, 2)


def _takes(text: str) -> bool:
    try:
        birth_date_parse(text, today=TODAY)
    except BirthDateInvalid:
        return False
    return True


def test_the_pattern_matches_exactly_the_texts_the_parser_takes():
    """Every year from 1890 to next year, every month 00-13 and day 00-32, with and without the
    year: the schema's pattern and the reader agree on each."""
    pattern = re.compile(birth_date_pattern(TODAY.year))
    years = [f"{year:04d}" for year in range(1890, TODAY.year + 2)] + ["-"]
    for year in years:
        for month in range(14):
            for day in range(33):
                text = f"{year}-{month:02d}-{day:02d}"
                assert bool(pattern.match(text)) is _takes(text), text


@pytest.mark.parametrize(
    ("text", "reason"),
    [("1990-5-17", "format"), ("1990-02-30", "date"), ("1899-12-31", "year"), ("", "format")],
)
def test_each_refusal_says_why(text, reason):
    with pytest.raises(BirthDateInvalid) as refused:
        birth_date_parse(text, today=TODAY)
    assert refused.value.reason == reason


def test_a_birthday_without_a_year_may_be_the_29th_of_february():
    assert birth_date_parse("--02-29", today=TODAY) == Birthday(day=29, month=2, year=None)


D = datetime.date


@pytest.mark.parametrize(
    ("month", "day", "year", "kept"),
    [
        (2, 29, 2028, D(2028, 2, 29)),  # a leap year has it
        (2, 29, 2027, D(2027, 2, 28)),  # others keep it on the 28th
        (2, 29, 2100, D(2100, 2, 28)),  # divisible by 100, not by 400: no 29 February
        (2, 29, 2000, D(2000, 2, 29)),  # divisible by 400: a leap year
        (2, 28, 2028, D(2028, 2, 28)),
        (12, 31, 2026, D(2026, 12, 31)),
    ],
)
def test_a_birthday_is_kept_on_its_day_and_29_february_on_the_28th_in_other_years(
    month, day, year, kept
):
    assert birthday_in(month=month, day=day, year=year) == kept


@pytest.mark.parametrize(
    ("month", "day", "today", "changed_on", "due"),
    [
        (6, 15, D(2027, 6, 15), None, 2027),
        (6, 15, D(2027, 6, 14), None, None),  # the day before: not yet
        (6, 15, D(2027, 6, 16), None, None),  # the day after: not again
        (2, 29, D(2027, 2, 28), None, 2027),
        (2, 29, D(2028, 2, 28), None, None),  # a leap year keeps the 29th
        (2, 29, D(2028, 2, 29), None, 2028),
        # Set or changed less than 30 days before it: from next year on.
        (6, 15, D(2027, 6, 15), D(2027, 5, 17), None),  # 29 days before
        (6, 15, D(2027, 6, 15), D(2027, 6, 15), None),  # on the day itself
        (6, 15, D(2027, 6, 15), D(2027, 5, 16), 2027),  # 30 days before: counts
        (6, 15, D(2028, 6, 15), D(2027, 6, 1), 2028),  # changed late last year: counts now
        (1, 10, D(2027, 1, 10), D(2026, 12, 20), None),  # 21 days before, across New Year
        (2, 29, D(2027, 2, 28), D(2027, 1, 30), None),  # 29 days before the 28th it is kept on
    ],
)
def test_the_birthday_gift_is_due_once_a_year_unless_the_birthday_just_changed(
    month, day, today, changed_on, due
):
    assert birthday_gift_year(month=month, day=day, today=today, changed_on=changed_on) == due
