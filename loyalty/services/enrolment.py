"""Joining the program: the member (members.services) and what the program gives on joining.

Enrolment itself belongs to members, which knows nothing of points; the program's sign-up bonus
belongs here. Every way in (the API, the console, the portal's sign-up and join pages, the demo)
joins through these, so the bonus is given in the enrolment's own transaction or not at all."""

from django.db import transaction

from loyalty.services.ledger import event_bonus_award
from members.models import Member
from members.services import member_enrol, member_signup

# The sign-up bonus entry's reason, here and in the member import (loyalty.imports.members).
SIGNUP_BONUS_REASON = "welcome bonus"


def signup_bonus_award(*, member: Member) -> None:
    """The sign-up bonus of the program in force when the member joined, if it has one."""
    event_bonus_award(
        member=member, event="signup", at=member.joined_at, reason=SIGNUP_BONUS_REASON
    )


def member_join(**fields) -> Member:
    """members.services.member_enrol (same arguments and errors) and the sign-up bonus."""
    with transaction.atomic():
        member = member_enrol(**fields)
        signup_bonus_award(member=member)
    return member


def member_join_signed_up(**fields) -> Member:
    """members.services.member_signup (same arguments and errors) and the sign-up bonus."""
    with transaction.atomic():
        member = member_signup(**fields)
        signup_bonus_award(member=member)
    return member
