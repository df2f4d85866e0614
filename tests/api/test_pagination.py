import pytest

pytestmark = pytest.mark.urls("tests.api.urls")

NUMBERS = "/api/v1/test/numbers/"


def test_list_is_paginated_with_count_and_links(api_client):
    body = api_client.get(NUMBERS).json()

    assert set(body) == {"count", "next", "previous", "results"}
    assert body["count"] == 2500
    assert body["results"] == list(range(50))
    assert body["previous"] is None
    assert "page=2" in body["next"]


def test_page_and_page_size_select_a_page(api_client):
    body = api_client.get(NUMBERS, {"page": 3, "page_size": 10}).json()

    assert body["results"] == list(range(20, 30))
    assert "page=2" in body["previous"]
    assert "page=4" in body["next"]


def test_page_size_is_capped_at_1000(api_client):
    body = api_client.get(NUMBERS, {"page_size": 5000}).json()
    assert len(body["results"]) == 1000


@pytest.mark.parametrize("page", ["99", "abc"])
def test_page_out_of_range_is_json_404(api_client, page):
    response = api_client.get(NUMBERS, {"page": page})
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.parametrize("page_size", ["null", "0", "-5", "abc", "1.5", "١٢", ""])
def test_page_size_that_is_not_a_whole_number_from_1_is_refused(api_client, page_size):
    response = api_client.get(NUMBERS, {"page_size": page_size})

    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert "page_size" in body["errors"]


def test_schema_declares_page_and_page_size_from_1(api_client):
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    parameters = schema["paths"]["/api/v1/members/"]["get"]["parameters"]
    by_name = {parameter["name"]: parameter["schema"] for parameter in parameters}
    assert by_name["page"]["minimum"] == 1
    assert by_name["page_size"]["minimum"] == 1
    assert "400" in schema["paths"]["/api/v1/members/"]["get"]["responses"]
