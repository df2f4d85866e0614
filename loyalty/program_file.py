"""The program file (PROGRAM.md): parse and validate it, and write it back out.

One validator serves every way a program changes: the YAML file (`program import`), the admin
forms (which build the would-be program and validate it here) and the snapshots stored in program
versions. It walks the YAML *nodes* rather than loaded Python values, for two reasons: every
error can name its line, and decimals are read from the text as written (`1.25` unquoted would
otherwise become a float before we ever saw it).

Plain data (the snapshot JSON, the admin's would-be program) is turned into the same nodes, without
line marks, so it is held to exactly the same rules.

The parsed result is the program's definition (loyalty.definition: a tree of frozen dataclasses
that scoring works from); this module only reads and writes its file format.
"""

from __future__ import annotations

import datetime
import json
import re
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from loyalty.benefits import BENEFITS
from loyalty.definition import (
    AMOUNT_DIGITS,
    CATEGORY_MULTIPLIER,
    CHANNELS,
    CODE_MAX_LENGTH,
    DEFAULT_CURRENCY,
    DEFAULT_NAME_LANGUAGE,
    DEFAULT_TIMEZONE,
    DEFAULT_WARN_DAYS,
    EVENT_BONUS,
    EVENTS,
    EXPIRY_POLICIES,
    MAX_CAP_DAYS,
    MAX_CAP_MESSAGES,
    MAX_POINTS,
    MULTIPLIER_DIGITS,
    NAME_LANGUAGES,
    PER_CURRENCY_UNIT,
    PER_ITEM,
    POINT_VALUE_DIGITS,
    PROMO_MULTIPLIER,
    PURCHASE_AMOUNT_DIGITS,
    QUALIFICATION_METRICS,
    REWARD_KINDS,
    ROUNDINGS,
    RULE_KINDS,
    SPEND_THRESHOLD_BONUS,
    TEXT_MAX_LENGTH,
    THRESHOLD_DIGITS,
    WEEKDAYS,
    CategoryDefinition,
    Communications,
    Expiry,
    FrequencyCap,
    ProgramDefinition,
    QuietHours,
    RewardDefinition,
    RuleDefinition,
    TierDefinition,
)
from loyalty.money import currency_decimals, is_currency

try:  # libyaml is several times faster; the pure-Python loader behaves the same.
    _Loader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    _Loader = yaml.SafeLoader

_CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
_DECIMAL_RE = re.compile(r"^[+-]?\d+(\.\d+)?$")
_INTEGER_RE = re.compile(r"^[+-]?\d+$")
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# A time of day as the file writes it ("21:00"); YAML 1.1 reads an unquoted 21:00 as the
# sexagesimal number 1260, so the reader takes the text as written, quoted or not.
_TIME_RE = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")

_TAG = "tag:yaml.org,2002:"
_STR, _INT, _FLOAT, _BOOL, _NULL, _TIMESTAMP = (
    _TAG + "str",
    _TAG + "int",
    _TAG + "float",
    _TAG + "bool",
    _TAG + "null",
    _TAG + "timestamp",
)


# --- Errors ----------------------------------------------------------------------------------

Path = tuple[str | int, ...]


def format_path(path: Path) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


@dataclass(frozen=True)
class ProgramError:
    """One problem: where it is (1-based line when read from a file, and the path of keys) and
    what is wrong. `str()` gives the `line N: problem` form the command prints."""

    message: str
    path: Path = ()
    line: int | None = None

    def __str__(self) -> str:
        where = format_path(self.path)
        text = f"{where}: {self.message}" if where else self.message
        return f"line {self.line}: {text}" if self.line is not None else text


class ProgramInvalid(Exception):
    """The program (file, snapshot or would-be admin change) has at least one error."""

    def __init__(self, errors: Iterable[ProgramError]):
        self.errors = sorted(errors, key=lambda error: error.line or 0)
        super().__init__("\n".join(str(error) for error in self.errors))


# --- Entry points ----------------------------------------------------------------------------


def parse_program_text(text: str) -> ProgramDefinition:
    """Parse a program file. Raises `ProgramInvalid` listing every error found."""
    try:
        # Aliases are refused: nothing in the format needs them, and a handful of nested aliases
        # would make the walk below exponential (the "billion laughs" file).
        for event in yaml.parse(text, Loader=_Loader):
            if isinstance(event, yaml.AliasEvent):
                raise ProgramInvalid(
                    [ProgramError("anchors and aliases are not allowed", line=_line(event))]
                )
        root = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "malformed"
        raise ProgramInvalid(
            [ProgramError(f"not valid YAML: {problem}", line=mark.line + 1 if mark else None)]
        ) from None
    except yaml.YAMLError as exc:
        raise ProgramInvalid([ProgramError(f"not valid YAML: {exc}")]) from None
    if root is None:
        raise ProgramInvalid([ProgramError("the file is empty", line=1)])
    return _Reader().document(root)


def parse_program_data(data: Any) -> ProgramDefinition:
    """Parse plain data in the file's shape (a snapshot, or the admin's would-be program)."""
    return _Reader().document(_to_node(data))


def program_to_data(program: ProgramDefinition) -> dict[str, Any]:
    """The program in the file's shape, JSON-serializable and canonical: decimals as strings
    (amounts at the currency's precision, others without trailing zeros), dates in ISO form,
    optional values left out. Equal programs give equal data; snapshots are stored this way."""
    money = _money_formatter(program.currency)
    expiry: dict[str, Any] = {"policy": program.expiry.policy}
    if program.expiry.policy != "none":
        expiry |= {"months": program.expiry.months, "warn_days": program.expiry.warn_days}
    settings: dict[str, Any] = {
        "name": program.name,
        "currency": program.currency,
        "timezone": program.timezone,
        "language": program.language,
        "point_value": _plain(program.point_value),
        "pending_days": program.pending_days,
        "rounding": program.rounding,
    }
    if program.max_purchase_amount is not None:
        settings["max_purchase_amount"] = money(program.max_purchase_amount)
    return {
        "program": {
            **settings,
            "expiry": expiry,
            "communications": _communications_to_data(program.communications),
        },
        "categories": [
            {"code": category.code, "name": _localized_to_data(category.name)}
            for category in program.categories
        ],
        "tiers": {
            "qualification": {
                "metric": program.qualification_metric,
                "window_months": program.qualification_window_months,
            },
            "levels": [_tier_to_data(tier) for tier in program.tiers],
        },
        "rules": [_rule_to_data(rule, money) for rule in program.rules],
        "rewards": [_reward_to_data(reward, money) for reward in program.rewards],
    }


def program_to_text(program: ProgramDefinition) -> str:
    """The program file for `program`, laid out like PROGRAM.md: sections as blocks, one flow
    mapping per tier, rule and reward, so a change shows as one changed line in a diff."""
    data = program_to_data(program)
    lines = ["program:"]
    for key, value in data["program"].items():
        if isinstance(value, dict):
            lines.append(f"  {key}:")
            lines.extend(f"    {k}: {flow_text(v)}" for k, v in value.items())
        else:
            lines.append(f"  {key}: {flow_text(value)}")
    if data["categories"]:
        lines += ["", *_block_list("categories", data["categories"], indent="")]
    lines += ["", "tiers:", f"  qualification: {flow_text(data['tiers']['qualification'])}"]
    lines += _block_list("levels", data["tiers"]["levels"], indent="  ")
    lines += ["", *_block_list("rules", data["rules"], indent="")]
    lines += ["", *_block_list("rewards", data["rewards"], indent="")]
    return "\n".join(lines) + "\n"


def _block_list(key: str, items: list[dict[str, Any]], *, indent: str) -> list[str]:
    if not items:
        return [f"{indent}{key}: []"]
    return [f"{indent}{key}:", *(f"{indent}  - {flow_text(item)}" for item in items)]


# --- Writing ---------------------------------------------------------------------------------

# Words YAML 1.1 would read as something other than a string when written bare.
_YAML_WORDS = {"y", "n", "yes", "no", "on", "off", "true", "false", "null", "~"}
_PLAIN_RE = re.compile(r"^[A-Za-z][A-Za-z0-9 _./'-]*$")


def flow_text(value: Any) -> str:
    """`value` (from `program_to_data`) as YAML flow text, as the file writes it."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}: {flow_text(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(flow_text(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, _Decimal):
        return f'"{value.text}"'
    if isinstance(value, _Date):
        return value.text
    text = str(value)
    if _PLAIN_RE.match(text) and not text.endswith(" ") and text.lower() not in _YAML_WORDS:
        return text
    # A JSON string is a valid YAML double-quoted scalar.
    return json.dumps(text, ensure_ascii=False)


class _Decimal(str):
    """A decimal's canonical text; marks it to be written quoted like PROGRAM.md does."""

    @property
    def text(self) -> str:
        return str.__str__(self)


class _Date(str):
    """An ISO date; written bare like PROGRAM.md does."""

    @property
    def text(self) -> str:
        return str.__str__(self)


def _plain(value: Decimal) -> _Decimal:
    """`Decimal` as text without exponent or trailing zeros: 1.2500 -> "1.25", 1.0 -> "1"."""
    if value == value.to_integral_value():
        return _Decimal(str(int(value)))
    return _Decimal(format(value.normalize(), "f"))


def _money_formatter(currency: str):
    places = currency_decimals(currency)

    def money(value: Decimal) -> _Decimal:
        return _Decimal(format(value.quantize(Decimal(1).scaleb(-places)), "f"))

    return money


def _date(value: datetime.date) -> _Date:
    return _Date(value.isoformat())


def _communications_to_data(communications: Communications) -> dict[str, Any]:
    quiet_hours, cap = communications.quiet_hours, communications.frequency_cap
    return {
        "quiet_hours": {
            "from": quiet_hours.starts.strftime("%H:%M"),
            "to": quiet_hours.ends.strftime("%H:%M"),
        },
        "frequency_cap": {"messages": cap.messages, "days": cap.days},
    }


def _tier_to_data(tier: TierDefinition) -> dict[str, Any]:
    data: dict[str, Any] = {
        "code": tier.code,
        "name": _localized_to_data(tier.name),
        "threshold": _plain(tier.threshold),
        "multiplier": _plain(tier.multiplier),
        "discount_percent": tier.discount_percent,
    }
    if tier.benefits:
        data["benefits"] = list(tier.benefits)
    return data


def _localized_to_data(name: dict[str, str]) -> dict[str, str]:
    return {language: name[language] for language in NAME_LANGUAGES if name.get(language)}


def _rule_to_data(rule: RuleDefinition, money) -> dict[str, Any]:
    values: dict[str, Any] = {
        "code": rule.code,
        "kind": rule.kind,
        "event": rule.event,
        "points": rule.points,
        "per": money(rule.per) if rule.per is not None else None,
        "category": rule.category,
        "sku": rule.sku,
        "multiplier": _plain(rule.multiplier) if rule.multiplier is not None else None,
        "min_amount": money(rule.min_amount) if rule.min_amount is not None else None,
        "starts": _date(rule.starts) if rule.starts else None,
        "ends": _date(rule.ends) if rule.ends else None,
        "weekdays": list(rule.weekdays) or None,
        "channels": list(rule.channels) or None,
        "referee_points": rule.referee_points,
        "monthly_cap": rule.monthly_cap,
    }
    return {key: value for key, value in values.items() if value is not None}


def _reward_to_data(reward: RewardDefinition, money) -> dict[str, Any]:
    description = reward.description
    if isinstance(description, dict):
        description = _localized_to_data(description)
    values: dict[str, Any] = {
        "code": reward.code,
        "kind": reward.kind,
        "name": _localized_to_data(reward.name),
        "points_cost": reward.points_cost,
        "percent": reward.percent,
        "amount": money(reward.amount) if reward.amount is not None else None,
        "sku": reward.sku,
        "stock": reward.stock,
        "min_tier": reward.min_tier,
        "per_member_limit": reward.per_member_limit,
        "available_from": _date(reward.available_from) if reward.available_from else None,
        "available_until": _date(reward.available_until) if reward.available_until else None,
        "voucher_valid_days": reward.voucher_valid_days,
        "description": description,
        "image": reward.image,
    }
    return {key: value for key, value in values.items() if value is not None}


# --- Reading ---------------------------------------------------------------------------------


def _line(thing: Any) -> int | None:
    mark = getattr(thing, "start_mark", None)
    return mark.line + 1 if mark is not None else None


def _to_node(value: Any) -> Node:
    """Plain data as unmarked YAML nodes, tagged as a YAML file would tag them."""
    if isinstance(value, dict):
        return MappingNode(
            _TAG + "map", [(ScalarNode(_STR, str(k)), _to_node(v)) for k, v in value.items()]
        )
    if isinstance(value, list | tuple):
        return SequenceNode(_TAG + "seq", [_to_node(v) for v in value])
    if value is None:
        return ScalarNode(_NULL, "")
    if isinstance(value, bool):
        return ScalarNode(_BOOL, "true" if value else "false")
    if isinstance(value, int):
        return ScalarNode(_INT, str(value))
    if isinstance(value, float):
        # Never expected (we write decimals as strings); kept visible so the validator refuses
        # nothing silently and reads the float's shortest text, not its binary value.
        return ScalarNode(_FLOAT, repr(value))
    if isinstance(value, Decimal):
        return ScalarNode(_STR, format(value, "f"))
    if isinstance(value, datetime.date):
        return ScalarNode(_STR, value.isoformat())
    if isinstance(value, datetime.time):
        # An admin's TimeField value; seconds are kept so that the validator refuses them.
        is_minute = not (value.second or value.microsecond)
        return ScalarNode(_STR, value.strftime("%H:%M") if is_minute else value.isoformat())
    return ScalarNode(_STR, str(value))


def _is_null(node: Node) -> bool:
    return isinstance(node, ScalarNode) and node.tag == _NULL


@cache
def _timezones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones()) | {"UTC"}


class _Reader:
    """Walks the document, collecting every error instead of stopping at the first."""

    def __init__(self) -> None:
        self.errors: list[ProgramError] = []
        # Every tier code written, even on a level with other errors, so that a reward's
        # min_tier is not also reported unknown because of an unrelated mistake in its tier.
        self.tier_codes: set[str] = set()

    def error(self, node: Node | None, path: Path, message: str) -> None:
        self.errors.append(ProgramError(message, path, _line(node)))

    # Structure ---------------------------------------------------------------------------

    def mapping(
        self, node: Node, path: Path, *, required: Iterable[str], optional: Iterable[str] = ()
    ) -> dict[str, Node] | None:
        """The mapping's values by key; unknown, duplicate and missing keys are errors.
        A key given an empty value (`key:` or `key: null`) counts as absent."""
        if not isinstance(node, MappingNode):
            self.error(node, path, "must be a mapping of keys to values")
            return None
        required, optional = tuple(required), tuple(optional)
        allowed = (*required, *optional)
        values: dict[str, Node] = {}
        keys: dict[str, Node] = {}
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, ScalarNode) else None
            if not isinstance(key, str):
                self.error(key_node, path, "keys must be plain words")
                continue
            if key in keys:
                self.error(key_node, (*path, key), "duplicate key")
                continue
            keys[key] = key_node
            if key not in allowed:
                self.error(
                    key_node, (*path, key), f"unknown key '{key}' (allowed: {', '.join(allowed)})"
                )
                continue
            if not _is_null(value_node):
                values[key] = value_node
        for key in required:
            if key not in values:
                self.error(keys.get(key, node), (*path, key), "is required")
        return values

    def sequence(self, node: Node, path: Path) -> list[Node]:
        if not isinstance(node, SequenceNode):
            self.error(node, path, "must be a list")
            return []
        return list(node.value)

    def scalar(self, node: Node, path: Path, what: str) -> ScalarNode | None:
        if not isinstance(node, ScalarNode):
            self.error(node, path, f"must be {what}, not a {_shape(node)}")
            return None
        return node

    # Scalars -----------------------------------------------------------------------------

    def text(self, node: Node, path: Path, *, max_length: int = TEXT_MAX_LENGTH) -> str | None:
        scalar = self.scalar(node, path, "text")
        if scalar is None:
            return None
        value = scalar.value.strip()
        if not value:
            self.error(node, path, "must not be empty")
            return None
        if len(value) > max_length:
            self.error(node, path, f"is longer than {max_length} characters")
            return None
        return value

    def code(self, node: Node, path: Path) -> str | None:
        value = self.text(node, path, max_length=CODE_MAX_LENGTH)
        if value is not None and not _CODE_RE.match(value):
            self.error(
                node,
                path,
                f"'{value}' is not a valid code (letters, digits, '_', '-' and '.', "
                "starting with a letter or digit)",
            )
            return None
        return value

    def choice(self, node: Node, path: Path, choices: tuple[str, ...], what: str) -> str | None:
        scalar = self.scalar(node, path, f"one of {', '.join(choices)}")
        if scalar is None:
            return None
        if scalar.value not in choices:
            self.error(node, path, f"unknown {what} '{scalar.value}' (one of {', '.join(choices)})")
            return None
        return scalar.value

    def integer(
        self, node: Node, path: Path, *, minimum: int = 0, maximum: int = MAX_POINTS
    ) -> int | None:
        scalar = self.scalar(node, path, "a whole number")
        if scalar is None:
            return None
        if scalar.tag != _INT or not _INTEGER_RE.match(scalar.value):
            self.error(node, path, f"'{scalar.value}' is not a whole number")
            return None
        value = int(scalar.value)
        if value < minimum:
            problem = "must not be negative" if minimum == 0 else f"must be at least {minimum}"
            self.error(node, path, f"{problem} (got {value})")
            return None
        if value > maximum:
            self.error(node, path, f"must be at most {maximum} (got {value})")
            return None
        return value

    def decimal(
        self,
        node: Node,
        path: Path,
        *,
        digits: tuple[int, int],
        positive: bool = False,
        places: int | None = None,
        currency: str | None = None,
    ) -> Decimal | None:
        """A decimal read from its text, quoted or not. `places` (the currency's minor unit)
        tightens the model's decimal places for amounts of money."""
        scalar = self.scalar(node, path, "a decimal number")
        if scalar is None:
            return None
        text = scalar.value.strip()
        if scalar.tag not in (_STR, _INT, _FLOAT) or not _DECIMAL_RE.match(text):
            self.error(node, path, f"'{scalar.value}' is not a decimal number (e.g. \"12.50\")")
            return None
        try:
            value = Decimal(text)
        except InvalidOperation:  # pragma: no cover - the pattern above already guarantees it
            self.error(node, path, f"'{scalar.value}' is not a decimal number")
            return None
        if value < 0:
            self.error(node, path, f"must not be negative (got {text})")
            return None
        if positive and value == 0:
            self.error(node, path, "must be greater than 0")
            return None
        max_digits, decimal_places = digits
        exponent = value.normalize().as_tuple().exponent
        used_places = max(0, -exponent) if isinstance(exponent, int) else 0
        allowed_places = decimal_places if places is None else min(places, decimal_places)
        if used_places > allowed_places:
            unit = f" for {currency}" if currency and places is not None else ""
            self.error(node, path, f"{text} has more than {allowed_places} decimal places{unit}")
            return None
        if value.adjusted() + 1 > max_digits - decimal_places:
            self.error(node, path, f"{text} is too large")
            return None
        return value

    def date(self, node: Node, path: Path) -> datetime.date | None:
        scalar = self.scalar(node, path, "a date")
        if scalar is None:
            return None
        text = scalar.value.strip()
        if scalar.tag in (_STR, _TIMESTAMP) and _DATE_RE.match(text):
            try:
                return datetime.date.fromisoformat(text)
            except ValueError:
                pass
        self.error(node, path, f"'{scalar.value}' is not a date (YYYY-MM-DD)")
        return None

    def time(self, node: Node, path: Path) -> datetime.time | None:
        scalar = self.scalar(node, path, "a time of day")
        if scalar is None:
            return None
        match = _TIME_RE.match(scalar.value.strip())
        if scalar.tag not in (_STR, _INT) or match is None:
            self.error(node, path, f"'{scalar.value}' is not a time of day (HH:MM, e.g. \"21:00\")")
            return None
        return datetime.time(int(match[1]), int(match[2]))

    def choices(
        self, node: Node, path: Path, choices: tuple[str, ...], what: str
    ) -> tuple[str, ...] | None:
        values: list[str] = []
        is_valid = True
        for index, item in enumerate(self.sequence(node, path)):
            value = self.choice(item, (*path, index), choices, what)
            if value is None:
                is_valid = False
            elif value in values:
                self.error(item, (*path, index), f"{what} '{value}' is listed twice")
                is_valid = False
            else:
                values.append(value)
        if not isinstance(node, SequenceNode):
            return None
        if not values and is_valid:
            self.error(node, path, "must not be an empty list (leave it out for no restriction)")
            return None
        # Canonical order, so that [tue, mon] and [mon, tue] are the same program.
        return tuple(sorted(values, key=choices.index)) if is_valid else None

    def localized(self, node: Node, path: Path) -> dict[str, str] | None:
        values = self.mapping(
            node, path, required=(DEFAULT_NAME_LANGUAGE,), optional=NAME_LANGUAGES[1:]
        )
        if values is None:
            return None
        names = {
            language: self.text(value, (*path, language)) for language, value in values.items()
        }
        if any(name is None for name in names.values()) or DEFAULT_NAME_LANGUAGE not in names:
            return None
        return {language: names[language] for language in NAME_LANGUAGES if language in names}

    # Sections ----------------------------------------------------------------------------

    def document(self, root: Node) -> ProgramDefinition:
        sections = self.mapping(
            root, (), required=("program", "tiers"), optional=("categories", "rules", "rewards")
        )
        if sections is None:
            raise ProgramInvalid(self.errors)
        program = self.program(sections["program"]) if "program" in sections else None
        currency = (program or {}).get("currency")
        tiers_section = self.tiers(sections["tiers"]) if "tiers" in sections else None
        categories = self.categories(sections["categories"]) if "categories" in sections else []
        rules = self.rules(sections["rules"], currency) if "rules" in sections else []
        rewards = (
            self.rewards(sections["rewards"], currency, self.tier_codes)
            if "rewards" in sections
            else []
        )
        if self.errors or program is None or tiers_section is None:
            raise ProgramInvalid(self.errors)
        return ProgramDefinition(
            **program,
            categories=tuple(categories),
            qualification_metric=tiers_section["metric"],
            qualification_window_months=tiers_section["window_months"],
            tiers=tuple(tiers_section["levels"]),
            rules=tuple(rules),
            rewards=tuple(rewards),
        )

    def program(self, node: Node) -> dict[str, Any] | None:
        path: Path = ("program",)
        values = self.mapping(
            node,
            path,
            required=("name", "point_value"),
            optional=(
                "currency",
                "timezone",
                "language",
                "pending_days",
                "rounding",
                "max_purchase_amount",
                "expiry",
                "communications",
            ),
        )
        if values is None:
            return None
        result: dict[str, Any] = {
            "name": self.text(values["name"], (*path, "name")) if "name" in values else None,
            "currency": DEFAULT_CURRENCY,
            "timezone": DEFAULT_TIMEZONE,
            "pending_days": 0,
            "rounding": "floor",
            "expiry": Expiry(policy="none"),
            "communications": Communications(),
            "language": DEFAULT_NAME_LANGUAGE,
        }
        if "currency" in values:
            result["currency"] = self.currency(values["currency"], (*path, "currency"))
        if "timezone" in values:
            result["timezone"] = self.timezone(values["timezone"], (*path, "timezone"))
        if "language" in values:
            result["language"] = self.choice(
                values["language"], (*path, "language"), NAME_LANGUAGES, "language"
            )
        if "point_value" in values:
            result["point_value"] = self.decimal(
                values["point_value"], (*path, "point_value"), digits=POINT_VALUE_DIGITS
            )
        if "pending_days" in values:
            result["pending_days"] = self.integer(
                values["pending_days"], (*path, "pending_days"), maximum=3650
            )
        if "rounding" in values:
            result["rounding"] = self.choice(
                values["rounding"], (*path, "rounding"), ROUNDINGS, "rounding"
            )
        if "expiry" in values:
            result["expiry"] = self.expiry(values["expiry"], (*path, "expiry"))
        if "communications" in values:
            result["communications"] = self.communications(
                values["communications"], (*path, "communications")
            )
        if not all(value is not None for value in result.values()):
            return None
        if "max_purchase_amount" in values:
            currency = result["currency"]
            limit = self.decimal(
                values["max_purchase_amount"],
                (*path, "max_purchase_amount"),
                digits=PURCHASE_AMOUNT_DIGITS,
                positive=True,
                places=currency_decimals(currency),
                currency=currency,
            )
            if limit is None:
                return None
            result["max_purchase_amount"] = limit
        return result

    def currency(self, node: Node, path: Path) -> str | None:
        value = self.text(node, path)
        if value is not None and not is_currency(value):
            self.error(node, path, f"unknown currency '{value}' (an ISO 4217 code such as EUR)")
            return None
        return value

    def timezone(self, node: Node, path: Path) -> str | None:
        value = self.text(node, path)
        if value is not None and value not in _timezones():
            self.error(
                node, path, f"unknown timezone '{value}' (an IANA name such as Europe/Madrid)"
            )
            return None
        return value

    def expiry(self, node: Node, path: Path) -> Expiry | None:
        values = self.mapping(node, path, required=("policy",), optional=("months", "warn_days"))
        if values is None or "policy" not in values:
            return None
        policy = self.choice(values["policy"], (*path, "policy"), EXPIRY_POLICIES, "expiry policy")
        if policy is None:
            return None
        if policy == "none":
            for key in ("months", "warn_days"):
                if key in values:
                    self.error(values[key], (*path, key), "only applies when points expire")
            return Expiry(policy="none")
        if "months" not in values:
            self.error(node, (*path, "months"), f"is required for the {policy} policy")
            return None
        months = self.integer(values["months"], (*path, "months"), minimum=1, maximum=600)
        warn_days = DEFAULT_WARN_DAYS
        if "warn_days" in values:
            warn_days = self.integer(values["warn_days"], (*path, "warn_days"), maximum=3650)
        if months is None or warn_days is None:
            return None
        return Expiry(policy=policy, months=months, warn_days=warn_days)

    def communications(self, node: Node, path: Path) -> Communications | None:
        """Either part may be left out for its default; `from` equal to `to` means no quiet
        hours. There is always a frequency cap (a large one for none)."""
        values = self.mapping(node, path, required=(), optional=("quiet_hours", "frequency_cap"))
        if values is None:
            return None
        quiet_hours: QuietHours | None = QuietHours()
        cap: FrequencyCap | None = FrequencyCap()
        if "quiet_hours" in values:
            hours_path = (*path, "quiet_hours")
            hours = self.mapping(values["quiet_hours"], hours_path, required=("from", "to"))
            quiet_hours = None
            if hours is not None and "from" in hours and "to" in hours:
                starts = self.time(hours["from"], (*hours_path, "from"))
                ends = self.time(hours["to"], (*hours_path, "to"))
                if starts is not None and ends is not None:
                    quiet_hours = QuietHours(starts=starts, ends=ends)
        if "frequency_cap" in values:
            cap_path = (*path, "frequency_cap")
            limits = self.mapping(values["frequency_cap"], cap_path, required=("messages", "days"))
            cap = None
            if limits is not None and "messages" in limits and "days" in limits:
                messages = self.integer(
                    limits["messages"],
                    (*cap_path, "messages"),
                    minimum=1,
                    maximum=MAX_CAP_MESSAGES,
                )
                days = self.integer(
                    limits["days"], (*cap_path, "days"), minimum=1, maximum=MAX_CAP_DAYS
                )
                if messages is not None and days is not None:
                    cap = FrequencyCap(messages=messages, days=days)
        if quiet_hours is None or cap is None:
            return None
        return Communications(quiet_hours=quiet_hours, frequency_cap=cap)

    def tiers(self, node: Node) -> dict[str, Any] | None:
        path: Path = ("tiers",)
        values = self.mapping(node, path, required=("levels",), optional=("qualification",))
        if values is None:
            return None
        metric, window_months = "spend", 12
        if "qualification" in values:
            qualification_path = (*path, "qualification")
            qualification = self.mapping(
                values["qualification"], qualification_path, required=("metric", "window_months")
            )
            if qualification is None:
                return None
            if "metric" in qualification:
                metric = self.choice(
                    qualification["metric"],
                    (*qualification_path, "metric"),
                    QUALIFICATION_METRICS,
                    "qualification metric",
                )
            if "window_months" in qualification:
                window_months = self.integer(
                    qualification["window_months"],
                    (*qualification_path, "window_months"),
                    minimum=1,
                    maximum=120,
                )
        levels: list[TierDefinition] = []
        level_nodes = (
            self.sequence(values["levels"], (*path, "levels")) if "levels" in values else []
        )
        codes: dict[str, Node] = {}
        previous: tuple[TierDefinition, Node] | None = None
        is_valid = True
        for index, level_node in enumerate(level_nodes):
            level = self.tier(level_node, (*path, "levels", index), codes)
            if level is None:
                is_valid = False
                previous = None  # no sensible comparison across a broken level
                continue
            level_values = dict((k.value, v) for k, v in level_node.value)
            threshold_node = level_values.get("threshold", level_node)
            threshold_path = (*path, "levels", index, "threshold")
            if previous is None and index == 0 and level.threshold != 0:
                self.error(
                    threshold_node,
                    threshold_path,
                    f"the lowest tier must have threshold 0 (got {_plain(level.threshold)})",
                )
            if previous is not None and level.threshold <= previous[0].threshold:
                self.error(
                    threshold_node,
                    threshold_path,
                    f"threshold {_plain(level.threshold)} must be above the previous tier's "
                    f"({previous[0].code}: {_plain(previous[0].threshold)}); levels go from "
                    "lowest to highest and their thresholds must not overlap",
                )
            previous = (level, level_node)
            levels.append(level)
        if not is_valid or metric is None or window_months is None:
            return None
        return {"metric": metric, "window_months": window_months, "levels": levels}

    def tier(self, node: Node, path: Path, codes: dict[str, Node]) -> TierDefinition | None:
        values = self.mapping(
            node,
            path,
            required=("code", "name", "threshold", "multiplier"),
            optional=("discount_percent", "benefits"),
        )
        if values is None:
            return None
        fields: dict[str, Any] = {}
        if "code" in values:
            fields["code"] = self.unique_code(values["code"], (*path, "code"), codes, "tier")
        if "name" in values:
            fields["name"] = self.localized(values["name"], (*path, "name"))
        if "threshold" in values:
            fields["threshold"] = self.decimal(
                values["threshold"], (*path, "threshold"), digits=THRESHOLD_DIGITS
            )
        if "multiplier" in values:
            fields["multiplier"] = self.decimal(
                values["multiplier"], (*path, "multiplier"), digits=MULTIPLIER_DIGITS, positive=True
            )
        if "discount_percent" in values:
            fields["discount_percent"] = self.integer(
                values["discount_percent"], (*path, "discount_percent"), maximum=100
            )
        if "benefits" in values:
            fields["benefits"] = self.benefits(values["benefits"], (*path, "benefits"))
        if len(fields) < 4 or any(value is None for value in fields.values()):
            return None
        return TierDefinition(**fields)

    def benefits(self, node: Node, path: Path) -> tuple[str, ...] | None:
        benefits: list[str] = []
        is_valid = isinstance(node, SequenceNode)
        for index, item in enumerate(self.sequence(node, path)):
            benefit = self.code(item, (*path, index))
            if benefit is not None and benefit not in BENEFITS:
                self.error(
                    item,
                    (*path, index),
                    f"unknown benefit '{benefit}'; known: {', '.join(sorted(BENEFITS))}",
                )
                benefit = None
            elif benefit is not None and benefit in benefits:
                self.error(item, (*path, index), f"benefit '{benefit}' is listed twice")
                benefit = None
            if benefit is None:
                is_valid = False
            else:
                benefits.append(benefit)
        return tuple(benefits) if is_valid else None

    def categories(self, node: Node) -> list[CategoryDefinition]:
        """`categories:`: a list of {code, name}; each code once."""
        path: Path = ("categories",)
        codes: dict[str, Node] = {}
        found = []
        for index, item in enumerate(self.sequence(node, path)):
            item_path = (*path, index)
            values = self.mapping(item, item_path, required=("code", "name"))
            if values is None or "code" not in values or "name" not in values:
                continue  # refused by mapping()
            code = self.unique_code(values["code"], (*item_path, "code"), codes, "category")
            name = self.localized(values["name"], (*item_path, "name"))
            if code is not None and name is not None:
                found.append(CategoryDefinition(code=code, name=name))
        return found

    def unique_code(self, node: Node, path: Path, codes: dict[str, Node], what: str) -> str | None:
        code = self.code(node, path)
        if code is None:
            return None
        if code in codes:
            first = _line(codes[code])
            also = f" (first on line {first})" if first else ""
            self.error(node, path, f"duplicate {what} code '{code}'{also}")
            return None
        codes[code] = node
        if what == "tier":
            self.tier_codes.add(code)
        return code

    def rules(self, node: Node, currency: str | None) -> list[RuleDefinition]:
        codes: dict[str, Node] = {}
        rules = []
        for index, rule_node in enumerate(self.sequence(node, ("rules",))):
            rule = self.rule(rule_node, ("rules", index), codes, currency)
            if rule is not None:
                rules.append(rule)
        return rules

    def kind_of(self, node: Node, path: Path, kinds, label: str) -> str | None:
        """The `kind` of a rule or reward mapping, or None after saying what is wrong (not a
        mapping, no kind, an unknown kind): its other keys depend on it."""
        if not isinstance(node, MappingNode):
            self.error(node, path, "must be a mapping of keys to values")
            return None
        raw = {k.value: v for k, v in node.value if isinstance(k, ScalarNode)}
        kind_node = raw.get("kind")
        if kind_node is None or _is_null(kind_node):
            self.error(node, (*path, "kind"), f"is required (one of {', '.join(kinds)})")
            return None
        return self.choice(kind_node, (*path, "kind"), kinds, label)

    def rule(
        self, node: Node, path: Path, codes: dict[str, Node], currency: str | None
    ) -> RuleDefinition | None:
        kind = self.kind_of(node, path, RULE_KINDS, "rule kind")
        if kind is None:
            return None  # its other keys cannot be checked without knowing what it is
        required, optional = _RULE_FIELDS[kind]
        values = self.mapping(node, path, required=("code", "kind", *required), optional=optional)
        if values is None:
            return None
        fields: dict[str, Any] = {"kind": kind}
        is_valid = all(key in values for key in ("code", *required))
        if "code" in values:
            fields["code"] = self.unique_code(values["code"], (*path, "code"), codes, "rule")
        places = currency_decimals(currency) if currency else None
        for key, value_node in values.items():
            key_path = (*path, key)
            if key in ("code", "kind"):
                continue
            if key in ("points", "referee_points"):
                fields[key] = self.integer(value_node, key_path)
            elif key == "monthly_cap":
                fields[key] = self.integer(value_node, key_path, minimum=1)
            elif key in ("per", "min_amount"):
                fields[key] = self.decimal(
                    value_node,
                    key_path,
                    digits=AMOUNT_DIGITS,
                    positive=key == "per",
                    places=places,
                    currency=currency,
                )
            elif key == "multiplier":
                fields[key] = self.decimal(
                    value_node, key_path, digits=MULTIPLIER_DIGITS, positive=True
                )
            elif key in ("category", "sku"):
                fields[key] = self.text(value_node, key_path, max_length=100)
            elif key in ("starts", "ends"):
                fields[key] = self.date(value_node, key_path)
            elif key == "weekdays":
                fields[key] = self.choices(value_node, key_path, WEEKDAYS, "weekday")
            elif key == "channels":
                fields[key] = self.choices(value_node, key_path, CHANNELS, "channel")
            elif key == "event":
                fields[key] = self.choice(value_node, key_path, EVENTS, "event")
        if any(value is None for value in fields.values()):
            is_valid = False
        starts, ends = fields.get("starts"), fields.get("ends")
        if starts and ends and starts > ends:
            self.error(
                values["ends"], (*path, "ends"), f"ends ({ends}) is before starts ({starts})"
            )
            is_valid = False
        if kind == CATEGORY_MULTIPLIER and ("category" in values) == ("sku" in values):
            self.error(node, (*path, "category"), "give either a category or a sku")
            is_valid = False
        if "referee_points" in values and fields.get("event") not in (None, "referral"):
            self.error(
                values["referee_points"],
                (*path, "referee_points"),
                "only applies to the referral event",
            )
            is_valid = False
        return RuleDefinition(**fields) if is_valid else None

    def rewards(
        self, node: Node, currency: str | None, tier_codes: set[str]
    ) -> list[RewardDefinition]:
        codes: dict[str, Node] = {}
        rewards = []
        for index, reward_node in enumerate(self.sequence(node, ("rewards",))):
            reward = self.reward(reward_node, ("rewards", index), codes, currency, tier_codes)
            if reward is not None:
                rewards.append(reward)
        return rewards

    def reward(
        self,
        node: Node,
        path: Path,
        codes: dict[str, Node],
        currency: str | None,
        tier_codes: set[str],
    ) -> RewardDefinition | None:
        kind = self.kind_of(node, path, REWARD_KINDS, "reward kind")
        if kind is None:
            return None
        specific = _REWARD_FIELDS[kind]
        values = self.mapping(
            node,
            path,
            required=("code", "kind", "name", "points_cost", *specific),
            optional=_REWARD_OPTIONAL,
        )
        if values is None:
            return None
        fields: dict[str, Any] = {"kind": kind}
        is_valid = all(key in values for key in ("code", "name", "points_cost", *specific))
        if "code" in values:
            fields["code"] = self.unique_code(values["code"], (*path, "code"), codes, "reward")
        for key, value_node in values.items():
            key_path = (*path, key)
            if key in ("code", "kind"):
                continue
            if key == "name":
                fields[key] = self.localized(value_node, key_path)
            elif key in ("points_cost", "stock"):
                fields[key] = self.integer(value_node, key_path)
            elif key in ("per_member_limit", "voucher_valid_days"):
                fields[key] = self.integer(value_node, key_path, minimum=1, maximum=36500)
            elif key == "percent":
                fields[key] = self.integer(value_node, key_path, minimum=1, maximum=100)
            elif key == "amount":
                fields[key] = self.decimal(
                    value_node,
                    key_path,
                    digits=AMOUNT_DIGITS,
                    positive=True,
                    places=currency_decimals(currency) if currency else None,
                    currency=currency,
                )
            elif key == "sku":
                fields[key] = self.text(value_node, key_path, max_length=100)
            elif key == "min_tier":
                fields[key] = self.text(value_node, key_path, max_length=CODE_MAX_LENGTH)
                if fields[key] is not None and fields[key] not in tier_codes:
                    known = ", ".join(sorted(tier_codes)) or "none defined"
                    self.error(
                        value_node, key_path, f"unknown tier '{fields[key]}' (tiers: {known})"
                    )
                    fields[key] = None
            elif key in ("available_from", "available_until"):
                fields[key] = self.date(value_node, key_path)
            elif key == "description":
                fields[key] = (
                    self.localized(value_node, key_path)
                    if isinstance(value_node, MappingNode)
                    else self.text(value_node, key_path, max_length=2000)
                )
            elif key == "image":
                fields[key] = self.text(value_node, key_path, max_length=500)
        if any(value is None for value in fields.values()):
            is_valid = False
        starts, ends = fields.get("available_from"), fields.get("available_until")
        if starts and ends and starts > ends:
            self.error(
                values["available_until"],
                (*path, "available_until"),
                f"available_until ({ends}) is before available_from ({starts})",
            )
            is_valid = False
        return RewardDefinition(**fields) if is_valid else None


def _shape(node: Node) -> str:
    return "list" if isinstance(node, SequenceNode) else "mapping"


_CONDITIONS = ("starts", "ends", "weekdays", "channels")
# kind: (required fields besides code and kind, optional fields)
_RULE_FIELDS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    PER_CURRENCY_UNIT: (("points", "per"), _CONDITIONS),
    PER_ITEM: (("points",), ("category", "sku", *_CONDITIONS)),
    CATEGORY_MULTIPLIER: (("multiplier",), ("category", "sku", *_CONDITIONS)),
    SPEND_THRESHOLD_BONUS: (("min_amount", "points"), _CONDITIONS),
    PROMO_MULTIPLIER: (("multiplier",), _CONDITIONS),
    # An event has no purchase, hence no weekday or channel; a window still makes sense
    # ("double welcome bonus in December").
    EVENT_BONUS: (("event", "points"), ("referee_points", "monthly_cap", "starts", "ends")),
}
RULE_FIELDS = {kind: (*required, *optional) for kind, (required, optional) in _RULE_FIELDS.items()}

_REWARD_FIELDS: dict[str, tuple[str, ...]] = {
    "percent_discount": ("percent",),
    "fixed_discount": ("amount",),
    "cashback": ("amount",),
    "free_product": ("sku",),
    "event": (),
}
_REWARD_OPTIONAL = (
    "stock",
    "min_tier",
    "per_member_limit",
    "available_from",
    "available_until",
    "voucher_valid_days",
    "description",
    "image",
)
