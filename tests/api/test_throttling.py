from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from tests.factories.api import ApiKeyFactory

PING = "/api/v1/ping/"
# Five seconds into a minute, so all requests of a test fall in one window.
START = datetime(2026, 11, 23, 10, 0, 5, tzinfo=UTC)


@pytest.fixture
def two_per_minute(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"api_key": "2/min"},
    }


@pytest.mark.usefixtures("two_per_minute")
def test_requests_over_the_rate_are_429_with_retry_after(api_client):
    with time_machine.travel(START, tick=False) as traveller:
        assert api_client.get(PING).status_code == 200
        assert api_client.get(PING).status_code == 200

        response = api_client.get(PING)

        assert response.status_code == 429
        assert response.json()["code"] == "throttled"
        assert response["Retry-After"] == "55"

        traveller.shift(timedelta(seconds=55))
        assert api_client.get(PING).status_code == 200


@pytest.mark.usefixtures("two_per_minute")
def test_each_key_has_its_own_allowance(api_client, client_for):
    with time_machine.travel(START, tick=False):
        for _ in range(3):
            api_client.get(PING)
        assert api_client.get(PING).status_code == 429

        other = client_for(ApiKeyFactory())
        assert other.get(PING).status_code == 200
