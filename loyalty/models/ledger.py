"""The points ledger: balances, append-only entries, lots, purchases, refunds and tier history.

Invariants (checked by `loyalty.services.ledger.account_recompute` and the tests):

- Σ entries.points = available + pending - debt, per member;
- available = Σ remaining of matured lots, pending = Σ remaining of unmatured lots;
- each lot's remaining = points - Σ its allocations - debt_paid, and never below 0;
- lifetime = Σ points of earn, bonus and refund entries (and of reversals of those): it only ever
  drops by a refund; redemptions and expiry never touch it.

Writers lock the member's `LoyaltyAccount` row first (select_for_update), then the purchase, then
lots, and change balances, lots and entries in one transaction (loyalty.services.ledger).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from loyalty.channels import CHANNELS, Channel  # noqa: F401 - re-exported for the models

__all__ = [
    "AppendOnlyViolation",
    "Channel",
    "EntryKind",
    "LedgerEntry",
    "LotAllocation",
    "LoyaltyAccount",
    "PointsLot",
    "Purchase",
    "Refund",
    "TierChange",
]


class AppendOnlyViolation(Exception):
    """Something tried to change or delete a ledger entry."""


class EntryKind(models.TextChoices):
    EARN = "earn", _("earned")
    BONUS = "bonus", _("bonus")
    REDEEM = "redeem", _("redeemed")
    REFUND = "refund", _("refund")
    EXPIRE = "expire", _("expired")
    ADJUST = "adjust", _("adjustment")
    REVERSAL = "reversal", _("reversal")


# Kinds whose points count towards `lifetime` (points ever earned, net of refunds).
LIFETIME_KINDS = frozenset({EntryKind.EARN, EntryKind.BONUS, EntryKind.REFUND})


class LoyaltyAccount(models.Model):
    """The member's balances, kept equal to what the entries and lots say. One row per member;
    it is also the lock every ledger write takes first."""

    member = models.OneToOneField(
        "members.Member", on_delete=models.PROTECT, related_name="loyalty_account"
    )
    available = models.BigIntegerField(_("available"), default=0)
    pending = models.BigIntegerField(_("pending"), default=0)
    lifetime = models.BigIntegerField(_("lifetime"), default=0)
    debt = models.BigIntegerField(
        _("debt"), default=0, help_text=_("Points refunded after they were spent; paid first.")
    )
    tier_code = models.CharField(_("tier"), max_length=50, blank=True)
    tier_since = models.DateTimeField(_("tier since"), null=True, blank=True)
    tier_review_on = models.DateField(_("tier review on"), null=True, blank=True, db_index=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("loyalty account")
        verbose_name_plural = _("loyalty accounts")
        constraints = [
            models.CheckConstraint(
                condition=Q(available__gte=0), name="loyalty_account_available_gte_0"
            ),
            models.CheckConstraint(
                condition=Q(pending__gte=0), name="loyalty_account_pending_gte_0"
            ),
            models.CheckConstraint(
                condition=Q(lifetime__gte=0), name="loyalty_account_lifetime_gte_0"
            ),
            models.CheckConstraint(condition=Q(debt__gte=0), name="loyalty_account_debt_gte_0"),
        ]
        # The few members who owe points (analytics reads outstanding points from them).
        indexes = [
            models.Index(fields=["member"], condition=Q(debt__gt=0), name="loyalty_account_owing")
        ]

    def __str__(self) -> str:
        return f"{self.member_id}: {self.available} available"


class Purchase(models.Model):
    """A purchase as posted, with its current points (after refunds). `fingerprint` is a hash of
    the normalized request, so a replay (same body) is told from a reused id (another body)."""

    external_id = models.CharField(_("external id"), max_length=100)
    # No index of its own: (member, purchased_at) below leads with it.
    member = models.ForeignKey(
        "members.Member", on_delete=models.PROTECT, related_name="purchases", db_index=False
    )
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    currency = models.CharField(_("currency"), max_length=3)
    purchased_at = models.DateTimeField(_("purchased at"), db_index=True)
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    items = models.JSONField(_("items"), default=list, blank=True)
    program_version = models.ForeignKey(
        "loyalty.ProgramVersion", on_delete=models.PROTECT, related_name="purchases"
    )
    tier_code = models.CharField(_("tier at purchase"), max_length=50, blank=True)
    points = models.BigIntegerField(_("points"), default=0, help_text=_("After refunds."))
    earned_points = models.BigIntegerField(_("points when posted"), default=0)
    breakdown = models.JSONField(_("breakdown"), default=list, blank=True)
    fingerprint = models.CharField(_("request fingerprint"), max_length=64)
    refunded_amount = models.DecimalField(
        _("refunded amount"), max_digits=12, decimal_places=2, default=0
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("purchase")
        verbose_name_plural = _("purchases")
        indexes = [
            # Carries the amounts, so a segment's counts and sums over a window (campaigns.
            # segment_query) read the index alone, in member order, and never the wide rows:
            # 0.9 s -> 0.36 s for a five-rule segment over 1M purchases (bench/campaign.py).
            models.Index(
                fields=["member", "purchased_at"],
                include=["amount", "refunded_amount", "channel"],
                name="loyalty_purchase_member_time",
            )
        ]
        constraints = [
            models.UniqueConstraint(fields=["external_id"], name="loyalty_purchase_external_id"),
            models.CheckConstraint(
                condition=Q(amount__gte=0), name="loyalty_purchase_amount_gte_0"
            ),
            models.CheckConstraint(
                condition=Q(refunded_amount__gte=0) & Q(refunded_amount__lte=models.F("amount")),
                name="loyalty_purchase_refunded_within_amount",
            ),
            models.CheckConstraint(
                condition=Q(points__gte=0), name="loyalty_purchase_points_gte_0"
            ),
        ]

    def __str__(self) -> str:
        return self.external_id

    @property
    def amount_left(self):
        return self.amount - self.refunded_amount


class Refund(models.Model):
    purchase = models.ForeignKey(Purchase, on_delete=models.PROTECT, related_name="refunds")
    external_id = models.CharField(_("external id"), max_length=100)
    amount = models.DecimalField(_("amount"), max_digits=12, decimal_places=2)
    items = models.JSONField(_("items"), default=list, blank=True)
    points_taken = models.BigIntegerField(_("points taken back"), default=0)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        constraints = [
            models.UniqueConstraint(
                fields=["purchase", "external_id"], name="loyalty_refund_external_id_per_purchase"
            ),
            models.CheckConstraint(condition=Q(amount__gt=0), name="loyalty_refund_amount_gt_0"),
        ]

    def __str__(self) -> str:
        return f"{self.purchase_id}/{self.external_id}"


class LedgerEntryQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyViolation("ledger entries are never updated")

    def delete(self):
        raise AppendOnlyViolation("ledger entries are never deleted")

    def bulk_update(self, objs, fields, batch_size=None):
        raise AppendOnlyViolation("ledger entries are never updated")

    # bulk_create is an insert, and allowed.


# The unique index that gives a bonus once per member and key (config.rows can write "unless
# it conflicts" on it by this name).
BONUS_ONCE_PER_KEY = "loyalty_entry_bonus_once_per_key"


class LedgerEntry(models.Model):
    """One movement of points. Append-only: corrections are new entries (the database refuses an
    UPDATE or DELETE on PostgreSQL too, see loyalty.ledger_sql). `points` is the change of the
    member's net position (available + pending - debt)."""

    # No index of its own: (member, -occurred_at, -pk) below leads with it, and every index is
    # paid for by every purchase (bench/earn.py).
    member = models.ForeignKey(
        "members.Member", on_delete=models.PROTECT, related_name="ledger_entries", db_index=False
    )
    kind = models.CharField(_("kind"), max_length=16, choices=EntryKind.choices)
    points = models.BigIntegerField(_("points"))
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    breakdown = models.JSONField(_("breakdown"), default=list, blank=True)
    purchase = models.ForeignKey(
        Purchase, on_delete=models.PROTECT, null=True, blank=True, related_name="entries"
    )
    refund = models.ForeignKey(
        Refund, on_delete=models.PROTECT, null=True, blank=True, related_name="entries"
    )
    reverses = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="reversals"
    )
    # Anything else that caused the entry (a redemption, a campaign...): a type and its id.
    source_type = models.CharField(_("source type"), max_length=32, blank=True)
    source_id = models.CharField(_("source id"), max_length=64, blank=True)
    # Set for "once per key" awards (signup bonus, birthday 2026...); unique per member.
    bonus_key = models.CharField(_("bonus key"), max_length=100, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("actor"),
    )
    program_version = models.ForeignKey(
        "loyalty.ProgramVersion",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    # When what the entry records happened: a purchase's purchased_at, a refund's time, the
    # expiry date of expired points, the moment a redemption, cancellation, adjustment or bonus
    # was made. What people read and what lists are ordered by; `created_at` is when the row was
    # written (an import writes a year of history in a minute).
    occurred_at = models.DateTimeField(_("occurred at"), default=timezone.now)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    objects = LedgerEntryQuerySet.as_manager()

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        ordering = ("-occurred_at", "-pk")
        indexes = [
            # The member's movements, newest first (portal, console, API): read in index order.
            models.Index(
                fields=["member", "-occurred_at", "-id"], name="loyalty_entry_member_occurred"
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["member", "bonus_key"],
                condition=~Q(bonus_key=""),
                name=BONUS_ONCE_PER_KEY,
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.points:+d}"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise AppendOnlyViolation("ledger entries are never updated")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyViolation("ledger entries are never deleted")

    @property
    def source(self) -> dict | None:
        """What caused the entry, for the API: {"type", "id"}."""
        if self.refund_id is not None:
            return {"type": "refund", "id": self.refund.external_id}
        if self.purchase_id is not None:
            return {"type": "purchase", "id": self.purchase.external_id}
        if self.source_type:
            return {"type": self.source_type, "id": self.source_id}
        if self.actor_id is not None:
            return {"type": "staff", "id": str(self.actor_id)}
        return None


class PointsLot(models.Model):
    """Points credited together (one purchase, one bonus...), spent first-in-first-out. Pending
    until `available_at` (then `matured`); what is left at `expires_at` expires."""

    member = models.ForeignKey("members.Member", on_delete=models.PROTECT, related_name="lots")
    entry = models.ForeignKey(LedgerEntry, on_delete=models.PROTECT, related_name="lots")
    purchase = models.ForeignKey(
        Purchase, on_delete=models.PROTECT, null=True, blank=True, related_name="lots"
    )
    points = models.BigIntegerField(_("points"))
    remaining = models.BigIntegerField(_("remaining"))
    debt_paid = models.BigIntegerField(
        _("debt paid"), default=0, help_text=_("Taken from this lot to pay an earlier debt.")
    )
    available_at = models.DateTimeField(_("available at"))
    is_matured = models.BooleanField(_("matured"), default=False)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    # When the points were earned (a purchase's purchased_at): "first in" for FIFO spending.
    earned_at = models.DateTimeField(_("earned at"), default=timezone.now)

    class Meta:
        verbose_name = _("points lot")
        verbose_name_plural = _("points lots")
        indexes = [
            models.Index(
                fields=["available_at"], condition=Q(is_matured=False), name="loyalty_lot_to_mature"
            ),
            models.Index(
                fields=["expires_at"], condition=Q(remaining__gt=0), name="loyalty_lot_to_expire"
            ),
            models.Index(fields=["member", "is_matured"], name="loyalty_lot_member_matured"),
            # The few lots that paid a debt: whose members owed points once.
            models.Index(
                fields=["member"], condition=Q(debt_paid__gt=0), name="loyalty_lot_paid_a_debt"
            ),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(points__gt=0), name="loyalty_lot_points_gt_0"),
            models.CheckConstraint(
                condition=Q(remaining__gte=0) & Q(remaining__lte=models.F("points")),
                name="loyalty_lot_remaining_within_points",
            ),
            models.CheckConstraint(
                condition=Q(debt_paid__gte=0), name="loyalty_lot_debt_paid_gte_0"
            ),
        ]

    def __str__(self) -> str:
        return f"lot {self.pk}: {self.remaining}/{self.points}"


class LotAllocation(models.Model):
    """Which lots a debit (redeem, refund, expire, adjust) consumed, so a cancellation can give the
    points back with their original expiry."""

    entry = models.ForeignKey(LedgerEntry, on_delete=models.PROTECT, related_name="allocations")
    lot = models.ForeignKey(PointsLot, on_delete=models.PROTECT, related_name="allocations")
    points = models.BigIntegerField(_("points"))

    class Meta:
        verbose_name = _("lot allocation")
        verbose_name_plural = _("lot allocations")
        constraints = [
            models.CheckConstraint(condition=Q(points__gt=0), name="loyalty_allocation_points_gt_0")
        ]

    def __str__(self) -> str:
        return f"{self.points} from lot {self.lot_id}"


class TierChangeReason(models.TextChoices):
    UPGRADE = "upgrade", _("upgrade")
    REVIEW = "review", _("review")
    STAFF = "staff", _("set by staff")
    # A refund took the qualifying total back below a tier reached in the current period.
    REFUND = "refund", _("withdrawn after a refund")


class TierChange(models.Model):
    """The tier history. The tier a member had at time t is the `to_code` of the last change at or
    before t (the program's lowest tier before any change); purchases are scored with it."""

    member = models.ForeignKey(
        "members.Member", on_delete=models.PROTECT, related_name="tier_changes"
    )
    from_code = models.CharField(_("from"), max_length=50, blank=True)
    to_code = models.CharField(_("to"), max_length=50)
    reason = models.CharField(_("reason"), max_length=16, choices=TierChangeReason.choices)
    qualifying_total = models.DecimalField(
        _("qualifying total"), max_digits=16, decimal_places=2, default=0
    )
    at = models.DateTimeField(_("at"), default=timezone.now)
    notified_at = models.DateTimeField(_("notified at"), null=True, blank=True)

    class Meta:
        verbose_name = _("tier change")
        verbose_name_plural = _("tier changes")
        ordering = ("-at", "-pk")
        indexes = [models.Index(fields=["member", "at"])]

    def __str__(self) -> str:
        return f"{self.from_code or '-'} → {self.to_code}"

    @property
    def is_upgrade(self) -> bool:
        return self.reason == TierChangeReason.UPGRADE
