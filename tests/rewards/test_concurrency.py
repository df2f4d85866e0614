"""Proof under concurrency: real threads, each with its own PostgreSQL connection, released
together at a barrier. Only meaningful on PostgreSQL (row locks and unique indexes)."""

import pytest
from django.db import connection

from loyalty.models import EntryKind, LedgerEntry
from loyalty.services.program import program_import
from rewards.errors import InsufficientPointsForReward, LimitReached, OutOfStock, VoucherNotUsable
from rewards.models import Redemption, Reward, Voucher, VoucherStatus
from rewards.services import reward_redeem, voucher_consume
from tests.concurrency import run_together
from tests.factories.ledger import MemberFactory
from tests.factories.loyalty import example_program_text
from tests.factories.rewards import RewardFactory, points_give
from tests.rewards.conftest import assert_consistent, available

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs PostgreSQL's locks (make test)"
    ),
]


@pytest.fixture
def members(db):
    program_import(text=example_program_text(), note="example")
    return [MemberFactory() for _ in range(30)]


def _split(results, refusal):
    won = [r for r in results if isinstance(r, Redemption)]
    refused = [r for r in results if isinstance(r, refusal)]
    assert len(won) + len(refused) == len(results), [
        r for r in results if not isinstance(r, Redemption | refusal)
    ]
    return won, refused


def test_30_members_racing_for_the_last_one_get_exactly_one_voucher(members):
    reward = RewardFactory(stock=1, points_cost=50)

    results = run_together(30, lambda i: reward_redeem(member=members[i], reward=reward))

    won, refused = _split(results, OutOfStock)
    assert len(won) == 1
    assert len(refused) == 29
    assert Reward.objects.get(pk=reward.pk).stock == 0
    assert Voucher.objects.count() == 1
    assert LedgerEntry.objects.filter(kind=EntryKind.REDEEM).count() == 1
    for member in members:
        assert_consistent(member)


def test_30_redemptions_by_a_member_whose_points_pay_for_one_give_exactly_one(members):
    member = members[0]
    reward = RewardFactory(points_cost=150)
    points_give(member, 100)  # 200 with the sign-up bonus: one redemption, not two

    results = run_together(30, lambda _: reward_redeem(member=member, reward=reward))

    won, _refused = _split(results, InsufficientPointsForReward)
    assert len(won) == 1
    assert available(member) == 50
    assert Voucher.objects.count() == 1
    assert_consistent(member)


def test_a_per_member_limit_holds_under_the_same_race(members):
    member = members[0]
    reward = RewardFactory(points_cost=10, per_member_limit=2)
    points_give(member, 1000)

    results = run_together(30, lambda _: reward_redeem(member=member, reward=reward))

    won, _refused = _split(results, LimitReached)
    assert len(won) == 2
    assert sorted(r.ordinal for r in won) == [1, 2]
    assert available(member) == 1100 - 20
    assert_consistent(member)


def test_20_tills_consuming_one_voucher_at_once_succeed_exactly_once(members):
    member = members[0]
    reward = RewardFactory(points_cost=10)
    voucher = reward_redeem(member=member, reward=reward).voucher

    results = run_together(20, lambda i: voucher_consume(code=voucher.code, order_ref=f"till-{i}"))

    consumed = [r for r in results if isinstance(r, Voucher)]
    refused = [r for r in results if isinstance(r, VoucherNotUsable)]
    assert len(consumed) == 1
    assert len(refused) == 19
    assert {r.reason for r in refused} == {"consumed"}
    stored = Voucher.objects.get(pk=voucher.pk)
    assert stored.status == VoucherStatus.CONSUMED
    assert stored.order_ref == consumed[0].order_ref
