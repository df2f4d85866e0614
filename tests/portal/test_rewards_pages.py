"""The rewards page: the catalog the member may see, affordable rewards marked, filters, and a
redemption confirmed in a second step, updating the balance in place; every refusal is
explained in the member's language and leaves everything as it was."""

import datetime
import re
from decimal import Decimal

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from loyalty.models import LedgerEntry, LoyaltyAccount
from rewards.models import Redemption, RewardKind, Voucher
from rewards.services.redemption import reward_redeem
from tests.factories.rewards import RewardFactory, points_give, tier_set
from tests.portal.conftest import login

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
CATALOG = HTMX | {"HTTP_HX_TARGET": "rewards-catalog"}


@pytest.fixture
def catalog(program):
    """Alice (bronze, 263 points available) may see the first three; not the last three."""
    return {
        "bottle": RewardFactory(
            code="bottle", kind=RewardKind.FREE_PRODUCT, amount=None, points_cost=120, sku="VINO"
        ),
        "credit": RewardFactory(
            code="credit", kind=RewardKind.CASHBACK, points_cost=250, per_member_limit=1
        ),
        "ten-off": RewardFactory(code="ten-off", amount=Decimal("10.00"), points_cost=1000),
        "gold-night": RewardFactory(
            code="gold-night", kind=RewardKind.EVENT, amount=None, points_cost=50, min_tier="gold"
        ),
        "over": RewardFactory(code="over", available_until=datetime.date(2026, 11, 1)),
        "sold-out": RewardFactory(code="sold-out", stock=0),
    }


def available(member) -> int:
    return LoyaltyAccount.objects.get(member=member).available


def state(member) -> tuple:
    return (
        available(member),
        LedgerEntry.objects.filter(member=member).count(),
        Redemption.objects.filter(member=member).count(),
        Voucher.objects.filter(redemption__member=member).count(),
    )


def confirm_token(client, code: str) -> str:
    page = client.get(reverse("members:redeem", args=[code])).content.decode()
    return re.search(r'name="token" value="([^"]+)"', page).group(1)


def test_the_catalog_shows_what_the_member_may_see_and_marks_what_they_can_afford(
    client, alice, catalog
):
    page = login(client, alice).get(reverse("members:rewards")).content.decode()

    for visible in ("bottle (en)", "credit (en)", "ten-off (en)"):
        assert visible in page
    for hidden in ("gold-night", "over (en)", "sold-out"):
        assert hidden not in page
    assert page.count("You can afford it") == 2
    assert "737 more points needed" in page  # ten-off costs 1,000; Alice has 263
    assert 'data-testid="available-points">263<' in page
    assert "A free product" in page
    assert "VINO" not in page  # members never read a SKU
    assert "€5.00 credit on your next purchase" in page


def test_a_higher_tier_sees_its_rewards(client, alice, catalog):
    tier_set(alice, "gold")

    page = login(client, alice).get(reverse("members:rewards")).content.decode()

    assert "gold-night (en)" in page


def test_filters_by_kind_and_by_what_the_member_can_afford(client, alice, catalog):
    client = login(client, alice)

    by_kind = client.get(reverse("members:rewards"), {"kind": "cashback"}).content.decode()
    affordable = client.get(reverse("members:rewards"), {"affordable": "1"}).content.decode()
    partial = client.get(reverse("members:rewards"), {"affordable": "1"}, **CATALOG)

    assert "credit (en)" in by_kind
    assert "bottle (en)" not in by_kind
    assert "bottle (en)" in affordable
    assert "ten-off (en)" not in affordable
    assert partial.content.decode().lstrip().startswith('<section id="rewards-catalog"')


def test_redeem_asks_for_confirmation_first_in_place_or_as_a_page(client, alice, catalog):
    client = login(client, alice)
    before = state(alice)

    page = client.get(reverse("members:redeem", args=["bottle"]))
    panel = client.get(reverse("members:redeem", args=["bottle"]), **HTMX)

    assert page.status_code == panel.status_code == 200
    assert "<html" in page.content.decode()
    panel_html = panel.content.decode()
    assert "<html" not in panel_html
    assert "Redeem this reward?" in panel_html
    assert "Reward: bottle (en)" in panel_html
    assert "120 points will be taken from your balance; 143 will be left." in panel_html
    assert 'name="token"' in panel_html
    assert "csrfmiddlewaretoken" in panel_html
    assert state(alice) == before


def test_confirming_redeems_and_sends_the_member_to_their_voucher(client, alice, catalog):
    client = login(client, alice)
    token = confirm_token(client, "bottle")

    response = client.post(reverse("members:redeem", args=["bottle"]), {"token": token})

    voucher = Voucher.objects.get(redemption__member=alice)
    assert response.status_code == 302
    assert response["Location"] == reverse("members:vouchers") + f"#voucher-{voucher.code}"
    assert available(alice) == 263 - 120


def test_redeeming_with_htmx_updates_the_catalog_and_the_balance_in_place(client, alice, catalog):
    client = login(client, alice)
    token = confirm_token(client, "credit")

    response = client.post(
        reverse("members:redeem", args=["credit"]), {"token": token, "affordable": "1"}, **HTMX
    )

    page = response.content.decode()
    voucher = Voucher.objects.get(redemption__member=alice)
    assert response.status_code == 200
    assert "Reward redeemed: credit (en)" in page
    assert "".join(voucher.code.split("-")) in re.sub(r"<[^>]+>", "", page)
    # The balance, swapped out of band, and the catalog redrawn with what is affordable now.
    assert 'id="points-balance" class="points-pill" hx-swap-oob="true"' in page
    assert 'data-testid="available-points">13<' in page
    assert "bottle (en)" not in page  # 120 > 13, and the "affordable only" filter is kept


def test_a_double_submit_redeems_once(client, alice, catalog):
    client = login(client, alice)
    token = confirm_token(client, "bottle")
    url = reverse("members:redeem", args=["bottle"])

    first = client.post(url, {"token": token}, **HTMX)
    second = client.post(url, {"token": token}, **HTMX)

    assert Redemption.objects.filter(member=alice).count() == 1
    assert available(alice) == 263 - 120
    code = Voucher.objects.get(redemption__member=alice).code
    # The repeat is answered with the first request's outcome.
    assert code.split("-")[0] in first.content.decode()
    assert code.split("-")[0] in second.content.decode()


def test_two_confirmations_redeem_twice_when_the_member_means_it(client, alice, catalog):
    client = login(client, alice)
    url = reverse("members:redeem", args=["bottle"])

    client.post(url, {"token": confirm_token(client, "bottle")})
    client.post(url, {"token": confirm_token(client, "bottle")})

    assert Redemption.objects.filter(member=alice).count() == 2


def test_a_refusal_is_explained_in_the_members_language_and_changes_nothing(client, alice, catalog):
    client = login(client, alice)
    token = confirm_token(client, "credit")
    # Meanwhile, another tab spent the points.
    reward_redeem(member=alice, reward=catalog["bottle"])
    before = state(alice)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"

    page = client.post(reverse("members:redeem", args=["credit"]), {"token": token})
    panel = client.post(reverse("members:redeem", args=["credit"]), {"token": token}, **HTMX)

    assert page.status_code == 409
    assert "Esta recompensa cuesta 250 puntos; tiene 143." in page.content.decode()
    assert panel.status_code == 200
    assert "Esta recompensa cuesta 250 puntos; tiene 143." in panel.content.decode()
    assert state(alice) == before


def test_the_per_member_limit_is_explained(client, alice, catalog):
    client = login(client, alice)
    url = reverse("members:redeem", args=["credit"])
    points_give(alice, 500)
    first, second = confirm_token(client, "credit"), confirm_token(client, "credit")
    client.post(url, {"token": first})
    before = state(alice)

    confirm = client.get(url, **HTMX).content.decode()
    stale = client.post(url, {"token": second}, **HTMX).content.decode()

    assert "You have already redeemed this reward the most times allowed (1)." in confirm
    assert 'name="token"' not in confirm
    assert "most times allowed (1)" in stale
    assert state(alice) == before


def test_a_form_without_a_valid_token_redeems_nothing(client, alice, bob, catalog):
    client = login(client, alice)
    url = reverse("members:redeem", args=["bottle"])
    before = state(alice)
    other_reward = confirm_token(client, "credit")

    missing = client.post(url, {})
    forged = client.post(url, {"token": "not-a-token"})
    wrong_reward = client.post(url, {"token": other_reward})

    assert missing.status_code == forged.status_code == wrong_reward.status_code == 400
    assert "This confirmation is no longer valid." in missing.content.decode()
    assert state(alice) == before


def test_a_token_is_the_members_own(client, alice, bob, catalog):
    points_give(bob, 500)
    alice_token = confirm_token(login(client, alice), "bottle")
    before = state(bob), state(alice)

    response = login(client, bob).post(
        reverse("members:redeem", args=["bottle"]), {"token": alice_token}
    )

    assert response.status_code == 400
    assert (state(bob), state(alice)) == before


def test_a_reward_the_member_may_not_see_has_no_confirmation_page(client, alice, catalog):
    client = login(client, alice)

    for code in ("gold-night", "over", "sold-out", "no-such-reward"):
        response = client.get(reverse("members:redeem", args=[code]))
        assert response.status_code == 404, code


def test_redeeming_a_reward_above_the_members_tier_is_refused_with_the_reason(
    client, alice, catalog
):
    tier_set(alice, "gold")
    client = login(client, alice)
    token = confirm_token(client, "gold-night")
    tier_set(alice, "bronze")
    before = state(alice)

    response = client.post(reverse("members:redeem", args=["gold-night"]), {"token": token})

    assert response.status_code == 409
    assert "This reward is for members of the Gold tier and above." in response.content.decode()
    assert state(alice) == before


def test_writes_are_post_only_and_need_the_csrf_token(alice, catalog):
    client = login(Client(enforce_csrf_checks=True), alice)
    before = state(alice)

    response = client.post(reverse("members:redeem", args=["bottle"]), {"token": "x"})

    assert response.status_code == 403
    assert state(alice) == before


def test_home_shows_the_rewards_the_member_can_afford_now(client, alice, catalog):
    page = login(client, alice).get(reverse("members:home")).content.decode()

    section = page[page.index("Rewards you can afford now") :]
    assert section.index("credit (en)") < section.index("bottle (en)")  # most valuable first
    assert "ten-off (en)" not in section
    assert reverse("members:redeem", args=["credit"]) in section


@pytest.mark.parametrize("htmx", [False, True])
def test_rewards_page_renders_within_ten_queries(
    client, alice, catalog, django_assert_max_num_queries, htmx
):
    points_give(alice, 100_000)
    for n in range(40):
        RewardFactory(points_cost=100 + n, per_member_limit=5)
    client = login(client, alice)
    for code in ("bottle", "credit"):
        client.post(reverse("members:redeem", args=[code]), {"token": confirm_token(client, code)})
    headers = CATALOG if htmx else {}

    with django_assert_max_num_queries(10):
        response = client.get(reverse("members:rewards"), **headers)
    with django_assert_max_num_queries(10):
        client.get(reverse("members:redeem", args=["bottle"]), **(HTMX if htmx else {}))

    assert response.status_code == 200
