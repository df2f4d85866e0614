"""How the analytics pages write a figure, in the reader's language: counts and points grouped
("1.234" in Spanish, "1 234" in French, "1,234" in English), money by loyalty.money.money_text,
rates as percentages ("12,5 %" in Spanish and French, "12.5%" in English), and "—" for a figure
that cannot be computed (a rate over nothing). The change from the previous period is relative
for counts and money ("+12,5 %") and in percentage points for rates ("+2,1 pp")."""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext as _

from config.numbers import number_text
from loyalty.money import money_text

COUNT = "count"
POINTS = "points"
MONEY = "money"
RATE = "rate"
RATIO = "ratio"
SCORE = "score"
DASH = "—"
MINUS = "\N{MINUS SIGN}"


def percent_text(fraction, places: int = 1) -> str:
    """A fraction (0.125) as a percentage ("12,5 %")."""
    if fraction is None:
        return DASH
    percent = (Decimal(str(fraction)) * 100).quantize(Decimal(1).scaleb(-places))
    return _signed(percent, lambda number: _("%(percent)s%%") % {"percent": number}, places)


def _signed(value: Decimal, write, places: int, *, plus: bool = False) -> str:
    """`write` of |value| with a true minus sign (screen readers read it), "+" when asked."""
    text = write(number_text(abs(value), places))
    if value < 0:
        return MINUS + text
    if plus and value > 0:
        return "+" + text
    return text


def figure_text(value, kind: str, currency: str = "") -> str:
    if value is None:
        return DASH
    if kind == MONEY:
        return money_text(value, currency)
    if kind == RATE:
        return percent_text(value)
    if kind == RATIO:
        return number_text(Decimal(str(value)), 2)
    if kind == SCORE:
        return _signed(Decimal(value), str, 0)
    return _signed(Decimal(int(value)), str, 0)


def difference(value, previous) -> Decimal | None:
    """value - previous, None when either is missing."""
    if value is None or previous is None:
        return None
    return Decimal(str(value)) - Decimal(str(previous))


def relative_change(value, previous) -> Decimal | None:
    """(value - previous) / previous, None when there was nothing to compare with."""
    if value is None or not previous:
        return None
    return ((Decimal(str(value)) - Decimal(str(previous))) / abs(Decimal(str(previous)))).quantize(
        Decimal("0.0001")
    )


def change_text(value, previous, kind: str) -> str:
    """The change from `previous` to `value`, as the page writes it."""
    if kind == RATE:
        change = difference(value, previous)
        if change is None:
            return DASH
        points = (change * 100).quantize(Decimal("0.1"))
        return _signed(points, lambda number: _("%(points)s pp") % {"points": number}, 1, plus=True)
    if kind == SCORE:
        change = difference(value, previous)
        return DASH if change is None else _signed(change, str, 0, plus=True)
    return signed_percent_text(relative_change(value, previous))


def signed_percent_text(fraction) -> str:
    """A fraction as a percentage with its sign ("+12,5 %", or a minus sign before a fall)."""
    if fraction is None:
        return DASH
    percent = (Decimal(str(fraction)) * 100).quantize(Decimal("0.1"))
    return _signed(percent, lambda number: _("%(percent)s%%") % {"percent": number}, 1, plus=True)
