"""The delivery log: one row per message Tessera sends or decides not to send (CAMPAIGNS.md,
"Delivery, exactly once").

A row is unique per (source, member, occasion), where the source is a campaign or an automation
(`tier_change`, `voucher_expiring`, ...) and the occasion is the automation's once-key (the tier
change, the voucher; empty for a campaign, which reaches a member once). It is written before
anything is sent, so "once" is a unique index, never a check before an insert.

A row's life (campaigns.services.sending):

    queued ──claim (lease)──▶ queued, claimed ──▶ handing ──▶ sent
       ▲                          │    │              ├──▶ failed (permanent, or retries spent)
       │ lease ran out            │    │              └──▶ queued, due later (transient error)
       └──────────────────────────┘    └──▶ skipped (+reason) / queued, due later (quiet hours)
    handing whose lease ran out ──▶ unknown ──"send these again"──▶ queued

`handing` is committed before the channel is spoken to, and the outcome after: a worker killed in
between leaves a `handing` row, which becomes `unknown` once its lease has run out, never resent
on its own (the message may have reached the member). `holdout` rows are written by the campaign
for the members it holds out; they are never claimed.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campaigns.models.campaigns import Campaign, CampaignChannel
from members.models import Language, Member
from rewards import codes

AUTOMATION_MAX_LENGTH = 32
OCCASION_MAX_LENGTH = 100
CLAIMED_BY_MAX_LENGTH = 100
ERROR_MAX_LENGTH = 1000


class DeliveryStatus(models.TextChoices):
    QUEUED = "queued", _("queued")
    # Being handed to the channel by the worker holding its lease (committed before the
    # channel is spoken to).
    HANDING = "handing", _("being sent")
    HOLDOUT = "holdout", _("held out")
    SKIPPED = "skipped", _("skipped")
    SENT = "sent", _("sent")
    FAILED = "failed", _("failed")
    # The worker died while handing it over: it may or may not have reached the member.
    UNKNOWN = "unknown", _("unknown")


class SkipReason(models.TextChoices):
    NO_CONSENT = "no_consent", _("no consent")
    UNSUBSCRIBED = "unsubscribed", _("unsubscribed")
    NO_ADDRESS = "no_address", _("no address")
    FREQUENCY_CAP = "frequency_cap", _("frequency cap")
    MEMBER_INACTIVE = "member_inactive", _("blocked or erased member")
    # Its occasion went away between queueing and sending (the voucher was used).
    OUTDATED = "outdated", _("no longer applies")
    # The campaign was cancelled before this message was sent.
    CANCELLED = "cancelled", _("campaign cancelled")
    # The automation was turned off between queueing and sending.
    AUTOMATION_OFF = "automation_off", _("automation turned off")


class DeliveryPurpose(models.TextChoices):
    """What consent a message needs (CAMPAIGNS.md, Consent and unsubscribe): marketing needs the
    member's marketing consent for the channel and keeps to quiet hours and the frequency cap;
    a program notice goes to every member who has not turned program notices off."""

    MARKETING = "marketing", _("marketing")
    NOTICE = "notice", _("program notice")


class Delivery(models.Model):
    id = models.BigAutoField(primary_key=True)
    campaign = models.ForeignKey(
        Campaign,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="deliveries",
        verbose_name=_("campaign"),
    )
    automation = models.CharField(_("automation"), max_length=AUTOMATION_MAX_LENGTH, blank=True)
    member = models.ForeignKey(
        Member, on_delete=models.PROTECT, related_name="deliveries", verbose_name=_("member")
    )
    occasion = models.CharField(_("occasion"), max_length=OCCASION_MAX_LENGTH, blank=True)
    purpose = models.CharField(_("purpose"), max_length=16, choices=DeliveryPurpose.choices)
    channel = models.CharField(_("channel"), max_length=8, choices=CampaignChannel.choices)
    status = models.CharField(
        _("status"), max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.QUEUED
    )
    reason = models.CharField(_("reason"), max_length=32, choices=SkipReason.choices, blank=True)
    error = models.CharField(_("error"), max_length=ERROR_MAX_LENGTH, blank=True)
    # When it may be sent: quiet hours and retries move it; never a Celery ETA.
    due_at = models.DateTimeField(_("due at"), default=timezone.now)
    # Handovers to the channel so far (the retries are capped on it).
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    # The lease: who holds the row and until when (at most two minutes ahead).
    claimed_until = models.DateTimeField(_("claimed until"), null=True, blank=True)
    claimed_by = models.CharField(_("claimed by"), max_length=CLAIMED_BY_MAX_LENGTH, blank=True)
    # When the last handover began (the frequency cap counts from it).
    handed_at = models.DateTimeField(_("handed over at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    # The language it was composed in, and the channel's id for it (SMTP Message-ID, a
    # provider's id): how a bounce or a complaint finds its row.
    language = models.CharField(_("language"), max_length=2, choices=Language.choices, blank=True)
    message_id = models.CharField(_("provider message id"), max_length=255, blank=True)
    # The code of the voucher the message announces (a campaign offering a reward), chosen when
    # it is composed and kept for a retry or a "send again"; the voucher itself is issued with
    # that code when the message is recorded sent (or unknown).
    voucher_code = models.CharField(_("voucher code"), max_length=codes.MAX_LENGTH, blank=True)
    opened_at = models.DateTimeField(_("opened at"), null=True, blank=True)
    clicked_at = models.DateTimeField(_("clicked at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        constraints = [
            models.CheckConstraint(
                condition=(Q(campaign__isnull=False) & Q(automation=""))
                | (Q(campaign__isnull=True) & ~Q(automation="")),
                name="campaigns_delivery_one_source",
            ),
            models.UniqueConstraint(
                fields=["campaign", "member", "occasion"],
                condition=Q(campaign__isnull=False),
                name="campaigns_delivery_once_per_campaign",
            ),
            models.UniqueConstraint(
                fields=["automation", "member", "occasion"],
                condition=Q(campaign__isnull=True),
                name="campaigns_delivery_once_per_automation",
            ),
            # A skip always says why, and only a skip has a reason.
            models.CheckConstraint(
                condition=Q(status=DeliveryStatus.SKIPPED, reason__gt="")
                | (~Q(status=DeliveryStatus.SKIPPED) & Q(reason="")),
                name="campaigns_delivery_skip_reason",
            ),
            # Only the worker that holds a lease hands a row over.
            models.CheckConstraint(
                condition=~Q(status=DeliveryStatus.HANDING)
                | Q(claimed_until__isnull=False, handed_at__isnull=False),
                name="campaigns_delivery_handing_leased",
            ),
            models.CheckConstraint(
                condition=~Q(status=DeliveryStatus.SENT) | Q(sent_at__isnull=False),
                name="campaigns_delivery_sent_has_time",
            ),
        ]
        indexes = [
            # The claim: queued rows in due order (the id breaks ties without a sort).
            models.Index(
                fields=["due_at", "id"],
                condition=Q(status="queued"),
                name="campaigns_delivery_due",
            ),
            # Handovers whose worker may have died.
            models.Index(
                fields=["claimed_until"],
                condition=Q(status="handing"),
                name="campaigns_delivery_handing",
            ),
            # The frequency cap: a member's recent marketing handovers.
            models.Index(
                fields=["member", "handed_at"],
                condition=Q(purpose="marketing", handed_at__isnull=False),
                name="campaigns_delivery_marketing",
            ),
            models.Index(fields=["campaign", "status"], name="campaigns_delivery_campaign"),
        ]

    def __str__(self) -> str:
        source = f"campaign {self.campaign_id}" if self.campaign_id else self.automation
        return f"{source} to member {self.member_id} ({self.status})"

    @property
    def source(self) -> str:
        """The composer's key: `campaign` for any campaign, else the automation's code."""
        return "campaign" if self.campaign_id else self.automation
