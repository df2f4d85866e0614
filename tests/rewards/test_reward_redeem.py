"""`reward_redeem`: one atomic step, and every refusal changes nothing."""

import datetime

import pytest
from django.utils import translation

from loyalty.models import EntryKind, LedgerEntry, LotAllocation, PointsLot
from rewards.errors import (
    InsufficientPointsForReward,
    LimitReached,
    OutOfStock,
    RewardNotAvailable,
    TierRequired,
)
from rewards.models import Redemption, Reward, VoucherStatus
from rewards.services import reward_redeem
from tests.factories.rewards import RewardFactory, points_give, tier_set
from tests.rewards.conftest import assert_consistent, available, state


def test_redeeming_spends_the_points_takes_stock_and_issues_a_voucher(member, now, program):
    tasting = Reward.objects.get(code="tasting-dec")
    tier_set(member, "gold")
    points_give(member, 900)  # plus the 100 sign-up bonus

    redemption = reward_redeem(member=member, reward=tasting)

    assert redemption.points_spent == 800
    assert available(member) == 200
    assert Reward.objects.get(code="tasting-dec").stock == 29
    voucher = redemption.voucher
    assert voucher.status == VoucherStatus.ISSUED
    assert voucher.expires_at == now + datetime.timedelta(days=90)
    entry = redemption.redeem_entry
    assert (entry.kind, entry.points) == (EntryKind.REDEEM, -800)
    assert entry.source == {"type": "redemption", "id": str(redemption.public_id)}
    # What it grants is kept with it, whatever the catalog becomes.
    assert (redemption.kind, redemption.reward_code, redemption.names["es"]) == (
        "event",
        "tasting-dec",
        "Cata para socios",
    )
    assert redemption.program_version == program
    assert_consistent(member)


def test_the_voucher_is_valid_for_the_rewards_days(member, now):
    bottle = Reward.objects.get(code="free-bottle")
    points_give(member, 100)

    voucher = reward_redeem(member=member, reward=bottle).voucher

    assert voucher.expires_at == now + datetime.timedelta(days=30)
    assert voucher.redemption.sku == "VINO-TINTO-75"


def test_points_are_spent_from_the_oldest_lots_first(member, reward, time_machine, now):
    signup_lot = PointsLot.objects.get(member=member)  # 100, the oldest
    time_machine.move_to(now + datetime.timedelta(days=1), tick=False)
    points_give(member, 450)
    time_machine.move_to(now + datetime.timedelta(days=2), tick=False)
    points_give(member, 300)

    redemption = reward_redeem(member=member, reward=reward)

    taken = dict(
        LotAllocation.objects.filter(entry=redemption.redeem_entry).values_list("lot_id", "points")
    )
    newest = PointsLot.objects.filter(member=member).order_by("-pk").first()
    assert taken[signup_lot.pk] == 100
    assert sum(taken.values()) == 500
    assert newest.pk not in taken  # 100 + 450 already pay for it
    assert_consistent(member)


def test_a_fixed_discount_keeps_its_amount_and_the_program_currency(member):
    ten_off = Reward.objects.get(code="ten-off")
    points_give(member, 900)

    redemption = reward_redeem(member=member, reward=ten_off)

    assert (str(redemption.amount), redemption.currency) == ("10.0000", "EUR")


def test_without_enough_points_it_is_refused_and_nothing_changes(member, reward):
    points_give(member, 399)  # 499 with the sign-up bonus
    before = state(member)

    with pytest.raises(InsufficientPointsForReward) as refused:
        reward_redeem(member=member, reward=reward)

    assert refused.value.code == "insufficient_points"
    assert refused.value.message("en") == "This reward costs 500 points; you have 499."
    assert state(member) == before


def test_out_of_stock_is_refused_and_nothing_changes(member):
    reward = RewardFactory(stock=0, points_cost=10)
    before = state(member)

    with pytest.raises(OutOfStock) as refused:
        reward_redeem(member=member, reward=reward)

    assert refused.value.code == "out_of_stock"
    assert state(member) == before


def test_a_tier_below_the_minimum_is_refused_and_nothing_changes(member):
    loyal20 = Reward.objects.get(code="loyal20")  # silver and above
    points_give(member, 3000)
    before = state(member)

    with pytest.raises(TierRequired) as refused:
        reward_redeem(member=member, reward=loyal20)

    assert refused.value.code == "tier_required"
    assert "Silver" in refused.value.message("en")
    assert state(member) == before


def test_a_higher_tier_than_the_minimum_may_redeem(member):
    loyal20 = Reward.objects.get(code="loyal20")
    tier_set(member, "gold")
    points_give(member, 2400)

    assert reward_redeem(member=member, reward=loyal20).percent == 20


def test_the_per_member_limit_is_refused_once_reached_and_nothing_changes(member):
    ten_off = Reward.objects.get(code="ten-off")  # at most 3 per member
    points_give(member, 3900)
    for _ in range(3):
        reward_redeem(member=member, reward=ten_off)
    before = state(member)

    with pytest.raises(LimitReached) as refused:
        reward_redeem(member=member, reward=ten_off)

    assert refused.value.code == "limit_reached"
    assert state(member) == before
    assert sorted(Redemption.objects.values_list("ordinal", flat=True)) == [1, 2, 3]


def test_the_limit_is_per_member(member, other_member):
    reward = RewardFactory(per_member_limit=1, points_cost=10)

    reward_redeem(member=member, reward=reward)
    reward_redeem(member=other_member, reward=reward)

    assert Redemption.objects.count() == 2


@pytest.mark.parametrize(
    "changes",
    [
        {"is_active": False},
        {"available_from": datetime.date(2026, 12, 6)},
        {"available_until": datetime.date(2026, 12, 4)},
    ],
)
def test_outside_its_window_or_inactive_it_is_not_available_and_nothing_changes(member, changes):
    reward = RewardFactory(points_cost=10, **changes)
    before = state(member)

    with pytest.raises(RewardNotAvailable) as refused:
        reward_redeem(member=member, reward=reward)

    assert refused.value.code == "not_available"
    assert state(member) == before


def test_the_window_is_read_on_the_programs_clock(member, time_machine):
    # 23:30 UTC on 18 December is already the 19th in Madrid: the tasting window has closed.
    time_machine.move_to(datetime.datetime(2026, 12, 18, 23, 30, tzinfo=datetime.UTC), tick=False)
    tasting = Reward.objects.get(code="tasting-dec")
    tier_set(member, "gold")
    points_give(member, 800)

    with pytest.raises(RewardNotAvailable):
        reward_redeem(member=member, reward=tasting)


def test_refusals_are_worded_in_the_members_language():
    refused = OutOfStock()

    spanish = refused.message("es")

    assert spanish == "Esta recompensa está agotada."
    assert refused.message("fr") == "Cette récompense est en rupture de stock."
    with translation.override("fr"):  # whatever language the request is in
        assert refused.message("es") == spanish


def test_a_reward_costing_nothing_issues_a_voucher_without_a_ledger_entry(member):
    reward = RewardFactory(points_cost=0)
    entries = LedgerEntry.objects.count()

    redemption = reward_redeem(member=member, reward=reward)

    assert redemption.voucher.status == VoucherStatus.ISSUED
    assert redemption.redeem_entry is None
    assert LedgerEntry.objects.count() == entries
