import datetime

import pytest

from loyalty.models import LedgerEntry, LoyaltyAccount, PointsLot
from loyalty.services.ledger import account_recompute
from loyalty.services.program import program_import
from rewards.apps import program_hook_register
from rewards.models import Redemption, Reward, Voucher
from tests.api.conftest import anonymous_client, api_client, api_key, client_for  # noqa: F401
from tests.factories.ledger import MemberFactory
from tests.factories.loyalty import example_program_text

# Inside the example's tasting-night window (2026-12-01 .. 2026-12-18, Europe/Madrid).
NOW = datetime.datetime(2026, 12, 5, 10, 0, tzinfo=datetime.UTC)


@pytest.fixture(autouse=True)
def _rewards_hook():
    # tests/loyalty unregisters the process-wide hook after each of its tests.
    program_hook_register()


@pytest.fixture
def now(time_machine):
    time_machine.move_to(NOW, tick=False)
    return NOW


@pytest.fixture
def program(db, now):
    """The PROGRAM.md example, imported: its 5 rewards are in the catalog."""
    return program_import(text=example_program_text(), note="example").version


@pytest.fixture
def member(program):
    return MemberFactory(language="en")


@pytest.fixture
def other_member(program):
    return MemberFactory(language="es")


@pytest.fixture
def reward(program):
    return Reward.objects.get(code="cashback-5")  # 500 points, unlimited stock, no tier


def state(*members) -> tuple:
    """Everything a refusal must leave unchanged: balances, entries, lots, stock, redemptions,
    vouchers."""
    accounts = [
        LoyaltyAccount.objects.filter(member=member)
        .values("available", "pending", "lifetime", "debt")
        .first()
        for member in members
    ]
    return (
        accounts,
        list(LedgerEntry.objects.order_by("pk").values_list("pk", "points")),
        list(PointsLot.objects.order_by("pk").values_list("pk", "remaining")),
        list(Reward.objects.order_by("pk").values_list("pk", "stock")),
        list(Redemption.objects.order_by("pk").values_list("pk", "cancelled_at")),
        list(Voucher.objects.order_by("pk").values_list("pk", "status", "consumed_at")),
    )


def available(member) -> int:
    return LoyaltyAccount.objects.get(member=member).available


def assert_consistent(member) -> None:
    check = account_recompute(member=member)
    assert check["consistent"], check["problems"]
