"""Recording a purchase at the till: the preview first, one purchase per form."""

import uuid
from decimal import Decimal

import pytest
from django.urls import reverse

from console.services import purchase_record_by_staff
from loyalty.models import LedgerEntry, LoyaltyAccount, Purchase
from members.models import StaffAction

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
NO_LINES = {"lines-TOTAL_FORMS": "3", "lines-INITIAL_FORMS": "0"}


def _url(name, member):
    return reverse(name, kwargs={"member_number": member.member_number})


def test_preview_shows_the_points_and_saves_nothing(client, cashier, alice):
    client.force_login(cashier)
    before = LedgerEntry.objects.count()

    response = client.post(
        _url("staff:purchase_preview", alice),
        {"token": str(uuid.uuid4()), "amount": "120.00", "channel": "store", **NO_LINES},
        **HTMX,
    )

    # 1 point per euro, +50 from 100.00 (the test program).
    assert response.context["preview"].points == 170
    assert "This purchase earns 170 points." in response.content.decode()
    assert LedgerEntry.objects.count() == before
    assert not Purchase.objects.exists()


def test_preview_counts_the_lines(client, cashier, alice):
    client.force_login(cashier)
    lines = {
        "lines-TOTAL_FORMS": "3",
        "lines-INITIAL_FORMS": "0",
        "lines-0-category": "wine",
        "lines-0-quantity": "2",
        "lines-0-unit_price": "10.00",
    }
    response = client.post(
        _url("staff:purchase_preview", alice),
        {"token": str(uuid.uuid4()), "amount": "20.00", "channel": "store", **lines},
        **HTMX,
    )
    assert response.context["preview"].points == 22  # 20 per euro + 2 bottles


def test_purchase_form_shows_the_preview_then_records(client, cashier, alice):
    client.force_login(cashier)
    page = client.get(_url("staff:purchase", alice))
    token = page.context["form"].initial["token"]
    assert 'name="token"' in page.content.decode()
    body = {"token": str(token), "amount": "30.00", "channel": "store", **NO_LINES}

    previewed = client.post(_url("staff:purchase", alice), body | {"preview": "1"})
    assert previewed.status_code == 200
    assert previewed.context["preview"].points == 30
    assert not Purchase.objects.exists()

    saved = client.post(_url("staff:purchase", alice), body)

    assert saved.status_code == 302
    purchase = Purchase.objects.get()
    assert purchase.external_id == f"console-{token}"
    assert purchase.points == 30
    assert purchase.currency == "EUR"
    entry = LedgerEntry.objects.get(purchase=purchase)
    assert entry.actor == cashier
    assert StaffAction.objects.get(kind="purchase").actor == cashier


def test_double_submit_credits_once(client, cashier, alice):
    client.force_login(cashier)
    body = {"token": str(uuid.uuid4()), "amount": "30.00", "channel": "store", **NO_LINES}
    available = LoyaltyAccount.objects.get(member=alice).available

    first = client.post(_url("staff:purchase", alice), body)
    second = client.post(_url("staff:purchase", alice), body)

    assert first.status_code == second.status_code == 302
    assert Purchase.objects.count() == 1
    assert LoyaltyAccount.objects.get(member=alice).available == available + 30
    assert StaffAction.objects.filter(kind="purchase").count() == 1


def test_replay_with_a_later_time_is_the_same_sale(alice, cashier, time_machine):
    """A resubmit a second later differs only by its time: still one purchase."""
    from django.utils import timezone

    time_machine.move_to(timezone.now(), tick=False)
    token = uuid.uuid4()
    first, created = purchase_record_by_staff(
        member=alice, token=token, amount=Decimal("5.00"), channel="store", actor=cashier
    )
    time_machine.shift(2)
    again, created_again = purchase_record_by_staff(
        member=alice, token=token, amount=Decimal("5.00"), channel="store", actor=cashier
    )
    assert created
    assert not created_again
    assert again.pk == first.pk


def test_invalid_amount_is_shown_at_the_field(client, cashier, alice):
    client.force_login(cashier)
    response = client.post(
        _url("staff:purchase", alice),
        {"token": str(uuid.uuid4()), "amount": "-3", "channel": "store", **NO_LINES},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["amount"]
    assert not Purchase.objects.exists()


def test_a_line_without_sku_or_category_is_refused_at_the_field(client, cashier, alice):
    client.force_login(cashier)
    response = client.post(
        _url("staff:purchase", alice),
        {
            "token": str(uuid.uuid4()),
            "amount": "10.00",
            "channel": "store",
            "lines-TOTAL_FORMS": "1",
            "lines-INITIAL_FORMS": "0",
            "lines-0-quantity": "1",
        },
    )
    assert response.status_code == 200
    assert response.context["lines"].forms[0].errors["sku"]
    assert not Purchase.objects.exists()


def test_the_success_message_writes_points_as_the_page_does(client, cashier, alice):
    client.force_login(cashier)
    token = client.get(_url("staff:purchase", alice)).context["form"].initial["token"]
    body = {"token": str(token), "amount": "1234.50", "channel": "store", **NO_LINES}

    saved = client.post(_url("staff:purchase", alice), body, follow=True)

    points = Purchase.objects.get().points
    assert points >= 1000
    assert f"Purchase of €1,234.50 recorded: {points:,} points." in saved.content.decode()
