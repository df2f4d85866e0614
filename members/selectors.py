"""Reads of members. The API and the staff console find members only through these."""

from django.db.models import QuerySet

from config.rows import row_get
from members.models import ConsentChange, Member
from members.numbers import member_number_clean


def member_list(*, email: str = "", phone: str = "", member_number: str = "") -> QuerySet[Member]:
    """Members by exact email (any case), phone as stored, or member number (as the card
    prints it too: "4 000772 897651")."""
    members = Member.objects.select_related("user", "loyalty_account").order_by("pk")
    if email:
        members = members.filter(user__email__iexact=email.strip())
    if phone:
        members = members.filter(phone=phone.strip())
    if member_number:
        members = members.filter(member_number=member_number_clean(member_number))
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
