"""Blocking a member: managers block with a reason and unblock (console and services); a blocked
member earns nothing, redeems nothing and no voucher of theirs is consumed, and nothing is written
on refusal; refunds and voucher cancellation still work; unblocking restores everything."""

import uuid
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from console.permissions import ActionNotAllowed
from console.services import member_block, member_unblock
from loyalty.models import LoyaltyAccount
from loyalty.services.ledger import ReasonRequired, event_bonus_award, points_adjust
from loyalty.services.purchases import purchase_preview, purchase_record, refund_record
from members.models import Member, MemberStatus, StaffAction
from members.status import MemberBlocked
from rewards.models import Reward, Voucher
from rewards.services.redemption import redemption_cancel, reward_redeem
from rewards.services.vouchers import voucher_consume
from tests.console.conftest import state
from tests.factories.ledger import purchase_body
from tests.factories.rewards import RewardFactory, points_give

pytestmark = pytest.mark.django_db


def _url(name, member):
    return reverse(name, kwargs={"member_number": member.member_number})


def _balance(member) -> int:
    return LoyaltyAccount.objects.get(member=member).available


def _blocked(member, manager, reason="chargeback fraud"):
    return member_block(member=member, reason=reason, actor=manager)


# --- The services ------------------------------------------------------------------------------


def test_manager_blocks_with_reason_and_the_history_keeps_it(alice, manager):
    _blocked(alice, manager)

    alice.refresh_from_db()
    assert alice.status == MemberStatus.BLOCKED
    assert (alice.blocked_reason, alice.blocked_by) == ("chargeback fraud", manager)
    assert alice.blocked_at is not None
    action = StaffAction.objects.get(kind="block")
    assert (action.member, action.actor, action.reason) == (alice, manager, "chargeback fraud")


def test_blocking_twice_records_one_block(alice, manager):
    _blocked(alice, manager)
    _blocked(alice, manager, reason="again")

    alice.refresh_from_db()
    assert alice.blocked_reason == "chargeback fraud"
    assert StaffAction.objects.filter(kind="block").count() == 1


@pytest.mark.parametrize("reason", ["", "   \t"])
def test_block_without_a_reason_is_refused(alice, manager, reason):
    before = state()
    with pytest.raises(ReasonRequired):
        member_block(member=alice, reason=reason, actor=manager)
    assert state() == before
    assert Member.objects.get(pk=alice.pk).status == MemberStatus.ACTIVE


def test_cashier_cannot_block_or_unblock(alice, cashier, manager):
    with pytest.raises(ActionNotAllowed):
        member_block(member=alice, reason="no", actor=cashier)
    _blocked(alice, manager)
    with pytest.raises(ActionNotAllowed):
        member_unblock(member=alice, actor=cashier)
    assert Member.objects.get(pk=alice.pk).status == MemberStatus.BLOCKED


def test_unblock_keeps_the_block_in_the_history(alice, manager):
    _blocked(alice, manager)
    member_unblock(member=alice, actor=manager)

    alice.refresh_from_db()
    assert alice.status == MemberStatus.ACTIVE
    assert (alice.blocked_reason, alice.blocked_at, alice.blocked_by) == ("", None, None)
    unblock = StaffAction.objects.get(kind="unblock")
    assert unblock.details["blocked_reason"] == "chargeback fraud"


# --- What a blocked member cannot do, and nothing is written -----------------------------------


def test_blocked_member_earns_nothing_from_a_purchase(alice, manager):
    _blocked(alice, manager)
    before = state()
    with pytest.raises(MemberBlocked):
        purchase_record(member=alice, purchased_at=timezone.now(), **purchase_body())
    with pytest.raises(MemberBlocked):
        purchase_record(
            member_number=alice.member_number, purchased_at=timezone.now(), **purchase_body()
        )
    assert state() == before


def test_a_stale_copy_of_the_member_does_not_let_a_purchase_through(alice, manager):
    stale = Member.objects.get(pk=alice.pk)
    _blocked(alice, manager)
    before = state()
    with pytest.raises(MemberBlocked):
        purchase_record(member=stale, purchased_at=timezone.now(), **purchase_body())
    assert state() == before


def test_blocked_member_gets_no_preview(alice, manager):
    _blocked(alice, manager)
    body = purchase_body()
    body.pop("external_id")
    with pytest.raises(MemberBlocked):
        purchase_preview(member=alice, purchased_at=timezone.now(), **body)


def test_blocked_member_gets_no_positive_adjustment_but_can_lose_points(
    alice, alice_purchase, manager
):
    _blocked(alice, manager)
    before = state()
    with pytest.raises(MemberBlocked):
        points_adjust(member=alice, points=10, reason="goodwill", actor=manager)
    assert state() == before
    points_adjust(member=alice, points=-5, reason="correction", actor=manager)
    assert _balance(alice) == before[0][0][0] - 5


def test_blocked_member_gets_no_event_bonus(alice, manager):
    _blocked(alice, manager)
    before = state()
    assert event_bonus_award(member=alice, event="signup", source_key="again", points=50) is None
    assert state() == before


def test_blocked_member_redeems_nothing(alice, manager):
    reward = RewardFactory(code="mug", points_cost=10, stock=3)
    points_give(alice, 50)
    _blocked(alice, manager)
    before = state()
    with pytest.raises(MemberBlocked):
        reward_redeem(member=alice, reward=reward)
    assert state() == before
    assert Reward.objects.get(pk=reward.pk).stock == 3


def test_no_voucher_of_a_blocked_member_is_consumed(alice, alice_voucher, manager):
    _blocked(alice, manager)
    before = state()
    with pytest.raises(MemberBlocked):
        voucher_consume(code=alice_voucher.code, order_ref="order-1")
    assert state() == before
    assert Voucher.objects.get(pk=alice_voucher.pk).status == "issued"


def test_refund_of_a_blocked_members_purchase_takes_the_points_back(alice, alice_purchase, manager):
    before = _balance(alice)
    _blocked(alice, manager)
    refund = refund_record(purchase=alice_purchase, external_id="r-1", amount=Decimal("40.00"))
    assert refund.points_taken == 40
    assert _balance(alice) == before - 40


def test_blocked_member_may_still_cancel_an_unused_voucher(alice, alice_voucher, manager):
    before = _balance(alice)
    _blocked(alice, manager)
    redemption_cancel(redemption=alice_voucher.redemption)
    assert _balance(alice) == before + 50
    assert Voucher.objects.get(pk=alice_voucher.pk).status == "cancelled"


def test_unblocking_restores_earning_redeeming_and_vouchers(alice, alice_voucher, manager):
    _blocked(alice, manager)
    member_unblock(member=alice, actor=manager)

    purchase, created = purchase_record(
        member=alice, purchased_at=timezone.now(), **purchase_body(amount=Decimal("60.00"))
    )
    assert created
    assert purchase.points > 0
    voucher = voucher_consume(code=alice_voucher.code, order_ref="order-2")
    assert voucher.status == "consumed"
    reward_redeem(member=alice, reward=RewardFactory(code="pen", points_cost=10))


# --- The console -------------------------------------------------------------------------------


def test_manager_blocks_from_the_member_page_and_unblocks(client, manager, alice):
    client.force_login(manager)
    page = client.get(_url("staff:member", alice))
    assert _url("staff:block", alice) in page.content.decode()

    response = client.post(_url("staff:block", alice), {"reason": "card shared online"})

    assert response.status_code == 302
    page = client.get(_url("staff:member", alice))
    content = page.content.decode()
    assert 'data-testid="member-blocked"' in content
    assert "card shared online" in content
    assert client.post(_url("staff:unblock", alice)).status_code == 302
    assert Member.objects.get(pk=alice.pk).status == MemberStatus.ACTIVE


def test_whitespace_reason_is_refused_at_the_field(client, manager, alice):
    client.force_login(manager)
    before = state()
    response = client.post(_url("staff:block", alice), {"reason": "   "})
    assert response.status_code == 200
    assert response.context["form"].errors["reason"]
    assert state() == before


@pytest.mark.parametrize("role", ["cashier", "marketer"])
def test_cashier_and_marketer_cannot_block_in_the_console(client, request, alice, manager, role):
    user = request.getfixturevalue(role)
    client.force_login(user)
    before = state()
    assert client.get(_url("staff:member", alice)).content.decode().count("/block/") == 0
    assert client.post(_url("staff:block", alice), {"reason": "x"}).status_code == 403
    _blocked(alice, manager)
    assert client.post(_url("staff:unblock", alice)).status_code == 403
    assert Member.objects.get(pk=alice.pk).status == MemberStatus.BLOCKED
    assert state()[:-1] == before[:-1]


def test_cashier_recording_a_purchase_for_a_blocked_member_is_told_why(
    client, cashier, manager, alice
):
    _blocked(alice, manager)
    client.force_login(cashier)
    page = client.get(_url("staff:purchase", alice))
    assert "chargeback fraud" in page.content.decode()
    before = state()

    response = client.post(
        _url("staff:purchase", alice),
        {
            "token": str(uuid.uuid4()),
            "amount": "25.00",
            "channel": "store",
            "lines-TOTAL_FORMS": "0",
            "lines-INITIAL_FORMS": "0",
        },
    )

    assert response.status_code == 200
    assert "This member is blocked" in " ".join(response.context["form"].non_field_errors())
    assert state() == before


def test_cashier_consuming_a_blocked_members_voucher_is_told_why(
    client, cashier, manager, alice, alice_voucher
):
    _blocked(alice, manager)
    client.force_login(cashier)
    page = client.get(reverse("staff:voucher"), {"code": alice_voucher.code})
    assert 'data-testid="voucher-member-blocked"' in page.content.decode()
    before = state()

    response = client.post(
        reverse("staff:voucher_consume"),
        {"code": alice_voucher.code, "order_ref": "order-9"},
        follow=True,
    )

    assert "This member is blocked" in response.content.decode()
    assert state() == before


def test_cashier_adjustment_up_for_a_blocked_member_is_refused_at_the_field(
    client, cashier, manager, alice
):
    _blocked(alice, manager)
    client.force_login(cashier)
    before = state()
    response = client.post(
        _url("staff:adjust", alice), {"points": "10", "reason": "goodwill", "token": uuid.uuid4()}
    )
    assert response.status_code == 200
    assert response.context["form"].errors["points"]
    assert state() == before


def test_block_page_in_spanish(client, manager, alice):
    client.force_login(manager)
    _blocked(alice, manager)
    page = client.get(_url("staff:member", alice), HTTP_ACCEPT_LANGUAGE="es")
    assert "Este miembro está bloqueado" in page.content.decode()
