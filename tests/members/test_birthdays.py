import datetime
import re

import pytest

from members.birthdays import BirthDateInvalid, Birthday, birth_date_parse, birth_date_pattern

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
