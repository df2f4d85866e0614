"""Names staff read in their own language on the console's pages."""

from django import template
from django.utils.translation import get_language

register = template.Library()


@register.filter
def localized_name(thing) -> str:
    """A segment's (or anything with `localized_name(language)`) name in the active language;
    "—" for none, so a campaign without a segment still reads."""
    if thing is None:
        return "—"
    return thing.localized_name((get_language() or "en")[:2])
