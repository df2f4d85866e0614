"""`redemption_cancel`: only an unused voucher; points back with their original expiry."""

import datetime

import pytest

from loyalty.models import EntryKind, LedgerEntry, PointsLot
from rewards.errors import VoucherNotUsable
from rewards.models import Redemption, Reward, VoucherStatus
from rewards.services import redemption_cancel, reward_redeem, voucher_consume
from tests.factories.rewards import points_give, redemption_create, tier_set
from tests.rewards.conftest import assert_consistent, available, state


def test_cancelling_is_one_movement_giving_each_lot_back_with_its_expiry(
    member, reward, time_machine
):
    time_machine.move_to(datetime.datetime(2027, 1, 10, 9, 0, tzinfo=datetime.UTC), tick=False)
    points_give(member, 450)  # a second lot, expiring later than the sign-up bonus
    expiries = dict(PointsLot.objects.filter(member=member).values_list("points", "expires_at"))
    redemption = reward_redeem(member=member, reward=reward)
    assert available(member) == 50

    redemption_cancel(redemption=redemption)

    assert available(member) == 550
    (cancellation,) = LedgerEntry.objects.filter(kind=EntryKind.REVERSAL, member=member)
    assert cancellation.points == 500
    assert cancellation.source["id"] == str(redemption.public_id)
    assert cancellation.reverses_id == redemption.redeem_entry_id
    new_lots = PointsLot.objects.filter(entry=cancellation)
    assert dict(new_lots.values_list("points", "expires_at")) == {
        100: expiries[100],
        400: expiries[450],
    }
    assert_consistent(member)


def test_cancelling_gives_the_stock_back_and_frees_the_seat(member):
    tasting = Reward.objects.get(code="tasting-dec")
    tier_set(member, "gold")
    redemption = redemption_create(member, tasting)
    assert Reward.objects.get(pk=tasting.pk).stock == 29

    redemption = redemption_cancel(redemption=redemption)

    assert Reward.objects.get(pk=tasting.pk).stock == 30
    assert redemption.is_cancelled
    assert redemption.voucher.status == VoucherStatus.CANCELLED


def test_a_cancelled_redemption_no_longer_counts_towards_the_limit(member):
    ten_off = Reward.objects.get(code="ten-off")
    points_give(member, 3900)
    first, *_ = [reward_redeem(member=member, reward=ten_off) for _ in range(3)]

    redemption_cancel(redemption=first)
    again = reward_redeem(member=member, reward=ten_off)

    assert again.ordinal == first.ordinal
    assert Redemption.objects.filter(cancelled_at__isnull=True).count() == 3


@pytest.mark.parametrize("reason", ["consumed", "cancelled", "expired"])
def test_only_an_unused_voucher_can_be_cancelled_and_nothing_changes(
    member, reward, time_machine, now, reason
):
    redemption = redemption_create(member, reward)
    if reason == "consumed":
        voucher_consume(code=redemption.voucher.code, order_ref="till-1")
    elif reason == "cancelled":
        redemption_cancel(redemption=redemption)
    else:
        time_machine.move_to(now + datetime.timedelta(days=91), tick=False)
    before = state(member)

    with pytest.raises(VoucherNotUsable) as refused:
        redemption_cancel(redemption=Redemption.objects.get(pk=redemption.pk))

    assert refused.value.reason == reason
    assert refused.value.code == "voucher_not_usable"
    assert state(member) == before


def test_an_expired_lot_comes_back_already_expired_and_expires_at_the_next_run(
    member, reward, time_machine, now
):
    from loyalty.services.ledger import points_expire

    points_give(member, 400)
    redemption = reward_redeem(member=member, reward=reward)
    time_machine.move_to(now + datetime.timedelta(days=80), tick=False)
    # Simulate lots whose expiry passed while the voucher was held.
    PointsLot.objects.filter(member=member).update(expires_at=now + datetime.timedelta(days=10))

    redemption_cancel(redemption=redemption)
    assert available(member) == 500
    points_expire(member=member)

    assert available(member) == 0
    assert_consistent(member)


def test_the_cancellation_names_the_voucher_and_the_reward(member, reward):
    redemption = redemption_create(member, reward)

    redemption_cancel(redemption=redemption)

    cancellation = LedgerEntry.objects.get(kind=EntryKind.REVERSAL, member=member)
    (part,) = cancellation.breakdown
    assert part == {
        "part": "cancellation",
        "reward": redemption.reward_code,
        "names": redemption.names,
        "voucher": redemption.voucher.code,
        "points": redemption.points_spent,
    }
    assert redemption.voucher.code in cancellation.reason
    assert cancellation.occurred_at == Redemption.objects.get(pk=redemption.pk).cancelled_at
