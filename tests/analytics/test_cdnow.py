"""The forecast on the full CDNOW history (23,500 customers with a purchase of more than $0 in
1997-Q1), calibrated to 1997-09-30 and forecasting 1997-10-01..1998-06-30 (ANALYTICS.md), read
straight into the model, without the database.

For scale, ANALYTICS.md: the lifetimes package's BG/NBD predicts 16,507 purchases against 20,566
made (-19.7 %, per-customer MAE 0.865). Ours, counted in purchases (20,563 made by these
customers: the other 3 are by customers whose 1997-Q1 orders were all of $0):

    model                                  predicted   error    MAE
    Pareto/NBD on purchases (the default)   18,172    -11.6 %  0.832
    Pareto/NBD on purchase days, scaled     17,689    -14.0 %  0.830
    BG/NBD on purchase days, scaled         17,401    -15.4 %  0.855
    BG/NBD on purchases                     16,869    -18.0 %  0.846

("scaled": times the customer's purchases per purchase day, analytics.forecast.model.) Counted
in purchase days, the forecasts track the holdout's weeks within a few per cent except in two
bursts that history up to September 1997 cannot show, November to mid-December 1997 and late
February to March 1998, about 2,000 purchases between them. Most of the shortfall is the
one-time buyers': 13,886 customers with no repeat purchase by September made 3,573 purchases
afterwards, where Pareto/NBD expects 1,931. Yet fewer than one in five of them bought at all,
so any expectation above zero for them raises the MAE (0.355 for them, against 0.257 for
forecasting none): a total within 10 % and an MAE below 0.78 pull opposite ways.

Counted in customer-weeks, as lifetimes counts them (ANALYTICS.md's second comparison), our
BG/NBD predicts lifetimes' 16,507 (-10.4 % of 18,430 customer-weeks, MAE 0.786) and Pareto/NBD
15,183 (-17.6 %, MAE 0.745). The goal set in issue 16, within 10 % and an MAE below 0.78, is
reached in neither unit: see test_the_issues_goal.
"""

import numpy as np
import pytest

from analytics.forecast.history import DailyPurchases, Histories, purchases_between
from analytics.forecast.model import BG_NBD, PARETO_NBD, fit, forecast, holdout_error
from tests.analytics import cdnow


@pytest.fixture(scope="module")
def master():
    return cdnow.master()


@pytest.fixture(scope="module")
def calibrated(master):
    as_of = cdnow.AS_OF.toordinal()
    histories = Histories.of(master.daily, customers=master.customers, as_of_day=as_of)
    known = histories.active
    actual = purchases_between(
        master.daily,
        customers=master.customers,
        first_day=as_of + 1,
        last_day=as_of + cdnow.HORIZON_DAYS,
    )
    return histories.select(known), actual[known]


@pytest.fixture(scope="module")
def forecasts(calibrated):
    histories, _ = calibrated
    return {
        model: forecast(fit(histories, model=model), histories, horizon_days=cdnow.HORIZON_DAYS)
        for model in (PARETO_NBD, BG_NBD)
    }


def _error(predicted, actual):
    return 100 * (predicted.sum() / actual.sum() - 1), np.abs(predicted - actual).mean()


def test_the_calibration_counts_purchases_of_more_than_zero(calibrated):
    histories, actual = calibrated

    assert len(actual) == 23_500
    assert actual.sum() == 20_563
    assert histories.purchases.sum() == 49_013  # in 47,834 purchase days
    assert histories.days.sum() == 47_834


def test_pareto_nbd_beats_lifetimes_bgnbd_on_purchases(calibrated, forecasts):
    _, actual = calibrated
    error, mae = _error(forecasts[PARETO_NBD].expected_purchases, actual)

    assert error == pytest.approx(-11.6, abs=0.5)
    assert mae == pytest.approx(0.832, abs=0.005)


def test_bgnbd_counted_as_purchases(calibrated, forecasts):
    _, actual = calibrated
    error, mae = _error(forecasts[BG_NBD].expected_purchases, actual)

    assert error == pytest.approx(-15.4, abs=0.5)
    assert mae == pytest.approx(0.855, abs=0.005)


def test_the_other_figures_are_sane(calibrated, forecasts):
    histories, _ = calibrated
    found = forecasts[PARETO_NBD]

    assert ((found.p_alive > 0) & (found.p_alive <= 1)).all()
    assert (found.expected_order_value > 0).all()
    # One-time buyers fade under Pareto/NBD; under BG/NBD they are all alive.
    assert found.p_alive[histories.purchases == 1].max() < 0.5
    assert (forecasts[BG_NBD].p_alive[histories.days == 1] == 1).all()


def test_the_holdout_error_is_the_same_test_seen_from_the_end(master, calibrated, forecasts):
    # The refit's holdout, as of 1998-06-30 with 273 days, is exactly this split.
    _, actual = calibrated
    end = cdnow.AS_OF.toordinal() + cdnow.HORIZON_DAYS
    error = holdout_error(
        master.daily, customers=master.customers, as_of_day=end, horizon_days=cdnow.HORIZON_DAYS
    )
    predicted = forecasts[PARETO_NBD].expected_purchases

    assert error.customers == 23_500
    assert error.actual == actual.sum()
    assert error.predicted == pytest.approx(predicted.sum())
    assert error.error_percent == pytest.approx(_error(predicted, actual)[0])
    assert error.mae == pytest.approx(_error(predicted, actual)[1])


def test_the_shortfall_is_the_one_time_buyers_who_mostly_never_come_back(calibrated, forecasts):
    histories, actual = calibrated
    predicted = forecasts[PARETO_NBD].expected_purchases
    once = histories.purchases == 1

    assert once.sum() == 13_886
    assert actual[once].sum() == 3_573
    assert predicted[once].sum() == pytest.approx(1_931, abs=10)
    assert (actual[once] > 0).mean() < 0.2
    assert np.abs(predicted[once] - actual[once]).mean() > actual[once].mean()  # 0.355 > 0.257


def _customer_weeks(master):
    """The calibration and the holdout counted as lifetimes counts them with freq="W": weeks
    (Monday to Sunday) with a purchase, the calibration's up to 1997-09-30 and the holdout's
    after it (the week across that day counts in both), ages and recencies in weeks."""
    as_of = cdnow.AS_OF.toordinal()
    week = lambda day: (day - 1) // 7  # noqa: E731 - ordinal 1 (0001-01-01) is a Monday

    def weeks(daily):
        found = DailyPurchases.aggregate(daily.customer, week(daily.day), daily.amount)
        return DailyPurchases.from_rows(
            found.customer, found.day, np.ones_like(found.purchases), found.amount
        )

    histories = Histories.of(
        weeks(master.daily.until(as_of)), customers=master.customers, as_of_day=week(as_of)
    )
    holdout = weeks(master.daily.between(as_of + 1, as_of + cdnow.HORIZON_DAYS))
    actual = np.bincount(holdout.customer, minlength=master.customers)
    known = histories.active
    return histories.select(known), actual[known]


def test_counted_in_customer_weeks_our_bgnbd_is_lifetimes_and_pareto_nbd_errs_less(master):
    # ANALYTICS.md: lifetimes' BG/NBD predicts 16,507 and is -10.5 % off counted in customer-
    # weeks (MAE 0.784). Ours, fitted the same way, predicts the same; Pareto/NBD in weeks has a
    # lower MAE (0.745) but undercounts more (-17.6 %): neither reaches issue 16's goal in
    # this unit either.
    histories, actual = _customer_weeks(master)
    assert actual.sum() == 18_430
    found = {}
    for model in (BG_NBD, PARETO_NBD):
        predicted = forecast(
            fit(histories, model=model), histories, horizon_days=cdnow.HORIZON_DAYS / 7
        ).expected_purchases
        found[model] = (predicted.sum(), *_error(predicted, actual))

    assert found[BG_NBD][0] == pytest.approx(16_507, abs=15)
    assert found[BG_NBD][1] == pytest.approx(-10.4, abs=0.2)
    assert found[BG_NBD][2] == pytest.approx(0.786, abs=0.003)
    assert found[PARETO_NBD][1] == pytest.approx(-17.6, abs=0.3)
    assert found[PARETO_NBD][2] == pytest.approx(0.745, abs=0.003)


@pytest.mark.xfail(
    strict=True,
    reason="issue 16's goal (within 10 %, MAE < 0.78) is not reached: -11.6 %, MAE 0.832 in "
    "purchases; in customer-weeks -17.6 %, MAE 0.745 (BG/NBD: -10.4 %, 0.786). The shortfall is "
    "mostly one-time buyers, most of whom never return: forecasting more for them costs MAE.",
)
def test_the_issues_goal(calibrated, forecasts):
    _, actual = calibrated
    error, mae = _error(forecasts[PARETO_NBD].expected_purchases, actual)

    assert abs(error) < 10
    assert mae < 0.78
