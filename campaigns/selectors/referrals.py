"""Reading referrals: a member's friends as the invite page shows them, and the referrals staff
review (held and not rewarded)."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet

from campaigns.models import Referral, ReferralReason, ReferralStatus
from loyalty.models import PointsLot
from members.models import Member


class FriendStatus:
    JOINED = "joined"
    PURCHASED = "purchased"  # first purchase made, still inside its return window
    REVIEW = "review"  # held for review by staff
    REWARDED = "rewarded"  # both rewarded
    FRIEND_REWARDED = "friend_rewarded"  # past the referrer's monthly cap: only the friend
    NOT_REWARDED = "not_rewarded"  # rejected (self-referral, staff) or its purchase refunded
    REFUNDED = "refunded"  # the first purchase was refunded


def _status(friend: Member) -> tuple[str, int]:
    referral = getattr(friend, "referral", None)
    if referral is not None:
        if referral.status == ReferralStatus.REWARDED:
            if referral.reason == ReferralReason.MONTHLY_CAP:
                return FriendStatus.FRIEND_REWARDED, 0
            return FriendStatus.REWARDED, referral.referrer_points
        if referral.status == ReferralStatus.HELD:
            return FriendStatus.REVIEW, 0
        if referral.status == ReferralStatus.REJECTED:
            if referral.reason in (ReferralReason.REFUNDED, ReferralReason.TAKEN_BACK):
                return FriendStatus.REFUNDED, 0
            return FriendStatus.NOT_REWARDED, 0
    if friend.has_purchase:
        return FriendStatus.PURCHASED, 0
    return FriendStatus.JOINED, 0


def friends_for_member(*, member: Member) -> list[dict]:
    """The members who joined with this member's code, newest first, with what became of each
    (FriendStatus) and the points it earned the member. First names only: a friend's email or
    surname is theirs, not the referrer's."""
    purchases = PointsLot.objects.filter(member=OuterRef("pk"), purchase__isnull=False)
    friends = (
        Member.objects.filter(referred_by=member)
        .select_related("user", "referral")
        .annotate(has_purchase=Exists(purchases))
        .order_by("-joined_at", "-pk")
    )
    rows = []
    for friend in friends:
        status, points = _status(friend)
        rows.append(
            {
                "first_name": friend.user.first_name,
                "joined_at": friend.joined_at,
                "status": status,
                "points": points,
            }
        )
    return rows


def referrals_for_review(*, status: str = "") -> QuerySet[Referral]:
    """Held referrals and those not (fully) rewarded, with both members, newest first: what
    staff review. `status` narrows to one ReferralStatus."""
    rows = Referral.objects.select_related("referrer__user", "referee__user", "decided_by")
    if status:
        return rows.filter(status=status)
    return rows.filter(
        Q(status__in=[ReferralStatus.HELD, ReferralStatus.REJECTED])
        | Q(status=ReferralStatus.REWARDED, reason=ReferralReason.MONTHLY_CAP)
    )
