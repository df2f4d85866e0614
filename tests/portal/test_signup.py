"""Joining: the sign-up form enrols the member (bonus, consents, referral) with the account."""

import pytest
from django.conf import settings
from django.urls import reverse

from loyalty.models import LedgerEntry
from members.models import ConsentChange, Member
from members.services import signup_address_hash
from tests.conftest import PASSWORD
from tests.factories.members import StaffUserFactory, UserFactory
from tests.portal.conftest import login

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _empty_rate_limits():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


def sign_up(client, **overrides):
    data = {
        "email": "carmen@example.com",
        "password1": PASSWORD,
        "password2": PASSWORD,
        "first_name": "Carmen",
        "birth_day": "29",
        "birth_month": "2",
        "birth_year": "",
        "language": "es",
        "referral_code": "",
    }
    return client.post(reverse("account_signup"), data | overrides)


def test_signup_form_has_every_field_labelled_and_consents_unticked(client, program):
    page = client.get(reverse("account_signup")).content.decode()

    for name in (
        "email",
        "password1",
        "password2",
        "first_name",
        "birth_day",
        "birth_month",
        "birth_year",
        "language",
        "marketing_email_opt_in",
        "marketing_sms_opt_in",
        "referral_code",
    ):
        assert f'<label for="id_{name}">' in page, name
    assert 'name="marketing_email_opt_in"' in page
    assert "checked" not in page
    assert page.count("<h1") == 1


def test_signup_language_defaults_to_the_visitors_language(client, program):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"

    page = client.get(reverse("account_signup")).content.decode()

    assert '<option value="fr" selected>' in page


def test_share_link_prefills_the_referral_code(client, program, bob):
    page = client.get(reverse("account_signup") + f"?ref={bob.referral_code}").content.decode()

    assert f'value="{bob.referral_code}"' in page


def test_signup_enrols_the_member_with_the_bonus_and_the_consents_as_ticked(client, program):
    response = sign_up(client, marketing_sms_opt_in="on")

    assert response.status_code == 302
    member = Member.objects.get(user__email="carmen@example.com")
    assert member.user.first_name == "Carmen"
    assert (member.birth_day, member.birth_month, member.birth_year) == (29, 2, None)
    assert member.language == "es"
    assert not member.marketing_email_opt_in
    assert member.marketing_sms_opt_in
    assert list(LedgerEntry.objects.filter(member=member).values_list("kind", "points")) == [
        ("bonus", 100)
    ]
    history = set(ConsentChange.objects.filter(member=member).values_list("kind", "granted"))
    assert history == {("marketing_email", False), ("marketing_sms", True)}


def test_signup_with_a_friends_code_links_the_referral(client, program, bob):
    sign_up(client, referral_code=bob.referral_code.lower())

    carmen = Member.objects.get(user__email="carmen@example.com")
    assert carmen.referred_by == bob
    # The address it came from, kept only as a keyed hash, for the referral burst check.
    assert carmen.signup_address == signup_address_hash("127.0.0.1")
    assert "127.0.0.1" not in carmen.signup_address


def test_signup_without_a_code_keeps_no_address(client, program):
    sign_up(client)

    assert Member.objects.get(user__email="carmen@example.com").signup_address == ""


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"referral_code": "NOPE-0000"}, "referral_code"),
        ({"first_name": ""}, "first_name"),
        ({"birth_day": "31", "birth_month": "4"}, "birth_day"),
        ({"birth_day": "", "birth_month": "4"}, "birth_day"),
        ({"birth_day": "", "birth_month": "", "birth_year": "1990"}, "birth_year"),
    ],
)
def test_invalid_input_is_an_error_at_its_field_and_creates_nothing(
    client, program, overrides, field
):
    response = sign_up(client, **overrides)

    assert response.status_code == 200
    page = response.content.decode()
    assert f'id="id_{field}_error"' in page
    assert "aria-invalid" in page
    assert not Member.objects.exists()
    assert not UserFactory._meta.model.objects.filter(email="carmen@example.com").exists()


def test_account_without_membership_is_asked_to_join_and_can(client, program):
    staff = StaffUserFactory(email="staff@example.com", first_name="Sam")
    client.force_login(staff)

    response = client.get(reverse("members:home"))
    assert response.status_code == 302
    assert response["Location"] == reverse("members:join")

    page = client.get(reverse("members:join")).content.decode()
    assert 'value="Sam"' in page

    response = client.post(
        reverse("members:join"),
        {"first_name": "Sam", "birth_day": "", "birth_month": "", "language": "en"},
    )
    assert response.status_code == 302
    member = Member.objects.get(user=staff)
    assert LedgerEntry.objects.filter(member=member, kind="bonus").count() == 1
    assert client.get(reverse("members:home")).status_code == 200


def test_a_member_visiting_join_goes_home(client, alice):
    response = login(client, alice).get(reverse("members:join"))

    assert response.status_code == 302
    assert response["Location"] == reverse("members:home")
