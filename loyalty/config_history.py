# ruff: noqa: RUF001 - the multiplication sign is what a shop owner reads.
"""The change history of the program's configuration, read from the published versions, as
sentences in the active language.

Every save of the program, a tier, a rule or a reward (admin, `program import`) publishes a
`ProgramVersion` with who made it, when, the whole program as it then was (the snapshot) and its
changes as lines for the file's readers (loyalty.program_diff: `tier changed: gold: threshold
"500" -> "600"`). The admin shows a shop owner sentences instead ("Tier “Gold”: the threshold
changed from €500.00 to €600.00."): they are worked out here from the snapshots of a version and
of the one before it, so nothing new is stored and old versions read the same way. The stored
lines only pick which versions concern an object, cheaply, before any snapshot is read.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from django.utils import formats
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext_lazy

from loyalty import config_text as words
from loyalty.definition import ProgramDefinition
from loyalty.models import ProgramVersion
from loyalty.program_file import ProgramInvalid

_PROGRAM_PREFIXES = ("program.", "tiers.qualification.", "new program", "category ")


@dataclass(frozen=True)
class ConfigChange:
    number: int
    at: object
    by: str
    note: str
    lines: list[str]  # sentences, in the active language


@dataclass(frozen=True)
class Change:
    """One difference between two programs. `section` is "program" (a setting, or the program's
    creation), "category", "tier", "rule" or "reward"; `code` the setting's or the item's code;
    `key` the item's field that changed; for "reordered", `after` is the new order of codes."""

    section: str
    action: str  # created | changed | added | removed | reordered
    code: str = ""
    key: str = ""
    before: Any = None
    after: Any = None


def config_history(*, label: str | None, code: str = "") -> list[ConfigChange]:
    """Changes to one tier, rule or reward (`label` "tier", "rule", "reward" and its code), or to
    the program's settings and categories (`label` None), newest first."""
    versions = list(ProgramVersion.objects.select_related("created_by").order_by("-number"))
    history = []
    for index, version in enumerate(versions):
        if not any(_is_about(line, label, code) for line in version.changes):
            continue
        previous = versions[index + 1] if index + 1 < len(versions) else None
        lines = version_sentences(version, previous, label=label, code=code, filtered=True)
        if lines:
            by = version.created_by.email if version.created_by else ""
            history.append(
                ConfigChange(version.number, version.created_at, by, version.note, lines)
            )
    return history


def version_sentences(
    version: ProgramVersion,
    previous: ProgramVersion | None,
    *,
    label: str | None = None,
    code: str = "",
    filtered: bool = False,
) -> list[str]:
    """What `version` changed since `previous` (None: it is the first), as sentences; only the
    changes about `label`/`code` (see config_history) when `filtered`. A snapshot the validator
    no longer reads gives the stored lines instead."""
    try:
        old = previous.definition if previous is not None else None
        new = version.definition
    except ProgramInvalid:
        lines = version.changes
        return [line for line in lines if _is_about(line, label, code)] if filtered else lines
    changes = program_change_list(old=old, new=new)
    if filtered:
        changes = [change for change in changes if _concerns(change, label, code)]
    return [change_sentence(change, old=old, new=new) for change in changes]


def _is_about(line: str, label: str | None, code: str) -> bool:
    if label is None:
        return line.startswith(_PROGRAM_PREFIXES)
    return (
        line.startswith(f"{label} added: {code} ")
        or line == f"{label} removed: {code}"
        or line.startswith(f"{label} changed: {code}:")
        or (line.startswith(f"{label}s reordered: ") and code in line.split(": ", 1)[1].split(", "))
    )


def _concerns(change: Change, label: str | None, code: str) -> bool:
    if label is None:
        return change.section in ("program", "category")
    if change.section != label:
        return False
    return code in change.after if change.action == "reordered" else change.code == code


# --- The differences -------------------------------------------------------------------------

_SETTINGS = {
    "name": lambda d: d.name,
    "currency": lambda d: d.currency,
    "timezone": lambda d: d.timezone,
    "language": lambda d: d.language,
    "point_value": lambda d: d.point_value,
    "pending_days": lambda d: d.pending_days,
    "rounding": lambda d: d.rounding,
    "max_purchase_amount": lambda d: d.max_purchase_amount,
    "expiry_policy": lambda d: d.expiry.policy,
    "expiry_months": lambda d: d.expiry.months,
    "expiry_warn_days": lambda d: d.expiry.warn_days,
    "qualification_metric": lambda d: d.qualification_metric,
    "qualification_window_months": lambda d: d.qualification_window_months,
    "quiet_hours": lambda d: (
        d.communications.quiet_hours.starts,
        d.communications.quiet_hours.ends,
    ),
    "frequency_cap": lambda d: (
        d.communications.frequency_cap.messages,
        d.communications.frequency_cap.days,
    ),
}
_COLLECTIONS = (
    ("category", "categories"),
    ("tier", "tiers"),
    ("rule", "rules"),
    ("reward", "rewards"),
)
# Order is meaning for these (lowest tier first; the first per-currency rule prices category
# multipliers), as in loyalty.program_diff.
_ORDERED = ("tier", "rule")


def program_change_list(*, old: ProgramDefinition | None, new: ProgramDefinition) -> list[Change]:
    """The differences from `old` to `new`, in the order loyalty.program_diff lists them."""
    if old is None:
        return [Change("program", "created")]
    changes = [
        Change("program", "changed", key, before=read(old), after=read(new))
        for key, read in _SETTINGS.items()
        if read(old) != read(new)
    ]
    for section, attribute in _COLLECTIONS:
        before = {item.code: item for item in getattr(old, attribute)}
        after = {item.code: item for item in getattr(new, attribute)}
        changes += [Change(section, "added", code) for code in after if code not in before]
        changes += [Change(section, "removed", code) for code in before if code not in after]
        for code, item in after.items():
            was = before.get(code)
            if was is None or was == item:
                continue
            for field in fields(item):
                before_value, after_value = getattr(was, field.name), getattr(item, field.name)
                if field.name != "code" and before_value != after_value:
                    changes.append(
                        Change(section, "changed", code, field.name, before_value, after_value)
                    )
        common_before = [code for code in before if code in after]
        common_after = [code for code in after if code in before]
        if section in _ORDERED and common_before != common_after:
            changes.append(Change(section, "reordered", after=list(after)))
    return changes


# --- As sentences ----------------------------------------------------------------------------

# What changed, with its article, as it reads inside "…: the threshold changed from … to …".
_FIELDS = {
    "program": {
        "name": pgettext_lazy("changed setting", "the program's name"),
        "currency": pgettext_lazy("changed setting", "the currency"),
        "timezone": pgettext_lazy("changed setting", "the time zone"),
        "language": pgettext_lazy("changed setting", "the members' default language"),
        "point_value": pgettext_lazy("changed setting", "the value of one point"),
        "pending_days": pgettext_lazy("changed setting", "the return window"),
        "rounding": pgettext_lazy("changed setting", "the rounding of points"),
        "max_purchase_amount": pgettext_lazy("changed setting", "the largest purchase"),
        "expiry_policy": pgettext_lazy("changed setting", "the expiry of points"),
        "expiry_months": pgettext_lazy("changed setting", "the time before points expire"),
        "expiry_warn_days": pgettext_lazy("changed setting", "the expiry warning"),
        "qualification_metric": pgettext_lazy("changed setting", "what tiers are reached by"),
        "qualification_window_months": pgettext_lazy(
            "changed setting", "the period tiers are reached in"
        ),
        "quiet_hours": pgettext_lazy("changed setting", "the quiet hours"),
        "frequency_cap": pgettext_lazy("changed setting", "the limit of marketing messages"),
    },
    "category": {"name": pgettext_lazy("changed field", "the name")},
    "tier": {
        "name": pgettext_lazy("changed field", "the name"),
        "threshold": pgettext_lazy("changed field", "the threshold"),
        "multiplier": pgettext_lazy("changed field", "the points multiplier"),
        "discount_percent": pgettext_lazy("changed field", "the discount"),
        "benefits": pgettext_lazy("changed field", "the benefits"),
    },
    "rule": {
        "kind": pgettext_lazy("changed field", "what the rule does"),
        "points": pgettext_lazy("changed field", "the points"),
        "per": pgettext_lazy("changed field", "the amount that earns the points"),
        "category": pgettext_lazy("changed field", "the category"),
        "sku": pgettext_lazy("changed field", "the product"),
        "multiplier": pgettext_lazy("changed field", "the multiplier"),
        "min_amount": pgettext_lazy("changed field", "the minimum purchase"),
        "starts": pgettext_lazy("changed field", "the first day"),
        "ends": pgettext_lazy("changed field", "the last day"),
        "weekdays": pgettext_lazy("changed field", "the days of the week"),
        "channels": pgettext_lazy("changed field", "where it applies"),
        "event": pgettext_lazy("changed field", "the event"),
        "referee_points": pgettext_lazy("changed field", "the points for the invited friend"),
        "monthly_cap": pgettext_lazy("changed field", "the limit per month"),
    },
    "reward": {
        "kind": pgettext_lazy("changed field", "the kind of reward"),
        "name": pgettext_lazy("changed field", "the name"),
        "points_cost": pgettext_lazy("changed field", "the price in points"),
        "percent": pgettext_lazy("changed field", "the percentage off"),
        "amount": pgettext_lazy("changed field", "the amount"),
        "sku": pgettext_lazy("changed field", "the product"),
        "stock": pgettext_lazy("changed field", "the stock"),
        "min_tier": pgettext_lazy("changed field", "the tier required"),
        "per_member_limit": pgettext_lazy("changed field", "the limit per member"),
        "available_from": pgettext_lazy("changed field", "the first day"),
        "available_until": pgettext_lazy("changed field", "the last day"),
        "voucher_valid_days": pgettext_lazy("changed field", "how long its vouchers are valid"),
        "description": pgettext_lazy("changed field", "the description"),
        "image": pgettext_lazy("changed field", "the picture"),
    },
}


def change_sentence(
    change: Change, *, old: ProgramDefinition | None, new: ProgramDefinition
) -> str:
    """`change` as a sentence in the active language; names and values are read in the program
    they belong to (a removed tier's name in `old`, a threshold in the currency of its side)."""
    if change.action == "created":
        return _("Program “%(name)s” created: %(tiers)s, %(rules)s and %(rewards)s.") % {
            "name": new.name,
            "tiers": ngettext("%(count)s tier", "%(count)s tiers", len(new.tiers))
            % {"count": len(new.tiers)},
            "rules": ngettext("%(count)s rule", "%(count)s rules", len(new.rules))
            % {"count": len(new.rules)},
            "rewards": ngettext("%(count)s reward", "%(count)s rewards", len(new.rewards))
            % {"count": len(new.rewards)},
        }
    if old is None:  # pragma: no cover - only a creation has no previous program
        return ""
    if change.section == "program":
        return capfirst(
            _("%(setting)s changed from %(before)s to %(after)s.")
            % {
                "setting": _FIELDS["program"][change.code],
                "before": _value("program", change.code, change.before, old),
                "after": _value("program", change.code, change.after, new),
            }
        )
    if change.action == "reordered":
        order = ", ".join(_item_name(change.section, code, new) for code in change.after)
        if change.section == "tier":
            return _("The order of the tiers changed: %(order)s.") % {"order": order}
        return _("The order of the rules changed: %(order)s.") % {"order": order}
    program = old if change.action == "removed" else new
    name = _item_name(change.section, change.code, program)
    if change.action == "added":
        return _added(change.section, name, program.rule(change.code), program, change.code)
    if change.action == "removed":
        return {
            "category": _("Category “%(name)s” removed."),
            "tier": _("Tier “%(name)s” removed."),
            "rule": _("Rule “%(name)s” removed."),
            "reward": _("Reward “%(name)s” removed."),
        }[change.section] % {"name": name}
    return _("%(item)s: %(field)s changed from %(before)s to %(after)s.") % {
        "item": _item(change.section, name),
        "field": _FIELDS[change.section].get(change.key, change.key),
        "before": _value(change.section, change.key, change.before, old),
        "after": _value(change.section, change.key, change.after, new),
    }


def _item(section: str, name: str) -> str:
    return {
        "category": _("Category “%(name)s”"),
        "tier": _("Tier “%(name)s”"),
        "rule": _("Rule “%(name)s”"),
        "reward": _("Reward “%(name)s”"),
    }[section] % {"name": name}


def _item_name(section: str, code: str, program: ProgramDefinition) -> str:
    """A tier, a reward or a category by its name in the active language; a rule (which has no
    name) by its code."""
    items = {
        "category": program.categories,
        "tier": program.tiers,
        "reward": program.rewards,
    }.get(section, ())
    found = next((item for item in items if item.code == code), None)
    return (words.names(found.name) if found is not None else "") or code


def _added(section: str, name: str, rule, program: ProgramDefinition, code: str) -> str:
    if section == "category":
        return _("Category “%(name)s” added.") % {"name": name}
    if section == "rule":
        summary = words.rule_summary(
            rule, currency=program.currency, category_names=program.category_names(words.language())
        )
        return _("Rule “%(name)s” added (%(summary)s).") % {
            "name": name,
            "summary": summary[:1].lower() + summary[1:],
        }
    if section == "tier":
        tier = program.tier(code)
        return _("Tier “%(name)s” added: from %(threshold)s, points × %(multiplier)s.") % {
            "name": name,
            "threshold": _value("tier", "threshold", tier.threshold, program),
            "multiplier": words.number(tier.multiplier),
        }
    reward = next(reward for reward in program.rewards if reward.code == code)
    return _("Reward “%(name)s” added, for %(points)s.") % {
        "name": name,
        "points": words.points(reward.points_cost),
    }


_NO_LIMIT = ("max_purchase_amount", "monthly_cap", "stock", "per_member_limit")
_DATES = ("starts", "ends", "available_from", "available_until")


def _empty(key: str) -> str:
    if key in _NO_LIMIT:
        return _("no limit")
    if key in _DATES:
        return _("no date")
    if key == "weekdays":
        return _("every day")
    if key == "channels":
        return _("everywhere")
    if key == "benefits":
        return _("no benefits")
    return _("not set")


def _value(section: str, key: str, value: Any, program: ProgramDefinition) -> str:
    """A value of `key` in the words and the format a shop owner reads, in `program`'s currency
    and with its names."""
    if value is None or value in ((), "", {}):
        return _empty(key)
    currency = program.currency
    if key in ("per", "min_amount", "amount", "max_purchase_amount"):
        return words.money(value, currency)
    if key == "threshold":
        return words.threshold(value, metric=program.qualification_metric, currency=currency)
    if key in ("points", "referee_points", "points_cost"):
        return words.points(value)
    if key in ("multiplier", "monthly_cap", "stock", "per_member_limit"):
        return words.number(value)
    if key in ("discount_percent", "percent"):
        return words.percent(value)
    if key in _DATES:
        return words.date(value)
    if key in ("name", "description") and section != "program":
        return words.names(value)
    if key == "kind":
        labels = words.RULE_KIND_LABELS if section == "rule" else words.REWARD_KIND_LABELS
        return words.label_of(labels, value)
    simple = {
        "weekdays": words.weekdays,
        "channels": words.channels,
        "benefits": words.benefits,
        "event": lambda code: words.label_of(words.EVENT_LABELS, code),
        "category": lambda code: program.category_name(code, words.language()),
        "min_tier": lambda code: _item_name("tier", code, program),
        "voucher_valid_days": words.days,
        "pending_days": words.days,
        "expiry_warn_days": words.days,
        "expiry_months": words.months,
        "qualification_window_months": words.months,
        "language": words.language_name,
        "rounding": lambda code: words.label_of(words.ROUNDING_LABELS, code),
        "expiry_policy": lambda code: words.label_of(words.EXPIRY_POLICY_LABELS, code),
        "qualification_metric": lambda code: words.label_of(
            words.QUALIFICATION_METRIC_LABELS, code
        ),
        "point_value": lambda amount: words.point_value(amount, currency),
        "quiet_hours": _quiet_hours,
        "frequency_cap": _frequency_cap,
    }
    if key in simple:
        return simple[key](value)
    return str(value)


def _quiet_hours(value) -> str:
    starts, ends = value
    if starts == ends:
        return _("no quiet hours")
    return "\N{EN DASH}".join(formats.time_format(time, "TIME_FORMAT") for time in (starts, ends))


def _frequency_cap(value) -> str:
    messages, days = value
    return ngettext("%(count)s message in %(days)s", "%(count)s messages in %(days)s", messages) % {
        "count": messages,
        "days": words.days(days),
    }
