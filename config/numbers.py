"""Numbers as a person reads them, in the active language's format, rounded to the places shown
(half away from zero). Django's `number_format` cuts the digits it does not show instead:
3.3985 with two places would read 3,39 where 3,40 is meant."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.utils import formats


def number_text(value, places: int = 0, *, grouping: bool = True) -> str:
    rounded = Decimal(str(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
    return formats.number_format(rounded, places, force_grouping=grouping)
