"""What the analytics app keeps. For now the forecast's result per member, which the forecast
issue fills (ANALYTICS.md) and segments read (`churn_risk`)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ChurnRisk(models.TextChoices):
    LOW = "low", _("low")
    MEDIUM = "medium", _("medium")
    HIGH = "high", _("high")


class MemberForecast(models.Model):
    """The latest forecast for one member. A member without a row has not been forecast yet, and
    no `churn_risk` rule matches them."""

    # Derived data, recomputed by the forecast: it never holds a member back.
    member = models.OneToOneField(
        "members.Member", on_delete=models.CASCADE, related_name="forecast"
    )
    churn_risk = models.CharField(_("churn risk"), max_length=8, choices=ChurnRisk.choices)
    computed_at = models.DateTimeField(_("computed at"), default=timezone.now)

    class Meta:
        verbose_name = _("member forecast")
        verbose_name_plural = _("member forecasts")
        indexes = [models.Index(fields=["churn_risk"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(churn_risk__in=ChurnRisk.values),
                name="analytics_forecast_churn_risk_valid",
            )
        ]

    def __str__(self) -> str:
        return f"{self.member_id}: {self.churn_risk}"
