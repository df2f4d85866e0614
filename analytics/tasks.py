"""The forecast's weekly refit (ANALYTICS.md, "The forecast"): fit on every counted purchase up to
yesterday, store each member's figures and the fit's holdout error (analytics.services
.forecast_refit). Idempotent: a re-run makes a new ForecastRun and writes the same figures.

Periodic runs (declared here, installed by the migration analytics.0003): `PERIODIC_TASKS`.
"""

from __future__ import annotations

from celery import shared_task

from analytics import ledger_days, services
from analytics.facts import facts_rebuild, facts_zone
from analytics.figures import figures_zone

FORECAST_REFIT_TASK = "analytics.tasks.forecast_refit"
PURCHASE_FACTS_CHECK_TASK = "analytics.tasks.purchase_facts_check"
LEDGER_DAYS_TASK = "analytics.tasks.ledger_days_advance"

# name -> (task, crontab fields in CELERY_TIMEZONE, UTC): Mondays at 04:30.
PERIODIC_TASKS = {
    "analytics: forecast refit": (
        FORECAST_REFIT_TASK,
        {"minute": "30", "hour": "4", "day_of_week": "1"},
    ),
    # After a deploy or a change of the program's time zone, within ten minutes.
    "analytics: purchase facts": (
        PURCHASE_FACTS_CHECK_TASK,
        {"minute": "*/10", "hour": "*", "day_of_week": "*"},
    ),
    # The figures add what it has not summed yet from the ledger: its lag costs speed only.
    "analytics: ledger days": (
        LEDGER_DAYS_TASK,
        {"minute": "*", "hour": "*", "day_of_week": "*"},
    ),
}


# Reading, fitting and writing 100,000 members takes about half a minute (bench/forecast.py):
# the limits leave room for a shop many times that size.
@shared_task(name=FORECAST_REFIT_TASK, ignore_result=True, soft_time_limit=1800, time_limit=1900)
def forecast_refit() -> int:
    """Returns the members forecast."""
    run = services.forecast_refit()
    return run.members if run is not None else 0


@shared_task(name=PURCHASE_FACTS_CHECK_TASK, ignore_result=True, soft_time_limit=1800)
def purchase_facts_check() -> bool:
    """Build the purchase facts (analytics.facts) when they are not for the program's time zone
    (never built, or the zone changed). Returns whether it built them."""
    zone = figures_zone()
    if facts_zone() == str(zone):
        return False
    facts_rebuild(zone)
    return True


@shared_task(name=LEDGER_DAYS_TASK, ignore_result=True, soft_time_limit=1800)
def ledger_days_advance() -> int:
    """Add the ledger entries settled since the last run to their days (analytics.ledger_days);
    the first run, or one after a change of the program's time zone, sums them all."""
    return ledger_days.ledger_days_advance(figures_zone())
