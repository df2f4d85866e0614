"""Reads of members. The API and the staff console find members only through these."""

import datetime
from decimal import Decimal
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from config.rows import row_get
from loyalty.models import PointsLot
from loyalty.selectors.program import program_in_force
from members.models import ConsentChange, Member


def member_list(*, email: str = "", phone: str = "", member_number: str = "") -> QuerySet[Member]:
    members = Member.objects.select_related("user", "loyalty_account").order_by("pk")
    if email:
        members = members.filter(user__email__iexact=email.strip())
    if phone:
        members = members.filter(phone=phone.strip())
    if member_number:
        members = members.filter(member_number=member_number.strip())
    return members


def member_for_write(*, member_number: str) -> Member | None:
    """The member alone (no user, no balances), for services that lock and load what they need:
    the purchase endpoint's hot path."""
    # config.rows: the ORM's query building was 0.4 ms of CPU per purchase (bench/earn.py).
    return row_get(Member, "member_number = %s", [member_number.strip()])


def member_get(*, member_number: str) -> Member | None:
    return member_list(member_number=member_number).first()


# --- The member portal: every read takes the member who is asking ----------------------------


def member_for_user(*, user) -> Member | None:
    """The signed-in person's own member record (None for staff or an account that has not
    joined the program). The user is attached, so pages do not fetch it again."""
    if user is None or not user.is_authenticated:
        return None
    member = Member.objects.select_related("loyalty_account").filter(user_id=user.pk).first()
    if member is not None:
        member.user = user
    return member


def referral_code_is_known(*, code: str) -> bool:
    return Member.objects.filter(referral_code__iexact=code.strip()).exists()


def consent_history_for_member(*, member: Member) -> QuerySet[ConsentChange]:
    return ConsentChange.objects.filter(member=member).order_by("-at", "-pk")


class FriendStatus:
    JOINED = "joined"
    PURCHASED = "purchased"  # first purchase made, still inside its return window
    REWARDED = "rewarded"  # a purchase's points became available: the referral counts


def friends_for_member(*, member: Member) -> list[dict]:
    """The members who joined with this member's referral code, newest first, with how far
    each has come: joined, first purchase pending, or rewarded (a purchase's points matured,
    which is when the program rewards a referral). First names only: a friend's email or
    surname is theirs, not the referrer's."""
    purchases = PointsLot.objects.filter(member=OuterRef("pk"), purchase__isnull=False)
    friends = (
        Member.objects.filter(referred_by=member)
        .annotate(
            has_purchase=Exists(purchases),
            has_available_purchase=Exists(purchases.filter(is_matured=True)),
        )
        .values("user__first_name", "joined_at", "has_purchase", "has_available_purchase")
        .order_by("-joined_at", "-pk")
    )
    rows = []
    for friend in friends:
        if friend["has_available_purchase"]:
            status = FriendStatus.REWARDED
        elif friend["has_purchase"]:
            status = FriendStatus.PURCHASED
        else:
            status = FriendStatus.JOINED
        rows.append(
            {
                "first_name": friend["user__first_name"],
                "joined_at": friend["joined_at"],
                "status": status,
            }
        )
    return rows


def member_data_export(*, member: Member) -> dict[str, Any]:
    """Everything the program holds about the member, for "download my data": profile,
    consent history, every ledger entry and, when the rewards app provides them, vouchers."""
    from loyalty.selectors.ledger import account_for_member, transactions_for_member

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
            },
            "language": member.language,
            "member_number": member.member_number,
            "referral_code": member.referral_code,
            "joined_at": member.joined_at.isoformat(),
            "marketing_email_opt_in": member.marketing_email_opt_in,
            "marketing_sms_opt_in": member.marketing_sms_opt_in,
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
    from rewards.selectors import voucher_list_for_member

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


def referral_bonus_for(*, program) -> dict | None:
    """What inviting a friend earns, per the program: {"points", "referee_points"} or None."""
    if program is None:
        return None
    from loyalty.scoring import event_bonus_rule

    rule = event_bonus_rule(program=program, event="referral", at=timezone.now())
    if rule is None:
        return None
    return {"points": rule.points or 0, "referee_points": rule.referee_points or 0}


BENEFIT_LABELS = {
    "free_shipping": _("Free shipping on online orders"),
    "early_access": _("Early access to new products and events"),
}


def tier_benefits(tier) -> list[str]:
    """A tier's benefits in the active language; an unknown code is shown readably."""
    if tier is None:
        return []
    benefits = []
    if tier.discount_percent:
        benefits.append(_("%(percent)s%% off every purchase") % {"percent": tier.discount_percent})
    for code in tier.benefits:
        benefits.append(str(BENEFIT_LABELS.get(code, code.replace("_", " ").capitalize())))
    return benefits


def member_overview(*, member: Member, language: str, latest_count: int = 5) -> dict[str, Any]:
    """What the member's home page shows: balances, tier and benefits, progress to the next
    tier, points expiring soon and the latest movements. A fixed number of queries, whatever
    the length of the member's history."""
    from loyalty.selectors.ledger import account_for_member, expiring_soon, transactions_for_member
    from loyalty.services.tiers import qualifying_total, tier_rank

    try:
        account = member.loyalty_account
    except ObjectDoesNotExist:
        account = account_for_member(member=member)
    program = program_in_force()
    tier = program.tier(account.tier_code) if program else None
    progress = None
    if program is not None and program.tiers:
        rank = tier_rank(program, account.tier_code)
        if rank + 1 < len(program.tiers):
            following = program.tiers[rank + 1]
            total = qualifying_total(member=member, program=program, at=timezone.now())
            remaining = max(following.threshold - total, Decimal(0))
            progress = {
                "tier_name": following.localized_name(language),
                "metric": program.qualification_metric,
                "remaining": remaining,
                "total": min(total, following.threshold),
                "threshold": following.threshold,
                "percent": int(min(total / following.threshold, 1) * 100)
                if following.threshold
                else 100,
                "window_months": program.qualification_window_months,
            }
    return {
        "account": account,
        "program": program,
        "currency": program.currency if program else "EUR",
        "tier": tier,
        "tier_name": tier.localized_name(language) if tier else "",
        "benefits": tier_benefits(tier),
        "is_top_tier": tier is not None and progress is None,
        "progress": progress,
        "expiring": expiring_soon(member=member),
        "latest": list(transactions_for_member(member=member)[:latest_count]),
        "affordable_rewards": [
            offer
            for offer in reward_offers_for_member(
                member=member, language=language, account=account, program=program
            )
            if offer.is_redeemable
        ][-AFFORDABLE_ON_HOME:][::-1],
    }


# --- Rewards and vouchers in the portal -------------------------------------------------------
# Member-scoped reads the pages need beyond rewards.selectors (which answers "what may this member
# redeem now"): the whole catalog the member may see, each reward with its standing.

AFFORDABLE_ON_HOME = 3


def reward_offers_for_member(
    *, member: Member, language: str, account=None, program=None, at=None
) -> list:
    """The catalog `member` may see now: active rewards inside their window, in stock, whose
    minimum tier the member has; each with whether they can afford it and whether their
    per-member limit is reached. Cheapest first. One query when the caller passes the account and
    program it already has."""
    from loyalty.selectors.ledger import account_for_member
    from members.offers import RewardOffer, grant_text
    from rewards.models import Reward
    from rewards.selectors import is_tier_enough

    at = at or timezone.now()
    if account is None:
        account = account_for_member(member=member)
    if program is None:
        program = program_in_force(at=at)
    zone = program.zone if program else datetime.UTC
    currency = program.currency if program else "EUR"
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
                sku=reward.sku,
            ),
            available=account.available,
            live_redemptions=reward.live_redemptions,
            is_member_active=not member.is_blocked,
        )
        for reward in rewards
    ]
