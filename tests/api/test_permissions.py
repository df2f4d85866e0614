import pytest

from tests.factories.api import ApiKeyFactory

pytestmark = pytest.mark.urls("tests.api.urls")

PURCHASES = "/api/v1/test/purchases/"


def test_key_with_the_scope_is_let_in(client_for, db):
    client = client_for(ApiKeyFactory(scopes=["members:read"]))
    assert client.get(PURCHASES).status_code == 200


def test_key_without_the_scope_is_403_naming_it(client_for, db):
    client = client_for(ApiKeyFactory(scopes=["members:read"]))

    response = client.post(PURCHASES, {"email": "a@example.com", "amount": "1.00"}, format="json")

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert "purchases:write" in response.json()["detail"]


def test_scopes_are_per_method(client_for, db):
    client = client_for(ApiKeyFactory(scopes=["purchases:write"]))

    assert client.get(PURCHASES).status_code == 403
    response = client.post(PURCHASES, {"email": "a@example.com", "amount": "1.00"}, format="json")
    assert response.status_code == 201


def test_key_made_without_scopes_has_every_scope(client_for, db):
    client = client_for(ApiKeyFactory(scopes=None))

    assert client.get(PURCHASES).status_code == 200
    assert client.get("/api/v1/test/numbers/").status_code == 200


def test_missing_key_is_401_before_any_scope_check(anonymous_client, db):
    response = anonymous_client.get(PURCHASES)
    assert response.status_code == 401
    assert response.json()["code"] == "not_authenticated"
