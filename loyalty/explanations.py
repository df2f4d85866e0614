# ruff: noqa: RUF001 - the multiplication, division and minus signs are what a member reads.
"""A ledger entry explained to the member, in their language: the rules and arithmetic of a
purchase's breakdown, or the refund, bonus, expiry or adjustment behind a movement.

The breakdown is the snapshot the ledger stored when the entry was written (see loyalty.scoring),
so the explanation shows the rules as they were then, whatever the program says today.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from config.languages import localized
from loyalty.models import EntryKind, LedgerEntry
from loyalty.money import DEFAULT_CURRENCY, money_text


def points_text(value) -> str:
    """An integer count of points with the language's grouping (1,234 / 1 234)."""
    return formats.number_format(int(value), 0, force_grouping=True)


def decimal_text(value) -> str:
    """A scoring figure as the ledger stored it ("2", "1.25", "204.5"), localised and without
    trailing zeros, so the arithmetic reads like arithmetic."""
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    if number == number.to_integral_value():
        return formats.number_format(int(number), 0, force_grouping=True)
    normalized = number.normalize()
    places = max(-normalized.as_tuple().exponent, 0)
    return formats.number_format(normalized, places, force_grouping=True)


def event_label(event: str) -> str:
    labels = {
        "signup": _("Welcome bonus for joining the program"),
        "birthday": _("Birthday gift"),
        "referral": _("Bonus for inviting a friend"),
        "survey_answered": _("Thank-you bonus for answering a survey"),
        "profile_completed": _("Bonus for completing your profile"),
        "campaign": _("A gift from the shop"),
    }
    return labels.get(event, _("Bonus"))


def _part(entry: LedgerEntry, name: str) -> dict | None:
    return next((part for part in entry.breakdown or [] if part.get("part") == name), None)


def _reward_name(part: dict) -> str:
    """The reward as named when it was redeemed, in the current language."""
    from django.utils.translation import get_language

    names = part.get("names") or {}
    language = (get_language() or "en")[:2]
    return localized(names, language, part.get("reward") or "")


def entry_title(entry: LedgerEntry) -> str:
    """A short line naming the movement, for the activity list."""
    if entry.kind == EntryKind.EARN:
        if entry.purchase_id is not None:
            return _("Purchase %(channel)s") % {"channel": _channel(entry.purchase.channel)}
        return _("Points earned")
    if entry.kind == EntryKind.BONUS:
        event = next(
            (part.get("event") for part in entry.breakdown or [] if part.get("part") == "event"),
            "",
        )
        return event_label(event or "")
    if entry.kind == EntryKind.REFUND:
        if _part(entry, "take_back") is not None:
            return _("Bonus taken back: the purchase behind it was refunded")
        return _("Refund of a purchase")
    if entry.kind == EntryKind.REDEEM:
        reward = _part(entry, "reward")
        if reward is not None:
            return _("Reward redeemed: %(reward)s") % {"reward": _reward_name(reward)}
        return _("Points spent on a reward")
    if entry.kind == EntryKind.EXPIRE:
        return _("Points expired")
    if entry.kind == EntryKind.ADJUST:
        return _("Adjustment by the shop")
    if entry.kind == EntryKind.REVERSAL:
        cancellation = _part(entry, "cancellation")
        if cancellation is not None:
            return _("Voucher cancelled: %(reward)s") % {"reward": _reward_name(cancellation)}
        return _("Correction of an earlier movement")
    return entry.get_kind_display()


def _channel(channel: str) -> str:
    return {"store": _("in store"), "online": _("online"), "app": _("in the app")}.get(
        channel, channel
    )


@dataclass
class Explanation:
    title: str
    lines: list[str] = field(default_factory=list)
    total: str = ""
    note: str = ""


def entry_explanation(
    entry: LedgerEntry,
    *,
    currency: str = DEFAULT_CURRENCY,
    tier_names=None,
    category_names=None,
) -> Explanation:
    """Why the entry has the points it has, line by line. `tier_names` and `category_names` map
    a tier's or a category's code to its name in the member's language (the program's
    `category_names(language)`)."""
    tier_names = tier_names or {}
    category_names = category_names or {}
    explanation = Explanation(title=entry_title(entry))
    parts = list(entry.breakdown or [])
    if _part(entry, "take_back") is not None:
        explanation.lines.append(
            _(
                "A friend's first purchase earned this bonus; it was refunded, so the bonus's "
                "%(points)s points were taken back."
            )
            % {"points": points_text(abs(entry.points))}
        )
    elif entry.kind in (EntryKind.EARN, EntryKind.REFUND) and parts:
        refund_part = next((part for part in parts if part.get("part") == "refund"), None)
        if entry.kind == EntryKind.REFUND and refund_part is not None:
            explanation.lines.append(_refund_line(entry, refund_part, currency))
            explanation.note = _(
                "The rest of the purchase was scored again with the rules of the day you bought, "
                "and the difference was taken back:"
            )
        for part in parts:
            line = _score_line(part, currency, tier_names, category_names)
            if line:
                explanation.lines.append(line)
    elif entry.kind == EntryKind.BONUS:
        explanation.lines.append(
            _("The program gives this bonus once: %(points)s points, available at once.")
            % {"points": points_text(entry.points)}
        )
    elif entry.kind == EntryKind.EXPIRE:
        explanation.lines.append(
            _(
                "Points expire when they are not used in time, oldest first. "
                "%(points)s points reached their expiry date."
            )
            % {"points": points_text(abs(entry.points))}
        )
    elif entry.kind == EntryKind.REDEEM:
        reward = _part(entry, "reward")
        if reward is not None:
            explanation.lines.append(
                _("You exchanged %(points)s points for this reward: %(reward)s.")
                % {"points": points_text(abs(entry.points)), "reward": _reward_name(reward)}
            )
        else:
            explanation.lines.append(
                _("You exchanged %(points)s points for a reward.")
                % {"points": points_text(abs(entry.points))}
            )
    elif entry.kind == EntryKind.ADJUST:
        explanation.lines.append(_("A member of staff adjusted your points."))
        if entry.reason:
            explanation.lines.append(_("Reason given: %(reason)s") % {"reason": entry.reason})
    elif entry.kind == EntryKind.REVERSAL:
        cancellation = _part(entry, "cancellation")
        if cancellation is not None:
            explanation.lines.append(
                _(
                    "Voucher %(code)s cancelled (%(reward)s): its %(points)s points came "
                    "back, each with the expiry date it had."
                )
                % {
                    "code": cancellation.get("voucher", ""),
                    "reward": _reward_name(cancellation),
                    "points": points_text(entry.points),
                }
            )
        else:
            explanation.lines.append(_("This movement cancels an earlier one, point for point."))
    explanation.total = ngettext("%(points)s point", "%(points)s points", abs(entry.points)) % {
        "points": _signed(entry.points)
    }
    return explanation


def _signed(points: int) -> str:
    text = points_text(abs(points))
    return f"+{text}" if points > 0 else (f"\N{MINUS SIGN}{text}" if points < 0 else text)


def _refund_line(entry: LedgerEntry, part: dict, currency: str) -> str:
    refund_amount = entry.refund.amount if entry.refund_id else None
    values = {
        "amount": money_text(refund_amount, currency) if refund_amount is not None else "",
        "left": money_text(part.get("amount_left", 0), currency),
        "before": points_text(part.get("points_before", 0)),
        "after": points_text(part.get("points_after", 0)),
    }
    if refund_amount is not None:
        return (
            _(
                "You returned %(amount)s. %(left)s of the purchase is left, which earns "
                "%(after)s points instead of %(before)s."
            )
            % values
        )
    return (
        _("%(left)s of the purchase is left, which earns %(after)s points instead of %(before)s.")
        % values
    )


def _what(inputs: dict, category_names: dict) -> str:
    """What a rule counted, as a customer reads it: the category's name in their language (the
    code only when the program names it not), and never a SKU: a product rule says "this
    product"."""
    if inputs.get("category"):
        return category_names.get(inputs["category"], inputs["category"])
    if inputs.get("sku"):
        return str(_("this product"))
    return ""


def _score_line(part: dict, currency: str, tier_names: dict, category_names: dict) -> str:
    kind = part.get("part")
    inputs = part.get("inputs") or {}
    value = decimal_text(part.get("value", 0))
    if kind == "B":
        return _(
            "%(points)s point per %(per)s spent: %(amount)s ÷ %(per)s × %(points)s = %(value)s"
        ) % {
            "points": decimal_text(inputs.get("points", 0)),
            "per": money_text(inputs.get("per", 1), currency),
            "amount": money_text(inputs.get("amount", 0), currency),
            "value": value,
        }
    if kind == "C":
        values = {
            "what": _what(inputs, category_names),
            "share": money_text(inputs.get("share", 0), currency),
            "multiplier": decimal_text(inputs.get("multiplier", 1)),
            "value": value,
        }
        if "per" in inputs:
            values |= {
                "per": money_text(inputs["per"], currency),
                "points": decimal_text(inputs.get("points", 0)),
            }
            return (
                _(
                    "×%(multiplier)s on %(what)s: %(share)s ÷ %(per)s × %(points)s × "
                    "(%(multiplier)s − 1) = %(value)s extra"
                )
                % values
            )
        return _("×%(multiplier)s on %(what)s: no base points to multiply, so 0") % values
    if kind == "I":
        values = {
            "quantity": decimal_text(inputs.get("quantity", 0)),
            "points": decimal_text(inputs.get("points", 0)),
            "value": value,
        }
        what = _what(inputs, category_names)
        if what:
            values["what"] = what
            return (
                _("%(points)s point per item of %(what)s: %(quantity)s × %(points)s = %(value)s")
                % values
            )
        return _("%(points)s point per item: %(quantity)s × %(points)s = %(value)s") % values
    if kind == "M":
        multiplier = decimal_text(inputs.get("multiplier", 1))
        if part.get("kind") == "tier":
            name = tier_names.get(part.get("code"), part.get("code") or "")
            return _("Your tier, %(tier)s: points × %(multiplier)s") % {
                "tier": name,
                "multiplier": multiplier,
            }
        return _("Promotion: points × %(multiplier)s") % {"multiplier": multiplier}
    if kind == "T":
        values = {
            "min": money_text(inputs.get("min_amount", 0), currency),
            "amount": money_text(inputs.get("amount", 0), currency),
            "points": decimal_text(inputs.get("points", 0)),
        }
        if inputs.get("reached"):
            return _("Bonus for spending %(min)s or more: +%(points)s") % values
        return _("Bonus for spending %(min)s or more: not reached (%(amount)s), +0") % values
    if kind == "total":
        rounding = {
            "floor": _("rounded down"),
            "ceil": _("rounded up"),
            "round": _("rounded"),
        }.get(inputs.get("rounding", ""), _("rounded"))
        return _(
            "(%(subtotal)s) × %(multiplier)s + %(bonus)s = %(unrounded)s, %(rounding)s: %(value)s"
        ) % {
            "subtotal": decimal_text(inputs.get("subtotal", 0)),
            "multiplier": decimal_text(inputs.get("multiplier", 1)),
            "bonus": decimal_text(inputs.get("bonus", 0)),
            "unrounded": decimal_text(inputs.get("unrounded", 0)),
            "rounding": rounding,
            "value": value,
        }
    return ""
