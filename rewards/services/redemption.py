"""Redeeming a reward and cancelling a redemption, each one transaction.

Lock order, everywhere in rewards: the member's `LoyaltyAccount` (account_lock, as every ledger
write), then the `Reward` row, then the voucher (taken by a conditional UPDATE). The same order in
redemption and cancellation means they cannot deadlock with each other or with the ledger.

- The account lock serializes one member's redemptions and cancellations: the balance, the
  per-member count and the ordinal are read under it.
- The reward lock serializes stock across members: stock is read, checked and decremented with
  F() under it; the CheckConstraint stock >= 0 is the backstop.
- The per-member limit is a database guarantee: every live redemption holds a distinct ordinal
  (unique (member, reward, ordinal) among live rows) between 1 and the limit (CheckConstraint),
  so there can never be more live redemptions than the limit.
"""

from __future__ import annotations

import datetime
import uuid

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from loyalty.definition import DEFAULT_CURRENCY
from loyalty.models import EntryKind
from loyalty.selectors.program import ProgramNotConfigured, program_version_at
from loyalty.services.ledger import (
    InsufficientPoints,
    account_lock,
    debit_reverse_write,
    points_debit,
)
from members.status import member_active_require
from rewards.codes import voucher_code_generate
from rewards.errors import (
    InsufficientPointsForReward,
    LimitReached,
    OutOfStock,
    RewardNotAvailable,
    TierRequired,
    VoucherNotUsable,
)
from rewards.events import voucher_cancelled, voucher_issued
from rewards.models import Redemption, Reward, Voucher, VoucherStatus
from rewards.selectors import is_tier_enough

SOURCE_TYPE = "redemption"
CODE_ATTEMPTS = 5


def reward_redeem(*, member, reward: Reward, actor=None) -> Redemption:
    """Spend the member's points (oldest lots first) on `reward`, take one from its stock and
    issue a voucher. Raises a RewardError (not_available, tier_required, limit_reached,
    out_of_stock, insufficient_points), or MemberBlocked for a blocked member, having changed
    nothing."""
    now = timezone.now()
    with transaction.atomic():
        # Account first, then the reward: see the module docstring.
        account = account_lock(member=member)
        # Read under the account lock: a block committed before it is seen.
        member_active_require(member=member)
        reward = Reward.objects.select_for_update().get(pk=reward.pk)
        try:
            version = program_version_at(at=now)
        except ProgramNotConfigured:
            version = None
        program = version.definition if version else None
        today = now.astimezone(program.zone).date() if program else now.date()

        if not reward.is_active or not reward.is_in_window(today):
            raise RewardNotAvailable()
        if not is_tier_enough(program, tier_code=account.tier_code, min_tier=reward.min_tier):
            tier = program.tier(reward.min_tier) if program else None
            name = tier.localized_name(member.language) if tier else reward.min_tier
            raise TierRequired(tier=name)
        ordinal = _free_ordinal(member=member, reward=reward)
        if reward.per_member_limit is not None and ordinal > reward.per_member_limit:
            raise LimitReached(limit=reward.per_member_limit)
        if not reward.is_in_stock:
            raise OutOfStock()
        if account.available < reward.points_cost:
            raise InsufficientPointsForReward(cost=reward.points_cost, available=account.available)

        public_id = uuid.uuid4()
        entry = None
        if reward.points_cost > 0:
            try:
                # Re-takes the account lock this transaction already holds.
                entry = points_debit(
                    member=member,
                    points=reward.points_cost,
                    kind=EntryKind.REDEEM,
                    reason=f"redeemed {reward.code}",
                    actor=actor,
                    source_type=SOURCE_TYPE,
                    source_id=str(public_id),
                    # What the member reads: the reward as it was named when redeemed.
                    breakdown=[{"part": "reward", "reward": reward.code, "names": reward.names}],
                )
            except InsufficientPoints as exc:  # pragma: no cover - checked above, under the lock
                raise InsufficientPointsForReward(
                    cost=reward.points_cost, available=exc.available
                ) from None
        if reward.stock is not None:
            Reward.objects.filter(pk=reward.pk).update(stock=F("stock") - 1)
        redemption = Redemption.objects.create(
            public_id=public_id,
            member=member,
            reward=reward,
            ordinal=ordinal,
            per_member_limit=reward.per_member_limit,
            points_spent=reward.points_cost,
            **_granted(reward, program),
            program_version=version,
            redeem_entry=entry,
            actor=actor,
            created_at=now,
        )
        voucher = _voucher_issue(
            redemption=redemption,
            expires_at=now + datetime.timedelta(days=reward.voucher_valid_days),
            now=now,
        )
        voucher_issued(voucher=voucher, redemption=redemption)
        return redemption


def reward_gift(
    *,
    member,
    reward: Reward,
    gift_key: str,
    code: str = "",
    now: datetime.datetime | None = None,
) -> Redemption | None:
    """Give `member` a voucher for `reward` at no points (a campaign's offer, an automation's
    gift), once per member and `gift_key`: None when it was given already. `code` is the
    voucher's code when the message announcing it was composed first (it must be new).

    A gift is the shop's decision, not a purchase with points: it does not draw from the
    reward's stock nor count against the per-member limit (its redemption has no limit and
    takes the first free ordinal), and the reward needs not be in the catalog's window. Call
    it in the transaction that records the message, which it joins; it takes the account lock
    like every ledger write."""
    now = now or timezone.now()
    with transaction.atomic():
        account_lock(member=member)
        if Redemption.objects.filter(member=member, gift_key=gift_key).exists():
            return None
        try:
            version = program_version_at(at=now)
        except ProgramNotConfigured:
            version = None
        program = version.definition if version else None
        redemption = Redemption.objects.create(
            member=member,
            reward=reward,
            ordinal=_free_ordinal(member=member, reward=reward),
            per_member_limit=None,
            points_spent=0,
            **_granted(reward, program),
            program_version=version,
            gift_key=gift_key,
            created_at=now,
        )
        voucher = _voucher_issue(
            redemption=redemption,
            expires_at=now + datetime.timedelta(days=reward.voucher_valid_days),
            now=now,
            code=code,
        )
        voucher_issued(voucher=voucher, redemption=redemption)
        return redemption


def _granted(reward: Reward, program) -> dict:
    """What the voucher grants, as the reward is now: kept on the redemption, so a later change
    to the catalog does not change a voucher already held."""
    return {
        "reward_code": reward.code,
        "kind": reward.kind,
        "names": reward.names,
        "percent": reward.percent,
        "amount": reward.amount,
        "currency": (program.currency if program else DEFAULT_CURRENCY)
        if reward.amount is not None
        else "",
        "sku": reward.sku,
    }


def _free_ordinal(*, member, reward: Reward) -> int:
    """The lowest ordinal no live redemption of this member and reward holds (read under the
    account lock). Cancelling frees an ordinal, so a member back under the limit may redeem."""
    taken = set(
        Redemption.objects.filter(
            member=member, reward=reward, cancelled_at__isnull=True
        ).values_list("ordinal", flat=True)
    )
    ordinal = 1
    while ordinal in taken:
        ordinal += 1
    return ordinal


def _voucher_issue(
    *,
    redemption: Redemption,
    expires_at: datetime.datetime,
    now: datetime.datetime,
    code: str = "",
) -> Voucher:
    # 68 bits make a collision absurdly unlikely; the unique index makes it impossible, and a
    # savepoint lets us draw again instead of failing the redemption. A code chosen beforehand
    # (announced in a message already) is tried first.
    for attempt in range(CODE_ATTEMPTS):
        try:
            with transaction.atomic():
                return Voucher.objects.create(
                    redemption=redemption,
                    code=code if code and attempt == 0 else voucher_code_generate(),
                    issued_at=now,
                    expires_at=expires_at,
                )
        except IntegrityError:
            if attempt == CODE_ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")  # pragma: no cover


def redemption_cancel(*, redemption: Redemption, actor=None) -> Redemption:
    """Cancel a redemption whose voucher is unused (issued and not expired): the points come back
    as new lots with the expiry of the lots they were taken from, the stock comes back, and the
    ledger gets one `reversal` entry naming the voucher. Raises VoucherNotUsable (consumed,
    expired, cancelled).

    Allowed for a blocked member: it earns nothing (the points were the member's before the
    redemption; lifetime does not move) and it takes out of circulation a voucher that cannot be
    used while they are blocked, giving its stock back to the shop."""
    now = timezone.now()
    with transaction.atomic():
        # Same lock order as reward_redeem: account, reward, then the voucher.
        account = account_lock(member=redemption.member)
        reward = Reward.objects.select_for_update().get(pk=redemption.reward_id)
        claimed = Voucher.objects.filter(
            redemption=redemption, status=VoucherStatus.ISSUED, expires_at__gt=now
        ).update(status=VoucherStatus.CANCELLED, cancelled_at=now)
        voucher = Voucher.objects.get(redemption=redemption)
        if claimed != 1:
            raise VoucherNotUsable(reason=voucher.status_at(now))
        voucher_cancelled(voucher=voucher, redemption=redemption, at=now)
        if redemption.redeem_entry_id is not None:
            _points_give_back(
                account=account,
                redemption=redemption,
                voucher_code=voucher.code,
                actor=actor,
                now=now,
            )
        if reward.stock is not None:
            Reward.objects.filter(pk=reward.pk).update(stock=F("stock") + 1)
        Redemption.objects.filter(pk=redemption.pk).update(cancelled_at=now, cancelled_by=actor)
        redemption.refresh_from_db()
        return redemption


def _points_give_back(*, account, redemption: Redemption, voucher_code: str, actor, now) -> None:
    """One reversal entry for the cancellation, naming the voucher and the reward; underneath,
    every lot the redemption drew on comes back with the expiry it had."""
    debit_reverse_write(
        account=account,
        entry=redemption.redeem_entry,
        reason=f"cancelled voucher {voucher_code} for {redemption.reward_code}",
        breakdown=[
            {
                "part": "cancellation",
                "reward": redemption.reward_code,
                "names": redemption.names,
                "voucher": voucher_code,
                "points": redemption.points_spent,
            }
        ],
        actor=actor,
        source_type=SOURCE_TYPE,
        source_id=str(redemption.public_id),
        now=now,
    )
