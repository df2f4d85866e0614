import datetime

import pytest
from django.db import DatabaseError, connection, transaction

from loyalty.ledger_sql import LEDGER_GUARD_INSTALL
from loyalty.models import EntryKind, LedgerEntry, LotAllocation, PointsLot
from loyalty.models.ledger import AppendOnlyViolation
from loyalty.services.ledger import (
    AdjustmentZero,
    InsufficientPoints,
    InvalidPoints,
    ReasonRequired,
    event_bonus_award,
    points_adjust,
    points_debit,
)
from tests.factories.ledger import MemberFactory, program_version_create
from tests.ledger.conftest import assert_consistent, balances, snapshot


@pytest.fixture
def entry(member, staff_user):
    return points_adjust(member=member, points=10, reason="goodwill", actor=staff_user)


def test_entries_cannot_be_changed_through_the_orm(entry):
    entry.points = 1000
    with pytest.raises(AppendOnlyViolation):
        entry.save()
    with pytest.raises(AppendOnlyViolation):
        entry.delete()
    with pytest.raises(AppendOnlyViolation):
        LedgerEntry.objects.filter(pk=entry.pk).update(points=1000)
    with pytest.raises(AppendOnlyViolation):
        LedgerEntry.objects.filter(pk=entry.pk).delete()
    with pytest.raises(AppendOnlyViolation):
        LedgerEntry.objects.bulk_update([entry], ["points"])

    assert LedgerEntry.objects.get(pk=entry.pk).points == 10


@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE loyalty_ledgerentry SET points = 1000 WHERE id = %s",
        "DELETE FROM loyalty_ledgerentry WHERE id = %s",
    ],
)
def test_database_refuses_raw_update_and_delete_of_entries(entry, sql):
    if connection.vendor != "postgresql":
        pytest.skip("the trigger is PostgreSQL's")
    with connection.cursor() as cursor:
        cursor.execute(LEDGER_GUARD_INSTALL)  # the migration's SQL; rolled back with the test
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            cursor.execute(sql, [entry.pk])

    assert LedgerEntry.objects.get(pk=entry.pk).points == 10


def test_positive_adjustment_is_available_at_once_and_not_lifetime(member, entry, staff_user):
    assert entry.kind == EntryKind.ADJUST
    assert entry.actor == staff_user
    assert balances(member)["available"] == 10
    assert balances(member)["lifetime"] == 0
    assert_consistent(member)


def test_adjustment_needs_a_reason(member, staff_user):
    with pytest.raises(ReasonRequired):
        points_adjust(member=member, points=10, reason="  ", actor=staff_user)
    with pytest.raises(AdjustmentZero):
        points_adjust(member=member, points=0, reason="nothing", actor=staff_user)
    with pytest.raises(InvalidPoints):
        points_adjust(member=member, points=True, reason="not a number", actor=staff_user)

    assert not LedgerEntry.objects.exists()


def test_negative_adjustment_never_goes_below_zero(member, entry, staff_user):
    before = snapshot(member)

    with pytest.raises(InsufficientPoints) as refused:
        points_adjust(member=member, points=-11, reason="too much", actor=staff_user)

    assert refused.value.code == "insufficient_points"
    assert snapshot(member) == before
    points_adjust(member=member, points=-10, reason="all of it", actor=staff_user)
    assert balances(member)["available"] == 0
    assert_consistent(member)


def test_debits_spend_the_soonest_expiring_lots_first(member, now, time_machine, staff_user):
    time_machine.move_to(now - datetime.timedelta(days=60), tick=False)
    first = points_adjust(member=member, points=30, reason="old", actor=staff_user)
    time_machine.move_to(now, tick=False)
    second = points_adjust(member=member, points=50, reason="new", actor=staff_user)

    debit = points_debit(member=member, points=40, kind=EntryKind.REDEEM, reason="reward")

    assert debit.points == -40
    allocations = dict(
        LotAllocation.objects.filter(entry=debit).values_list("lot__entry", "points")
    )
    assert allocations == {first.pk: 30, second.pk: 10}
    assert PointsLot.objects.get(entry=first).remaining == 0
    assert PointsLot.objects.get(entry=second).remaining == 40
    assert balances(member)["available"] == 40
    assert_consistent(member)


def test_debit_more_than_available_is_refused(member, entry):
    before = snapshot(member)

    with pytest.raises(InsufficientPoints):
        points_debit(member=member, points=11, kind=EntryKind.REDEEM, reason="reward")

    assert snapshot(member) == before


def test_pending_points_cannot_be_spent(member, now):
    from tests.ledger.conftest import record

    record(member)

    with pytest.raises(InsufficientPoints):
        points_debit(member=member, points=1, kind=EntryKind.REDEEM, reason="reward")


def test_signup_bonus_is_awarded_at_enrolment(db, now):
    program_version_create(signup_bonus=True)

    member = MemberFactory()

    entry = LedgerEntry.objects.get(member=member)
    assert (entry.kind, entry.points, entry.bonus_key) == (EntryKind.BONUS, 100, "signup:once")
    assert balances(member)["available"] == 100
    assert balances(member)["lifetime"] == 100
    assert_consistent(member)


def test_event_bonus_is_awarded_once_per_key(db, now):
    program_version_create(signup_bonus=True)
    member = MemberFactory()

    again = event_bonus_award(member=member, event="signup")

    assert again is None
    assert LedgerEntry.objects.filter(member=member).count() == 1
    assert balances(member)["available"] == 100


def test_event_without_a_rule_awards_nothing(member):
    assert event_bonus_award(member=member, event="birthday", source_key="2026") is None
    assert not LedgerEntry.objects.exists()


def test_enrolment_without_a_program_awards_nothing(db, now):
    member = MemberFactory()

    assert not LedgerEntry.objects.filter(member=member).exists()
