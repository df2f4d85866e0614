"""A blocked member over the API: `status` in the member, and 409 `member_blocked` for a
purchase, a preview, a redemption and a voucher's consumption, with nothing written; unblocking
restores everything; a refund still works."""

from datetime import UTC, datetime

import pytest
import time_machine

from console.services import member_block, member_unblock
from loyalty.models import LedgerEntry, LoyaltyAccount, Purchase
from loyalty.services.enrolment import member_join
from loyalty.services.program import program_import
from rewards.models import Redemption, Reward, Voucher
from tests.factories.loyalty import example_program_text
from tests.factories.members import StaffUserFactory
from tests.factories.rewards import RewardFactory, points_give, redemption_create

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 12, 8, 12, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def manager(db):
    return StaffUserFactory(is_superuser=True, email="boss@example.com")


@pytest.fixture
def member(db):
    with time_machine.travel(datetime(2026, 1, 1, tzinfo=UTC), tick=False):
        program_import(text=example_program_text(), note="example")
        return member_join(email="ana@example.com")


@pytest.fixture
def other(member):
    return member_join(email="bob@example.com")


def purchase(member, external_id="store12-1"):
    return {
        "external_id": external_id,
        "member_number": member.member_number,
        "amount": "54.90",
        "currency": "EUR",
        "purchased_at": "2026-12-08T10:05:00+01:00",
        "channel": "store",
    }


def written() -> tuple:
    return (
        list(LoyaltyAccount.objects.order_by("pk").values_list("available", "pending")),
        LedgerEntry.objects.count(),
        Purchase.objects.count(),
        Redemption.objects.count(),
        sorted(Voucher.objects.values_list("code", "status")),
        list(Reward.objects.order_by("pk").values_list("stock", flat=True)),
    )


def test_member_shows_status_active_then_blocked(api_client, member, manager):
    url = f"/api/v1/members/{member.member_number}/"
    assert api_client.get(url).json()["status"] == "active"
    member_block(member=member, reason="fraud", actor=manager)
    assert api_client.get(url).json()["status"] == "blocked"


def test_blocked_member_purchase_is_409_and_writes_nothing(api_client, member, other, manager):
    member_block(member=member, reason="fraud", actor=manager)
    before = written()

    response = api_client.post("/api/v1/purchases/", purchase(member), format="json")
    preview = api_client.post("/api/v1/purchases/preview/", purchase(member), format="json")

    assert response.status_code == preview.status_code == 409
    assert response.json()["code"] == preview.json()["code"] == "member_blocked"
    assert response.json()["detail"]
    assert written() == before
    # Another member is not affected.
    assert api_client.post("/api/v1/purchases/", purchase(other), format="json").status_code == 201


def test_blocked_member_redeems_nothing_and_no_voucher_is_consumed(api_client, member, manager):
    reward = RewardFactory(code="mug", points_cost=10, stock=5)
    voucher = redemption_create(member, RewardFactory(code="pen", points_cost=10)).voucher
    points_give(member, 100)
    member_block(member=member, reason="fraud", actor=manager)
    before = written()

    redeem = api_client.post(
        "/api/v1/redemptions/",
        {"member_number": member.member_number, "reward": reward.code},
        format="json",
    )
    consume = api_client.post(
        f"/api/v1/vouchers/{voucher.code}/consume/", {"order_ref": "o-1"}, format="json"
    )

    assert (redeem.status_code, redeem.json()["code"]) == (409, "member_blocked")
    assert (consume.status_code, consume.json()["code"]) == (409, "member_blocked")
    assert written() == before


def test_unblocking_restores_purchases_with_the_same_body(api_client, member, manager):
    member_block(member=member, reason="fraud", actor=manager)
    assert api_client.post("/api/v1/purchases/", purchase(member), format="json").status_code == 409
    member_unblock(member=member, actor=manager)

    response = api_client.post("/api/v1/purchases/", purchase(member), format="json")

    assert response.status_code == 201
    assert response.json()["points"] > 0


def test_refund_of_a_blocked_members_purchase_still_works(api_client, member, manager):
    assert api_client.post("/api/v1/purchases/", purchase(member), format="json").status_code == 201
    member_block(member=member, reason="fraud", actor=manager)

    response = api_client.post(
        "/api/v1/purchases/store12-1/refunds/",
        {"external_id": "refund-1", "amount": "54.90"},
        format="json",
    )

    assert response.status_code == 201
    assert response.json()["purchase"]["points"] == 0
