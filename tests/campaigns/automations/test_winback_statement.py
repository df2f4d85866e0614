"""The win-back (N days after the last purchase, once per absence) and the monthly statement
(the 1st at 09:00 on the member's clock, once per month, the month's movements explained)."""

import datetime
from decimal import Decimal

import pytest

from campaigns.models import Delivery, DeliveryStatus
from campaigns.services.automations import automation_update
from campaigns.services.sending import deliveries_send
from campaigns.services.statements import statements_queue
from campaigns.services.winback import win_backs_queue
from loyalty.services.purchases import purchase_record
from members.models import Member
from tests.factories.ledger import MemberFactory

UTC = datetime.UTC
counter = iter(range(10_000))


def at(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text).replace(tzinfo=UTC)


def buy(member, when, amount="30.00"):
    purchase, _created = purchase_record(
        member=member,
        external_id=f"wb-{next(counter)}",
        amount=Decimal(amount),
        currency="EUR",
        purchased_at=when,
        channel="online",
    )
    return purchase


@pytest.fixture
def marta(program, time_machine):
    time_machine.move_to(at("2027-01-05T10:00:00"), tick=False)
    member = MemberFactory(
        email="marta@example.es", first_name="Marta", language="es", marketing_email_opt_in=True
    )
    return member


@pytest.mark.django_db
def test_the_win_back_comes_90_days_after_the_last_purchase_once_per_absence(marta, time_machine):
    automation_update(code="win_back", enabled=True)
    first = buy(marta, at("2027-01-05T10:00:00"))
    time_machine.move_to(at("2027-04-05T04:00:00"), tick=False)  # 89 days and 18 hours
    assert win_backs_queue() == 0
    time_machine.move_to(at("2027-04-06T04:00:00"), tick=False)
    assert win_backs_queue() == 1
    assert win_backs_queue() == 0
    row = Delivery.objects.get(member=marta, automation="win_back")
    assert row.occasion == str(first.pk)
    assert row.due_at == at("2027-04-06T08:00:00")  # 10:00 in Madrid (summer time)

    # Back, then away again: a new absence, a new message.
    time_machine.move_to(at("2027-05-01T10:00:00"), tick=False)
    second = buy(marta, at("2027-05-01T10:00:00"))
    time_machine.move_to(at("2027-07-31T04:00:00"), tick=False)
    assert win_backs_queue() == 1
    assert Delivery.objects.filter(member=marta, occasion=str(second.pk)).exists()


@pytest.mark.django_db
def test_the_win_back_waits_the_marketers_delay_and_is_off_by_default(marta, time_machine):
    buy(marta, at("2027-01-05T10:00:00"))
    time_machine.move_to(at("2027-02-05T04:00:00"), tick=False)
    assert win_backs_queue() == 0  # off by default
    automation_update(code="win_back", enabled=True, delay_days=30)
    assert win_backs_queue() == 1
    # A member long gone is not written to when the automation is turned on.
    time_machine.move_to(at("2027-06-05T04:00:00"), tick=False)
    Delivery.objects.all().delete()
    assert win_backs_queue() == 0


@pytest.mark.django_db
def test_a_member_who_bought_again_before_the_message_left_gets_none(marta, time_machine):
    automation_update(code="win_back", enabled=True)
    buy(marta, at("2027-01-05T10:00:00"))
    time_machine.move_to(at("2027-04-06T04:00:00"), tick=False)
    win_backs_queue()
    time_machine.move_to(at("2027-04-06T07:00:00"), tick=False)
    buy(marta, at("2027-04-06T07:00:00"))
    time_machine.move_to(at("2027-04-06T08:00:00"), tick=False)
    deliveries_send()
    assert Delivery.objects.get(automation="win_back").status == DeliveryStatus.SKIPPED


@pytest.mark.django_db
def test_the_statement_lists_last_months_movements_on_the_first_at_nine(
    marta, time_machine, smtp_outbox
):
    automation_update(code="monthly_statement", enabled=True)
    time_machine.move_to(at("2027-01-20T10:00:00"), tick=False)
    buy(marta, at("2027-01-20T10:00:00"), amount="45.00")
    mexico = MemberFactory(
        email="mx@example.mx", first_name="Ximena", language="es", marketing_email_opt_in=True
    )
    Member.objects.filter(pk=mexico.pk).update(time_zone="America/Mexico_City")
    idle = MemberFactory(email="idle@example.com", marketing_email_opt_in=True)
    # Everyone above joined in January; the idle member moved nothing in February.

    time_machine.move_to(at("2027-02-01T07:59:00"), tick=False)  # 08:59 in Madrid
    assert statements_queue() == 0
    time_machine.move_to(at("2027-02-01T08:00:00"), tick=False)
    assert statements_queue() == 2  # Marta and the idle member moved points in January
    assert statements_queue() == 0
    time_machine.move_to(at("2027-02-01T15:00:00"), tick=False)  # 09:00 in Mexico City
    assert statements_queue() == 1
    assert Delivery.objects.filter(occasion="2027-01").count() == 3
    assert idle.pk in Delivery.objects.values_list("member_id", flat=True)

    deliveries_send()
    mail = next(mail for mail in smtp_outbox.mails if mail.recipients == ["marta@example.es"])
    assert "enero de 2027" in mail.subject
    assert "(45,00\xa0€) · +45" in mail.text or "(45,00 €) · +45" in mail.text
    assert "Su saldo: 100 puntos" in mail.text  # the purchase's 45 are still pending

    time_machine.move_to(at("2027-03-01T08:00:00"), tick=False)
    assert statements_queue() == 0  # nobody moved points in February
