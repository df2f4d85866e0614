"""Rewards test data: catalog rows (made directly: use the services when the test is about
validation or versions), members with points, and redemptions through the service."""

from decimal import Decimal

import factory

from loyalty.models import LoyaltyAccount
from loyalty.services.ledger import points_adjust
from rewards.models import Reward, RewardKind
from rewards.services import reward_redeem


class RewardFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Reward

    code = factory.Sequence(lambda n: f"reward-{n}")
    kind = RewardKind.FIXED_DISCOUNT
    amount = Decimal("5.00")
    name_en = factory.LazyAttribute(lambda reward: f"{reward.code} (en)")
    name_es = factory.LazyAttribute(lambda reward: f"{reward.code} (es)")
    name_fr = factory.LazyAttribute(lambda reward: f"{reward.code} (fr)")
    points_cost = 100
    stock = None


def points_give(member, points: int, *, reason: str = "test points") -> None:
    """Points available at once (a staff adjustment)."""
    points_adjust(member=member, points=points, reason=reason, actor=None)


def tier_set(member, code: str) -> None:
    """Put the member in a tier directly (tier rules are tested in tests/ledger)."""
    LoyaltyAccount.objects.filter(member=member).update(tier_code=code)


def redemption_create(member, reward, *, points: int | None = None):
    """Give the member what the reward costs (or `points`) and redeem it."""
    points_give(member, reward.points_cost if points is None else points)
    return reward_redeem(member=member, reward=reward)
