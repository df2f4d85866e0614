"""The vouchers page works offline like the card: the service worker knows it, the QR images it
shows and the page's frame; the page says from when it is once offline; signing out (or deleting
the account) tells the browser to forget what it saved."""

import pytest
from django.urls import reverse

from rewards.models import RewardKind
from rewards.services.redemption import reward_redeem
from tests.factories.rewards import RewardFactory
from tests.portal.conftest import login

pytestmark = pytest.mark.django_db


@pytest.fixture
def voucher(alice):
    reward = RewardFactory(code="ten", kind=RewardKind.FIXED_DISCOUNT, points_cost=100)
    return reward_redeem(member=alice, reward=reward).voucher


def test_the_service_worker_keeps_the_card_the_vouchers_and_their_qr_codes(client):
    body = client.get(reverse("members:service_worker")).content.decode()

    assert f'const CARD_URL = "{reverse("members:card")}"' in body
    assert f'const VOUCHERS_URL = "{reverse("members:vouchers")}"' in body
    assert 'const QR_PREFIX = "/api/v1/vouchers/"' in body
    assert 'const QR_SUFFIX = "/qr.svg"' in body
    assert f'"{reverse("shop_css")}"' in body  # the shop's colours, for the saved pages


def test_the_vouchers_page_is_private_and_says_from_when_it_is_once_offline(client, alice, voucher):
    client.cookies["django_language"] = "es"
    response = login(client, alice).get(reverse("members:vouchers"))

    page = response.content.decode()
    assert response["Cache-Control"] == "private, no-cache"
    assert "data-offline-note hidden>" in page
    # The time the page was drawn (NOW, 23 November 2026 10:00 UTC, in the program's zone).
    assert "sus vales tal como se cargaron por última vez, el 23 de noviembre de 2026" in page
    # The QR is loaded with the page (not lazily), so the worker saves it with the page.
    assert f'src="/api/v1/vouchers/{voucher.code}/qr.svg" width="168" height="168"\n' in page


def test_signing_out_tells_the_browser_to_forget_the_saved_pages(client, alice):
    login(client, alice)

    response = client.post(reverse("account_logout"))

    assert response.status_code == 302
    assert response["Clear-Site-Data"] == '"storage"'
    assert "_auth_user_id" not in client.session


def test_deleting_the_account_forgets_them_too(client, alice):
    response = login(client, alice).post(reverse("members:erase"), {"confirm": "on"})

    assert response.status_code == 302, response.content.decode()[:2000]
    assert response["Clear-Site-Data"] == '"storage"'
