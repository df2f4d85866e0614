"""`manage.py forecast` end to end on a small program (tests.factories.ledger: Europe/Madrid,
EUR): who is forecast, from which purchases, the CSV's columns, and what a stored run keeps."""

import csv
import datetime
import io
import itertools
import zoneinfo
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django_celery_beat.models import PeriodicTask

from analytics import services, tasks
from analytics.models import ChurnRisk, ForecastRun, MemberForecast
from loyalty.services.purchases import purchase_record, refund_record
from tests.factories.ledger import MemberFactory, program_version_create

pytestmark = pytest.mark.django_db

MADRID = zoneinfo.ZoneInfo("Europe/Madrid")
AS_OF = datetime.date(2026, 3, 31)
_ids = itertools.count(1)
ARGS = ("--as-of", AS_OF.isoformat(), "--horizon-days", "90")


def at(day: datetime.date, hour: int = 12, minute: int = 0) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=MADRID)


def buy(member, when, amount="20.00", *, refund=None):
    purchase, _ = purchase_record(
        member=member,
        external_id=f"fc-{next(_ids)}",
        amount=Decimal(amount),
        currency="EUR",
        purchased_at=when,
        channel="store",
        items=[],
    )
    if refund is not None:
        refund_record(purchase=purchase, external_id=f"r-{purchase.pk}", amount=Decimal(refund))
    return purchase


@pytest.fixture
def members(db):
    program_version_create(pending_days=0, signup_bonus=False)
    made = {}
    start = AS_OF - datetime.timedelta(days=400)
    for name in ("ana", "bea", "carl", "dora", "eve", "fred", "gil", "hugo"):
        made[name] = MemberFactory(
            email=f"{name}@example.com", first_name=name, joined_at=at(start, 9)
        )
    # Regular buyers over the year before AS_OF, and one who stopped half a year ago.
    for weeks in range(0, 52, 4):
        buy(made["ana"], at(AS_OF - datetime.timedelta(weeks=weeks, days=1)), "30.00")
    for weeks in range(0, 50, 7):
        buy(made["bea"], at(AS_OF - datetime.timedelta(weeks=weeks, days=3)), "55.00")
    for days in (300, 260, 230, 190):
        buy(made["carl"], at(AS_OF - datetime.timedelta(days=days)), "12.50")
    # Two purchases on one day: two purchases, one purchase day.
    buy(made["dora"], at(AS_OF - datetime.timedelta(days=90), 10), "40.00")
    buy(made["dora"], at(AS_OF - datetime.timedelta(days=90), 18), "10.00")
    buy(made["dora"], at(AS_OF - datetime.timedelta(days=20)), "25.00")
    # eve: one purchase, partly refunded; and one fully refunded, which does not count.
    buy(made["eve"], at(AS_OF - datetime.timedelta(days=120)), "80.00", refund="30.00")
    buy(made["eve"], at(AS_OF - datetime.timedelta(days=10)), "15.00", refund="15.00")
    # fred bought only after AS_OF (at 00:30 on 1 April in Madrid: 22:30 UTC on 31 March).
    buy(made["fred"], at(AS_OF + datetime.timedelta(days=1), 0, 30), "60.00")
    # gil's only purchase is fully refunded; hugo never bought.
    buy(made["gil"], at(AS_OF - datetime.timedelta(days=50)), "20.00", refund="20.00")
    # Purchases after AS_OF are left out of everything.
    buy(made["ana"], at(AS_OF + datetime.timedelta(days=5)), "500.00")
    return made


def forecast_csv(tmp_path, **options) -> list[dict]:
    path = tmp_path / "forecast.csv"
    out = io.StringIO()
    call_command(
        "forecast",
        "--as-of",
        options.get("as_of", AS_OF.isoformat()),
        "--horizon-days",
        str(options.get("horizon_days", 90)),
        "--csv",
        str(path),
        stdout=out,
    )
    with path.open(encoding="utf-8", newline="") as file:
        return list(csv.DictReader(file))


def test_the_csv_has_one_row_per_member_with_a_counted_purchase_by_as_of(members, tmp_path):
    rows = forecast_csv(tmp_path)

    assert list(rows[0]) == [
        "member_number",
        "email",
        "expected_purchases",
        "p_alive",
        "expected_order_value",
        "predicted_value",
        "churn_risk",
    ]
    by_email = {row["email"]: row for row in rows}
    # Not fred (bought after), gil (refunded in full) or hugo (never bought).
    assert set(by_email) == {f"{n}@example.com" for n in ("ana", "bea", "carl", "dora", "eve")}
    assert [row["member_number"] for row in rows] == sorted(
        m.member_number for m in [members[n] for n in ("ana", "bea", "carl", "dora", "eve")]
    )
    for row in rows:
        purchases = float(row["expected_purchases"])
        p_alive = float(row["p_alive"])
        value = Decimal(row["expected_order_value"])
        assert purchases >= 0
        assert 0 <= p_alive <= 1
        assert value > 0
        assert abs(Decimal(row["predicted_value"]) - Decimal(purchases) * value) <= Decimal(
            "0.01"
        ) + Decimal(purchases) * Decimal("0.006")
        assert row["churn_risk"] == services.churn_risk_of(p_alive)
    # The regular buyer outbuys the one who stopped, and is likelier still a customer.
    ana, carl = by_email["ana@example.com"], by_email["carl@example.com"]
    assert float(ana["expected_purchases"]) > float(carl["expected_purchases"])
    assert float(ana["p_alive"]) > float(carl["p_alive"])


def test_purchases_are_read_net_of_refunds_by_the_programs_day(members):
    purchases = services.purchases_read(until=AS_OF)
    index = {int(pk): i for i, pk in enumerate(purchases.member_ids)}
    daily = purchases.daily

    def days_of(name):
        mine = daily.customer == index[members[name].pk]
        return sorted(
            zip(
                daily.day[mine].tolist(),
                daily.purchases[mine].tolist(),
                daily.amount[mine].tolist(),
                strict=True,
            )
        )

    assert members["fred"].pk not in index
    assert members["gil"].pk not in index
    assert members["hugo"].pk not in index
    ninety = (AS_OF - datetime.timedelta(days=90)).toordinal()
    twenty = (AS_OF - datetime.timedelta(days=20)).toordinal()
    assert days_of("dora") == [(ninety, 2, 50.0), (twenty, 1, 25.0)]
    # eve's partly refunded purchase counts for what is left; her refunded one not at all.
    assert days_of("eve") == [((AS_OF - datetime.timedelta(days=120)).toordinal(), 1, 50.0)]
    # The day after AS_OF in Madrid, though still 31 March in UTC: counted from 1 April on.
    later = services.purchases_read(until=AS_OF + datetime.timedelta(days=1))
    assert members["fred"].pk in later.member_ids


def test_only_purchases_by_as_of_are_used(members, tmp_path):
    before = forecast_csv(tmp_path)
    buy(members["carl"], at(AS_OF + datetime.timedelta(days=2)), "99.00")
    buy(members["hugo"], at(AS_OF + datetime.timedelta(days=2)), "99.00")

    assert forecast_csv(tmp_path) == before


def test_without_csv_the_figures_are_stored_with_the_run(members):
    stale = MemberForecast.objects.create(member=members["gil"], churn_risk=ChurnRisk.HIGH)
    out = io.StringIO()

    call_command("forecast", *ARGS, stdout=out)

    run = ForecastRun.objects.get()
    assert run.as_of == AS_OF
    assert run.horizon_days == 90
    assert run.model == "pareto_nbd"
    assert set(run.parameters) == {"model", "purchases", "order_value", "purchases_per_day"}
    assert run.members == 5
    # The holdout: fitted up to 90 days before AS_OF, the members who had bought by then.
    # The holdout: fitted on the days up to AS_OF - 90, the five who had bought by then (dora
    # on that very day), forecast for the 90 days that follow: ana bought on days -1, -29, -57
    # and -85 of them, bea on -3 and -52, dora on -20 (eve's purchase then was refunded).
    assert run.holdout_members == 5
    assert run.holdout_actual_purchases == 7
    assert run.holdout_predicted_purchases is not None
    assert run.holdout_error_percent == pytest.approx(
        100 * (run.holdout_predicted_purchases / run.holdout_actual_purchases - 1)
    )
    assert run.holdout_mae >= 0
    assert "Holdout:" in out.getvalue()

    stored = {f.member_id: f for f in MemberForecast.objects.all()}
    assert set(stored) == {members[n].pk for n in ("ana", "bea", "carl", "dora", "eve")}
    assert not MemberForecast.objects.filter(pk=stale.pk).exists()
    ana = stored[members["ana"].pk]
    assert ana.run == run
    assert ana.as_of == AS_OF
    assert ana.horizon_days == 90
    assert ana.expected_purchases > 0
    assert 0 < ana.p_alive <= 1
    assert ana.churn_risk == services.churn_risk_of(ana.p_alive)
    assert ana.predicted_value == pytest.approx(
        Decimal(ana.expected_purchases) * ana.expected_order_value, abs=Decimal("0.02")
    )

    # A refit updates the rows in place.
    call_command("forecast", *ARGS, stdout=io.StringIO())
    assert MemberForecast.objects.count() == 5
    assert set(MemberForecast.objects.values_list("run", flat=True)) == {
        ForecastRun.objects.latest().pk
    }


def test_the_weekly_refit_is_installed_and_forecasts_up_to_yesterday(members, time_machine):
    installed = dict(PeriodicTask.objects.values_list("name", "task"))
    for name, (task, _schedule) in tasks.PERIODIC_TASKS.items():
        assert installed[name] == task

    time_machine.move_to(at(AS_OF + datetime.timedelta(days=1), 10), tick=False)
    assert tasks.forecast_refit() == 5
    run = ForecastRun.objects.get()
    assert run.as_of == AS_OF
    assert run.horizon_days == services.DEFAULT_HORIZON_DAYS
    assert run.members == 5


def test_no_purchase_yet_is_an_error_for_the_command_and_nothing_for_the_task(db):
    program_version_create(pending_days=0, signup_bonus=False)

    with pytest.raises(CommandError, match="no member has a counted purchase"):
        call_command("forecast", "--as-of", AS_OF.isoformat(), stdout=io.StringIO())
    assert tasks.forecast_refit() == 0
    assert not ForecastRun.objects.exists()


def test_a_bad_as_of_or_horizon_is_refused(members):
    with pytest.raises(CommandError, match="not a date"):
        call_command("forecast", "--as-of", "31/03/2026", stdout=io.StringIO())
    with pytest.raises(CommandError, match="at least 1"):
        call_command("forecast", "--horizon-days", "0", stdout=io.StringIO())
