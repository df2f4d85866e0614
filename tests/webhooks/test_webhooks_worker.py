"""Webhooks through the real parts: the changes are made and committed here, the session's
Celery worker (tests/fixtures_worker.py, against Redis and this database) dispatches their
events and sends the deliveries to a real HTTP receiver on 127.0.0.1.

- every change API.md lists reaches the receiver, signed; a rolled-back change never does;
- a receiver failing twice gets the same event, byte for byte, three times (the test moves the
  retry's due time instead of waiting a minute);
- a replay sends the stored body byte for byte, signed afresh.
"""

import datetime
import json
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone

from campaigns.models import Campaign, CampaignState
from campaigns.services.campaigns import campaigns_finish
from config.events.models import Event
from loyalty.services.enrolment import member_join
from loyalty.services.ledger import lots_mature, points_expire
from loyalty.services.purchases import purchase_record, refund_record
from members.services import member_erase
from rewards.services import redemption_cancel
from rewards.services.vouchers import voucher_consume
from tests.factories.ledger import program_version_create
from tests.factories.rewards import RewardFactory, redemption_create
from tests.fixtures_worker import wait_for
from tests.webhooks.receiver import Answer
from webhooks.catalog import EVENT_TYPES
from webhooks.models import Attempt, Delivery, DeliveryState
from webhooks.services.deliveries import delivery_replay
from webhooks.services.endpoints import endpoint_register
from webhooks.signing import signature_verify
from webhooks.tasks import deliveries_send

DAY = datetime.timedelta(days=1)

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def hook(celery_worker, receiver, allow_private, staff_user):
    program_version_create(signup_bonus=False)
    return endpoint_register(url=receiver.url, events=EVENT_TYPES, owner=staff_user)


def purchase(member, external_id: str, amount: str):
    return purchase_record(
        member=member,
        external_id=external_id,
        amount=Decimal(amount),
        currency="EUR",
        purchased_at=timezone.now(),
        channel="store",
        items=[],
    )[0]


def every_listed_change() -> None:
    """One of each change API.md lists, each committed on its own."""
    ana = member_join(email="ana@example.com", first_name="Ana")  # member.enrolled
    bought = purchase(ana, "till-1", "600.00")  # purchase.recorded, tier.changed
    refund_record(purchase=bought, external_id="r-1", amount=Decimal("10.00"))
    bob = member_join(email="bob@example.com")
    purchase(bob, "till-2", "20.00")
    now = timezone.now()
    lots_mature(member=bob, at=now + 15 * DAY)
    points_expire(member=bob, at=now + 400 * DAY)  # points.expired
    reward = RewardFactory(points_cost=100)
    used = redemption_create(ana, reward)  # voucher.issued
    voucher_consume(code=used.voucher.code, order_ref="order-1")
    redemption_cancel(redemption=redemption_create(ana, reward))
    Campaign.objects.create(code="spring", name="Spring", state=CampaignState.SENDING)
    campaigns_finish()  # campaign.sent
    member_erase(member=bob)  # member.erased


def test_every_listed_change_reaches_the_receiver_and_a_rolled_back_one_never(hook, receiver):
    def enrolment_rolled_back():
        with transaction.atomic():
            member_join(email="ghost@example.com")
            raise RuntimeError("the request failed after the write")

    with pytest.raises(RuntimeError):
        enrolment_rolled_back()
    every_listed_change()
    expected = Event.objects.filter(kind__in=EVENT_TYPES).count()

    received = receiver.wait_for(expected, timeout=60)

    bodies = [json.loads(request.body) for request in received]
    assert {body["type"] for body in bodies} == set(EVENT_TYPES)
    assert len({body["id"] for body in bodies}) == expected  # one delivery per event
    assert all(b"ghost@example.com" not in request.body for request in received)
    for request in received:
        assert signature_verify(
            header=request.headers["Tessera-Signature"], body=request.body, secret=hook.secret
        )
    wait_for(
        lambda: Delivery.objects.filter(state=DeliveryState.DELIVERED).count() == expected,
        timeout=30,
    )
    stored = {bytes(row.body) for row in Delivery.objects.all()}
    assert stored == {request.body for request in received}
    assert len(receiver.requests) == expected  # and nothing twice


def test_a_receiver_failing_twice_gets_the_same_event_three_times(hook, receiver):
    receiver.answer(Answer(status=500), Answer(status=502))
    member_join(email="ana@example.com")

    def retry_now() -> None:
        # The back-off's minute, skipped: the row is due now, and a run is asked for.
        Delivery.objects.filter(state=DeliveryState.DUE).update(next_attempt_at=timezone.now())
        deliveries_send.delay()

    receiver.wait_for(1, timeout=60)
    wait_for(lambda: Attempt.objects.count() == 1, timeout=30)
    retry_now()
    receiver.wait_for(2, timeout=30)
    wait_for(lambda: Attempt.objects.count() == 2, timeout=30)
    retry_now()
    first, second, third = receiver.wait_for(3, timeout=30)

    assert first.body == second.body == third.body
    assert json.loads(first.body)["type"] == "member.enrolled"
    delivery = wait_for(
        lambda: Delivery.objects.filter(state=DeliveryState.DELIVERED).first(), timeout=30
    )
    assert json.loads(third.body)["id"] == delivery.event_public_id
    assert list(delivery.attempt_log.values_list("status_code", flat=True)) == [500, 502, 200]


def test_a_replay_sends_the_stored_body_byte_for_byte(hook, receiver):
    member_join(email="ana@example.com")
    [original] = receiver.wait_for(1, timeout=60)
    delivery = wait_for(
        lambda: Delivery.objects.filter(state=DeliveryState.DELIVERED).first(), timeout=30
    )

    delivery_replay(delivery=delivery)
    _original_again, replayed = receiver.wait_for(2, timeout=30)

    assert replayed.body == original.body == delivery.body_bytes
    assert signature_verify(
        header=replayed.headers["Tessera-Signature"], body=replayed.body, secret=hook.secret
    )
    assert replayed.headers["Tessera-Event-Id"] == delivery.event_public_id
    replay = Delivery.objects.get(replay_of=delivery)
    wait_for(
        lambda: Delivery.objects.get(pk=replay.pk).state == DeliveryState.DELIVERED, timeout=30
    )
