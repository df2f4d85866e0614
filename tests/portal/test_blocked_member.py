"""A blocked member in the portal: told on home, rewards and vouchers that the account is blocked
and to contact the shop (the staff's reason stays with staff); no redeem button; a redemption
tried anyway is refused with the message and writes nothing; cancelling a voucher still works.
Another member is unaffected."""

import re

import pytest
from django.urls import reverse

from console.services import member_block
from loyalty.models import LedgerEntry, LoyaltyAccount
from rewards.models import Redemption, Voucher
from tests.factories.members import StaffUserFactory
from tests.factories.rewards import RewardFactory, redemption_create
from tests.portal.conftest import login

pytestmark = pytest.mark.django_db
BLOCKED = 'data-testid="member-blocked"'


@pytest.fixture
def manager(db):
    return StaffUserFactory(is_superuser=True, email="boss@example.com")


@pytest.fixture
def bottle(program):
    return RewardFactory(code="bottle", points_cost=120, stock=4)


def _block(member, manager):
    member_block(member=member, reason="internal: chargeback 42", actor=manager)


def _written():
    return (
        list(LoyaltyAccount.objects.order_by("pk").values_list("available", flat=True)),
        LedgerEntry.objects.count(),
        Redemption.objects.count(),
        sorted(Voucher.objects.values_list("code", "status")),
    )


@pytest.mark.parametrize("page", ["members:home", "members:rewards", "members:vouchers"])
def test_blocked_member_is_told_and_the_reason_stays_with_staff(
    client, alice, manager, bottle, page
):
    _block(alice, manager)
    content = login(client, alice).get(reverse(page)).content.decode()
    assert BLOCKED in content
    assert "contact the shop" in content
    assert "chargeback" not in content


def test_no_redeem_button_for_a_blocked_member(client, alice, manager, bottle):
    login(client, alice)
    assert (
        reverse("members:redeem", args=["bottle"])
        in client.get(reverse("members:rewards")).content.decode()
    )
    _block(alice, manager)
    rewards = client.get(reverse("members:rewards")).content.decode()
    assert reverse("members:redeem", args=["bottle"]) not in rewards
    confirm = client.get(reverse("members:redeem", args=["bottle"])).content.decode()
    assert 'name="token"' not in confirm
    assert "Your account is blocked" in confirm


def test_redeeming_anyway_is_refused_with_the_message_and_writes_nothing(
    client, alice, manager, bottle
):
    login(client, alice)
    page = client.get(reverse("members:redeem", args=["bottle"])).content.decode()
    token = re.search(r'name="token" value="([^"]+)"', page).group(1)
    _block(alice, manager)
    before = _written()

    response = client.post(reverse("members:redeem", args=["bottle"]), {"token": token})

    assert response.status_code == 409
    assert "Your account is blocked" in response.content.decode()
    assert _written() == before
    bottle.refresh_from_db()
    assert bottle.stock == 4


def test_blocked_member_reads_it_in_spanish(client, bob, manager, bottle):
    _block(bob, manager)
    content = login(client, bob).get(reverse("members:home"), HTTP_ACCEPT_LANGUAGE="es")
    assert "Su cuenta está bloqueada" in content.content.decode()


def test_blocked_member_may_cancel_an_unused_voucher(client, alice, manager, bottle):
    voucher = redemption_create(alice, RewardFactory(code="pen", points_cost=10)).voucher
    _block(alice, manager)
    login(client, alice)
    response = client.post(reverse("members:voucher_cancel", args=[voucher.code]))
    assert response.status_code == 302
    assert Voucher.objects.get(pk=voucher.pk).status == "cancelled"


def test_other_member_is_not_affected(client, alice, bob, manager, bottle):
    _block(alice, manager)
    content = login(client, bob).get(reverse("members:home")).content.decode()
    assert BLOCKED not in content
