"""The rewards endpoints of API.md: catalog, redemptions, cancel, vouchers; scopes, errors,
Idempotency-Key, and the QR image."""

import datetime

import pytest

from rewards.models import Redemption, Reward, Voucher, VoucherStatus
from tests.factories.api import ApiKeyFactory
from tests.factories.rewards import RewardFactory, points_give, redemption_create, tier_set
from tests.rewards.conftest import available, state


def _redeem(client, member, reward_code, **headers):
    return client.post(
        "/api/v1/redemptions/",
        {"member_number": member.member_number, "reward": reward_code},
        format="json",
        **headers,
    )


# --- Catalog -----------------------------------------------------------------------------------


def test_the_catalog_lists_every_active_reward(api_client, program):
    response = api_client.get("/api/v1/rewards/")

    assert response.status_code == 200
    rewards = {item["code"]: item for item in response.json()["results"]}
    assert set(rewards) == {"free-bottle", "ten-off", "loyal20", "cashback-5", "tasting-dec"}
    assert rewards["tasting-dec"] == {
        "code": "tasting-dec",
        "name": "Members' tasting night",
        "kind": "event",
        "points_cost": 800,
        "stock_left": 30,
        "available_until": "2026-12-18",
        "min_tier": "gold",
    }
    assert rewards["cashback-5"]["stock_left"] is None


def test_for_a_member_it_lists_what_they_may_redeem_now_in_their_language(api_client, other_member):
    points_give(other_member, 1000)  # 1100: not loyal20 (silver, 2500) nor tasting (gold)
    RewardFactory(code="sold-out", stock=0, points_cost=1)

    response = api_client.get("/api/v1/rewards/", {"member_number": other_member.member_number})

    rewards = {item["code"]: item["name"] for item in response.json()["results"]}
    assert rewards == {
        "free-bottle": "Una botella de tinto de la casa",
        "cashback-5": "5 EUR de saldo",
        "ten-off": "10 EUR de descuento",
    }


def test_the_catalog_needs_program_read(client_for, program):
    key = ApiKeyFactory(scopes=["rewards:redeem"])

    assert client_for(key).get("/api/v1/rewards/").status_code == 403


def test_an_unknown_member_is_404(api_client, program):
    response = api_client.get("/api/v1/rewards/", {"member_number": "4000000000000"})

    assert (response.status_code, response.json()["code"]) == (404, "member_not_found")


# --- Redemptions ---------------------------------------------------------------------------------


def test_redeeming_answers_201_with_the_voucher(api_client, member, reward, now):
    points_give(member, 400)

    response = _redeem(api_client, member, "cashback-5")

    assert response.status_code == 201
    body = response.json()
    redemption = Redemption.objects.get()
    assert body["id"] == str(redemption.public_id)
    assert body["points_spent"] == 500
    assert body["voucher"]["code"] == redemption.voucher.code
    assert body["voucher"]["expires_at"] == "2027-03-05T10:00:00Z"
    assert body["voucher"]["qr_url"].endswith(f"/api/v1/vouchers/{redemption.voucher.code}/qr.svg")
    assert available(member) == 0


@pytest.mark.parametrize(
    ("setup", "reward_code", "code"),
    [
        (lambda m: None, "cashback-5", "insufficient_points"),
        (lambda m: points_give(m, 5000), "loyal20", "tier_required"),
        (lambda m: Reward.objects.filter(code="free-bottle").update(stock=0), "free-bottle",
         "out_of_stock"),
        (lambda m: Reward.objects.filter(code="free-bottle").update(is_active=False),
         "free-bottle", "not_available"),
    ],
)  # fmt: skip
def test_refusals_are_409_with_their_code_and_change_nothing(
    api_client, member, setup, reward_code, code
):
    setup(member)
    before = state(member)

    response = _redeem(api_client, member, reward_code)

    assert response.status_code == 409
    assert response.json()["code"] == code
    assert state(member) == before


def test_limit_reached_is_409_and_changes_nothing(api_client, member):
    points_give(member, 3000)
    for _ in range(3):
        assert _redeem(api_client, member, "ten-off").status_code == 201
    before = state(member)

    response = _redeem(api_client, member, "ten-off")

    assert (response.status_code, response.json()["code"]) == (409, "limit_reached")
    assert state(member) == before


def test_a_refusal_is_worded_in_the_members_language(api_client, other_member):
    tier_set(other_member, "bronze")

    response = _redeem(api_client, other_member, "loyal20")

    assert response.json()["code"] == "tier_required"
    assert "Plata" in response.json()["detail"]


def test_an_unknown_reward_or_member_is_404(api_client, member):
    assert _redeem(api_client, member, "nope").json()["code"] == "reward_not_found"
    response = api_client.post(
        "/api/v1/redemptions/",
        {"member_number": "4000000000000", "reward": "ten-off"},
        format="json",
    )
    assert response.json()["code"] == "member_not_found"


def test_the_same_idempotency_key_redeems_once(api_client, member, reward):
    points_give(member, 2000)

    first = _redeem(api_client, member, "cashback-5", HTTP_IDEMPOTENCY_KEY="k-1")
    again = _redeem(api_client, member, "cashback-5", HTTP_IDEMPOTENCY_KEY="k-1")

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert Redemption.objects.count() == 1
    assert available(member) == 1600


def test_redeeming_needs_rewards_redeem(client_for, member):
    key = ApiKeyFactory(scopes=["program:read", "vouchers:consume"])

    assert _redeem(client_for(key), member, "cashback-5").status_code == 403
    assert Redemption.objects.count() == 0


# --- Cancel --------------------------------------------------------------------------------------


def test_cancelling_answers_200_and_gives_the_points_back(api_client, member, reward):
    redemption = redemption_create(member, reward)
    assert available(member) == 100

    response = api_client.post(
        f"/api/v1/redemptions/{redemption.public_id}/cancel/", HTTP_IDEMPOTENCY_KEY="c-1"
    )

    assert response.status_code == 200
    assert response.json()["points_returned"] == 500
    assert response.json()["voucher"]["status"] == "cancelled"
    assert available(member) == 600


def test_cancelling_a_used_voucher_is_409_and_changes_nothing(api_client, member, reward):
    redemption = redemption_create(member, reward)
    Voucher.objects.filter(redemption=redemption).update(
        status=VoucherStatus.CONSUMED, consumed_at=redemption.created_at
    )
    before = state(member)

    response = api_client.post(f"/api/v1/redemptions/{redemption.public_id}/cancel/")

    assert (response.status_code, response.json()["code"]) == (409, "voucher_not_usable")
    assert state(member) == before


def test_a_redemption_is_only_found_by_its_public_id(api_client, member, reward):
    redemption = redemption_create(member, reward)

    response = api_client.post(f"/api/v1/redemptions/{redemption.pk}/cancel/")

    assert (response.status_code, response.json()["code"]) == (404, "redemption_not_found")


# --- Vouchers ------------------------------------------------------------------------------------


def test_validating_a_voucher_shows_its_status_and_what_it_grants(api_client, member):
    ten_off = Reward.objects.get(code="ten-off")
    voucher = redemption_create(member, ten_off).voucher

    response = api_client.get(f"/api/v1/vouchers/{voucher.code.lower()}/")

    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "issued"
    assert body["member_number"] == member.member_number
    assert body["grants"] == {
        "reward": "ten-off",
        "name": "10 EUR off",
        "kind": "fixed_discount",
        "percent": None,
        "amount": "10.00",
        "currency": "EUR",
        "sku": None,
    }


def test_an_expired_voucher_reads_expired(api_client, member, reward, time_machine, now):
    voucher = redemption_create(member, reward).voucher
    time_machine.move_to(now + datetime.timedelta(days=90), tick=False)

    assert api_client.get(f"/api/v1/vouchers/{voucher.code}/").json()["status"] == "expired"


def test_consuming_works_once_then_409(api_client, member, reward):
    voucher = redemption_create(member, reward).voucher
    url = f"/api/v1/vouchers/{voucher.code}/consume/"

    first = api_client.post(url, {"order_ref": "till-1"}, format="json")
    second = api_client.post(url, {"order_ref": "till-2"}, format="json")

    assert (first.status_code, first.json()["status"], first.json()["order_ref"]) == (
        200,
        "consumed",
        "till-1",
    )
    assert (second.status_code, second.json()["code"]) == (409, "voucher_not_usable")
    assert "already been used" in second.json()["detail"]


def test_consuming_needs_an_order_ref(api_client, member, reward):
    voucher = redemption_create(member, reward).voucher

    response = api_client.post(f"/api/v1/vouchers/{voucher.code}/consume/", {}, format="json")

    assert response.status_code == 400
    assert "order_ref" in response.json()["errors"]
    assert Voucher.objects.get().status == VoucherStatus.ISSUED


def test_vouchers_need_vouchers_consume(client_for, member, reward):
    voucher = redemption_create(member, reward).voucher
    client = client_for(ApiKeyFactory(scopes=["rewards:redeem", "program:read"]))

    assert client.get(f"/api/v1/vouchers/{voucher.code}/").status_code == 403
    assert (
        client.post(f"/api/v1/vouchers/{voucher.code}/consume/", {"order_ref": "x"}).status_code
        == 403
    )
    assert Voucher.objects.get().status == VoucherStatus.ISSUED


def test_an_unknown_voucher_is_404(api_client, db):
    response = api_client.get("/api/v1/vouchers/ABCD-EFGH-JKMN-PQ/")

    assert (response.status_code, response.json()["code"]) == (404, "voucher_not_found")


# --- QR ------------------------------------------------------------------------------------------


def test_the_qr_image_is_an_svg_of_the_code_without_any_key(anonymous_client, member, reward):
    voucher = redemption_create(member, reward).voucher

    response = anonymous_client.get(f"/api/v1/vouchers/{voucher.code}/qr.svg")

    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml"
    assert response.content.startswith(b"<svg")
    assert response["Referrer-Policy"] == "no-referrer"


def test_the_qr_url_of_an_unknown_code_shows_nothing(anonymous_client, db):
    response = anonymous_client.get("/api/v1/vouchers/ABCD-EFGH-JKMN-PQ/qr.svg")

    assert response.status_code == 404
    assert b"<svg" not in response.content


def test_the_schema_describes_the_rewards_endpoints(anonymous_client, db):
    paths = anonymous_client.get("/api/schema/", {"format": "json"}).json()["paths"]

    assert "409" in paths["/api/v1/redemptions/"]["post"]["responses"]
    assert "/api/v1/vouchers/{code}/consume/" in paths
    assert "/api/v1/redemptions/{redemption_id}/cancel/" in paths
    assert not any("qr.svg" in path for path in paths)
