"""rules.tiers: the tier a total reaches, upgrades, reviews, the tier a purchase is scored at,
and what a refund takes back."""

import datetime
from dataclasses import dataclass
from decimal import Decimal
from types import SimpleNamespace

import pytest

from loyalty.models.ledger import TierChangeReason
from loyalty.rules.tiers import (
    qualifying_total_with,
    tier_for_total,
    tier_in_history,
    tier_next,
    tier_period,
    tier_refund_move,
    tier_review_move,
    tier_upgrade,
    tier_when_purchased,
)
from tests.loyalty.rules.conftest import DAY, NOW, program_with


@dataclass
class Change:
    at: datetime.datetime
    reason: str
    from_code: str
    to_code: str


def test_a_total_reaches_the_highest_tier_whose_threshold_it_meets(program):
    assert [
        tier_for_total(program, Decimal(total)).code for total in ("0", "499.99", "500", "2000")
    ] == [
        "bronze",
        "bronze",
        "silver",
        "gold",
    ]


def test_an_upgrade_starts_a_review_period_of_a_year(program):
    move = tier_upgrade(program, code="bronze", total=Decimal("1500"), at=NOW)

    assert (move.from_code, move.to_code, move.reason) == ("bronze", "gold", "upgrade")
    assert (move.total, move.since, move.review_on) == (
        Decimal("1500"),
        NOW,
        datetime.date(2027, 11, 23),
    )
    account = SimpleNamespace(tier_code="bronze", tier_since=None, tier_review_on=None)
    move.apply(account)
    assert (account.tier_code, account.tier_since, account.tier_review_on) == (
        "gold",
        NOW,
        datetime.date(2027, 11, 23),
    )


def test_an_upgrade_never_goes_down_nor_stays(program):
    assert tier_upgrade(program, code="gold", total=Decimal("600"), at=NOW) is None
    assert tier_upgrade(program, code="silver", total=Decimal("600"), at=NOW) is None


def test_a_review_moves_down_or_keeps_the_tier(program):
    down = tier_review_move(program, code="gold", total=Decimal("600"), at=NOW)

    assert (down.to_code, down.reason, down.review_on) == (
        "silver",
        TierChangeReason.REVIEW,
        datetime.date(2027, 11, 23),
    )
    assert tier_review_move(program, code="gold", total=Decimal("1500"), at=NOW) is None
    bottom = tier_review_move(program, code="silver", total=Decimal("0"), at=NOW)
    assert (bottom.to_code, bottom.review_on) == ("bronze", None)  # the lowest has no review


def test_a_purchase_is_scored_at_the_tier_held_without_reading_the_history(program):
    def history():
        raise AssertionError("the history is read only for a backdated purchase")

    code = tier_when_purchased(program, code="silver", since=NOW - DAY, at=NOW, history=history)

    assert code == "silver"


def test_a_backdated_purchase_is_scored_at_the_tier_the_history_gives(program):
    history = [(NOW - 10 * DAY, 1, "silver"), (NOW - 10 * DAY, 2, "gold"), (NOW - DAY, 3, "bronze")]

    def at(days_ago):
        return tier_when_purchased(
            program,
            code="bronze",
            since=NOW - DAY,
            at=NOW - days_ago * DAY,
            history=lambda: history,
        )

    assert at(20) == "bronze"  # before any change: the lowest tier
    assert at(5) == "gold"  # two changes at one moment: the later one
    assert tier_in_history(program, [], NOW) == "bronze"


def test_the_total_after_a_purchase_counts_it_only_inside_the_window(program):
    purchase = SimpleNamespace(
        purchased_at=NOW, amount=Decimal("120.00"), refunded_amount=Decimal("20.00"), points=170
    )

    assert qualifying_total_with(program, Decimal("400.00"), purchase, NOW) == Decimal("500.00")
    later = NOW + 400 * DAY
    assert qualifying_total_with(program, None, purchase, later) == Decimal(0)
    points = program_with(metric="points")
    assert qualifying_total_with(points, 30, purchase, NOW) == Decimal(200)


@pytest.fixture
def silver_then_gold():
    """Bronze until an upgrade to silver 100 days ago, then to gold 10 days ago: one period."""
    return [
        Change(NOW - 100 * DAY, TierChangeReason.UPGRADE, "bronze", "silver"),
        Change(NOW - 10 * DAY, TierChangeReason.UPGRADE, "silver", "gold"),
    ]


def test_a_refund_takes_back_the_tiers_of_the_period_the_total_no_longer_reaches(
    program, silver_then_gold
):
    period = tier_period(program, silver_then_gold, NOW)

    move = tier_refund_move(program, period=period, code="gold", total=Decimal("600"), at=NOW)

    assert (move.from_code, move.to_code, move.reason) == ("gold", "silver", "refund")
    # Silver is held since it was reached, with that upgrade's review date.
    assert move.since == NOW - 100 * DAY
    assert move.review_on == (NOW - 100 * DAY + datetime.timedelta(days=365)).date()


def test_a_refund_never_goes_below_the_tier_held_before_the_period(program, silver_then_gold):
    period = tier_period(program, silver_then_gold, NOW)

    move = tier_refund_move(program, period=period, code="gold", total=Decimal("0"), at=NOW)

    assert (move.to_code, move.since, move.review_on) == ("bronze", None, None)
    assert (
        tier_refund_move(program, period=period, code="gold", total=Decimal("1500"), at=NOW) is None
    )


def test_after_a_review_a_refund_takes_nothing_back(program, silver_then_gold):
    # A year after the gold upgrade its review has kept it: the period is over.
    later = NOW + 400 * DAY
    period = tier_period(program, silver_then_gold, later)

    assert not period.is_withdrawable("gold")
    assert (
        tier_refund_move(program, period=period, code="gold", total=Decimal("0"), at=later) is None
    )


def test_the_next_tier_is_the_one_above_and_none_at_the_top(program):
    assert tier_next(program, "bronze").code == "silver"
    assert tier_next(program, "gold") is None
    # A tier the program no longer has counts as below the lowest.
    assert tier_next(program, "platinum").code == "bronze"
