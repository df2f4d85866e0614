"""Refunds by managers, adjustments with a reason and the cashier's limit."""

import uuid

import pytest
from django.urls import reverse

from console.permissions import ActionNotAllowed
from console.services import AdjustmentAboveLimit, points_adjust_by_staff
from loyalty.models import LedgerEntry, LoyaltyAccount, Refund
from loyalty.services.ledger import ReasonRequired
from members.models import StaffAction
from tests.console.conftest import state
from tests.factories.ledger import MemberFactory

pytestmark = pytest.mark.django_db


def _url(name, member):
    return reverse(name, kwargs={"member_number": member.member_number})


def _balance(member) -> int:
    return LoyaltyAccount.objects.get(member=member).available


def _refused(client, user, url, body, **headers) -> dict:
    """Post a form the console must refuse: the page comes back (200) and nothing changed.
    Returns the form's errors by field, for the test to say where the refusal is shown."""
    client.force_login(user)
    before = state()
    response = client.post(url, body, headers=headers)
    assert response.status_code == 200
    assert state() == before
    return response.context["form"].errors


def _refund(purchase, amount, reason=None) -> dict:
    body = {"token": str(uuid.uuid4()), "purchase": purchase.external_id, "amount": amount}
    return body if reason is None else {**body, "reason": reason}


def _adjust(points, reason) -> dict:
    return {"points": points, "reason": reason, "token": str(uuid.uuid4())}


def test_manager_refunds_half_and_the_points_go_back(client, manager, alice, alice_purchase):
    client.force_login(manager)
    before = _balance(alice)
    page = client.get(_url("staff:refund", alice), {"purchase": alice_purchase.external_id})
    assert page.context["form"]["purchase"].value() == alice_purchase.external_id
    body = {
        "token": str(uuid.uuid4()),
        "purchase": alice_purchase.external_id,
        "amount": "20.00",
        "reason": "returned one bottle",
    }

    response = client.post(_url("staff:refund", alice), body)
    again = client.post(_url("staff:refund", alice), body)

    assert response.status_code == again.status_code == 302
    refund = Refund.objects.get()
    assert refund.points_taken == 20
    assert refund.actor == manager
    assert _balance(alice) == before - 20
    action = StaffAction.objects.get(kind="refund")
    assert action.reason == "returned one bottle"


def test_refund_needs_a_reason_and_a_positive_amount(client, manager, alice, alice_purchase):
    errors = _refused(client, manager, _url("staff:refund", alice), _refund(alice_purchase, "0"))
    assert set(errors) == {"amount", "reason"}


def test_refund_above_what_is_left_is_refused_at_the_amount(client, manager, alice, alice_purchase):
    body = _refund(alice_purchase, "40.01", "too much")
    errors = _refused(client, manager, _url("staff:refund", alice), body)
    assert set(errors) == {"amount"}


def test_another_members_purchase_cannot_be_refunded_here(client, manager, alice, alice_purchase):
    bob = MemberFactory(email="bob@example.com")
    body = _refund(alice_purchase, "5.00", "wrong member")
    errors = _refused(client, manager, _url("staff:refund", bob), body)
    assert set(errors) == {"purchase"}


def test_cashier_cannot_refund(client, cashier, alice, alice_purchase):
    client.force_login(cashier)
    before = state()
    assert client.get(_url("staff:refund", alice)).status_code == 403
    response = client.post(
        _url("staff:refund", alice),
        {
            "token": str(uuid.uuid4()),
            "purchase": alice_purchase.external_id,
            "amount": "5.00",
            "reason": "x",
        },
    )
    assert response.status_code == 403
    assert state() == before


def test_adjust_requires_a_reason(client, cashier, alice):
    errors = _refused(client, cashier, _url("staff:adjust", alice), _adjust("10", "   "))
    assert set(errors) == {"reason"}
    before = state()
    with pytest.raises(ReasonRequired):
        points_adjust_by_staff(member=alice, points=10, reason=" ", actor=cashier)
    assert state() == before


def test_adjust_records_the_reason_and_the_actor(client, cashier, alice):
    client.force_login(cashier)
    before = _balance(alice)
    response = client.post(
        _url("staff:adjust", alice), {"points": "-30", "reason": "typo", "token": uuid.uuid4()}
    )
    assert response.status_code == 302
    entry = LedgerEntry.objects.filter(member=alice).latest("pk")
    assert (entry.points, entry.reason, entry.actor) == (-30, "typo", cashier)
    assert _balance(alice) == before - 30


@pytest.mark.parametrize("points", [101, -101, 10_000])
def test_cashier_cap_is_enforced_by_the_service(alice, cashier, points):
    before = state()
    with pytest.raises(AdjustmentAboveLimit) as refused:
        points_adjust_by_staff(member=alice, points=points, reason="big", actor=cashier)
    assert refused.value.limit == 100
    assert state() == before


def test_the_cap_is_a_setting(alice, cashier, settings):
    settings.STAFF_CASHIER_MAX_ADJUSTMENT = 500
    entry = points_adjust_by_staff(member=alice, points=500, reason="event", actor=cashier)
    assert entry.points == 500


def test_manager_adjusts_any_amount(alice, manager):
    entry = points_adjust_by_staff(member=alice, points=5000, reason="migration", actor=manager)
    assert entry.points == 5000


def test_adjusting_below_zero_is_refused_at_the_field(client, manager, alice):
    errors = _refused(client, manager, _url("staff:adjust", alice), _adjust("-99999", "x"))
    assert set(errors) == {"points"}


def test_adjusting_by_zero_is_refused_at_the_field_in_the_staff_language(client, cashier, alice):
    """The ledger refuses zero (AdjustmentZero); the form does not repeat the check, and the
    console shows the ledger's refusal at the points field, translated."""
    body = _adjust("0", "nothing")
    errors = _refused(client, cashier, _url("staff:adjust", alice), body)
    assert errors == {"points": ["Give a number of points other than zero."]}
    errors = _refused(client, cashier, _url("staff:adjust", alice), body, accept_language="es")
    assert errors == {"points": ["Indique un número de puntos distinto de cero."]}


def test_marketer_cannot_adjust_even_through_the_service(alice, marketer):
    before = state()
    with pytest.raises(ActionNotAllowed):
        points_adjust_by_staff(member=alice, points=1, reason="x", actor=marketer)
    assert state() == before


def test_an_adjustment_submitted_twice_adjusts_once(client, cashier, alice):
    """The form's token is a durable once row (config.once): a double click or a resent form
    records one adjustment and answers the repeat like the first."""
    client.force_login(cashier)
    before = _balance(alice)
    body = {"points": "25", "reason": "goodwill", "token": uuid.uuid4()}
    first = client.post(_url("staff:adjust", alice), body)
    again = client.post(_url("staff:adjust", alice), body)
    assert first.status_code == again.status_code == 302
    assert _balance(alice) == before + 25
    assert LedgerEntry.objects.filter(member=alice, reason="goodwill").count() == 1
    assert StaffAction.objects.filter(member=alice, kind="adjust").count() == 1


def test_refund_lists_purchases_by_date_channel_and_amount_in_the_pages_language(
    client, manager, alice, alice_purchase
):
    client.force_login(manager)
    page = client.get(
        _url("staff:refund", alice),
        {"purchase": alice_purchase.external_id},
        HTTP_ACCEPT_LANGUAGE="es",
    )
    (label,) = [text for _value, text in page.context["form"].fields["purchase"].choices]
    assert alice_purchase.external_id not in label
    assert "tienda" in label
    assert "40,00" in label
    assert "/" in label  # the Spanish short date, not 2026-12-01
    # What is left comes first: a phone's closed list shows only the beginning.
    assert label.startswith("quedan 40,00\N{NO-BREAK SPACE}€ de 40,00\N{NO-BREAK SPACE}€ · ")
