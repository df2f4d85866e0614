"""What the analytics app keeps: the forecast (ANALYTICS.md, "The forecast"), one ForecastRun per
fit with its holdout error, and each member's latest figures, which segments read (`churn_risk`).
analytics.services fills them."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ChurnRisk(models.TextChoices):
    LOW = "low", _("low")
    MEDIUM = "medium", _("medium")
    HIGH = "high", _("high")


class ForecastRun(models.Model):
    """One fit of the forecast: the model and its parameters, the day it forecasts from and the
    horizon, and the fit's own holdout error (fitted on the purchases up to `as_of` -
    `horizon_days`, the next `horizon_days` forecast and compared with what was bought; empty
    when there was no purchase that early)."""

    model = models.CharField(_("model"), max_length=16)
    as_of = models.DateField(_("as of"))
    horizon_days = models.PositiveIntegerField(_("horizon (days)"))
    parameters = models.JSONField(_("parameters"), default=dict, blank=True)
    members = models.PositiveIntegerField(_("members forecast"), default=0)
    fitted_at = models.DateTimeField(_("fitted at"), default=timezone.now)
    holdout_members = models.PositiveIntegerField(_("holdout members"), null=True, blank=True)
    holdout_actual_purchases = models.PositiveIntegerField(
        _("holdout purchases made"), null=True, blank=True
    )
    holdout_predicted_purchases = models.FloatField(
        _("holdout purchases predicted"), null=True, blank=True
    )
    holdout_error_percent = models.FloatField(
        _("holdout error (%)"),
        null=True,
        blank=True,
        help_text=_("Purchases predicted against purchases made, in per cent."),
    )
    holdout_mae = models.FloatField(
        _("holdout mean absolute error"),
        null=True,
        blank=True,
        help_text=_("Per member, in purchases."),
    )

    class Meta:
        verbose_name = _("forecast run")
        verbose_name_plural = _("forecast runs")
        get_latest_by = "fitted_at"

    def __str__(self) -> str:
        return f"{self.model} as of {self.as_of} (+{self.horizon_days} days)"


class MemberForecast(models.Model):
    """The latest forecast for one member. A member without a row has not been forecast yet, and
    no `churn_risk` rule matches them."""

    # Derived data, recomputed by the forecast: it never holds a member back.
    member = models.OneToOneField(
        "members.Member", on_delete=models.CASCADE, related_name="forecast"
    )
    churn_risk = models.CharField(_("churn risk"), max_length=8, choices=ChurnRisk.choices)
    computed_at = models.DateTimeField(_("computed at"), default=timezone.now)
    # The figures of the run that wrote the row (empty on a row written otherwise).
    run = models.ForeignKey(
        ForecastRun,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="member_forecasts",
        verbose_name=_("forecast run"),
    )
    as_of = models.DateField(_("as of"), null=True, blank=True)
    horizon_days = models.PositiveIntegerField(_("horizon (days)"), null=True, blank=True)
    expected_purchases = models.FloatField(_("expected purchases"), null=True, blank=True)
    p_alive = models.FloatField(_("probability still active"), null=True, blank=True)
    expected_order_value = models.DecimalField(
        _("expected order value"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    predicted_value = models.DecimalField(
        _("predicted value"), max_digits=14, decimal_places=2, null=True, blank=True
    )

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


class PurchaseFact(models.Model):
    """One counted purchase as the figures count it (analytics.facts): derived data, rebuilt
    per member from the purchases, never edited."""

    purchase = models.OneToOneField(
        "loyalty.Purchase", on_delete=models.CASCADE, primary_key=True, related_name="+"
    )
    # Indexed below with the day: rebuilding a member's rows finds them by member.
    member = models.ForeignKey(
        "members.Member", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    day = models.DateField(_("day"))
    channel = models.CharField(_("channel"), max_length=8)
    net = models.DecimalField(_("amount net of refunds"), max_digits=14, decimal_places=2)
    previous_day = models.DateField(null=True)
    second_previous_day = models.DateField(null=True)
    previous_channel_day = models.DateField(null=True)
    first_day = models.DateField()

    class Meta:
        verbose_name = _("counted purchase")
        verbose_name_plural = _("counted purchases")
        indexes = [models.Index(fields=["member", "day"], name="analytics_fact_member_day")]

    def __str__(self) -> str:
        return f"{self.purchase_id} on {self.day}"


class PurchaseDay(models.Model):
    """The purchase facts summed per day: rewritten with them, in the same transaction
    (analytics.facts), so it always equals them. The charts read it."""

    day = models.DateField(_("day"), primary_key=True)
    purchases = models.BigIntegerField(default=0)
    revenue = models.DecimalField(max_digits=16, decimal_places=2, default=0)

    class Meta:
        verbose_name = _("purchase day")

    def __str__(self) -> str:
        return f"{self.day}: {self.purchases}"


class FactsState(models.Model):
    """One row: the time zone the purchase facts were built for."""

    zone = models.CharField(_("time zone"), max_length=64, blank=True)

    class Meta:
        verbose_name = _("purchase facts state")

    def __str__(self) -> str:
        return self.zone or "-"


class LedgerDay(models.Model):
    """The ledger's movements of one day in the program's time zone, summed by what the figures
    read (analytics.ledger_days): derived data, added to as entries settle, never edited."""

    day = models.DateField(_("day"), primary_key=True)
    issued = models.BigIntegerField(default=0)  # earn, bonus and refund entries
    redeemed = models.BigIntegerField(default=0)  # redeem entries (negative)
    expired = models.BigIntegerField(default=0)  # expire entries (negative)
    given_back_issued = models.BigIntegerField(default=0)  # reversals of earned kinds
    given_back_redeemed = models.BigIntegerField(default=0)  # reversals of redemptions
    net = models.BigIntegerField(default=0)  # every entry's points

    class Meta:
        verbose_name = _("ledger day")

    def __str__(self) -> str:
        return str(self.day)


class LedgerDaysState(models.Model):
    """One row: the zone the ledger days are for, and the last entry id they hold (every entry
    at or below it has been added, none above)."""

    zone = models.CharField(_("time zone"), max_length=64, blank=True)
    floor = models.BigIntegerField(default=0)

    class Meta:
        verbose_name = _("ledger days state")

    def __str__(self) -> str:
        return f"{self.zone or '-'} up to {self.floor}"
