"""Figures are rounded to the places they are shown with, never cut (Django's number_format
cuts): the analytics' ratios, money and the simulator's percentages."""

from decimal import Decimal

import pytest
from django.utils import translation

from config.numbers import number_text
from console.analytics_text import RATIO, figure_text
from loyalty.money import money_text


@pytest.mark.parametrize(
    ("language", "value", "places", "expected"),
    [
        ("es", Decimal("3.3985"), 2, "3,40"),
        ("fr", Decimal("2.7099"), 2, "2,71"),
        ("en", Decimal("2.7049"), 2, "2.70"),
        ("en", Decimal("-1.005"), 2, "-1.01"),  # half away from zero
        ("es", 1234567, 0, "1\N{NO-BREAK SPACE}234\N{NO-BREAK SPACE}567"),
        ("en", 12.5, 0, "13"),
    ],
)
def test_number_text_rounds_to_the_places_shown(language, value, places, expected):
    with translation.override(language):
        assert number_text(value, places) == expected


def test_a_ratio_and_an_amount_read_rounded():
    with translation.override("es"):
        assert figure_text(Decimal("3.3985"), RATIO) == "3,40"  # 452 purchases / 133 members
        assert money_text(Decimal("12.345"), "EUR") == "12,35\N{NO-BREAK SPACE}€"
    with translation.override("en"):
        assert money_text(Decimal("0.999"), "EUR") == "€1.00"
