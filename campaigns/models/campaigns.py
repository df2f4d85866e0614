"""A campaign: one message to each member of a segment on one channel (CAMPAIGNS.md, Campaigns).

Only what the delivery log needs for now (its code, name, channel and state); the content per
language, the segment, the offer, the holdout and the schedule come with the campaign editor.
"""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from loyalty.definition import CODE_MAX_LENGTH


class CampaignChannel(models.TextChoices):
    EMAIL = "email", _("email")
    SMS = "sms", _("SMS")
    PUSH = "push", _("push")


class CampaignState(models.TextChoices):
    DRAFT = "draft", _("draft")
    SCHEDULED = "scheduled", _("scheduled")
    SENDING = "sending", _("sending")
    SENT = "sent", _("sent")
    PAUSED = "paused", _("paused")
    CANCELLED = "cancelled", _("cancelled")


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
    created_at = models.DateTimeField(_("created at"), default=timezone.now)

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ("-created_at", "-pk")

    def __str__(self) -> str:
        return self.name
