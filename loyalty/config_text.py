# ruff: noqa: RUF001, RUF002 - the multiplication sign is what a shop owner reads.
"""The program's configuration in the words a shop owner reads, in the active language: what a
rule kind, an event or a reward kind is called, a rule summed up in one line ("1 point for every
€1.00 spent"), and each value as money, points, a percentage, a date or a list of days.

Money goes through loyalty.money.money_text and numbers through loyalty.explanations, like the
member's pages, so the admin writes "500,00 €" in Spanish and French and "€500.00" in English.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from decimal import Decimal

from django.conf import settings
from django.utils import formats
from django.utils.dates import WEEKDAYS as DAY_NAMES
from django.utils.translation import get_language, gettext_lazy, ngettext, pgettext_lazy
from django.utils.translation import gettext as _

from config.languages import localized
from loyalty import definition as pd
from loyalty.benefits import benefit_label
from loyalty.explanations import decimal_text, points_text
from loyalty.money import money_text

RULE_KIND_LABELS = {
    pd.PER_CURRENCY_UNIT: gettext_lazy("Points for every amount spent"),
    pd.PER_ITEM: gettext_lazy("Points for each item bought"),
    pd.CATEGORY_MULTIPLIER: gettext_lazy("More points on a category or a product"),
    pd.SPEND_THRESHOLD_BONUS: gettext_lazy("Bonus for a purchase of at least an amount"),
    pd.PROMO_MULTIPLIER: gettext_lazy("Promotion: points multiplied"),
    pd.EVENT_BONUS: gettext_lazy("Bonus for an event (joining, birthday, inviting a friend…)"),
}

EVENT_LABELS = {
    "signup": gettext_lazy("Joining the program"),
    "birthday": pgettext_lazy("event", "Birthday"),
    "referral": gettext_lazy("Inviting a friend who joins"),
    "survey_answered": gettext_lazy("Answering a survey"),
    "profile_completed": gettext_lazy("Completing the profile"),
}

REWARD_KIND_LABELS = {
    "percent_discount": gettext_lazy("Percentage off"),
    "fixed_discount": gettext_lazy("Amount off"),
    "cashback": gettext_lazy("Credit"),
    "free_product": gettext_lazy("Free product"),
    "event": pgettext_lazy("reward kind", "Seat at an event"),
}

ROUNDING_LABELS = {
    "floor": pgettext_lazy("rounding", "down"),
    "round": pgettext_lazy("rounding", "to the nearest point"),
    "ceil": pgettext_lazy("rounding", "up"),
}

EXPIRY_POLICY_LABELS = {
    "none": gettext_lazy("points never expire"),
    "rolling": gettext_lazy("points expire a set time after they are earned"),
    "inactivity": gettext_lazy("points expire after a time without purchases"),
}

QUALIFICATION_METRIC_LABELS = {
    "spend": gettext_lazy("amount spent"),
    "points": gettext_lazy("points earned"),
}

# How a rule's channel reads inside a sentence ("… on Tuesday, in store").
CHANNEL_PHRASES = {
    "store": gettext_lazy("in store"),
    "online": gettext_lazy("online"),
    "app": gettext_lazy("in the app"),
}


def language() -> str:
    return (get_language() or pd.DEFAULT_NAME_LANGUAGE)[:2]


def label_of(labels: Mapping[str, object], code: str | None) -> str:
    """The words for `code` in `labels`; an unknown code reads as itself, without underscores."""
    if not code:
        return ""
    found = labels.get(code)
    return str(found) if found is not None else code.replace("_", " ")


# The portal's own formatter (€12.50 in English, 12,50 € in Spanish and French).
money = money_text


def points(value) -> str:
    return ngettext("%(count)s point", "%(count)s points", int(value)) % {
        "count": points_text(value)
    }


def number(value) -> str:
    return decimal_text(value)


def percent(value) -> str:
    return _("%(percent)s%%") % {"percent": decimal_text(value)}


def days(value) -> str:
    return ngettext("%(count)s day", "%(count)s days", int(value)) % {"count": value}


def months(value) -> str:
    return ngettext("%(count)s month", "%(count)s months", int(value)) % {"count": value}


def date(value: datetime.date) -> str:
    return formats.date_format(value, "DATE_FORMAT")


def weekdays(codes) -> str:
    return ", ".join(str(DAY_NAMES[pd.WEEKDAYS.index(code)]) for code in codes)


def channels(codes) -> str:
    return ", ".join(label_of(CHANNEL_PHRASES, code) for code in codes)


def benefits(codes) -> str:
    """The benefits as they read inside a sentence ("free shipping on online orders")."""
    labels = (benefit_label(code) for code in codes)
    return "; ".join(label[:1].lower() + label[1:] for label in labels)


def language_name(code: str) -> str:
    return label_of(dict(settings.LANGUAGES), code)


def names(value: Mapping[str, str] | str | None) -> str:
    """A name given per language, in the active language (falling back like members read it)."""
    if isinstance(value, Mapping):
        return localized(value, language(), "")
    return value or ""


def threshold(value, *, metric: str, currency: str) -> str:
    """A tier's threshold: money when tiers are earned by spending, points otherwise."""
    if metric == "points":
        return points(value)
    return money(value, currency)


def point_value(value, currency: str) -> str:
    """The money one point is worth: as money when it is a whole number of cents (€0.01), else
    the exact figure with the currency (a point may be worth 0.005 EUR)."""
    value = Decimal(value)
    if value == value.quantize(Decimal("0.01")):
        return money(value, currency)
    return f"{decimal_text(value)}\N{NO-BREAK SPACE}{currency}"


def rule_summary(rule, *, currency: str, category_names: Mapping[str, str] | None = None) -> str:
    """What the rule gives, in one line, with its conditions: "2 points for every €1.00 spent",
    "Points × 2 on Wine (from 1 December 2026 to 31 December 2026, on Tuesday, in store)".
    `rule` is an EarningRule row or a RuleDefinition (the same attributes)."""
    category_names = category_names or {}
    summary = _rule_gives(rule, currency, category_names)
    conditions = rule_conditions(rule)
    if conditions:
        return f"{summary} ({', '.join(conditions)})"
    return summary


def _rule_gives(rule, currency: str, category_names: Mapping[str, str]) -> str:
    kind = rule.kind
    count = rule.points or 0
    what = category_names.get(rule.category, rule.category) if rule.category else ""
    multiplier = decimal_text(rule.multiplier) if rule.multiplier is not None else "?"
    if kind == pd.PER_CURRENCY_UNIT:
        return ngettext(
            "%(points)s point for every %(per)s spent",
            "%(points)s points for every %(per)s spent",
            count,
        ) % {
            "points": points_text(count),
            "per": money(rule.per, currency) if rule.per is not None else "?",
        }
    if kind == pd.PER_ITEM and what:
        return ngettext(
            "%(points)s point for each item of %(what)s",
            "%(points)s points for each item of %(what)s",
            count,
        ) % {"points": points_text(count), "what": what}
    if kind == pd.PER_ITEM and rule.sku:
        return ngettext(
            "%(points)s point for each %(sku)s bought",
            "%(points)s points for each %(sku)s bought",
            count,
        ) % {"points": points_text(count), "sku": rule.sku}
    if kind == pd.PER_ITEM:
        return ngettext(
            "%(points)s point for each item", "%(points)s points for each item", count
        ) % {"points": points_text(count)}
    if kind == pd.CATEGORY_MULTIPLIER and rule.sku and not what:
        return _("Points × %(multiplier)s on the product %(sku)s") % {
            "multiplier": multiplier,
            "sku": rule.sku,
        }
    if kind == pd.CATEGORY_MULTIPLIER:
        return _("Points × %(multiplier)s on %(what)s") % {"multiplier": multiplier, "what": what}
    if kind == pd.SPEND_THRESHOLD_BONUS:
        return ngettext(
            "%(points)s bonus point for a purchase of %(amount)s or more",
            "%(points)s bonus points for a purchase of %(amount)s or more",
            count,
        ) % {
            "points": points_text(count),
            "amount": money(rule.min_amount, currency) if rule.min_amount is not None else "?",
        }
    if kind == pd.PROMO_MULTIPLIER:
        return _("Points × %(multiplier)s") % {"multiplier": multiplier}
    if kind == pd.EVENT_BONUS:
        text = _("%(event)s: %(points)s") % {
            "event": label_of(EVENT_LABELS, rule.event),
            "points": points(count),
        }
        if rule.referee_points:
            text = _("%(summary)s, and %(points)s for the friend") % {
                "summary": text,
                "points": points(rule.referee_points),
            }
        return text
    return label_of(RULE_KIND_LABELS, kind)


def rule_conditions(rule) -> list[str]:
    """The rule's window, days and channels as phrases ("from 1 December 2026", "on Tuesday")."""
    phrases = []
    if rule.starts and rule.ends:
        phrases.append(
            _("from %(first)s to %(last)s") % {"first": date(rule.starts), "last": date(rule.ends)}
        )
    elif rule.starts:
        phrases.append(_("from %(first)s") % {"first": date(rule.starts)})
    elif rule.ends:
        phrases.append(_("until %(last)s") % {"last": date(rule.ends)})
    if rule.weekdays:
        phrases.append(_("on %(days)s") % {"days": weekdays(rule.weekdays)})
    if rule.channels:
        phrases.append(channels(rule.channels))
    if getattr(rule, "monthly_cap", None):
        phrases.append(
            ngettext(
                "at most %(count)s time a month",
                "at most %(count)s times a month",
                rule.monthly_cap,
            )
            % {"count": rule.monthly_cap}
        )
    return phrases
