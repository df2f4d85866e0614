import logging

import pytest

pytestmark = pytest.mark.urls("tests.api.urls")


def test_unknown_api_url_is_json_404(api_client):
    response = api_client.get("/api/v1/nothing-here/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"code": "not_found", "detail": "Not found."}


def test_unknown_url_outside_versions_is_json_404(anonymous_client, db):
    response = anonymous_client.get("/api/v2/members/")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_missing_trailing_slash_is_404_pointing_at_the_right_url(api_client):
    response = api_client.post("/api/v1/ping", {}, format="json")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert "/api/v1/ping/" in response.json()["detail"]


def test_http404_in_a_view_is_not_found(api_client):
    response = api_client.get("/api/v1/test/missing/")
    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "detail": "Not found."}


def test_django_permission_denied_is_json_403(api_client):
    response = api_client.get("/api/v1/test/forbidden/")
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


def test_unhandled_exception_is_json_500_without_details_and_is_logged(api_client, caplog):
    with caplog.at_level(logging.ERROR, logger="config.api"):
        response = api_client.get("/api/v1/test/boom/")

    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"code": "server_error", "detail": "Server error."}
    assert b"hunter2" not in response.content
    assert b"Traceback" not in response.content
    logged = [r for r in caplog.records if r.name == "config.api"]
    assert logged
    assert logged[0].exc_info[0] is RuntimeError


def test_validation_errors_list_messages_per_field(api_client):
    response = api_client.post(
        "/api/v1/test/purchases/", {"email": "not-an-email", "amount": "-1"}, format="json"
    )

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert body["detail"]
    assert set(body["errors"]) == {"email", "amount"}
    assert all(isinstance(m, str) for m in body["errors"]["amount"])


def test_object_level_validation_errors_are_non_field_errors(api_client):
    response = api_client.post(
        "/api/v1/test/purchases/", {"email": "a@blocked.example", "amount": "1"}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "non_field_errors": ["This shop does not accept that member."]
    }


def test_malformed_json_is_400_parse_error(api_client):
    response = api_client.post(
        "/api/v1/test/purchases/", data="{not json", content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["code"] == "parse_error"


def test_wrong_method_is_405(api_client):
    response = api_client.delete("/api/v1/ping/")
    assert response.status_code == 405
    assert response.json()["code"] == "method_not_allowed"


def test_domain_error_keeps_its_status_code_and_detail(api_client):
    response = api_client.post("/api/v1/test/redeem/", {}, format="json")
    assert response.status_code == 409
    assert response.json() == {"code": "insufficient_points", "detail": "Not enough points."}

    response = api_client.post("/api/v1/test/redeem/", {"custom": True}, format="json")
    assert response.json() == {"code": "insufficient_points", "detail": "Needs 200 more points."}
