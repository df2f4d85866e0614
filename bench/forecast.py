"""Benchmark: the forecast's fit (analytics.forecast) on CDNOW and on a synthetic 100,000
customers, and `manage.py forecast` on 100,000 members and 1,000,000 purchases in PostgreSQL.

    .venv/bin/python bench/forecast.py [--part cdnow|synthetic|database] [--customers 100000]
                                       [--keep]

Parts (`--part`, default all), each printing its own figures:

- `cdnow`: the full CDNOW history (tests/data/cdnow), calibrated to 1997-09-30: for each purchase
  model, the time to fit it and Gamma-Gamma, to forecast 273 days, and the forecast's error
  against 1997-10-01..1998-06-30 (total and per-customer MAE, in purchases).
- `synthetic`: `--customers` drawn from a Pareto/NBD process (r 0.9, alpha 40 days, s 0.6, beta
  400 days, joining over three years, 1 purchase day in 20 with a second purchase): the same
  timings, with how many distinct (x, t_x, T) the likelihood is evaluated over.
- `database`: a fresh database (`tessera_bench_forecast`) with bench/campaign.py's members and
  purchases (100,000 and 1,000,000 by default: 5 % fully and 5 % partly refunded), then
  `manage.py forecast` storing (read, fit, holdout, write) and `--csv`, timed as a whole.
  Target (issue 16): minutes, not hours, within the refit task's 30-minute limit.
"""

import argparse
import sys
import time
from pathlib import Path

import numpy as np
from harness import PYTHON, ROOT, database_create, production_env, run

sys.path.insert(0, str(ROOT))

from analytics.forecast.bgnbd import distinct_rows
from analytics.forecast.history import DailyPurchases, Histories, purchases_between
from analytics.forecast.model import BG_NBD, PARETO_NBD, fit, forecast
from tests.analytics import cdnow

DB_NAME = "tessera_bench_forecast"


def timed(work):
    started = time.perf_counter()
    result = work()
    return time.perf_counter() - started, result


def fit_and_report(daily, customers, as_of_day, horizon, actual_known=True) -> None:
    histories = Histories.of(daily, customers=customers, as_of_day=as_of_day)
    known = histories.active
    histories = histories.select(known)
    (_, _, _), weights, _ = distinct_rows(histories.purchases, histories.recency, histories.age)
    print(
        f"  {int(known.sum()):,} customers, {int(histories.purchases.sum()):,} purchases in "
        f"{int(histories.days.sum()):,} purchase days, {len(weights):,} distinct (x, t_x, T)"
    )
    actual = purchases_between(
        daily, customers=customers, first_day=as_of_day + 1, last_day=as_of_day + horizon
    )[known]
    for model in (PARETO_NBD, BG_NBD):
        seconds, fitted = timed(lambda model=model: fit(histories, model=model))
        forecast_seconds, found = timed(
            lambda fitted=fitted: forecast(fitted, histories, horizon_days=horizon)
        )
        predicted = found.expected_purchases
        line = f"  {model:10}  fit {seconds:5.2f} s   forecast {forecast_seconds:5.2f} s"
        if actual_known:
            error = 100 * (predicted.sum() / actual.sum() - 1)
            mae = np.abs(predicted - actual).mean()
            line += (
                f"   {predicted.sum():,.0f} predicted, {actual.sum():,.0f} made"
                f" ({error:+.1f} %), MAE {mae:.3f}"
            )
        print(line, flush=True)


def part_cdnow(args) -> None:
    print("CDNOW, calibrated to 1997-09-30, 273 days:", flush=True)
    seconds, data = timed(cdnow.master)
    print(f"  read in {seconds:.2f} s")
    fit_and_report(data.daily, data.customers, cdnow.AS_OF.toordinal(), cdnow.HORIZON_DAYS)


def synthetic(customers: int, *, seed: int = 16):
    """Days 0..1460: customers join uniformly over the first 1,095 days and buy as Pareto/NBD
    says until day 1460 (the last 365 days are the horizon the forecast is checked on)."""
    rng = np.random.default_rng(seed)
    joined = rng.integers(0, 1095, customers)
    rate = rng.gamma(0.9, 1 / 40, customers)
    lifetime = rng.exponential(1 / rng.gamma(0.6, 1 / 400, customers))
    span = np.minimum(lifetime, 1460 - joined)
    visits = rng.poisson(rate * span)
    who = np.repeat(np.arange(customers), visits)
    day = joined[who] + np.floor(rng.random(len(who)) * span[who]).astype(np.int64)
    # The first purchase on the joining day, and some visits with a second purchase.
    who = np.concatenate([np.arange(customers), who])
    day = np.concatenate([joined, day])
    extra = rng.random(len(who)) < 0.05
    who = np.concatenate([who, who[extra]])
    day = np.concatenate([day, day[extra]])
    amount = rng.gamma(4.0, 10.0, len(who))
    return DailyPurchases.aggregate(who, day, amount), len(who)


def part_synthetic(args) -> None:
    seconds, (daily, purchases) = timed(lambda: synthetic(args.customers))
    print(
        f"synthetic: {args.customers:,} customers, {purchases:,} purchases over 4 years "
        f"(drawn in {seconds:.1f} s), calibrated to day 1095, 365 days:",
        flush=True,
    )
    fit_and_report(daily, args.customers, 1095, 365)


def part_database(args) -> None:
    # bench/campaign.py's generator: its members, accounts, purchases and forecasts.
    from campaign import SETUP

    env = production_env(DB_NAME)
    if not args.keep:
        print(f"setting up {DB_NAME}...", flush=True)
        database_create(DB_NAME, env)
        seconds, out = timed(
            lambda: run([PYTHON, "-c", SETUP, str(args.customers), str(args.purchases)], env=env)
        )
        print(f"  {out.strip()} in {seconds:.0f} s", flush=True)
    csv_path = Path("/tmp") / f"{DB_NAME}.csv"
    for label, extra in (("stored", []), ("--csv", ["--csv", str(csv_path)])):
        command = [PYTHON, "manage.py", "forecast", "--horizon-days", "182", *extra]
        seconds, out = timed(lambda command=command: run(command, env=env))
        print(f"  manage.py forecast ({label}): {seconds:.1f} s", flush=True)
        for line in out.strip().splitlines():
            print(f"    {line}")
    rows = sum(1 for _ in csv_path.open()) - 1
    print(f"  the CSV has {rows:,} rows", flush=True)


PARTS = {"cdnow": part_cdnow, "synthetic": part_synthetic, "database": part_database}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--purchases", type=int, default=1_000_000)
    parser.add_argument("--part", choices=sorted(PARTS), action="append")
    parser.add_argument(
        "--keep", action="store_true", help="reuse the database a previous run built"
    )
    args = parser.parse_args()
    for name in args.part or ["cdnow", "synthetic", "database"]:
        PARTS[name](args)


if __name__ == "__main__":
    main()
