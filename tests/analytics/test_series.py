"""The revenue and purchases series of the analytics pages' chart (analytics.series): counted
purchases per day of the program's time zone, every day present, gathered into weeks or months
for long periods, in one query."""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db.models import Count, Sum

from analytics.facts import facts_rebuild, facts_rebuild_members
from analytics.figures import Period, Sources
from analytics.models import PurchaseDay, PurchaseFact
from analytics.series import DAY, MONTH, WEEK, Step, purchase_series, step_of
from loyalty.models import Purchase
from loyalty.services.program import program_import
from members.models import Member
from tests.factories.analytics import buy
from tests.factories.ledger import MemberFactory, ledger_program_text

pytestmark = pytest.mark.django_db

MADRID = ZoneInfo("Europe/Madrid")


@pytest.fixture
def purchases():
    program_import(text=ledger_program_text(signup_bonus=False), note="series")
    ana, bruno = MemberFactory(), MemberFactory()
    # 23:30 UTC on 31 October is 00:30 on 1 November in Madrid.
    buy(ana, datetime.datetime(2026, 10, 31, 23, 30, tzinfo=datetime.UTC), "10")
    buy(bruno, datetime.datetime(2026, 11, 1, 18, 0, tzinfo=MADRID), "5.50")
    buy(ana, datetime.datetime(2026, 11, 3, 12, 0, tzinfo=MADRID), "30", refunded="12.25")
    buy(ana, datetime.datetime(2026, 11, 4, 12, 0, tzinfo=MADRID), "40", refunded="40")  # none
    buy(bruno, datetime.datetime(2026, 11, 10, 9, 0, tzinfo=MADRID), "8")
    buy(bruno, datetime.datetime(2026, 12, 1, 0, 10, tzinfo=MADRID), "99")  # after November


def test_every_day_of_the_period_in_the_programs_zone_in_one_query(
    purchases, django_assert_num_queries
):
    with django_assert_num_queries(1):
        steps = purchase_series(
            Period(datetime.date(2026, 11, 1), datetime.date(2026, 12, 1)),
            MADRID,
            sources=Sources(pending=None),  # everyone from their purchases
        )

    assert len(steps) == 30
    assert steps[0] == Step(datetime.date(2026, 11, 1), 2, Decimal("15.50"))
    assert steps[1] == Step(datetime.date(2026, 11, 2), 0, Decimal("0.00"))
    assert steps[2] == Step(datetime.date(2026, 11, 3), 1, Decimal("17.75"))
    assert steps[3] == Step(datetime.date(2026, 11, 4), 0, Decimal("0.00"))  # refunded whole
    assert sum(step.purchases for step in steps) == 4
    assert steps[-1].start == datetime.date(2026, 11, 30)


def test_the_same_moment_is_another_day_in_another_zone(purchases):
    steps = purchase_series(
        Period(datetime.date(2026, 10, 31), datetime.date(2026, 11, 2)), datetime.UTC
    )

    assert [(step.start.day, step.purchases) for step in steps] == [(31, 1), (1, 1)]


def test_long_periods_are_read_by_week_then_by_month(purchases):
    autumn = Period(datetime.date(2026, 9, 1), datetime.date(2026, 12, 1))
    year = Period(datetime.date(2026, 1, 1), datetime.date(2027, 6, 1))

    weeks = purchase_series(autumn, MADRID)
    months = purchase_series(year, MADRID)

    assert (step_of(Period(datetime.date(2026, 11, 1), datetime.date(2026, 12, 1)))) == DAY
    assert step_of(autumn) == WEEK
    assert step_of(year) == MONTH
    # 1 September 2026 is a Tuesday: the first week is cut there, the others start on Mondays.
    assert weeks[0].start == datetime.date(2026, 9, 1)
    assert weeks[1].start == datetime.date(2026, 9, 7)
    by_week = {step.start: (step.purchases, step.revenue) for step in weeks}
    assert by_week[datetime.date(2026, 10, 26)] == (2, Decimal("15.50"))  # 1 November's Monday
    assert by_week[datetime.date(2026, 11, 2)] == (1, Decimal("17.75"))
    assert by_week[datetime.date(2026, 11, 9)] == (1, Decimal("8.00"))
    assert len(months) == 17
    assert (months[10].start, months[10].purchases, months[10].revenue) == (
        datetime.date(2026, 11, 1),
        4,
        Decimal("41.25"),
    )
    assert months[11].purchases == 1  # December's 99


def test_the_facts_days_give_the_same_series_with_a_member_behind_counted_from_purchases(
    purchases,
):
    """From the purchase facts' days, with one member's latest purchase not settled by the
    facts' consumer yet (their facts behind): the same days as from the purchases."""
    period = Period(datetime.date(2026, 10, 1), datetime.date(2026, 12, 31))
    facts_rebuild(MADRID)
    bruno = Member.objects.order_by("pk")[1]
    buy(bruno, datetime.datetime(2026, 11, 3, 9, 0, tzinfo=MADRID), "7")  # not in his facts
    from_purchases = purchase_series(period, MADRID, DAY, sources=Sources(pending=None))

    facts_only = purchase_series(period, MADRID, DAY, sources=Sources(pending=frozenset()))
    assert facts_only != from_purchases  # the facts alone miss his new purchase...
    mixed = purchase_series(period, MADRID, DAY, sources=Sources(pending=frozenset({bruno.pk})))
    assert mixed == from_purchases  # ...which his purchases count, his facts taken out
    assert sum(step.purchases for step in mixed) == 6


def test_the_days_follow_the_facts_a_member_rewrite_changes(purchases):
    """Rewriting a member's facts (a refund, a new purchase) moves the days by the difference,
    in the same transaction: they always equal the facts summed per day."""
    facts_rebuild(MADRID)
    ana = Member.objects.order_by("pk")[0]
    Purchase.objects.filter(member=ana, amount=Decimal("30")).update(
        refunded_amount=Decimal("30")
    )  # refunded whole: no longer counted
    buy(ana, datetime.datetime(2026, 11, 20, 9, 0, tzinfo=MADRID), "12")

    facts_rebuild_members([ana.pk], MADRID)

    summed = {
        row["day"]: (row["purchases"], row["revenue"])
        for row in PurchaseFact.objects.values("day")
        .annotate(purchases=Count("pk"), revenue=Sum("net"))
        .order_by()
    }
    days = {
        day.day: (day.purchases, day.revenue) for day in PurchaseDay.objects.all() if day.purchases
    }
    assert days == summed
    assert days[datetime.date(2026, 11, 20)] == (1, Decimal("12.00"))
    assert datetime.date(2026, 11, 3) not in days
