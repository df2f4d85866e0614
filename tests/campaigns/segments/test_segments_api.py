"""The segment endpoints of API.md: create with its count, refusals naming the rule, one segment
with its live count, its members with their RFM group, and the scopes."""

import datetime

import pytest
from django.utils import timezone

from campaigns.models import Segment
from tests.campaigns.segments.conftest import buy
from tests.factories.api import ApiKeyFactory
from tests.factories.ledger import MemberFactory, program_version_create

pytestmark = pytest.mark.django_db

SEGMENTS = "/api/v1/segments/"
LAPSED = {
    "code": "spanish-buyers",
    "name": {
        "en": "Spanish buyers",
        "es": "Compradores en español",
        "fr": "Acheteurs hispanophones",
    },
    "match": "all",
    "rules": [
        {"field": "language", "op": "eq", "value": "es"},
        {"field": "purchases", "op": "gte", "value": 1, "window_days": 30},
    ],
}


@pytest.fixture
def shoppers(db):
    program_version_create(pending_days=0, signup_bonus=False)
    ana = MemberFactory(first_name="Ana", language="es")
    buy(ana, timezone.now() - datetime.timedelta(days=2), "40.00")
    MemberFactory(first_name="Eva", language="es")
    MemberFactory(first_name="Tom", language="en")
    return ana


def post(client, body, **headers):
    return client.post(SEGMENTS, body, format="json", **headers)


def test_create_answers_the_segment_with_its_live_count(api_client, shoppers):
    response = post(api_client, LAPSED)

    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["code"] == "spanish-buyers"
    assert body["count"] == 1
    assert body["name"]["es"] == "Compradores en español"
    assert body["rules"] == LAPSED["rules"]
    assert Segment.objects.get().rules == LAPSED["rules"]


def test_a_bad_rule_is_refused_at_its_path_and_nothing_is_saved(api_client, shoppers):
    body = {**LAPSED, "rules": [*LAPSED["rules"], {"field": "tier", "op": "gte", "value": "x"}]}

    response = post(api_client, body, HTTP_ACCEPT_LANGUAGE="es")

    assert response.status_code == 400
    answer = response.json()
    assert answer["code"] == "segment_invalid"
    assert set(answer["errors"]) == {"rules.2.op"}
    assert "tier" in answer["errors"]["rules.2.op"][0]
    assert not Segment.objects.exists()


def test_a_name_without_english_and_a_bad_code_are_named(api_client, shoppers):
    response = post(api_client, {**LAPSED, "code": "Bad Code", "name": {"es": "Sólo"}})

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"code", "name.en"}
    assert not Segment.objects.exists()


def test_a_taken_code_is_409(api_client, shoppers):
    assert post(api_client, LAPSED).status_code == 201

    response = post(api_client, {**LAPSED, "match": "any"})

    assert response.status_code == 409
    assert response.json()["code"] == "segment_exists"
    assert Segment.objects.get().match == "all"


def test_one_segment_with_its_count_as_of_now(api_client, shoppers):
    post(api_client, LAPSED)
    MemberFactory(first_name="Later", language="es")
    response = api_client.get(f"{SEGMENTS}spanish-buyers/")
    assert response.status_code == 200
    assert response.json()["count"] == 1

    buy(
        MemberFactory(first_name="Buyer", language="es"),
        timezone.now() - datetime.timedelta(hours=1),
    )
    assert api_client.get(f"{SEGMENTS}spanish-buyers/").json()["count"] == 2


def test_the_list_and_an_unknown_segment(api_client, shoppers):
    post(api_client, LAPSED)
    listed = api_client.get(SEGMENTS).json()
    assert listed["count"] == 1
    assert listed["results"][0]["code"] == "spanish-buyers"

    response = api_client.get(f"{SEGMENTS}nope/")
    assert response.status_code == 404
    assert response.json()["code"] == "segment_not_found"


def test_members_are_paginated_with_their_rfm_group(api_client, shoppers):
    post(api_client, {**LAPSED, "code": "spanish", "rules": LAPSED["rules"][:1]})

    first = api_client.get(f"{SEGMENTS}spanish/members/?page_size=1").json()
    second = api_client.get(f"{SEGMENTS}spanish/members/?page_size=1&page=2").json()

    assert first["count"] == 2
    assert [m["first_name"] for m in first["results"] + second["results"]] == ["Ana", "Eva"]
    ana = first["results"][0]
    assert ana["member_number"] == shoppers.member_number
    # The only member scored: nobody is lower, so R = F = 1, and R = 1 is lost.
    assert ana["rfm_group"] == "lost"
    assert second["results"][0]["rfm_group"] == "inactive"
    assert ana["points"] == {"available": 40, "lifetime": 40}
    assert ana["tier"] == {"code": "bronze", "name": "Bronze"}


@pytest.mark.parametrize(
    ("scopes", "method", "status"),
    [
        (["segments:read"], "get", 200),
        (["campaigns:write"], "get", 403),
        (["segments:read"], "post", 403),
        (["campaigns:write"], "post", 201),
    ],
)
def test_reading_needs_segments_read_and_creating_campaigns_write(
    client_for, shoppers, scopes, method, status
):
    client = client_for(ApiKeyFactory(scopes=scopes))
    response = client.get(SEGMENTS) if method == "get" else post(client, LAPSED)
    assert response.status_code == status
    assert Segment.objects.exists() is (status == 201)
