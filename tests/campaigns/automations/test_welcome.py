"""The welcome: once per member joining now, in their language, with the sign-up bonus."""

import datetime

import pytest

from campaigns.consumers import welcome
from campaigns.models import Delivery, DeliveryStatus
from campaigns.services.automations import automation_update
from campaigns.services.sending import deliveries_send
from config.events.models import Event
from members.events import MEMBER_ENROLLED
from tests.campaigns.automations.conftest import consumer_run
from tests.factories.ledger import MemberFactory

NOW = datetime.datetime(2026, 12, 2, 12, 0, tzinfo=datetime.UTC)


@pytest.fixture
def now(program, time_machine):
    time_machine.move_to(NOW, tick=False)
    return NOW


@pytest.mark.django_db
def test_a_new_member_is_welcomed_once_in_their_language(now, smtp_outbox):
    member = MemberFactory(email="lucia@example.es", first_name="Lucía", language="es")
    consumer_run("welcome")
    consumer_run("welcome")
    assert deliveries_send().sent == 1
    (mail,) = smtp_outbox.mails
    assert mail.subject == "Le damos la bienvenida, Lucía"
    assert "100 puntos" in mail.text  # the example program's sign-up bonus
    row = Delivery.objects.get(member=member)
    assert (row.automation, row.occasion, row.status) == (
        "welcome",
        str(member.pk),
        DeliveryStatus.SENT,
    )
    # The event handed over again (a dispatcher killed before it recorded the handover).
    welcome(Event.objects.get(kind=MEMBER_ENROLLED))
    assert Delivery.objects.count() == 1
    assert deliveries_send().sent == 0


@pytest.mark.django_db
def test_history_and_old_enrolments_are_not_welcomed(now):
    MemberFactory(email="old@example.com", joined_at=NOW - datetime.timedelta(days=30))
    consumer_run("welcome")
    assert not Delivery.objects.exists()


@pytest.mark.django_db
def test_nobody_is_welcomed_while_the_automation_is_off(now):
    automation_update(code="welcome", enabled=False)
    MemberFactory(email="quiet@example.com")
    consumer_run("welcome")
    assert not Delivery.objects.exists()


@pytest.mark.django_db
def test_a_welcome_queued_before_the_automation_was_turned_off_is_skipped(now, smtp_outbox):
    member = MemberFactory(email="late@example.com")
    consumer_run("welcome")
    automation_update(code="welcome", enabled=False)
    assert deliveries_send().sent == 0
    row = Delivery.objects.get(member=member)
    assert (row.status, row.reason) == (DeliveryStatus.SKIPPED, "automation_off")
    assert smtp_outbox.mails == []


@pytest.mark.django_db
def test_the_marketers_own_text_replaces_the_shipped_one_in_its_language(now, smtp_outbox):
    automation_update(
        code="welcome",
        content={"main": {"fr": {"subject": "Salut {{ first_name }}", "body": "Bienvenue !"}}},
    )
    MemberFactory(email="ana@example.es", first_name="Ana", language="es")
    MemberFactory(email="zoe@example.fr", first_name="Zoé", language="fr")
    consumer_run("welcome")
    deliveries_send()
    subjects = sorted(mail.subject for mail in smtp_outbox.mails)
    assert subjects == ["Le damos la bienvenida, Ana", "Salut Zoé"]
