"""Vouchers at the till (validate, then consume once) and enrolling a walk-in customer."""

import pytest
from django.urls import reverse
from django.utils import timezone

from members.models import ConsentChange, Member, StaffAction
from rewards.models import Voucher, VoucherStatus
from tests.console.conftest import state

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def test_validate_shows_what_the_voucher_grants_without_using_it(client, cashier, alice_voucher):
    client.force_login(cashier)
    typed = alice_voucher.code.lower()

    response = client.get(reverse("staff:voucher"), {"code": typed})

    html = response.content.decode()
    assert "Free coffee" in html
    assert "€5.00" in html
    assert "Can be used" in html
    assert Voucher.objects.get().status == VoucherStatus.ISSUED


def test_validate_as_you_type_answers_with_the_partial(client, cashier, alice_voucher):
    client.force_login(cashier)
    response = client.get(reverse("staff:voucher"), {"code": alice_voucher.code}, **HTMX)
    assert next(t.name for t in response.templates) == "console/_voucher.html"


def test_unknown_code_says_so(client, cashier, alice_voucher):
    client.force_login(cashier)
    response = client.get(reverse("staff:voucher"), {"code": "NOPE-NOPE"})
    assert "No voucher has this code." in response.content.decode()


def test_voucher_is_consumed_once(client, cashier, alice, alice_voucher):
    client.force_login(cashier)

    first = client.post(reverse("staff:voucher_consume"), {"code": alice_voucher.code})
    voucher = Voucher.objects.get()
    assert first.status_code == 302
    assert first.url == reverse("staff:member", kwargs={"member_number": alice.member_number})
    assert voucher.status == VoucherStatus.CONSUMED
    assert voucher.consumed_by == cashier
    before = state()

    second = client.post(
        reverse("staff:voucher_consume"), {"code": alice_voucher.code}, follow=True
    )

    assert "This voucher has already been used." in second.content.decode()
    assert state() == before
    assert StaffAction.objects.filter(kind="voucher_consume").count() == 1


@pytest.mark.parametrize(
    ("status", "said"),
    [
        (VoucherStatus.CONSUMED, "Do not accept it: this voucher was already used on"),
        (VoucherStatus.CANCELLED, "Do not accept it: this voucher was cancelled."),
    ],
)
def test_a_voucher_that_cannot_be_used_is_said_first_and_loud(
    client, cashier, alice_voucher, status, said
):
    Voucher.objects.filter(pk=alice_voucher.pk).update(
        status=status, consumed_at=timezone.now() if status == VoucherStatus.CONSUMED else None
    )
    client.force_login(cashier)

    html = client.get(reverse("staff:voucher"), {"code": alice_voucher.code}).content.decode()

    warning = html.index('data-testid="voucher-unusable"')
    assert html.index("<h2>") < warning < html.index('data-testid="voucher-status"')
    assert 'role="alert" data-testid="voucher-unusable">' + said in html
    assert "Consume voucher" not in html


def test_a_usable_voucher_has_no_warning(client, cashier, alice_voucher):
    client.force_login(cashier)
    html = client.get(reverse("staff:voucher"), {"code": alice_voucher.code}).content.decode()
    assert 'data-testid="voucher-unusable"' not in html


def test_walk_in_customer_is_enrolled_and_lands_on_their_page(client, cashier, program):
    client.force_login(cashier)
    response = client.post(
        reverse("staff:enrol"),
        {
            "email": "Walk.In@Example.com",
            "first_name": "Walker",
            "phone": "+33 6 12 34 56 78",
            "birth_day": "14",
            "birth_month": "7",
            "language": "fr",
            "marketing_email_opt_in": "on",
        },
    )
    member = Member.objects.get(user__email="walk.in@example.com")
    assert response.status_code == 302
    assert response.url == reverse("staff:member", kwargs={"member_number": member.member_number})
    assert (member.language, member.birth_month, member.phone) == ("fr", 7, "+33 6 12 34 56 78")
    assert not member.user.has_usable_password()
    consents = dict(ConsentChange.objects.filter(member=member).values_list("kind", "granted"))
    assert consents == {"marketing_email": True, "marketing_sms": False}
    assert set(ConsentChange.objects.values_list("source", flat=True)) == {"staff"}
    assert StaffAction.objects.get(kind="enrol").actor == cashier


def test_enrol_errors_are_shown_at_their_fields(client, cashier, alice):
    client.force_login(cashier)
    before = state()
    response = client.post(
        reverse("staff:enrol"),
        {
            "email": "not-an-email",
            "first_name": "",
            "language": "en",
            "birth_day": "31",
            "birth_month": "2",
        },
    )
    errors = response.context["form"].errors
    assert {"email", "first_name", "birth_day"} <= set(errors)
    assert state() == before

    response = client.post(
        reverse("staff:enrol"), {"email": "alice@example.com", "first_name": "A", "language": "en"}
    )
    assert "A member already has this email." in str(response.context["form"].errors["email"])
    assert response.context["existing"] == alice
    assert state() == before
