"""rules.debit: which lots a debit takes from, and the debt it leaves."""

from dataclasses import dataclass

from loyalty.models import EntryKind
from loyalty.rules.debit import debit_allocate, debit_apply
from tests.loyalty.rules.conftest import Balances


@dataclass
class Lot:
    pk: int
    remaining: int
    is_matured: bool = True


def test_a_debit_takes_from_the_lots_in_order_each_once():
    first, empty, second = Lot(1, 30), Lot(2, 0), Lot(3, 50)

    taken, shortfall = debit_allocate([first, empty, first, second], 60)

    assert taken == [(first, 30), (second, 30)]
    assert shortfall == 0


def test_what_no_lot_has_is_the_shortfall():
    lot = Lot(1, 30)

    taken, shortfall = debit_allocate([lot], 100)

    assert (taken, shortfall) == ([(lot, 30)], 70)


def test_a_refund_beyond_the_points_leaves_debt_and_takes_back_lifetime():
    matured, pending = Lot(1, 20), Lot(2, 50, is_matured=False)
    balances = Balances(available=20, pending=50, lifetime=70)

    debit_apply(
        balances,
        kind=EntryKind.REFUND,
        points=100,
        taken=[(pending, 50), (matured, 20)],
        shortfall=30,
    )

    assert (matured.remaining, pending.remaining) == (0, 0)
    assert balances == Balances(available=0, pending=0, lifetime=-30, debt=30)


def test_a_redemption_does_not_touch_lifetime():
    lot = Lot(1, 100)
    balances = Balances(available=100, lifetime=100)

    debit_apply(balances, kind=EntryKind.REDEEM, points=40, taken=[(lot, 40)], shortfall=0)

    assert lot.remaining == 60
    assert balances == Balances(available=60, lifetime=100)
