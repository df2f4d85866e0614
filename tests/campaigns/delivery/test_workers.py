"""The delivery log sent by real Celery worker processes against Redis and PostgreSQL, into a real
SMTP server: 2,000 messages, two workers, one killed with `kill -9` in the middle of sending and
replaced, every send task delivered twice. Every member gets exactly one message, or their row
is `unknown` (at most one per killed worker, and then at most one message); nobody gets two."""

import signal
from collections import Counter
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from campaigns.composers.notices import TIER_CHANGE
from campaigns.models import Delivery
from campaigns.services.deliveries import deliveries_queue, delivery_new
from loyalty.models import TierChange
from loyalty.services.program import program_import
from members.models import Member
from members.services import member_consents_set
from tests.campaigns.workers import drive, settled
from tests.factories.loyalty import example_program_text

MESSAGES = 2000


def upgrades_queue(count: int) -> list[Member]:
    """`count` members each with an upgrade whose notice is queued (bulk: this is a test of
    sending, not of enrolment)."""
    program_import(text=example_program_text(), note="example")
    now = timezone.now()
    users = get_user_model().objects.bulk_create(
        get_user_model()(email=f"m{number}@example.com", first_name=f"M{number}", password="!")
        for number in range(count)
    )
    members = Member.objects.bulk_create(
        Member(
            user=user,
            member_number=f"{number:013d}",
            referral_code=f"R{number:08d}",
            language=("en", "es", "fr")[number % 3],
        )
        for number, user in enumerate(users)
    )
    changes = TierChange.objects.bulk_create(
        TierChange(
            member=member,
            from_code="bronze",
            to_code="silver",
            reason="upgrade",
            qualifying_total=Decimal("600.00"),
            at=now,
            notified_at=now,
        )
        for member in members
    )
    deliveries_queue(
        delivery_new(
            member_id=change.member_id,
            automation=TIER_CHANGE,
            occasion=str(change.pk),
            channel="email",
        )
        for change in changes
    )
    return members


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_two_workers_one_killed_mid_send_send_each_message_at_most_once(sink, workers):
    members = upgrades_queue(MESSAGES)
    first, _second = workers("send-a", "send-b")

    drive(until=lambda: len(sink.mails) >= MESSAGES // 4, timeout=60)
    first.send_signal(signal.SIGKILL)
    first.wait(timeout=10)
    workers("send-c")
    drive(until=settled, timeout=90)

    received = Counter(mail.recipients[0] for mail in sink.mails)
    statuses = Counter(Delivery.objects.values_list("status", flat=True))
    print(f"\nsink: {len(sink.mails)} mails; log: {dict(statuses)}")
    assert set(statuses) <= {"sent", "unknown"}
    assert statuses["unknown"] <= 1  # one killed worker, one handover at a time
    assert max(received.values()) == 1  # nobody got two
    by_status = dict(Delivery.objects.values_list("member__user__email", "status"))
    for member in members:
        got = received[member.user.email]
        status = by_status[member.user.email]
        assert got == 1 or status == "unknown", (member.user.email, got, status)
        if status == "sent":
            assert got == 1
    assert sum(received.values()) in (statuses["sent"], statuses["sent"] + 1)
    # Each in the member's language.
    subjects = " ".join({mail.subject for mail in sink.mails})
    assert all(name in subjects for name in ("Silver", "Plata", "Argent"))


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_notices_turned_off_between_queueing_and_sending_are_not_sent_by_the_worker(sink, workers):
    members = upgrades_queue(20)
    quiet = members[:5]
    for member in quiet:  # after the notices were queued, before any worker runs
        member_consents_set(member=member, program_notices=False)
    workers("send-consent")

    drive(until=settled, timeout=30)

    received = Counter(mail.recipients[0] for mail in sink.mails)
    assert sorted(received) == sorted(member.user.email for member in members[5:])
    assert set(received.values()) == {1}
    skipped = Delivery.objects.filter(status="skipped", reason="no_consent")
    assert set(skipped.values_list("member_id", flat=True)) == {member.pk for member in quiet}
