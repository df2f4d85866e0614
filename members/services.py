"""Writes on members. Each service is one transaction and validates before it writes."""

from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone

from loyalty.services.ledger import event_bonus_award
from members.models import Member
from members.numbers import member_number_generate, referral_code_generate


class MemberExists(Exception):
    code = "member_exists"

    def __init__(self, email: str):
        super().__init__(f"A member with the email {email} already exists.")


class UnknownReferralCode(Exception):
    code = "unknown_referral_code"


@dataclass(frozen=True)
class Birthday:
    day: int
    month: int
    year: int | None = None


def _unique_member_fields(first_name: str) -> dict[str, str]:
    return {
        "member_number": member_number_generate(),
        "referral_code": referral_code_generate(first_name),
    }


def _member_create_with_unique_codes(**fields) -> Member:
    # Numbers and codes are random: a clash is rare but possible, so the unique constraints decide
    # and we draw again inside a savepoint rather than check-then-insert.
    for _attempt in range(8):
        try:
            with transaction.atomic():
                return Member.objects.create(
                    **fields, **_unique_member_fields(fields["user"].first_name)
                )
        except IntegrityError:
            if not Member.objects.filter(user=fields["user"]).exists():
                continue
            raise
    raise RuntimeError("could not draw a free member number after 8 attempts")


@transaction.atomic
def member_enrol(
    *,
    email: str,
    first_name: str = "",
    last_name: str = "",
    phone: str = "",
    birthday: Birthday | None = None,
    language: str = "en",
    marketing_email_opt_in: bool = False,
    marketing_sms_opt_in: bool = False,
    referral_code: str = "",
    joined_at: datetime | None = None,
    user=None,
) -> Member:
    """Enrol a customer. `user` is given when the person signed up in the portal; otherwise an
    account without a usable password is made, which the customer can claim by resetting it."""
    User = get_user_model()
    email = User.objects.normalize_email(email).lower()
    if Member.objects.filter(user__email__iexact=email).exists():
        raise MemberExists(email)
    referrer = None
    if referral_code:
        referrer = Member.objects.filter(referral_code__iexact=referral_code.strip()).first()
        if referrer is None:
            raise UnknownReferralCode(f"No member has the referral code {referral_code}.")
    if user is None:
        user = User.objects.filter(email__iexact=email).first()
    if user is None:
        user = User.objects.create_user(email=email, first_name=first_name, last_name=last_name)
        user.set_unusable_password()
        user.save(update_fields=["password"])
    member = _member_create_with_unique_codes(
        user=user,
        phone=phone,
        birth_day=birthday.day if birthday else None,
        birth_month=birthday.month if birthday else None,
        birth_year=birthday.year if birthday else None,
        language=language,
        marketing_email_opt_in=marketing_email_opt_in,
        marketing_sms_opt_in=marketing_sms_opt_in,
        referred_by=referrer,
        joined_at=joined_at or timezone.now(),
    )
    # The program's sign-up bonus, if the program in force when they joined has one.
    event_bonus_award(member=member, event="signup", at=member.joined_at, reason="welcome bonus")
    return member
