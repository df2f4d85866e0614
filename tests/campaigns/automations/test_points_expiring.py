"""The points-expiring notice: warn_days before points expire, at 09:00 on the member's clock,
once per expiry (and at most once per warn_days for points expiring a little every week)."""

import datetime
from decimal import Decimal

import pytest

from campaigns.models import Delivery, DeliveryStatus
from campaigns.services.expiring import points_expiring_queue
from campaigns.services.sending import deliveries_send
from loyalty.services.ledger import points_debit
from loyalty.services.purchases import purchase_record
from loyalty.tasks import lots_mature
from members.models import Member
from tests.factories.ledger import MemberFactory

UTC = datetime.UTC
BOUGHT = datetime.datetime(2027, 1, 10, 12, 0, tzinfo=UTC)
counter = iter(range(10_000))


def buy(member, at, amount="80.00"):
    purchase_record(
        member=member,
        external_id=f"exp-{next(counter)}",
        amount=Decimal(amount),
        currency="EUR",
        purchased_at=at,
        channel="store",
    )


@pytest.fixture
def lucia(program, time_machine):
    time_machine.move_to(BOUGHT, tick=False)
    member = MemberFactory(email="lucia@example.es", first_name="Lucía", language="es")
    Member.objects.filter(pk=member.pk).update(time_zone="America/Mexico_City")
    buy(member, BOUGHT)
    return Member.objects.get(pk=member.pk)


def rows(member):
    return list(
        Delivery.objects.filter(member=member, automation="points_expiring").values_list(
            "occasion", "due_at"
        )
    )


@pytest.mark.django_db
def test_the_notice_comes_warn_days_before_at_nine_local_once(lucia, time_machine, smtp_outbox):
    # Rolling expiry: 12 months after the purchase; the example program warns 30 days ahead.
    time_machine.move_to(datetime.datetime(2027, 12, 10, 3, 40, tzinfo=UTC), tick=False)
    assert points_expiring_queue() == 0  # 31 days ahead
    time_machine.move_to(datetime.datetime(2027, 12, 12, 3, 40, tzinfo=UTC), tick=False)
    assert points_expiring_queue() == 1
    assert points_expiring_queue() == 0  # the scan run twice
    ((occasion, due_at),) = rows(lucia)
    assert occasion == "2028-01-10"
    assert due_at == datetime.datetime(2027, 12, 12, 15, 0, tzinfo=UTC)  # 09:00 in Mexico City

    lots_mature()
    assert deliveries_send().sent == 0  # not due yet
    time_machine.move_to(due_at, tick=False)
    assert deliveries_send().sent == 1
    (mail,) = smtp_outbox.mails
    assert "caducan" in mail.subject
    assert "10 de enero de 2028" in mail.text or "10/01/2028" in mail.text


@pytest.mark.django_db
def test_points_expiring_every_week_are_told_at_most_once_per_warn_days(lucia, time_machine):
    for week in range(1, 8):
        time_machine.move_to(BOUGHT + datetime.timedelta(weeks=week), tick=False)
        buy(lucia, BOUGHT + datetime.timedelta(weeks=week), amount="20.00")
    day = datetime.datetime(2027, 12, 12, 3, 40, tzinfo=UTC)
    for _ in range(40):
        time_machine.move_to(day, tick=False)
        points_expiring_queue()
        day += datetime.timedelta(days=1)
    # 40 daily scans from 12 December: the first notice (for 10 January) covers the weekly
    # expiries after it; the next comes 30 days later, on 11 January, for the soonest then.
    occasions = [occasion for occasion, _due in rows(lucia)]
    assert occasions == ["2028-01-10", "2028-01-17"]


@pytest.mark.django_db
def test_points_spent_before_the_notice_leaves_are_not_worth_it(lucia, time_machine):
    time_machine.move_to(datetime.datetime(2027, 12, 11, 16, 0, tzinfo=UTC), tick=False)
    points_expiring_queue()
    Delivery.objects.update(due_at=datetime.datetime(2027, 12, 11, 16, 0, tzinfo=UTC))
    lots_mature()
    points_debit(member=lucia, points=180, kind="redeem", reason="spent")
    deliveries_send()
    assert Delivery.objects.get(member=lucia).status == DeliveryStatus.SKIPPED
