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
February to March 1998, about 2,000 purchases between them. The goal set in issue 16, within
10 % and an MAE below 0.78, is not reached: see test_the_issues_goal.
"""

import numpy as np
import pytest

from analytics.forecast.history import Histories, purchases_between
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


@pytest.mark.xfail(
    strict=True,
    reason="issue 16's goal (within 10 %, MAE < 0.78) is not reached: -11.6 %, MAE 0.832. An "
    "estimate of the mean gets no MAE much below 0.83 here (MAE rewards medians, which "
    "undercount by half), and the shortfall is two bursts after the calibration period.",
)
def test_the_issues_goal(calibrated, forecasts):
    _, actual = calibrated
    error, mae = _error(forecasts[PARETO_NBD].expected_purchases, actual)

    assert abs(error) < 10
    assert mae < 0.78
