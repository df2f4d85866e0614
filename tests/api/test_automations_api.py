"""The automation endpoints of API.md: every automation with its settings in force, one
automation, a change of any of them (and nothing else), refusals at their paths with nothing
changed, 404 for an unknown code, the scopes, and the schema that says so."""

import pytest

from campaigns.models import Automation, AutomationCode
from campaigns.selectors.automations import automation_get
from campaigns.services.automations import automation_update
from members.models import StaffAction
from tests.factories.api import ApiKeyFactory
from tests.factories.rewards import RewardFactory

pytestmark = pytest.mark.django_db

AUTOMATIONS = "/api/v1/automations/"


@pytest.fixture
def reader(client_for):
    return client_for(ApiKeyFactory(scopes=["campaigns:read"]))


@pytest.fixture
def writer(client_for):
    return client_for(ApiKeyFactory(scopes=["campaigns:write"]))


def test_every_automation_with_its_settings_in_force(api_client):
    response = api_client.get(AUTOMATIONS)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == len(AutomationCode.values)
    rows = {row["code"]: row for row in body["results"]}
    assert [row["code"] for row in body["results"]] == list(AutomationCode.values)
    assert {code: row["enabled"] for code, row in rows.items()} == {
        "welcome": True,
        "birthday": True,
        "referral": True,
        "tier_change": True,
        "points_expiring": True,
        "voucher_expiring": True,
        "monthly_statement": False,
        "win_back": False,
        "survey": False,
    }
    assert rows["welcome"] == {
        "code": "welcome",
        "enabled": True,
        "content": {},
        "offer": None,
        "delay_days": None,
        "messages": ["main"],
        "merge_fields": rows["welcome"]["merge_fields"],
    }
    assert rows["referral"]["messages"] == ["referrer", "referee"]
    assert rows["tier_change"]["messages"] == ["upgrade", "downgrade"]
    assert {"first_name", "gift_points", "friend_first_name"} <= set(
        rows["referral"]["merge_fields"]
    )
    assert "voucher_code" not in rows["welcome"]["merge_fields"]
    assert (rows["win_back"]["delay_days"], rows["survey"]["delay_days"]) == (90, 3)


def test_one_automation_and_an_unknown_code(api_client):
    one = api_client.get(AUTOMATIONS + "survey/")
    assert one.status_code == 200
    assert (one.json()["code"], one.json()["enabled"]) == ("survey", False)
    missing = api_client.get(AUTOMATIONS + "newsletter/")
    assert (missing.status_code, missing.json()["code"]) == (404, "not_found")
    patched = api_client.patch(AUTOMATIONS + "newsletter/", {"enabled": True}, format="json")
    assert (patched.status_code, patched.json()["code"]) == (404, "not_found")


def test_patch_turns_it_off_and_changes_nothing_else(api_client):
    automation_update(code="welcome", offer={"points": 50})
    response = api_client.patch(AUTOMATIONS + "welcome/", {"enabled": False}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["enabled"] is False
    assert response.json()["offer"] == {"points": 50}
    welcome = Automation.objects.get(code="welcome")
    assert (welcome.enabled, welcome.offer_points, welcome.updated_by) == (False, 50, None)
    # An API key is not a person: no staff action.
    assert not StaffAction.objects.exists()
    assert api_client.get(AUTOMATIONS + "welcome/").json() == response.json()


def test_patch_content_reward_and_delay(api_client):
    RewardFactory(code="coffee", points_cost=50)
    content = {
        "main": {"es": {"subject": "Le echamos de menos", "body": "Su código: {{ voucher_code }}"}}
    }
    response = api_client.patch(
        AUTOMATIONS + "win_back/",
        {"enabled": True, "content": content, "offer": {"reward": "coffee"}, "delay_days": 60},
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert (body["enabled"], body["content"], body["offer"], body["delay_days"]) == (
        True,
        content,
        {"reward": "coffee"},
        60,
    )
    assert "voucher_code" in body["merge_fields"]
    # Back to the default delay and no reward.
    reset = api_client.patch(
        AUTOMATIONS + "win_back/", {"delay_days": None, "offer": None}, format="json"
    )
    assert (reset.json()["delay_days"], reset.json()["offer"]) == (90, None)
    assert automation_get("win_back").delay_days is None


def test_a_referral_message_in_each_language(api_client):
    content = {
        "referee": {
            "fr": {"subject": "Merci {{ first_name }}", "body": "{{ gift_points }} points"},
        }
    }
    response = api_client.patch(AUTOMATIONS + "referral/", {"content": content}, format="json")
    assert response.status_code == 200, response.json()
    assert automation_get("referral").content == content


def test_refusals_are_at_their_paths_and_change_nothing(api_client):
    automation_get("tier_change")  # its row, made on first reading
    before = list(Automation.objects.values())
    response = api_client.patch(
        AUTOMATIONS + "tier_change/",
        {
            "enabled": "yes",
            "content": {
                "main": {"en": {"subject": "S", "body": "B"}},
                "upgrade": {"es": {"subject": "Hola", "body": "Hola {{ nombre }}"}},
            },
            "offer": {"points": 10},
            "delay_days": 5,
        },
        format="json",
    )
    assert response.status_code == 400
    answer = response.json()
    assert answer["code"] == "automation_invalid"
    assert answer["detail"] == "The automation is not valid: see the errors for each field."
    assert set(answer["errors"]) == {
        "enabled",
        "content.main",
        "content.upgrade.es.body",
        "offer",
        "delay_days",
    }
    assert "{{ nombre }}" in answer["errors"]["content.upgrade.es.body"][0]
    assert list(Automation.objects.values()) == before


@pytest.mark.parametrize(
    ("body", "path"),
    [
        ({"delay_days": 0}, "delay_days"),
        ({"delay_days": "30"}, "delay_days"),
        ({"offer": {"points": 0}}, "offer.points"),
        ({"offer": {"reward": "nothing"}}, "offer.reward"),
        ({"content": {"main": {"en": {"subject": "", "body": "B"}}}}, "content.main.en.subject"),
        ({"content": {"main": {"de": {"subject": "S", "body": "B"}}}}, "content.main.de"),
        ({"content": []}, "content"),
    ],
)
def test_each_refusal_names_its_path(api_client, body, path):
    response = api_client.patch(AUTOMATIONS + "win_back/", body, format="json")
    assert (response.status_code, response.json()["code"]) == (400, "automation_invalid")
    assert list(response.json()["errors"]) == [path]
    assert automation_get("win_back").delay_days is None


def test_reading_and_writing_need_their_scopes(reader, writer):
    assert reader.get(AUTOMATIONS).status_code == 200
    assert reader.get(AUTOMATIONS + "welcome/").status_code == 200
    refused = reader.patch(AUTOMATIONS + "welcome/", {"enabled": False}, format="json")
    assert (refused.status_code, refused.json()["code"]) == (403, "permission_denied")
    assert automation_get("welcome").enabled is True
    written = writer.patch(AUTOMATIONS + "welcome/", {"enabled": False}, format="json")
    assert written.status_code == 200
    assert writer.get(AUTOMATIONS).status_code == 403
    assert writer.get(AUTOMATIONS + "welcome/").status_code == 403
    assert automation_get("welcome").enabled is False


def test_an_idempotency_key_replays_the_first_answer(api_client):
    headers = {"Idempotency-Key": "automation-1"}
    first = api_client.patch(
        AUTOMATIONS + "survey/", {"enabled": True}, format="json", headers=headers
    )
    automation_update(code="survey", enabled=False)
    again = api_client.patch(
        AUTOMATIONS + "survey/", {"enabled": True}, format="json", headers=headers
    )
    assert again.json() == first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert automation_get("survey").enabled is False


def test_the_schema_documents_the_operations(anonymous_client):
    schema = anonymous_client.get("/api/schema/", {"format": "json"}).json()
    listed = schema["paths"]["/api/v1/automations/"]["get"]
    one = schema["paths"]["/api/v1/automations/{code}/"]
    assert "`campaigns:read`" in listed["description"]
    assert "`campaigns:read`" in one["get"]["description"]
    assert "`campaigns:write`" in one["patch"]["description"]
    assert "`automation_invalid`" in one["patch"]["responses"]["400"]["description"]
    assert set(one["patch"]["responses"]) >= {"200", "400", "401", "403", "404"}
    request = one["patch"]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    properties = schema["components"]["schemas"][request.rsplit("/", 1)[1]]["properties"]
    assert set(properties) == {"enabled", "content", "offer", "delay_days"}
    assert properties["enabled"]["type"] == "boolean"
    assert properties["delay_days"]["maximum"] == 3650
