import re

import pytest
from openapi_spec_validator import validate

from config.api.schema import NON_BLANK_PATTERN


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


def _component_property(schema, component, name):
    return schema["components"]["schemas"][component]["properties"][name]


def _field_takes(field, value) -> bool:
    from rest_framework import serializers

    try:
        field.run_validation(value)
    except serializers.ValidationError:
        return False
    return True


BIRTH_DATES = [
    "1990-05-17",
    "--02-29",
    "--02-30",
    "--13-01",
    "--00-10",
    "1899-12-31",
    "1900-01-01",
    "1900-02-29",
    "2000-02-29",
    "2004-02-29",
    "2023-02-29",
    "2024-02-29",
    "1990-04-31",
    "1990-06-30",
    "1990-12-31",
    "1990-12-32",
    "0",
    "",
    " 1990-05-17",
    "1990-5-17",
    "19900517",
    "---05-17",
    "2999-01-01",
    "1990-05-17T00:00",
    "-1-05-17",
    "\u0661\u0669\u0669\u0660-\u0660\u0665-\u0661\u0667",  # 1990-05-17 in Arabic-Indic digits
]


@pytest.mark.parametrize("text", BIRTH_DATES)
def test_the_birth_date_pattern_takes_exactly_what_the_api_takes(schema, text):
    from loyalty.api.members import BirthDateField

    pattern = _component_property(schema, "MemberEnrolInputRequest", "birth_date")["pattern"]
    assert bool(re.search(pattern, text)) is _field_takes(BirthDateField(), text), text


def test_the_birth_date_pattern_reaches_this_year_and_no_further(schema):
    from django.utils import timezone

    pattern = _component_property(schema, "MemberEnrolInputRequest", "birth_date")["pattern"]
    year = timezone.localdate().year
    assert re.search(pattern, f"{year}-01-01")
    assert not re.search(pattern, f"{year + 1}-01-01")


AMOUNTS = [
    "54.90",
    "0.01",
    "0.001",
    "0",
    "0.00",
    "00.00",
    "1",
    "1.",
    ".5",
    "1.500",
    "1.50",
    "9999999999.99",
    "10000000000",
    "0001234567890.5",
    "-1",
    "+1",
    "1e5",
    " 1",
    "1 ",
    "",
    ".",
    "-",
    0,
    1,
    9999999999,
    10000000000,
    -1,
    1.5,
    True,
]


@pytest.mark.parametrize("value", AMOUNTS)
@pytest.mark.parametrize(
    ("component", "item", "name"),
    [
        ("PurchaseInputRequest", False, "amount"),
        ("ItemInputRequest", True, "quantity"),
        ("ItemInputRequest", True, "unit_price"),
    ],
)
def test_decimal_schemas_take_exactly_what_the_api_takes(schema, component, item, name, value):
    """The schema of a plain decimal accepts a value exactly when the field does."""
    from loyalty.api.purchases import ItemInput, PurchaseInput

    field = (ItemInput if item else PurchaseInput)().fields[name]
    declared = _component_property(schema, component, name)
    as_string, as_integer = declared["oneOf"]
    if type(value) is str:
        accepted = bool(re.search(as_string["pattern"], value))
    elif type(value) is int:
        accepted = as_integer["minimum"] <= value <= as_integer["maximum"]
    else:
        accepted = False
    assert accepted is _field_takes(field, value), value


def test_a_required_text_must_hold_more_than_spaces(schema):
    # DRF strips a CharField and refuses it blank: "\u000b" is refused as "" is.
    components = schema["components"]["schemas"]

    pattern = components["ConsumeInputRequest"]["properties"]["order_ref"]["pattern"]
    assert pattern == NON_BLANK_PATTERN
    assert components["PurchaseInputRequest"]["properties"]["external_id"]["pattern"] == pattern
    # Exactly what strip() leaves something of: every character Python strips, and those an
    # ECMAScript \s would take for space but Python keeps.
    for code in [*range(0x21), 0x7F, 0x85, 0xA0, 0x1680, *range(0x2000, 0x2030), 0x205F, 0x3000]:
        character = chr(code)
        assert bool(re.search(pattern, character)) is bool(character.strip()), hex(code)
    assert re.search(pattern, "\ufeff")  # ECMAScript's space, kept by strip()
    # A text that may be blank takes anything, and an email says its own shape.
    assert "pattern" not in components["MemberEnrolInputRequest"]["properties"]["first_name"]
    assert "pattern" not in components["MemberEnrolInputRequest"]["properties"]["email"]
