import datetime
from decimal import Decimal

import pytest

from loyalty.models import EntryKind, LedgerEntry, Refund
from loyalty.services.ledger import points_debit
from loyalty.services.purchases import (
    DuplicateExternalId,
    InvalidPurchase,
    RefundExceedsPurchase,
    refund_record,
)
from loyalty.tasks import lots_mature
from tests.ledger.conftest import assert_consistent, balances, record, snapshot

WINE = {"sku": "VINO", "category": "wine", "quantity": 4, "unit_price": "10.00"}


def test_partial_refund_takes_the_difference_from_pending_points(member, now):
    purchase, _ = record(member, amount=Decimal("80.00"))

    refund = refund_record(purchase=purchase, external_id="r1", amount=Decimal("30.00"))

    purchase.refresh_from_db()
    assert refund.points_taken == 30
    assert purchase.points == 50
    assert purchase.refunded_amount == Decimal("30.00")
    assert balances(member) | {} == {
        "available": 0,
        "pending": 50,
        "lifetime": 50,
        "debt": 0,
        "tier_code": "bronze",
    }
    entry = LedgerEntry.objects.get(refund=refund)
    assert (entry.kind, entry.points) == (EntryKind.REFUND, -30)
    assert entry.breakdown[-1]["points_after"] == 50
    assert_consistent(member)


def test_refund_takes_back_threshold_bonus(member, now):
    purchase, _ = record(member, amount=Decimal("120.00"))  # 120 + 50

    refund = refund_record(purchase=purchase, external_id="r1", amount=Decimal("30.00"))

    assert refund.points_taken == 80  # 170 -> 90 (below 100.00: no bonus)
    purchase.refresh_from_db()
    assert purchase.points == 90


def test_full_refund_leaves_the_purchase_at_zero(member, now):
    purchase, _ = record(member, amount=Decimal("120.00"), items=[WINE])

    refund_record(purchase=purchase, external_id="r1", amount=Decimal("120.00"))

    purchase.refresh_from_db()
    assert purchase.points == 0
    assert balances(member)["pending"] == 0
    assert balances(member)["lifetime"] == 0
    assert_consistent(member)


def test_refunded_items_stop_counting(member, now):
    purchase, _ = record(member, amount=Decimal("40.00"), items=[WINE])  # 40 + 4 bottles

    refund_record(
        purchase=purchase,
        external_id="r1",
        amount=Decimal("10.00"),
        items=[{"sku": "VINO", "category": "wine", "quantity": 1, "unit_price": "10.00"}],
    )

    purchase.refresh_from_db()
    assert purchase.points == 33  # 30 + 3 bottles


def test_refund_of_items_not_left_is_refused(member, now):
    purchase, _ = record(member, amount=Decimal("40.00"), items=[WINE])
    before = snapshot(member)

    with pytest.raises(RefundExceedsPurchase):
        refund_record(
            purchase=purchase,
            external_id="r1",
            amount=Decimal("10.00"),
            items=[{"sku": "VINO", "category": "wine", "quantity": 5, "unit_price": "10.00"}],
        )

    assert snapshot(member) == before


def test_refund_more_than_left_is_refused_and_changes_nothing(member, now):
    purchase, _ = record(member, amount=Decimal("50.00"))
    refund_record(purchase=purchase, external_id="r1", amount=Decimal("30.00"))
    before = snapshot(member)

    with pytest.raises(RefundExceedsPurchase) as refused:
        refund_record(purchase=purchase, external_id="r2", amount=Decimal("20.01"))

    assert refused.value.code == "refund_exceeds_purchase"
    assert snapshot(member) == before
    assert Refund.objects.count() == 1


@pytest.mark.parametrize("amount", [Decimal(0), Decimal("-5.00"), "1.234"])
def test_refund_of_a_bad_amount_is_refused(member, now, amount):
    purchase, _ = record(member, amount=Decimal("50.00"))

    with pytest.raises(InvalidPurchase):
        refund_record(purchase=purchase, external_id="r1", amount=amount)

    assert not Refund.objects.exists()


def test_same_refund_id_twice_takes_points_once(member, now):
    purchase, _ = record(member, amount=Decimal("50.00"))
    first = refund_record(purchase=purchase, external_id="r1", amount=Decimal("10.00"))
    before = snapshot(member)

    again = refund_record(purchase=purchase, external_id="r1", amount=Decimal("10.00"))

    assert again.pk == first.pk
    assert snapshot(member) == before


def test_same_refund_id_with_another_amount_is_refused(member, now):
    purchase, _ = record(member, amount=Decimal("50.00"))
    refund_record(purchase=purchase, external_id="r1", amount=Decimal("10.00"))

    with pytest.raises(DuplicateExternalId):
        refund_record(purchase=purchase, external_id="r1", amount=Decimal("11.00"))


def test_refund_of_spent_points_records_a_debt_that_later_earnings_pay(member, now, time_machine):
    purchase, _ = record(member, amount=Decimal("80.00"))
    time_machine.move_to(now + datetime.timedelta(days=15), tick=False)
    lots_mature()
    points_debit(member=member, points=70, kind=EntryKind.REDEEM, reason="reward")

    refund_record(purchase=purchase, external_id="r1", amount=Decimal("80.00"))

    assert balances(member) | {"tier_code": None} == {
        "available": 0,
        "pending": 0,
        "lifetime": 0,
        "debt": 70,
        "tier_code": None,
    }
    assert_consistent(member)

    record(member, amount=Decimal("100.00"))  # 150 points, pending
    assert balances(member)["debt"] == 70
    time_machine.move_to(now + datetime.timedelta(days=30), tick=False)
    lots_mature()

    assert balances(member)["available"] == 80
    assert balances(member)["debt"] == 0
    assert_consistent(member)


def test_refund_takes_its_own_pending_points_before_available_ones(member, now, time_machine):
    record(member, amount=Decimal("40.00"))
    time_machine.move_to(now + datetime.timedelta(days=15), tick=False)
    lots_mature()
    newer, _ = record(member, amount=Decimal("20.00"))

    refund_record(purchase=newer, external_id="r1", amount=Decimal("20.00"))

    assert balances(member)["available"] == 40
    assert balances(member)["pending"] == 0
    assert_consistent(member)


def test_refund_beyond_its_own_lot_takes_available_points_fifo(member, now, time_machine):
    purchase, _ = record(member, amount=Decimal("40.00"))
    time_machine.move_to(now + datetime.timedelta(days=15), tick=False)
    lots_mature()
    points_debit(member=member, points=30, kind=EntryKind.REDEEM, reason="reward")
    record(member, amount=Decimal("25.00"), purchased_at=now - datetime.timedelta(days=1))
    assert balances(member)["available"] == 35  # 10 left of the first + 25

    refund_record(purchase=purchase, external_id="r1", amount=Decimal("40.00"))

    assert balances(member)["available"] == 0
    assert balances(member)["debt"] == 5
    assert_consistent(member)
