"""Members' time zones: which names are known, how a typed one is read, and how they are offered.

A member's `time_zone` is an IANA name, or blank for "the program's": a member who never chose
one follows the program's `timezone`, including when the shop changes it. Which zone is in force
for a member is loyalty's to say (loyalty.selectors.members.member_time_zone), since the program
is loyalty's; this module only knows the names.
"""

from __future__ import annotations

import zoneinfo
from functools import cache

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from config.domain import DomainError

TIME_ZONE_MAX_LENGTH = 64

# The zones a Spanish or French shop's members most likely live in, offered first, with a name a
# person recognises; every other zone follows under its IANA name.
LIKELY_TIME_ZONES = (
    ("Europe/Madrid", _("Spain (mainland and Balearic Islands)")),
    ("Atlantic/Canary", _("Canary Islands")),
    ("Europe/Paris", _("France (metropolitan)")),
    ("Europe/Brussels", _("Belgium")),
    ("Europe/Luxembourg", _("Luxembourg")),
    ("Europe/Zurich", _("Switzerland")),
    ("Europe/Andorra", _("Andorra")),
    ("Europe/Lisbon", _("Portugal (mainland)")),
    ("Europe/London", _("United Kingdom")),
    ("America/Guadeloupe", _("Guadeloupe")),
    ("America/Martinique", _("Martinique")),
    ("America/Cayenne", _("French Guiana")),
    ("Indian/Reunion", _("Réunion")),
)

# The regions of the canonical IANA names; the rest (US/Pacific, EST5EDT, Etc/GMT+3, ...) are
# old aliases, still accepted when typed but not offered.
_REGIONS = (
    "Africa",
    "America",
    "Antarctica",
    "Arctic",
    "Asia",
    "Atlantic",
    "Australia",
    "Europe",
    "Indian",
    "Pacific",
)


class UnknownTimeZone(DomainError):
    code = "time_zone_unknown"
    field = "time_zone"
    template = _(
        "“%(time_zone)s” is not a time zone we know. Give an IANA name, such as Europe/Madrid."
    )

    def __init__(self, time_zone: str):
        super().__init__(time_zone=time_zone)


@cache
def known_time_zones() -> frozenset[str]:
    """Every name zoneinfo can load here (the same list the program file accepts)."""
    return frozenset(zoneinfo.available_timezones()) | {"UTC"}


@cache
def _by_folded_name() -> dict[str, str]:
    return {name.casefold(): name for name in known_time_zones()}


def time_zone_clean(value: str | None) -> str:
    """The IANA name `value` means, spelled as IANA spells it (a CSV's `europe/madrid` is
    Europe/Madrid), or "" for none (the program's). Raises UnknownTimeZone for anything else."""
    text = (value or "").strip()
    if not text:
        return ""
    if text in known_time_zones():
        return text
    name = _by_folded_name().get(text.casefold())
    if name is None:
        raise UnknownTimeZone(text)
    return name


def time_zone_validate(value: str) -> None:
    """The model field's validator (admin and model forms): blank or exactly an IANA name."""
    if value and value not in known_time_zones():
        raise ValidationError(UnknownTimeZone(value).message(), code=UnknownTimeZone.code)


@cache
def offered_time_zones() -> tuple[str, ...]:
    """The zones a select lists after the likely ones: the canonical names, sorted."""
    likely = {name for name, _label in LIKELY_TIME_ZONES}
    return tuple(
        sorted(
            name
            for name in known_time_zones()
            if name.split("/", 1)[0] in _REGIONS and "/" in name and name not in likely
        )
    )


def time_zone_label(name: str) -> str:
    """What a person reads for `name`: the likely zones by their country, others by their IANA
    name with spaces (America/Argentina/Buenos Aires)."""
    for likely, label in LIKELY_TIME_ZONES:
        if likely == name:
            return str(label)
    return name.replace("_", " ")


def time_zone_choices(*, default_label: str) -> list:
    """Choices for a select of time zones: the program's first (blank, labelled `default_label`),
    then the likely zones, then all. Built per call so that labels are in the reader's language."""
    return [
        ("", default_label),
        (_("Most likely"), [(name, time_zone_label(name)) for name, _label in LIKELY_TIME_ZONES]),
        (_("All time zones"), [(name, time_zone_label(name)) for name in offered_time_zones()]),
    ]
