"""A satisfaction survey (CAMPAIGNS.md, Automations: survey; off by default): sent N days after
a purchase, at most one per member every 90 days, answered once on a signed portal page with a
0-10 score (the NPS question) and a comment. The survey rule's bonus is given once per survey,
with the answer."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from members.models import Member

SCORE_MAX = 10
COMMENT_MAX_LENGTH = 2000


class Survey(models.Model):
    member = models.ForeignKey(
        Member, on_delete=models.PROTECT, related_name="surveys", verbose_name=_("member")
    )
    # The purchase it asks about: one survey per purchase at most.
    purchase = models.OneToOneField(
        "loyalty.Purchase",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("purchase"),
    )
    created_at = models.DateTimeField(_("sent at"), default=timezone.now)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    score = models.PositiveSmallIntegerField(_("score (0-10)"), null=True, blank=True)
    comment = models.TextField(_("comment"), max_length=COMMENT_MAX_LENGTH, blank=True)

    class Meta:
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")
        ordering = ("-created_at", "-pk")
        indexes = [models.Index(fields=["member", "created_at"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(score__isnull=True) | Q(score__lte=SCORE_MAX),
                name="campaigns_survey_score_0_10",
            ),
            # An answer has its score and its time, or neither.
            models.CheckConstraint(
                condition=Q(answered_at__isnull=True, score__isnull=True, comment="")
                | Q(answered_at__isnull=False, score__isnull=False),
                name="campaigns_survey_answer_whole",
            ),
        ]

    def __str__(self) -> str:
        return f"survey {self.pk}"
