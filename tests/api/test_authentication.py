from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from rest_framework.test import APIClient

from config.api.services import api_key_revoke
from tests.factories.api import ApiKeyFactory

PING = "/api/v1/ping/"


def assert_401(response, code):
    assert response.status_code == 401
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == code
    assert response.json()["detail"]
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_no_key_is_401_not_authenticated(anonymous_client, db):
    assert_401(anonymous_client.get(PING), "not_authenticated")


def test_other_auth_scheme_is_401_not_authenticated(anonymous_client, db):
    response = anonymous_client.get(PING, HTTP_AUTHORIZATION="Basic dXNlcjpwYXNz")
    assert_401(response, "not_authenticated")


@pytest.mark.parametrize(
    "header",
    [
        "Bearer",
        "Bearer one two",
        "Bearer not-a-key",
        "Bearer tsk_000000000000_" + "0" * 64,
    ],
)
def test_malformed_or_unknown_key_is_401_authentication_failed(anonymous_client, db, header):
    ApiKeyFactory()
    assert_401(anonymous_client.get(PING, HTTP_AUTHORIZATION=header), "authentication_failed")


def test_right_prefix_with_wrong_secret_is_401(anonymous_client, api_key):
    forged = api_key.raw_key[:-1] + ("0" if api_key.raw_key[-1] != "0" else "1")
    response = anonymous_client.get(PING, HTTP_AUTHORIZATION=f"Bearer {forged}")
    assert_401(response, "authentication_failed")
    assert "revoked" not in response.json()["detail"]


def test_revoked_key_is_401(api_client, api_key):
    api_key_revoke(api_key=api_key)
    response = api_client.get(PING)
    assert_401(response, "authentication_failed")
    assert "revoked" in response.json()["detail"]


def test_valid_key_pings_and_records_last_use(api_client, api_key):
    assert api_key.last_used_at is None

    response = api_client.get(PING)

    assert response.status_code == 200
    assert response.json() == {"ok": True, "key": api_key.name}
    api_key.refresh_from_db()
    assert api_key.last_used_at is not None
    assert timezone.now() - api_key.last_used_at < timedelta(seconds=5)


def test_keyword_is_case_insensitive(api_key, db):
    client = APIClient()
    response = client.get(PING, HTTP_AUTHORIZATION=f"bearer {api_key.raw_key}")
    assert response.status_code == 200


def test_last_use_is_written_at_most_once_a_minute(api_client, api_key):
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        api_client.get(PING)
        api_key.refresh_from_db()
        first = api_key.last_used_at

        traveller.shift(timedelta(seconds=30))
        api_client.get(PING)
        api_key.refresh_from_db()
        assert api_key.last_used_at == first

        traveller.shift(timedelta(seconds=31))
        api_client.get(PING)
        api_key.refresh_from_db()
        assert api_key.last_used_at == first + timedelta(seconds=61)
