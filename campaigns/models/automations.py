"""The automations (CAMPAIGNS.md, Automations): the program's own messages, each sent at most once
per member per occasion (the delivery log's unique key), each on or off in the marketer's pages,
with its content per language and an optional reward.

One row per automation, created with its defaults the first time it is read
(campaigns.services.automations.automation_get), so a database without the rows (a fresh test
database) behaves as one with them. An automation with no content of its own sends the texts
Tessera ships for it, translated; content the marketer writes replaces them language by
language. Some automations send more than one message (the referral tells the referrer and the
friend; the tier change an upgrade and a downgrade): each is a `message` of its own, with its
own content.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from campaigns.models.delivery import AUTOMATION_MAX_LENGTH, DeliveryPurpose


class AutomationCode(models.TextChoices):
    WELCOME = "welcome", _("Welcome")
    BIRTHDAY = "birthday", _("Birthday")
    REFERRAL = "referral", _("Referral")
    TIER_CHANGE = "tier_change", _("Tier change")
    POINTS_EXPIRING = "points_expiring", _("Points expiring")
    VOUCHER_EXPIRING = "voucher_expiring", _("Voucher expiring")
    MONTHLY_STATEMENT = "monthly_statement", _("Monthly statement")
    WIN_BACK = "win_back", _("Win-back")
    SURVEY = "survey", _("Survey")


@dataclass(frozen=True)
class AutomationSpec:
    """What the code says about an automation: on by default or not, what kind of message it
    sends (a notice, or marketing that needs consent), the messages it sends (their keys), the
    merge fields it adds to the campaigns', whether its reward and its delay in days apply, and
    when it sends in words (the marketer's page and the README say the same)."""

    code: str
    enabled: bool
    purpose: str
    messages: tuple[str, ...] = ("main",)
    fields: tuple[str, ...] = ()
    rewardable: bool = True
    delay_days: int | None = None


MAIN = "main"

AUTOMATIONS: dict[str, AutomationSpec] = {
    spec.code: spec
    for spec in (
        AutomationSpec(
            AutomationCode.WELCOME, True, DeliveryPurpose.NOTICE, fields=("gift_points",)
        ),
        AutomationSpec(
            AutomationCode.BIRTHDAY, True, DeliveryPurpose.NOTICE, fields=("gift_points",)
        ),
        AutomationSpec(
            AutomationCode.REFERRAL,
            True,
            DeliveryPurpose.NOTICE,
            messages=("referrer", "referee"),
            fields=("gift_points", "friend_first_name"),
        ),
        AutomationSpec(
            AutomationCode.TIER_CHANGE,
            True,
            DeliveryPurpose.NOTICE,
            messages=("upgrade", "downgrade"),
            fields=("new_tier", "previous_tier"),
            rewardable=False,
        ),
        AutomationSpec(
            AutomationCode.POINTS_EXPIRING,
            True,
            DeliveryPurpose.NOTICE,
            fields=("expiring_points", "expiring_on"),
            rewardable=False,
        ),
        AutomationSpec(
            AutomationCode.VOUCHER_EXPIRING,
            True,
            DeliveryPurpose.NOTICE,
            fields=("reward", "voucher_code", "voucher_expires_on", "voucher_url"),
            rewardable=False,
        ),
        AutomationSpec(
            AutomationCode.MONTHLY_STATEMENT,
            False,
            DeliveryPurpose.MARKETING,
            fields=("statement_month", "statement_lines"),
            rewardable=False,
        ),
        AutomationSpec(AutomationCode.WIN_BACK, False, DeliveryPurpose.MARKETING, delay_days=90),
        AutomationSpec(
            AutomationCode.SURVEY,
            False,
            DeliveryPurpose.MARKETING,
            fields=("gift_points", "survey_url"),
            rewardable=False,
            delay_days=3,
        ),
    )
}


class Automation(models.Model):
    code = models.CharField(
        _("automation"),
        max_length=AUTOMATION_MAX_LENGTH,
        choices=AutomationCode.choices,
        unique=True,
    )
    enabled = models.BooleanField(_("on"), default=True)
    # {message: {language: {"subject": ..., "body": ...}}}, as
    # campaigns.services.automations checked it; a message or a language left out sends the
    # shipped text.
    content = models.JSONField(_("content"), default=dict, blank=True)
    # The optional reward, at most one: a reward issued as a voucher at no cost, or points;
    # given with the message, once per member and occasion.
    offer_reward = models.ForeignKey(
        "rewards.Reward",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("offered reward"),
    )
    offer_points = models.PositiveIntegerField(_("offered points"), null=True, blank=True)
    # Days after the purchase that starts it (win-back: after the last purchase; survey: after
    # a purchase); unused by the others.
    delay_days = models.PositiveSmallIntegerField(_("days after"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("updated by"),
    )

    class Meta:
        verbose_name = _("automation")
        verbose_name_plural = _("automations")
        constraints = [
            models.CheckConstraint(
                condition=Q(offer_reward__isnull=True) | Q(offer_points__isnull=True),
                name="campaigns_automation_one_offer",
            ),
            models.CheckConstraint(
                condition=Q(offer_points__isnull=True) | Q(offer_points__gt=0),
                name="campaigns_automation_offer_points_positive",
            ),
            models.CheckConstraint(
                condition=Q(delay_days__isnull=True) | Q(delay_days__gt=0),
                name="campaigns_automation_delay_positive",
            ),
        ]

    def __str__(self) -> str:
        return str(AutomationCode(self.code).label)

    @property
    def spec(self) -> AutomationSpec:
        return AUTOMATIONS[self.code]

    @property
    def days(self) -> int | None:
        """The delay in force: the marketer's, else the automation's default."""
        return self.delay_days or self.spec.delay_days
