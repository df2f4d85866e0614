"""rules.refund: what is left of a purchase, rescored as it was scored."""

from decimal import Decimal

import pytest

from loyalty.rules.refund import ItemsNotLeft, refund_items_left, refund_rescore
from tests.loyalty.rules.conftest import NOW

WINE = {"sku": "V", "category": "wine", "quantity": "3", "unit_price": "10.00"}
CHEESE = {"sku": "Q", "category": "cheese", "quantity": "1", "unit_price": "5.00"}


def test_refunded_items_come_off_the_purchase_s_items():
    refunded = [[{**WINE, "quantity": "1"}], [{**WINE, "quantity": "2"}, CHEESE]]

    assert refund_items_left([WINE, CHEESE], refunded[:1]) == [{**WINE, "quantity": "2"}, CHEESE]
    assert refund_items_left([WINE, CHEESE], refunded) == []


def test_refunding_items_the_purchase_does_not_have_left_is_refused():
    with pytest.raises(ItemsNotLeft):
        refund_items_left([WINE], [[{**WINE, "quantity": "4"}]])


def rescore(program, amount_left, points_before=170):
    return refund_rescore(
        program=program,
        tier_code=None,
        points_before=points_before,
        amount_left=Decimal(amount_left),
        items_left=[],
        purchased_at=NOW,
        channel="store",
    )


def test_a_partial_refund_below_the_threshold_takes_the_bonus_back(program):
    # 120.00 earned 120 + 50 (from 100.00); 80.00 left earns 80.
    score = rescore(program, "80.00")

    assert (score.points, score.taken) == (80, 90)
    assert score.rescored.breakdown[-1]["value"] == "80"


def test_a_full_refund_takes_everything_back(program):
    assert (rescore(program, "0").points, rescore(program, "0").taken) == (0, 170)


def test_what_is_left_never_earns_more_than_the_purchase_did(program):
    # Scored at a tier multiplier since gone, say: the rescore cannot give points.
    score = rescore(program, "120.00", points_before=100)

    assert (score.points, score.taken) == (100, 0)
