"""The ledger summed per day (analytics.ledger_days): settled entries are added once, to the day
they happened on in the program's zone; what is not settled yet is read from the ledger."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from analytics.ledger_days import ledger_days_advance, points_by_window
from analytics.models import LedgerDay, LedgerDaysState
from loyalty.models.ledger import EntryKind
from loyalty.services.program import program_import
from tests.factories.analytics import MADRID, at, entry
from tests.factories.ledger import MemberFactory, ledger_program_text

pytestmark = pytest.mark.django_db

NOVEMBER = (datetime.date(2026, 11, 1), datetime.date(2026, 12, 1))


@pytest.fixture
def ana():
    program_import(text=ledger_program_text(signup_bonus=False), note="days")
    return MemberFactory()


def test_settled_entries_are_summed_once_per_day_of_the_programs_zone(ana):
    entry(ana, EntryKind.EARN, 100, at("2026-11-01T00:30"))  # 31 October 23:30 UTC
    entry(ana, EntryKind.BONUS, 50, at("2026-11-01T12:00"))
    redeemed = entry(ana, EntryKind.REDEEM, -80, at("2026-11-02T12:00"))
    entry(ana, EntryKind.REVERSAL, 80, at("2026-11-03T12:00"), reverses=redeemed)
    entry(ana, EntryKind.EXPIRE, -20, at("2026-11-03T18:00"))

    assert ledger_days_advance(MADRID) == 3
    assert ledger_days_advance(MADRID) == 0  # nothing new: nothing added twice

    first = LedgerDay.objects.get(day=datetime.date(2026, 11, 1))
    assert (first.issued, first.redeemed) == (150, 0)
    third = LedgerDay.objects.get(day=datetime.date(2026, 11, 3))
    assert (third.given_back_redeemed, third.expired) == (80, -20)
    [november] = points_by_window([NOVEMBER], MADRID)
    assert november == {
        "issued": 150,
        "redeemed": -80,
        "expired": -20,
        "given_back_issued": 0,
        "given_back_redeemed": 80,
    }


def test_later_entries_add_to_their_days_and_unsettled_ones_are_read_from_the_ledger(ana):
    entry(ana, EntryKind.EARN, 100, at("2026-11-05T12:00"))
    ledger_days_advance(MADRID)
    entry(ana, EntryKind.EARN, 10, at("2026-11-05T13:00"))  # settled: written then
    entry(ana, EntryKind.EARN, 1, at("2026-11-06T12:00"), created_at=timezone.now())

    ledger_days_advance(MADRID)

    assert LedgerDay.objects.get(day=datetime.date(2026, 11, 5)).issued == 110
    assert not LedgerDay.objects.filter(day=datetime.date(2026, 11, 6)).exists()
    [november] = points_by_window([NOVEMBER], MADRID)
    assert november["issued"] == 111  # the last one from the ledger itself


def test_another_zone_sums_every_entry_again(ana):
    entry(ana, EntryKind.EARN, 100, at("2026-11-01T00:30"))
    ledger_days_advance(MADRID)
    assert points_by_window([NOVEMBER], ZoneInfo("UTC")) is None  # not for UTC: the caller sums

    ledger_days_advance(ZoneInfo("UTC"))

    assert LedgerDaysState.objects.get().zone == "UTC"
    assert list(LedgerDay.objects.values_list("day", "issued")) == [
        (datetime.date(2026, 10, 31), 100)
    ]
