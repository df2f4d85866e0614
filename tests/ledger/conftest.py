import datetime

import pytest

from loyalty.models import LedgerEntry, LoyaltyAccount, PointsLot
from loyalty.services.ledger import account_recompute
from loyalty.services.purchases import purchase_record
from tests.factories.ledger import MemberFactory, program_version_create, purchase_body

NOW = datetime.datetime(2026, 11, 23, 10, 0, tzinfo=datetime.UTC)


@pytest.fixture
def now(time_machine):
    time_machine.move_to(NOW, tick=False)
    return NOW


@pytest.fixture
def program(db):
    """14 pending days, rolling 12-month expiry, no sign-up bonus (see tests.factories.ledger)."""
    return program_version_create(signup_bonus=False)


@pytest.fixture
def member(program, now):
    return MemberFactory()


@pytest.fixture
def other_member(program, now):
    return MemberFactory()


def record(member, **overrides):
    body = purchase_body(purchased_at=overrides.pop("purchased_at", None) or _now()) | overrides
    return purchase_record(member=member, **body)


def _now():
    from django.utils import timezone

    return timezone.now()


def balances(member) -> dict:
    account = LoyaltyAccount.objects.filter(member=member).first()
    names = ("available", "pending", "lifetime", "debt", "tier_code")
    if account is None:
        return dict.fromkeys(names, 0)
    return {name: getattr(account, name) for name in names}


def snapshot(member) -> tuple:
    """Everything a refusal must leave unchanged."""
    return (
        balances(member),
        list(LedgerEntry.objects.filter(member=member).values_list("pk", "points")),
        list(PointsLot.objects.filter(member=member).values_list("pk", "remaining", "is_matured")),
    )


def assert_consistent(member) -> None:
    check = account_recompute(member=member)
    assert check["consistent"], check["problems"]
