"""Reads of members. The API and the staff console find members only through these."""

from django.db.models import QuerySet

from members.models import Member


def member_list(*, email: str = "", phone: str = "", member_number: str = "") -> QuerySet[Member]:
    members = Member.objects.select_related("user", "loyalty_account").order_by("pk")
    if email:
        members = members.filter(user__email__iexact=email.strip())
    if phone:
        members = members.filter(phone=phone.strip())
    if member_number:
        members = members.filter(member_number=member_number.strip())
    return members


def member_get(*, member_number: str) -> Member | None:
    return member_list(member_number=member_number).first()
