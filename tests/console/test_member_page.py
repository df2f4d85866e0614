# ruff: noqa: RUF001 - the multiplication sign is what the explanation shows.
"""The member page: balances, movements with their explanations, vouchers, in few queries."""

import uuid

import pytest
from django.urls import reverse

from console.services import points_adjust_by_staff, purchase_record_by_staff
from tests.portal.conftest import add_history

pytestmark = pytest.mark.django_db


def test_member_page_shows_points_movements_explained_and_vouchers(
    client, manager, alice, alice_purchase, alice_voucher
):
    client.force_login(manager)

    response = client.get(reverse("staff:member", kwargs={"member_number": alice.member_number}))

    html = response.content.decode()
    assert response.status_code == 200
    assert alice.member_number in html
    assert "1 point per €1.00 spent: €40.00 ÷ €1.00 × 1 = 40" in html
    assert "Free coffee" in html
    assert alice_voucher.code in html
    assert "Refund" in html


def test_member_page_hides_actions_the_role_cannot_take(client, marketer, alice):
    client.force_login(marketer)
    html = client.get(
        reverse("staff:member", kwargs={"member_number": alice.member_number})
    ).content.decode()
    assert "Record a purchase" not in html
    assert "Adjust points" not in html


def test_unknown_member_number_is_404(client, cashier):
    client.force_login(cashier)
    assert (
        client.get(reverse("staff:member", kwargs={"member_number": "4000000000000"})).status_code
        == 404
    )


def test_member_page_costs_few_queries_whatever_the_history(
    client, manager, alice, alice_voucher, django_assert_max_num_queries
):
    from decimal import Decimal

    for _ in range(5):
        purchase_record_by_staff(
            member=alice,
            token=uuid.uuid4(),
            amount=Decimal("12.00"),
            channel="store",
            actor=manager,
        )
    points_adjust_by_staff(member=alice, points=5, reason="sorry", actor=manager)
    add_history(alice, 200)
    client.force_login(manager)
    url = reverse("staff:member", kwargs={"member_number": alice.member_number})

    with django_assert_max_num_queries(15):
        response = client.get(url)

    assert response.status_code == 200


def test_member_page_dates_a_purchase_when_made_on_the_program_clock(client, manager, alice):
    import datetime

    from loyalty.services.purchases import purchase_record
    from tests.factories.ledger import purchase_body

    # 23:30 UTC on 20 November is 00:30 on the 21st in Madrid (the program's zone, CET).
    late = datetime.datetime(2026, 11, 20, 23, 30, tzinfo=datetime.UTC)
    purchase_record(member=alice, **purchase_body(external_id="late-1", purchased_at=late))
    client.force_login(manager)

    html = client.get(
        reverse("staff:member", kwargs={"member_number": alice.member_number})
    ).content.decode()

    assert 'datetime="2026-11-21T00:30:00+01:00"' in html
