import re

import pytest
from rest_framework.test import APIClient

from config.api.models import ApiKey
from tests.factories.api import ApiKeyFactory
from tests.factories.members import StaffUserFactory

pytestmark = pytest.mark.usefixtures("plain_static_storage")

ADD = "/admin/api/apikey/add/"
CHANGELIST = "/admin/api/apikey/"
KEY = re.compile(r"tsk_[0-9a-f]{12}_[0-9a-f]{64}")


@pytest.fixture
def admin_client(client, db):
    client.force_login(StaffUserFactory(is_superuser=True))
    return client


def test_creating_a_key_shows_it_once(admin_client):
    response = admin_client.post(
        ADD, {"name": "Web shop", "scopes": ["members:read", "purchases:write"]}
    )

    assert response.status_code == 302
    next_page = admin_client.get(response.url).content.decode()
    shown = KEY.findall(next_page)
    assert len(shown) == 1
    raw = shown[0]
    api_key = ApiKey.objects.get()
    assert api_key.name == "Web shop"
    assert api_key.scopes == ["members:read", "purchases:write"]
    assert api_key.created_by.is_superuser
    assert api_key.key_hash != raw
    assert api_key.key_hash not in next_page

    # Once: neither that page again nor the key's own page carries it or its hash.
    for url in (response.url, f"{CHANGELIST}{api_key.pk}/change/"):
        page = admin_client.get(url).content.decode()
        assert raw not in page
        assert api_key.key_hash not in page
    page = admin_client.get(f"{CHANGELIST}{api_key.pk}/change/").content.decode()
    assert api_key.prefix in page

    ping = APIClient().get("/api/v1/ping/", HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert ping.status_code == 200


def test_add_form_needs_a_name_and_a_scope(admin_client):
    response = admin_client.post(ADD, {"name": "", "scopes": []})
    assert response.status_code == 200
    assert not ApiKey.objects.exists()


def test_list_shows_keys_without_hashes(admin_client):
    api_key = ApiKeyFactory(name="Till 4", scopes=["vouchers:consume"])

    page = admin_client.get(CHANGELIST).content.decode()

    assert "Till 4" in page
    assert api_key.prefix in page
    assert "vouchers:consume" in page
    assert api_key.key_hash not in page


def test_revoke_action_revokes_the_selected_keys(admin_client):
    chosen, kept = ApiKeyFactory(), ApiKeyFactory()

    admin_client.post(CHANGELIST, {"action": "revoke", "_selected_action": [chosen.pk]})

    chosen.refresh_from_db()
    kept.refresh_from_db()
    assert chosen.revoked_at is not None
    assert kept.revoked_at is None
    ping = APIClient().get("/api/v1/ping/", HTTP_AUTHORIZATION=f"Bearer {chosen.raw_key}")
    assert ping.status_code == 401


def test_keys_cannot_be_deleted_only_revoked(admin_client):
    api_key = ApiKeyFactory()
    response = admin_client.get(f"{CHANGELIST}{api_key.pk}/delete/")
    assert response.status_code == 403
    assert ApiKey.objects.filter(pk=api_key.pk).exists()
