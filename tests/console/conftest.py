"""The staff console's fixtures: a published program, one staff user per role, the superuser,
a member with a purchase and a voucher, and a snapshot of everything a refusal must not change."""

from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from loyalty.models import LedgerEntry, LoyaltyAccount, Purchase, Refund
from loyalty.services.purchases import purchase_record
from members.models import Member, StaffAction
from members.roles import CASHIER, MANAGER, MARKETER, roles_install
from rewards.models import Voucher
from tests.factories.ledger import MemberFactory, program_version_create, purchase_body
from tests.factories.members import StaffUserFactory
from tests.factories.rewards import RewardFactory, redemption_create

ROLES = [CASHIER, MANAGER, MARKETER, "superuser", "member"]


@pytest.fixture(autouse=True)
def _roles(db):
    # The migration installs them; a transactional test's flush empties the table, so every
    # test installs them again (idempotent).
    roles_install()


def staff_user_create(role: str, **fields):
    if role == "superuser":
        return StaffUserFactory(is_superuser=True, **fields)
    if role == "member":
        return MemberFactory(**fields).user
    user = StaffUserFactory(**fields)
    user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def program(db):
    return program_version_create(pending_days=0)


@pytest.fixture
def alice(program):
    member = MemberFactory(email="alice@example.com", first_name="Alice")
    member.phone = "+34 600-12 34 56"
    member.save(update_fields=["phone"])
    member.user.last_name = "Liddell"
    member.user.save(update_fields=["last_name"])
    return member


@pytest.fixture
def alice_purchase(alice):
    body = purchase_body(external_id="till-1", amount=Decimal("40.00"))
    purchase, _created = purchase_record(member=alice, purchased_at=timezone.now(), **body)
    return purchase


@pytest.fixture
def alice_voucher(alice):
    reward = RewardFactory(code="coffee", points_cost=50, name_en="Free coffee")
    return redemption_create(alice, reward).voucher


@pytest.fixture
def cashier(db):
    return staff_user_create(CASHIER, email="cashier@example.com")


@pytest.fixture
def manager(db):
    return staff_user_create(MANAGER, email="manager@example.com")


@pytest.fixture
def marketer(db):
    return staff_user_create(MARKETER, email="marketer@example.com")


def state() -> tuple:
    """Everything a refused action must leave as it was."""
    return (
        list(LoyaltyAccount.objects.order_by("pk").values_list("available", "pending", "debt")),
        LedgerEntry.objects.count(),
        Purchase.objects.count(),
        Refund.objects.count(),
        sorted(Voucher.objects.values_list("code", "status")),
        Member.objects.count(),
        StaffAction.objects.count(),
    )
