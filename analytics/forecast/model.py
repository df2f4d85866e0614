"""The forecast: a purchase model (Pareto/NBD by default, BG/NBD on request) for how many
purchases each customer will make over the horizon and how likely they are still a customer, and
Gamma-Gamma for what each purchase will be worth.

What the purchase model counts as its events, so that `expected_purchases` counts purchases
(ANALYTICS.md), several on one day included:

- Pareto/NBD counts every purchase. A customer drops out in time, whether they buy or not, so a
  basket rung up in two is just one more event of a more frequent customer.
- BG/NBD counts purchase days, scaled back to purchases by the customer's purchases per purchase
  day, shrunk towards the population's by one day's worth: (purchases + rho) / (days + 1). Under
  BG/NBD a customer may drop out after each event: fed every purchase, it takes a split basket
  for one more chance to have left (on CDNOW it then forecasts -18.0 % instead of -15.4 %).

Why Pareto/NBD by default (CDNOW, calibrated to 1997-09-30, forecasting 1997-10-01..1998-06-30,
tests/analytics/test_cdnow.py): it is nearer (total -11.6 %, per-customer MAE 0.832, against
-15.4 % and 0.855 for BG/NBD), and its P(alive) means something for a one-time buyer: under
BG/NBD anybody without a repeat purchase is alive for sure, so no one-time buyer could ever be
at churn risk.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType

import numpy as np

from analytics.forecast import bgnbd, gamma_gamma, pareto_nbd
from analytics.forecast.history import DailyPurchases, Histories, purchases_between

PARETO_NBD = "pareto_nbd"
BG_NBD = "bgnbd"
MODELS: dict[str, ModuleType] = {PARETO_NBD: pareto_nbd, BG_NBD: bgnbd}
DEFAULT_MODEL = PARETO_NBD

# The models whose events are purchase days rather than purchases (see above).
_COUNTS_DAYS = frozenset({BG_NBD})
# How many purchase days at the population's rate the customer's own purchases per day are
# shrunk with.
_RATIO_PRIOR_DAYS = 1.0


def _repeat_events(histories: Histories, model: str) -> np.ndarray:
    events = histories.days if model in _COUNTS_DAYS else histories.purchases
    return events - 1


@dataclass(frozen=True)
class Fit:
    model: str
    purchases: bgnbd.BgNbd | pareto_nbd.ParetoNbd
    order_value: gamma_gamma.GammaGamma
    purchases_per_day: float

    def parameters(self) -> dict:
        """JSON-ready, for ForecastRun.parameters."""
        return {
            "model": self.model,
            "purchases": {k: float(v) for k, v in self.purchases.as_dict().items()},
            "order_value": {k: float(v) for k, v in self.order_value.as_dict().items()},
            "purchases_per_day": float(self.purchases_per_day),
        }


@dataclass(frozen=True)
class Forecast:
    """Per customer, in the order of the histories forecast."""

    expected_purchases: np.ndarray
    p_alive: np.ndarray
    expected_order_value: np.ndarray

    @property
    def predicted_value(self) -> np.ndarray:
        return self.expected_purchases * self.expected_order_value


@dataclass(frozen=True)
class HoldoutError:
    """The fit's own test: fitted on the days up to `as_of_day - horizon_days`, the customers with
    a purchase by then forecast for the horizon that follows, against what they bought."""

    customers: int
    actual: float
    predicted: float
    mae: float

    @property
    def error_percent(self) -> float | None:
        if self.actual == 0:
            return None
        return 100.0 * (self.predicted / self.actual - 1.0)


def fit(histories: Histories, *, model: str = DEFAULT_MODEL) -> Fit:
    """Fit both models to customers with at least one purchase."""
    if not histories.active.all():
        raise ValueError("fit only customers with a purchase")
    h = histories
    with np.errstate(all="ignore"):
        purchases = MODELS[model].fit(_repeat_events(h, model), h.recency, h.age)
        order_value = gamma_gamma.fit(h.purchases, h.amount / h.purchases)
    return Fit(
        model=model,
        purchases=purchases,
        order_value=order_value,
        purchases_per_day=float(h.purchases.sum() / h.days.sum()),
    )


def forecast(fitted: Fit, histories: Histories, *, horizon_days: int) -> Forecast:
    h = histories
    module = MODELS[fitted.model]
    x = _repeat_events(h, fitted.model)
    with np.errstate(all="ignore"):
        events = module.expected_purchases(
            fitted.purchases, float(horizon_days), x, h.recency, h.age
        )
        alive = module.p_alive(fitted.purchases, x, h.recency, h.age)
        value = gamma_gamma.expected_order_value(
            fitted.order_value, h.purchases, h.amount / np.maximum(h.purchases, 1)
        )
    if fitted.model in _COUNTS_DAYS:
        events = events * (
            (h.purchases + _RATIO_PRIOR_DAYS * fitted.purchases_per_day)
            / (h.days + _RATIO_PRIOR_DAYS)
        )
    return Forecast(
        expected_purchases=np.nan_to_num(events),
        p_alive=np.clip(np.nan_to_num(alive, nan=1.0), 0.0, 1.0),
        expected_order_value=np.nan_to_num(value),
    )


def holdout_error(
    daily: DailyPurchases,
    *,
    customers: int,
    as_of_day: int,
    horizon_days: int,
    model: str = DEFAULT_MODEL,
) -> HoldoutError | None:
    """None when nobody had bought by `as_of_day - horizon_days`."""
    cut = as_of_day - horizon_days
    histories = Histories.of(daily, customers=customers, as_of_day=cut)
    known = histories.active
    if not known.any():
        return None
    histories = histories.select(known)
    predicted = forecast(
        fit(histories, model=model), histories, horizon_days=horizon_days
    ).expected_purchases
    actual = purchases_between(daily, customers=customers, first_day=cut + 1, last_day=as_of_day)
    actual = actual[known]
    return HoldoutError(
        customers=int(known.sum()),
        actual=float(actual.sum()),
        predicted=float(predicted.sum()),
        mae=float(np.abs(predicted - actual).mean()),
    )
