"""A campaign: one message to each member of a segment on one channel (CAMPAIGNS.md, Campaigns).

Its content per language, the optional offer, the holdout share and the schedule; its life is
campaigns.services.campaigns' (draft → scheduled → sending → sent; paused; cancelled), and each
member's message one row of the delivery log (campaigns.Delivery).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from campaigns.models.segments import Segment
from loyalty.definition import CODE_MAX_LENGTH

HOLDOUT_MAX_PERCENT = 50


class CampaignChannel(models.TextChoices):
    EMAIL = "email", _("email")
    SMS = "sms", _("SMS")
    PUSH = "push", _("push")


class CampaignState(models.TextChoices):
    DRAFT = "draft", _("draft")
    SCHEDULED = "scheduled", _("scheduled")
    SENDING = "sending", _("sending")
    # A campaign's own words: "campaign" is feminine in Spanish and French, a message is not.
    SENT = "sent", pgettext_lazy("campaign state", "sent")
    PAUSED = "paused", _("paused")
    CANCELLED = "cancelled", pgettext_lazy("campaign state", "cancelled")


class Campaign(models.Model):
    # The marketer's own key (API.md: `POST /api/v1/campaigns/` takes it), as segments have.
    code = models.SlugField(_("code"), max_length=CODE_MAX_LENGTH, unique=True)
    name = models.CharField(_("name"), max_length=200)
    channel = models.CharField(
        _("channel"), max_length=8, choices=CampaignChannel.choices, default=CampaignChannel.EMAIL
    )
    # The sender claims a campaign's messages only while it is `sending`: pausing stops the
    # claims, resuming goes on with the rows still queued.
    state = models.CharField(
        _("state"), max_length=16, choices=CampaignState.choices, default=CampaignState.DRAFT
    )
    segment = models.ForeignKey(
        Segment,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="campaigns",
        verbose_name=_("segment"),
    )
    # {language: {"subject": ..., "body": ...}} as campaigns.services.campaigns checked it:
    # known merge fields only (campaigns.content).
    content = models.JSONField(_("content"), default=dict, blank=True)
    holdout_percent = models.PositiveSmallIntegerField(_("holdout (%)"), default=0)
    # The offer, at most one: a reward issued as a voucher at no cost, or bonus points.
    offer_reward = models.ForeignKey(
        "rewards.Reward",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("offered reward"),
    )
    offer_points = models.PositiveIntegerField(_("offered points"), null=True, blank=True)
    # The schedule: sending starts at `send_at` (now when empty); with `local_time`, each member
    # gets it at that time on their own clock, at or after the start.
    send_at = models.DateTimeField(_("send at"), null=True, blank=True)
    local_time = models.TimeField(_("local time"), null=True, blank=True)
    scheduled_at = models.DateTimeField(_("scheduled at"), null=True, blank=True)
    started_at = models.DateTimeField(_("sending started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    # The state sending was in when paused, so resuming goes back to it.
    paused_from = models.CharField(_("paused from"), max_length=16, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ("-created_at", "-pk")
        constraints = [
            models.CheckConstraint(
                condition=Q(holdout_percent__lte=HOLDOUT_MAX_PERCENT),
                name="campaigns_campaign_holdout_at_most_half",
            ),
            models.CheckConstraint(
                condition=Q(offer_reward__isnull=True) | Q(offer_points__isnull=True),
                name="campaigns_campaign_one_offer",
            ),
            models.CheckConstraint(
                condition=Q(offer_points__isnull=True) | Q(offer_points__gt=0),
                name="campaigns_campaign_offer_points_positive",
            ),
        ]

    def __str__(self) -> str:
        return self.name
