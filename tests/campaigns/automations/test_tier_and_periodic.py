"""The tier change's downgrade notice at the review, and every periodic task run twice in a row
queuing nothing twice."""

import datetime
from collections import Counter
from decimal import Decimal

import pytest

from campaigns import tasks
from campaigns.models import Delivery
from campaigns.services.automations import automation_update
from campaigns.services.sending import deliveries_send
from loyalty import tasks as loyalty_tasks
from loyalty.services.purchases import purchase_record
from members.models import Member
from tests.campaigns.automations.conftest import consumer_run
from tests.factories.ledger import MemberFactory

UTC = datetime.UTC
START = datetime.datetime(2027, 3, 1, 10, 0, tzinfo=UTC)


def buy(member, when, amount):
    purchase_record(
        member=member,
        external_id=f"tp-{member.pk}-{when.timestamp()}",
        amount=Decimal(amount),
        currency="EUR",
        purchased_at=when,
        channel="store",
    )


@pytest.mark.django_db
def test_a_downgrade_at_the_review_is_told_once_in_the_members_language(
    program, time_machine, smtp_outbox
):
    time_machine.move_to(START, tick=False)
    member = MemberFactory(email="ines@example.es", first_name="Inés", language="es")
    buy(member, START, "600.00")  # Silver at once
    consumer_run("tier_notice")
    time_machine.move_to(START + datetime.timedelta(days=366), tick=False)
    assert loyalty_tasks.tiers_review() == 1  # no spend in the year: back to Bronze
    consumer_run("tier_notice")
    consumer_run("tier_notice")
    deliveries_send()
    subjects = [mail.subject for mail in smtp_outbox.mails]
    assert subjects == ["Ahora es Plata", "Su nivel ahora es Bronce"]
    downgrade = smtp_outbox.mails[1].text
    assert "en lugar de Plata" in downgrade


@pytest.mark.django_db
def test_every_periodic_task_run_twice_queues_each_message_once(program, time_machine):
    for code in ("monthly_statement", "win_back", "survey"):
        automation_update(code=code, enabled=True)
    time_machine.move_to(START, tick=False)
    members = [
        MemberFactory(email=f"p{n}@example.com", marketing_email_opt_in=True) for n in range(6)
    ]
    for member in members:
        Member.objects.filter(pk=member.pk).update(birth_month=3, birth_day=1 + member.pk % 28)
        buy(member, START, "30.00")
    moment = START
    while moment < START + datetime.timedelta(days=400):
        time_machine.move_to(moment, tick=False)
        for _name, (task_name, _schedule) in tasks.PERIODIC_TASKS.items():
            task = getattr(tasks, task_name.rsplit(".", 1)[1])
            if task is tasks.deliveries_send:
                continue
            first = task()
            again = task()
            assert again == 0, (task_name, moment, first)
        loyalty_tasks.lots_mature()
        moment += datetime.timedelta(days=1)
    per_member = Counter(Delivery.objects.values_list("automation", flat=True))
    # Over 400 days from 1 March 2027 each member had two birthdays (March 2027 and 2028), two
    # expiry warnings (the sign-up and purchase points of 1 March, then 30 days later the
    # birthday bonus expiring days after them), one win-back and one survey of its single
    # purchase, and a statement for each month it moved points (March 2027, March 2028).
    assert per_member == {
        "birthday": 12,
        "points_expiring": 12,
        "win_back": 6,
        "survey": 6,
        "monthly_statement": 12,
    }


def _upgrade_notices_queued(count: int) -> None:
    members = [
        MemberFactory(email=f"up{count}-{n}@example.com", language=("es", "fr", "en")[n % 3])
        for n in range(count)
    ]
    for member in members:
        buy(member, START, "600.00")  # Silver at once
    consumer_run("tier_notice")


@pytest.mark.django_db
def test_a_batch_of_notices_reads_what_its_messages_share_once(
    program, time_machine, smtp_outbox, django_assert_max_num_queries
):
    # The automation, the members' merge values and the tier changes are read for the batch:
    # each message more costs only the sender's own statements (its transaction, the member's
    # lock, the two marks), not a query per value.
    time_machine.move_to(START, tick=False)
    queries = {}
    for count in (2, 8):
        _upgrade_notices_queued(count)
        with django_assert_max_num_queries(200) as captured:
            assert deliveries_send().sent == count
        queries[count] = len(captured)
    per_message = (queries[8] - queries[2]) / 6
    assert per_message <= 6, queries
    by_language = {"es": "Ahora es Plata", "fr": "Vous êtes maintenant Argent"}
    for mail in smtp_outbox.mails:
        member = Member.objects.select_related("user").get(user__email=mail.recipients[0])
        assert mail.subject == by_language.get(member.language, "You are now Silver")
