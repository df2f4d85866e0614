"""`manage.py forecast [--as-of DATE] [--horizon-days H] [--csv FILE] [--model M]`
(ANALYTICS.md, "The forecast").

With --csv, writes the forecast of every member with a counted purchase up to the end of --as-of
(the program's day) as CSV and stores nothing; without it, stores each member's figures
(MemberForecast) and the run with its holdout error, as the weekly refit does.
"""

import csv
import datetime
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from analytics import services
from analytics.forecast.model import DEFAULT_MODEL, MODELS


def _date(text: str) -> datetime.date:
    try:
        return datetime.date.fromisoformat(text)
    except ValueError as exc:
        raise CommandError(f"--as-of: not a date (YYYY-MM-DD): {text}") from exc


class Command(BaseCommand):
    help = (
        "Forecast each member's purchases, P(alive), order value and value over the horizon "
        "that follows --as-of: as CSV (--csv), or stored for segments and the analytics pages."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--as-of",
            type=_date,
            default=None,
            help="the last day of history, on the program's clock (default: yesterday)",
        )
        parser.add_argument(
            "--horizon-days",
            type=int,
            default=services.DEFAULT_HORIZON_DAYS,
            help=f"days forecast after --as-of (default {services.DEFAULT_HORIZON_DAYS})",
        )
        parser.add_argument("--csv", default=None, help="write CSV to FILE (- for stdout)")
        parser.add_argument(
            "--model",
            choices=sorted(MODELS),
            default=DEFAULT_MODEL,
            help=f"the purchase model (default {DEFAULT_MODEL})",
        )

    def handle(self, *args, **options) -> None:
        as_of = options["as_of"] or services.forecast_as_of_default()
        horizon = options["horizon_days"]
        if horizon < 1:
            raise CommandError("--horizon-days must be at least 1")
        if options["csv"] is not None:
            self._csv(options["csv"], as_of=as_of, horizon=horizon, model=options["model"])
            return
        run = services.forecast_refit(as_of=as_of, horizon_days=horizon, model=options["model"])
        if run is None:
            raise CommandError(f"no member has a counted purchase by {as_of}")
        self.stdout.write(
            f"Stored the forecast of {run.members} members as of {run.as_of}, "
            f"{run.horizon_days} days ({run.model})."
        )
        if run.holdout_error_percent is None:
            self.stdout.write("Holdout: no purchases old enough to test the fit on.")
        else:
            self.stdout.write(
                f"Holdout: {run.holdout_predicted_purchases:.0f} purchases predicted, "
                f"{run.holdout_actual_purchases} made ({run.holdout_error_percent:+.1f} %), "
                f"MAE {run.holdout_mae:.3f}, {run.holdout_members} members."
            )

    def _csv(self, name: str, *, as_of: datetime.date, horizon: int, model: str) -> None:
        purchases = services.purchases_read(until=as_of)
        if len(purchases.member_ids) == 0:
            raise CommandError(f"no member has a counted purchase by {as_of}")
        figures = services.members_forecast(
            purchases, as_of=as_of, horizon_days=horizon, model=model
        )
        if name == "-":
            csv.writer(self.stdout, lineterminator="\n").writerows(
                services.forecast_csv_rows(figures)
            )
            return
        try:
            with Path(name).open("w", encoding="utf-8", newline="") as file:
                csv.writer(file).writerows(services.forecast_csv_rows(figures))
        except OSError as exc:
            raise CommandError(f"cannot write {name}: {exc}") from exc
        self.stdout.write(f"Wrote the forecast of {len(figures.member_ids)} members to {name}.")
