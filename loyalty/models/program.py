"""The program as data: the editable state (program, tiers, earning rules) and its published,
immutable versions.

Staff edit `Program`, `Tier` and `EarningRule` rows (admin or `program import`); every change goes
through `loyalty.services.program` which validates the would-be program with the file validator and
publishes a `ProgramVersion`. Scoring never reads the editable rows: it reads a version's snapshot,
so a purchase scored last year keeps its arithmetic whatever is edited since.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from loyalty import definition as pd
from loyalty import program_file as pf
from loyalty.models.shop import shop_frame_forget

PROGRAM_PK = 1  # there is one program per installation; see Program.Meta.constraints


def _choices(values: tuple[str, ...]) -> list[tuple[str, str]]:
    return [(value, value.replace("_", " ")) for value in values]


def _decimal(digits: tuple[int, int], **kwargs) -> models.DecimalField:
    max_digits, decimal_places = digits
    return models.DecimalField(max_digits=max_digits, decimal_places=decimal_places, **kwargs)


class Program(models.Model):
    """The program's own settings. A single row (pk 1)."""

    name = models.CharField(_("name"), max_length=pd.TEXT_MAX_LENGTH)
    currency = models.CharField(
        _("currency"),
        max_length=3,
        default=pd.DEFAULT_CURRENCY,
        help_text=_("ISO 4217 code."),
    )
    timezone = models.CharField(
        _("timezone"),
        max_length=64,
        default=pd.DEFAULT_TIMEZONE,
        help_text=_("IANA name; dates, weekdays and windows are read in it."),
    )
    point_value = _decimal(
        pd.POINT_VALUE_DIGITS,
        verbose_name=_("point value"),
        help_text=_("Money value of one point, for liability figures."),
    )
    pending_days = models.PositiveIntegerField(
        _("pending days"),
        default=0,
        help_text=_("Return window; 0 makes points available at once."),
    )
    rounding = models.CharField(
        _("rounding"), max_length=8, choices=_choices(pd.ROUNDINGS), default="floor"
    )
    max_purchase_amount = _decimal(
        pd.PURCHASE_AMOUNT_DIGITS,
        verbose_name=_("largest purchase"),
        null=True,
        blank=True,
        help_text=_(
            "A purchase above this amount is refused; a manager may still record it in the "
            "staff console after confirming. Empty: no limit."
        ),
    )
    expiry_policy = models.CharField(
        _("expiry policy"),
        max_length=16,
        choices=_choices(pd.EXPIRY_POLICIES),
        default="none",
    )
    expiry_months = models.PositiveIntegerField(_("expiry months"), null=True, blank=True)
    expiry_warn_days = models.PositiveIntegerField(_("expiry warning days"), null=True, blank=True)
    qualification_metric = models.CharField(
        _("tier qualification metric"),
        max_length=8,
        choices=_choices(pd.QUALIFICATION_METRICS),
        default="spend",
    )
    qualification_window_months = models.PositiveIntegerField(
        _("tier qualification window (months)"), default=12
    )
    language = models.CharField(
        _("language"),
        max_length=2,
        choices=[(code, code) for code in pd.NAME_LANGUAGES],
        default=pd.DEFAULT_NAME_LANGUAGE,
        help_text=_("Members' default language, and the fallback for texts missing in theirs."),
    )
    # The file's `categories:` ([{code, name: {en, es, fr}}]): the names members read.
    categories = models.JSONField(_("categories"), default=list, blank=True)
    # communications (CAMPAIGNS.md): what the sending of messages keeps to.
    quiet_hours_from = models.TimeField(
        _("quiet hours from"),
        default=pd.DEFAULT_QUIET_HOURS[0],
        help_text=_(
            "On the member's clock, marketing messages wait from this time until the next. "
            "The same time in both: no quiet hours."
        ),
    )
    quiet_hours_to = models.TimeField(_("quiet hours to"), default=pd.DEFAULT_QUIET_HOURS[1])
    frequency_cap_messages = models.PositiveSmallIntegerField(
        _("at most this many marketing messages"),
        default=pd.DEFAULT_FREQUENCY_CAP[0],
        validators=[MinValueValidator(1), MaxValueValidator(pd.MAX_CAP_MESSAGES)],
    )
    frequency_cap_days = models.PositiveSmallIntegerField(
        _("per member in this many days"),
        default=pd.DEFAULT_FREQUENCY_CAP[1],
        validators=[MinValueValidator(1), MaxValueValidator(pd.MAX_CAP_DAYS)],
    )
    # The file's `rewards:` section as last imported, in the file's shape. Only used while no
    # rewards app has registered a handler (loyalty.program_hooks); then the catalog is its own.
    reward_catalog = models.JSONField(_("reward catalog (from the file)"), default=list, blank=True)

    class Meta:
        verbose_name = _("program")
        verbose_name_plural = _("program")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(pk=PROGRAM_PK), name="loyalty_program_single"
            ),
            models.CheckConstraint(
                condition=models.Q(frequency_cap_messages__gte=1, frequency_cap_days__gte=1),
                name="loyalty_program_frequency_cap_positive",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class TierQuerySet(models.QuerySet):
    def in_force(self) -> TierQuerySet:
        return self.filter(is_active=True).order_by("position", "threshold", "pk")


class Tier(models.Model):
    """One level. A tier left out of an imported file is deactivated rather than deleted, so
    anything that points at it (a member's tier history) keeps pointing at something."""

    code = models.CharField(_("code"), max_length=pd.CODE_MAX_LENGTH, unique=True)
    name_en = models.CharField(_("name (English)"), max_length=pd.TEXT_MAX_LENGTH)
    name_es = models.CharField(_("name (Spanish)"), max_length=pd.TEXT_MAX_LENGTH, blank=True)
    name_fr = models.CharField(_("name (French)"), max_length=pd.TEXT_MAX_LENGTH, blank=True)
    threshold = _decimal(pd.THRESHOLD_DIGITS, verbose_name=_("threshold"))
    multiplier = _decimal(pd.MULTIPLIER_DIGITS, verbose_name=_("multiplier"), default=1)
    discount_percent = models.PositiveSmallIntegerField(_("discount percent"), default=0)
    benefits = models.JSONField(_("benefits"), default=list, blank=True)
    position = models.PositiveIntegerField(
        _("order"), default=0, help_text=_("From the lowest tier (0) up.")
    )
    is_active = models.BooleanField(_("active"), default=True)

    objects = TierQuerySet.as_manager()

    class Meta:
        verbose_name = _("tier")
        verbose_name_plural = _("tiers")
        ordering = ("position", "threshold", "pk")

    def __str__(self) -> str:
        return self.code

    @property
    def name(self) -> dict[str, str]:
        return {
            language: getattr(self, f"name_{language}")
            for language in pd.NAME_LANGUAGES
            if getattr(self, f"name_{language}")
        }


class EarningRuleQuerySet(models.QuerySet):
    def in_force(self) -> EarningRuleQuerySet:
        return self.filter(is_active=True).order_by("position", "pk")


class EarningRule(models.Model):
    """One earning rule; which fields apply depends on `kind` (PROGRAM.md), which the program
    validator checks. Order matters: the first applicable per-currency rule prices category
    multipliers (loyalty.scoring)."""

    code = models.CharField(_("code"), max_length=pd.CODE_MAX_LENGTH, unique=True)
    kind = models.CharField(_("kind"), max_length=32, choices=_choices(pd.RULE_KINDS))
    points = models.PositiveIntegerField(_("points"), null=True, blank=True)
    per = _decimal(
        pd.AMOUNT_DIGITS,
        verbose_name=_("per amount"),
        null=True,
        blank=True,
        help_text=_("per_currency_unit: points are given per this amount."),
    )
    category = models.CharField(_("category"), max_length=100, blank=True)
    sku = models.CharField(_("SKU"), max_length=100, blank=True)
    multiplier = _decimal(pd.MULTIPLIER_DIGITS, verbose_name=_("multiplier"), null=True, blank=True)
    min_amount = _decimal(pd.AMOUNT_DIGITS, verbose_name=_("minimum amount"), null=True, blank=True)
    starts = models.DateField(_("starts"), null=True, blank=True, help_text=_("Inclusive."))
    ends = models.DateField(_("ends"), null=True, blank=True, help_text=_("Inclusive."))
    weekdays = models.JSONField(_("weekdays"), default=list, blank=True)
    channels = models.JSONField(_("channels"), default=list, blank=True)
    event = models.CharField(_("event"), max_length=32, choices=_choices(pd.EVENTS), blank=True)
    referee_points = models.PositiveIntegerField(_("referee points"), null=True, blank=True)
    monthly_cap = models.PositiveIntegerField(_("monthly cap"), null=True, blank=True)
    position = models.PositiveIntegerField(_("order"), default=0)
    is_active = models.BooleanField(_("active"), default=True)

    objects = EarningRuleQuerySet.as_manager()

    class Meta:
        verbose_name = _("earning rule")
        verbose_name_plural = _("earning rules")
        ordering = ("position", "pk")

    def __str__(self) -> str:
        return f"{self.code} ({self.kind})"


class ImmutableVersion(Exception):
    """A published program version was about to be changed or deleted."""


class ProgramVersionQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise ImmutableVersion("program versions are never updated")

    def delete(self):
        raise ImmutableVersion("program versions are never deleted")


class ProgramVersion(models.Model):
    """The whole program as published at `created_at`, in the file's shape. Never updated or
    deleted: every award records the version that scored it."""

    number = models.PositiveIntegerField(_("number"), unique=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    snapshot = models.JSONField(_("snapshot"))
    note = models.CharField(_("note"), max_length=500, blank=True)
    changes = models.JSONField(
        _("changes"),
        default=list,
        blank=True,
        help_text=_("What changed since the previous version."),
    )

    objects = ProgramVersionQuerySet.as_manager()

    class Meta:
        verbose_name = _("program version")
        verbose_name_plural = _("program versions")
        ordering = ("-number",)
        get_latest_by = "number"

    def __str__(self) -> str:
        return f"v{self.number}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None and not self._state.adding:
            raise ImmutableVersion("program versions are never updated")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableVersion("program versions are never deleted")

    @property
    def definition(self) -> pd.ProgramDefinition:
        """The parsed snapshot, cached per version in this process (versions never change)."""
        return _definition_cache.get(self.pk, self.snapshot)


class _Lru:
    """A small LRU by version id, for values derived from immutable versions. Safe to share between
    threads: a miss may build the same value twice, but both are equal and immutable."""

    def __init__(self, size: int = 32) -> None:
        self._size = size
        self._items: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key, build):
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
                return value
        value = build()
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)
        return value

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


class _DefinitionCache(_Lru):
    def get(self, version_id: int | None, snapshot: dict) -> pd.ProgramDefinition:
        if version_id is None:
            return pf.parse_program_data(snapshot)
        return super().get(version_id, lambda: pf.parse_program_data(snapshot))


_definition_cache = _DefinitionCache()
# ProgramVersion rows by (id, created_at), for the purchase path (loyalty.selectors.program).
version_cache = _Lru()


def program_caches_clear() -> None:
    """Forget every cached version (tests roll versions back; production never needs to)."""
    _definition_cache.clear()
    version_cache.clear()
    shop_frame_forget()
