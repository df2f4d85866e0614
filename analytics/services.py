"""The forecast over the program's members (ANALYTICS.md, "The forecast"): read the counted
purchases, fit, forecast, and either store the figures (MemberForecast, one ForecastRun with the
fit's holdout error) or hand them to the `forecast` command's CSV.

Days are the program's: `as_of` is a date on its clock, and the forecast reads the purchases made
up to the end of that day; the horizon is the `horizon_days` days that follow. A purchase counts
when its amount net of refunds is above zero, and is worth that amount.

One aggregated query reads the purchases (per member and day: how many, how much), whatever the
number of members; the figures are written in batches.
"""

from __future__ import annotations

import datetime
import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
from django.db import transaction
from django.db.models import Count, F, FloatField, Sum
from django.db.models.functions import Cast, TruncDate
from django.utils import timezone

from analytics.forecast.history import DailyPurchases, Histories
from analytics.forecast.model import DEFAULT_MODEL, Fit, Forecast, fit, forecast, holdout_error
from analytics.models import ChurnRisk, ForecastRun, MemberForecast
from loyalty.models import Purchase
from loyalty.selectors.program import program_zone
from members.models import Member

# The refit's horizon (analytics.tasks): the next half year.
DEFAULT_HORIZON_DAYS = 182

# churn_risk from P(alive): high below 0.3, medium below 0.7, low from 0.7.
CHURN_HIGH_BELOW = 0.3
CHURN_MEDIUM_BELOW = 0.7

CSV_COLUMNS = (
    "member_number",
    "email",
    "expected_purchases",
    "p_alive",
    "expected_order_value",
    "predicted_value",
    "churn_risk",
)

_BATCH = 2000
_CENT = Decimal("0.01")
_STORED_FIELDS = [
    "churn_risk",
    "computed_at",
    "run",
    "as_of",
    "horizon_days",
    "expected_purchases",
    "p_alive",
    "expected_order_value",
    "predicted_value",
]


@dataclass(frozen=True)
class Purchases:
    """The counted purchases up to the end of `until`, per member and day: `member_ids[i]` is
    customer i of `daily`."""

    member_ids: np.ndarray
    daily: DailyPurchases
    until: datetime.date


@dataclass(frozen=True)
class MemberFigures:
    """The forecast of the members with a purchase by `as_of`, in `member_ids` order."""

    as_of: datetime.date
    horizon_days: int
    member_ids: np.ndarray
    fitted: Fit
    forecast: Forecast

    def churn_risks(self) -> list[str]:
        return [churn_risk_of(p) for p in self.forecast.p_alive]


def churn_risk_of(p_alive: float) -> str:
    if p_alive < CHURN_HIGH_BELOW:
        return ChurnRisk.HIGH
    if p_alive < CHURN_MEDIUM_BELOW:
        return ChurnRisk.MEDIUM
    return ChurnRisk.LOW


def forecast_as_of_default(*, now: datetime.datetime | None = None) -> datetime.date:
    """Yesterday on the program's clock: the last whole day."""
    now = now or timezone.now()
    return now.astimezone(program_zone(at=now)).date() - datetime.timedelta(days=1)


def purchases_read(*, until: datetime.date) -> Purchases:
    """Every counted purchase made up to the end of `until` (the program's day), in one query
    grouped by member and day."""
    zone = program_zone()
    end = datetime.datetime.combine(until + datetime.timedelta(days=1), datetime.time(), zone)
    rows = (
        Purchase.objects.filter(amount__gt=F("refunded_amount"), purchased_at__lt=end)
        .annotate(day=TruncDate("purchased_at", tzinfo=zone))
        .values("member_id", "day")
        .annotate(
            purchases=Count("pk"),
            net=Cast(Sum(F("amount") - F("refunded_amount")), FloatField()),
        )
        .order_by()
        .values_list("member_id", "day", "purchases", "net")
    )
    members, days, counts, amounts = [], [], [], []
    for member_id, day, count, net in rows.iterator(chunk_size=20000):
        members.append(member_id)
        days.append(day.toordinal())
        counts.append(count)
        amounts.append(net)
    member_ids, customer = np.unique(np.asarray(members, dtype=np.int64), return_inverse=True)
    return Purchases(
        member_ids=member_ids,
        daily=DailyPurchases.from_rows(customer.ravel(), days, counts, amounts),
        until=until,
    )


def members_forecast(
    purchases: Purchases, *, as_of: datetime.date, horizon_days: int, model: str = DEFAULT_MODEL
) -> MemberFigures:
    """Fit on the purchases up to the end of `as_of` and forecast the `horizon_days` after it,
    for every member with a purchase by then."""
    histories = Histories.of(
        purchases.daily, customers=len(purchases.member_ids), as_of_day=as_of.toordinal()
    )
    known = histories.active
    histories = histories.select(known)
    if not known.any():
        raise ValueError(f"no member has a purchase by {as_of}")
    fitted = fit(histories, model=model)
    return MemberFigures(
        as_of=as_of,
        horizon_days=horizon_days,
        member_ids=purchases.member_ids[known],
        fitted=fitted,
        forecast=forecast(fitted, histories, horizon_days=horizon_days),
    )


def _money(value: float) -> Decimal:
    return Decimal(repr(float(value))).quantize(_CENT, rounding=ROUND_HALF_UP)


def forecast_csv_rows(figures: MemberFigures) -> Iterator[list[str]]:
    """The header and one row per member forecast, by member number (ANALYTICS.md's columns)."""
    found = figures.forecast
    position = {int(pk): i for i, pk in enumerate(figures.member_ids)}
    # Every member, the ones not forecast skipped here: an IN list of 100,000 ids would be longer
    # than SQLite takes.
    members = Member.objects.order_by("member_number").values_list(
        "pk", "member_number", "user__email"
    )
    risks = figures.churn_risks()
    yield list(CSV_COLUMNS)
    for pk, number, email in members.iterator(chunk_size=5000):
        i = position.get(pk)
        if i is None:
            continue
        yield [
            number,
            email,
            f"{found.expected_purchases[i]:.4f}",
            f"{found.p_alive[i]:.4f}",
            str(_money(found.expected_order_value[i])),
            str(_money(found.predicted_value[i])),
            risks[i],
        ]


def forecast_store(
    figures: MemberFigures, *, holdout: dict | None = None, now: datetime.datetime | None = None
) -> ForecastRun:
    """Record the run and make its figures every member's latest: rows upserted in batches,
    and the rows of members this run did not forecast (no counted purchase any more) removed."""
    now = now or timezone.now()
    found = figures.forecast
    risks = figures.churn_risks()
    with transaction.atomic():
        run = ForecastRun.objects.create(
            model=figures.fitted.model,
            as_of=figures.as_of,
            horizon_days=figures.horizon_days,
            parameters=figures.fitted.parameters(),
            members=len(figures.member_ids),
            fitted_at=now,
            **(holdout or {}),
        )
        rows = (
            MemberForecast(
                member_id=int(pk),
                churn_risk=risks[i],
                computed_at=now,
                run=run,
                as_of=figures.as_of,
                horizon_days=figures.horizon_days,
                expected_purchases=float(found.expected_purchases[i]),
                p_alive=float(found.p_alive[i]),
                expected_order_value=_money(found.expected_order_value[i]),
                predicted_value=_money(found.predicted_value[i]),
            )
            for i, pk in enumerate(figures.member_ids)
        )
        while batch := list(itertools.islice(rows, _BATCH)):
            MemberForecast.objects.bulk_create(
                batch,
                update_conflicts=True,
                unique_fields=["member"],
                update_fields=_STORED_FIELDS,
            )
        MemberForecast.objects.exclude(run=run).delete()
    return run


def forecast_holdout(
    purchases: Purchases, *, as_of: datetime.date, horizon_days: int, model: str = DEFAULT_MODEL
) -> dict:
    """The fit's own error, as ForecastRun fields: fitted up to `as_of` - `horizon_days`, the
    horizon after that forecast and compared with the purchases made in it. Empty fields when
    nobody had bought that early."""
    error = holdout_error(
        purchases.daily,
        customers=len(purchases.member_ids),
        as_of_day=as_of.toordinal(),
        horizon_days=horizon_days,
        model=model,
    )
    if error is None:
        return {}
    return {
        "holdout_members": error.customers,
        "holdout_actual_purchases": round(error.actual),
        "holdout_predicted_purchases": error.predicted,
        "holdout_error_percent": error.error_percent,
        "holdout_mae": error.mae,
    }


def forecast_refit(
    *,
    as_of: datetime.date | None = None,
    horizon_days: int = DEFAULT_HORIZON_DAYS,
    model: str = DEFAULT_MODEL,
) -> ForecastRun | None:
    """Fit, measure the holdout error, store. None (and nothing written) while no member has a
    counted purchase."""
    as_of = as_of or forecast_as_of_default()
    purchases = purchases_read(until=as_of)
    if len(purchases.member_ids) == 0:
        return None
    figures = members_forecast(purchases, as_of=as_of, horizon_days=horizon_days, model=model)
    holdout = forecast_holdout(purchases, as_of=as_of, horizon_days=horizon_days, model=model)
    return forecast_store(figures, holdout=holdout)
