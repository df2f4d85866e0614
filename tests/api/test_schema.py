import re

import pytest
from openapi_spec_validator import validate


@pytest.fixture
def schema(anonymous_client, db):
    response = anonymous_client.get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


def test_schema_is_valid_openapi_3(schema):
    assert schema["openapi"].startswith("3.")
    validate(schema)


def test_schema_declares_bearer_auth_on_the_api(schema):
    assert schema["components"]["securitySchemes"]["ApiKeyAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "tsk_<prefix>_<secret>",
        "description": schema["components"]["securitySchemes"]["ApiKeyAuth"]["description"],
    }
    ping = schema["paths"]["/api/v1/ping/"]["get"]
    assert ping["security"] == [{"ApiKeyAuth": []}]
    assert set(ping["responses"]) >= {"200", "401", "429"}
    assert ping["responses"]["401"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ErrorResponse"
    }


@pytest.mark.usefixtures("plain_static_storage")
def test_docs_render_from_our_own_static_files(anonymous_client, db):
    response = anonymous_client.get("/api/docs/")

    assert response.status_code == 200
    page = response.content.decode()
    assert "swagger-ui" in page
    # Swagger UI's start script is a file of its own (no inline script under the CSP).
    assert "/api/schema/" in anonymous_client.get("/api/docs/", {"script": ""}).content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', page)
    assert sources
    assert all(not re.match(r"(https?:)?//", source) for source in sources), sources


@pytest.mark.urls("tests.api.urls")
def test_operations_document_their_scopes_and_error_answers(anonymous_client, db):
    schema = anonymous_client.get("/api/schema/", {"format": "json"}).json()
    validate(schema)
    read = schema["paths"]["/api/v1/test/purchases/"]["get"]
    write = schema["paths"]["/api/v1/test/purchases/"]["post"]

    assert "`members:read`" in read["description"]
    assert "`purchases:write`" in write["description"]
    # Every operation may answer 400: a query parameter, or characters that cannot be stored.
    assert set(read["responses"]) == {"200", "400", "401", "403", "429"}
    assert set(write["responses"]) == {"201", "400", "401", "403", "429"}
    assert write["responses"]["400"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ValidationErrorResponse"
    }
