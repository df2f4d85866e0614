"""The program's definition: its vocabulary (rule kinds, channels, policies, limits) and the
parsed result, a tree of frozen dataclasses (`ProgramDefinition`) that scoring, tiers, expiry and
the catalog work from. Reading and writing the program file (YAML) is loyalty.program_file's.

Treat a definition as read-only: parsed definitions are cached and shared between threads.
"""

from __future__ import annotations

import datetime
import zoneinfo
from dataclasses import dataclass
from decimal import Decimal

from config.languages import DEFAULT_NAME_LANGUAGE, NAME_LANGUAGES, localized
from loyalty.channels import Channel
from loyalty.money import DEFAULT_CURRENCY

__all__ = ["DEFAULT_CURRENCY", "DEFAULT_NAME_LANGUAGE", "NAME_LANGUAGES"]


# --- Vocabulary ------------------------------------------------------------------------------

# Localized names are edited in the admin as one field per language, so the set is fixed here
# rather than read from settings.LANGUAGES; English is the fallback every name must have.

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")  # index = date.weekday()
CHANNELS = tuple(Channel.values)
EVENTS = ("signup", "birthday", "referral", "survey_answered", "profile_completed")
ROUNDINGS = ("floor", "round", "ceil")
EXPIRY_POLICIES = ("none", "rolling", "inactivity")
QUALIFICATION_METRICS = ("spend", "points")

PER_CURRENCY_UNIT = "per_currency_unit"
PER_ITEM = "per_item"
CATEGORY_MULTIPLIER = "category_multiplier"
SPEND_THRESHOLD_BONUS = "spend_threshold_bonus"
PROMO_MULTIPLIER = "promo_multiplier"
EVENT_BONUS = "event_bonus"
RULE_KINDS = (
    PER_CURRENCY_UNIT,
    PER_ITEM,
    CATEGORY_MULTIPLIER,
    SPEND_THRESHOLD_BONUS,
    PROMO_MULTIPLIER,
    EVENT_BONUS,
)

REWARD_KINDS = ("percent_discount", "fixed_discount", "cashback", "free_product", "event")
DEFAULT_VOUCHER_VALID_DAYS = 90

DEFAULT_TIMEZONE = "UTC"
DEFAULT_WARN_DAYS = 30

# Communications (CAMPAIGNS.md): marketing messages wait out the quiet hours on the member's
# wall clock, and a member is sent at most `messages` marketing messages in `days` days.
DEFAULT_QUIET_HOURS = (datetime.time(21, 0), datetime.time(9, 0))
DEFAULT_FREQUENCY_CAP = (1, 2)  # (messages, days)
MAX_CAP_MESSAGES = 100
MAX_CAP_DAYS = 365

# (max_digits, decimal_places) of each decimal, shared with the model fields so that whatever the
# file accepts the database can store exactly, and the other way round.
POINT_VALUE_DIGITS = (12, 6)
PURCHASE_AMOUNT_DIGITS = (12, 2)  # max_purchase_amount: what a purchase's amount column holds
AMOUNT_DIGITS = (14, 4)  # per, min_amount, reward amounts; also capped by the currency's decimals
THRESHOLD_DIGITS = (14, 4)  # spend or points, depending on the qualification metric
MULTIPLIER_DIGITS = (9, 4)

MAX_POINTS = 1_000_000_000  # far above any real rule; keeps a typo from minting billions
CODE_MAX_LENGTH = 50
TEXT_MAX_LENGTH = 200
# --- Result ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Expiry:
    policy: str
    months: int | None = None
    warn_days: int | None = None


@dataclass(frozen=True)
class QuietHours:
    """A daily window on the member's wall clock, from `starts` (inclusive) to `ends`
    (exclusive), in which no marketing message is sent. It may wrap midnight (21:00-09:00);
    `starts == ends` means there are none."""

    starts: datetime.time = DEFAULT_QUIET_HOURS[0]
    ends: datetime.time = DEFAULT_QUIET_HOURS[1]

    @property
    def is_none(self) -> bool:
        return self.starts == self.ends

    def contains(self, wall_time: datetime.time) -> bool:
        """Whether `wall_time` (a local time of day, without zone) falls inside the window."""
        wall_time = wall_time.replace(tzinfo=None, fold=0)
        if self.is_none:
            return False
        if self.starts < self.ends:
            return self.starts <= wall_time < self.ends
        return wall_time >= self.starts or wall_time < self.ends

    def end_after(self, moment: datetime.datetime, zone: datetime.tzinfo) -> datetime.datetime:
        """The earliest moment at or after `moment` (aware) outside the window, read on the
        wall clock of `zone`, in UTC: `moment` itself when it is outside, else when the window
        ends. An end that a daylight-saving change skips (02:30 on the spring-forward night) is
        reached when the clocks jump; one that happens twice, the first time.

        In UTC because Python never finds a wall time that happens twice equal to a moment of
        another zone (PEP 495): compared or stored, UTC is what the caller wants."""
        if moment.tzinfo is None:
            raise ValueError("end_after needs an aware datetime")
        local = moment.astimezone(zone)
        if not self.contains(local.time()):
            return moment.astimezone(datetime.UTC)
        day = local.date()
        if self.starts > self.ends and local.time() >= self.starts:
            day += datetime.timedelta(days=1)  # in the evening part of a window wrapping midnight
        return _wall_time_reached(datetime.datetime.combine(day, self.ends), zone)


def _wall_time_reached(wall: datetime.datetime, zone: datetime.tzinfo) -> datetime.datetime:
    """The moment (in UTC) the clocks of `zone` first show `wall` (naive), or jump past it: a
    wall time that a spring-forward change skips is reached at the change itself."""
    before = wall.replace(tzinfo=zone, fold=0).astimezone(datetime.UTC)
    if before.astimezone(zone).replace(tzinfo=None) == wall:
        return before  # it exists (when it exists twice, the first of them)
    # In a gap: read with the offset after the change (fold=1) it is earlier than read with the
    # one before; the change lies between, found to the second.
    low = wall.replace(tzinfo=zone, fold=1).astimezone(datetime.UTC)
    high, offset_after = before, before.astimezone(zone).utcoffset()
    while high - low > datetime.timedelta(seconds=1):
        middle = low + (high - low) / 2
        if middle.astimezone(zone).utcoffset() == offset_after:
            high = middle
        else:
            low = middle
    return high.replace(microsecond=0)


@dataclass(frozen=True)
class FrequencyCap:
    """At most `messages` marketing messages to a member in any `days` days."""

    messages: int = DEFAULT_FREQUENCY_CAP[0]
    days: int = DEFAULT_FREQUENCY_CAP[1]

    @property
    def window(self) -> datetime.timedelta:
        return datetime.timedelta(days=self.days)


@dataclass(frozen=True)
class Communications:
    """The program's settings for what it sends (PROGRAM.md `program.communications`)."""

    quiet_hours: QuietHours = QuietHours()
    frequency_cap: FrequencyCap = FrequencyCap()


@dataclass(frozen=True)
class CategoryDefinition:
    """What members read for a category code used by rules and items (PROGRAM.md
    `categories:`)."""

    code: str
    name: dict[str, str]

    def localized_name(self, language: str) -> str:
        return localized(self.name, language, self.code)


@dataclass(frozen=True)
class TierDefinition:
    code: str
    name: dict[str, str]
    threshold: Decimal
    multiplier: Decimal
    discount_percent: int = 0
    benefits: tuple[str, ...] = ()

    def localized_name(self, language: str) -> str:
        return localized(self.name, language, self.code)


@dataclass(frozen=True)
class RuleDefinition:
    code: str
    kind: str
    points: int | None = None
    per: Decimal | None = None
    category: str | None = None
    sku: str | None = None
    multiplier: Decimal | None = None
    min_amount: Decimal | None = None
    starts: datetime.date | None = None
    ends: datetime.date | None = None
    weekdays: tuple[str, ...] = ()
    channels: tuple[str, ...] = ()
    event: str | None = None
    referee_points: int | None = None
    monthly_cap: int | None = None

    def applies_on(self, *, day: datetime.date, channel: str | None = None) -> bool:
        """Whether the rule's window, weekdays and channels admit a purchase on `day` (a date in
        the program's timezone). The window is inclusive at both ends."""
        if self.starts is not None and day < self.starts:
            return False
        if self.ends is not None and day > self.ends:
            return False
        if self.weekdays and WEEKDAYS[day.weekday()] not in self.weekdays:
            return False
        return not (self.channels and channel not in self.channels)


@dataclass(frozen=True)
class RewardDefinition:
    code: str
    kind: str
    name: dict[str, str]
    points_cost: int
    percent: int | None = None
    amount: Decimal | None = None
    sku: str | None = None
    stock: int | None = None
    min_tier: str | None = None
    per_member_limit: int | None = None
    available_from: datetime.date | None = None
    available_until: datetime.date | None = None
    voucher_valid_days: int = DEFAULT_VOUCHER_VALID_DAYS
    description: str | dict[str, str] | None = None
    image: str | None = None


@dataclass(frozen=True)
class ProgramDefinition:
    name: str
    currency: str
    timezone: str
    point_value: Decimal
    pending_days: int
    rounding: str
    expiry: Expiry
    qualification_metric: str
    qualification_window_months: int
    # The largest purchase the program takes (None: no limit); a manager may still record a
    # larger one in the staff console after confirming it.
    max_purchase_amount: Decimal | None = None
    communications: Communications = Communications()
    # Members' default language, and the fallback for texts a member's language lacks.
    language: str = DEFAULT_NAME_LANGUAGE
    categories: tuple[CategoryDefinition, ...] = ()
    tiers: tuple[TierDefinition, ...] = ()
    rules: tuple[RuleDefinition, ...] = ()
    rewards: tuple[RewardDefinition, ...] = ()

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.timezone)  # ZoneInfo keeps its own cache per key

    def category_name(self, code: str, language: str) -> str:
        """The category's name in `language`; the code itself when the program names it not."""
        found = next((category for category in self.categories if category.code == code), None)
        return found.localized_name(language) if found else code

    def category_names(self, language: str) -> dict[str, str]:
        """{code: name in `language`} of every category the program names."""
        return {category.code: category.localized_name(language) for category in self.categories}

    def tier(self, code: str | None) -> TierDefinition | None:
        return next((tier for tier in self.tiers if tier.code == code), None)

    def rule(self, code: str) -> RuleDefinition | None:
        return next((rule for rule in self.rules if rule.code == code), None)

    def rules_of_kind(self, kind: str) -> tuple[RuleDefinition, ...]:
        return tuple(rule for rule in self.rules if rule.kind == kind)
