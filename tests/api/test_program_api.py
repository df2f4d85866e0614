import pytest

from loyalty.models import ProgramVersion
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


@pytest.mark.django_db
def test_program_shows_the_communications_settings(api_client):
    text = example_program_text().replace(
        "\ntiers:",
        "  communications:\n"
        '    quiet_hours: {from: "22:00", to: "08:30"}\n'
        "    frequency_cap: {messages: 2, days: 3}\n"
        "\ntiers:",
        1,
    )
    program_import(text=text, note="example")

    body = api_client.get(URL).json()

    assert body["program"]["communications"] == {
        "quiet_hours": {"from": "22:00", "to": "08:30"},
        "frequency_cap": {"messages": 2, "days": 3},
    }


@pytest.mark.django_db
def test_a_version_from_before_communications_shows_the_defaults(api_client):
    version = program_import(text=example_program_text(), note="example").version
    snapshot = dict(version.snapshot)
    snapshot["program"] = {k: v for k, v in snapshot["program"].items() if k != "communications"}
    ProgramVersion.objects.create(number=2, snapshot=snapshot, note="before communications")

    body = api_client.get(URL).json()

    assert body["version"] == 2
    assert body["program"]["communications"] == {
        "quiet_hours": {"from": "21:00", "to": "09:00"},
        "frequency_cap": {"messages": 1, "days": 2},
    }


@pytest.mark.django_db
def test_the_schema_describes_the_communications_exactly(anonymous_client):
    api_schema = anonymous_client.get("/api/schema/", {"format": "json"}).json()
    program = api_schema["components"]["schemas"]["ProgramSettingsOutput"]
    communications = api_schema["components"]["schemas"]["ProgramCommunications"]
    quiet_hours = api_schema["components"]["schemas"]["ProgramQuietHours"]
    cap = api_schema["components"]["schemas"]["ProgramFrequencyCap"]

    assert "communications" in program["required"]
    assert set(communications["required"]) == {"quiet_hours", "frequency_cap"}
    assert quiet_hours["properties"]["from"]["pattern"] == "^([01][0-9]|2[0-3]):[0-5][0-9]$"
    assert set(quiet_hours["required"]) == {"from", "to"}
    assert cap["properties"]["messages"] == {"type": "integer", "maximum": 100, "minimum": 1}
    assert cap["properties"]["days"] == {"type": "integer", "maximum": 365, "minimum": 1}


@pytest.mark.django_db
def test_program_shows_its_language_and_category_names(api_client):
    text = (
        example_program_text()
        .replace("  timezone: Europe/Madrid", "  timezone: Europe/Madrid\n  language: fr", 1)
        .replace(
            "\ntiers:", "\ncategories:\n  - {code: wine, name: {en: Wine, fr: Vin}}\n\ntiers:", 1
        )
    )
    program_import(text=text, note="example")

    body = api_client.get(URL).json()

    assert body["program"]["language"] == "fr"
    assert body["categories"] == [{"code": "wine", "name": {"en": "Wine", "fr": "Vin"}}]
