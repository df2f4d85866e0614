"""The catalog admin: validated like the program file; saving publishes a program version."""

import pytest
from django.urls import reverse

from loyalty.models import ProgramVersion
from rewards.models import Reward


@pytest.fixture
def admin_client(client, staff_user, program):
    staff_user.is_superuser = True
    staff_user.save()
    client.force_login(staff_user)
    return client


def _form(**overrides):
    form = {
        "code": "tote-bag",
        "kind": "free_product",
        "name_en": "A tote bag",
        "name_es": "Una bolsa",
        "name_fr": "",
        "description_en": "",
        "description_es": "",
        "description_fr": "",
        "points_cost": "300",
        "percent": "",
        "amount": "",
        "sku": "TOTE-1",
        "stock": "20",
        "min_tier": "",
        "per_member_limit": "",
        "available_from": "",
        "available_until": "",
        "voucher_valid_days": "60",
        "is_active": "on",
    }
    return form | overrides


def test_adding_a_reward_publishes_a_version_with_it(admin_client):
    response = admin_client.post(reverse("admin:rewards_reward_add"), _form())

    assert response.status_code == 302
    assert Reward.objects.get(code="tote-bag").stock == 20
    version = ProgramVersion.objects.order_by("-number").first()
    assert version.number == 2
    assert any("reward added: tote-bag" in change for change in version.changes)


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"min_tier": "platinum"}, "min_tier", "unknown tier 'platinum'"),
        ({"sku": ""}, "sku", "is required"),
        ({"percent": "20"}, None, "percent"),
        ({"available_from": "2026-12-10", "available_until": "2026-12-01"}, "available_until",
         "before available_from"),
        ({"amount": "1.005", "kind": "cashback", "sku": ""}, "amount", "decimal"),
    ],
)  # fmt: skip
def test_the_admin_refuses_what_the_file_would_refuse(admin_client, overrides, field, message):
    response = admin_client.post(reverse("admin:rewards_reward_add"), _form(**overrides))

    assert response.status_code == 200
    form = response.context["adminform"].form
    errors = [error for messages in form.errors.values() for error in messages]
    assert any(message in error for error in errors), form.errors
    if field is not None:
        assert field in form.errors
    assert not Reward.objects.filter(code="tote-bag").exists()
    assert ProgramVersion.objects.count() == 1


def test_rewards_cannot_be_deleted_only_deactivated(admin_client):
    reward = Reward.objects.get(code="ten-off")

    response = admin_client.post(reverse("admin:rewards_reward_delete", args=[reward.pk]))

    assert response.status_code == 403
    assert Reward.objects.filter(pk=reward.pk).exists()
