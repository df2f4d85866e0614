"""What a marketing message keeps to at the moment of sending, and a program notice does not:
quiet hours on the member's own clock (the message waits: its due time moves), the frequency
cap (over it: skipped with the reason), marketing consent per channel; program notices go to
every member who has not turned them off."""

import datetime

import pytest

from campaigns.composers import Composer, composer_register, composer_unregister
from campaigns.models import Campaign, Delivery, DeliveryPurpose
from campaigns.services.sending import deliveries_send
from loyalty.services.program import program_import
from members.models import ConsentChange, ConsentKind, ConsentSource, Member
from members.services import member_consents_set
from tests.campaigns.delivery.conftest import compose_news, queue
from tests.concurrency import run_together
from tests.factories.ledger import MemberFactory
from tests.factories.loyalty import example_program_text

pytestmark = pytest.mark.django_db

UTC = datetime.UTC


def row(delivery: Delivery) -> Delivery:
    return Delivery.objects.get(pk=delivery.pk)


@pytest.fixture
def notice_composer():
    composer_register(
        Composer(source="test_notice", purpose=DeliveryPurpose.NOTICE, compose=compose_news)
    )
    yield "test_notice"
    composer_unregister("test_notice")


def test_a_marketing_message_due_in_quiet_hours_waits_until_they_end(
    member, campaign, smtp, time_machine
):
    # 22:30 in Madrid (CET, UTC+1): inside the default 21:00-09:00.
    time_machine.move_to(datetime.datetime(2026, 12, 2, 21, 30, tzinfo=UTC), tick=False)
    delivery = queue(member, campaign=campaign)

    assert deliveries_send().waiting == 1

    waiting = row(delivery)
    assert waiting.status == "queued"
    assert waiting.due_at == datetime.datetime(2026, 12, 3, 8, 0, tzinfo=UTC)  # 09:00 in Madrid
    assert (waiting.attempts, waiting.claimed_until, waiting.claimed_by) == (0, None, "")
    assert smtp.mails == []

    time_machine.move_to(datetime.datetime(2026, 12, 3, 7, 59, tzinfo=UTC), tick=False)
    assert deliveries_send().handled == 0
    time_machine.move_to(waiting.due_at, tick=False)
    assert deliveries_send().sent == 1
    assert len(smtp.mails) == 1


def test_quiet_hours_are_read_on_the_members_own_clock(program, campaign, smtp, time_machine):
    # 21:30 UTC: night in Madrid, half past four in the afternoon in New York.
    time_machine.move_to(datetime.datetime(2026, 12, 2, 21, 30, tzinfo=UTC), tick=False)
    abroad = MemberFactory(marketing_email_opt_in=True, time_zone="America/New_York")
    delivery = queue(abroad, campaign=campaign)

    assert deliveries_send().sent == 1
    assert row(delivery).status == "sent"


def test_quiet_hours_end_at_their_local_time_across_a_daylight_saving_change(
    member, campaign, smtp, time_machine
):
    # Saturday 24 October 2026, 23:00 in Madrid (CEST, UTC+2); clocks go back at 03:00.
    time_machine.move_to(datetime.datetime(2026, 10, 24, 21, 0, tzinfo=UTC), tick=False)
    delivery = queue(member, campaign=campaign)

    deliveries_send()

    # 09:00 on Sunday is CET by then: 08:00 UTC, not 07:00.
    assert row(delivery).due_at == datetime.datetime(2026, 10, 25, 8, 0, tzinfo=UTC)


def test_program_notices_keep_no_quiet_hours(member, notice_composer, smtp, time_machine):
    time_machine.move_to(datetime.datetime(2026, 12, 2, 23, 0, tzinfo=UTC), tick=False)
    queue(member, automation=notice_composer, occasion="1")

    assert deliveries_send().sent == 1


def test_a_member_over_the_frequency_cap_is_skipped_with_the_reason(
    member, campaign, smtp, time_machine
):
    queue(member, campaign=campaign)
    assert deliveries_send().sent == 1
    second = Campaign.objects.create(code="second", name="Second", state="sending")
    delivery = queue(member, campaign=second)

    time_machine.shift(datetime.timedelta(days=1, hours=23))  # the default: 1 in 2 days
    assert deliveries_send().skipped == 1

    assert (row(delivery).status, row(delivery).reason) == ("skipped", "frequency_cap")
    assert len(smtp.mails) == 1


def test_the_cap_counts_from_the_last_send_and_comes_from_the_program_file(
    campaign, smtp, time_machine, now
):
    program_import(text=_with_cap(example_program_text(), messages=2, days=7), note="cap")
    member = MemberFactory(marketing_email_opt_in=True)
    campaigns = [
        Campaign.objects.create(code=f"c{number}", name="C", state="sending") for number in range(3)
    ]
    for each in campaigns:
        queue(member, campaign=each)
        deliveries_send()
        time_machine.shift(datetime.timedelta(days=1))

    statuses = [row(Delivery.objects.get(campaign=each)).status for each in campaigns]
    assert statuses == ["sent", "sent", "skipped"]


def test_program_notices_are_exempt_from_the_cap(member, campaign, notice_composer, smtp):
    queue(member, campaign=campaign)
    deliveries_send()
    queue(member, automation=notice_composer, occasion="1")

    assert deliveries_send().sent == 1
    assert len(smtp.mails) == 2


def test_a_second_campaign_in_the_same_run_is_capped(member, campaign, smtp):
    second = Campaign.objects.create(code="second", name="Second", state="sending")
    queue(member, campaign=campaign)
    queue(member, campaign=second)

    report = deliveries_send()

    assert (report.sent, report.skipped) == (1, 1)
    assert len(smtp.mails) == 1


@pytest.mark.django_db(transaction=True)
def test_two_senders_with_two_campaigns_for_the_same_members_keep_the_cap(program, smtp):
    composer_register(
        Composer(source="campaign", purpose=DeliveryPurpose.MARKETING, compose=compose_news)
    )
    try:
        first = Campaign.objects.create(code="first", name="First", state="sending")
        second = Campaign.objects.create(code="second", name="Second", state="sending")
        members = [
            MemberFactory(email=f"cap{number}@example.com", marketing_email_opt_in=True)
            for number in range(12)
        ]
        for each in (first, second):
            for member in members:
                queue(member, campaign=each)

        # Batches of one: the two senders interleave members and campaigns as much as they can.
        reports = run_together(2, lambda _index: deliveries_send(batch_size=1))
    finally:
        composer_unregister("campaign")

    assert not [report for report in reports if isinstance(report, Exception)]
    received = sorted(mail.recipients[0] for mail in smtp.mails)
    assert received == sorted(member.email for member in members)  # one each, not two
    assert Delivery.objects.filter(status="skipped", reason="frequency_cap").count() == 12


def test_program_notices_turned_off_skip_the_notice(member, notice_composer, smtp):
    delivery = queue(member, automation=notice_composer, occasion="1")
    member_consents_set(member=member, program_notices=False)

    deliveries_send()

    assert (row(delivery).status, row(delivery).reason) == ("skipped", "no_consent")
    assert smtp.mails == []


def test_a_consent_withdrawn_through_the_unsubscribe_link_is_unsubscribed(member, campaign, smtp):
    delivery = queue(member, campaign=campaign)
    Member.objects.filter(pk=member.pk).update(marketing_email_opt_in=False)
    ConsentChange.objects.create(
        member=member,
        kind=ConsentKind.MARKETING_EMAIL,
        granted=False,
        source=ConsentSource.UNSUBSCRIBE,
    )

    deliveries_send()

    assert (row(delivery).status, row(delivery).reason) == ("skipped", "unsubscribed")


def test_marketing_push_needs_the_push_consent(program, text_outbox):
    member = MemberFactory(marketing_email_opt_in=True)
    campaign = Campaign.objects.create(code="push", name="Push", channel="push", state="sending")
    composer_register(
        Composer(source="campaign", purpose=DeliveryPurpose.MARKETING, compose=compose_news)
    )
    try:
        refused = queue(member, campaign=campaign, channel="push")
        deliveries_send()
        assert (row(refused).status, row(refused).reason) == ("skipped", "no_consent")

        agreed = MemberFactory(marketing_push_opt_in=True)
        queue(agreed, campaign=campaign, channel="push")
        assert deliveries_send().sent == 1
    finally:
        composer_unregister("campaign")
    (push,) = text_outbox["push"]
    assert push.to == agreed.member_number


def _with_cap(text: str, *, messages: int, days: int) -> str:
    """The example program with a frequency cap of its own (it keeps the defaults)."""
    marker = "    warn_days: 30"
    assert marker in text
    assert "communications" not in text
    line = next(line for line in text.splitlines() if line.startswith(marker))
    block = f"  communications:\n    frequency_cap: {{messages: {messages}, days: {days}}}"
    return text.replace(line, f"{line}\n{block}", 1)
