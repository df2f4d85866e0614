"""Writes of the referral review page: a manager releases or rejects a held referral. Each
checks the actor's role, calls the referral service and records a StaffAction about the friend
in the same transaction; a second submit is refused by the service (only a held referral can
be decided) and records nothing."""

from __future__ import annotations

from django.db import transaction

from campaigns.models import Referral
from campaigns.services.referrals import referral_reject, referral_release
from console.permissions import REVIEW_REFERRALS, staff_permission_require
from console.services import action_record
from members.models import StaffActionKind

REFERRAL_DECISIONS = {
    "release": (referral_release, StaffActionKind.REFERRAL_RELEASE),
    "reject": (referral_reject, StaffActionKind.REFERRAL_REJECT),
}


def referral_decide_by_staff(*, referral: Referral, decision: str, actor) -> Referral:
    """`decision` is "release" or "reject" (KeyError otherwise)."""
    decide, kind = REFERRAL_DECISIONS[decision]
    staff_permission_require(actor, REVIEW_REFERRALS)
    with transaction.atomic():
        decided = decide(referral=referral, actor=actor)
        action_record(
            actor=actor,
            kind=kind,
            key=f"referral:{referral.pk}:{decision}",
            member=referral.referee,
            subject=f"referral:{referral.pk}",
        )
    return decided
