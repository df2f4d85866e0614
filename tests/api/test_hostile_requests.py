"""Hostile requests to the API answer JSON 4xx, never a 500 or an HTML page, and change nothing."""

import json

import pytest
from django.test import Client

from loyalty.models import LedgerEntry, Purchase
from loyalty.services.enrolment import member_join
from loyalty.services.program import program_import
from members.models import Member
from tests.factories.loyalty import example_program_text
from tests.factories.members import StaffUserFactory

PURCHASES = "/api/v1/purchases/"
MEMBERS = "/api/v1/members/"


@pytest.fixture
def member(db):
    program_import(text=example_program_text(), note="example")
    return member_join(email="ana@example.com")


def state():
    return (Member.objects.count(), Purchase.objects.count(), LedgerEntry.objects.count())


def purchase_body(member, **changes):
    return {
        "external_id": "till-1",
        "member_number": member.member_number,
        "amount": "10.00",
        "currency": "EUR",
        "purchased_at": "2026-01-02T10:00:00+01:00",
        "channel": "store",
        **changes,
    }


def assert_json_error(response, status: int, code: str | None = None):
    assert response.status_code == status, response.content[:300]
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["detail"]
    if code:
        assert body["code"] == code
    return body


# --- Size -------------------------------------------------------------------------------------


def test_body_over_the_size_limit_is_json_413_and_records_nothing(api_client, member, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    before = state()
    body = purchase_body(member, items=[{"sku": "x" * 90, "quantity": "1", "unit_price": "1"}] * 20)

    response = api_client.post(PURCHASES, data=json.dumps(body), content_type="application/json")

    assert_json_error(response, 413, "request_too_large")
    assert state() == before


def test_a_body_longer_than_its_declared_length_is_read_only_that_far(api_client, member, settings):
    # A client lying about the length cannot push more than it declared into memory: the rest
    # is never read, and what was read does not parse.
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    before = state()
    body = json.dumps(purchase_body(member, external_id="x" * 2000))

    response = api_client.post(
        PURCHASES, data=body, content_type="application/json", CONTENT_LENGTH="10"
    )

    assert_json_error(response, 400, "parse_error")
    assert state() == before


def test_form_body_over_the_limit_on_an_unknown_api_url_is_json(db, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    client = Client(enforce_csrf_checks=True)

    response = client.post("/api/v1/nothing/", {"a": "x" * 500})

    # The catch-all never reads the body, so it is the 404 rather than a CSRF page or a 500.
    assert_json_error(response, 404, "not_found")


# --- JSON for every /api/ URL and method ----------------------------------------------------------


@pytest.mark.parametrize("method", ["get", "post", "put", "patch", "delete", "options"])
@pytest.mark.parametrize("path", ["/api/v1/nothing/", "/api/v2/members/", "/api/v1/members"])
def test_every_method_on_an_unknown_or_slashless_api_url_is_json_404(api_client, db, method, path):
    response = getattr(api_client, method)(path)

    assert_json_error(response, 404, "not_found")


@pytest.mark.parametrize("path", ["/api/v1/nothing/", "/api/v1/members", "/api/v1/purchases"])
def test_post_with_a_session_cookie_and_no_csrf_token_is_json_not_the_csrf_page(db, path):
    # A signed-in staff browser posting to the API used to get Django's HTML "CSRF cookie not
    # set" page (the catch-all view was not CSRF-exempt).
    client = Client(enforce_csrf_checks=True)
    client.force_login(StaffUserFactory())
    before = state()

    response = client.post(path, data="{}", content_type="application/json")

    assert_json_error(response, 404, "not_found")
    assert state() == before


def test_csrf_failure_under_api_is_json(rf):
    from config.errors import csrf_failure

    response = csrf_failure(rf.post("/api/v1/members/"), reason="CSRF cookie not set.")

    assert response.status_code == 403
    assert json.loads(response.content)["code"] == "csrf_failed"


def test_csrf_failure_on_a_page_is_still_html(rf):
    from config.errors import csrf_failure

    response = csrf_failure(rf.post("/accounts/login/"), reason="CSRF cookie not set.")

    assert response.status_code == 403
    assert response["Content-Type"].startswith("text/html")


def test_bad_request_and_permission_denied_handlers_answer_json_under_api(rf):
    from django.core.exceptions import RequestDataTooBig

    from config.errors import bad_request, permission_denied

    assert json.loads(bad_request(rf.get("/api/v1/x/"), None).content)["code"] == "bad_request"
    too_big = bad_request(rf.post("/api/v1/x/"), RequestDataTooBig())
    assert too_big.status_code == 413
    assert json.loads(too_big.content)["code"] == "request_too_large"
    forbidden = permission_denied(rf.get("/api/v1/x/"), None)
    assert forbidden.status_code == 403
    assert json.loads(forbidden.content)["code"] == "permission_denied"


def test_disallowed_host_under_api_is_json_400(db):
    response = Client().get("/api/v1/ping/", HTTP_HOST="evil.example")

    assert_json_error(response, 400, "bad_request")


def test_wrong_method_on_a_known_url_is_json_405(api_client, db):
    assert_json_error(api_client.delete(PURCHASES), 405, "method_not_allowed")


# --- Text PostgreSQL cannot store --------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/members/?email=%00",
        "/api/v1/members/?email=ana%00@example.com",
        "/api/v1/members/?member_number=%00",
        "/api/v1/members/?phone=%00",
        "/api/v1/members/%00/",
        "/api/v1/members/%00/transactions/",
        "/api/v1/vouchers/%00/",
        "/api/v1/rewards/?page=%00",
    ],
)
def test_nul_in_a_query_or_path_is_json_400(api_client, member, url):
    assert_json_error(api_client.get(url), 400, "unstorable_characters")


@pytest.mark.parametrize(
    "changes",
    [
        {"external_id": "till\u00001"},
        {"external_id": "till\ud8001"},
        {"items": [{"sku": "\u0000", "quantity": "1", "unit_price": "1"}]},
        {"note\u0000": "x"},
    ],
    ids=["nul", "lone-surrogate", "nul-in-item", "nul-in-key"],
)
def test_unstorable_text_in_a_json_body_is_400_and_records_nothing(api_client, member, changes):
    before = state()
    body = json.dumps(purchase_body(member, **changes))  # ensure_ascii: "\u0000", "\ud800"

    response = api_client.post(PURCHASES, data=body, content_type="application/json")

    assert_json_error(response, 400, "unstorable_characters")
    assert state() == before


def test_a_surrogate_pair_is_an_ordinary_character(api_client, member):
    body = json.dumps({"email": "emoji@example.com", "first_name": "Ana \U0001f600"})
    assert "\\ud83d\\ude00" in body

    response = api_client.post(MEMBERS, data=body, content_type="application/json")

    assert response.status_code == 201, response.content
    assert Member.objects.get(user__email="emoji@example.com").user.first_name == "Ana \U0001f600"


def test_nul_in_the_idempotency_key_header_is_400_and_records_nothing(api_client, member):
    before = state()

    response = api_client.post(
        PURCHASES,
        data=json.dumps(purchase_body(member)),
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="key\x00one",
    )

    assert_json_error(response, 400, "unstorable_characters")
    assert state() == before


# --- Other bodies that used to be a 500 -----------------------------------------------------------


def test_json_nested_deeper_than_python_recurses_is_a_parse_error(api_client, member):
    before = state()
    body = '{"a":' * 100_000 + "1" + "}" * 100_000

    response = api_client.post(PURCHASES, data=body, content_type="application/json")

    assert_json_error(response, 400, "parse_error")
    assert state() == before


@pytest.mark.parametrize(
    "body",
    [b"\xff\xfe{}", b'{"a": 1e99999}', b"[]", b"1", b"null", b'"text"', b'{"a": NaN}'],
    ids=["invalid-utf8", "infinity", "list", "number", "null", "string", "nan"],
)
def test_bodies_that_are_not_a_json_object_are_4xx(api_client, member, body):
    before = state()

    response = api_client.post(PURCHASES, data=body, content_type="application/json")

    assert 400 <= response.status_code < 500, response.content[:200]
    assert response["Content-Type"] == "application/json"
    assert state() == before


def test_a_multipart_body_is_415_not_a_500(api_client, member):
    response = api_client.post(
        PURCHASES,
        data=b'--x\r\nContent-Disposition: form-data; name="a"\r\n\r\n',
        content_type="multipart/form-data; boundary=x",
    )

    assert_json_error(response, 415, "unsupported_media_type")


@pytest.mark.parametrize(
    "query", ["page=99999999999999999999999", "page_size=99999999999999999999"]
)
def test_huge_page_numbers_are_4xx_not_500(api_client, member, query):
    response = api_client.get(f"/api/v1/members/{member.member_number}/transactions/?{query}")

    assert response.status_code < 500
    assert response["Content-Type"] == "application/json"


def test_the_refusal_speaks_the_clients_language(api_client, member):
    response = api_client.get("/api/v1/members/?email=%00", HTTP_ACCEPT_LANGUAGE="es")

    body = assert_json_error(response, 400, "unstorable_characters")
    assert body["detail"].startswith("La petición contiene caracteres")


def test_the_size_refusal_speaks_the_clients_language(api_client, member, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    body = json.dumps(purchase_body(member, external_id="x" * 200))

    response = api_client.post(
        PURCHASES, data=body, content_type="application/json", HTTP_ACCEPT_LANGUAGE="fr"
    )

    assert assert_json_error(response, 413, "request_too_large")["detail"].startswith("Le corps")


@pytest.mark.parametrize(
    "moment", ["2024-01-01T12:99:00Z", "2024-13-01T10:00:00Z", "2024-02-30T10:00Z"]
)
@pytest.mark.parametrize("path", [PURCHASES, PURCHASES + "preview/"])
def test_a_well_formed_impossible_time_is_400_at_the_field(api_client, member, path, moment):
    """parse_datetime raises on these instead of answering None; it was a 500 (schemathesis)."""
    before = state()
    response = api_client.post(path, purchase_body(member, purchased_at=moment), format="json")
    assert response.status_code == 400
    assert "purchased_at" in response.json()["errors"]
    assert state() == before
