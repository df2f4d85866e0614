"""When a member's birthday was set or moved is kept (Member.birthday_changed_at): a birthday set
or changed less than 30 days before it counts from the next year (members.birthdays)."""

import datetime

import pytest
from django.utils import timezone

from members.models import Member
from members.services import Birthday, member_enrol, member_erase, member_profile_update

pytestmark = pytest.mark.django_db


def _update(member: Member, birthday: Birthday | None) -> Member:
    member_profile_update(
        member=member, first_name="Ana", birthday=birthday, language=member.language
    )
    return Member.objects.get(pk=member.pk)


def test_a_birthday_given_on_joining_is_dated_and_none_is_not():
    before = timezone.now()
    with_one = member_enrol(email="ana@example.com", birthday=Birthday(day=14, month=2))
    without = member_enrol(email="bea@example.com")
    assert with_one.birthday_changed_at >= before
    assert without.birthday_changed_at is None


def test_moving_the_day_or_month_dates_it_and_the_year_alone_does_not():
    member = member_enrol(email="ana@example.com", birthday=Birthday(day=14, month=2))
    long_ago = timezone.now() - datetime.timedelta(days=400)
    Member.objects.filter(pk=member.pk).update(birthday_changed_at=long_ago)
    member = Member.objects.get(pk=member.pk)

    # The year changes nothing about when the birthday falls.
    member = _update(member, Birthday(day=14, month=2, year=1990))
    assert member.birthday_changed_at == long_ago

    member = _update(member, Birthday(day=15, month=2, year=1990))
    moved = member.birthday_changed_at
    assert moved > long_ago

    Member.objects.filter(pk=member.pk).update(birthday_changed_at=long_ago)
    member = _update(Member.objects.get(pk=member.pk), Birthday(day=15, month=3, year=1990))
    assert member.birthday_changed_at > long_ago

    # Taken away: no birthday, no date.
    member = _update(member, None)
    assert (member.birth_day, member.birthday_changed_at) == (None, None)


def test_erasing_a_member_forgets_when_their_birthday_changed():
    member = member_enrol(email="ana@example.com", birthday=Birthday(day=14, month=2))
    member_erase(member=member)
    member = Member.objects.get(pk=member.pk)
    assert (member.birth_month, member.birthday_changed_at) == (None, None)
