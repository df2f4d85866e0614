"""The till cannot mint points: a plain amount above zero, lines within it, and the program's
limit, which only a manager may pass, confirming it, recorded as a staff action."""

import uuid
from decimal import Decimal

import pytest
from django.urls import reverse

from console.permissions import ActionNotAllowed
from console.services import purchase_record_by_staff
from loyalty.models import Purchase
from members.models import StaffAction
from tests.console.conftest import state
from tests.factories.ledger import program_version_create

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
NO_LINES = {"lines-TOTAL_FORMS": "3", "lines-INITIAL_FORMS": "0"}


@pytest.fixture
def program(db):
    return program_version_create(pending_days=0, max_purchase_amount="2000.00")


def _url(name, member):
    return reverse(name, kwargs={"member_number": member.member_number})


def _post(client, member, amount, *, headers=None, **fields):
    data = {"token": str(uuid.uuid4()), "amount": amount, "channel": "store", **NO_LINES}
    return client.post(_url("staff:purchase", member), data | fields, headers=headers)


def _wine_line(quantity: str, unit_price: str) -> dict:
    """The form's first line: wine, `quantity` at `unit_price`."""
    return {
        "lines-0-category": "wine",
        "lines-0-quantity": quantity,
        "lines-0-unit_price": unit_price,
    }


def test_cashier_is_refused_a_purchase_above_the_limit_at_the_amount(client, cashier, alice):
    client.force_login(cashier)
    before = state()

    response = _post(client, alice, "9999999999.99")

    assert response.status_code == 200
    errors = response.context["form"].errors["amount"]
    assert "above the program's limit of €2,000.00" in errors[0]
    page = response.content.decode()
    assert 'data-testid="ask-manager"' in page
    assert 'data-testid="confirm-above-limit"' not in page
    assert state() == before


def test_cashier_cannot_confirm_an_amount_above_the_limit(client, cashier, alice):
    client.force_login(cashier)
    before = state()

    response = _post(client, alice, "2500.00", confirm_above_limit="on")

    assert response.status_code == 200
    assert "amount" in response.context["form"].errors
    assert state() == before
    with pytest.raises(ActionNotAllowed):
        purchase_record_by_staff(
            member=alice,
            token=uuid.uuid4(),
            amount=Decimal("2500.00"),
            channel="store",
            actor=cashier,
            confirm_above_limit=True,
        )
    assert state() == before


def test_manager_records_an_amount_above_the_limit_after_confirming(client, manager, alice):
    client.force_login(manager)
    before = state()

    refused = _post(client, alice, "2500.00")
    assert 'data-testid="confirm-above-limit"' in refused.content.decode()
    assert state() == before

    response = _post(client, alice, "2500.00", confirm_above_limit="on")

    assert response.status_code == 302
    purchase = Purchase.objects.get(member=alice)
    assert purchase.amount == Decimal("2500.00")
    action = StaffAction.objects.get(key=f"purchase:{purchase.pk}")
    assert (action.kind, action.actor) == ("purchase_above_limit", manager)
    assert action.details["limit"] == "2000.00"


def test_a_confirmation_below_the_limit_records_a_plain_purchase(client, manager, alice):
    client.force_login(manager)

    _post(client, alice, "20.00", confirm_above_limit="on")

    assert StaffAction.objects.get().kind == "purchase"


def test_htmx_preview_says_why_and_offers_the_manager_the_confirmation(client, manager, alice):
    client.force_login(manager)
    data = {"token": str(uuid.uuid4()), "amount": "2500.00", "channel": "store", **NO_LINES}

    refused = client.post(_url("staff:purchase_preview", alice), data, **HTMX)
    confirmed = client.post(
        _url("staff:purchase_preview", alice), data | {"confirm_above_limit": "on"}, **HTMX
    )

    page = refused.content.decode()
    assert "above the program&#x27;s limit" in page
    assert 'data-testid="confirm-above-limit"' in page
    assert confirmed.context["preview"].points == 2550  # 1 per euro, +50 from 100
    assert 'name="confirm_above_limit" id="id_confirm_above_limit" checked' in (
        confirmed.content.decode()
    )
    assert not Purchase.objects.exists()


@pytest.mark.parametrize("amount", ["1e5", "1E+9", "0", "0.00", "-5", "NaN", "12.345"])
def test_amount_that_is_not_a_plain_positive_number_is_refused(client, cashier, alice, amount):
    client.force_login(cashier)
    before = state()

    response = _post(client, alice, amount)

    assert response.status_code == 200
    assert "amount" in response.context["form"].errors
    assert state() == before


def test_decimal_comma_is_read_as_the_decimal_point(client, cashier, alice):
    client.force_login(cashier)

    _post(client, alice, "54,90")

    assert Purchase.objects.get().amount == Decimal("54.90")


def test_lines_worth_more_than_the_amount_are_refused_at_the_amount(client, cashier, alice):
    client.force_login(cashier)
    before = state()
    response = _post(client, alice, "10.00", **_wine_line("100", "50.00"))

    assert "more than the amount" in response.context["form"].errors["amount"][0]
    assert state() == before


def test_line_quantity_with_an_exponent_is_refused(client, cashier, alice):
    client.force_login(cashier)
    before = state()
    response = _post(client, alice, "10.00", **_wine_line("1e3", "0.00"))

    assert "quantity" in response.context["lines"].forms[0].errors
    assert state() == before


def test_refusal_is_in_the_staff_members_language(client, cashier, alice):
    client.force_login(cashier)

    response = _post(client, alice, "2500.00", headers={"accept-language": "es"})

    message = response.context["form"].errors["amount"][0]
    assert message == (
        "2\xa0500,00\xa0€ supera el límite del programa de 2\xa0000,00\xa0€ por compra."
    )
