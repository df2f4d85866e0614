"""`/api/v1/webhooks/` (API.md, Webhooks), scope `webhooks:write`: register (the secret shown
once), list, read, delete, rotate; refusals are JSON with a code and change nothing."""

import uuid

import pytest
from rest_framework.test import APIClient

from tests.factories.api import ApiKeyFactory
from webhooks.models import Endpoint, EndpointSecret
from webhooks.services.endpoints import endpoint_signing_secrets

URL = "/api/v1/webhooks/"
HOOK = "http://127.0.0.1:9/hooks"


@pytest.fixture
def allowed(allow_private):
    return HOOK


def test_registering_answers_201_with_the_secret_once(api, allowed, staff_user, now):
    response = api.post(URL, {"url": HOOK, "events": ["tier.changed", "member.enrolled"]})

    assert response.status_code == 201, response.json()
    answer = response.json()
    endpoint = Endpoint.objects.get()
    assert answer == {
        "id": str(endpoint.public_id),
        "url": HOOK,
        "events": ["member.enrolled", "tier.changed"],  # API.md's order, each once
        "active": True,
        "disabled_at": None,
        "disabled_reason": None,
        "created_at": "2026-11-23T10:00:00Z",
        "secret": answer["secret"],
    }
    assert answer["secret"].startswith("whsec_")
    assert endpoint_signing_secrets(endpoint=endpoint, at=now) == [answer["secret"]]
    assert endpoint.owner == staff_user  # the key's creator, told if it is disabled

    shown = api.get(f"{URL}{endpoint.public_id}/").json()
    assert "secret" not in shown
    assert shown == {key: value for key, value in answer.items() if key != "secret"}
    listed = api.get(URL).json()
    assert listed["count"] == 1
    assert listed["results"] == [shown]


def test_the_same_idempotency_key_registers_once(api, allowed):
    body = {"url": HOOK, "events": ["member.enrolled"]}
    first = api.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    again = api.post(URL, body, format="json", HTTP_IDEMPOTENCY_KEY="k-1")

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert Endpoint.objects.count() == 1


def test_an_unknown_event_is_400_with_errors_and_writes_nothing(api, allowed):
    response = api.post(URL, {"url": HOOK, "events": ["member.enrolled", "order.shipped"]})

    assert response.status_code == 400
    answer = response.json()
    assert answer["code"] == "invalid"
    assert "events" in answer["errors"]
    assert not Endpoint.objects.exists()
    assert api.post(URL, {"url": HOOK, "events": []}, format="json").status_code == 400


@pytest.mark.parametrize(
    "url", ["https://127.0.0.1/hooks", "https://10.1.2.3/", "https://[::1]/", "http://localhost/"]
)
def test_a_private_url_is_400_url_not_allowed_and_writes_nothing(api, settings, url):
    settings.WEBHOOKS_ALLOW_PRIVATE = False
    response = api.post(URL, {"url": url, "events": ["member.enrolled"]}, format="json")

    assert response.status_code == 400
    answer = response.json()
    assert answer["code"] == "url_not_allowed"
    assert answer["detail"].startswith("This URL cannot receive webhooks:")
    assert answer["errors"]["url"] == [answer["detail"]]
    assert not Endpoint.objects.exists()


def test_deleting_stops_and_hides_the_endpoint(api, allowed):
    webhook_id = api.post(URL, {"url": HOOK, "events": ["member.enrolled"]}).json()["id"]

    assert api.delete(f"{URL}{webhook_id}/").status_code == 204

    missing = api.get(f"{URL}{webhook_id}/")
    assert missing.status_code == 404
    assert missing.json()["code"] == "webhook_not_found"
    assert api.get(URL).json()["count"] == 0
    assert api.delete(f"{URL}{webhook_id}/").status_code == 404
    assert Endpoint.objects.get().deleted_at is not None  # the log stays for staff


def test_rotating_answers_the_new_secret_and_the_old_one_signs_a_day_more(api, allowed, now):
    created = api.post(URL, {"url": HOOK, "events": ["member.enrolled"]}).json()

    response = api.post(f"{URL}{created['id']}/rotate/")

    assert response.status_code == 200
    rotated = response.json()
    assert rotated["secret"] not in (created["secret"], "")
    assert rotated["previous_secret_expires_at"] == "2026-11-24T10:00:00Z"
    endpoint = Endpoint.objects.get()
    assert endpoint_signing_secrets(endpoint=endpoint, at=now) == [
        rotated["secret"],
        created["secret"],
    ]


def test_an_unknown_id_is_404(api):
    response = api.get(f"{URL}{uuid.uuid4()}/")
    assert (response.status_code, response.json()["code"]) == (404, "webhook_not_found")
    assert api.post(f"{URL}{uuid.uuid4()}/rotate/").status_code == 404
    assert api.get(f"{URL}not-a-uuid/").status_code == 404


def test_the_scope_is_needed(db, allowed):
    without = APIClient()
    key = ApiKeyFactory(scopes=["members:read"])
    without.credentials(HTTP_AUTHORIZATION=f"Bearer {key.raw_key}")

    refused = without.post(URL, {"url": HOOK, "events": ["member.enrolled"]}, format="json")
    assert (refused.status_code, refused.json()["code"]) == (403, "permission_denied")
    assert without.get(URL).status_code == 403
    assert APIClient().get(URL).status_code == 401
    assert not Endpoint.objects.exists()
    assert not EndpointSecret.objects.exists()


def test_the_schema_describes_the_webhook_operations(db):
    schema = APIClient().get("/api/schema/", {"format": "json"}).json()
    create = schema["paths"]["/api/v1/webhooks/"]["post"]
    assert "`webhooks:write`" in create["description"]
    assert "`url_not_allowed`" in create["responses"]["400"]["description"]
    assert set(schema["paths"]["/api/v1/webhooks/{webhook_id}/"]) >= {"get", "delete"}
    assert "post" in schema["paths"]["/api/v1/webhooks/{webhook_id}/rotate/"]
    created = schema["components"]["schemas"]["WebhookCreatedOutput"]
    assert "secret" in created["required"]
