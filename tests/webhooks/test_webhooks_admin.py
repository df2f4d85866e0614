"""The admin: register an endpoint with its events as checkboxes (the secret shown once),
rotate its secret (shown once), read the delivery log with every attempt, replay a delivery."""

import re

import pytest

from loyalty.services.enrolment import member_join
from tests.factories.members import StaffUserFactory
from tests.webhooks.conftest import send_due, webhooks_dispatch
from tests.webhooks.receiver import Answer
from webhooks.models import Delivery, Endpoint
from webhooks.services.endpoints import endpoint_signing_secrets

pytestmark = pytest.mark.usefixtures("plain_static_storage")

ADD = "/admin/webhooks/endpoint/add/"
ENDPOINTS = "/admin/webhooks/endpoint/"
DELIVERIES = "/admin/webhooks/delivery/"
SECRET = re.compile(r"whsec_[A-Za-z0-9_-]{43}")


@pytest.fixture
def plain_static_storage(settings):
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def admin_client(client, db):
    client.force_login(StaffUserFactory(is_superuser=True))
    return client


def test_registering_shows_the_secret_once(admin_client, allow_private, receiver, now):
    page = admin_client.get(ADD).content.decode()
    assert 'type="checkbox" name="events" value="member.enrolled"' in page
    assert 'value="campaign.sent"' in page

    response = admin_client.post(
        ADD, {"url": receiver.url, "events": ["purchase.recorded", "member.enrolled"]}
    )

    assert response.status_code == 302
    endpoint = Endpoint.objects.get()
    assert endpoint.events == ["member.enrolled", "purchase.recorded"]
    assert endpoint.owner.is_superuser
    shown = SECRET.findall(admin_client.get(response.url).content.decode())
    assert shown == endpoint_signing_secrets(endpoint=endpoint, at=now)
    for url in (response.url, f"{ENDPOINTS}{endpoint.pk}/change/"):
        assert not SECRET.search(admin_client.get(url).content.decode())


def test_a_private_url_is_refused_at_its_field(admin_client, settings):
    settings.WEBHOOKS_ALLOW_PRIVATE = False
    response = admin_client.post(ADD, {"url": "https://10.0.0.8/", "events": ["tier.changed"]})

    assert response.status_code == 200
    assert "This URL cannot receive webhooks" in response.content.decode()
    assert not Endpoint.objects.exists()


def test_rotating_shows_the_new_secret_once(admin_client, registered, now):
    response = admin_client.post(
        ENDPOINTS,
        {"action": "rotate_secret", "_selected_action": [registered.endpoint.pk]},
        follow=True,
    )

    [shown] = SECRET.findall(response.content.decode())
    assert shown != registered.secret
    assert endpoint_signing_secrets(endpoint=registered.endpoint, at=now) == [
        shown,
        registered.secret,
    ]
    page = admin_client.get(f"{ENDPOINTS}{registered.endpoint.pk}/change/").content.decode()
    assert not SECRET.search(page)
    assert "previous, signs too until" in page


def test_the_delivery_log_shows_every_attempt_and_replays_the_same_bytes(
    admin_client, registered, receiver, program, now, time_machine
):
    receiver.answer(Answer(status=500, body=b"try later"))
    member_join(email="ana@example.com")
    webhooks_dispatch()
    send_due()
    delivery = Delivery.objects.get()

    log = admin_client.get(DELIVERIES, {"endpoint__id__exact": registered.endpoint.pk})
    assert delivery.event_public_id in log.content.decode()
    page = admin_client.get(f"{DELIVERIES}{delivery.pk}/change/").content.decode()
    assert "try later" in page  # the first attempt's answer
    assert delivery.event_public_id in page

    response = admin_client.post(
        DELIVERIES, {"action": "replay", "_selected_action": [delivery.pk]}, follow=True
    )

    assert "1 delivery queued again." in response.content.decode()
    replay = Delivery.objects.get(replay_of=delivery)
    assert replay.body_bytes == delivery.body_bytes
    assert replay.event_public_id == delivery.event_public_id
    assert send_due().delivered == 1
    assert receiver.requests[-1].body == delivery.body_bytes
    assert Endpoint.objects.get().is_active
