"""A member's status and what a block refuses, in one place.

A blocked member earns nothing (purchases, previews, bonuses, positive adjustments), redeems
nothing and none of their vouchers is consumed; refunds of their purchases, negative adjustments
and cancelling an unused voucher still work, since each only takes points back or returns what the
member already had. Every refusal is the one domain exception `MemberBlocked`, mapped once to the
API's 409 `member_blocked` (config.api.exceptions) and worded here for the console and the portal.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from config.domain import DomainError
from members.models import Member, MemberStatus


class MemberBlocked(DomainError):
    """The member is blocked: the action would give them points, spend them or use a voucher.
    Raised before anything is written."""

    code = "member_blocked"
    status = 409
    # For staff and integrations (the console, the API's detail).
    template = _(
        "This member is blocked: they earn no points, redeem no rewards and their vouchers "
        "cannot be used until a manager unblocks them."
    )
    # For the member, in the portal.
    member_template = _(
        "Your account is blocked: you cannot earn points, redeem rewards or use your vouchers "
        "right now. Please contact the shop."
    )

    def __init__(self, *, member: Member | None = None):
        self.member = member
        super().__init__()


def member_active_require(*, member: Member, status: str | None = None) -> None:
    """Raise MemberBlocked unless the member is active. `status` is the one the caller has just
    read from the member's row (the purchase's locking statement reads it); without it, the
    status is read now (one query), so an earlier copy of the member cannot let a block slip."""
    if status is None:
        status = Member.objects.filter(pk=member.pk).values_list("status", flat=True).first()
        if status is not None:
            member.status = status
    if status == MemberStatus.BLOCKED:
        raise MemberBlocked(member=member)
