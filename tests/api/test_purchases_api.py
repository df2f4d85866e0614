from datetime import UTC, datetime

import pytest
import time_machine
from django.db import connection
from rest_framework.test import APIClient

from loyalty.models import LedgerEntry, Purchase
from loyalty.services.enrolment import member_join
from loyalty.services.program import program_import
from tests.concurrency import run_together
from tests.factories.api import ApiKeyFactory
from tests.factories.loyalty import example_program_text

URL = "/api/v1/purchases/"
NOW = datetime(2026, 12, 8, 12, 0, tzinfo=UTC)  # a Tuesday inside the example's promo window


@pytest.fixture(autouse=True)
def _frozen_clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def member(db):
    with time_machine.travel(datetime(2026, 1, 1, tzinfo=UTC), tick=False):
        program_import(text=example_program_text(), note="example")
        return member_join(email="ana@example.com")


def body(member, **changes):
    return {
        "external_id": "store12-000981",
        "member_number": member.member_number,
        "amount": "54.90",
        "currency": "EUR",
        "purchased_at": "2026-12-08T10:05:00+01:00",
        "channel": "store",
        "items": [
            {"sku": "VINO-TINTO-75", "category": "wine", "quantity": 2, "unit_price": "12.50"}
        ],
        **changes,
    }


def earned(member) -> int:
    return sum(e.points for e in LedgerEntry.objects.filter(member=member, kind="earn"))


@pytest.mark.django_db
def test_purchase_is_scored_and_pending(api_client, member):
    response = api_client.post(URL, body(member), format="json")

    assert response.status_code == 201, response.json()
    answer = response.json()
    # Bronze: (54.9 + 25 + 2) x 2 (Tuesday promo) x 1.0 = 163.8 -> 163
    assert answer["points"] == 163
    assert answer["status"] == "pending"
    assert answer["available_on"].startswith("2026-12-22")
    assert {part["code"] for part in answer["breakdown"] if part.get("code")} >= {
        "base", "wine_double", "bottle", "tuesdays",
    }  # fmt: skip
    assert earned(member) == 163


@pytest.mark.django_db
def test_same_external_id_and_body_replays_without_a_second_credit(api_client, member):
    first = api_client.post(URL, body(member), format="json")
    again = api_client.post(URL, body(member), format="json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert Purchase.objects.count() == 1
    assert earned(member) == 163


@pytest.mark.django_db
def test_same_external_id_with_another_body_is_409(api_client, member):
    api_client.post(URL, body(member), format="json")
    response = api_client.post(URL, body(member, amount="60.00"), format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "duplicate_external_id"
    assert earned(member) == 163


@pytest.mark.parametrize(
    ("changes", "status", "code"),
    [
        ({"member_number": "4000000000000"}, 404, "member_not_found"),
        ({"currency": "USD"}, 400, "currency_mismatch"),
        ({"purchased_at": "2026-12-08T12:06:00+00:00"}, 400, "purchased_at_in_future"),
        ({"amount": "-1.00"}, 400, "invalid"),
        ({"channel": "phone"}, 400, "invalid"),
        ({"purchased_at": "2026-12-08T10:05:00"}, 400, "invalid"),
    ],
)
@pytest.mark.django_db
def test_refused_purchases_change_nothing(api_client, member, changes, status, code):
    response = api_client.post(URL, body(member, **changes), format="json")
    assert response.status_code == status, response.json()
    assert response.json()["code"] == code
    if code == "invalid":  # API.md: validation errors name the field
        assert set(response.json()["errors"]) & {"amount", "channel", "purchased_at"}
    assert Purchase.objects.count() == 0
    assert earned(member) == 0


@pytest.mark.django_db
def test_preview_answers_the_points_and_writes_nothing(api_client, member):
    preview = api_client.post(f"{URL}preview/", body(member), format="json")
    assert preview.status_code == 200
    assert preview.json()["points"] == 163
    assert Purchase.objects.count() == 0


@pytest.mark.django_db
def test_full_refund_takes_back_everything(api_client, member):
    api_client.post(URL, body(member), format="json")
    refund = {"external_id": "r-1", "amount": "54.90"}
    response = api_client.post(f"{URL}store12-000981/refunds/", refund, format="json")
    again = api_client.post(f"{URL}store12-000981/refunds/", refund, format="json")

    assert response.status_code == 201, response.json()
    assert response.json()["points_taken"] == 163
    assert response.json()["purchase"]["points"] == 0
    assert again.status_code == 200
    assert earned(member) == 163
    assert sum(e.points for e in LedgerEntry.objects.filter(member=member)) == 100  # welcome


@pytest.mark.django_db
def test_refund_beyond_the_purchase_is_refused(api_client, member):
    api_client.post(URL, body(member), format="json")
    response = api_client.post(
        f"{URL}store12-000981/refunds/", {"external_id": "r-1", "amount": "60.00"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "refund_exceeds_purchase"
    assert not LedgerEntry.objects.filter(kind="refund").exists()


@pytest.mark.django_db
def test_refund_of_unknown_purchase_is_404(api_client, member):
    response = api_client.post(
        f"{URL}nope/refunds/", {"external_id": "r-1", "amount": "1.00"}, format="json"
    )
    assert response.status_code == 404
    assert response.json()["code"] == "purchase_not_found"


@pytest.mark.django_db
def test_purchases_need_the_purchases_write_scope(client_for, member):
    client = client_for(ApiKeyFactory(scopes=["members:read"]))
    assert client.post(URL, body(member), format="json").status_code == 403
    assert Purchase.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_twenty_simultaneous_posts_of_one_purchase_credit_it_once():
    if connection.vendor != "postgresql":
        pytest.skip("proven on PostgreSQL (make test)")
    with time_machine.travel(datetime(2026, 1, 1, tzinfo=UTC), tick=False):
        program_import(text=example_program_text(), note="example")
        ana = member_join(email="ana@example.com")
    key = ApiKeyFactory()

    def post(_index):
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {key.raw_key}")
        return client.post(URL, body(ana), format="json").status_code

    statuses = run_together(20, post)

    assert sorted(statuses) == [200] * 19 + [201]
    assert Purchase.objects.count() == 1
    assert earned(ana) == 163


@pytest.mark.django_db
def test_backdated_purchase_past_its_window_answers_the_same_on_replay(api_client, member):
    old = body(member, external_id="old-1", purchased_at="2026-11-01T10:00:00+00:00")
    first = api_client.post(URL, old, format="json").json()
    again = api_client.post(URL, old, format="json").json()
    assert first["status"] == "available"
    assert first["available_on"].startswith("2026-11-15")
    assert again == first
