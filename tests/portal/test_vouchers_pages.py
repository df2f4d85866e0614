"""My vouchers: each code large and grouped with its QR, status, expiry and what it grants;
an unused one can be cancelled (confirmed first) and the points come back, in place; refusals
are explained and change nothing. The data export carries the vouchers."""

import datetime
import json
import re

import pytest
from django.conf import settings
from django.urls import reverse

from loyalty.models import LedgerEntry, LoyaltyAccount
from rewards.models import RewardKind, Voucher, VoucherStatus
from rewards.services.redemption import reward_redeem
from rewards.services.vouchers import voucher_consume
from tests.factories.rewards import RewardFactory, points_give, redemption_create
from tests.portal.conftest import NOW, login

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def percent_reward(program):
    return RewardFactory(
        code="loyal20",
        kind=RewardKind.PERCENT_DISCOUNT,
        amount=None,
        percent=20,
        points_cost=200,
        name_es="20% en tu próxima compra",
        voucher_valid_days=30,
    )


@pytest.fixture
def voucher(alice, percent_reward):
    return reward_redeem(member=alice, reward=percent_reward).voucher  # Alice has 263


def available(member) -> int:
    return LoyaltyAccount.objects.get(member=member).available


def state(member) -> tuple:
    return (
        available(member),
        LedgerEntry.objects.filter(member=member).count(),
        list(Voucher.objects.filter(redemption__member=member).values_list("status", flat=True)),
    )


def test_a_voucher_shows_its_code_grouped_its_qr_status_expiry_and_grant(client, alice, voucher):
    page = login(client, alice).get(reverse("members:vouchers")).content.decode()

    groups = "".join(f"<span>{group}</span>" for group in voucher.code.split("-"))
    assert groups in page
    assert f'src="/api/v1/vouchers/{voucher.code}/qr.svg"' in page
    assert f'alt="QR code of voucher {voucher.code}"' in page
    assert "Ready to use" in page
    assert "20% off one purchase" in page
    assert "Valid until" in page
    assert "23 December 2026" in page  # 30 days after NOW
    assert 'data-testid="available-points">63<' in page


def test_vouchers_read_in_spanish_with_a_spanish_date(client, alice, voucher):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"

    page = login(client, alice).get(reverse("members:vouchers")).content.decode()

    assert "20% en tu próxima compra" in page
    assert "20\N{NO-BREAK SPACE}% de descuento en una compra" in page
    assert "23 de diciembre de 2026" in page


def test_used_expired_and_cancelled_vouchers_are_listed_apart(
    client, alice, percent_reward, time_machine
):
    used, cancelled, expired = (
        redemption_create(alice, percent_reward, points=200).voucher for _ in range(3)
    )
    voucher_consume(code=used.code, order_ref="till-1")
    login(client, alice).post(reverse("members:voucher_cancel", args=[cancelled.code]))
    Voucher.objects.filter(pk=expired.pk).update(expires_at=NOW + datetime.timedelta(hours=1))
    time_machine.move_to(NOW + datetime.timedelta(days=1), tick=False)

    page = client.get(reverse("members:vouchers")).content.decode()

    past = page[page.index("Used, expired or cancelled") :]
    assert "You have no voucher to use right now." in page
    for label in ("Used", "Cancelled", "Expired"):
        assert f'data-testid="voucher-status">{label}<' in past
    assert "qr.svg" not in page  # only a usable voucher offers its QR


def test_cancelling_is_confirmed_first_in_place_or_as_a_page(client, alice, voucher):
    client = login(client, alice)
    url = reverse("members:voucher_cancel", args=[voucher.code])
    before = state(alice)

    page = client.get(url)
    panel = client.get(url, **HTMX).content.decode()

    assert page.status_code == 200
    assert "<html" not in panel
    assert "200 points come back to your balance" in panel
    assert 'hx-post="' + url in panel
    assert state(alice) == before


def test_cancelling_gives_the_points_back_and_redirects_without_javascript(client, alice, voucher):
    response = login(client, alice).post(reverse("members:voucher_cancel", args=[voucher.code]))

    assert response.status_code == 302
    assert response["Location"] == reverse("members:vouchers")
    voucher.refresh_from_db()
    assert voucher.status == VoucherStatus.CANCELLED
    assert available(alice) == 263


def test_cancelling_with_htmx_updates_the_list_and_the_balance_in_place(client, alice, voucher):
    response = login(client, alice).post(
        reverse("members:voucher_cancel", args=[voucher.code]), **HTMX
    )

    page = response.content.decode()
    assert response.status_code == 200
    assert page.lstrip().startswith('<section id="vouchers"')
    assert "200 points are back in your balance" in page
    assert 'hx-swap-oob="true"' in page
    assert 'data-testid="available-points">263<' in page
    assert 'data-testid="voucher-status">Cancelled<' in page


def test_cancelling_twice_gives_the_points_back_once_and_says_why(client, alice, voucher):
    client = login(client, alice)
    url = reverse("members:voucher_cancel", args=[voucher.code])
    client.post(url, **HTMX)
    before = state(alice)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"

    again = client.post(url, **HTMX)
    plain = client.post(url)

    assert "Ce bon a été annulé." in again.content.decode()
    assert plain.status_code == 409
    assert state(alice) == before


def test_a_used_voucher_cannot_be_cancelled_and_the_member_is_told(client, alice, voucher):
    voucher_consume(code=voucher.code, order_ref="till-7")
    client = login(client, alice)
    url = reverse("members:voucher_cancel", args=[voucher.code])
    before = state(alice)

    confirm = client.get(url).content.decode()
    response = client.post(url)

    assert "This voucher has already been used." in confirm
    assert "Yes, cancel the voucher" not in confirm
    assert response.status_code == 409
    assert "This voucher has already been used." in response.content.decode()
    assert state(alice) == before


def test_another_members_voucher_is_not_found(client, alice, bob, voucher):
    client = login(client, bob)
    url = reverse("members:voucher_cancel", args=[voucher.code])
    before = state(alice)

    assert client.get(url).status_code == 404
    assert client.post(url).status_code == 404
    assert voucher.code not in client.get(reverse("members:vouchers")).content.decode()
    assert state(alice) == before


def test_the_code_may_be_typed_loosely(client, alice, voucher):
    loose = voucher.code.replace("-", "").lower()

    response = login(client, alice).get(reverse("members:voucher_cancel", args=[loose]))

    assert response.status_code == 200


def test_the_data_export_lists_the_vouchers(client, alice, voucher):
    response = login(client, alice).get(reverse("members:data_export"))

    data = json.loads(response.content)
    (exported,) = data["vouchers"]
    assert exported["code"] == voucher.code
    assert exported["status"] == "issued"
    assert exported["kind"] == "percent_discount"
    assert exported["percent"] == 20
    assert exported["points_spent"] == 200
    assert exported["expires_at"] == voucher.expires_at.isoformat()
    assert "consumed_by" not in exported


@pytest.mark.parametrize("htmx", [False, True])
def test_vouchers_pages_render_within_ten_queries(
    client, alice, percent_reward, django_assert_max_num_queries, htmx
):
    points_give(alice, 200 * 60)
    vouchers = [reward_redeem(member=alice, reward=percent_reward).voucher for _ in range(60)]
    for voucher in vouchers[:20]:
        voucher_consume(code=voucher.code, order_ref=f"till-{voucher.pk}")
    client = login(client, alice)
    headers = HTMX if htmx else {}
    url = reverse("members:voucher_cancel", args=[vouchers[-1].code])

    with django_assert_max_num_queries(10):
        page = client.get(reverse("members:vouchers"))
    with django_assert_max_num_queries(10):
        client.get(url, **headers)
    # Cancelling writes (locks, reversal entries): measured for the page it draws afterwards.
    with django_assert_max_num_queries(25):
        client.post(url, **headers)

    assert page.status_code == 200
    assert len(re.findall(r'data-testid="voucher-code"', page.content.decode())) == 40
