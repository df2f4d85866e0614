import pytest
from rest_framework.test import APIClient

from config.events.dispatch import consumer_dispatch
from config.events.registry import consumers
from tests.factories.api import ApiKeyFactory
from tests.ledger.conftest import member as member
from tests.ledger.conftest import now as now
from tests.ledger.conftest import program as program
from tests.webhooks.receiver import receiver_start, receiver_stop
from webhooks.catalog import EVENT_TYPES
from webhooks.services.endpoints import endpoint_register
from webhooks.services.sending import deliveries_send


@pytest.fixture
def allow_private(settings):
    """Deliveries to this machine's receiver: WEBHOOKS_ALLOW_PRIVATE, as development has it."""
    settings.WEBHOOKS_ALLOW_PRIVATE = True


@pytest.fixture
def receiver():
    found = receiver_start()
    yield found
    receiver_stop(found)


@pytest.fixture
def registered(db, allow_private, receiver, staff_user):
    """An endpoint at the receiver for every event, owned by a staff user (with its secret)."""
    return endpoint_register(url=receiver.url, events=EVENT_TYPES, owner=staff_user)


def webhooks_dispatch() -> int:
    """Hand the events not yet handed to the webhooks' consumer (in this process)."""
    [found] = [found for found in consumers() if found.name == "webhooks"]
    handed = 0
    while True:
        count, more = consumer_dispatch(found)
        handed += count
        if not more:
            return handed


def send_due():
    return deliveries_send(budget=30)


@pytest.fixture
def api(db, staff_user):
    """An API client with a key of every scope, created by a staff user."""
    key = ApiKeyFactory(created_by=staff_user)
    client = APIClient()
    client.default_format = "json"
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key.raw_key}")
    return client
