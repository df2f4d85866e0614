"""The rewards catalog, redemptions and the vouchers they issue.

Invariants (kept by rewards.services, guarded by the database):

- `Reward.stock` is never negative (CheckConstraint); it is taken and given back with F()
  updates under the reward's row lock. NULL stock means unlimited.
- Per-member limit: each live (not cancelled) redemption of a reward holds an `ordinal` between 1
  and the limit it was made under; (member, reward, ordinal) is unique among live redemptions. So
  a member can never hold more live redemptions than the limit, even if two writers raced.
- A voucher moves issued → consumed | cancelled | expired, never back; each move is a conditional
  UPDATE on `status='issued'`, so exactly one of two racing moves wins.
- A redemption keeps a snapshot of what it granted (kind, percent, amount, currency, sku, names),
  so a later catalog edit never changes an issued voucher.
"""

from __future__ import annotations

import datetime
import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from config.languages import NAME_LANGUAGES, localized
from loyalty.definition import AMOUNT_DIGITS, CODE_MAX_LENGTH, DEFAULT_VOUCHER_VALID_DAYS
from loyalty.selectors.program import program_today
from rewards import codes


class RewardKind(models.TextChoices):
    PERCENT_DISCOUNT = "percent_discount", _("percent discount")
    FIXED_DISCOUNT = "fixed_discount", _("fixed discount")
    CASHBACK = "cashback", _("cashback")
    FREE_PRODUCT = "free_product", _("free product")
    EVENT = "event", _("event")


class RewardQuerySet(models.QuerySet):
    def available(self, *, at: datetime.datetime | None = None, on: datetime.date | None = None):
        """Rewards a member could take now: active, inside their window (dates in the program's
        time zone, both ends included) and with stock left. Give `on` (the program-local date) to
        skip reading the program's time zone."""
        if on is None:
            on = program_today(at=at or timezone.now())
        return self.filter(
            Q(available_from__isnull=True) | Q(available_from__lte=on),
            Q(available_until__isnull=True) | Q(available_until__gte=on),
            Q(stock__isnull=True) | Q(stock__gt=0),
            is_active=True,
        )


class Reward(models.Model):
    """One entry of the catalog, created and updated by code from the program file or the admin."""

    code = models.CharField(_("code"), max_length=CODE_MAX_LENGTH, unique=True)
    kind = models.CharField(_("kind"), max_length=20, choices=RewardKind.choices)
    name_en = models.CharField(_("name (English)"), max_length=200)
    name_es = models.CharField(_("name (Spanish)"), max_length=200, blank=True)
    name_fr = models.CharField(_("name (French)"), max_length=200, blank=True)
    description_en = models.TextField(_("description (English)"), max_length=2000, blank=True)
    description_es = models.TextField(_("description (Spanish)"), max_length=2000, blank=True)
    description_fr = models.TextField(_("description (French)"), max_length=2000, blank=True)
    # An ImageField (Pillow checks an upload is really an image): SVG is refused on purpose, as an
    # uploaded SVG served from our own origin could carry script.
    image = models.ImageField(_("image"), upload_to="rewards/", max_length=500, blank=True)
    points_cost = models.BigIntegerField(_("points cost"))
    percent = models.PositiveSmallIntegerField(_("percent"), null=True, blank=True)
    amount = models.DecimalField(
        _("amount"),
        max_digits=AMOUNT_DIGITS[0],
        decimal_places=AMOUNT_DIGITS[1],
        null=True,
        blank=True,
        help_text=_("In the program's currency."),
    )
    sku = models.CharField(_("SKU"), max_length=100, blank=True)
    stock = models.IntegerField(
        _("stock"),
        null=True,
        blank=True,
        help_text=_("Left to redeem; empty means unlimited. An event's stock is its seats."),
    )
    available_from = models.DateField(_("available from"), null=True, blank=True)
    available_until = models.DateField(_("available until"), null=True, blank=True)
    min_tier = models.CharField(_("minimum tier"), max_length=CODE_MAX_LENGTH, blank=True)
    per_member_limit = models.PositiveIntegerField(_("per-member limit"), null=True, blank=True)
    voucher_valid_days = models.PositiveIntegerField(
        _("voucher valid for (days)"), default=DEFAULT_VOUCHER_VALID_DAYS
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = RewardQuerySet.as_manager()

    class Meta:
        verbose_name = _("reward")
        verbose_name_plural = _("rewards")
        ordering = ("points_cost", "code")
        constraints = [
            models.CheckConstraint(
                condition=Q(stock__isnull=True) | Q(stock__gte=0), name="rewards_stock_gte_0"
            ),
            models.CheckConstraint(condition=Q(points_cost__gte=0), name="rewards_cost_gte_0"),
            models.CheckConstraint(
                condition=Q(voucher_valid_days__gte=1), name="rewards_valid_days_gte_1"
            ),
            models.CheckConstraint(
                condition=Q(per_member_limit__isnull=True) | Q(per_member_limit__gte=1),
                name="rewards_limit_gte_1",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} ({self.name_en})"

    @property
    def names(self) -> dict[str, str]:
        return {
            language: getattr(self, f"name_{language}")
            for language in NAME_LANGUAGES
            if getattr(self, f"name_{language}")
        }

    def localized_name(self, language: str) -> str:
        return localized(self.names, language, self.code)

    def localized_description(self, language: str) -> str:
        descriptions = {lang: getattr(self, f"description_{lang}") for lang in NAME_LANGUAGES}
        return localized(descriptions, language)

    def is_in_window(self, on: datetime.date) -> bool:
        if self.available_from is not None and on < self.available_from:
            return False
        return self.available_until is None or on <= self.available_until

    @property
    def is_in_stock(self) -> bool:
        return self.stock is None or self.stock > 0


class Redemption(models.Model):
    """Points turned into a voucher. Found from outside by `public_id` (never the sequential pk)."""

    public_id = models.UUIDField(_("public id"), default=uuid.uuid4, unique=True, editable=False)
    member = models.ForeignKey(
        "members.Member", on_delete=models.PROTECT, related_name="redemptions"
    )
    reward = models.ForeignKey(Reward, on_delete=models.PROTECT, related_name="redemptions")
    ordinal = models.PositiveIntegerField(
        _("ordinal"), help_text=_("Which of the member's live redemptions of this reward it is.")
    )
    per_member_limit = models.PositiveIntegerField(
        _("per-member limit when redeemed"), null=True, blank=True
    )
    points_spent = models.BigIntegerField(_("points spent"))
    # What the voucher grants, as it was when redeemed.
    reward_code = models.CharField(_("reward code"), max_length=CODE_MAX_LENGTH)
    kind = models.CharField(_("kind"), max_length=20, choices=RewardKind.choices)
    names = models.JSONField(_("names"), default=dict)
    percent = models.PositiveSmallIntegerField(_("percent"), null=True, blank=True)
    amount = models.DecimalField(
        _("amount"),
        max_digits=AMOUNT_DIGITS[0],
        decimal_places=AMOUNT_DIGITS[1],
        null=True,
        blank=True,
    )
    currency = models.CharField(_("currency"), max_length=3, blank=True)
    sku = models.CharField(_("SKU"), max_length=100, blank=True)
    program_version = models.ForeignKey(
        "loyalty.ProgramVersion", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The `redeem` ledger entry (none for a reward costing 0 points). A cancellation writes
    # `reversal` entries with source ("redemption", public_id), one per original expiry date.
    redeem_entry = models.OneToOneField(
        "loyalty.LedgerEntry",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="redemption",
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # A gift's occasion ("campaign:spring-sale"): a voucher the shop gave at no points, once per
    # member and key (the unique index below, not a lookup first). Blank for a redemption.
    gift_key = models.CharField(_("gift key"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("redeemed at"), default=timezone.now, db_index=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("redemption")
        verbose_name_plural = _("redemptions")
        ordering = ("-created_at", "-pk")
        constraints = [
            models.UniqueConstraint(
                fields=["member", "reward", "ordinal"],
                condition=Q(cancelled_at__isnull=True),
                name="rewards_live_redemption_ordinal_unique",
            ),
            models.UniqueConstraint(
                fields=["member", "gift_key"],
                condition=~Q(gift_key=""),
                name="rewards_gift_once_per_member_key",
            ),
            models.CheckConstraint(
                condition=Q(ordinal__gte=1)
                & (Q(per_member_limit__isnull=True) | Q(ordinal__lte=models.F("per_member_limit"))),
                name="rewards_redemption_within_limit",
            ),
            models.CheckConstraint(
                condition=Q(points_spent__gte=0), name="rewards_redemption_points_gte_0"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reward_code} for {self.member_id}"

    def localized_name(self, language: str) -> str:
        return localized(self.names, language, self.reward_code)

    @property
    def is_cancelled(self) -> bool:
        return self.cancelled_at is not None


class VoucherStatus(models.TextChoices):
    ISSUED = "issued", _("issued")
    CONSUMED = "consumed", _("consumed")
    EXPIRED = "expired", _("expired")
    CANCELLED = "cancelled", _("cancelled")


class Voucher(models.Model):
    """What the member shows at the till. The code is the only key the till needs."""

    redemption = models.OneToOneField(Redemption, on_delete=models.PROTECT, related_name="voucher")
    code = models.CharField(_("code"), max_length=codes.MAX_LENGTH, unique=True)
    status = models.CharField(
        _("status"), max_length=10, choices=VoucherStatus.choices, default=VoucherStatus.ISSUED
    )
    issued_at = models.DateTimeField(_("issued at"), default=timezone.now)
    expires_at = models.DateTimeField(_("expires at"))
    consumed_at = models.DateTimeField(_("consumed at"), null=True, blank=True)
    order_ref = models.CharField(_("order reference"), max_length=100, blank=True)
    consumed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    expired_at = models.DateTimeField(_("marked expired at"), null=True, blank=True)
    # Claimed (set) in the transaction that queues the expiry reminder, so it is queued once.
    reminded_at = models.DateTimeField(_("reminded at"), null=True, blank=True)

    class Meta:
        verbose_name = _("voucher")
        verbose_name_plural = _("vouchers")
        ordering = ("-issued_at", "-pk")
        indexes = [
            models.Index(
                fields=["expires_at"],
                condition=Q(status="issued"),
                name="rewards_voucher_issued_expiry",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_at__gt=models.F("issued_at")),
                name="rewards_voucher_expires_after_issue",
            ),
            models.CheckConstraint(
                condition=~Q(status="consumed") | Q(consumed_at__isnull=False),
                name="rewards_voucher_consumed_has_time",
            ),
        ]

    def __str__(self) -> str:
        return self.code

    def is_usable(self, now: datetime.datetime) -> bool:
        return self.status == VoucherStatus.ISSUED and now < self.expires_at

    def status_at(self, now: datetime.datetime) -> str:
        """The status the till should see: an issued voucher past its expiry is expired even
        before the nightly job has marked it."""
        if self.status == VoucherStatus.ISSUED and now >= self.expires_at:
            return VoucherStatus.EXPIRED
        return self.status
