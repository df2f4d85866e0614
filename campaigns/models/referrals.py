"""A referral (PROGRAM.md's referral rule; CAMPAIGNS.md, Referral checks): a member who joined
with another's code, and what became of it.

    pending ──referee's first purchase available──▶ rewarded (both credited and told;
       │                                                     past the referrer's monthly cap
       │                                                     only the friend: reason monthly_cap)
       ├──self-referral, first purchase fully refunded──▶ rejected (+reason)
       └──a burst of sign-ups with the code from one address──▶ held ──manager──▶ released
                                                                   │        (pending again, or
                                                                   │        rewarded at once)
                                                                   └──manager──▶ rejected

One row per referee (a member joins once), written when the enrolment's event is handed to the
referral consumer (campaigns.services.referrals).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from members.models import Member


class ReferralStatus(models.TextChoices):
    PENDING = "pending", _("waiting for the first purchase")
    HELD = "held", _("held for review")
    REWARDED = "rewarded", _("rewarded")
    REJECTED = "rejected", _("not rewarded")


class ReferralReason(models.TextChoices):
    SELF_REFERRAL = "self_referral", _("the same person (email, phone or card)")
    ADDRESS_BURST = (
        "address_burst",
        _("more than 5 sign-ups with the code from one address in 24 h"),
    )
    MONTHLY_CAP = "monthly_cap", _("the referrer's monthly cap was reached: only the friend earned")
    REFUNDED = "refunded", _("the first purchase was fully refunded")
    TAKEN_BACK = "taken_back", _("the first purchase was refunded after the reward")
    STAFF = "staff", _("rejected by staff")


class Referral(models.Model):
    referrer = models.ForeignKey(
        Member, on_delete=models.PROTECT, related_name="referrals_made", verbose_name=_("referrer")
    )
    referee = models.OneToOneField(
        Member, on_delete=models.PROTECT, related_name="referral", verbose_name=_("friend")
    )
    status = models.CharField(
        _("status"), max_length=16, choices=ReferralStatus.choices, default=ReferralStatus.PENDING
    )
    reason = models.CharField(
        _("reason"), max_length=32, choices=ReferralReason.choices, blank=True
    )
    # The referee's first purchase, once it is known to count (or not).
    purchase = models.ForeignKey(
        "loyalty.Purchase",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("first purchase"),
    )
    referrer_points = models.PositiveIntegerField(_("points to the referrer"), default=0)
    referee_points = models.PositiveIntegerField(_("points to the friend"), default=0)
    created_at = models.DateTimeField(_("joined at"), default=timezone.now)
    rewarded_at = models.DateTimeField(_("rewarded at"), null=True, blank=True)
    # A manager's release or rejection of a held referral.
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    # A held referral a manager released: the burst check does not hold it again.
    released = models.BooleanField(_("released by staff"), default=False)

    class Meta:
        verbose_name = _("referral")
        verbose_name_plural = _("referrals")
        ordering = ("-created_at", "-pk")
        indexes = [models.Index(fields=["referrer", "status"])]
        constraints = [
            models.CheckConstraint(
                condition=~Q(referrer=models.F("referee")), name="campaigns_referral_not_self"
            ),
            models.CheckConstraint(
                condition=Q(status=ReferralStatus.REWARDED, rewarded_at__isnull=False)
                | ~Q(status=ReferralStatus.REWARDED),
                name="campaigns_referral_rewarded_when",
            ),
            # Held and rejected referrals always say why.
            models.CheckConstraint(
                condition=~Q(status__in=[ReferralStatus.HELD, ReferralStatus.REJECTED])
                | ~Q(reason=""),
                name="campaigns_referral_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.referrer_id} → {self.referee_id}"
