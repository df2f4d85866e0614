"""Formatting for the member portal, in the active language (grouping, decimal separator,
currency sign), so templates never format numbers by hand."""

from django import template

from loyalty.explanations import money_text, points_text
from loyalty.money import DEFAULT_CURRENCY

register = template.Library()


@register.filter
def points(value) -> str:
    """1234 → "1,234" (en) or "1 234" (es, fr)."""
    if value in (None, ""):
        return ""
    return points_text(value)


@register.filter
def signed_points(value) -> str:
    """ "+120", or a true minus sign before a debit (screen readers read it as "minus")."""
    value = int(value)
    text = points_text(abs(value))
    if value > 0:
        return f"+{text}"
    if value < 0:
        return f"\N{MINUS SIGN}{text}"
    return text


@register.filter
def money(value, currency: str = DEFAULT_CURRENCY) -> str:
    if value in (None, ""):
        return ""
    return money_text(value, currency)
