"""The segment rules' vocabulary (CAMPAIGNS.md, Segments) and their validation: which fields a
rule may name, which operators each field takes, what a value may be, and where `window_days` is
allowed. Pure: no ORM, no program read; the caller passes the tier codes of the program in force.

`rules_validate` returns the rules normalized (money as a plain decimal string, `window_days`
only where given) or raises `SegmentInvalid`, which lists every problem at its path counting from
0 (`rules.2.op`) with the reason, in the reader's language. What a rule means in SQL is
campaigns.segment_query's.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from config.domain import Problem, ProblemsError
from config.languages import NAME_LANGUAGES
from loyalty.channels import CHANNELS
from loyalty.money import decimal_plain

# --- Vocabulary ------------------------------------------------------------------------------

MATCH_ALL = "all"
MATCH_ANY = "any"
MATCHES = (MATCH_ALL, MATCH_ANY)

EQ, NE, IN, NOT_IN, GTE, LTE, BETWEEN = "eq", "ne", "in", "not_in", "gte", "lte", "between"
OPERATORS = (EQ, NE, IN, NOT_IN, GTE, LTE, BETWEEN)
LIST_OPERATORS = (IN, NOT_IN)
NEGATIVE_OPERATORS = (NE, NOT_IN)

# Operators by the kind of value a field holds: a number can be compared, a code only matched.
NUMBER_OPERATORS = OPERATORS
CODE_OPERATORS = (EQ, NE, IN, NOT_IN)

# The kinds of value.
INTEGER = "integer"
MONEY = "money"
CODE = "code"  # one of a fixed set (languages, channels, groups, risks, the program's tiers)
CATEGORY = "category"  # any category code (items carry categories the program may not list)
MONTH = "month"  # 1-12 or "current"

RFM_GROUPS = ("champions", "at_risk", "loyal", "recent", "lost", "hibernating", "inactive")
CHURN_RISKS = ("low", "medium", "high")
CONSENT_CHANNELS = ("email", "sms", "push")
CURRENT_MONTH = "current"

# Limits that keep a rule meaningful and its SQL small: no real segment comes near them.
MAX_RULES = 50
MAX_LIST_VALUES = 100
MAX_INTEGER = 10**12  # far above any balance or count; below bigint
MAX_DAYS = 36_600  # a hundred years
MAX_MONEY = Decimal("10000000000.00")
MONEY_DECIMALS = 4  # what an amount column can hold (loyalty.definition.AMOUNT_DIGITS)
CATEGORY_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*")
CATEGORY_MAX_LENGTH = 100
RULE_KEYS = frozenset({"field", "op", "value", "window_days"})


@dataclass(frozen=True)
class Field:
    name: str
    kind: str
    operators: tuple[str, ...]
    # The codes a CODE field accepts (None: the program's tiers, given by the caller).
    codes: tuple[str, ...] | None = ()
    # Whether the rule may narrow it to the last `window_days` (default: all time).
    takes_window: bool = False
    maximum: int = MAX_INTEGER


FIELDS: dict[str, Field] = {
    field.name: field
    for field in (
        Field("tier", CODE, CODE_OPERATORS, codes=None),
        Field("available_points", INTEGER, NUMBER_OPERATORS),
        Field("lifetime_points", INTEGER, NUMBER_OPERATORS),
        Field("days_since_last_purchase", INTEGER, NUMBER_OPERATORS, maximum=MAX_DAYS),
        Field("purchases", INTEGER, NUMBER_OPERATORS, takes_window=True),
        Field("spend", MONEY, NUMBER_OPERATORS, takes_window=True),
        Field("average_order_value", MONEY, NUMBER_OPERATORS, takes_window=True),
        Field("days_since_joined", INTEGER, NUMBER_OPERATORS, maximum=MAX_DAYS),
        Field("birthday_month", MONTH, CODE_OPERATORS),
        Field("language", CODE, CODE_OPERATORS, codes=NAME_LANGUAGES),
        Field("consent", CODE, CODE_OPERATORS, codes=CONSENT_CHANNELS),
        Field("channel", CODE, CODE_OPERATORS, codes=tuple(sorted(CHANNELS)), takes_window=True),
        Field("category", CATEGORY, CODE_OPERATORS, takes_window=True),
        Field("rfm_group", CODE, CODE_OPERATORS, codes=RFM_GROUPS),
        Field("churn_risk", CODE, CODE_OPERATORS, codes=CHURN_RISKS),
    )
}


# --- The refusal -----------------------------------------------------------------------------


class SegmentInvalid(ProblemsError):
    """A segment's definition is refused: every problem at its path (config.domain.Problem:
    `rules.2.op`, `match`, `name`), with the reason. Raised before anything is written."""

    code = "segment_invalid"
    status = 400
    template = _("The segment is not valid: see the errors for each rule.")


# --- Validation ------------------------------------------------------------------------------


def _listed(values: Iterable[str]) -> str:
    return ", ".join(str(value) for value in values)


class _Checker:
    def __init__(self, tier_codes: Sequence[str]):
        self.tier_codes = tuple(tier_codes)
        self.problems: list[Problem] = []

    def refuse(self, path: str, template, **params) -> None:
        self.problems.append(Problem(path, template, params))

    # One value of a field (a list's item, a bound of between, or the value itself).
    def scalar(self, field: Field, value, path: str):
        if field.kind == INTEGER:
            if type(value) is not int or not 0 <= value <= field.maximum:
                self.refuse(
                    path,
                    _("Give a whole number from 0 to %(maximum)s."),
                    maximum=field.maximum,
                )
                return None
            return value
        if field.kind == MONEY:
            amount = decimal_plain(value) if isinstance(value, str) else None
            if amount is None or amount > MAX_MONEY:
                self.refuse(path, _('Give an amount as a decimal string, such as "25.00".'))
                return None
            if -amount.as_tuple().exponent > MONEY_DECIMALS:
                self.refuse(
                    path,
                    _("Give an amount with at most %(decimals)s decimals."),
                    decimals=MONEY_DECIMALS,
                )
                return None
            return str(amount)
        if field.kind == MONTH:
            if value == CURRENT_MONTH or (type(value) is int and 1 <= value <= 12):
                return value
            self.refuse(path, _('Give a month from 1 to 12, or "current".'))
            return None
        if field.kind == CATEGORY:
            if (
                not isinstance(value, str)
                or len(value) > CATEGORY_MAX_LENGTH
                or not CATEGORY_PATTERN.fullmatch(value)
            ):
                self.refuse(
                    path,
                    _(
                        "Give a category code: letters, digits, dots, dashes and underscores, "
                        "at most %(length)s characters."
                    ),
                    length=CATEGORY_MAX_LENGTH,
                )
                return None
            return value
        codes = self.tier_codes if field.codes is None else field.codes
        if not isinstance(value, str) or value not in codes:
            if field.codes is None:
                self.refuse(
                    path,
                    _("No tier of the program has this code. Tiers: %(codes)s."),
                    codes=_listed(codes) or "-",
                )
            else:
                self.refuse(path, _("Give one of %(codes)s."), codes=_listed(codes))
            return None
        return value

    def value(self, field: Field, op: str, value, path: str):
        if op in LIST_OPERATORS:
            if not isinstance(value, list) or not value:
                self.refuse(path, _("Give a list of values for %(op)s."), op=op)
                return None
            if len(value) > MAX_LIST_VALUES:
                self.refuse(path, _("Give at most %(maximum)s values."), maximum=MAX_LIST_VALUES)
                return None
            items = [self.scalar(field, item, f"{path}.{n}") for n, item in enumerate(value)]
            if any(item is None for item in items):
                return None
            return list(dict.fromkeys(items))  # the same value twice means it once
        if op == BETWEEN:
            if not isinstance(value, list) or len(value) != 2:
                self.refuse(path, _("Give two values, [low, high], for between."))
                return None
            low = self.scalar(field, value[0], f"{path}.0")
            high = self.scalar(field, value[1], f"{path}.1")
            if low is None or high is None:
                return None
            if Decimal(low) > Decimal(high):
                self.refuse(path, _("The low value is above the high value."))
                return None
            return [low, high]
        if isinstance(value, list):
            self.refuse(path, _("Give one value for %(op)s, not a list."), op=op)
            return None
        return self.scalar(field, value, path)

    def rule(self, rule, path: str) -> dict | None:
        if not isinstance(rule, dict):
            self.refuse(path, _("A rule is an object with a field, an op and a value."))
            return None
        unknown = sorted(str(key) for key in rule if key not in RULE_KEYS)
        for key in unknown:
            self.refuse(f"{path}.{key}", _("A rule has no such key."))
        field = FIELDS.get(rule.get("field")) if isinstance(rule.get("field"), str) else None
        if field is None:
            self.refuse(
                f"{path}.field",
                _("Unknown field. Fields: %(fields)s."),
                fields=_listed(FIELDS),
            )
        op = rule.get("op")
        if not isinstance(op, str) or op not in OPERATORS:
            self.refuse(
                f"{path}.op", _("Unknown operator. Operators: %(ops)s."), ops=_listed(OPERATORS)
            )
            op = None
        elif field is not None and op not in field.operators:
            self.refuse(
                f"{path}.op",
                _("%(field)s takes only %(ops)s."),
                field=field.name,
                ops=_listed(field.operators),
            )
            op = None
        if "value" not in rule:
            self.refuse(f"{path}.value", _("A rule needs a value."))
        window = rule.get("window_days")
        if "window_days" in rule and field is not None:
            if not field.takes_window:
                self.refuse(
                    f"{path}.window_days",
                    _("Only %(fields)s take window_days."),
                    fields=_listed(name for name, each in FIELDS.items() if each.takes_window),
                )
            elif type(window) is not int or not 1 <= window <= MAX_DAYS:
                self.refuse(
                    f"{path}.window_days",
                    _("Give a whole number of days from 1 to %(maximum)s."),
                    maximum=MAX_DAYS,
                )
        if field is None or op is None or "value" not in rule or unknown:
            return None
        value = self.value(field, op, rule["value"], f"{path}.value")
        if value is None:
            return None
        normalized = {"field": field.name, "op": op, "value": value}
        if field.takes_window and window is not None:
            normalized["window_days"] = window
        return normalized


def rules_check(*, match, rules, tier_codes: Sequence[str]) -> tuple[str, list[dict], list]:
    """`(match, rules)` normalized, with every problem found (an empty list: valid)."""
    checker = _Checker(tier_codes)
    if match not in MATCHES:
        checker.refuse("match", _("Give %(matches)s."), matches=_listed(MATCHES))
    normalized: list[dict] = []
    if not isinstance(rules, list):
        checker.refuse("rules", _("Give the rules as a list."))
    elif len(rules) > MAX_RULES:
        checker.refuse("rules", _("Give at most %(maximum)s rules."), maximum=MAX_RULES)
    else:
        for position, rule in enumerate(rules):
            result = checker.rule(rule, f"rules.{position}")
            if result is not None:
                normalized.append(result)
    return match, normalized, checker.problems


def rules_validate(*, match, rules, tier_codes: Sequence[str]) -> tuple[str, list[dict]]:
    """`(match, rules)` normalized, or SegmentInvalid with every problem found."""
    match, normalized, problems = rules_check(match=match, rules=rules, tier_codes=tier_codes)
    if problems:
        raise SegmentInvalid(problems=problems)
    return match, normalized
