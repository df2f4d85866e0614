import pytest

from members.models import Member
from members.numbers import member_number_is_valid
from members.services import Birthday, MemberExists, UnknownReferralCode, member_enrol


@pytest.mark.django_db
def test_enrol_creates_member_with_card_number_and_claimable_account():
    member = member_enrol(
        email="Ana@Example.com",
        first_name="Ana",
        birthday=Birthday(day=14, month=2),
        language="es",
    )
    assert member_number_is_valid(member.member_number)
    assert member.email == "ana@example.com"
    assert member.referral_code.startswith("ANA-")
    assert (member.birth_day, member.birth_month, member.birth_year) == (14, 2, None)
    assert member.user.has_usable_password() is False


@pytest.mark.django_db
def test_enrolling_a_known_email_is_refused_and_changes_nothing():
    member_enrol(email="ana@example.com")
    with pytest.raises(MemberExists):
        member_enrol(email="ANA@example.com", first_name="Other")
    assert Member.objects.count() == 1


@pytest.mark.django_db
def test_referral_code_links_the_referee_to_the_referrer():
    ana = member_enrol(email="ana@example.com", first_name="Ana")
    bob = member_enrol(email="bob@example.com", referral_code=ana.referral_code.lower())
    assert bob.referred_by == ana


@pytest.mark.django_db
def test_unknown_referral_code_is_refused_and_changes_nothing():
    with pytest.raises(UnknownReferralCode):
        member_enrol(email="bob@example.com", referral_code="NOPE-2345")
    assert Member.objects.count() == 0
