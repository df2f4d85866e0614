"""Purchases that cannot mint points (API.md Purchases; PROGRAM.md max_purchase_amount).

The example program (PROGRAM.md) refuses purchases above 2000.00 EUR. Every refusal writes
nothing: no purchase, no entry, no tier change, no balance."""

from datetime import UTC, datetime

import pytest
import time_machine

from loyalty.models import LedgerEntry, LoyaltyAccount, Purchase, TierChange
from loyalty.services.enrolment import member_join
from loyalty.services.program import program_import
from tests.api.test_purchases_api import URL, _frozen_clock, body  # noqa: F401 (autouse)
from tests.factories.loyalty import example_program_text

PREVIEW_URL = "/api/v1/purchases/preview/"


@pytest.fixture
def member(db):
    with time_machine.travel(datetime(2026, 1, 1, tzinfo=UTC), tick=False):
        program_import(text=example_with_limit(), note="example")
        return member_join(email="ana@example.com")


def example_with_limit() -> str:
    """PROGRAM.md's example with its optional max_purchase_amount."""
    return example_program_text().replace(
        "  expiry:\n", '  max_purchase_amount: "2000.00"\n  expiry:\n', 1
    )


def state(member) -> tuple:
    account = LoyaltyAccount.objects.filter(member=member).values_list(
        "available", "pending", "lifetime", "tier_code"
    )
    return (
        Purchase.objects.count(),
        list(LedgerEntry.objects.filter(member=member).values_list("pk", "points")),
        TierChange.objects.count(),
        list(account),
    )


def wine(quantity, unit_price):
    return {"sku": "VINO", "category": "wine", "quantity": quantity, "unit_price": unit_price}


def test_amount_above_the_program_limit_is_refused(api_client, member):
    before = state(member)

    response = api_client.post(URL, body(member, amount="9999999999.99", items=[]), format="json")

    assert response.status_code == 400
    answer = response.json()
    assert answer["code"] == "amount_above_limit"
    assert "2,000.00" in answer["detail"]
    assert state(member) == before


def test_amount_at_the_limit_is_recorded(api_client, member):
    response = api_client.post(URL, body(member, amount="2000.00", items=[]), format="json")

    assert response.status_code == 201, response.json()
    assert Purchase.objects.get().amount == 2000


def test_items_worth_more_than_the_amount_are_refused(api_client, member):
    before = state(member)

    # The category multiplier would have credited 15,330 points for 10 EUR.
    response = api_client.post(
        URL, body(member, amount="10.00", items=[wine(100, "50.00")]), format="json"
    )

    assert response.status_code == 400
    assert response.json()["code"] == "items_exceed_amount"
    assert state(member) == before


def test_items_worth_exactly_the_amount_are_recorded(api_client, member):
    items = [wine(2, "12.50"), {"sku": "QUESO", "quantity": "1", "unit_price": "29.90"}]

    response = api_client.post(URL, body(member, amount="54.90", items=items), format="json")

    assert response.status_code == 201, response.json()


@pytest.mark.parametrize("amount", ["0", "0.00", "-1.00", "-0.01"])
def test_amount_of_zero_or_less_is_refused_at_the_field(api_client, member, amount):
    before = state(member)

    response = api_client.post(URL, body(member, amount=amount, items=[]), format="json")

    assert response.status_code == 400
    assert "amount" in response.json()["errors"]
    assert state(member) == before


@pytest.mark.parametrize(
    "amount", ["1e5", "1E5", "1e+2", " 1e3", 1e5, 54.9, "NaN", "Infinity", "0x10", "1_000", "١٢"]
)
def test_amount_not_written_as_a_plain_decimal_is_refused(api_client, member, amount):
    before = state(member)

    response = api_client.post(URL, body(member, amount=amount, items=[]), format="json")

    assert response.status_code == 400, response.json()
    assert response.json()["code"] == "invalid"
    assert "amount" in response.json()["errors"]
    assert state(member) == before


@pytest.mark.parametrize("field", ["quantity", "unit_price"])
def test_item_numbers_with_an_exponent_are_refused(api_client, member, field):
    item = wine("1", "1.00") | {field: "1e2"}

    response = api_client.post(URL, body(member, amount="500.00", items=[item]), format="json")

    assert response.status_code == 400
    assert field in str(response.json()["errors"]["items"])  # the item's own field
    assert Purchase.objects.count() == 0


def test_more_than_500_items_are_refused(api_client, member):
    before = state(member)
    items = [wine(1, "0.10")] * 501

    response = api_client.post(URL, body(member, amount="100.00", items=items), format="json")

    assert response.status_code == 400
    assert "items" in response.json()["errors"]
    assert state(member) == before


def test_500_items_are_recorded(api_client, member):
    items = [wine(1, "0.10")] * 500

    response = api_client.post(URL, body(member, amount="100.00", items=items), format="json")

    assert response.status_code == 201, response.json()


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"amount": "2000.01", "items": []}, "amount_above_limit"),
        ({"amount": "10.00", "items": [wine(100, "50.00")]}, "items_exceed_amount"),
    ],
)
def test_preview_refuses_what_the_purchase_refuses(api_client, member, changes, code):
    response = api_client.post(PREVIEW_URL, body(member, **changes), format="json")

    assert response.status_code == 400
    assert response.json()["code"] == code


def test_refund_amount_with_an_exponent_is_refused(api_client, member):
    api_client.post(URL, body(member, amount="100.00", items=[]), format="json")

    response = api_client.post(
        f"{URL}store12-000981/refunds/", {"external_id": "r1", "amount": "1e1"}, format="json"
    )

    assert response.status_code == 400
    assert "amount" in response.json()["errors"]
    assert Purchase.objects.get().refunded_amount == 0


def test_program_endpoint_shows_the_purchase_limit(api_client, member):
    response = api_client.get("/api/v1/program/")

    assert response.status_code == 200
    assert response.json()["program"]["max_purchase_amount"] == "2000.00"
