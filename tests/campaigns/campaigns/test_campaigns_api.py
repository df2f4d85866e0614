"""The campaign endpoints of API.md: a draft created with its counts, refusals at their path,
the schedule and the states with their 409 codes, the delivery log, and the scopes."""

import pytest
from rest_framework.test import APIClient

from campaigns.models import Delivery
from campaigns.services.campaigns import campaigns_start_due
from tests.campaigns.campaigns.conftest import CONTENT
from tests.factories.api import ApiKeyFactory

pytestmark = pytest.mark.django_db

CAMPAIGNS = "/api/v1/campaigns/"
BODY = {"code": "december", "name": "December", "segment": "everyone", "content": CONTENT}


@pytest.fixture
def api(db):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {ApiKeyFactory().raw_key}")
    return client


def test_create_then_read_with_counts(api, everyone):
    created = api.post(CAMPAIGNS, BODY, format="json")
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["state"] == "draft"
    assert body["segment"] == "everyone"
    assert body["offer"] is None
    assert body["counts"] == dict.fromkeys(
        ["queued", "holdout", "skipped", "sent", "failed", "unknown", "opened", "clicked"], 0
    )
    assert api.get(CAMPAIGNS + "december/").json() == body


def test_an_unknown_merge_field_segment_or_reward_is_refused_at_its_path(api, everyone):
    body = {
        **BODY,
        "segment": "nobody",
        "offer": {"reward": "nothing"},
        "content": {"es": {"subject": "Hola", "body": "Hola {{ nombre }}"}},
    }
    refused = api.post(CAMPAIGNS, body, format="json", headers={"accept-language": "es"})
    assert refused.status_code == 400
    answer = refused.json()
    assert answer["code"] == "campaign_invalid"
    assert set(answer["errors"]) == {"segment", "offer.reward", "content.es.body"}
    assert "{{ nombre }}" in answer["errors"]["content.es.body"][0]
    assert api.post(CAMPAIGNS, BODY, format="json").status_code == 201
    again = api.post(CAMPAIGNS, BODY, format="json")
    assert (again.status_code, again.json()["code"]) == (409, "campaign_exists")


def test_schedule_pause_resume_cancel_and_their_refusals(api, everyone, members, now):
    api.post(CAMPAIGNS, BODY, format="json")
    for action in ("pause", "resume"):
        refused = api.post(f"{CAMPAIGNS}december/{action}/")
        assert (refused.status_code, refused.json()["code"]) == (409, "campaign_state")
    scheduled = api.post(
        f"{CAMPAIGNS}december/schedule/", {"send_at": None, "local_time": "10:30"}, format="json"
    )
    assert scheduled.status_code == 200
    assert (scheduled.json()["state"], scheduled.json()["local_time"]) == ("scheduled", "10:30")
    again = api.post(f"{CAMPAIGNS}december/schedule/", {}, format="json")
    assert (again.status_code, again.json()["code"]) == (409, "campaign_not_draft")
    assert api.post(f"{CAMPAIGNS}december/pause/").json()["state"] == "paused"
    assert api.post(f"{CAMPAIGNS}december/resume/").json()["state"] == "scheduled"
    campaigns_start_due(at=now)
    sending = api.get(f"{CAMPAIGNS}december/").json()
    assert (sending["state"], sending["counts"]["queued"]) == ("sending", 3)
    assert api.post(f"{CAMPAIGNS}december/cancel/").json()["state"] == "cancelled"
    assert api.get(f"{CAMPAIGNS}december/").json()["counts"]["skipped"] == 3


def test_the_delivery_log_by_status(api, everyone, members, now):
    api.post(CAMPAIGNS, BODY, format="json")
    api.post(f"{CAMPAIGNS}december/schedule/", {}, format="json")
    campaigns_start_due(at=now)
    Delivery.objects.filter(member=members[0]).update(status="skipped", reason="no_consent")
    log = api.get(f"{CAMPAIGNS}december/deliveries/", {"status": "skipped"}).json()
    assert log["count"] == 1
    (row,) = log["results"]
    assert row == {
        "member_number": members[0].member_number,
        "status": "skipped",
        "reason": "no_consent",
        "sent_at": None,
    }
    assert api.get(f"{CAMPAIGNS}december/deliveries/").json()["count"] == 3
    refused = api.get(f"{CAMPAIGNS}december/deliveries/", {"status": "lost"})
    assert refused.status_code == 400


def test_unknown_campaign_is_404(api, everyone):
    missing = api.get(CAMPAIGNS + "nope/")
    assert (missing.status_code, missing.json()["code"]) == (404, "campaign_not_found")


def test_reading_and_writing_need_their_scopes(everyone):
    reader = APIClient()
    reader.credentials(
        HTTP_AUTHORIZATION=f"Bearer {ApiKeyFactory(scopes=['campaigns:read']).raw_key}"
    )
    refused = reader.post(CAMPAIGNS, BODY, format="json")
    assert refused.status_code == 403
    writer = APIClient()
    writer.credentials(
        HTTP_AUTHORIZATION=f"Bearer {ApiKeyFactory(scopes=['campaigns:write']).raw_key}"
    )
    assert writer.post(CAMPAIGNS, BODY, format="json").status_code == 201
    assert writer.get(CAMPAIGNS + "december/").status_code == 403
    assert reader.get(CAMPAIGNS + "december/").status_code == 200
