import pytest

from loyalty.services.program import program_import
from tests.factories.api import ApiKeyFactory
from tests.factories.loyalty import example_program_text

URL = "/api/v1/program/"


@pytest.mark.django_db
def test_program_is_the_live_version_in_the_file_shape(api_client):
    program_import(text=example_program_text(), note="example")

    response = api_client.get(URL)

    assert response.status_code == 200
    body = response.json()
    assert body["version"] == 1
    assert body["program"]["currency"] == "EUR"
    assert body["program"]["pending_days"] == 14
    assert [tier["code"] for tier in body["tiers"]["levels"]] == ["bronze", "silver", "gold"]
    assert {rule["code"] for rule in body["rules"]} >= {"base", "bottle", "tuesdays", "welcome"}
    assert body["tiers"]["levels"][1]["multiplier"] == "1.25"


@pytest.mark.django_db
def test_program_needs_the_program_read_scope(client_for):
    program_import(text=example_program_text(), note="example")
    client = client_for(ApiKeyFactory(scopes=["members:read"]))

    response = client.get(URL)

    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"


@pytest.mark.django_db
def test_no_program_yet_is_a_json_404(api_client):
    response = api_client.get(URL)
    assert response.status_code == 404
    assert response.json()["code"] == "program_not_configured"
