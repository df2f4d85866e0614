"""Writes on members. Each service is one transaction and validates before it writes."""

import secrets
from datetime import datetime
from functools import partial

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from config.domain import DomainError
from members.birthdays import Birthday
from members.events import member_enrolled, member_erased
from members.models import ConsentChange, ConsentKind, ConsentSource, Member
from members.numbers import member_number_generate, referral_code_generate
from members.tasks import account_claim_mail
from members.time_zones import time_zone_clean


class MemberExists(DomainError):
    code = "member_exists"
    status = 409
    template = _("A member with this email already exists.")

    def __init__(self, email: str):
        self.email = email
        super().__init__()


class UnknownReferralCode(DomainError):
    code = "referral_code_unknown"
    field = "referral_code"
    template = _("No member has this referral code.")
    member_template = _("We do not know this referral code.")

    def __init__(self, code: str = ""):
        self.referral_code = code
        super().__init__()


def _unique_member_fields(first_name: str) -> dict[str, str]:
    return {
        "member_number": member_number_generate(),
        "referral_code": referral_code_generate(first_name),
    }


def signup_address_hash(address: str) -> str:
    """A keyed hash of a network address: equal for equal addresses, and not the address (the
    key is the site's secret, so the hash cannot be looked up in a table of addresses)."""
    return salted_hmac("members.signup_address", address.strip(), algorithm="sha256").hexdigest()


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
    time_zone: str = "",
    marketing_email_opt_in: bool = False,
    marketing_sms_opt_in: bool = False,
    marketing_push_opt_in: bool = False,
    referral_code: str = "",
    joined_at: datetime | None = None,
    user=None,
    signup_address: str = "",
    consent_source: str | None = ConsentSource.STAFF,
) -> Member:
    """Enrol a customer. `user` is given when the person signed up in the portal; otherwise an
    account without a usable password is made, which the customer can claim by resetting it.
    `time_zone` is an IANA name, or blank for the program's (UnknownTimeZone otherwise).
    `signup_address`: the network address a sign-up with a referral code came from (kept only
    as `signup_address_hash` of it, for the referral checks)."""
    User = get_user_model()
    time_zone = time_zone_clean(time_zone)
    email = User.objects.normalize_email(email).lower()
    if Member.objects.filter(user__email__iexact=email).exists():
        raise MemberExists(email)
    referrer = None
    if referral_code:
        referrer = Member.objects.filter(referral_code__iexact=referral_code.strip()).first()
        if referrer is None:
            raise UnknownReferralCode(referral_code)
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
        birthday_changed_at=timezone.now() if birthday else None,
        language=language,
        time_zone=time_zone,
        marketing_email_opt_in=marketing_email_opt_in,
        marketing_sms_opt_in=marketing_sms_opt_in,
        marketing_push_opt_in=marketing_push_opt_in,
        referred_by=referrer,
        joined_at=joined_at or timezone.now(),
        signup_address=signup_address_hash(signup_address) if referrer and signup_address else "",
    )
    if consent_source is not None:
        consents_given_record(member=member, source=consent_source, at=member.joined_at)
    member_enrolled(member)
    return member


def consents_given_record(*, member: Member, source: str, at) -> list[ConsentChange]:
    """The consents given on joining, in the member's consent history: the evidence of a
    box ticked at the till, in the API's call or in an imported file (the portal's sign-up
    records every box, ticked or not, itself)."""
    changes = [
        ConsentChange(member=member, kind=kind, granted=True, at=at, source=source)
        for kind, given in (
            (ConsentKind.MARKETING_EMAIL, member.marketing_email_opt_in),
            (ConsentKind.MARKETING_SMS, member.marketing_sms_opt_in),
            (ConsentKind.MARKETING_PUSH, member.marketing_push_opt_in),
        )
        if given
    ]
    return ConsentChange.objects.bulk_create(changes)


def member_claim_invite(*, member: Member) -> None:
    """Mail `member` an invitation to set a password (members.account_claim) once the caller's
    transaction commits: never for an enrolment that rolled back, nor before a worker can see
    the member. Robust: the enrolment stands even if the mail cannot be queued (the customer
    can still ask for a reset link on the sign-in page), so the till never shows an error for
    a member who was in fact enrolled."""
    transaction.on_commit(partial(account_claim_mail.delay, member.pk), robust=True)


# --- The member portal: sign-up, profile, consents, erasure -----------------------------------


def member_signup(
    *,
    user,
    first_name: str,
    birthday: Birthday | None = None,
    language: str = "en",
    marketing_email_opt_in: bool = False,
    marketing_sms_opt_in: bool = False,
    referral_code: str = "",
    signup_address: str = "",
) -> Member:
    """Enrol someone who signed up in the portal (or an existing account joining the program),
    recording the consent boxes as they were submitted: an unticked box is evidence too."""
    with transaction.atomic():
        if first_name and user.first_name != first_name:
            user.first_name = first_name
            user.save(update_fields=["first_name"])
        member = member_enrol(
            user=user,
            email=user.email,
            first_name=first_name,
            birthday=birthday,
            language=language,
            marketing_email_opt_in=marketing_email_opt_in,
            marketing_sms_opt_in=marketing_sms_opt_in,
            referral_code=referral_code,
            signup_address=signup_address,
            consent_source=None,  # every box is recorded below, ticked or not
        )
        now = timezone.now()
        ConsentChange.objects.bulk_create(
            [
                ConsentChange(
                    member=member,
                    kind=ConsentKind.MARKETING_EMAIL,
                    granted=marketing_email_opt_in,
                    at=now,
                    source=ConsentSource.SIGNUP,
                ),
                ConsentChange(
                    member=member,
                    kind=ConsentKind.MARKETING_SMS,
                    granted=marketing_sms_opt_in,
                    at=now,
                    source=ConsentSource.SIGNUP,
                ),
            ]
        )
        return member


def member_profile_update(
    *,
    member: Member,
    first_name: str,
    last_name: str = "",
    phone: str = "",
    birthday: Birthday | None = None,
    language: str,
    time_zone: str | None = None,
) -> Member:
    """Save what the member says about themselves. `time_zone`: an IANA name, blank for the
    program's, None to leave it as it is; UnknownTimeZone before anything is written."""
    fields = ["phone", "birth_day", "birth_month", "birth_year", "language"]
    if time_zone is not None:
        time_zone = time_zone_clean(time_zone)
        fields.append("time_zone")
    with transaction.atomic():
        user = member.user
        user.first_name = first_name
        user.last_name = last_name
        user.save(update_fields=["first_name", "last_name"])
        member.phone = phone
        moved = (birthday.day, birthday.month) if birthday else (None, None)
        if moved != (member.birth_day, member.birth_month):
            member.birthday_changed_at = timezone.now() if birthday else None
            fields.append("birthday_changed_at")
        member.birth_day = birthday.day if birthday else None
        member.birth_month = birthday.month if birthday else None
        member.birth_year = birthday.year if birthday else None
        member.language = language
        if time_zone is not None:
            member.time_zone = time_zone
        member.save(update_fields=fields)
        return member


# Each kind of consent and the Member field holding its current value.
CONSENT_FIELDS = {
    ConsentKind.MARKETING_EMAIL: "marketing_email_opt_in",
    ConsentKind.MARKETING_SMS: "marketing_sms_opt_in",
    ConsentKind.MARKETING_PUSH: "marketing_push_opt_in",
    ConsentKind.PROGRAM_NOTICES: "program_notices",
}


def member_consents_set(
    *,
    member: Member,
    marketing_email: bool | None = None,
    marketing_sms: bool | None = None,
    marketing_push: bool | None = None,
    program_notices: bool | None = None,
    source: str = ConsentSource.PROFILE,
    at: datetime | None = None,
) -> list[ConsentChange]:
    """Set the member's consents (None leaves one as it is: an unsubscribe link withdraws one
    kind only); a change, and only a change, is recorded with its time and source, so the
    history says exactly when each consent was given or withdrawn, and how."""
    at = at or timezone.now()
    wanted = {
        kind: granted
        for kind, granted in (
            (ConsentKind.MARKETING_EMAIL, marketing_email),
            (ConsentKind.MARKETING_SMS, marketing_sms),
            (ConsentKind.MARKETING_PUSH, marketing_push),
            (ConsentKind.PROGRAM_NOTICES, program_notices),
        )
        if granted is not None
    }
    with transaction.atomic():
        # Locked so that two tabs saving at once cannot record the same change twice.
        locked = Member.objects.select_for_update().get(pk=member.pk)
        changes = []
        for kind, granted in wanted.items():
            field = CONSENT_FIELDS[kind]
            if getattr(locked, field) == granted:
                continue
            setattr(locked, field, granted)
            setattr(member, field, granted)
            changes.append(
                ConsentChange(member=locked, kind=kind, granted=granted, at=at, source=source)
            )
        if changes:
            locked.save(update_fields=[CONSENT_FIELDS[change.kind] for change in changes])
            ConsentChange.objects.bulk_create(changes)
        return changes


def member_erase(*, member: Member) -> None:
    """Pseudonymise a member who deletes their account: the person is gone (email, names, phone,
    birthday, time zone, sign-in), the member row and its ledger stay, so every figure the shop
    reports (points issued, liability, purchases) is unchanged. Every consent is withdrawn,
    program notices included, and the withdrawal recorded. The caller logs the member out."""
    from allauth.account.models import EmailAddress

    with transaction.atomic():
        member_consents_set(
            member=member,
            marketing_email=False,
            marketing_sms=False,
            marketing_push=False,
            program_notices=False,
            source=ConsentSource.ERASURE,
        )
        User = get_user_model()
        user = User.objects.select_for_update().get(pk=member.user_id)
        # A random placeholder keeps the email unique; .invalid is reserved (RFC 2606), so no
        # mail can ever reach anyone through it.
        user.email = f"erased-{secrets.token_hex(12)}@invalid"
        user.first_name = ""
        user.last_name = ""
        user.is_active = False
        user.set_unusable_password()
        user.save(update_fields=["email", "first_name", "last_name", "is_active", "password"])
        EmailAddress.objects.filter(user=user).delete()
        member.phone = ""
        member.birth_day = None
        member.birth_month = None
        member.birth_year = None
        member.birthday_changed_at = None
        member.time_zone = ""
        member.signup_address = ""
        member.save(
            update_fields=[
                "phone",
                "birth_day",
                "birth_month",
                "birth_year",
                "birthday_changed_at",
                "time_zone",
                "signup_address",
            ]
        )
        member.user = user
        member_erased(member=member)
