"""rules.credit: the lot a credit makes, its dates, and the debt its points pay first."""

import datetime

from loyalty.models import EntryKind
from loyalty.rules.credit import earn_lot_dates, lot_credit, lot_mature
from loyalty.rules.months import months_after
from tests.loyalty.rules.conftest import DAY, NOW, Balances, program_with


def credit(balances, points, *, available_at=None, kind=EntryKind.EARN, earned_at=NOW):
    return lot_credit(
        balances,
        kind=kind,
        points=points,
        earned_at=earned_at,
        available_at=available_at,
        expires_at=None,
        now=NOW,
    )


def test_points_available_at_once_pay_the_debt_first():
    balances = Balances(available=5, debt=30)

    lot = credit(balances, 100)

    assert (lot.points, lot.remaining, lot.debt_paid, lot.is_matured) == (100, 70, 30, True)
    assert lot.available_at == NOW
    assert balances == Balances(available=75, pending=0, lifetime=100, debt=0)


def test_points_smaller_than_the_debt_all_go_to_it():
    balances = Balances(debt=300)

    lot = credit(balances, 100)

    assert (lot.remaining, lot.debt_paid) == (0, 100)
    assert balances == Balances(available=0, lifetime=100, debt=200)


def test_pending_points_pay_no_debt_until_they_mature():
    balances = Balances(debt=30)

    lot = credit(balances, 100, available_at=NOW + 14 * DAY)

    assert (lot.remaining, lot.debt_paid, lot.is_matured) == (100, 0, False)
    assert balances == Balances(pending=100, lifetime=100, debt=30)

    paid = lot_mature(balances, lot.remaining)

    assert paid == 30
    assert balances == Balances(available=70, pending=0, lifetime=100, debt=0)


def test_a_return_window_already_over_makes_the_points_available_at_once():
    # Imported history: a purchase older than its pending days.
    balances = Balances()

    lot = credit(balances, 40, available_at=NOW - DAY, earned_at=NOW - 15 * DAY)

    assert lot.is_matured
    assert lot.available_at == NOW - DAY
    assert balances.available == 40


def test_only_earned_kinds_count_towards_lifetime():
    balances = Balances()

    credit(balances, 25, kind=EntryKind.ADJUST)
    credit(balances, 10, kind=EntryKind.BONUS)

    assert (balances.available, balances.lifetime) == (35, 10)


def test_no_points_make_no_lot():
    balances = Balances(debt=10)

    assert credit(balances, 0) is None
    assert balances == Balances(debt=10)


def test_an_earned_lot_is_pending_for_the_return_window_and_expires_from_the_purchase():
    program = program_with(pending_days=14)

    dates = earn_lot_dates(program=program, earned_at=NOW)

    assert dates.available_at == NOW + 14 * DAY
    assert dates.expires_at == months_after(NOW, 12, zone=program.zone)
    assert dates.expires_at.date() == datetime.date(2027, 11, 23)


def test_without_a_return_window_an_earned_lot_is_available_at_once():
    dates = earn_lot_dates(program=program_with(pending_days=0), earned_at=NOW)

    assert dates.available_at is None
