import datetime
from decimal import Decimal

from campaigns.merge_values import merge_values_for
from loyalty.explanations import points_text
from loyalty.models import EntryKind, LedgerEntry, PointsLot
from loyalty.selectors.ledger import expiring_soon
from loyalty.services.ledger import points_debit
from loyalty.tasks import lots_mature, points_expire
from tests.factories.ledger import INACTIVITY, program_version_create
from tests.ledger.conftest import assert_consistent, balances, record


def test_pending_points_mature_after_the_window_once(member, now, time_machine):
    record(member, amount=Decimal("40.00"))
    time_machine.move_to(now + datetime.timedelta(days=14) - datetime.timedelta(seconds=1))
    assert lots_mature() == 0

    time_machine.move_to(now + datetime.timedelta(days=14), tick=False)
    assert lots_mature() == 40
    assert lots_mature() == 0

    assert balances(member)["available"] == 40
    assert balances(member)["pending"] == 0
    assert PointsLot.objects.get().is_matured
    assert_consistent(member)


def test_rolling_expiry_expires_what_is_left_once(member, now, time_machine):
    record(member, amount=Decimal("40.00"))
    time_machine.move_to(now + datetime.timedelta(days=40), tick=False)
    record(member, amount=Decimal("25.00"))
    time_machine.move_to(now + datetime.timedelta(days=60), tick=False)
    lots_mature()
    points_debit(member=member, points=15, kind=EntryKind.REDEEM, reason="reward")

    time_machine.move_to(datetime.datetime(2027, 11, 23, 10, 0, tzinfo=datetime.UTC), tick=False)
    assert points_expire() == 25
    assert points_expire() == 0

    entry = LedgerEntry.objects.get(kind=EntryKind.EXPIRE)
    assert entry.points == -25
    assert balances(member)["available"] == 25  # the later purchase's points are still there
    assert balances(member)["lifetime"] == 65  # expiry never lowers lifetime
    assert_consistent(member)


def test_inactivity_expiry_takes_everything_after_n_months(member, now, time_machine):
    program_version_create(signup_bonus=False, expiry=INACTIVITY, pending_days=0, created_at=now)
    record(member, amount=Decimal("40.00"))
    time_machine.move_to(now + datetime.timedelta(days=150), tick=False)
    record(member, amount=Decimal("10.00"))

    time_machine.move_to(now + datetime.timedelta(days=200), tick=False)
    assert points_expire() == 0
    time_machine.move_to(now + datetime.timedelta(days=150 + 185), tick=False)
    assert points_expire() == 50
    assert points_expire() == 0

    assert balances(member)["available"] == 0
    assert_consistent(member)


def test_expiring_soon_groups_points_by_day(member, now):
    record(member, amount=Decimal("10.00"), purchased_at=now - datetime.timedelta(days=350))
    record(member, amount=Decimal("20.00"), purchased_at=now - datetime.timedelta(days=350))
    record(member, amount=Decimal("5.00"), purchased_at=now - datetime.timedelta(days=340))
    record(member, amount=Decimal("7.00"), purchased_at=now - datetime.timedelta(days=100))

    soon = expiring_soon(member=member)

    assert soon == [
        {"points": 30, "on": (now + datetime.timedelta(days=15)).date()},
        {"points": 5, "on": (now + datetime.timedelta(days=25)).date()},
    ]
    assert expiring_soon(member=member, within_days=20) == soon[:1]


def test_points_past_their_date_are_not_expiring_before_the_nightly_job_runs(member, now):
    # 370 days ago: past the 12 months, the job that writes the expiry has not run yet.
    record(member, amount=Decimal("10.00"), purchased_at=now - datetime.timedelta(days=370))
    record(member, amount=Decimal("5.00"), purchased_at=now - datetime.timedelta(days=340))

    assert expiring_soon(member=member) == [
        {"points": 5, "on": (now + datetime.timedelta(days=25)).date()}
    ]
    values = merge_values_for(members=[member], at=now)[member.pk]
    assert values["expiring_points"] == points_text(5)


def test_an_expiry_entry_occurs_when_the_points_expired_not_when_the_job_ran(
    member, now, time_machine
):
    record(member, amount=Decimal("40.00"))
    time_machine.move_to(now + datetime.timedelta(days=60), tick=False)
    lots_mature()
    (expires_at,) = PointsLot.objects.filter(member=member).values_list("expires_at", flat=True)

    time_machine.move_to(expires_at + datetime.timedelta(days=3), tick=False)  # a late run
    points_expire()

    entry = LedgerEntry.objects.get(kind=EntryKind.EXPIRE)
    assert entry.occurred_at == expires_at
    assert entry.created_at == expires_at + datetime.timedelta(days=3)
