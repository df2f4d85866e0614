"""Reads the portal's pages make beyond the domain apps' own: the home page (the member's
standing and the rewards they can afford), the catalog as this member sees it, and "download my
data". Every one is scoped to the signed-in member."""

import datetime
from typing import Any

from django.db.models import Count, Q
from django.utils import timezone

from loyalty.money import DEFAULT_CURRENCY
from loyalty.selectors.ledger import account_for_member, transactions_for_member
from loyalty.selectors.members import member_overview
from loyalty.selectors.program import program_in_force
from members.models import Member
from members.selectors import consent_history_for_member
from portal.offers import RewardOffer, grant_text
from rewards.models import Reward
from rewards.selectors import is_tier_enough, voucher_list_for_member

AFFORDABLE_ON_HOME = 3


def member_home(*, member: Member, language: str) -> dict[str, Any]:
    """The member's overview and, cheapest last, the rewards they can redeem right now."""
    overview = member_overview(member=member, language=language)
    offers = reward_offers_for_member(
        member=member, language=language, account=overview["account"], program=overview["program"]
    )
    affordable = [offer for offer in offers if offer.is_redeemable]
    return {**overview, "affordable_rewards": affordable[-AFFORDABLE_ON_HOME:][::-1]}


def member_data_export(*, member: Member) -> dict[str, Any]:
    """Everything the program holds about the member, for "download my data": profile,
    consent history, every ledger entry and, when the rewards app provides them, vouchers."""
    user = member.user
    account = account_for_member(member=member)
    data: dict[str, Any] = {
        "exported_at": timezone.now().isoformat(),
        "profile": {
            "email": user.email,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "phone": member.phone,
            "birthday": {
                "day": member.birth_day,
                "month": member.birth_month,
                "year": member.birth_year,
                # When it was set or last moved (a birthday gift counts 30 days on).
                "changed_at": member.birthday_changed_at.isoformat()
                if member.birthday_changed_at
                else None,
            },
            "language": member.language,
            "member_number": member.member_number,
            "referral_code": member.referral_code,
            "joined_at": member.joined_at.isoformat(),
            "marketing_email_opt_in": member.marketing_email_opt_in,
            "marketing_sms_opt_in": member.marketing_sms_opt_in,
            "marketing_push_opt_in": member.marketing_push_opt_in,
            "program_notices": member.program_notices,
            "time_zone": member.time_zone,  # empty: the program's
        },
        "balance": {
            "available": account.available,
            "pending": account.pending,
            "lifetime": account.lifetime,
            "debt": account.debt,
            "tier": account.tier_code,
        },
        "consents": [
            {
                "kind": change.kind,
                "granted": change.granted,
                "at": change.at.isoformat(),
                "source": change.source,
            }
            for change in consent_history_for_member(member=member)
        ],
        "ledger": [
            {
                "at": entry.occurred_at.isoformat(),
                "created_at": entry.created_at.isoformat(),
                "kind": entry.kind,
                "points": entry.points,
                "reason": entry.reason,
                "source": entry.source,
                "breakdown": entry.breakdown,
            }
            for entry in transactions_for_member(member=member).iterator(chunk_size=500)
        ],
    }
    data["vouchers"] = _vouchers_export(member)
    return data


def _vouchers_export(member: Member) -> list[dict]:
    """The member's vouchers as they hold them: code, status, what each grants and when; not the
    staff who served them at the till (their accounts are not the member's data)."""
    now = timezone.now()
    return [
        {
            "code": voucher.code,
            "status": voucher.status_at(now),
            "reward": voucher.redemption.reward_code,
            "names": voucher.redemption.names,
            "kind": voucher.redemption.kind,
            "percent": voucher.redemption.percent,
            "amount": str(voucher.redemption.amount)
            if voucher.redemption.amount is not None
            else None,
            "currency": voucher.redemption.currency or None,
            "sku": voucher.redemption.sku or None,
            "points_spent": voucher.redemption.points_spent,
            "redemption": str(voucher.redemption.public_id),
            "issued_at": voucher.issued_at.isoformat(),
            "expires_at": voucher.expires_at.isoformat(),
            "consumed_at": voucher.consumed_at.isoformat() if voucher.consumed_at else None,
            "order_ref": voucher.order_ref or None,
            "cancelled_at": voucher.cancelled_at.isoformat() if voucher.cancelled_at else None,
        }
        for voucher in voucher_list_for_member(member=member)
    ]


# --- Rewards and vouchers in the portal -------------------------------------------------------
# Member-scoped reads the pages need beyond rewards.selectors (which answers "what may this member
# redeem now"): the whole catalog the member may see, each reward with its standing.


def reward_offers_for_member(
    *, member: Member, language: str, account=None, program=None, at=None
) -> list:
    """The catalog `member` may see now: active rewards inside their window, in stock, whose
    minimum tier the member has; each with whether they can afford it and whether their
    per-member limit is reached. Cheapest first. One query when the caller passes the account and
    program it already has."""
    at = at or timezone.now()
    if account is None:
        account = account_for_member(member=member)
    if program is None:
        program = program_in_force(at=at)
    zone = program.zone if program else datetime.UTC
    currency = program.currency if program else DEFAULT_CURRENCY
    # One query: the member's live redemptions of each reward are counted alongside it.
    live = Count(
        "redemptions",
        filter=Q(redemptions__member=member, redemptions__cancelled_at__isnull=True),
    )
    rewards = [
        reward
        for reward in Reward.objects.available(on=at.astimezone(zone).date())
        .annotate(live_redemptions=live)
        .order_by("points_cost", "code")
        if is_tier_enough(program, tier_code=account.tier_code, min_tier=reward.min_tier)
    ]
    return [
        RewardOffer(
            reward=reward,
            name=reward.localized_name(language),
            description=reward.localized_description(language),
            grant=grant_text(
                kind=reward.kind,
                percent=reward.percent,
                amount=reward.amount,
                currency=currency,
            ),
            available=account.available,
            live_redemptions=reward.live_redemptions,
            is_member_active=not member.is_blocked,
        )
        for reward in rewards
    ]
