"""An endpoint whose deliveries have all failed for three days (no success since a failure
three days ago) is disabled at its next failure, and its owner is told by mail, once, over
real SMTP. Its deliveries wait; enabled again, it starts afresh."""

import datetime

import pytest

from loyalty.services.enrolment import member_join
from tests.webhooks.conftest import send_due, webhooks_dispatch
from tests.webhooks.receiver import Answer
from webhooks import tasks
from webhooks.models import Delivery, DeliveryState, Endpoint
from webhooks.services.endpoints import endpoint_enable
from webhooks.services.notices import endpoints_disabled_notify

DAY = datetime.timedelta(days=1)


def enrol(n: int) -> None:
    member_join(email=f"member{n}@example.com", first_name="Ana")
    webhooks_dispatch()


@pytest.fixture
def failing(registered, receiver, program, now):
    receiver.answer(*[Answer(status=500)] * 20)
    return registered.endpoint


def test_three_days_of_failures_disable_the_endpoint_and_mail_its_owner_once(
    failing, receiver, now, time_machine, smtp_outbox, staff_user
):
    enrol(1)
    send_due()
    failing.refresh_from_db()
    assert (failing.is_active, failing.failing_since) == (True, now)

    time_machine.move_to(now + 3 * DAY - datetime.timedelta(minutes=1), tick=False)
    enrol(2)
    send_due()
    failing.refresh_from_db()
    assert failing.is_active  # not three days yet

    later = now + 3 * DAY
    time_machine.move_to(later, tick=False)
    enrol(3)
    send_due()

    failing.refresh_from_db()
    assert not failing.is_active
    assert (failing.disabled_reason, failing.disabled_at) == ("failing", later)
    tasks.deliveries_send()  # the task tells the owner after its sends
    [mail] = smtp_outbox.mails_to(staff_user.email)
    assert mail.subject == f"Webhook endpoint disabled: {failing.url}"
    assert f"Every delivery to the webhook endpoint {failing.url} has failed since" in mail.text
    assert f"/admin/webhooks/endpoint/{failing.pk}/change/" in mail.text
    assert f"/admin/webhooks/delivery/?endpoint__id__exact={failing.pk}" in mail.text

    assert endpoints_disabled_notify() == 0  # once
    assert len(smtp_outbox.mails_to(staff_user.email)) == 1

    # Disabled, it is sent nothing: new events wait for it.
    requests = len(receiver.requests)
    enrol(4)
    assert send_due().failed == 0
    assert len(receiver.requests) == requests
    waiting = Delivery.objects.filter(endpoint=failing, state=DeliveryState.DUE)
    assert waiting.count() == 4

    # Enabled again, it starts afresh and the waiting deliveries go out.
    receiver.script.clear()
    assert endpoint_enable(endpoint=failing)
    failing.refresh_from_db()
    assert (failing.is_active, failing.failing_since, failing.disabled_reason) == (True, None, "")
    time_machine.move_to(later + DAY, tick=False)
    assert send_due().delivered == 4


def test_a_success_in_between_keeps_the_endpoint(failing, receiver, now, time_machine):
    enrol(1)
    send_due()
    time_machine.move_to(now + DAY, tick=False)
    receiver.script.clear()
    assert send_due().delivered == 1  # the retry goes through: the streak ends
    receiver.answer(Answer(status=500))
    time_machine.move_to(now + 3 * DAY, tick=False)
    enrol(2)
    send_due()

    endpoint = Endpoint.objects.get(pk=failing.pk)
    assert endpoint.is_active
    assert endpoint.failing_since == now + 3 * DAY


def test_an_endpoint_without_an_owner_tells_the_superusers(
    failing, now, time_machine, smtp_outbox, django_user_model
):
    admin = django_user_model.objects.create_superuser(email="boss@example.com", password="x")
    Endpoint.objects.filter(pk=failing.pk).update(owner=None)
    enrol(1)
    send_due()
    time_machine.move_to(now + 3 * DAY, tick=False)
    enrol(2)
    send_due()

    assert endpoints_disabled_notify() == 1
    [mail] = smtp_outbox.mails_to(admin.email)
    assert failing.url in mail.subject
