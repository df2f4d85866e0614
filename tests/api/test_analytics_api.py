"""The analytics endpoints (API.md, Analytics): the figures as JSON with money and rates as
strings, the period checked, and the `analytics:read` scope. The figures themselves are checked
by hand in tests/analytics/test_figures.py and tests/campaigns/test_figures.py."""

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from campaigns.models import Campaign, Delivery
from loyalty.models import Purchase
from loyalty.selectors.program import program_version_latest
from loyalty.services.program import program_import
from tests.factories.api import ApiKeyFactory
from tests.factories.ledger import MemberFactory, ledger_program_text

pytestmark = pytest.mark.django_db

MADRID = ZoneInfo("Europe/Madrid")
SUMMARY = "/api/v1/analytics/summary/"
COHORTS = "/api/v1/analytics/cohorts/"


@pytest.fixture
def analyst(client_for):
    return client_for(ApiKeyFactory(scopes=["analytics:read"]))


@pytest.fixture
def shop():
    program_import(text=ledger_program_text(signup_bonus=False), note="api")
    ana = MemberFactory()
    for day, amount in [(3, "12.50"), (20, "7.50")]:
        Purchase.objects.create(
            external_id=f"p-{day}",
            member=ana,
            amount=Decimal(amount),
            currency="EUR",
            purchased_at=datetime.datetime(2026, 11, day, 12, tzinfo=MADRID),
            channel="store",
            fingerprint="x",
            program_version=program_version_latest(),
        )
    return ana


def test_the_summary_has_every_figure_with_money_and_rates_as_strings(analyst, shop):
    response = analyst.get(SUMMARY, {"from": "2026-11-01", "to": "2026-12-01"})

    assert response.status_code == 200
    body = response.json()
    assert body["revenue"] == "20.00"
    assert body["average_order_value"] == "10.00"
    assert body["purchases"] == 2
    assert body["active_members"] == 1
    assert body["repeat_rate"] == "1.0000"
    assert body["retention"] is None  # nobody bought in October
    assert body["breakage"] is None
    assert body["nps"] is None
    assert body["referral_funnel"]["sign_ups"] == 0
    for name in [
        "members",
        "new_members",
        "purchase_frequency",
        "historic_value",
        "points_issued",
        "points_redeemed",
        "points_expired",
        "redemption_rate",
        "outstanding_points",
        "liability",
        "liability_without_breakage",
        "tier_distribution",
        "tier_movements",
        "channel_mix",
    ]:
        assert name in body, name
    assert body["previous"]["from"] == "2026-10-02"
    assert body["previous"]["revenue"] == "0.00"


def test_cohorts(analyst, shop):
    response = analyst.get(COHORTS, {"from": "2026-11-01", "to": "2026-12-01"})

    assert response.json() == {
        "cohorts": [{"month": "2026-11", "size": 1, "retention": ["1.0000"]}]
    }


@pytest.mark.parametrize(
    ("query", "code", "field"),
    [
        ({"to": "2026-12-01"}, "invalid", "from"),
        ({"from": "2026-11-31", "to": "2026-12-01"}, "invalid", "from"),
        ({"from": "2026-12-01", "to": "2026-12-01"}, "invalid_period", "to"),
        ({"from": "2026-12-01", "to": "2026-11-01"}, "invalid_period", "to"),
        ({"from": "2000-01-01", "to": "2026-12-01"}, "invalid_period", "to"),
    ],
)
def test_a_bad_period_is_refused_at_its_field(analyst, shop, query, code, field):
    response = analyst.get(SUMMARY, query)

    assert response.status_code == 400
    assert response.json()["code"] == code
    assert list(response.json()["errors"]) == [field]


def test_campaign_results(analyst, shop):
    campaign = Campaign.objects.create(code="spring", name="Spring", state="done")
    Delivery.objects.create(
        campaign=campaign,
        member=shop,
        purpose="marketing",
        channel="email",
        status="sent",
        sent_at=datetime.datetime(2026, 11, 1, 12, tzinfo=MADRID),
    )

    body = analyst.get("/api/v1/analytics/campaigns/spring/").json()

    assert body["sent"] == 1
    assert body["recipients"]["conversion"] == "1.0000"  # bought on 3 November
    assert body["recipients"]["revenue"] == "12.50"
    assert body["has_holdout"] is False
    assert body["uplift"] is None
    missing = analyst.get("/api/v1/analytics/campaigns/nope/")
    assert (missing.status_code, missing.json()["code"]) == (404, "campaign_not_found")


def test_the_analytics_need_their_scope(client_for, shop):
    other = client_for(ApiKeyFactory(scopes=["campaigns:read"]))

    for url in [
        SUMMARY + "?from=2026-11-01&to=2026-12-01",
        COHORTS,
        "/api/v1/analytics/campaigns/x/",
    ]:
        response = other.get(url)
        assert (response.status_code, response.json()["code"]) == (403, "permission_denied")
